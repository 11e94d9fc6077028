"""QUBO and Ising cost functions over bitstrings, and the QAOA circuit of a general Ising cost.

A QUBO ``f(x) = x^T Q x + c^T x + k`` over ``x in {0,1}^n`` becomes an Ising cost
``E(z) = offset + sum_i h_i z_i + sum_(i<j) J_ij z_i z_j`` with ``x_i = (1 - z_i) / 2``, so bit
value 1 is spin -1: the eigenvalue of ``Z_i`` on ``|1>``. Asset/node ``i`` is qubit ``i`` and
classical bit ``i``, so the cost of a measured key is ``table[int(key, 2)]``, as for MaxCut.

The QAOA cost layer ``exp(-i gamma E)`` is ``RZ(2 gamma h_i)`` on each qubit and
``RZZ(2 gamma J_ij)`` on each coupled pair; the mixer is ``RX(2 beta)``. The parameters are named
``gamma[k]`` and ``beta[k]`` like :func:`harness.workloads.maxcut.qaoa_circuit`'s, so
:func:`~harness.workloads.maxcut.parameter_order` applies.

Example:
    >>> q = np.array([[0.0, 1.0], [1.0, 0.0]])  # f = 2 x0 x1
    >>> ising = qubo_to_ising(q, np.zeros(2), 0.0)
    >>> ising.energies().tolist()  # x = 00, 01 (bit 0 set), 10, 11
    [0.0, 0.0, 0.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["Ising", "all_bits", "ising_qaoa_circuit", "qubo_to_ising", "qubo_values"]


def all_bits(n: int) -> np.ndarray:
    """Every assignment as rows of bits: row ``z`` holds bit ``i`` of ``z`` in column ``i``."""
    z = np.arange(2**n, dtype=np.int64)
    return ((z[:, None] >> np.arange(n)) & 1).astype(float)


def qubo_values(q: np.ndarray, c: np.ndarray, k: float, x: np.ndarray) -> np.ndarray:
    """``x^T Q x + c^T x + k`` for each row of ``x`` (vectorised)."""
    return np.einsum("bi,ij,bj->b", x, q, x) + x @ c + k


@dataclass(frozen=True)
class Ising:
    """``E(z) = offset + h . z + sum_(i<j) J_ij z_i z_j``; ``couplings`` is strictly upper triangular."""

    fields: np.ndarray
    couplings: np.ndarray
    offset: float

    @property
    def n(self) -> int:
        return len(self.fields)

    def energies(self) -> np.ndarray:
        """Energy of each of the ``2**n`` assignments, indexed like ``int(key, 2)``."""
        spins = 1.0 - 2.0 * all_bits(self.n)
        return self.offset + spins @ self.fields + np.einsum("bi,ij,bj->b", spins, self.couplings, spins)

    @property
    def scale(self) -> float:
        """Largest coefficient magnitude: the circuit divides by it so that gamma's useful range is O(1)."""
        top = max(np.abs(self.fields).max(initial=0.0), np.abs(self.couplings).max(initial=0.0))
        return float(top) if top > 0 else 1.0


def qubo_to_ising(q: np.ndarray, c: np.ndarray, k: float) -> Ising:
    """The Ising form of ``x^T Q x + c^T x + k`` under ``x = (1 - z) / 2`` (Q need not be symmetric)."""
    q = np.asarray(q, dtype=float)
    sym = (q + q.T) / 2
    c = np.asarray(c, dtype=float) + np.diag(sym)  # x_i^2 = x_i
    off = sym - np.diag(np.diag(sym))
    # x_i x_j = (1 - z_i - z_j + z_i z_j) / 4 for i != j; each unordered pair appears twice in off
    fields = -c / 2 - off.sum(axis=1) / 2
    couplings = np.triu(off, 1) / 2
    offset = float(k + c.sum() / 2 + off.sum() / 4)
    return Ising(fields=fields, couplings=couplings, offset=offset)


def ising_qaoa_circuit(ising: Ising, reps: int, name: str = "qaoa") -> "QuantumCircuit":
    """The measured depth-``reps`` QAOA circuit of ``ising`` (coefficients divided by ``ising.scale``)."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import ParameterVector

    n, s = ising.n, ising.scale
    q, c = QuantumRegister(n, "q"), ClassicalRegister(n, "c")
    gamma, beta = ParameterVector("gamma", reps), ParameterVector("beta", reps)
    circuit = QuantumCircuit(q, c, name=f"{name}_p{reps}")
    circuit.h(q)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if ising.couplings[i, j] != 0]
    for k in range(reps):
        for i, j in pairs:
            circuit.rzz(2 * gamma[k] * ising.couplings[i, j] / s, i, j)
        for i in range(n):
            if ising.fields[i] != 0:
                circuit.rz(2 * gamma[k] * ising.fields[i] / s, i)
        circuit.rx(2 * beta[k], q)
    circuit.measure(q, c)
    return circuit
