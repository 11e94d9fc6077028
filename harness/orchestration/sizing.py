"""Precision sized by the harness: each case's shots chosen so every gating metric can decide.

A suite with ``precision: {auto_shots: true}`` asks for it. Before anything runs, the power
planning of :mod:`harness.drift.power` (the one ``harness check`` prints) predicts each gating
metric's minimum detectable effect at the matrix's shots; for every case with an underpowered
metric the shots are raised to the largest number any of its metrics needs:

- against the stored baseline as it is, when tonight's shots alone can reach the tolerance;
- else the number that reaches it once the baseline is re-promoted at the same precision (the
  stored side is too noisy: the note says to re-promote);
- never above ``max_shots``; a metric still underpowered there, or one that shots cannot help
  (the classical heuristic's restarts, a night-to-night spread beyond the tolerance), is named.

Shots are precision, not identity (:data:`harness.suite.cases.PRECISION_KEYS`): a sized case keeps
its id and its stored baseline. Sizing never lowers a suite's declared shots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from harness.drift.power import Prediction
    from harness.orchestration.plan import SuitePlan

__all__ = ["Sizing", "apply_sizing", "size_shots"]


@dataclass(frozen=True)
class Sizing:
    """What sizing chose for one case, and why."""

    suite: str
    case_id: str
    declared: int
    shots: int
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        head = f"{self.suite} {self.case_id}: shots {self.declared} -> {self.shots}"
        return head + "".join(f"\n  {n}" for n in self.notes)


def _needed(q: "Prediction") -> tuple[int | None, str]:
    p = q.planned
    if q.shots is not None:
        return q.shots, ""
    if q.shots_promoted is not None:
        return q.shots_promoted, (f"[{p.baseline}] {p.metric}: reaches its tolerance once the baseline is "
                                  "re-promoted at these shots (the stored one is too noisy)")
    return None, f"[{p.baseline}] {p.metric}: shots cannot fix it ({q.fix or q.basis})"


def size_shots(plans: Sequence["SuitePlan"], predictions: Sequence["Prediction"]
               ) -> tuple[list["SuitePlan"], list[Sizing]]:
    """``plans`` with the shots of every case that asks for sizing raised (see the module docstring)."""
    wanted = {p.suite.name: p.suite.model.precision.max_shots for p in plans if p.suite.model.precision.auto_shots}
    need: dict[tuple[str, str], list[tuple[int | None, str]]] = {}
    for q in predictions:
        p = q.planned
        if p.suite in wanted and q.underpowered and p.kind != "timing":
            need.setdefault((p.suite, p.case_id), []).append(_needed(q))
    sizings = []
    for plan in plans:
        if plan.suite.name not in wanted:
            continue
        cap = wanted[plan.suite.name]
        for cp in plan.cases:
            declared = int(getattr(cp.params, "shots", 0) or 0)
            asks = need.get((plan.suite.name, cp.case.case_id), [])
            if not declared or not asks:
                continue
            shots = max([declared, *(n for n, _ in asks if n is not None)])
            notes = [note for _, note in asks if note]
            if shots > cap:
                notes.append(f"capped at max_shots {cap} (asked {shots}): still underpowered there")
                shots = max(declared, cap)
            sizings.append(Sizing(plan.suite.name, cp.case.case_id, declared, shots, tuple(dict.fromkeys(notes))))
    return apply_sizing(plans, sizings), sizings


def apply_sizing(plans: Sequence["SuitePlan"], sizings: Sequence[Sizing]) -> list["SuitePlan"]:
    """``plans`` with each sized case's shots set (its id, and so its stored baseline, unchanged)."""
    chosen = {(z.suite, z.case_id): z.shots for z in sizings}
    out = []
    for plan in plans:
        cases = []
        for cp in plan.cases:
            shots = chosen.get((plan.suite.name, cp.case.case_id))
            if shots is not None and shots != getattr(cp.params, "shots", None):
                cp = replace(cp, params=cp.params.model_copy(update={"shots": shots}),
                             case=replace(cp.case, params={**cp.case.params, "shots": shots}))
            cases.append(cp)
        out.append(replace(plan, cases=tuple(cases)))
    return out
