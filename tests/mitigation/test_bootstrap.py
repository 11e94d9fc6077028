"""The batched bootstrap: resamples drawn as a matrix, corrected as a matrix, scored one by one.

Checked against the row-at-a-time definitions (and mitiq's full inverse matrix), against the
multinomial's moments, and against the standard errors that binomial statistics predict for a
raw proportion and for its Richardson extrapolation.
"""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
from qiskit import QuantumCircuit

from harness.executors.runtime import RuntimeDevice
from harness.mitigation import bootstrap_stderr, mitigate, probabilities, probabilities_many, resample_many
from harness.mitigation import readout
from harness.mitigation.readout import correct, correct_many, project_to_simplex
from harness.records import Metric
from harness.suite.schema import MitigationSettings, ZNESettings


def _confusions(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    mats = []
    for _ in range(n):
        p10, p01 = rng.uniform(0.01, 0.12, size=2)
        mats.append(np.array([[1 - p10, p01], [p10, 1 - p01]]))
    return mats


def test_resample_many_is_a_seeded_multinomial_with_the_same_shots():
    counts = {"00": 600, "11": 300, "01": 100}
    keys, draws = resample_many(counts, 20000, np.random.default_rng(5))
    assert keys == ["00", "11", "01"] and draws.shape == (20000, 3)
    assert (draws.sum(axis=1) == 1000).all()
    p = np.array([0.6, 0.3, 0.1])
    assert draws.mean(axis=0) == pytest.approx(1000 * p, rel=0.01)
    expected_cov = 1000 * (np.diag(p) - np.outer(p, p))  # the multinomial covariance
    assert np.allclose(np.cov(draws.T), expected_cov, rtol=0.05, atol=2.0)
    again = resample_many(counts, 20000, np.random.default_rng(5))[1]
    assert np.array_equal(draws, again)


def test_probabilities_many_is_probabilities_of_each_row():
    rng = np.random.default_rng(2)
    keys = ["110", "000", "111", "010"]
    draws = rng.multinomial(50, [0.5, 0.3, 0.15, 0.05], size=40)
    draws[3, 2] = 0
    for row, got in zip(draws, probabilities_many(keys, draws)):
        want = probabilities({k: int(c) for k, c in zip(keys, row)})
        assert got == want and list(got) == list(want)  # same values, same keys in the same order


def test_correct_many_matches_mitiqs_full_inverse_row_by_row(monkeypatch):
    from mitiq.rem.inverse_confusion_matrix import generate_tensored_inverse_confusion_matrix

    rng = np.random.default_rng(3)
    n = 3
    mats = _confusions(rng, n)
    keys = ["111", "000", "101", "001", "110"]  # a subset, in no particular order
    draws = rng.multinomial(2000, [0.45, 0.4, 0.05, 0.06, 0.04], size=25)
    got = correct_many(keys, draws, [np.linalg.inv(m) for m in mats])
    full = generate_tensored_inverse_confusion_matrix(n, mats[::-1])  # clbit 0 is the last factor
    for row, dist in zip(draws, got):
        vec = np.zeros(2**n)
        vec[[int(k, 2) for k in keys]] = row / row.sum()
        want = project_to_simplex(full @ vec)
        assert np.allclose([dist.get(format(i, "03b"), 0.0) for i in range(2**n)], want, atol=1e-12)
        assert all(p > 0 for p in dist.values()) and sum(dist.values()) == pytest.approx(1.0)
        assert dist == pytest.approx(correct({k: int(c) for k, c in zip(keys, row)}, [np.linalg.inv(m) for m in mats]))
    monkeypatch.setattr(readout, "_BATCH_ENTRIES", 16)  # two rows of 2^3 per batch: the same answer in pieces
    pieces = correct_many(keys, draws, [np.linalg.inv(m) for m in mats])
    assert all(a == pytest.approx(b, abs=1e-15) for a, b in zip(pieces, got))


def test_simplex_projection_of_a_matrix_is_the_projection_of_each_row():
    rng = np.random.default_rng(4)
    quasi = rng.normal(0.25, 0.2, (30, 4))
    rows = project_to_simplex(quasi)
    assert np.allclose(rows.sum(axis=1), 1.0) and (rows >= 0).all()
    for q, r in zip(quasi, rows):
        assert np.array_equal(r, project_to_simplex(q))
        # optimality (KKT): one shift theta, kept entries are q - theta, dropped ones have q <= theta
        kept = r > 0
        theta = (q - r)[kept]
        assert np.allclose(theta, theta[0]) and (q[~kept] <= theta[0] + 1e-12).all()


def test_bootstrap_of_a_proportion_is_binomial_and_seeded():
    counts = [{"0": 3000, "1": 1000}]
    estimate = lambda dists: {"p": dists[0].get("0", 0.0)}  # noqa: E731
    se = bootstrap_stderr(estimate, counts, 2000, np.random.default_rng(0))["p"]
    assert se == pytest.approx(np.sqrt(0.75 * 0.25 / 4000), rel=0.06)
    assert bootstrap_stderr(estimate, counts, 2000, np.random.default_rng(0))["p"] == se
    # an identity "readout correction" changes nothing but the path the resamples take
    ident = [np.eye(2)]
    corrected = bootstrap_stderr(estimate, counts, 2000, np.random.default_rng(0),
                                 lambda i, keys, draws: correct_many(keys, draws, ident))["p"]
    assert corrected == pytest.approx(se, rel=1e-9)
    assert bootstrap_stderr(lambda d: {"p": float("nan")}, counts, 50, np.random.default_rng(0)) == {"p": None}


def _device() -> RuntimeDevice:
    """A fresh device: its job seeds count up, so the same seed needs the same job number."""
    return RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=3, seed_simulator=4)


