"""The vectorised bootstrap (every resample kept as one matrix) against the per-resample path.

Both paths draw the same resamples from the same generators in the same order, so they must give
the same point estimates exactly and the same bootstrap values to rounding: checked piece by piece
(GHZ's ``score_many`` against ``score``, ``correct_matrix`` against ``correct_many``, ZNE's
``combine_many`` against ``combine``, the mixing of twirled copies) and whole, on a fake backend,
for raw, readout, ZNE, readout + ZNE, DDD and twirling stacks.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.runtime import RuntimeDevice
from harness.mitigation import mitigate
from harness.mitigation import pipeline as pipeline_module
from harness.mitigation.base import Context, HistogramScore, Technique
from harness.mitigation.readout import correct_many, correct_matrix
from harness.mitigation.zne import ZNE
from harness.suite.schema import DDDSettings, MitigationSettings, TwirlingSettings, ZNESettings
from harness.workloads.ghz import GHZ, ghz_circuit

SHOTS = 2000


def _problem(n: int):
    return GHZ().build(GHZ.Params(n=n, shots=SHOTS), GHZ.Options())


def _scores(n: int) -> tuple[HistogramScore, callable]:
    wl, problem = GHZ(), _problem(n)

    def one(probs, shots):
        return wl.score(problem, probs, shots)

    return HistogramScore(one, lambda keys, probs, shots: wl.score_many(problem, keys, probs, shots)), one


def test_ghz_score_many_is_score_of_each_row_with_quasi_probabilities_and_missing_outcomes():
    rng = np.random.default_rng(11)
    wl, problem = GHZ(), _problem(3)
    keys = ["101", "000", "011", "110", "001"]  # "111" never seen: its probability is 0
    probs = rng.dirichlet(np.ones(len(keys)), size=60)
    probs[:10, 2] -= 0.05  # negative quasi-probabilities, as a readout inversion gives
    got = wl.score_many(problem, keys, probs, SHOTS)
    assert set(got) == set(GHZ.metrics)
    for r, row in enumerate(probs):
        want = wl.score(problem, dict(zip(keys, row.tolist())), SHOTS)
        for name, metric in want.items():
            assert got[name][r] == pytest.approx(metric.value, rel=1e-13, abs=1e-15), (name, r)
    assert got["normalized_fidelity"].min() >= 0.0 and got["hellinger_fidelity"].max() <= 1.0


def test_ghz_score_many_refuses_a_row_without_positive_probability_like_score():
    wl, problem = GHZ(), _problem(2)
    with pytest.raises(UnsupportedError, match="no positive probability"):
        wl.score_many(problem, ["00", "11"], np.array([[0.5, 0.5], [-0.1, 0.0]]), SHOTS)


def test_workloads_without_score_many_are_scored_resample_by_resample():
    from harness.workloads.maxcut import MaxCutQAOA
    from harness.workloads.vqe import VQEH2

    assert GHZ.scores_histograms()
    assert not MaxCutQAOA.scores_histograms()  # no score_many written
    assert not VQEH2.scores_histograms()  # multi-circuit: the per-resample path


@pytest.mark.parametrize("entries", [1 << 20, 16])  # one block, and two rows of 2^3 per block
def test_correct_matrix_is_correct_many_as_one_matrix(monkeypatch, entries):
    from harness.mitigation import readout

    monkeypatch.setattr(readout, "_BATCH_ENTRIES", entries)
    rng = np.random.default_rng(3)
    keys = ["111", "000", "101", "001"]
    draws = rng.multinomial(500, [0.46, 0.44, 0.05, 0.05], size=9)
    inverses = []
    for _ in range(3):  # one inverse per row, as the bootstrap of a measured calibration gives
        p10, p01 = rng.uniform(0.01, 0.1, size=(2, 9))
        a = np.stack([np.stack([1 - p10, p01], -1), np.stack([p10, 1 - p01], -1)], -2)
        inverses.append(np.linalg.inv(a))
    names, matrix = correct_matrix(keys, draws, inverses)
    assert names == sorted(names) and matrix.shape == (9, len(names))
    assert (matrix >= 0).all() and np.allclose(matrix.sum(axis=1), 1.0)
    for row, dist in zip(matrix, correct_many(keys, draws, inverses)):
        assert {k: v for k, v in zip(names, row.tolist()) if v > 0} == dist


@pytest.mark.parametrize("method", ["richardson", "linear", "poly", "exponential"])
def test_zne_combine_many_is_combine_of_each_resample(method):
    rng = np.random.default_rng(5)
    settings = MitigationSettings(zne=ZNESettings(scale_factors=[1, 2, 3, 4], extrapolation=method, order=2))
    ctx = Context(device=None, shots=SHOTS, rng=rng, physical=False)
    values = [{"a": 0.9 * 0.93**s + rng.normal(0, 0.005, 40), "b": 0.5 + 0.1 * s + rng.normal(0, 0.01, 40)}
              for s in (1, 2, 3, 4)]
    got = ZNE().combine_many(values, settings, ctx)
    for r in range(40):
        want = ZNE().combine([{k: float(v[k][r]) for k in v} for v in values], settings, ctx)
        for name, w in want.items():
            assert got[name][r] == pytest.approx(w, rel=1e-12, abs=1e-14, nan_ok=True)
    # the default of a technique without its own combine_many is the same loop
    base = Technique.combine_many(ZNE(), values, settings, ctx)
    assert all(np.allclose(base[k], got[k], rtol=1e-12, equal_nan=True) for k in got)


def test_mixing_resample_matrices_is_mixing_their_distributions():
    hists = [(["00", "11"], np.array([[0.6, 0.4], [0.5, 0.5]])),
             (["11", "01"], np.array([[0.7, 0.3], [0.2, 0.8]]))]
    keys, mixed = pipeline_module._mix_many([(0, 0.5), (1, 0.5)], hists)
    for r in range(2):
        want = pipeline_module._mix([(0, 0.5), (1, 0.5)], [dict(zip(k, p[r].tolist())) for k, p in hists])
        assert dict(zip(keys, mixed[r].tolist())) == want
    assert pipeline_module._mix_many([(1, 1.0)], hists) is hists[1]


def _device() -> RuntimeDevice:
    return RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=3, seed_simulator=4)


STACKS = {
    "raw": MitigationSettings(bootstrap=60),
    "readout": MitigationSettings(readout=True, bootstrap=60),
    "zne": MitigationSettings(zne=ZNESettings(scale_factors=[1, 3, 5], extrapolation="richardson"), bootstrap=60),
    "readout+zne": MitigationSettings(readout=True, zne=ZNESettings(scale_factors=[1, 3], extrapolation="linear"),
                                      bootstrap=60),
    "readout+zne(exponential)": MitigationSettings(
        readout=True, zne=ZNESettings(scale_factors=[1, 2, 3], extrapolation="exponential"), bootstrap=40),
    "ddd+twirling+readout": MitigationSettings(ddd=DDDSettings(), twirling=TwirlingSettings(copies=3), readout=True,
                                               bootstrap=40),
}


@pytest.mark.sdk
@pytest.mark.parametrize("name", list(STACKS))
def test_vectorised_bootstrap_gives_the_per_resample_paths_values(monkeypatch, name):
    settings = STACKS[name]
    n = 3
    vectorised, one = _scores(n)
    counts = _device().sample(ghz_circuit(n), SHOTS)  # the hybrid loop's own execution, reused

    def run(score):
        return mitigate(_device(), ghz_circuit(n), SHOTS, score, settings, np.random.default_rng(8), counts=counts)

    calls = []
    real = pipeline_module.bootstrap_draws_many
    monkeypatch.setattr(pipeline_module, "bootstrap_draws_many", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast, slow = run(vectorised), run(one)
    assert calls == [1]  # the HistogramScore took the vectorised path, the plain score did not
    assert list(fast.metrics) == list(slow.metrics)
    for metric in fast.metrics:
        f, s = fast.metrics[metric], slow.metrics[metric]
        # the point estimate is computed the same way (an exponential fit may fail on both: nan)
        assert f.value == s.value or (np.isnan(f.value) and np.isnan(s.value))
        assert f.stderr == pytest.approx(s.stderr, rel=1e-10), metric
        assert f.stderr > 0
    again = run(vectorised)  # same seed, same record
    assert [str((m.value, m.stderr)) for m in again.metrics.values()] == \
        [str((m.value, m.stderr)) for m in fast.metrics.values()]


@pytest.mark.sdk
def test_paired_strategy_draws_are_the_same_on_both_paths():
    n = 3
    vectorised, one = _scores(n)
    counts = _device().sample(ghz_circuit(n), SHOTS)
    settings = STACKS["readout+zne"]

    def run(score):
        return mitigate(_device(), ghz_circuit(n), SHOTS, score, settings, np.random.default_rng(2), counts=counts,
                        pair_seed=99)

    fast, slow = run(vectorised), run(one)
    for metric, kept in slow.details["bootstrap_draws"].items():
        a = np.array(kept.split(), float)
        b = np.array(fast.details["bootstrap_draws"][metric].split(), float)
        assert np.allclose(a, b, rtol=1e-5, atol=1e-6)  # kept to 6 significant digits


@pytest.mark.sdk
@pytest.mark.parametrize("settings", [MitigationSettings(m3=True, bootstrap=20)], ids=["m3"])
def test_a_technique_that_works_resample_by_resample_keeps_the_per_resample_path(monkeypatch, settings):
    pytest.importorskip("mthree")
    vectorised, _ = _scores(3)
    monkeypatch.setattr(pipeline_module, "bootstrap_draws_many",
                        lambda *a, **k: pytest.fail("M3 corrects one histogram at a time"))
    out = mitigate(_device(), ghz_circuit(3), SHOTS, vectorised, settings, np.random.default_rng(1))
    assert out.metrics["success_probability"].stderr > 0


@pytest.mark.sdk
def test_a_vectorised_score_that_disagrees_on_the_metrics_is_refused():
    _, one = _scores(3)
    wrong = HistogramScore(one, lambda keys, probs, shots: {"success_probability": probs.sum(axis=1)})
    with pytest.raises(ValueError, match="vectorised score"):
        mitigate(_device(), ghz_circuit(3), SHOTS, wrong, MitigationSettings(bootstrap=20), np.random.default_rng(1))
