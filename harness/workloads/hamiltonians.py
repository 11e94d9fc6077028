"""Model Hamiltonians with known answers: the transverse-field Ising chain and H2 in STO-3G.

Example:
    >>> tfim_terms(3, 1.0, 0.5, "open")[0]
    ('IZZ', -1.0)
    >>> round(tfim_periodic_ground(4, 1.0, 1.0), 6)  # critical chain: -2 J / sin(pi / 2n)
    -5.226252
"""

from __future__ import annotations

import math

import numpy as np

from harness.workloads.pauli import Hamiltonian

__all__ = ["H2_BOND_LENGTH", "H2_NUCLEAR_REPULSION", "H2_TERMS", "tfim_periodic_ground", "tfim_terms"]


def tfim_terms(n: int, coupling: float, field: float, boundary: str) -> Hamiltonian:
    """``H = -J sum_<ij> Z_i Z_j - h sum_i X_i`` on a chain of ``n`` qubits (qiskit label order).

    ``boundary`` is "open" (bonds i, i+1) or "periodic" (also the bond n-1, 0; needs n >= 3 so
    that no bond is counted twice).
    """
    if boundary not in ("open", "periodic"):
        raise ValueError(f"boundary {boundary!r}: use 'open' or 'periodic'")
    if boundary == "periodic" and n < 3:
        raise ValueError("a periodic chain needs at least 3 sites (with 2 the bond would repeat)")
    bonds = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if boundary == "periodic" else [])

    def label(paulis: dict[int, str]) -> str:
        return "".join(paulis.get(q, "I") for q in range(n - 1, -1, -1))

    terms = [(label({a: "Z", b: "Z"}), -float(coupling)) for a, b in bonds]
    terms += [(label({q: "X"}), -float(field)) for q in range(n)]
    return tuple(terms)


def tfim_periodic_ground(n: int, coupling: float, field: float) -> float:
    """Exact ground energy of the periodic chain from its free-fermion solution (Pfeuty 1970).

    After Jordan-Wigner, the ferromagnetic chain's ground state lies in the even-parity sector,
    whose momenta are ``k = (2m + 1) pi / n``; each mode contributes ``-eps_k`` with
    ``eps_k = sqrt(J^2 + h^2 - 2 J h cos k)``, so ``E0 = -sum_k eps_k`` (valid for J >= 0).
    """
    if coupling < 0:
        raise ValueError("the closed form here is for the ferromagnetic chain (J >= 0)")
    k = (2 * np.arange(n) + 1) * math.pi / n
    return float(-np.sum(np.sqrt(coupling**2 + field**2 - 2 * coupling * field * np.cos(k))))


# H2 in the STO-3G basis at a bond length of 0.735 Angstrom, parity mapping with the two-qubit
# reduction: the coefficients published with Qiskit's VQE tutorials and in the qiskit-algorithms
# test suite (qiskit-community/qiskit-algorithms, test/eigensolvers/test_numpy_eigensolver.py,
# H2_SPARSE_PAULI), which quote an electronic ground energy of -1.857275030202 Ha.
H2_BOND_LENGTH = 0.735
"""Angstrom."""
H2_TERMS: Hamiltonian = (
    ("II", -1.052373245772859),
    ("IZ", 0.39793742484318045),
    ("ZI", -0.39793742484318045),
    ("ZZ", -0.01128010425623538),
    ("XX", 0.18093119978423156),
)
"""Electronic Hamiltonian (Hartree)."""
H2_NUCLEAR_REPULSION = 0.529177210903 / H2_BOND_LENGTH
"""1/R in Hartree with R in Bohr (CODATA 2018 Bohr radius, 0.529177210903 Angstrom): 0.71997 Ha."""
