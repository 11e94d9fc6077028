"""Layer fidelity and EPLG against the definitions and a case with a known answer.

- Definitions (McKay et al. 2023, qiskit-experiments' ``LayerFidelityAnalysis``): a subsystem of
  ``d = 2^k`` levels with decay ``alpha`` has process fidelity ``(1 + (d^2 - 1) alpha) / d^2``; LF is
  the product over every subsystem of both layers, EPLG = 1 - LF^(1/n_2q).
- Known answer: with a two-qubit depolarising error ``lam`` after every CX and nothing else noisy,
  each pair's ``alpha`` is exactly ``1 - lam`` and each idle qubit's is 1, so on a 4-chain
  LF = (1 - 15 lam / 16)^3 and EPLG = 15 lam / 16.
- qiskit-experiments itself: its ``LayerFidelity`` circuits run on a noisy Aer, its analysis and
  ours on the same counts give the same process fidelities, LF and EPLG.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.aer import AerDevice
from harness.suite.schema import ClassicalSettings
from harness.workloads.layer_fidelity import (LayerFidelity, LFProblem, Subsystem, chain_layers, fit_subsystem,
                                              layer_fidelity)


def _run(circuits, noise_model, shots, seed):
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator(noise_model=noise_model)
    isa = transpile(list(circuits), basis_gates=["cx", "rz", "sx", "x"], optimization_level=0)
    result = sim.run(isa, shots=shots, seed_simulator=seed).result()
    return [result.get_counts(i) for i in range(len(isa))]


def test_the_chain_splits_into_two_disjoint_layers():
    layers = chain_layers(5)
    assert [[s.qubits for s in layer] for layer in layers] == [[(0, 1), (2, 3), (4,)], [(1, 2), (3, 4), (0,)]]
    assert [[s.clbits for s in layer] for layer in layers] == [[(0, 1), (2, 3), (4,)], [(0, 1), (2, 3), (4,)]]
    for layer in layers:  # every qubit in exactly one subsystem per layer
        assert sorted(q for s in layer for q in s.qubits) == list(range(5))


def test_lf_and_eplg_follow_the_definitions():
    out = layer_fidelity([0.99, 0.98, 1.0], [0.001, 0.002, 0.0], 2)
    assert out["lf"] == pytest.approx(0.99 * 0.98)
    assert out["eplg"] == pytest.approx(1 - math.sqrt(0.99 * 0.98))
    assert out["lf_stderr"] == pytest.approx(out["lf"] * math.hypot(0.001 / 0.99, 0.002 / 0.98))
    # d(EPLG)/d(LF) = LF^(1/n - 1) / n
    assert out["eplg_stderr"] == pytest.approx(out["lf"] ** (1 / 2 - 1) / 2 * out["lf_stderr"])
    assert layer_fidelity([0.9], [None], 1)["lf_stderr"] is None


def test_the_fit_recovers_an_exact_decay_and_fixes_an_unresolved_asymptote():
    lengths = [1, 8, 16, 32, 64]
    exact = [0.7 * 0.97**m + 0.27 for m in lengths]
    fit = fit_subsystem(lengths, exact, 4)
    assert fit["asymptote"] == "fitted" and fit["alpha"] == pytest.approx(0.97, abs=1e-7)
    assert fit["B"] == pytest.approx(0.27, abs=1e-6)
    # an idle qubit: survival barely moves, so B is fixed at 1/d and alpha stays near 1
    flat = [0.5 + 0.46 * 0.9999**m for m in lengths]
    fit = fit_subsystem(lengths, flat, 2)
    assert fit["asymptote"] == "1/d" and fit["alpha"] == pytest.approx(0.9999, abs=1e-6)


def test_the_ideal_answer_and_the_ideal_device():
    wl = LayerFidelity()
    problem = wl.build(LayerFidelity.Params(qubits=4, samples=1, shots=100), LayerFidelity.Options(lengths=[1, 3, 6]))
    assert len(problem.circuits) == 2 * 3 and problem.two_qubit_gates == 3
    classical = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0)).metrics
    assert classical["layer_fidelity"].value == 1.0 and classical["eplg"].value == 0.0
    out = wl.quantum(problem, AerDevice(seed_simulator=1), np.random.default_rng(0))
    assert all(set(c) == {"0000"} for c in out.counts_list)  # every ideal sequence inverts
    m = wl.score(problem, [{k: v / 100 for k, v in c.items()} for c in out.counts_list], 100)
    assert m["layer_fidelity"].value == pytest.approx(1.0, abs=1e-9) and m["eplg"].value == pytest.approx(0, abs=1e-9)


@pytest.mark.sdk
def test_a_known_depolarising_cx_gives_eplg_15_lam_over_16():
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    lam = 0.04
    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(lam, 2), ["cx"])
    wl = LayerFidelity()
    problem = wl.build(LayerFidelity.Params(qubits=4, samples=4, shots=4000), LayerFidelity.Options())
    counts = _run(problem.circuits, model, 4000, seed=11)
    m = wl.score(problem, [{k: v / 4000 for k, v in c.items()} for c in counts], 4000)
    eplg, lf = m["eplg"], m["layer_fidelity"]
    assert eplg.value == pytest.approx(15 * lam / 16, abs=4 * eplg.stderr)
    assert lf.value == pytest.approx((1 - 15 * lam / 16) ** 3, abs=4 * lf.stderr)
    assert eplg.stderr < 0.003  # the test has power: 4 sigma is well under the 0.0375 it checks
    fits = wl.fits(problem, [{k: v / 4000 for k, v in c.items()} for c in counts])
    for f in fits:  # idle qubits do not decay at all
        if len(f["qubits"]) == 1:
            assert f["fidelity"] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.sdk
def test_our_analysis_agrees_with_qiskit_experiments_on_its_own_circuits():
    pytest.importorskip("qiskit_experiments")
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, depolarizing_error
    from qiskit_experiments.library.randomized_benchmarking import LayerFidelity as QELayerFidelity

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(4e-3, 1), ["sx", "x"])
    model.add_all_qubit_quantum_error(depolarizing_error(3e-2, 2), ["cx"])
    layers = [[(0, 1), (2, 3)], [(1, 2)]]
    lengths = [1, 4, 8, 16, 32, 64]
    exp = QELayerFidelity(physical_qubits=[0, 1, 2, 3], two_qubit_layers=layers, lengths=lengths, num_samples=3,
                          seed=7, two_qubit_gate="cx", one_qubit_basis_gates=("rz", "sx", "x"),
                          backend=AerSimulator(noise_model=model))
    exp.set_run_options(shots=2000, seed_simulator=5)
    data = exp.run().block_for_results()
    table = data.analysis_results(dataframe=True)
    theirs = {row.name: row.value for row in table.itertuples() if row.name in ("LF", "EPLG")}
    their_pf = {tuple(int(str(c)[1:]) for c in row.components): row.value
                for row in table.itertuples() if row.name == "ProcessFidelity"}

    # the same counts through our analysis: the problem rebuilt from the circuits' metadata
    circuits, probs, c_layers, c_lengths, subsystems = [], [], [], [], {}
    for datum in data.data():
        meta = datum["metadata"]["composite_metadata"][0]
        li = datum["metadata"]["composite_index"][0]
        subsystems[li] = tuple(Subsystem(tuple(q), tuple(c)) for q, c in
                               zip(meta["composite_qubits"], meta["composite_clbits"]))
        c_layers.append(li)
        c_lengths.append(meta["composite_metadata"][0]["xval"])
        total = sum(datum["counts"].values())
        probs.append({k: v / total for k, v in datum["counts"].items()})
        circuits.append(None)
    problem = LFProblem(qubits=4, lengths=tuple(lengths), layers=(subsystems[0], subsystems[1]),
                        circuit_layers=tuple(c_layers), circuit_lengths=tuple(c_lengths), circuits=tuple(circuits),
                        shots=2000)
    wl = LayerFidelity()
    ours = wl.score(problem, probs, 2000)
    for fit in wl.fits(problem, probs):
        if len(fit["qubits"]) == 2:  # pairs decay well within the lengths: the same fit (theirs weighted)
            theirs_pf = their_pf[fit["qubits"]]
            both = math.hypot(fit["fidelity_stderr"], theirs_pf.std_dev)
            assert fit["fidelity"] == pytest.approx(theirs_pf.nominal_value, abs=2 * both)
    for name, ours_name in (("LF", "layer_fidelity"), ("EPLG", "eplg")):
        both = math.hypot(ours[ours_name].stderr, theirs[name].std_dev)
        assert ours[ours_name].value == pytest.approx(theirs[name].nominal_value, abs=2 * both)
    assert theirs["EPLG"].nominal_value == pytest.approx(1 - theirs["LF"].nominal_value ** (1 / 3))


def test_score_needs_one_distribution_per_sequence_and_lengths_are_validated():
    wl = LayerFidelity()
    problem = wl.build(LayerFidelity.Params(qubits=2, samples=1, shots=10), LayerFidelity.Options(lengths=[1, 2, 3]))
    with pytest.raises(UnsupportedError, match="one distribution per sequence"):
        wl.score(problem, {"00": 1.0}, 10)
    with pytest.raises(ValueError, match="at least three distinct lengths"):
        LayerFidelity.Options(lengths=[1, 2, 2])
    # each sequence of length m holds m layers of the pairs' CX (then the inverse Cliffords)
    layer0 = [c for c, li in zip(problem.circuits, problem.circuit_layers) if li == 0]
    assert [c.count_ops().get("cx", 0) for c in layer0] == [1, 2, 3]
