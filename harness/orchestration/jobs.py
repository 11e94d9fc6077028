"""The life of a job as data: its states, the transitions allowed between them, and its events.

A :class:`Job` follows one tier group of one case (the classical result, the simulator result, or
the hardware raw + mitigated pair) from ``queued`` to a final state. Every transition is appended
to ``Job.events`` as ``{"state", "at", "tier", "detail"}`` and ends up in the run record
(``Result.events``), so a reader sees what was retried, what fell back and why::

    queued -> submitted -> running -> completed
                              |
                              +-> failed -> retried -> submitted -> ...     (transient error, remediation)
                                     |
                                     +-> fallen_back -> submitted -> ...    (next tier of the chain)

Any non-final state may also go to ``cancelled`` (run budget exhausted). A transition the table
does not list raises :class:`TransitionError`: the orchestration has a bug, not the user.

Example:
    >>> job = Job("ghz n=3 [simulator]", tier="simulator")
    >>> job.to("submitted", "aer_automatic"); job.to("running"); job.to("completed")
    >>> [e["state"] for e in job.events]
    ['queued', 'submitted', 'running', 'completed']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Mapping

__all__ = ["FINAL_STATES", "STATES", "TRANSITIONS", "Job", "JobState", "TransitionError", "utc_now"]

JobState = Literal["queued", "submitted", "running", "completed", "failed", "retried", "fallen_back", "cancelled"]
STATES: tuple[str, ...] = ("queued", "submitted", "running", "completed", "failed", "retried", "fallen_back",
                           "cancelled")

TRANSITIONS: Mapping[str, frozenset[str]] = {
    "queued": frozenset({"submitted", "failed", "fallen_back", "cancelled"}),
    "submitted": frozenset({"running", "completed", "failed", "cancelled"}),
    "running": frozenset({"completed", "failed", "cancelled"}),
    # a failure is final unless the cause allows another attempt or another tier
    "failed": frozenset({"retried", "fallen_back"}),
    "retried": frozenset({"submitted", "failed", "cancelled"}),
    "fallen_back": frozenset({"submitted", "failed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
"""``state -> states it may move to``. ``completed`` and ``cancelled`` lead nowhere."""

FINAL_STATES: tuple[str, ...] = ("completed", "failed", "cancelled")
"""States a job may end in (``failed`` only when nothing retried it or took it over)."""


class TransitionError(RuntimeError):
    """A transition the table does not allow: an orchestration bug, never a user error."""


def utc_now() -> str:
    """The current time as an ISO 8601 UTC timestamp with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Job:
    """One tier group of one case, moving through :data:`STATES`.

    Attributes:
        name: what it runs, for messages (``"ghz n=3 [hardware]"``).
        tier: the tier currently running it; changes on fallback.
        state: the current state.
        events: every transition so far, the first one ``queued``.
        attempts: submissions so far (first attempt, retries, fallbacks).
    """

    name: str
    tier: str
    state: str = "queued"
    events: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0

    def __post_init__(self) -> None:
        if self.state != "queued" or self.events:
            raise TransitionError(f"{self.name}: a job starts queued with no events")
        self.events.append(self._event("queued", None))

    def _event(self, state: str, detail: Any) -> dict[str, Any]:
        return {"state": state, "at": utc_now(), "tier": self.tier, "detail": detail}

    def to(self, state: str, detail: Any = None, *, tier: str | None = None) -> None:
        """Move to ``state`` and record the event; ``tier`` changes the running tier (on fallback).

        Raises:
            TransitionError: ``state`` is unknown or not reachable from the current state.
        """
        if state not in TRANSITIONS:
            raise TransitionError(f"{self.name}: unknown job state {state!r}; use one of {STATES}")
        if state not in TRANSITIONS[self.state]:
            allowed = sorted(TRANSITIONS[self.state]) or "nothing (final)"
            raise TransitionError(f"{self.name}: cannot go from {self.state!r} to {state!r}; allowed: {allowed}")
        if tier is not None:
            self.tier = tier
        if state == "submitted":
            self.attempts += 1
        self.state = state
        self.events.append(self._event(state, detail))

    @property
    def final(self) -> bool:
        """True in ``completed`` or ``cancelled`` (``failed`` may still be retried or taken over)."""
        return not TRANSITIONS[self.state]

    def history(self) -> tuple[dict[str, Any], ...]:
        """A copy of the events, for ``Result.events``."""
        return tuple(dict(e) for e in self.events)
