"""Quantum volume and randomized benchmarking against independent references.

- QV: heavy outputs as Cross et al. (2019) and qiskit-experiments define them (ideal probability
  above the median); an ideal device's HOP equals each instance's exact value and, over many
  circuits, approaches (1 + ln 2) / 2 = 0.8466 (Porter-Thomas).
- RB: a depolarising channel of parameter lam after every Clifford gives survival
  (1 - 1/d)(1 - lam)^(m+1) + 1/d exactly, so the fit must return p = 1 - lam and
  EPC = lam (d - 1) / d.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.aer import AerDevice
from harness.suite.schema import ClassicalSettings
from harness.workloads.quantum_volume import (ASYMPTOTIC_HOP, QuantumVolume, heavy_outputs, hop_shot_stderr,
                                             hop_summary)
from harness.workloads.rb import RandomizedBenchmarking, fit_decay


def test_heavy_outputs_are_above_the_median():
    heavy, median = heavy_outputs({"00": 0.4, "01": 0.3, "10": 0.2, "11": 0.1})
    assert median == pytest.approx(0.25) and heavy == {"00", "01"}
    h, sigma, lower = hop_summary([0.8, 0.9])
    assert h == pytest.approx(0.85) and sigma == pytest.approx(math.sqrt(0.85 * 0.15 / 2))
    assert lower == pytest.approx(h - 2 * sigma)


def test_ideal_qv_matches_each_instance_and_the_asymptotic_value():
    wl = QuantumVolume()
    problem = wl.build(QuantumVolume.Params(width=4, circuits=20, shots=4000), QuantumVolume.Options())
    exact = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0)).metrics["heavy_output_probability"]
    out = wl.quantum(problem, AerDevice(seed_simulator=3), np.random.default_rng(0))
    probs = [{k: v / out.shots for k, v in c.items()} for c in out.counts_list]
    sampled = wl.score(problem, probs, out.shots)
    # the sampled ideal HOP equals the exact one within shot noise (20 x 4000 shots)
    assert abs(sampled["heavy_output_probability"].value - exact.value) < 4 * math.sqrt(0.25 / (20 * 4000))
    assert sampled["hop_lower_bound"].value > 2 / 3  # a perfect device passes width 4


def test_ideal_hop_approaches_the_porter_thomas_value():
    wl = QuantumVolume()
    problem = wl.build(QuantumVolume.Params(width=8, circuits=40, shots=1), QuantumVolume.Options())
    out = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0))
    hops = out.metrics["heavy_output_probability"]
    # finite width 8: the mean over 40 instances lies within a few hundredths of 0.8466
    assert abs(hops.value - ASYMPTOTIC_HOP) < 0.02
    assert hops.samples == ()  # per-circuit values are not repeats for drift to test on
    spread = np.std(out.info["hops"])
    assert abs(hops.value - ASYMPTOTIC_HOP) < 4 * spread / math.sqrt(40) + 0.005


def test_qv_stderr_is_the_shot_noise_of_fixed_circuits():
    """A rerun redraws shots, not circuits: the stated errors match the spread of simulated reruns."""
    wl = QuantumVolume()
    problem = wl.build(QuantumVolume.Params(width=3, circuits=10, shots=500), QuantumVolume.Options())
    exact = [sum(p for k, p in ideal.items() if k in heavy) for ideal, heavy in zip(problem.ideal, problem.heavy)]
    rng = np.random.default_rng(7)
    hs, lows = [], []
    for _ in range(3000):  # each circuit's heavy count is binomial(shots, its exact HOP)
        hops = rng.binomial(500, np.clip(exact, 0, 1)) / 500
        h, _, lower = hop_summary(hops)
        hs.append(h)
        lows.append(lower)
    se_h, se_lower = hop_shot_stderr(exact, 500)
    assert np.std(hs) == pytest.approx(se_h, rel=0.06)
    assert np.std(lows) == pytest.approx(se_lower, rel=0.06)
    # and it is far below Cross et al.'s circuit-sampling sigma, which sets only the pass bound
    assert se_h < hop_summary(exact)[1] / 3
    classical = wl.classical(problem, ClassicalSettings(), rng).metrics
    assert classical["heavy_output_probability"].stderr == 0.0  # exact values of fixed circuits


def test_qv_score_needs_one_distribution_per_circuit():
    wl = QuantumVolume()
    problem = wl.build(QuantumVolume.Params(width=2, circuits=2, shots=10), QuantumVolume.Options())
    with pytest.raises(UnsupportedError, match="one distribution per model circuit"):
        wl.score(problem, {"00": 1.0}, 10)


class _DepolarisedCliffords:
    """A device applying a depolarising channel of parameter ``lam`` after every Clifford of a circuit
    (Aer's density-matrix simulator, the channel inserted explicitly; nothing else is noisy)."""

    name = "depolarised"

    def __init__(self, lam: float, seed: int):
        from qiskit_aer.noise import depolarizing_error

        self.channels = {1: depolarizing_error(lam, 1), 2: depolarizing_error(lam, 2)}
        self.seed = seed

    def sample_batch(self, circuits, shots):
        from qiskit import QuantumCircuit
        from qiskit.circuit.library import UnitaryGate
        from qiskit.quantum_info import Operator
        from qiskit_aer import AerSimulator

        runs = []
        for c in circuits:
            out = QuantumCircuit(*c.qregs, *c.cregs)
            for inst in c.data:
                if inst.operation.name == "clifford":
                    out.append(UnitaryGate(Operator(inst.operation)), inst.qubits)
                    out.append(self.channels[len(inst.qubits)].to_instruction(), inst.qubits)
                else:
                    out.append(inst)
            runs.append(out)
        result = AerSimulator(method="density_matrix").run(runs, shots=shots, seed_simulator=self.seed).result()
        return [result.get_counts(i) for i in range(len(runs))]


@pytest.mark.parametrize("qubits,lam", [(1, 0.02), (2, 0.03)])
def test_rb_recovers_a_known_depolarising_channel(qubits, lam):
    wl = RandomizedBenchmarking()
    problem = wl.build(RandomizedBenchmarking.Params(qubits=qubits, sequences=4, shots=4000),
                       RandomizedBenchmarking.Options(lengths=[1, 5, 10, 20, 40]))
    out = wl.quantum(problem, _DepolarisedCliffords(lam, seed=qubits), np.random.default_rng(0))
    probs = [{k: v / out.shots for k, v in c.items()} for c in out.counts_list]
    m = wl.score(problem, probs, out.shots)
    d = 2**qubits
    assert m["alpha"].value == pytest.approx(1 - lam, abs=max(4 * m["alpha"].stderr, 2e-3))
    assert m["epc"].value == pytest.approx(lam * (d - 1) / d, abs=max(4 * m["epc"].stderr, 2e-3))


def test_rb_fit_of_the_exact_decay_and_the_ideal_device():
    lengths, lam, d = [1, 10, 30, 60], 0.01, 2
    survival = [(1 - 1 / d) * (1 - lam) ** (m + 1) + 1 / d for m in lengths]
    fit = fit_decay(lengths, survival, d)
    assert fit["p"] == pytest.approx(1 - lam, abs=1e-6) and fit["epc"] == pytest.approx(lam / 2, abs=1e-6)
    wl = RandomizedBenchmarking()
    problem = wl.build(RandomizedBenchmarking.Params(qubits=1, sequences=2, shots=200),
                       RandomizedBenchmarking.Options(lengths=[1, 5, 10]))
    assert wl.classical(problem, ClassicalSettings(), np.random.default_rng(0)).metrics["epc"].value == 0.0
    out = wl.quantum(problem, AerDevice(seed_simulator=1), np.random.default_rng(0))
    assert all(set(c) == {"0"} for c in out.counts_list)  # every ideal sequence inverts
    ideal = wl.score(problem, [{k: v / out.shots for k, v in c.items()} for c in out.counts_list], out.shots)
    # survival 1 at every length: the same fit on every rerun, so no error (not the pinned fit's covariance)
    assert ideal["epc"].value == pytest.approx(0.0, abs=1e-9) and ideal["epc"].stderr == 0.0


def test_rb_lengths_are_validated():
    with pytest.raises(ValueError, match="at least three distinct lengths"):
        RandomizedBenchmarking.Options(lengths=[1, 1, 2])