def _ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


@pytest.mark.sdk
def test_zne_bootstrap_matches_binomial_error_propagation_and_scores_plain_dicts():
    """Richardson at scales 1, 3, 5 is sum(w * p_scale) over independent runs: its variance is
    sum(w^2 p (1 - p) / shots). The workload's score still gets one plain dict per resample."""
    shots, seen = 4000, []

    def score(probs, n_shots):
        seen.append(type(probs))
        p = probs.get("000", 0.0) + probs.get("111", 0.0)
        return {"success_probability": Metric(p, "proportion", n=n_shots)}

    settings = MitigationSettings(bootstrap=400, zne=ZNESettings(scale_factors=[1, 3, 5]))
    out = mitigate(_device(), _ghz(3), shots, score, settings, np.random.default_rng(0))
    p = np.array(out.details["zne"]["values"]["success_probability"])
    w = np.array([15, -10, 3]) / 8  # Richardson weights at 1, 3, 5
    predicted = np.sqrt(np.sum(w**2 * p * (1 - p) / shots))
    assert out.metrics["success_probability"].stderr == pytest.approx(predicted, rel=0.15)
    assert set(seen) == {dict} and len(seen) >= 3 * 400
    again = mitigate(_device(), _ghz(3), shots, score, settings, np.random.default_rng(0))
    assert again.metrics == out.metrics  # seeded: the same standard error to the last bit


@pytest.mark.sdk
def test_readout_bootstrap_is_seeded_and_amplifies_shot_noise():
    def score(probs, n_shots):
        p = probs.get("000", 0.0) + probs.get("111", 0.0)
        return {"success_probability": Metric(p, "proportion", n=n_shots)}

    rem = [mitigate(_device(), _ghz(3), 4000, score, MitigationSettings(readout=True, bootstrap=300),
                    np.random.default_rng(1)) for _ in range(2)]
    raw = mitigate(_device(), _ghz(3), 4000, score, MitigationSettings(bootstrap=300), np.random.default_rng(1))
    assert rem[0].metrics == rem[1].metrics
    m, r = rem[0].metrics["success_probability"], raw.metrics["success_probability"]
    # inverting the confusion matrices amplifies shot noise: well above a plain proportion's error at that value
    assert m.stderr > 2 * np.sqrt(m.value * (1 - m.value) / 4000)
    assert r.stderr == pytest.approx(np.sqrt(r.value * (1 - r.value) / 4000), rel=0.15)
