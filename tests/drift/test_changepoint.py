"""Change points: a step is located, a flat series has none, the view names the run."""

from __future__ import annotations

import numpy as np
import pytest

from harness.drift.changepoint import change_points, changepoint_view
from harness.records import Metric, Result, Run
from harness.store.history import History


@pytest.mark.parametrize("seed", range(5))
def test_a_step_at_30_is_found_within_two(seed):
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(0.80, 0.01, 30), rng.normal(0.76, 0.01, 30)]  # a 4-sigma drop
    cps = change_points(x)
    assert len(cps) == 1 and abs(cps[0] - 30) <= 2


@pytest.mark.parametrize("seed", range(5))
def test_flat_noisy_series_has_no_change_point(seed):
    rng = np.random.default_rng(100 + seed)
    assert change_points(rng.normal(0.5, 0.02, 60)) == []


def test_a_one_night_spike_is_not_a_shift_and_short_series_give_nothing():
    rng = np.random.default_rng(9)
    x = rng.normal(1.0, 0.01, 60)
    x[25] += 0.2
    assert change_points(x) == []
    assert change_points([1.0, 2.0, 3.0]) == []
    assert change_points([0.7] * 20) == []
    with pytest.raises(ValueError, match="finite"):
        change_points([1.0, float("nan")] * 5)


def test_view_names_the_run_where_the_shift_began(tmp_path):
    h = History(tmp_path / "h.sqlite")
    rng = np.random.default_rng(2)
    for i in range(40):
        level = 0.9 if i < 25 else 0.8
        res = Result("qaoa", "ring-6", "simulator", "simulator", "ok",
                     {"ratio": Metric(float(level + rng.normal(0, 0.01)), "expectation", stderr=0.01)})
        h.append(Run(f"night-{i:03d}", f"2025-02-{1 + i // 24:02d}T{i % 24:02d}:00:00Z", (res,)))
    view = changepoint_view(h, ("qaoa", "ring-6", "simulator", "ratio"))
    assert view["points"] == 40
    (shift,) = view["shifts"]
    assert shift["run_id"] == "night-025" and shift["index"] == 25
    assert shift["change"] == pytest.approx(-0.1, abs=0.015)
    assert changepoint_view(h, ("qaoa", "ring-6", "simulator", "ratio"), limit=20)["shifts"][0]["run_id"] == "night-025"
    assert changepoint_view(h, ("qaoa", "nope", "simulator", "ratio")) == {
        "key": ["qaoa", "nope", "simulator", "ratio"], "points": 0, "shifts": []}


def _shapes(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Noise, and the shapes a single-split statistic misses: a bump, alternating blocks, a ramp, a step."""
    noise = rng.normal(0.5, 0.01, n)
    t = np.arange(n)
    return {
        "flat": noise,
        "step": noise - 0.03 * (t >= n // 3),
        "bump": noise + 0.04 * ((t >= n // 3) & (t < n // 2)),
        "blocks": noise + 0.025 * ((t // max(n // 6, 3)) % 2),
        "ramp": noise + 0.05 * t / n,
        "small_step": noise - 0.012 * (t >= n // 2),
        "spikes": noise + 0.2 * (rng.random(n) < 0.03),
    }


@pytest.mark.parametrize("n", [6, 7, 40, 365])
def test_many_gives_exactly_the_change_points_of_an_unscreened_segmentation(n, monkeypatch):
    """The screen only skips segmentations that would find nothing: results are as without it."""
    import harness.drift.changepoint as cp

    rng = np.random.default_rng(n)
    series = [x for _ in range(6) for x in _shapes(rng, n).values()]
    penalties = [None, 2.0, 8.0]
    screened = {pen: cp.change_points_many(series, penalty=pen) for pen in penalties}
    monkeypatch.setattr(cp, "_cannot_change", lambda signal, pen, min_size: np.zeros(len(signal), bool))
    for pen in penalties:
        assert screened[pen] == cp.change_points_many(series, penalty=pen)
        assert screened[pen] == [change_points(x, penalty=pen) for x in series]
    assert any(screened[None])  # the shapes do shift


def test_the_screen_settles_most_steady_years_without_segmenting():
    from scipy import ndimage

    import harness.drift.changepoint as cp

    rng = np.random.default_rng(3)
    raw = rng.normal(0.8, 0.01, (400, 365))
    scales = cp._noise_scales(raw)
    signal = (ndimage.median_filter(raw, size=(1, 3), mode="nearest") - np.median(raw, axis=1, keepdims=True))
    settled = cp._cannot_change(signal / scales[:, None], cp.PENALTY_FACTOR * np.log(365), cp.MIN_SIZE)
    assert settled.mean() > 0.75  # of 400 flat years (on the report benchmark: 1664 of 1896 steady series)
    assert not cp._cannot_change((np.r_[np.zeros(180), np.full(185, 5.0)] - 2.5)[None, :], 17.7, 3)[0]


def test_many_mixes_lengths_and_needs_ruptures_exactly_when_one_series_would(monkeypatch):
    import sys

    from harness.drift.changepoint import change_points_many
    from harness.errors import UnsupportedError

    rng = np.random.default_rng(11)
    step = np.r_[rng.normal(0.8, 0.01, 30), rng.normal(0.7, 0.01, 30)]
    mixed = [step, [1.0, 2.0], [0.7] * 30, rng.normal(0, 1, 90), step[:45]]
    assert change_points_many(mixed) == [change_points(x) for x in mixed]
    assert change_points_many([]) == []
    with pytest.raises(ValueError, match="finite"):
        change_points_many([step, [1.0, float("inf")] * 5])
    monkeypatch.setitem(sys.modules, "ruptures", None)
    assert change_points_many([[1.0, 2.0], [0.7] * 30]) == [[], []]  # short and constant: nothing to segment
    with pytest.raises(UnsupportedError, match="ruptures"):
        change_points_many([rng.normal(0, 1, 60)])  # steady (the screen would settle it), but asked all the same
