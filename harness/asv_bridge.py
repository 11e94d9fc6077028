"""The declarative suites as asv benchmarks, so ``asv run`` / ``asv publish`` follow them across commits.

Each suite becomes one benchmark class, parameterised by case id and baseline kind
(``params``/``param_names``), with:

- ``track_<metric>`` for every metric the suite declares (``unit``: the workload's unit, or
  ``probability``/``fidelity``/``seconds`` by the metric's kind, else ``dimensionless``);
- ``track_stage_<stage>`` for every latency stage of :data:`harness.records.STAGES`, unit
  ``seconds``.

Why stage latencies are ``track_`` benchmarks with unit "seconds" and not asv ``time_``
benchmarks: a ``time_`` benchmark times its own body, calibrated over many repeats. Re-running a
whole quantum case for each of those repeats would multiply the cost of a run by asv's repeat
count, and asv could only see the case's total time. The harness already measures each stage
(transpile, submit, execute, ...) from the inside, so the bridge reports those measured seconds;
asv shows a ``seconds`` track like a timing in its graphs.

The selected suites run exactly once per ``asv run`` (per commit and environment): the run happens
in asv's ``setup_cache``, whose pickled result asv hands to every benchmark of every suite class
(they share one ``setup_cache`` and so one cache key). A module-level dict also caches the run
within a process, for callers outside asv. asv's default launch method spawns a fresh process
per benchmark parameter, so a module-level cache alone would re-run the case for every track.
Importing this module, which asv does in each of those processes, imports no quantum SDK.

Which suites: ``QHARNESS_ASV_SUITES`` (paths separated by ``os.pathsep``, relative ones taken
from the repository root, since asv runs benchmarks in a temporary folder), by default the
repository's ``suites/`` folder.

Example (``benchmarks/asv/benchmarks.py``)::

    from pathlib import Path
    from harness.asv_bridge import benchmark_classes
    globals().update(benchmark_classes(Path(__file__).resolve().parents[2]))
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from harness.errors import HarnessError
from harness.kinds import declared_kinds
from harness.records import STAGES

__all__ = ["SETUP_CACHE_TIMEOUT", "SUITES_ENV", "benchmark_classes", "metric_unit", "run_table", "suite_paths"]

SUITES_ENV = "QHARNESS_ASV_SUITES"
"""Environment variable naming the suites asv runs (files or folders, ``os.pathsep``-separated)."""

SETUP_CACHE_TIMEOUT = 3600.0
"""Seconds asv allows the one run of all selected suites (its default of 60 s is too short)."""

_KIND_UNITS = {"proportion": "probability", "distribution": "fidelity", "timing": "seconds"}
_RUNS: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}  # suite paths -> result table


def suite_paths(root: str | Path) -> list[Path]:
    """The suites asv should run: ``$QHARNESS_ASV_SUITES`` or ``<root>/suites``, absolute."""
    root = Path(root).resolve()
    raw = os.environ.get(SUITES_ENV, "").strip()
    if not raw:
        return [root / "suites"]
    return [p if p.is_absolute() else root / p for p in (Path(s) for s in raw.split(os.pathsep) if s.strip())]


def metric_unit(unit: str, kind: str) -> str:
    """The asv unit of a metric: its declared unit ("s" spelled as asv's "seconds"), else by kind."""
    if unit:
        return "seconds" if unit == "s" else unit
    return _KIND_UNITS.get(kind, "dimensionless")


def _key(suite: str, case_id: str, kind: str) -> str:
    return f"{suite}|{case_id}|{kind}"


def run_table(paths: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """Run the suites at ``paths`` once per process; per result, its status, metric values and stage seconds.

    Keys are ``"suite|case_id|baseline"``; values are plain (picklable) dicts, since asv pickles
    what ``setup_cache`` returns.
    """
    key = tuple(str(p) for p in paths)
    if key not in _RUNS:
        from harness.commands import run_suites

        run = run_suites(list(key))
        _RUNS[key] = {
            _key(r.suite, r.case_id, r.baseline): {
                "status": r.status,
                "tier": r.tier,
                "error": r.error,
                "metrics": {name: float(m.value) for name, m in r.metrics.items()},
                "timings": {s: float(r.timings.get(s, 0.0)) for s in STAGES},
            }
            for r in run.results
        }
    return _RUNS[key]


def _setup_cache(self) -> dict[str, dict[str, Any]]:
    # One function object shared by every class: asv keys setup_cache by module and line, so the
    # selected suites run once for all of them (every class carries the same paths).
    return run_table(self._suite_paths)


_setup_cache.timeout = SETUP_CACHE_TIMEOUT


def _class_name(suite_name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", suite_name) if part) or "Suite"


def _method_name(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _entry(cache: Mapping[str, dict], suite: str, case_id: str, kind: str) -> dict[str, Any]:
    return cache[_key(suite, case_id, kind)]


def _metric_track(suite: str, metric: str, unit: str) -> Callable[..., float]:
    def track(self, cache, case_id, kind):
        value = _entry(cache, suite, case_id, kind)["metrics"].get(metric)
        return float("nan") if value is None or not math.isfinite(value) else value

    track.unit = unit
    track.__doc__ = f"{metric} of suite {suite} ({unit})."
    return track


def _stage_track(suite: str, stage: str) -> Callable[..., float]:
    def track(self, cache, case_id, kind):
        return _entry(cache, suite, case_id, kind)["timings"][stage]

    track.unit = "seconds"
    track.__doc__ = f"Seconds the harness measured in the {stage} stage (suite {suite})."
    return track


def _setup(suite: str) -> Callable[..., None]:
    def setup(self, cache, case_id, kind):
        entry = cache.get(_key(suite, case_id, kind))
        if entry is None:  # not run (e.g. a suite edited between discovery and run): asv shows n/a
            raise NotImplementedError(f"{suite} {case_id} [{kind}] was not run")
        if entry["status"] != "ok":  # a failure must show as a failure, not as a missing point
            raise RuntimeError(f"{suite} {case_id} [{kind}] failed to execute: {entry['error']}")

    return setup


def _suite_class(suite: Any, paths: tuple[str, ...]) -> type:
    from harness.lineage import stable_hash
    from harness.orchestration.plan import COMMON_METRICS, CROSS_CHECK_METRICS
    from harness.suite import expand
    from harness.workloads import get_workload

    model = suite.model
    # a custom workload (module:Class) is found next to its suite, as the planner finds it
    info = {**CROSS_CHECK_METRICS, **get_workload(model.workload, base_dir=suite.path.parent).metrics, **COMMON_METRICS}
    attrs: dict[str, Any] = {
        "__doc__": f"Suite {suite.name} ({suite.path}): {model.description}".strip(),
        "params": [[c.case_id for c in expand(suite)], list(declared_kinds(model.baselines))],
        "param_names": ["case", "baseline"],
        # What changes the numbers, not the judging (tolerances) nor the matrix (a new case is a
        # new parameter): changing it restarts the history, since old points are not comparable.
        "version": stable_hash(model.model_dump(mode="json", include={"workload", "seed", "options", "baselines"})),
        "setup_cache": _setup_cache,
        "_suite_paths": paths,
        "setup": _setup(suite.name),
    }
    methods = [(_method_name("track_", m), _metric_track(suite.name, m, metric_unit(info[m].unit, info[m].kind)))
               for m in model.metrics]
    methods += [(_method_name("track_stage_", s), _stage_track(suite.name, s)) for s in STAGES]
    for name, fn in methods:
        if name in attrs:
            raise HarnessError(f"{suite.where('metrics')}: metric name gives the asv benchmark {name!r} twice",
                               hint="rename the metric so it does not collide with a stage track")
        fn.__name__ = fn.__qualname__ = name
        attrs[name] = fn
    return type(_class_name(suite.name), (), attrs)


def benchmark_classes(root: str | Path) -> dict[str, type]:
    """asv benchmark classes, by class name, for the suites :func:`suite_paths` selects under ``root``.

    Raises:
        SuiteError: a selected suite is invalid (asv then reports the discovery failure).
        HarnessError: two suites map to the same class name.
    """
    from harness.suite import load_suites

    paths = tuple(str(p) for p in suite_paths(root))
    classes: dict[str, type] = {}
    for suite in load_suites(paths):
        cls = _suite_class(suite, paths)
        if cls.__name__ in classes:
            raise HarnessError(f"suites {classes[cls.__name__].__doc__.split(' (')[0]!r} and {suite.name!r} "
                               f"both give the asv class {cls.__name__!r}",
                               hint="rename one suite (letters and digits matter; - and _ do not)")
        classes[cls.__name__] = cls
    return classes
