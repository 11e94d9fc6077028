"""pytest-benchmark's JSON read as timing samples, so the drift engine judges timings on real repeats.

A run times each solve once: its ``time_to_solution`` has one sample, and drift can only judge
it against an assumed jitter. Under ``pytest suites/ --harness-benchmark`` the plugin repeats the
same work with pytest-benchmark (see :mod:`harness.pytest_plugin`) and tags each benchmark with
its case in ``extra_info["qharness"]``; ``--benchmark-json FILE`` (or ``--benchmark-autosave
--benchmark-save-data``) keeps every round. :func:`timings_from_dict` turns such a (parsed) file into
timing metrics with those rounds as samples, and :func:`apply_timings` puts them in place of the
results' ``time_to_solution`` (``harness compare --timings FILE --baseline-timings FILE``).

A file saved without its rounds (autosave without ``--benchmark-save-data``) still gives a
median and the standard error of the rounds; drift then uses its delta-method z-test.

Pure: reading the file is :func:`harness.store.benchmark_files.timings_from_json`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from harness.errors import BaselineError
from harness.records import Metric, Result

__all__ = ["BENCHMARK_KEY", "MAX_SAMPLES", "apply_timings", "benchmark_info", "timing_metric",
           "timings_from_dict"]

BENCHMARK_KEY = "qharness"
"""The ``extra_info`` key under which the plugin says which case a benchmark timed."""

_INFO_SCHEMA = 1

MAX_SAMPLES = 50
"""Rounds kept per timing. A calibrated benchmark of a fast solve can run thousands of rounds;
the timing test's Hodges-Lehmann bootstrap costs rounds squared, and 50 per side already detects
a 10 % change at the usual jitter. Rounds are kept evenly spaced, so their spread is unchanged."""

Key = tuple[str, str, str]


def benchmark_info(suite: str, case_id: str, baselines: Sequence[str], tier: str,
                   metric: str = "time_to_solution") -> dict[str, Any]:
    """The ``extra_info`` entry that ties a benchmark to the results it times."""
    return {BENCHMARK_KEY: {"schema": _INFO_SCHEMA, "suite": suite, "case_id": case_id,
                            "baselines": list(baselines), "tier": tier, "metric": metric}}


def timing_metric(data: Sequence[float], *, max_samples: int = MAX_SAMPLES) -> Metric:
    """A timing metric from repeated seconds: the median as value, up to ``max_samples`` rounds as samples."""
    xs = np.asarray([float(x) for x in data], float)
    if xs.size == 0 or not np.all(np.isfinite(xs)):
        raise ValueError("a timing needs at least one finite round")
    keep = xs if xs.size <= max_samples else xs[np.unique(np.linspace(0, xs.size - 1, max_samples).round().astype(int))]
    return Metric(value=float(np.median(xs)), kind="timing", n=int(xs.size),
                  samples=tuple(float(x) for x in keep), unit="s")


def _from_stats(stats: Mapping[str, Any], max_samples: int) -> Metric:
    data = stats.get("data")
    if isinstance(data, list) and data:
        return timing_metric(data, max_samples=max_samples)
    rounds, median, stddev = int(stats["rounds"]), float(stats["median"]), float(stats.get("stddev") or 0.0)
    # no rounds saved: the standard error of the rounds stands in for them (delta-method test)
    stderr = stddev / math.sqrt(rounds) if rounds > 1 else None
    return Metric(value=median, kind="timing", n=rounds, stderr=stderr, unit="s")


def timings_from_dict(doc: Any, *, source: str = "<json>",
                      max_samples: int = MAX_SAMPLES) -> dict[Key, Metric]:
    """The timings of a parsed pytest-benchmark document; benchmarks the plugin did not tag are skipped.

    Raises:
        BaselineError: ``doc`` is not a pytest-benchmark document, or a tagged benchmark is malformed.
    """
    if not isinstance(doc, Mapping) or not isinstance(doc.get("benchmarks"), list):
        raise BaselineError(f"{source}: not a pytest-benchmark JSON file (no 'benchmarks' list)",
                            hint="pass the file written by `pytest suites/ --harness-benchmark --benchmark-json FILE`")
    out: dict[Key, Metric] = {}
    for i, bench in enumerate(doc["benchmarks"]):
        info = (bench.get("extra_info") or {}).get(BENCHMARK_KEY) if isinstance(bench, Mapping) else None
        if not isinstance(info, Mapping):
            continue
        if not isinstance(info.get("schema"), int) or info["schema"] > _INFO_SCHEMA:
            raise BaselineError(f"{source}: benchmark {i} ({bench.get('fullname')}) was written by a newer qharness",
                                hint="upgrade qharness")
        try:
            metric = _from_stats(bench["stats"], max_samples)
            for baseline in info["baselines"]:
                out[(str(info["suite"]), str(info["case_id"]), str(baseline))] = metric
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"{source}: benchmark {i} ({bench.get('fullname')}) is malformed ({exc!r})",
                                hint="write the file again with pytest-benchmark") from None
    return out


def apply_timings(results: Iterable[Result], timings: Mapping[Key, Metric],
                  metric: str = "time_to_solution") -> tuple[Result, ...]:
    """``results`` with ``metric`` replaced by the timing of the same key, where there is one.

    Failed results are left as they are (their timing would judge nothing).
    """
    return tuple(replace(r, metrics={**r.metrics, metric: timings[r.key]})
                 if r.status == "ok" and r.key in timings else r for r in results)
