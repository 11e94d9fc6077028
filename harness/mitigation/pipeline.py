"""Run a stack of techniques: expand, execute as few jobs as possible, combine, bootstrap.

The stack is read from the settings by :func:`harness.mitigation.registry.stack` in its fixed
order: an ``estimate`` technique (ZNE) makes the points, ``distribution`` techniques (DDD, then
twirling) turn each point's circuit into weighted variants, and the ``readout`` technique corrects
every executed circuit's counts from calibration circuits run in the same batch.

A variant that is the unmodified circuit at the circuit's own shots reuses ``counts`` when the
caller has them (the hybrid loop's final execution): raw and readout-only then submit no copy of
the circuit, and ZNE's scale factor 1 is not run twice.

The standard errors come from a bootstrap of the whole combine step: every executed circuit's
counts are resampled (multinomial, same shots) ``settings.bootstrap`` times and the pipeline is
re-run without execution, so they include what mitigation does to shot noise. With a score written
as a vectorised function of an outcome histogram (:class:`~harness.mitigation.base.HistogramScore`)
and a stack whose techniques all handle every resample at once (``Technique.batched``), the
resamples stay one matrix per circuit through readout correction, mixing, scoring and the
extrapolation; otherwise the pipeline is re-run resample by resample. Both draw the same
resamples and give the same values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.executors.base import PhysicalCircuits, supports
from harness.mitigation.base import (Context, HistogramScore, MitigationOutcome, Score, ScoreMany, Technique,
                                     as_circuits, joint_score)
from harness.mitigation.bootstrap import (bootstrap_draws, bootstrap_draws_many, probabilities_many, stderr_of,
                                          values_of, with_values)
from harness.mitigation.ranges import check_range

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["draws_of", "run_stack"]


@dataclass
class _Leaf:
    circuit: "QuantumCircuit"
    shots: int
    reuse: int | None  # index of the caller's counts it reuses, or None: it runs


def _mix(parts: Sequence[tuple[int, float]], dists: Sequence[Mapping[str, float]]) -> Mapping[str, float]:
    if len(parts) == 1 and parts[0][1] == 1.0:
        return dists[parts[0][0]]
    out: dict[str, float] = {}
    for leaf, weight in parts:
        for key, p in dists[leaf].items():
            out[key] = out.get(key, 0.0) + weight * p
    return out


def _mix_many(parts: Sequence[tuple[int, float]],
              hists: Sequence[tuple[Sequence[str], np.ndarray]]) -> tuple[Sequence[str], np.ndarray]:
    """:func:`_mix` of every resample at once: the weighted sum of the leaves' probability matrices."""
    if len(parts) == 1 and parts[0][1] == 1.0:
        return hists[parts[0][0]]
    index: dict[str, int] = {}
    for leaf, _ in parts:
        for key in hists[leaf][0]:
            index.setdefault(key, len(index))
    out = np.zeros((hists[parts[0][0]][1].shape[0], len(index)))
    for leaf, weight in parts:
        keys, probs = hists[leaf]
        out[:, [index[k] for k in keys]] += weight * probs
    return list(index), out


def _vectorised(score: Score, multi: bool, techniques: Sequence[Technique]) -> ScoreMany | None:
    """The score's vectorised form when the whole stack can use it (see the module docstring), else None."""
    if not isinstance(score, HistogramScore) or multi or not all(t.batched for t in techniques):
        return None
    if any(t.level == "readout" and not hasattr(t, "correct_matrix") for t in techniques):
        return None
    return score.many


