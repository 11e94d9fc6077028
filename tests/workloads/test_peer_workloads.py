"""SupermarQ and MQT Bench circuits as workloads: an ideal device reaches their ideal scores."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.aer import AerDevice
from harness.suite.schema import ClassicalSettings
from harness.workloads.peers import MQTBench, SupermarQ

pytest.importorskip("supermarq")
pytest.importorskip("mqt.bench")


@pytest.mark.parametrize("name,n,floor", [("GHZ", 4, 1.0), ("MerminBell", 3, 1.0), ("BitCode", 3, 1.0),
                                               ("HamiltonianSimulation", 4, 0.98)])
def test_supermarq_benchmarks_score_their_ideal_value_on_the_ideal_simulator(name, n, floor):
    wl = SupermarQ()
    problem = wl.build(SupermarQ.Params(benchmark=name, num_qubits=n, shots=4000), SupermarQ.Options())
    ideal = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0)).metrics["score"].value
    assert ideal >= floor - 1e-6
    out = wl.quantum(problem, AerDevice(seed_simulator=2), np.random.default_rng(0))
    score = wl.score(problem, {k: v / out.shots for k, v in out.counts.items()}, out.shots)["score"]
    assert abs(score.value - ideal) < 4 * score.stderr + 0.01
    assert out.info["source"] == "supermarq"


def test_supermarq_score_reads_big_endian_keys():
    """Mermin-Bell is order-sensitive: scoring qiskit keys unreversed would give 0.5, not 1."""
    wl = SupermarQ()
    problem = wl.build(SupermarQ.Params(benchmark="MerminBell", num_qubits=3, shots=4000), SupermarQ.Options())
    out = wl.quantum(problem, AerDevice(seed_simulator=4), np.random.default_rng(0))
    probs = {k: v / out.shots for k, v in out.counts.items()}
    assert wl.score(problem, probs, out.shots)["score"].value > 0.95
    assert problem.benchmark.score(probs) < 0.7  # the package's own convention, fed qiskit's order


@pytest.mark.parametrize("name", ["ghz", "dj", "wstate"])
def test_mqt_bench_circuits_reach_fidelity_one_on_the_ideal_simulator(name):
    wl = MQTBench()
    problem = wl.build(MQTBench.Params(benchmark=name, circuit_size=4, shots=4000), MQTBench.Options())
    assert wl.classical(problem, ClassicalSettings(), np.random.default_rng(0)).metrics[
        "hellinger_fidelity"].value == pytest.approx(1.0)
    out = wl.quantum(problem, AerDevice(seed_simulator=3), np.random.default_rng(0))
    fid = wl.score(problem, {k: v / out.shots for k, v in out.counts.items()}, out.shots)["hellinger_fidelity"]
    assert fid.value > 0.98


def test_mqt_bench_unknown_or_parametric_benchmarks_are_refused():
    wl = MQTBench()
    with pytest.raises(UnsupportedError, match="unknown benchmark"):
        wl.build(MQTBench.Params(benchmark="nope", circuit_size=3, shots=10), MQTBench.Options())
