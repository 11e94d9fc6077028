"""The scipy control loop: batched starts, one trace entry per evaluation, best start kept."""

from __future__ import annotations

import numpy as np
import pytest

from harness.workloads.variational import minimize_from_starts


class CountingObjective:
    """A smooth function with two local minima; counts batches and points it was asked for."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        self.batches.append(len(xs))
        x, y = xs[:, 0], xs[:, 1]
        # wells near x = -1 and x = 2, tilted so that the left one is lower
        return (x + 1) ** 2 * (x - 2) ** 2 / 4 + (x + 1) / 3 + (y - 0.5) ** 2


@pytest.mark.parametrize("method", ["COBYLA", "Nelder-Mead", "Powell"])
def test_finds_the_global_minimum_from_several_starts(method):
    f = CountingObjective()
    starts = np.array([[2.5, 0.0], [-1.5, 1.0], [1.8, -0.5]])
    run = minimize_from_starts(f, starts, method=method, maxiter=400, initial_step=0.3, tol=1e-6)
    # the tilted double well has its global minimum in the left well; locate it on a fine grid
    grid = np.linspace(-3, 4, 700_001)
    x_min = grid[np.argmin(CountingObjective()(np.column_stack([grid, np.full_like(grid, 0.5)])))]
    assert -1.1 < x_min < -1.0
    assert run.best == pytest.approx([x_min, 0.5], abs=1e-3)
    assert run.best_value == pytest.approx(min(s["objective"] for s in run.starts))
    assert f.batches[0] == 3 and set(f.batches[1:]) == {1}  # starts swept together, then one point per step
    assert len(run.trace) == sum(f.batches)  # the sweep's values were reused, not sampled again
    assert [t["phase"] for t in run.trace[:3]] == ["sweep"] * 3
    assert {t["start"] for t in run.trace} == {0, 1, 2}


def test_maximize_keeps_the_sign_in_the_trace():
    run = minimize_from_starts(lambda xs: [float(-((x - 1.0) ** 2).sum() + 5) for x in xs], np.array([[0.0]]),
                               method="COBYLA", maxiter=50, initial_step=0.5, tol=1e-6, maximize=True)
    assert run.best == pytest.approx([1.0], abs=1e-3)
    assert run.best_value == pytest.approx(5.0, abs=1e-6)
    assert max(t["objective"] for t in run.trace) == pytest.approx(run.best_value)


def test_budget_and_unknown_method():
    f = CountingObjective()
    run = minimize_from_starts(f, np.array([[3.0, 3.0]]), method="COBYLA", maxiter=10, initial_step=0.3, tol=1e-9)
    assert run.starts[0]["nfev"] <= 10 and len(run.trace) <= 10
    with pytest.raises(ValueError, match="unknown optimizer"):
        minimize_from_starts(f, np.array([[0.0, 0.0]]), method="BFGS", maxiter=5, initial_step=0.1, tol=0.1)
