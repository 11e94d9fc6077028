"""Post a gate's outcome to a webhook (``--webhook URL`` or ``QHARNESS_WEBHOOK_URL``): one JSON POST.

The body (:func:`webhook_payload`) is the outcome and the PR-comment Markdown, nothing else: no
lineage, no environment. Secrets never leave: the value of every variable in
:data:`SECRET_VARIABLES` is replaced by ``***`` in every string of the body before it is sent (a
result's error message could quote one), and the URL itself (webhook URLs carry their own token)
is shown only as scheme and host in a warning. A failed post is a warning, never an exit code.

Body (``schema`` 1)::

    {"schema": 1, "text": "<Markdown>", "run_id": "...", "exit_code": 1, "status": "regression",
     "passed": false, "headline": "...", "reasons": ["..."], "counts": {"regression": 1, ...},
     "report_url": "https://..." | null}

``text`` is what chat webhooks (Slack, Mattermost, Teams' incoming hooks) show.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from harness.drift.outcome import GateOutcome, as_outcome
from harness.drift.verdict import Verdict
from harness.records import Run
from harness.report.markdown import Stored, render_comment

__all__ = ["SECRET_VARIABLES", "WEBHOOK_SCHEMA", "post_webhook", "redact", "webhook_payload"]

WEBHOOK_SCHEMA = 1
SECRET_VARIABLES = ("QISKIT_IBM_TOKEN", "QISKIT_IBM_API_KEY", "IBM_CLOUD_API_KEY")
"""Environment variables whose values are never sent (the IBM Quantum credentials)."""


def webhook_payload(run: Run, judged: GateOutcome | Iterable[Verdict], stored: Stored | None = None,
                    report_url: str | None = None) -> dict[str, Any]:
    """The JSON body: the outcome's verdict, reasons and counts, and the PR comment as ``text``."""
    outcome = as_outcome(run, judged)
    return {
        "schema": WEBHOOK_SCHEMA, "text": render_comment(run, outcome, stored, report_url), "run_id": run.run_id,
        "exit_code": outcome.code, "status": outcome.status, "passed": outcome.passed,
        "headline": outcome.headline(), "reasons": list(outcome.reasons), "counts": dict(outcome.counts),
        "report_url": report_url,
    }


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every occurrence of each secret in its strings (keys too) replaced by ``***``."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return value

    def clean(x: Any) -> Any:
        if isinstance(x, str):
            for s in secrets:
                x = x.replace(s, "***")
            return x
        if isinstance(x, Mapping):
            return {clean(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return clean(value)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}/…" \
        if parts.scheme else "the webhook"


def post_webhook(url: str, payload: Mapping[str, Any], *, timeout: float = 10.0,
                 environ: Mapping[str, str] | None = None) -> str | None:
    """POST ``payload`` as JSON to ``url``; None when it was accepted (2xx), else a one-line warning.

    Never raises for a network, HTTP or address problem: the caller prints the warning and keeps its
    exit code. ``environ`` (default ``os.environ``) gives the secrets to redact.
    """
    env = os.environ if environ is None else environ
    secrets = [env.get(name, "") for name in SECRET_VARIABLES]
    where = _where(url)
    if urlsplit(url).scheme not in ("http", "https"):
        return f"webhook not posted: {where} is not an http(s) address"
    body = json.dumps(redact(dict(payload), secrets), allow_nan=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "qharness"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        return f"webhook not posted: {where} answered HTTP {e.code} {e.reason}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        return redact(f"webhook not posted: {where} unreachable ({reason})", [*secrets, url])
    if not 200 <= status < 300:
        return f"webhook not posted: {where} answered HTTP {status}"
    return None
