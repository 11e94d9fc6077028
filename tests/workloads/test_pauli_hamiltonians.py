"""Pauli sums and model Hamiltonians against closed forms, dense diagonalisation and statevectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.workloads.hamiltonians import H2_NUCLEAR_REPULSION, H2_TERMS, tfim_periodic_ground, tfim_terms
from harness.workloads.pauli import (
    basis_angles,
    basis_circuit,
    check_terms,
    energy_estimate,
    exact_ground,
    measurement_groups,
    parametric_basis_circuit,
    sparse_matrix,
)


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("field", [0.4, 1.0, 2.5])
def test_periodic_tfim_eigsh_matches_the_free_fermion_solution(n, field):
    assert exact_ground(tfim_terms(n, 1.0, field, "periodic")).energy == pytest.approx(
        tfim_periodic_ground(n, 1.0, field), abs=1e-9)


@pytest.mark.parametrize("n", [4, 6, 10])
def test_critical_periodic_chain_closed_form(n):
    # at h = J the mode sum is 2 J sum |cos(k/2)| = 2 J / sin(pi / 2n)
    assert tfim_periodic_ground(n, 1.0, 1.0) == pytest.approx(-2 / math.sin(math.pi / (2 * n)), rel=1e-12)
    assert exact_ground(tfim_terms(n, 1.0, 1.0, "periodic")).energy == pytest.approx(
        -2 / math.sin(math.pi / (2 * n)), abs=1e-9)


def test_open_chain_limits():
    assert exact_ground(tfim_terms(5, 1.3, 0.0, "open")).energy == pytest.approx(-1.3 * 4)  # ferromagnet
    assert exact_ground(tfim_terms(5, 0.0, 0.7, "open")).energy == pytest.approx(-0.7 * 5)  # paramagnet
    # two sites: -J ZZ - h (X1 + X2) has ground energy -sqrt(J^2 + 4 h^2)
    assert exact_ground(tfim_terms(2, 1.0, 0.8, "open")).energy == pytest.approx(-math.sqrt(1 + 4 * 0.64))


def test_tfim_labels_and_refusals():
    assert tfim_terms(3, 1.0, 0.5, "periodic") == (
        ("IZZ", -1.0), ("ZZI", -1.0), ("ZIZ", -1.0), ("IIX", -0.5), ("IXI", -0.5), ("XII", -0.5))
    with pytest.raises(ValueError, match="at least 3"):
        tfim_terms(2, 1.0, 1.0, "periodic")


def test_h2_exact_energy_at_0735_angstrom():
    electronic = exact_ground(H2_TERMS).energy
    assert electronic == pytest.approx(-1.857275030202, abs=1e-9)  # as published with the coefficients
    assert H2_NUCLEAR_REPULSION == pytest.approx(0.71996899, abs=1e-8)
    total = electronic + H2_NUCLEAR_REPULSION
    assert total == pytest.approx(-1.137306, abs=1e-6)
    assert total == pytest.approx(-1.13728, abs=1e-4)  # "about -1.137 Ha"


def random_terms(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    return check_terms([("".join(rng.choice(list("IXYZ"), n)), float(rng.normal())) for _ in range(k)])


def test_eigsh_agrees_with_dense_diagonalisation_with_y_terms():
    terms = random_terms(4, 12, 1)
    dense = np.linalg.eigvalsh(sparse_matrix(terms).toarray())[0]
    assert exact_ground(terms).energy == pytest.approx(dense, abs=1e-9)


def test_groups_are_qubit_wise_commuting_and_cover_every_term():
    terms = random_terms(4, 15, 2)
    groups = measurement_groups(terms)
    covered = [t for g in groups for t in g.terms]
    assert sorted(covered) == sorted(t for t in terms if set(t[0]) != {"I"})
    for g in groups:
        for label, _ in g.terms:
            assert all(p == "I" or p == b for p, b in zip(label, g.basis))
    assert [g.basis for g in measurement_groups(tfim_terms(4, 1, 1, "open"))] == ["ZZZZ", "XXXX"]
    assert [g.basis for g in measurement_groups(H2_TERMS)] == ["ZZ", "XX"]


def _probs(circuit):
    from qiskit.quantum_info import Statevector

    return Statevector(circuit.remove_final_measurements(inplace=False)).probabilities_dict()


def test_energy_from_basis_distributions_is_the_expectation_value():
    from qiskit.circuit.random import random_circuit
    from qiskit.quantum_info import Statevector

    terms = random_terms(3, 10, 3)
    state = random_circuit(3, 4, seed=5)
    groups = measurement_groups(terms)
    energy, _ = energy_estimate(terms, groups, [_probs(basis_circuit(state, g.basis)) for g in groups], 1000)
    sv = Statevector(state).data
    assert energy == pytest.approx(float(np.real(sv.conj() @ sparse_matrix(terms).toarray() @ sv)), abs=1e-9)


def test_parametric_basis_rotations_measure_the_same_distributions():
    from qiskit.circuit.random import random_circuit

    state = random_circuit(3, 3, seed=8)
    sweep = parametric_basis_circuit(state)
    for basis in ("ZZZ", "XYZ", "YXX", "YYY"):
        bound = sweep.assign_parameters({p: basis_angles(basis)[p.name] for p in sweep.parameters})
        ours, ref = _probs(bound), _probs(basis_circuit(state, basis))
        for k in set(ours) | set(ref):
            assert ours.get(k, 0) == pytest.approx(ref.get(k, 0), abs=1e-9)


def test_shot_noise_stderr_matches_the_spread_of_resampled_energies():
    from qiskit.circuit.random import random_circuit

    terms = tfim_terms(3, 1.0, 0.7, "open")
    groups = measurement_groups(terms)
    state = random_circuit(3, 3, seed=11)
    exact = [_probs(basis_circuit(state, g.basis)) for g in groups]
    shots, rng = 500, np.random.default_rng(0)
    energies, errs = [], []
    for _ in range(400):
        sampled = []
        for p in exact:
            keys = list(p)
            draw = rng.multinomial(shots, np.array([p[k] for k in keys]) / sum(p.values()))
            sampled.append({k: c / shots for k, c in zip(keys, draw) if c})
        e, s = energy_estimate(terms, groups, sampled, shots)
        energies.append(e)
        errs.append(s)
    assert np.mean(errs) == pytest.approx(np.std(energies, ddof=1), rel=0.15)


def test_bad_terms_are_refused():
    with pytest.raises(ValueError, match="I, X, Y, Z"):
        check_terms([("XQ", 1.0)])
    with pytest.raises(ValueError, match="acts on 3"):
        check_terms([("XX", 1.0), ("XXX", 1.0)])
