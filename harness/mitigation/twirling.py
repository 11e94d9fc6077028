"""Pauli twirling of two-qubit gates with qiskit: random Pauli frames, averaged.

``qiskit.circuit.pauli_twirl_2q_gates`` wraps every CX/CZ/ECR/iSwap of the transpiled circuit in
a random pair of Paulis and their compensating pair, so each copy is the same unitary (up to a
global phase) while the gates' coherent errors average into a Pauli (stochastic) channel: the
noise model ZNE's extrapolation and PEC assume. The copies share the circuit's shots (each runs
``ceil(shots / copies)``) and their distributions are averaged, so twirling costs circuits, not
shots. (mitiq 1.1's ``mitiq.pt`` twirls only CNOT and CZ through cirq; the transpiled circuits
here use the device's native gates, which qiskit's function supports directly.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from harness.mitigation.base import Context, Technique, Variant

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["Twirling", "twirl"]


def twirl(circuit: "QuantumCircuit", copies: int, seed: int) -> list["QuantumCircuit"]:
    """``copies`` independently twirled copies of ``circuit``."""
    from qiskit.circuit import pauli_twirl_2q_gates

    out = pauli_twirl_2q_gates(circuit, seed=seed, num_twirls=copies)
    return list(out) if isinstance(out, list) else [out]


class Twirling(Technique):
    """Pauli twirling (see the module docstring): ``copies`` variants of equal weight."""

    name = "twirling"
    field = "twirling"
    level = "distribution"

    def expand(self, circuit: "QuantumCircuit", settings: "MitigationSettings", ctx: Context) -> list[Variant]:
        copies = settings.twirling.copies
        seed = int(ctx.rng.integers(2**31))
        info = ctx.info.setdefault(self.name, {"copies": copies, "seeds": []})
        info["seeds"].append(seed)
        return [(c, 1.0 / copies) for c in twirl(circuit, copies, seed)]

    def shots_per_variant(self, shots: int, settings: "MitigationSettings") -> int:
        return math.ceil(int(shots) / settings.twirling.copies)

    def cost(self, circuits: int, shots: int, settings: "MitigationSettings", base_shots: int) -> tuple[int, int]:
        copies = settings.twirling.copies
        per = math.ceil(shots / max(circuits, 1) / copies)
        return circuits * copies, circuits * copies * per

    def keeps_identity(self, settings: "MitigationSettings") -> bool:
        return False
