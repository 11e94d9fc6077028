"""Real IBM hardware: the backend by name, with credentials that never reach a message.

REAL HARDWARE PATH: nothing here can be exercised offline beyond its errors. The device that
runs jobs on these backends is :class:`harness.executors.runtime.RuntimeDevice`.
"""

from __future__ import annotations

import os
from typing import Any

from harness.errors import HarnessError
from harness.kinds import IBM_PREFIX

__all__ = ["ibm_backend", "queue_seconds"]


def ibm_backend(name: str) -> Any:
    """A real IBM backend by name. REAL HARDWARE PATH: not testable offline beyond its errors.

    Credentials come from the environment (``QISKIT_IBM_TOKEN``, with optional
    ``QISKIT_IBM_CHANNEL`` and ``QISKIT_IBM_INSTANCE``) or from an account saved with
    ``QiskitRuntimeService.save_account``. The token never appears in a message.

    Raises:
        HarnessError: no credentials, or the service refused (the message names the fix).
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    token = os.environ.get("QISKIT_IBM_TOKEN") or None
    channel = os.environ.get("QISKIT_IBM_CHANNEL") or None
    instance = os.environ.get("QISKIT_IBM_INSTANCE") or None
    if token is None:
        try:
            saved = QiskitRuntimeService.saved_accounts()
        except Exception:  # noqa: BLE001 - an unreadable account file counts as none
            saved = {}
        if not saved:
            raise HarnessError(
                f"backend '{IBM_PREFIX}{name}' needs IBM Quantum credentials and none were found",
                hint="set QISKIT_IBM_TOKEN (and QISKIT_IBM_CHANNEL, QISKIT_IBM_INSTANCE if your "
                "account needs them) or save an account with QiskitRuntimeService.save_account(); "
                "or use a fake backend such as fake_manila",
            )
    kwargs = {k: v for k, v in (("token", token), ("channel", channel), ("instance", instance)) if v}
    try:
        return QiskitRuntimeService(**kwargs).backend(name)
    except Exception as exc:  # noqa: BLE001 - any service failure becomes a user-facing error
        text = f"{type(exc).__name__}: {exc}"
    if token:
        text = text.replace(token, "***")
    # raised outside the except block, so the original exception (which may quote the token)
    # is not kept as __context__ either
    raise HarnessError(
        f"could not reach IBM backend {name!r} ({text})",
        hint="check the backend name, the network and the credentials' channel and instance",
    )


def queue_seconds(job: Any) -> float:
    """Seconds a real job waited in the queue, from the service's timestamps; 0 if unknown.

    REAL HARDWARE PATH: local jobs have no queue.
    """
    from datetime import datetime

    try:
        stamps = job.metrics()["timestamps"]
        created, running = (datetime.fromisoformat(str(stamps[k]).replace("Z", "+00:00"))
                            for k in ("created", "running"))
        return max(0.0, (running - created).total_seconds())
    except Exception:  # noqa: BLE001 - missing or odd timestamps: the queue time is unknown
        return 0.0
