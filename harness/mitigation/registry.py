"""The techniques, in the order a stack applies them, and what the budget and dry run ask of them.

A stack is every technique its :class:`~harness.suite.schema.MitigationSettings` turns on, always
in :data:`ORDER`: ZNE folds or PEC samples (the points; one of them), then DDD pads each circuit, then twirling draws its
copies, the runtime's own options ride on every job, and readout correction (the tensored inverse or M3: one of them) is applied to every executed circuit's counts.

Adding a technique: write ``harness/mitigation/<name>.py`` with a :class:`Technique` subclass, list
it in :data:`TECHNIQUES` here, and add its settings field to ``MitigationSettings`` in
``harness/suite/schema.py``. Budget, dry run, lineage and the bootstrap then ask it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.mitigation.base import Technique
from harness.mitigation.ddd import DDD
from harness.mitigation.m3 import M3
from harness.mitigation.pec import PEC
from harness.mitigation.raw import Raw
from harness.mitigation.readout import Readout
from harness.mitigation.runtime_options import RuntimeOptions
from harness.mitigation.twirling import Twirling
from harness.mitigation.zne import ZNE

if TYPE_CHECKING:
    from harness.suite.schema import MitigationSettings

__all__ = ["ORDER", "TECHNIQUES", "cost", "stack", "variance_amplification"]

TECHNIQUES: dict[str, Technique] = {t.name: t for t in (Raw(), ZNE(), PEC(), DDD(), Twirling(), RuntimeOptions(),
                                                         Readout(), M3())}
ORDER = ("zne", "pec", "ddd", "twirling", "runtime", "readout", "m3")
"""Application order, outermost first (``raw`` is the empty stack)."""


def stack(settings: "MitigationSettings") -> list[Technique]:
    """The techniques ``settings`` turn on, in :data:`ORDER`; empty for raw."""
    return [TECHNIQUES[name] for name in ORDER if TECHNIQUES[name].enabled(settings)]


def cost(settings: "MitigationSettings", circuits: int, shots: int, *, reuse: bool = True) -> tuple[int, int]:
    """``(circuits, shots)`` the stack executes to mitigate ``circuits`` circuits of ``shots`` shots each.

    With ``reuse`` the caller already holds the circuits' own counts (the hybrid loop's final
    execution), so a stack that runs an unmodified copy does not run it again.
    """
    techniques = stack(settings)
    total_c, total_s = circuits, circuits * shots
    for t in techniques:
        total_c, total_s = t.cost(total_c, total_s, settings, shots)
    if reuse and all(t.keeps_identity(settings) for t in techniques):
        total_c, total_s = total_c - circuits, total_s - circuits * shots
    return max(total_c, 0), max(total_s, 0)


def variance_amplification(settings: "MitigationSettings") -> float | None:
    """Product of the stack's known amplifications (None if one is unknown before a run)."""
    out = 1.0
    for t in stack(settings):
        a = t.variance_amplification(settings)
        if a is None:
            return None
        out *= a
    return out