def run_stack(
    device: Any,
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
    counts: Sequence[Mapping[str, int]] | None = None,
    *,
    pair_seed: int | None = None,
    ideal: Mapping[str, float] | None = None,
) -> MitigationOutcome:
    """See :func:`harness.mitigation.mitigate`."""
    from harness.mitigation.registry import stack

    started = time.perf_counter()
    circuits, multi = as_circuits(circuit)
    if counts is not None and len(counts) != len(circuits):
        raise ValueError(f"{len(counts)} counts given for {len(circuits)} circuits")
    scored = joint_score(score, multi)
    techniques = stack(settings)
    estimate = [t for t in techniques if t.level == "estimate"]
    mixers = [t for t in techniques if t.level == "distribution"]
    readout: Technique | None = next((t for t in techniques if t.level == "readout"), None)
    # techniques run the device's transpiled circuits untouched, so folds and pads survive and the
    # calibration circuits share the job
    physical = bool(techniques) and supports(device, PhysicalCircuits)
    ctx = Context(device=device, shots=int(shots), rng=rng, physical=physical, logical=list(circuits))
    bases = [device.transpile(c) for c in circuits] if physical else list(circuits)
    m = len(circuits)

    # points[g][i]: circuit i at point g (one point without an estimate technique)
    if estimate:
        per_circuit = [estimate[0].expand(b, settings, ctx) for b in bases]
        points = [[per_circuit[i][g][0] for i in range(m)] for g in range(len(per_circuit[0]))]
        point_shots = estimate[0].point_shots(int(shots), settings, ctx) or [int(shots)] * len(points)
    else:
        points = [list(bases)]
        point_shots = [int(shots)]
    leaves: list[_Leaf] = []
    groups: list[list[list[tuple[int, float]]]] = []  # [point][circuit] -> (leaf, weight)
    for point, base_shots_of_point in zip(points, point_shots):
        row = []
        for i, c in enumerate(point):
            variants, leaf_shots = [(c, 1.0)], int(base_shots_of_point)
            for t in mixers:
                variants = [(v2, w * w2) for v, w in variants for v2, w2 in t.expand(v, settings, ctx)]
                leaf_shots = t.shots_per_variant(leaf_shots, settings)
            parts = []
            for v, w in variants:
                reuse = i if counts is not None and v is bases[i] and leaf_shots == int(shots) else None
                parts.append((len(leaves), w))
                leaves.append(_Leaf(v, leaf_shots, reuse))
                ctx.origins.append(i)
            row.append(parts)
        groups.append(row)

    calibration: list["QuantumCircuit"] = []
    cal_shots = int(shots)
    if readout is not None:
        calibration, cal_shots = readout.calibration_circuits(
            [leaf.circuit for leaf in leaves], settings, ctx)
    options: dict[str, Any] = {}
    for t in techniques:
        options.update(t.primitive_options(settings) or {})
    leaf_counts, spent = _execute(device, leaves, counts, calibration, cal_shots, physical, readout, ctx, options)

    def distributions(i: int, keys: Sequence[str], draws: np.ndarray) -> list[dict[str, float]]:
        if readout is None:
            return probabilities_many(keys, draws)
        return readout.correct_many(i, keys, draws, ctx)

    def evaluate(dists: Sequence[Mapping[str, float]]) -> dict[str, float]:
        values = [values_of(scored([_mix(row[i], dists) for i in range(m)], shots)) for row in groups]
        return estimate[0].combine(values, settings, ctx) if estimate else values[0]

    dists = [distributions(i, list(c), np.array([list(c.values())]))[0] for i, c in enumerate(leaf_counts)]
    template = scored([_mix(groups[0][i], dists) for i in range(m)], shots)
    values = evaluate(dists)
    if estimate:
        points = [values_of(scored([_mix(row[i], dists) for i in range(m)], shots)) for row in groups]
        estimate[0].record(points, values, ctx)
    # a reused leaf (the caller's counts) is resampled from a generator of its own, seeded by
    # ``pair_seed``: every strategy given the same seed sees the same resamples of the shared data
    rngs = [np.random.default_rng([int(pair_seed), leaf.reuse]) if pair_seed is not None and leaf.reuse is not None
            else None for leaf in leaves]
    ctx.resampling = True
    many = _vectorised(score, multi, techniques)
    if many is None:
        draws = bootstrap_draws(evaluate, leaf_counts, settings.bootstrap, rng, distributions, rngs)
    else:
        def histograms(i: int, keys: Sequence[str], counts_rows: np.ndarray) -> tuple[Sequence[str], np.ndarray]:
            if readout is None:
                return keys, counts_rows / counts_rows.sum(axis=1, keepdims=True)
            return readout.correct_matrix(i, keys, counts_rows, ctx)

        def evaluate_many(hists: Sequence[tuple[Sequence[str], np.ndarray]]) -> dict[str, np.ndarray]:
            per_point = [dict(many(*_mix_many(row[0], hists), shots)) for row in groups]
            if any(set(v) != set(template) for v in per_point):
                raise ValueError(f"the vectorised score gave {sorted(per_point[0])}, the score {sorted(template)}")
            return estimate[0].combine_many(per_point, settings, ctx) if estimate else per_point[0]

        draws = bootstrap_draws_many(evaluate_many, leaf_counts, settings.bootstrap, rng, histograms, rngs)
        draws = {name: draws[name] for name in values}  # the per-resample path's order: the score's
    ctx.resampling = False
    stderr = stderr_of(draws)
    metrics = with_values(template, values, stderr)
    flagged = check_range(metrics)

    names = [t.name for t in techniques]
    amplification = {t.name: t.variance_amplification(settings, ctx) for t in techniques}
    details: dict[str, Any] = {
        "technique": "+".join(names) if names else "raw",
        "stack": names,
        "settings": {t.name: t.settings_of(settings) for t in techniques},
        **{t.name: ctx.info.get(t.name, {}) for t in techniques},
        "circuit_level": ("physical (the transpiled circuits, run at optimization level 0)" if physical
                          else "logical" if not (estimate or mixers or readout)
                          else "logical (the device's transpiler may undo the techniques)"),
        "reused_counts": any(leaf.reuse is not None for leaf in leaves),
        "variance_amplification": amplification,
        "bootstrap": settings.bootstrap,
    }
    if flagged:
        details["out_of_range"] = flagged
    if pair_seed is not None:  # a strategy comparison: the paired draws, the ideal and the errors
        details.update(_comparison(metrics, draws, ideal, rngs))
    executed = [c for leaf, c in zip(leaves, leaf_counts) if leaf.reuse is None]
    raw_like = not techniques or (readout is not None and len(techniques) == 1)
    if raw_like:  # one distribution per circuit: the counts the result keeps
        details["counts"] = [dict(c) for c in leaf_counts] if multi else dict(leaf_counts[0])
    else:
        details["counts_executed"] = len(executed)
    reused = [leaf for leaf in leaves if leaf.reuse is not None]
    # what the estimate rests on: what ran plus the caller's counts it reused
    details["cost"] = {"circuits": spent["circuits"] + len(reused),
                       "shots": spent["shots"] + sum(leaf.shots for leaf in reused)}
    base_shots = int(shots) * m
    seconds = time.perf_counter() - started
    details["seconds"] = seconds
    return MitigationOutcome(
        metrics=metrics,
        resources={**spent, "extra_circuits": max(0, spent["circuits"] - (0 if counts is not None else m)),
                   "extra_shots": max(0, spent["shots"] - (0 if counts is not None else base_shots))},
        details=details,
        seconds=seconds,
    )


