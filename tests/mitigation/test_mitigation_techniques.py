"""Mitigation: raw, readout (REM) and ZNE on a fake backend, against known physics."""

from __future__ import annotations

import json
from functools import reduce

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.aer import AerDevice, two_qubit_gate_count
from harness.executors.runtime import RuntimeDevice
from harness.mitigation import MitigationOutcome, mitigate
from harness.mitigation.readout import correct, project_to_simplex
from harness.mitigation.zne import extrapolate, fold
from harness.records import Metric
from harness.suite.schema import MitigationSettings, ReadoutSettings, ZNESettings
from harness.workloads.ghz import ghz_circuit as ghz

SHOTS = 4000


def ghz_score(probs, shots):
    """GHZ success probability: the ideal state gives only all-zeros and all-ones (value 1)."""
    n = len(next(iter(probs)))
    p = probs.get("0" * n, 0.0) + probs.get("1" * n, 0.0)
    return {"success_probability": Metric(p, kind="proportion", n=shots)}


def device() -> RuntimeDevice:
    return RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=3, seed_simulator=4)


def run(settings: MitigationSettings, seed: int = 0) -> MitigationOutcome:
    return mitigate(device(), ghz(3), SHOTS, ghz_score, settings, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def raw() -> MitigationOutcome:
    return run(MitigationSettings(bootstrap=100))


@pytest.mark.sdk
def test_raw_is_one_execution_with_bootstrap_stderr(raw):
    m = raw.metrics["success_probability"]
    assert m.kind == "proportion" and m.n == SHOTS
    assert 0.6 < m.value < 0.97  # noisy, but a GHZ state
    # the bootstrap of a proportion reproduces the binomial standard error within ~20 %
    assert m.stderr == pytest.approx(np.sqrt(m.value * (1 - m.value) / SHOTS), rel=0.25)
    assert raw.resources["circuits"] == 1 and raw.resources["extra_shots"] == 0
    assert raw.details["technique"] == "raw" and raw.details["stack"] == []
    json.dumps(raw.details)


@pytest.mark.sdk
def test_readout_mitigation_moves_ghz_toward_one(raw):
    rem = run(MitigationSettings(readout=True, bootstrap=100))
    r, m = raw.metrics["success_probability"], rem.metrics["success_probability"]
    assert m.kind == "proportion" and m.n == SHOTS
    assert m.value <= 1.0 + 1e-9
    assert m.value - r.value > 4 * np.hypot(r.stderr, m.stderr)
    assert rem.details["stack"] == ["readout"] and rem.details["readout"]["confusion"] == "measured"
    # the two calibration circuits (all |0>, all |1>) are the only extra circuits, in the same job
    assert rem.resources["extra_circuits"] == 2 and rem.resources["jobs"] == 1


@pytest.mark.sdk
def test_zne_extrapolates_toward_the_ideal_and_scales_two_qubit_gates(raw):
    out = run(MitigationSettings(zne=ZNESettings(scale_factors=[1, 3, 5]), bootstrap=100))
    z = out.details["zne"]
    per_scale = z["values"]["success_probability"]
    assert z["two_qubit_gates"] == [2, 6, 10]  # global folding: exactly 1x, 3x, 5x
    assert per_scale[0] == pytest.approx(raw.metrics["success_probability"].value)  # same circuit, same seed
    assert per_scale[0] > per_scale[1] > per_scale[2]  # more noise, lower success
    value = out.metrics["success_probability"].value
    assert abs(1.0 - value) < abs(1.0 - per_scale[0])
    assert out.resources == {"circuits": 3, "shots": 3 * SHOTS, "jobs": 1,
                             "extra_circuits": 2, "extra_shots": 2 * SHOTS}
    assert out.metrics["success_probability"].stderr > raw.metrics["success_probability"].stderr
    json.dumps(out.details)


@pytest.mark.sdk
def test_zne_with_readout_and_random_folding_runs_and_records_settings():
    settings = MitigationSettings(readout=True, bootstrap=30,
                                  zne=ZNESettings(scale_factors=[1, 2, 3], extrapolation="linear",
                                                  folding="gates_at_random"))
    out = run(settings, seed=1)
    z = out.details["zne"]
    assert z["extrapolation"] == "linear" and z["folding"] == "gates_at_random"
    assert z["two_qubit_gates"][0] < z["two_qubit_gates"][1] < z["two_qubit_gates"][2]
    assert 0.9 < out.metrics["success_probability"].value < 1.1


@pytest.mark.sdk
def test_an_optimising_transpile_would_cancel_the_folds():
    # why folds are run at level 0: level 1 turns U U^-1 U back into U
    dev = device()
    folded = fold(ghz(3), 3, "global", np.random.default_rng(0))
    assert two_qubit_gate_count(folded) == 6
    assert two_qubit_gate_count(dev.transpile(folded)) == 2
    assert two_qubit_gate_count(dev.translate_physical(fold(dev.transpile(ghz(3)), 3, "global",
                                                            np.random.default_rng(0)))) == 6


def test_richardson_and_linear_recover_the_intercept_of_exact_data():
    scales = [1.0, 3.0, 5.0]
    assert extrapolate(scales, [0.9 - 0.05 * s for s in scales], "richardson") == pytest.approx(0.9)
    assert extrapolate(scales, [0.9 - 0.05 * s for s in scales], "linear") == pytest.approx(0.9)
    # Richardson with three points is exact for quadratics too
    assert extrapolate(scales, [0.8 - 0.02 * s + 0.003 * s * s for s in scales], "richardson") == pytest.approx(0.8)


def test_readout_correction_matches_mitiq_tensored_inverse():
    from mitiq.rem.inverse_confusion_matrix import generate_tensored_inverse_confusion_matrix

    rng = np.random.default_rng(7)
    mats = []
    for _ in range(3):
        p10, p01 = rng.uniform(0.01, 0.1, size=2)
        mats.append(np.array([[1 - p10, p01], [p10, 1 - p01]]))
    true = np.array([0.5, 0, 0, 0, 0, 0, 0, 0.5])  # GHZ, index = int(key, 2)
    # apply readout noise: key character k is clbit n-1-k, so the kron runs from clbit n-1 down
    noisy = reduce(np.kron, mats[::-1]) @ true
    counts = {format(i, "03b"): int(round(p * 1e6)) for i, p in enumerate(noisy)}
    got = correct(counts, [np.linalg.inv(m) for m in mats])
    assert got["000"] == pytest.approx(0.5, abs=1e-5) and got["111"] == pytest.approx(0.5, abs=1e-5)
    inv = generate_tensored_inverse_confusion_matrix(3, mats[::-1])
    expected = project_to_simplex(inv @ (noisy / noisy.sum()))
    assert np.allclose([got.get(format(i, "03b"), 0.0) for i in range(8)], expected, atol=1e-6)


def test_simplex_projection_is_the_nearest_distribution():
    from mitiq.rem.inverse_confusion_matrix import closest_positive_distribution

    quasi = np.array([0.62, -0.05, 0.3, 0.13])
    ours = project_to_simplex(quasi)
    assert ours.sum() == pytest.approx(1.0) and (ours >= 0).all()
    assert np.allclose(ours, closest_positive_distribution(quasi), atol=1e-4)
    assert np.allclose(project_to_simplex(np.array([0.2, 0.8])), [0.2, 0.8])


@pytest.mark.sdk
def test_the_readout_model_needs_a_calibrated_device():
    with pytest.raises(UnsupportedError, match="readout"):
        mitigate(AerDevice(seed_simulator=0), ghz(2), 100, ghz_score,
                 MitigationSettings(readout=ReadoutSettings(confusion="model")), np.random.default_rng(0))


@pytest.mark.sdk
def test_measured_readout_on_an_ideal_device_measures_no_error_and_changes_nothing():
    out = mitigate(AerDevice(seed_simulator=0), ghz(2), 1000, ghz_score,
                   MitigationSettings(readout=True, bootstrap=20), np.random.default_rng(0))
    info = out.details["readout"]
    assert info["p_meas1_prep0"] == [0.0, 0.0] and info["p_meas0_prep1"] == [0.0, 0.0]
    assert out.metrics["success_probability"].value == pytest.approx(1.0)
    assert out.details["variance_amplification"]["readout"] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["richardson", "linear"])
def test_extrapolation_by_weights_equals_mitiqs_fit(method):
    import warnings

    from mitiq.zne.inference import LinearFactory, RichardsonFactory

    from harness.mitigation.zne import extrapolate

    factory = RichardsonFactory if method == "richardson" else LinearFactory
    rng = np.random.default_rng(4)
    for scales in ([1.0, 3.0, 5.0], [1.0, 2.0], [1.0, 1.5, 2.0, 3.0]):
        values = rng.uniform(0.2, 0.9, len(scales))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = factory.extrapolate(scales, list(values))
        assert extrapolate(scales, values, method) == pytest.approx(expected, abs=1e-12)
