"""Seconds of one ``harness.drift.compare`` over many metrics, per kind of data (target: 10,000 in < 1 s).

Each kind is a run of ``--n`` results with one metric each against as many stored baselines,
drawn at random (seeded) near their baseline:

- ``proportion``: a success probability from 4,000 shots (z-test, binomial standard error);
- ``proportion (trials)``: a proportion measured in 5 trials (pooled counts, between-trial term);
- ``expectation``: a value with a stored standard error (z-test);
- ``scalar (trials)``: 5 trials per side (Welch's t-test);
- ``timing``: 15 repeats per side (machine-relative test, Mann-Whitney and a bootstrap interval).

A kind slower than ``--budget`` seconds on a first slice of 500 metrics (after a warm-up of 20) is timed on that slice
only and its figure for ``--n`` extrapolated linearly (printed as such), so the script ends in minutes.

Usage::

    .venv/bin/python benchmarks/compare_speed.py [--n 10000] [--budget 30]
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
    centres = rng.uniform(0.6, 0.9, size=n) if kind != "timing" else rng.uniform(0.1, 2.0, size=n)
    spec = {"m": {"better": "lower" if kind == "timing" else "higher", "tolerance": 0.2 if kind == "timing" else 0.03,
                  "relative": kind == "timing"}}
    new, old = [], []
    for j, c in enumerate(centres):
        for side in (new, old):
            side.append(Result("speed", f"c{j:05d}", "hardware.raw", "hardware.raw", "ok", {"m": _metric(kind, rng, c)}))
    return Run("speed", "2026-01-01T00:00:00Z", tuple(new), {"speed": {"metrics": spec}}), {r.key: r for r in old}


def timed(kind: str, n: int) -> float:
    run, stored = _records(kind, n, seed=n)
    start = time.perf_counter()
    verdicts = compare(run, stored)
    seconds = time.perf_counter() - start
    assert len(verdicts) == n
    return seconds


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per kind before extrapolating")
    args = ap.parse_args(argv)
    print(f"one compare over {args.n} metrics of one kind (target < 1 s)\n")
    print("| kind | seconds | per metric (ms) | measured on | met |")
    print("|---|---|---|---|---|")
    for kind in ("proportion", "proportion (trials)", "expectation", "scalar (trials)", "timing"):
        timed(kind, 20)  # warm-up: first calls import scipy's tests and fill caches
        probe = min(500, args.n)
        first = timed(kind, probe)
        if first * args.n / probe > args.budget and probe < args.n:
            seconds, on = first * args.n / probe, f"{probe} (extrapolated)"
        else:
            seconds, on = timed(kind, args.n), str(args.n)
        print(f"| {kind} | {seconds:.2f} | {1e3 * seconds / args.n:.3f} | {on} | {'yes' if seconds < 1 else 'no'} |",
              flush=True)


if __name__ == "__main__":
    main()