def draws_of(details: Mapping[str, Any], metric: str) -> np.ndarray | None:
    """The bootstrap values of ``metric`` a strategy comparison kept in a result's details (None: none kept)."""
    kept = (details.get("bootstrap_draws") or {}).get(metric)
    if kept is None:
        return None
    return np.array(kept.split() if isinstance(kept, str) else kept, dtype=float)


def _comparison(metrics: Mapping[str, Any], draws: Mapping[str, np.ndarray], ideal: Mapping[str, float] | None,
                rngs: Sequence[Any]) -> dict[str, Any]:
    """What the strategy ranking reads: per metric the bootstrap values (paired with every other
    strategy's through the shared resamples; see :func:`draws_of`), the ideal value and the error against it."""
    from harness.mitigation.ideal import errors

    # one space-separated string per metric: a single line of a stored file, not hundreds
    kept = {name: " ".join(f"{v:.6g}" for v in draws[name]) for name, m in metrics.items()
            if name in draws and m.kind != "timing"}
    out: dict[str, Any] = {"bootstrap_draws": kept, "paired": any(r is not None for r in rngs)}
    if ideal is not None:
        out["error"] = errors({n: m.value for n, m in metrics.items()}, {n: m.stderr for n, m in metrics.items()},
                              ideal)
    return out


def _execute(device: Any, leaves: list[_Leaf], counts: Sequence[Mapping[str, int]] | None,
             calibration: list["QuantumCircuit"], cal_shots: int, physical: bool,
             readout: Technique | None, ctx: Context,
             options: Mapping[str, Any] | None = None) -> tuple[list[Mapping[str, int]], dict[str, int]]:
    """Counts of every leaf (reused or run) and what was spent; one job per distinct shot count,
    each under the device primitive's ``options`` when a technique sets some."""
    # readout calibration runs without the primitive's options: they concern the circuits' gates, and
    # qiskit-ibm-runtime 0.51's local twirling returns wrong counts for circuits without a two-qubit gate
    batches: dict[tuple[bool, int, bool], list[tuple[str, int, "QuantumCircuit"]]] = {}
    for index, leaf in enumerate(leaves):
        if leaf.reuse is None:
            batches.setdefault((physical, leaf.shots, bool(options)), []).append(("leaf", index, leaf.circuit))
    for index, c in enumerate(calibration):
        batches.setdefault((True, cal_shots, False), []).append(("cal", index, c))
    out: list[Mapping[str, int] | None] = [counts[leaf.reuse] if leaf.reuse is not None and counts is not None
                                           else None for leaf in leaves]
    cal_counts: list[Mapping[str, int] | None] = [None] * len(calibration)
    spent = {"circuits": 0, "shots": 0, "jobs": 0}
    for (phys, n_shots, with_options), items in batches.items():
        run = device.sample_transpiled if phys else device.sample_batch
        if with_options:
            with device.using_options(options):
                results = run([c for _, _, c in items], n_shots)
        else:
            results = run([c for _, _, c in items], n_shots)
        for (what, index, _), result in zip(items, results):
            (out if what == "leaf" else cal_counts)[index] = result
        spent["circuits"] += len(items)
        # the shots that came back (the runtime's own twirling rounds the requested ones up)
        spent["shots"] += sum(int(sum(r.values())) for r in results)
        spent["jobs"] += 1
    if readout is not None:
        readout.calibrate(cal_counts, [leaf.circuit for leaf in leaves], ctx)
    return [c for c in out if c is not None], spent
