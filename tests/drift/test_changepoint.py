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
