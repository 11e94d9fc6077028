"""Digital dynamical decoupling with mitiq: pad every idle window with a rule's gate sequence.

mitiq's ``insert_ddd_sequences`` finds, per qubit, the runs of moments where it is idle and fills
each with the rule's sequence (``xx``: X X; ``xyxy``: X Y X Y; ``yy``: Y Y), which compose to the
identity: the ideal output is unchanged, and on hardware the sequence refocuses slow dephasing
and cross-talk while the qubit waits. The sequence is inserted into the transpiled (physical)
circuit, which runs untouched at level 0, so the transpiler cannot remove it.

Idle windows are counted in moments, not nanoseconds (mitiq's model). On a fake backend the Aer
noise model applies relaxation during gates only, so the padding there adds gate error and no
decoupling benefit: the comparison shows that cost honestly rather than a gain it cannot have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.mitigation.base import Context, Technique, Variant

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["DDD", "RULES", "pad"]

RULES = ("xx", "xyxy", "yy")


def pad(circuit: "QuantumCircuit", rule: str) -> "QuantumCircuit":
    """``circuit`` with mitiq's ``rule`` sequence in every idle window."""
    from mitiq.ddd import insert_ddd_sequences, rules

    if rule not in RULES:
        raise ValueError(f"unknown DDD rule {rule!r}; use one of {', '.join(RULES)}")
    return insert_ddd_sequences(circuit, getattr(rules, rule))


class DDD(Technique):
    """Dynamical decoupling (see the module docstring): one padded variant per circuit."""

    name = "ddd"
    field = "ddd"
    level = "distribution"

    def expand(self, circuit: "QuantumCircuit", settings: "MitigationSettings", ctx: Context) -> list[Variant]:
        padded = pad(circuit, settings.ddd.rule)
        info = ctx.info.setdefault(self.name, {"rule": settings.ddd.rule, "inserted_gates": []})
        info["inserted_gates"].append(int(padded.size() - circuit.size()))
        return [(padded, 1.0)]

    def keeps_identity(self, settings: "MitigationSettings") -> bool:
        return False
