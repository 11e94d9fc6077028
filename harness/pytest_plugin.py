"""``pytest suites/``: each suite YAML is collected, each case x baseline kind is a test item.

The plugin is registered by entry point but collects nothing until enabled, so installing
qharness never changes another project's test run. The repository's root ``conftest.py``
enables it; elsewhere pass ``--harness-suites``.

An item fails when its result regresses against the stored baseline (the drift table is
printed, not a traceback), when the case cannot run, or when no baseline is stored
(``--harness-update`` stores them, like a snapshot tool's update flag).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.errors import HarnessError

__all__ = ["enable_suite_collection"]

_ENABLED = pytest.StashKey[bool]()
_STATE = pytest.StashKey["_Session"]()
_LOOKS_LIKE_SUITE = re.compile(r"^suite\s*:", re.MULTILINE)


def enable_suite_collection(config: pytest.Config) -> None:
    """Turn on YAML suite collection for this pytest run (called from a conftest's pytest_configure)."""
    config.stash[_ENABLED] = True


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qharness", "hybrid quantum benchmark suites")
    group.addoption("--harness-suites", action="store_true", help="collect suite YAML files as tests")
    group.addoption("--harness-update", action="store_true",
                    help="store this session's results as the baselines instead of comparing (review the diff)")
    group.addoption("--harness-baselines", default="baselines", help="stored baselines folder (default: baselines)")
    group.addoption("--harness-runs-dir", default=".runs", help="where the session's run record is written")
    group.addoption("--harness-seed", type=int, default=None, help="override every suite's seed")
    group.addoption("--harness-alpha", type=float, default=0.01, help="false-alarm rate of the drift tests")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--harness-suites"):
        config.stash[_ENABLED] = True


class _Session:
    """Per-session caches: planned suites, case results (a case runs once for all its items)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.plans: dict[Path, Any] = {}
        self.results: dict[tuple[str, str], Any] = {}
        self.runs: list = []

    def plan(self, suite) -> Any:
        from harness.orchestration.plan import plan_suite

        if suite.path not in self.plans:
            self.plans[suite.path] = plan_suite(suite)
        return self.plans[suite.path]

    def case_results(self, suite, case_id: str) -> tuple[Any, list]:
        from harness.orchestration.runner import run_plans

        key = (suite.name, case_id)
        plan = self.plan(suite)
        if key not in self.results:
            narrowed = replace(plan, cases=tuple(c for c in plan.cases if c.case.case_id == case_id))
            run = run_plans([narrowed], seed=self.config.getoption("--harness-seed"))
            self.runs.append(run)
            self.results[key] = run
        return plan, self.results[key]


def _state(config: pytest.Config) -> _Session:
    if _STATE not in config.stash:
        config.stash[_STATE] = _Session(config)
    return config.stash[_STATE]


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if not parent.config.stash.get(_ENABLED, False) or file_path.suffix not in (".yaml", ".yml"):
        return None
    try:
        head = file_path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    if not _LOOKS_LIKE_SUITE.search(head):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from harness.suite import expand, load_suite

        try:
            suite = load_suite(self.path)
            cases = expand(suite)
        except HarnessError as exc:
            yield InvalidSuite.from_parent(self, name="invalid-suite", error=exc)
            return
        kinds = []
        b = suite.model.baselines
        kinds += ["classical"] if b.classical else []
        kinds += ["simulator"] if b.simulator else []
        kinds += ["hardware.raw", "hardware.mitigated"] if b.hardware else []
        for case in cases:
            for kind in kinds:
                yield CaseItem.from_parent(self, name=f"{case.case_id}::{kind}", suite=suite,
                                           case_id=case.case_id, kind=kind)


class HarnessFailure(Exception):
    """Raised by an item with the text pytest should print instead of a traceback."""


class InvalidSuite(pytest.Item):
    def __init__(self, *, error: HarnessError, **kw):
        super().__init__(**kw)
        self.error = error

    def runtest(self) -> None:
        raise HarnessFailure(f"invalid suite: {self.error}")

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value) if isinstance(excinfo.value, HarnessFailure) else super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"suite {self.path.name}"


def _table(verdicts) -> str:
    def fmt(x):
        return "-" if x is None else f"{x:.4g}"

    rows = [("metric", "stored", "new", "effect", "interval", "p", "p adj", "test", "verdict")]
    for v in verdicts:
        interval = "-" if v.ci_low is None else f"[{fmt(v.ci_low)}, {fmt(v.ci_high)}]"
        rows.append((v.metric, fmt(v.baseline_value), fmt(v.new_value), fmt(v.effect), interval,
                     fmt(v.p_value), fmt(v.p_adjusted), v.test or "-", v.status.upper() if v.gate else v.status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


class CaseItem(pytest.Item):
    def __init__(self, *, suite, case_id: str, kind: str, **kw):
        super().__init__(**kw)
        self.suite, self.case_id, self.kind = suite, case_id, kind

    def runtest(self) -> None:
        from harness.drift import compare
        from harness.records import Run
        from harness.store import load_baselines, promote

        state = _state(self.config)
        try:
            plan, run = state.case_results(self.suite, self.case_id)
        except HarnessError as exc:
            raise HarnessFailure(f"{self.suite.path}: {exc}") from None
        mine = [r for r in run.results if r.baseline == self.kind]
        for r in mine:
            if r.status != "ok":
                raise HarnessFailure(f"{self.suite.name} {self.case_id} [{self.kind}] failed to execute: {r.error}")
        root = Path(self.config.getoption("--harness-baselines"))
        suites = {self.suite.name: {"path": str(self.suite.path), "sha256": self.suite.sha256,
                                    "metrics": plan.metric_specs()}}
        if self.config.getoption("--harness-update"):
            promote(Run(run_id=run.run_id, created=run.created, results=tuple(mine), suites=suites), root)
            return
        stored = load_baselines(root, [(self.suite.name, self.case_id)])
        verdicts = compare(Run(run_id="pytest", created="", results=tuple(mine), suites=suites), stored,
                           alpha=self.config.getoption("--harness-alpha"))
        self.user_properties.append(("verdicts", [v.to_dict() for v in verdicts]))
        if any(v.status == "no_baseline" for v in verdicts):
            raise HarnessFailure(f"no stored baseline for {self.suite.name} {self.case_id} [{self.kind}] in {root}/\n"
                                 f"  fix: run `pytest {self.nodeid.split('::')[0]} --harness-update`, review and commit the files\n\n"
                                 + _table(verdicts))
        if any(v.gate for v in verdicts):
            bad = ", ".join(v.metric for v in verdicts if v.gate)
            raise HarnessFailure(f"regression in {bad} ({self.suite.name} {self.case_id} [{self.kind}])\n\n"
                                 + _table(verdicts))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, HarnessFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.suite.name} {self.case_id} [{self.kind}]"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write one run record holding every case this session ran."""
    state = session.config.stash.get(_STATE, None)
    if not state or not state.runs:
        return
    from harness.records import Run
    from harness.store import write_run

    first = state.runs[0]
    merged = Run(run_id=first.run_id, created=first.created,
                 results=tuple(r for run in state.runs for r in run.results),
                 suites={k: v for run in state.runs for k, v in run.suites.items()}, environment=first.environment)
    write_run(merged, Path(session.config.getoption("--harness-runs-dir")))
