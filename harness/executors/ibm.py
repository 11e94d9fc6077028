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
    _check_settings(channel, instance)
    kwargs = {k: v for k, v in (("token", token), ("channel", channel), ("instance", instance)) if v}
    offline = malformed = None
    try:
        return QiskitRuntimeService(**kwargs).backend(name)
    except Exception as exc:  # noqa: BLE001 - any service failure becomes a user-facing error
        text = f"{type(exc).__name__}: {exc}"
        offline = _network_failure(exc)
        malformed = isinstance(exc, (AttributeError, TypeError, KeyError))
    if token:
        text = text.replace(token, "***")
    # raised outside the except block, so the original exception (which may quote the token)
    # is not kept as __context__ either
    if offline is not None:
        raise HarnessError(
            f"backend '{IBM_PREFIX}{name}': the IBM Quantum service cannot be reached ({offline}); this machine "
            "looks offline, and the credentials were not checked",
            hint="connect to the network (or the proxy), or use a fake backend such as fake_manila",
        )
    if malformed:
        raise HarnessError(
            f"backend '{IBM_PREFIX}{name}': the IBM Quantum account settings were not understood ({text})",
            hint="check QISKIT_IBM_INSTANCE (an instance CRN or name) and QISKIT_IBM_CHANNEL, or the saved account",
        )
    raise HarnessError(
        f"could not reach IBM backend {name!r} ({text})",
        hint="check the backend name, the network and the credentials' channel and instance",
    )


CHANNELS = ("ibm_cloud", "ibm_quantum_platform")
"""The channels ``QiskitRuntimeService`` accepts."""


def _check_settings(channel: str | None, instance: str | None) -> None:
    """Refuse a malformed channel or instance here, with the variable's name, not deep in the service."""
    if channel is not None and channel not in CHANNELS:
        raise HarnessError(f"QISKIT_IBM_CHANNEL={channel!r} is not a channel the IBM service knows",
                           hint=f"use one of: {', '.join(CHANNELS)}, or unset it")
    if instance is not None and (instance != instance.strip() or not all(c.isprintable() for c in instance)):
        raise HarnessError(f"QISKIT_IBM_INSTANCE={instance!r} is not an instance (a CRN such as "
                           "crn:v1:bluemix:public:quantum-computing:... or an instance name)",
                           hint="copy the instance's CRN from the IBM Quantum dashboard, or unset it")


def _network_failure(exc: BaseException) -> str | None:
    """What network failure lies under ``exc`` (the service wraps it as a bad token), or None."""
    seen, found = set(), None
    while exc is not None and id(exc) not in seen:  # the deepest cause names the failure best
        seen.add(id(exc))
        kind = type(exc).__name__
        if kind in ("gaierror", "NameResolutionError"):
            return "the service's host name does not resolve"
        if kind in ("ConnectionError", "MaxRetryError", "ConnectTimeout", "ConnectionRefusedError",
                    "TimeoutError", "ProxyError"):
            found = "no connection to the service"
        exc = exc.__cause__ or exc.__context__
    return found


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
