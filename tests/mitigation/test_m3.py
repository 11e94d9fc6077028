"""M3 readout correction (mthree) against known confusion matrices and our tensored inverse."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from qiskit import QuantumCircuit

from harness.mitigation import mitigate
from harness.mitigation.m3 import m3_correct
from harness.mitigation.readout import correct
from harness.mitigation.registry import cost
from harness.records import Metric
from harness.suite.schema import MitigationSettings

A0 = np.array([[0.9, 0.2], [0.1, 0.8]])  # A[measured, prepared]: P(1|0) = 0.1, P(0|1) = 0.2
A1 = np.array([[0.95, 0.05], [0.05, 0.95]])


def test_m3_undoes_a_known_confusion_matrix():
    p = np.kron(A1, A0)[:, 0]  # |00> read through the two channels; index b1 b0
    counts = {format(i, "02b"): int(round(p[i] * 100_000)) for i in range(4)}
    probs, overhead = m3_correct(counts, [A0, A1])
    assert probs == pytest.approx({"00": 1.0}, abs=1e-5)
    assert overhead > 1


def test_m3_agrees_with_the_tensored_inverse_when_every_outcome_is_seen():
    rng = np.random.default_rng(4)
    truth = rng.dirichlet(np.ones(8))
    noisy = np.kron(A0, np.kron(A1, A0)) @ truth
    counts = {format(i, "03b"): int(c) for i, c in enumerate(rng.multinomial(200_000, noisy))}
    ours = correct(counts, [np.linalg.inv(a) for a in (A0, A1, A0)])
    theirs, _ = m3_correct(counts, [A0, A1, A0])
    for key in set(ours) | set(theirs):
        assert theirs.get(key, 0.0) == pytest.approx(ours.get(key, 0.0), abs=2e-3)


def test_m3_is_a_readout_technique_with_measured_calibration():
    with pytest.raises(ValidationError, match="readout and m3"):
        MitigationSettings.model_validate({"readout": True, "m3": True})
    assert cost(MitigationSettings(m3=True), 1, 1000) == cost(MitigationSettings(readout=True), 1, 1000) == (2, 2000)


@pytest.mark.sdk
def test_m3_on_a_fake_backend_recovers_most_of_the_readout_error():
    from harness.executors.runtime import RuntimeDevice
    from harness.mitigation import execute_raw

    qc = QuantumCircuit(3, 3)
    qc.x([0, 2])
    qc.measure(range(3), range(3))

    def score(probs, shots):
        return {"p": Metric(probs.get("101", 0.0), "proportion", n=shots)}

    device = RuntimeDevice("fake_manila", seed_transpiler=1, seed_simulator=3)
    raw = execute_raw(device, qc, 4000, score, MitigationSettings(bootstrap=20), np.random.default_rng(0))
    out = mitigate(device, qc, 4000, score, MitigationSettings(m3=True, bootstrap=20), np.random.default_rng(0))
    assert out.details["m3"]["confusion"] == "measured" and "mthree" in out.details["m3"]["solver"]
    assert out.details["variance_amplification"]["m3"] > 1
    assert 1 - out.metrics["p"].value < (1 - raw.metrics["p"].value) / 2  # most of the readout error removed
    assert out.metrics["p"].stderr is not None and out.metrics["p"].stderr > 0
