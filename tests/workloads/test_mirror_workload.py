"""Mirror circuits: the known bitstring, success 1 on an ideal simulator, polarization, no cancellation."""

from __future__ import annotations

import numpy as np
import pytest

from harness.executors.aer import two_qubit_gate_count
from harness.suite.schema import ClassicalSettings
from harness.workloads.mirror import Mirror, polarization

from ..fake_device import FakeDevice, ideal


def build(width, depth, seed=0, **opts):
    return Mirror().build(Mirror.Params(width=width, depth=depth, circuit_seed=seed, shots=500), Mirror.Options(**opts))


@pytest.mark.parametrize("width, depth, seed", [(1, 3, 0), (3, 4, 0), (4, 5, 1), (6, 3, 2)])
def test_the_ideal_output_is_the_propagated_bitstring(width, depth, seed):
    from qiskit.quantum_info import Statevector

    p = build(width, depth, seed)
    assert "1" in p.target and len(p.target) == width
    probs = Statevector(p.circuit.remove_final_measurements(inplace=False)).probabilities_dict()
    assert probs[p.target] == pytest.approx(1.0, abs=1e-9)
    out = Mirror().quantum(p, FakeDevice(ideal, seed=1), np.random.default_rng(0))
    assert out.counts == {p.target: 500}
    m = Mirror().score(p, {k: v / 500 for k, v in out.counts.items()}, 500)
    assert {k: v.value for k, v in m.items()} == {"success_probability": 1.0, "hellinger_fidelity": 1.0,
                                                  "polarization": 1.0}


def test_the_circuit_is_fixed_by_the_case():
    a, b, c = build(3, 4, 0), build(3, 4, 0), build(3, 4, 1)
    assert a.circuit == b.circuit and a.target == b.target
    assert a.circuit != c.circuit
    assert set(a.paulis) <= set("XYZ")  # no identity in the middle layer


def test_classical_baseline_is_the_exact_bitstring():
    p = build(4, 3)
    out = Mirror().classical(p, ClassicalSettings(), np.random.default_rng(0))
    assert out.info["target"] == p.target and out.metrics["success_probability"].value == 1.0
    assert out.info["seconds"]["exact"] >= 0


def test_polarization_maps_uniform_noise_to_zero():
    target = "1010"
    uniform = {format(z, "04b"): 1 / 16 for z in range(16)}
    assert polarization(uniform, target, 1000)[0] == pytest.approx(0.0, abs=1e-12)
    assert polarization({target: 1.0}, target, 1000) == (1.0, 0.0)
    # one bit flipped with probability e: S = 1 - e - e/2 = 1 - 1.5 e
    e = 0.2
    s = 1 - 1.5 * e
    got = polarization({target: 1 - e, "1011": e}, target, 1000)[0]
    assert got == pytest.approx((s - 4**-4) / (1 - 4**-4))


@pytest.mark.sdk
def test_level_one_transpilation_keeps_every_two_qubit_gate():
    from harness.executors.runtime import RuntimeDevice

    p = build(4, 6)
    dev = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=1, seed_simulator=1)
    assert two_qubit_gate_count(dev.transpile(p.circuit)) == two_qubit_gate_count(p.circuit) == 2 * 9


def test_barriers_option_fences_layers():
    p = build(3, 4, barriers=True)
    assert sum(1 for i in p.circuit.data if i.operation.name == "barrier") == 2 * 4 + 1  # after each forward and inverse layer, and the Pauli layer
    assert p.target == build(3, 4).target  # same random draws, same ideal output


def test_the_fast_score_equals_the_general_hellinger_fidelity_and_polarization():
    from harness.workloads.ghz import hellinger_fidelity

    wl = Mirror()
    problem = wl.build(Mirror.Params(width=3, depth=2, shots=100), Mirror.Options())
    rng = np.random.default_rng(3)
    raw = rng.random(8) - 0.1  # a mitigated quasi-distribution: some entries negative
    probs = {format(i, "03b"): float(v) for i, v in enumerate(raw)}
    m = wl.score(problem, probs, 100)
    fid, err = hellinger_fidelity(probs, {problem.target: 1.0}, 100)
    assert m["hellinger_fidelity"].value == pytest.approx(fid) and m["hellinger_fidelity"].stderr == pytest.approx(err)
    clipped = {k: max(v, 0.0) for k, v in probs.items()}
    assert m["success_probability"].value == pytest.approx(clipped[problem.target] / sum(clipped.values()))
    assert m["polarization"].value == pytest.approx(polarization(probs, problem.target, 100)[0])
