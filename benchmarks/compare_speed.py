"""Seconds of one ``harness.drift.compare`` over many metrics, per kind of data (target: 10,000 in < 1 s).

Each kind is a run of ``--n`` results with one metric each against as many stored baselines,
drawn at random (seeded) near their baseline:

- ``proportion``: a success probability from 4,000 shots (z-test, binomial standard error);
- ``proportion (trials)``: a proportion measured in 5 trials (pooled counts, between-trial term
  pooled across the run, t with Satterthwaite df);
- ``expectation``: a value with a stored standard error (z-test);
- ``scalar (trials)``: 5 trials per side (Welch's t-test);
- ``timing``: 15 repeats per side (relative to the run's machine shift: winsorised log repeats,
  moderated variances, t-test);
- ``every kind``: ``--n`` metrics, a fifth of each of the above, in one run (one Holm family).

``compare`` groups the metrics by test and computes each group in one array call
(:mod:`harness.drift.batch`). Every kind is measured in full at ``--n`` (no extrapolation): the
median over ``--repeat`` calls of wall and CPU seconds, after a warm-up.

Usage::

    .venv/bin/python benchmarks/compare_speed.py [--n 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from harness.drift.compare import compare
from harness.records import Metric, Result, Run

SHOTS, TRIALS, REPEATS = 4000, 5, 15


def _metric(kind: str, rng: np.random.Generator, centre: float) -> Metric:
    if kind == "proportion":
        return Metric(float(rng.binomial(SHOTS, centre) / SHOTS), "proportion", n=SHOTS)
    if kind == "proportion (trials)":
        v = rng.binomial(SHOTS // TRIALS, centre, size=TRIALS) / (SHOTS // TRIALS)
        return Metric(float(v.mean()), "proportion", float(v.std(ddof=1) / math.sqrt(TRIALS)), SHOTS, tuple(v.tolist()))
    if kind == "expectation":
        return Metric(float(centre + rng.normal(0, 0.01)), "expectation", stderr=0.01)
    if kind == "scalar (trials)":
        v = centre + rng.normal(0, 0.02, size=TRIALS)
        return Metric(float(v.mean()), "scalar", float(v.std(ddof=1) / math.sqrt(TRIALS)), TRIALS, tuple(v.tolist()))
    if kind == "timing":
        v = np.exp(np.log(centre) + rng.normal(0, 0.05, size=REPEATS))
        return Metric(float(np.median(v)), "timing", samples=tuple(v.tolist()), unit="s")
    raise ValueError(kind)


def _records(kind: str, n: int, seed: int) -> tuple[Run, dict]:
    rng = np.random.default_rng(seed)
    kinds = KINDS if kind == "every kind" else (kind,)
    new, old, suites = [], [], {}
    for k in kinds:
        suite = f"speed-{KINDS.index(k)}"
        timing = k == "timing"
        suites[suite] = {"metrics": {"m": {"better": "lower" if timing else "higher", "tolerance": 0.2 if timing else 0.03,
                                           "relative": timing}}}
        m = n // len(kinds)
        centres = rng.uniform(0.6, 0.9, size=m) if not timing else rng.uniform(0.1, 2.0, size=m)
        for j, c in enumerate(centres):
            for side in (new, old):
                side.append(Result(suite, f"c{j:05d}", "hardware.raw", "hardware.raw", "ok", {"m": _metric(k, rng, c)}))
    return Run("speed", "2026-01-01T00:00:00Z", tuple(new), suites), {r.key: r for r in old}


KINDS = ("proportion", "proportion (trials)", "expectation", "scalar (trials)", "timing")


def timed(kind: str, n: int, repeat: int = 1) -> tuple[float, float]:
    """Median wall and CPU seconds of ``compare`` over ``n`` metrics of ``kind``."""
    run, stored = _records(kind, n, seed=n)
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        verdicts = compare(run, stored)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
        assert len(verdicts) == len(run.results)
    return float(np.median(wall)), float(np.median(cpu))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="calls per kind; the median is printed")
    args = ap.parse_args(argv)
    print(f"one compare over {args.n} metrics (target < 1 s wall); median of {args.repeat} calls\n")
    print("| kind | wall (s) | cpu (s) | per metric (ms) | met |")
    print("|---|---|---|---|---|")
    for kind in (*KINDS, "every kind"):
        timed(kind, 50)  # warm-up: first calls import and fill caches
        wall, cpu = timed(kind, args.n, args.repeat)
        print(f"| {kind} | {wall:.2f} | {cpu:.2f} | {1e3 * wall / args.n:.3f} | {'yes' if wall < 1 else 'no'} |",
              flush=True)


if __name__ == "__main__":
    main()
