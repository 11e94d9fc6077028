"""The classical half of a variational loop: scipy.optimize.minimize from several starts on a sampled objective.

The objective is evaluated in batches (``evaluate(xs) -> values``), so the initial points go to
the device as one parameter sweep; after that each optimizer step is one evaluation. Every
evaluation lands in the trace, in the order it happened.

Example:
    >>> f = lambda xs: [-float(((x - 1.0) ** 2).sum()) for x in xs]
    >>> run = minimize_from_starts(f, np.array([[0.0], [3.0]]), method="COBYLA", maxiter=80,
    ...                            initial_step=0.5, tol=1e-4, maximize=True)
    >>> round(float(run.best[0]), 2)
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["EVALUATIONS", "Optimisation", "evaluation_mode", "minimize_from_starts", "objective_distributions"]

Evaluate = Callable[[np.ndarray], Sequence[float]]

EVALUATIONS = ("auto", "exact", "shots")
"""How a loop evaluates its objective: ``exact`` output distributions (an ideal device's
statevector, the Estimator's exact expectation), ``shots`` (sampled counts), or ``auto``: exact
where the device offers it (the ideal simulator), sampled otherwise (noisy and real hardware)."""


def evaluation_mode(evaluation: str, device: Any) -> str:
    """``"exact"`` or ``"shots"``: what ``evaluation`` means on ``device``.

    Raises:
        UnsupportedError: ``exact`` was asked of a device that can only sample.
    """
    from harness.errors import UnsupportedError
    from harness.executors.base import ExactDistributions, supports

    exact = supports(device, ExactDistributions)
    if evaluation == "exact" and not exact:
        raise UnsupportedError(f"evaluation: exact needs an ideal simulator; {getattr(device, 'name', device)} "
                               "only samples", hint="use evaluation: auto (exact where possible, shots elsewhere)")
    if evaluation not in EVALUATIONS:
        raise UnsupportedError(f"evaluation {evaluation!r} is not one of {EVALUATIONS}", hint="use auto")
    return "exact" if exact and evaluation != "shots" else "shots"


def objective_distributions(device: Any, mode: str, circuit: Any, shots: int,
                            parameter_sets: Sequence[Sequence[float]]) -> list[Mapping[str, float]]:
    """One distribution per parameter set: exact probabilities, or the counts of one sampled job."""
    if mode == "exact":
        return device.probabilities(circuit, parameter_sets=parameter_sets)
    return [dict(c) for c in device.sample(circuit, shots, parameter_sets=parameter_sets)]


@dataclass(frozen=True)
class Optimisation:
    """The best point over all starts, one trace entry per evaluation, and a summary per start."""

    best: np.ndarray
    best_value: float
    trace: tuple[Mapping[str, Any], ...]
    starts: tuple[Mapping[str, Any], ...]


def _method_options(method: str, n: int, maxiter: int, initial_step: float, tol: float, x0: np.ndarray) -> dict:
    if method == "COBYLA":
        return {"maxiter": maxiter, "rhobeg": initial_step, "tol": tol}
    if method == "Nelder-Mead":
        simplex = np.vstack([x0, x0 + initial_step * np.eye(n)])
        # a sampled objective never settles within fatol, so only the simplex size decides convergence
        return {"maxiter": maxiter, "maxfev": maxiter, "initial_simplex": simplex, "xatol": tol, "fatol": np.inf}
    if method == "L-BFGS-B":
        # finite-difference gradients: only for an exact objective (shot noise swamps the differences)
        return {"maxfun": maxiter, "maxiter": maxiter, "eps": 1e-6}
    if method == "Powell":
        return {"maxiter": maxiter, "maxfev": maxiter, "direc": initial_step * np.eye(n), "xtol": tol}
    raise ValueError(f"unknown optimizer {method!r}; use COBYLA, Nelder-Mead, Powell or L-BFGS-B")


def minimize_from_starts(
    evaluate: Evaluate,
    starts: np.ndarray,
    *,
    method: str,
    maxiter: int,
    initial_step: float,
    tol: float,
    maximize: bool = False,
) -> Optimisation:
    """Optimise from each row of ``starts``; keep the start whose optimizer reported the best value.

    Args:
        evaluate: objective over a batch of points (rows); one device job per call.
        starts: initial points, shape (starts, parameters); evaluated together first.
        method: "COBYLA", "Nelder-Mead", "Powell" or "L-BFGS-B" (exact objectives only).
        maxiter: evaluation budget per start (COBYLA's maxiter; maxiter and maxfev, or maxfun, otherwise).
        initial_step: first step size in the parameters' units.
        tol: final step size at which the optimizer stops.
        maximize: the objective is to be maximised (the trace keeps its sign as given).

    The trace's ``objective`` is the value as ``evaluate`` returned it; ``phase`` is
    ``"sweep"`` for the batched initial points and ``"step"`` for the optimizer's own calls.
    """
    from scipy.optimize import minimize

    sign = -1.0 if maximize else 1.0
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    trace: list[dict[str, Any]] = []
    values = [float(v) for v in evaluate(starts)]
    for i, (x, v) in enumerate(zip(starts, values)):
        trace.append({"eval": len(trace), "start": i, "phase": "sweep", "params": x.tolist(), "objective": v})
    # the optimizer's first call is at x0: reuse the sweep's value rather than sample it again
    swept = {tuple(x.tolist()): v for x, v in zip(starts, values)}

    summaries, best, best_value = [], starts[0], None
    for i, x0 in enumerate(starts):
        def fun(x: np.ndarray, i: int = i) -> float:
            key = tuple(np.asarray(x, dtype=float).tolist())
            if key in swept:
                return sign * swept.pop(key)
            v = float(evaluate(np.asarray(x, dtype=float)[None, :])[0])
            trace.append({"eval": len(trace), "start": i, "phase": "step", "params": list(key), "objective": v})
            return sign * v

        res = minimize(fun, x0, method=method,
                       options=_method_options(method, len(x0), maxiter, initial_step, tol, x0))
        value = sign * float(res.fun)
        summaries.append({"start": i, "x0": x0.tolist(), "x": np.asarray(res.x).tolist(), "objective": value,
                          "nfev": int(res.nfev), "message": str(res.message)})
        if best_value is None or sign * value < sign * best_value:
            best, best_value = np.asarray(res.x, dtype=float), value
    return Optimisation(best=best, best_value=float(best_value), trace=tuple(trace), starts=tuple(summaries))
