"""A verdict is a value, not an exception: what changed in one metric and how sure we are."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Mapping

__all__ = ["STATUSES", "Verdict"]

Status = Literal["regression", "improvement", "unchanged", "inconclusive", "no_baseline", "fallback", "failed"]
STATUSES: tuple[str, ...] = ("regression", "improvement", "unchanged", "inconclusive", "no_baseline", "fallback",
                             "failed")
"""``no_baseline``: nothing stored to compare with; ``fallback``: another tier produced the result (it is not
judged against the baseline of the tier asked for); ``failed``: the new result has no value for the metric."""


@dataclass(frozen=True)
class Verdict:
    """One metric of one result, judged against its stored baseline.

    ``effect`` is new minus baseline, in the metric's unit; ``ci_low``/``ci_high`` bound it at
    the run's confidence. ``p_value`` is one-sided toward "worse"; ``p_adjusted`` after the
    run-wide correction. ``mde`` is the smallest worsening the samples could have detected.
    ``gate`` is True when this verdict blocks (a regression in a gating metric).
    """

    suite: str
    case_id: str
    baseline: str
    metric: str
    status: Status
    better: str
    tolerance: float
    baseline_value: float | None = None
    new_value: float | None = None
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    test: str = ""
    mde: float | None = None
    gate: bool = False
    note: str = ""
    changed_layer: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.suite, self.case_id, self.baseline, self.metric)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Verdict":
        return cls(**d)
