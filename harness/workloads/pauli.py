"""Pauli-sum Hamiltonians: exact ground energies, measurement bases, and energies from counts.

A Hamiltonian is a tuple of ``(label, coefficient)`` terms with real coefficients. Labels are
in qiskit's order: the rightmost character acts on qubit 0, so a term's label reads like a
measured bitstring. Terms that act as X, Y or Z on each qubit compatibly (qubit-wise
commuting) share one measurement basis, and one circuit per basis estimates them all.

Example:
    >>> h = (("ZZ", -1.0), ("IX", -0.5), ("XI", -0.5))
    >>> [g.basis for g in measurement_groups(h)]
    ['ZZ', 'XX']
    >>> round(group_moments({"00": 1.0}, measurement_groups(h)[0])[0], 6)
    -1.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = [
    "ExactGround",
    "Hamiltonian",
    "MeasurementGroup",
    "basis_angles",
    "basis_circuit",
    "check_terms",
    "energy_estimate",
    "exact_ground",
    "group_moments",
    "measurement_groups",
    "parametric_basis_circuit",
    "product_state_energy",
    "sparse_matrix",
]

Hamiltonian = tuple[tuple[str, float], ...]
_PAULIS = "IXYZ"


def check_terms(terms: Sequence[Sequence], n: int | None = None) -> Hamiltonian:
    """Validate ``[(label, coeff), ...]``: one label width, letters I/X/Y/Z, real coefficients."""
    out = []
    for i, (label, coeff) in enumerate(terms):
        label = str(label).upper()
        if not label or any(ch not in _PAULIS for ch in label):
            raise ValueError(f"term {i} {label!r}: a Pauli label uses only I, X, Y, Z")
        if n is not None and len(label) != n:
            raise ValueError(f"term {i} {label!r} acts on {len(label)} qubits; expected {n}")
        n = len(label)
        if not math.isfinite(float(coeff)):
            raise ValueError(f"term {i} {label!r}: the coefficient must be a finite real number")
        out.append((label, float(coeff)))
    if not out:
        raise ValueError("the Hamiltonian has no terms")
    return tuple(out)


@dataclass(frozen=True)
class MeasurementGroup:
    """Terms measured together: ``basis[k]`` is the Pauli measured on qubit ``n-1-k`` (qiskit order)."""

    basis: str
    terms: Hamiltonian


def measurement_groups(terms: Hamiltonian) -> tuple[MeasurementGroup, ...]:
    """Qubit-wise commuting groups, greedily in term order; identity terms need no measurement.

    A qubit no term of a group touches is measured in Z. Greedy grouping is not minimal in
    general, but it is deterministic and finds the two bases of TFIM and H2.
    """
    bases: list[list[str]] = []
    members: list[list[tuple[str, float]]] = []
    for label, coeff in terms:
        if set(label) == {"I"}:
            continue
        for basis, group in zip(bases, members):
            if all(p == "I" or b in ("I", p) for p, b in zip(label, basis)):
                for k, p in enumerate(label):
                    if p != "I":
                        basis[k] = p
                group.append((label, coeff))
                break
        else:
            bases.append(list(label))
            members.append([(label, coeff)])
    return tuple(MeasurementGroup("".join(b).replace("I", "Z"), tuple(g)) for b, g in zip(bases, members))


def _support_masks(group: MeasurementGroup) -> tuple[np.ndarray, np.ndarray]:
    n = len(group.basis)
    masks = np.array([sum(1 << (n - 1 - k) for k, p in enumerate(label) if p != "I") for label, _ in group.terms],
                     dtype=np.int64)
    return masks, np.array([c for _, c in group.terms])


def _parity(z: np.ndarray) -> np.ndarray:
    """Bit-count parity of each integer in ``z``."""
    z = z.copy()
    parity = np.zeros(z.shape, dtype=np.int64)
    while np.any(z):
        parity ^= z & 1
        z >>= 1
    return parity


def group_moments(probs: Mapping[str, float], group: MeasurementGroup) -> tuple[float, float]:
    """Mean and variance (per shot) of the group's summed observable under ``probs`` in its basis.

    Each outcome ``b`` gives ``f(b) = sum_t c_t (-1)^(parity of b on t's support)``; the variance
    is that of ``f`` over outcomes, so it includes the covariances of the group's terms.
    """
    keys = list(probs)
    z = np.fromiter((int(k.replace(" ", ""), 2) for k in keys), dtype=np.int64, count=len(keys))
    p = np.fromiter((float(probs[k]) for k in keys), dtype=float, count=len(keys))
    total = p.sum()
    if total <= 0:
        raise ValueError("the distribution to score has no probability")
    p = p / total
    masks, coeffs = _support_masks(group)
    signs = 1 - 2 * _parity(z[:, None] & masks[None, :])
    f = signs @ coeffs
    mean = float(p @ f)
    return mean, max(float(p @ f**2) - mean**2, 0.0)


def energy_estimate(terms: Hamiltonian, groups: Sequence[MeasurementGroup],
                    probs_list: Sequence[Mapping[str, float]], shots: int) -> tuple[float, float]:
    """Energy and its shot-noise standard error from one distribution per group.

    The groups are measured by separate circuits, so their variances add:
    ``stderr = sqrt(sum_g Var_g / shots)``.
    """
    if len(probs_list) != len(groups):
        raise ValueError(f"{len(probs_list)} distributions for {len(groups)} measurement bases")
    constant = sum(c for label, c in terms if set(label) == {"I"})
    energy, var = constant, 0.0
    for probs, group in zip(probs_list, groups):
        mean, v = group_moments(probs, group)
        energy += mean
        var += v
    return energy, math.sqrt(var / shots)


def basis_circuit(ansatz: "QuantumCircuit", basis: str) -> "QuantumCircuit":
    """``ansatz`` followed by the rotation into ``basis`` and a measurement of qubit i into clbit i."""
    from qiskit import ClassicalRegister, QuantumCircuit

    n = ansatz.num_qubits
    c = ClassicalRegister(n, "c")
    circuit = QuantumCircuit(*ansatz.qregs, c, name=f"{ansatz.name}_{basis}")
    circuit.compose(ansatz, inplace=True)
    for q in range(n):
        p = basis[n - 1 - q]
        if p == "X":
            circuit.h(q)
        elif p == "Y":  # S^dagger then H maps the Y eigenbasis onto Z's
            circuit.sdg(q)
            circuit.h(q)
    circuit.measure(range(n), range(n))
    return circuit


def parametric_basis_circuit(ansatz: "QuantumCircuit") -> "QuantumCircuit":
    """``ansatz``, then ``RX(bx[q])`` and ``RY(by[q])`` on every qubit, then a measurement of qubit q into clbit q.

    With :func:`basis_angles` these rotations select any product measurement basis at bind time,
    so every basis of every parameter point of an evaluation is one parameter sweep of one
    circuit: one PUB, one job. (The bound circuits scored at the end use :func:`basis_circuit`.)
    """
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit import ParameterVector

    n = ansatz.num_qubits
    bx, by = ParameterVector("bx", n), ParameterVector("by", n)
    c = ClassicalRegister(n, "c")
    circuit = QuantumCircuit(*ansatz.qregs, c, name=f"{ansatz.name}_basis")
    circuit.compose(ansatz, inplace=True)
    for q in range(n):
        circuit.rx(bx[q], q)
        circuit.ry(by[q], q)
    circuit.measure(range(n), range(n))
    return circuit


def basis_angles(basis: str) -> dict[str, float]:
    """Values of ``bx[q]``, ``by[q]`` that rotate ``basis`` (qiskit label order) onto Z.

    ``RY(-pi/2)`` takes the X axis of the Bloch sphere to Z, ``RX(pi/2)`` takes Y to Z.
    """
    n = len(basis)
    out = {}
    for q in range(n):
        p = basis[n - 1 - q]
        out[f"bx[{q}]"] = math.pi / 2 if p == "Y" else 0.0
        out[f"by[{q}]"] = -math.pi / 2 if p == "X" else 0.0
    return out


_MATS = {
    "I": np.eye(2), "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.array([[1, 0], [0, -1]]),
}


def sparse_matrix(terms: Hamiltonian):
    """The Hamiltonian as a scipy CSR matrix in qiskit's basis order (index bit q = qubit q)."""
    from scipy import sparse

    n = len(terms[0][0])
    total = sparse.csr_matrix((2**n, 2**n), dtype=complex)
    for label, coeff in terms:
        # kron of the leftmost label character first: it is the most significant index bit
        m = sparse.csr_matrix(np.array([[1.0]]))
        for p in label:
            m = sparse.kron(m, sparse.csr_matrix(_MATS[p]), format="csr")
        total = total + coeff * m
    return total


@dataclass(frozen=True)
class ExactGround:
    """The lowest eigenvalue and how it was found (``method``, ``seconds``)."""

    energy: float
    method: str
    seconds: float


def exact_ground(terms: Hamiltonian) -> ExactGround:
    """Ground energy by sparse diagonalisation (ARPACK's Lanczos via ``scipy.sparse.linalg.eigsh``).

    The start vector is fixed so the result does not depend on global random state. One qubit
    (a 2 x 2 matrix, too small for ARPACK) is solved densely.
    """
    from scipy.sparse.linalg import eigsh

    start = time.perf_counter()
    h = sparse_matrix(terms)
    dim = h.shape[0]
    if dim <= 2:
        energy, method = float(np.linalg.eigvalsh(h.toarray())[0]), "dense eigvalsh"
    else:
        v0 = np.random.default_rng(0).standard_normal(dim)
        vals = eigsh(h, k=1, which="SA", v0=v0, tol=1e-12, return_eigenvectors=False)
        energy, method = float(np.real(vals[0])), "scipy.sparse.linalg.eigsh (Lanczos, which='SA')"
    return ExactGround(energy=energy, method=method, seconds=time.perf_counter() - start)


def product_state_energy(terms: Hamiltonian, thetas: np.ndarray) -> float:
    """Energy of the product state ``prod_q RY(theta_q)|0>``: <Z> = cos, <X> = sin, <Y> = 0."""
    n = len(terms[0][0])
    z, x = np.cos(thetas), np.sin(thetas)
    energy = 0.0
    for label, coeff in terms:
        value = coeff
        for k, p in enumerate(label):
            q = n - 1 - k
            value *= {"I": 1.0, "Z": z[q], "X": x[q], "Y": 0.0}[p]
        energy += value
    return float(energy)
