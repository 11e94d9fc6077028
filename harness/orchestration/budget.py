"""Budgets per run (shots, circuits, seconds) and the cost estimate behind ``--dry-run``.

A :class:`BudgetMeter` is shared by every device of a run. Before a job is submitted the device
guard asks :meth:`BudgetMeter.charge`; a job that would overspend raises
:class:`~harness.orchestration.retry.BudgetExceeded`, and the tier falls back to a cheaper one
(the classical tier spends no shots). When the seconds are spent, the cases not yet started are
cancelled.

The estimate (:func:`estimate_plans`) is an upper bound read from the suite alone, nothing runs:
a workload may offer ``estimate(params, options) -> {"circuits", "shots"}`` for its hybrid loop;
otherwise a variational loop is bounded by ``starts * (maxiter + 1)`` evaluations when its options
have ``starts`` and ``maxiter``, and any other workload by one circuit of ``params.shots``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from harness.executors.tier import estimate_tier
from harness.orchestration.retry import BudgetExceeded

__all__ = ["Budget", "BudgetMeter", "CostRow", "estimate_plans", "format_estimate"]


@dataclass(frozen=True)
class Budget:
    """Limits of one run; None means unlimited."""

    shots: int | None = None
    circuits: int | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"shots": self.shots, "circuits": self.circuits, "seconds": self.seconds}


@dataclass
class BudgetMeter:
    """What a run has spent against its :class:`Budget`."""

    budget: Budget = field(default_factory=Budget)
    shots: int = 0
    circuits: int = 0
    started: float = field(default_factory=time.monotonic)

    def charge(self, shots: int, circuits: int, where: str = "") -> None:
        """Count a job about to be submitted, or raise BudgetExceeded (nothing is charged then)."""
        b = self.budget
        if b.shots is not None and self.shots + shots > b.shots:
            raise BudgetExceeded(f"{where}: {shots} more shots would exceed the run budget of {b.shots} "
                                 f"({self.shots} spent)")
        if b.circuits is not None and self.circuits + circuits > b.circuits:
            raise BudgetExceeded(f"{where}: {circuits} more circuits would exceed the run budget of "
                                 f"{b.circuits} ({self.circuits} spent)")
        self.shots += shots
        self.circuits += circuits

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def out_of_time(self) -> bool:
        return self.budget.seconds is not None and self.elapsed > self.budget.seconds

    def to_dict(self) -> dict[str, Any]:
        return {"budget": self.budget.to_dict(), "spent": {"shots": self.shots, "circuits": self.circuits,
                                                           "seconds": round(self.elapsed, 3)}}


@dataclass(frozen=True)
class CostRow:
    """What one case would execute on one baseline kind."""

    suite: str
    case_id: str
    baseline: str
    circuits: int
    shots: int
    backend: str


def _loop_cost(plan: Any, params: Any) -> tuple[int, int]:
    """(circuits, shots) of the workload's hybrid loop, an upper bound."""
    wl, options = plan.workload, plan.options
    if hasattr(wl, "estimate"):
        est = wl.estimate(params, options)
        return int(est["circuits"]), int(est["shots"])
    shots = int(getattr(params, "shots", 0) or 0)
    starts, maxiter = getattr(options, "starts", None), getattr(options, "maxiter", None)
    if isinstance(starts, int) and isinstance(maxiter, int):
        per_eval = int(getattr(options, "eval_shots", None) or shots)
        evals = starts * (maxiter + 1)
        return evals, evals * per_eval
    return 1, shots


def _mitigation_cost(settings: Any, shots: int) -> tuple[int, int]:
    """What the mitigation stack adds to the loop's final execution, as its techniques declare it.

    The stack reuses the loop's final counts: raw adds nothing, readout its calibration circuits,
    ZNE its other scales (per final circuit: a multi-circuit workload multiplies it by its bases).
    """
    from harness.mitigation.registry import cost

    return cost(settings, 1, shots, reuse=True)


def estimate_plans(plans: Iterable[Any]) -> list[CostRow]:
    """One :class:`CostRow` per case and baseline kind of the planned suites; nothing is executed."""
    rows: list[CostRow] = []
    for plan in plans:
        b = plan.suite.model.baselines
        for cp in plan.cases:
            ident = dict(suite=plan.suite.name, case_id=cp.case.case_id)
            trials = int(getattr(plan.suite.model, "trials", 1))
            loop_circuits, loop_shots = (trials * x for x in _loop_cost(plan, cp.params))
            shots = int(getattr(cp.params, "shots", 0) or 0)
            for tier, _ in plan.tier_groups:
                for kind, circuits, kind_shots, backend in estimate_tier(
                        tier, getattr(b, tier), loop=(loop_circuits, loop_shots), shots=shots, trials=trials,
                        mitigation_cost=_mitigation_cost):
                    rows.append(CostRow(**ident, baseline=kind, circuits=circuits, shots=kind_shots, backend=backend))
    return rows


def format_estimate(rows: list[CostRow], budget: Budget | None = None) -> str:
    """The dry-run table and totals as text."""
    w = max([19] + [len(r.baseline) for r in rows])  # strategy kinds (hardware.mitigated.<name>) are longer
    lines = [f"{'suite':<16} {'case':<34} {'baseline':<{w}} {'backend':<18} {'circuits':>9} {'shots':>10}"]
    for r in rows:
        lines.append(f"{r.suite[:16]:<16} {r.case_id[:34]:<34} {r.baseline:<{w}} {r.backend[:18]:<18} "
                     f"{r.circuits:>9} {r.shots:>10}")
    cases = len({(r.suite, r.case_id) for r in rows})
    circuits, shots = sum(r.circuits for r in rows), sum(r.shots for r in rows)
    lines.append(f"dry run: {cases} case(s), {len(rows)} result(s), at most {circuits} circuits and {shots} shots; "
                 "nothing was executed")
    if budget is not None:
        over = [f"{name} {spent} > {limit}" for name, spent, limit in
                (("shots", shots, budget.shots), ("circuits", circuits, budget.circuits)) if limit is not None
                and spent > limit]
        if over:
            lines.append("the estimate exceeds the run budget (" + ", ".join(over) + "): tiers will fall back")
    return "\n".join(lines)
