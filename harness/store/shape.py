"""What a stored result must look like before it is believed: types, ranges and names, field by field.

A checksum proves a file is what was written, not that what was written makes sense: a file
edited by hand and given a recomputed checksum must still not reach the statistics with counts
that are strings or negative, or a metric without a number. :func:`result_problem` names the
first field that is wrong, so the error can say where.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from harness.records import METRIC_KINDS

__all__ = ["result_problem"]

_STATUSES = ("ok", "failed")


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _metric_problem(name: str, m: Any) -> str | None:
    where = f"metrics.{name}"
    if not isinstance(m, Mapping):
        return f"{where} is {type(m).__name__}, not an object"
    if m.get("value") is not None and not _number(m["value"]):
        return f"{where}.value is {m['value']!r}, not a finite number"
    if m.get("kind", "scalar") not in METRIC_KINDS:
        return f"{where}.kind is {m.get('kind')!r}, not one of {', '.join(METRIC_KINDS)}"
    if m.get("stderr") is not None and not (_number(m["stderr"]) and m["stderr"] >= 0):
        return f"{where}.stderr is {m['stderr']!r}, not a number >= 0"
    if m.get("n") is not None and not _count(m["n"]):
        return f"{where}.n is {m['n']!r}, not a whole number >= 0"
    samples = m.get("samples") or []
    if not isinstance(samples, list) or not all(_number(s) for s in samples):
        return f"{where}.samples must be a list of finite numbers"
    if not isinstance(m.get("unit", ""), str):
        return f"{where}.unit must be a string"
    return None


def result_problem(d: Any) -> str | None:
    """The first thing wrong with a stored result's dict (``"counts['01'] is -3, ..."``), or None."""
    if not isinstance(d, Mapping):
        return f"is {type(d).__name__}, not an object"
    for key in ("suite", "case_id", "baseline", "tier"):
        if not isinstance(d.get(key), str):
            return f"{key} is {d.get(key)!r}, not a string"
    if d.get("status") not in _STATUSES:
        return f"status is {d.get('status')!r}, not 'ok' or 'failed'"
    metrics = d.get("metrics") or {}
    if not isinstance(metrics, Mapping):
        return "metrics must be an object"
    for name, m in metrics.items():
        problem = _metric_problem(name, m)
        if problem:
            return problem
    counts = d.get("counts")
    if counts is not None:
        if not isinstance(counts, Mapping):
            return "counts must be an object of bitstring -> count"
        for k, v in counts.items():
            if not _count(v):
                return f"counts[{k!r}] is {v!r}, not a whole number >= 0"
    timings = d.get("timings") or {}
    if not isinstance(timings, Mapping) or not all(_number(v) for v in timings.values()):
        return "timings must map each stage to a finite number of seconds"
    for key in ("resources", "lineage"):
        if not isinstance(d.get(key) or {}, Mapping):
            return f"{key} must be an object"
    for key in ("trace", "events"):
        if not isinstance(d.get(key) or [], list):
            return f"{key} must be a list"
    if d.get("error") is not None and not isinstance(d["error"], str):
        return "error must be a string or null"
    return None
