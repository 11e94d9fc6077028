"""Retries that look at the cause: classify a failure, then retry, remediate, fall back or stop.

=============  ======================================================  =====================================
cause          examples                                                what the orchestration does
=============  ======================================================  =====================================
transient      ``TimeoutError``, ``ConnectionError``, runtime service   retry the call with exponential
               errors (``RuntimeJobTimeoutError``, ``IBMApiError``)     backoff, at most ``max_attempts``
malformed      counts of the wrong width or total (:class:`Malformed`)  retry once, then the tier fails
too_deep       job over the device's time limit, "too deep"            re-transpile at optimization level 3
too_wide       "Number of qubits (6) ... greater than maximum (5)"     fall back: no setting makes it fit
unavailable    backend offline, retired or vanished                    fall back
budget         the run's shot or circuit budget is spent               fall back (to a cheaper tier)
user           :class:`~harness.errors.HarnessError`                   never retried: the user must fix it
unknown        anything else (a bug)                                   fail, with where it happened
=============  ======================================================  =====================================

Attempts are always bounded and every one is an event on the :class:`~harness.orchestration.jobs.Job`.
SDK exceptions are recognised by class name along their MRO, so no SDK is imported here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, TypeVar

from harness.errors import HarnessError

__all__ = ["FALLBACK_CAUSES", "BackendUnavailable", "BudgetExceeded", "Cause", "Malformed", "RetryPolicy",
           "TierFailed", "call_with_retries", "classify", "describe", "validate_counts"]

Cause = Literal["transient", "malformed", "too_deep", "too_wide", "unavailable", "budget", "user", "unknown"]

FALLBACK_CAUSES: frozenset[str] = frozenset({"transient", "malformed", "too_deep", "too_wide", "unavailable",
                                             "budget"})
"""Causes after which the next tier of the chain may take over. ``user`` and ``unknown`` never do:
a suite mistake or a bug must not hide behind a fallback result."""

T = TypeVar("T")


class Malformed(RuntimeError):
    """A backend returned counts that cannot be right (wrong bitstring width, wrong total)."""


class BackendUnavailable(RuntimeError):
    """The backend is offline, retired or gone."""


class BudgetExceeded(RuntimeError):
    """The next job would spend more than the run's budget allows."""


class TierFailed(RuntimeError):
    """A tier gave up; ``cause`` says why and ``attempts`` how often it tried."""

    def __init__(self, cause: str, message: str, attempts: int = 1):
        super().__init__(message)
        self.cause = cause
        self.attempts = attempts


_TRANSIENT_NAMES = {"TimeoutError", "ConnectionError", "JobTimeoutError", "RuntimeJobTimeoutError",
                    "RuntimeJobFailureError", "IBMApiError", "IBMBackendApiError", "RequestsApiError",
                    "IBMRuntimeError"}
_TOO_WIDE_NAMES = {"CircuitTooWideForTarget"}
_TOO_DEEP_NAMES = {"RuntimeJobMaxTimeoutError"}
_UNAVAILABLE_NAMES = {"QiskitBackendNotFoundError", "IBMBackendValueError", "RuntimeJobNotFound"}
_TOO_WIDE_TEXT = re.compile(r"number of qubits.*greater than|too (wide|many qubits)|more qubits than", re.I)
_TOO_DEEP_TEXT = re.compile(r"too deep|depth .*exceed|exceed.*(depth|maximum (execution )?time)|too long", re.I)
_UNAVAILABLE_TEXT = re.compile(r"not available|unavailable|offline|under maintenance|retired|no longer exists", re.I)


def classify(exc: BaseException) -> Cause:
    """The cause of a failure (see the module table)."""
    names = {k.__name__ for k in type(exc).__mro__}
    text = str(exc)
    if isinstance(exc, TierFailed):
        return exc.cause  # type: ignore[return-value]
    if isinstance(exc, Malformed):
        return "malformed"
    if isinstance(exc, BudgetExceeded):
        return "budget"
    if isinstance(exc, BackendUnavailable) or names & _UNAVAILABLE_NAMES:
        return "unavailable"
    if names & _TOO_WIDE_NAMES or (("TranspilerError" in names or "QiskitError" in names) and _TOO_WIDE_TEXT.search(text)):
        return "too_wide"
    if names & _TOO_DEEP_NAMES or ("QiskitError" in names and _TOO_DEEP_TEXT.search(text)):
        return "too_deep"
    if isinstance(exc, HarnessError):
        return "user"
    if names & _TRANSIENT_NAMES:
        return "unavailable" if _UNAVAILABLE_TEXT.search(text) else "transient"
    return "unknown"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_attempts: attempts of one call on transient errors (the first one included).
        malformed_attempts: attempts of one call that returns malformed counts.
        base_delay: seconds before the first retry; doubles (``factor``) each time, capped at ``max_delay``.
        remediate_too_deep: re-transpile at optimization level 3 once before giving the tier up.
        sleep: how to wait (tests pass a recorder, so no test sleeps).
    """

    max_attempts: int = 3
    malformed_attempts: int = 2
    base_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 8.0
    remediate_too_deep: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        return min(self.base_delay * self.factor ** (retry - 1), self.max_delay)

    def attempts_for(self, cause: str) -> int:
        return {"transient": self.max_attempts, "malformed": self.malformed_attempts}.get(cause, 1)


def describe(exc: BaseException) -> str:
    """``Type: message at file:line`` of an exception, on one line, for events and result errors
    (a :class:`~harness.errors.HarnessError` is its message alone: it is written for the user)."""
    if isinstance(exc, HarnessError):
        return exc.message
    if isinstance(exc, TierFailed):
        return str(exc)  # described already when it was raised
    if isinstance(exc, (BudgetExceeded, BackendUnavailable, Malformed)):
        return f"{type(exc).__name__}: {exc}"  # our own words: where in our code is not news to the user
    import traceback

    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else None
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}{where}"


def call_with_retries(fn: Callable[[], T], job: Any, policy: RetryPolicy, what: str = "call") -> T:
    """``fn()``, retried as its failure's cause allows; every failure and retry is a job event.

    The job must be ``running``. On success it stays ``running``.

    Raises:
        TierFailed: the cause allows no (more) retries; the job is then ``failed``.
    """
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:  # classified below; nothing is swallowed silently
            cause = classify(exc)
            limit = policy.attempts_for(cause)
            job.to("failed", {"cause": cause, "error": describe(exc), "attempt": attempt, "what": what})
            if attempt >= limit:
                raise TierFailed(cause, describe(exc), attempt) from exc
            wait = policy.delay(attempt) if cause == "transient" else 0.0
            job.to("retried", {"cause": cause, "attempt": attempt + 1, "of": limit, "backoff_s": wait})
            policy.sleep(wait)
            attempt += 1
            job.to("submitted", {"what": what, "attempt": attempt})
            job.to("running")


def validate_counts(counts: Mapping[str, int], width: int, shots: int, where: str = "") -> None:
    """Raise :class:`Malformed` unless ``counts`` has bitstring keys of ``width`` bits summing to ``shots``."""
    bad = [k for k in counts if len(k) != width or set(k) - {"0", "1"}]
    if bad:
        raise Malformed(f"{where}: counts keys {bad[:3]} are not {width}-bit strings")
    if any(int(v) < 0 for v in counts.values()):
        raise Malformed(f"{where}: negative counts")
    total = sum(int(v) for v in counts.values())
    if total != shots:
        raise Malformed(f"{where}: counts total {total}, expected {shots} shots (a partial result)")
