"""``pytest suites/``: each suite YAML is collected, each case x baseline kind is a test item.

The plugin is registered by entry point but collects nothing until enabled, so installing
qharness never changes another project's test run. The repository's root ``conftest.py``
enables it; elsewhere pass ``--harness-suites``.

One judge: the first item runs every collected case of the session (each case once) and judges
the session's whole run through :func:`harness.commands.judge_run`, the path of ``harness gate``:
one Holm family over the run, the excess variance learned from the same history
(``<runs-dir>/history.sqlite``), the same orphaned-baseline check. Each item then reads its own
verdicts from that one outcome. An item fails when its result regresses (the drift table is
printed, not a traceback), when the case cannot run, or when no baseline is stored
(``--harness-update`` stores them, like a snapshot tool's update flag). The terminal summary
prints the outcome's line and reasons; with ``--harness-strict`` a failing outcome (orphaned
baselines, say) fails the session even when every item passed. Baselines and run records live
in the project root's folders (see :mod:`harness.store.project`) unless the options name others.

``--harness-benchmark`` (with pytest-benchmark): each item repeats the work its result times as
``time_to_solution`` under pytest-benchmark: the classical heuristic with calibrated rounds, the
hybrid loop (fresh device, transpilation included, setup untimed) for ``--benchmark-min-rounds``
rounds, once per case for the hardware pair, never on real IBM hardware. The rounds become the
metric's samples, so drift judges it on real repeats (stored by ``--harness-update`` too), and
``--benchmark-json FILE`` keeps them for ``harness compare --timings FILE``. pytest-benchmark
turns itself off under xdist.

Under pytest-xdist (``-n N``) the items of one case go to one worker (so a case runs once and
only one worker writes its baseline file, under a lock in any case), and the workers' results are
merged into one run record written by the controller. A worker cannot see the whole run, so it
does not judge: its items fail only when their case cannot run. The controller judges the merged
run once, through the same :func:`harness.commands.judge_run` (one Holm family, the same history),
prints the outcome with every blocking verdict, and fails the session when the outcome fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.errors import HarnessError
from harness.kinds import CLASSICAL, HARDWARE, declared_kinds, is_real_backend, kind_order, tier_of

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
    group.addoption("--harness-baselines", default=None,
                    help="stored baselines folder (default: baselines/ of the project root)")
    group.addoption("--harness-runs-dir", default=None,
                    help="where the session's run record is written and the history read (default: .runs/ of the "
                         "project root)")
    group.addoption("--harness-strict", action="store_true",
                    help="a missing, fallback or orphaned baseline fails the session, as `harness gate --strict`")
    group.addoption("--harness-seed", type=int, default=None, help="override every suite's seed")
    group.addoption("--harness-alpha", type=float, default=0.01, help="false-alarm rate of the drift tests")
    group.addoption("--harness-benchmark", action="store_true",
                    help="time each solve with pytest-benchmark's rounds; time_to_solution is judged on them "
                         "(--benchmark-json keeps them for `harness compare --timings`)")


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
        self.timings: dict[tuple[str, str, str], Any] = {}  # result key -> benchmarked timing metric
        self.benchmarked: set[tuple[str, str, str]] = set()  # (suite, case id, tier) already timed
        self.outcome: Any = None  # the session's one judgement (GateOutcome), once made
        self.baselines, self.runs_dir, self.all_suites = _paths(config)

    def judge(self, item: "CaseItem") -> Any:
        """The outcome holding ``item``'s verdicts: the whole session's, judged once (one case under xdist)."""
        from harness.commands import judge_run, open_history
        from harness.drift.benchmark_json import apply_timings

        worker = hasattr(self.config, "workerinput")
        if self.outcome is not None and not worker:
            return self.outcome
        items = [item] if worker else [i for i in item.session.items if isinstance(i, CaseItem)]
        runs = []
        for it in items:
            try:
                plan, run = self.case_results(it.suite, it.case_id)
            except HarnessError:
                continue  # that item reports its own error
            if run not in runs:
                runs.append(run)
            if _benchmark_session(self.config) is not None:
                self.benchmark(it, plan)
        merged = _merge(runs)
        merged = replace(merged, results=apply_timings(merged.results, self.timings))
        outcome, _ = judge_run(merged, self.baselines, alpha=self.config.getoption("--harness-alpha"),
                               strict=self.config.getoption("--harness-strict"),
                               history=open_history(self.runs_dir), all_suites=self.all_suites and not worker)
        if not worker:
            self.outcome = outcome
        return outcome

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

    def benchmark(self, item: "CaseItem", plan) -> None:
        """Time the item's tier under pytest-benchmark unless another item of its case did (hardware pair)."""
        tier = tier_of(item.kind)
        if (item.suite.name, item.case_id, tier) in self.benchmarked:
            return
        self.benchmarked.add((item.suite.name, item.case_id, tier))
        hardware = plan.suite.model.baselines.hardware
        backends = [] if hardware is None else [hardware.backend] if isinstance(hardware.backend, str) \
            else list(hardware.backend)
        if tier == HARDWARE and any(is_real_backend(b) for b in backends):
            return  # rounds of a real device's queue would spend QPU time and time nothing useful
        kinds = [k for k in plan.baseline_kinds if tier_of(k) == tier]
        cp = next(c for c in plan.cases if c.case.case_id == item.case_id)
        metric = _benchmark(item, plan, cp, tier, kinds, self.config.getoption("--harness-seed"))
        self.timings.update({(item.suite.name, item.case_id, k): metric for k in kinds})


def _paths(config: pytest.Config) -> tuple[Path, Path, bool]:
    """Baselines folder, runs folder, and whether whole folders of suites were collected (orphan scope)."""
    from harness.store.project import project_paths

    args = [str(a).split("::")[0] for a in config.args] or [str(config.rootpath)]
    found = project_paths(args)
    baselines, runs = config.getoption("--harness-baselines"), config.getoption("--harness-runs-dir")
    return (Path(baselines) if baselines else found.baselines, Path(runs) if runs else found.runs_dir,
            any(Path(a).is_dir() for a in args))


def pytest_sessionstart(session: pytest.Session) -> None:
    # after every plugin's pytest_configure: pytest-benchmark sets its session up last
    config = session.config
    if config.getoption("--harness-benchmark") and getattr(config, "_benchmarksession", None) is None:
        raise pytest.UsageError("--harness-benchmark needs pytest-benchmark: pip install pytest-benchmark "
                                "(and do not pass -p no:benchmark)")


def _benchmark_session(config: pytest.Config) -> Any:
    """pytest-benchmark's session when ``--harness-benchmark`` asks for timings and it is on, else None."""
    bs = getattr(config, "_benchmarksession", None) if config.getoption("--harness-benchmark") else None
    return None if bs is None or bs.disabled or bs.skip else bs  # off under xdist, --benchmark-disable/-skip


def _benchmark(item: "CaseItem", plan, cp, tier: str, kinds: list[str], seed: int | None):
    """Repeat the timed solve of one case and tier with pytest-benchmark; its rounds as a timing metric.

    The benchmark is registered with pytest-benchmark like its own fixture's (the same class, fed
    the session's options), so its table, ``--benchmark-json`` and autosave include it.
    """
    from pytest_benchmark.fixture import BenchmarkFixture

    from harness.drift.benchmark_json import benchmark_info, timing_metric
    from harness.orchestration.runner import timed_solve

    bs = item.config._benchmarksession
    fixture = BenchmarkFixture(item, add_stats=bs.benchmarks.append, logger=bs.logger, warner=item.warn,
                               disabled=False, **bs.options)
    fixture.group, fixture.param, fixture.params = plan.suite.name, cp.case.case_id, dict(cp.case.params)
    fixture.name = f"{item.case_id}::{item.kind}"  # the item is named by its kind alone; keep the case in view
    fixture.extra_info.update(benchmark_info(plan.suite.name, cp.case.case_id, kinds, tier))
    setup, solve = timed_solve(plan, cp, tier, seed=seed)
    try:
        if tier == CLASSICAL:
            args = setup()
            generator = args[-1].bit_generator
            state = generator.state

            def once():  # every round starts from the case's seed (resetting it costs about 1 us)
                generator.state = state
                return solve(*args)

            fixture(once)
        else:  # seconds per round: a fresh device each round, built untimed
            fixture.pedantic(solve, setup=lambda: (setup(), {}), rounds=max(1, int(bs.options["min_rounds"])))
    except Exception as exc:
        raise HarnessFailure(f"{plan.suite.name} {cp.case.case_id} [{tier}]: benchmarking failed: "
                             f"{type(exc).__name__}: {exc}") from None
    finally:
        fixture._cleanup()
    return timing_metric(fixture.stats.stats.data)


def _state(config: pytest.Config) -> _Session:
    if _STATE not in config.stash:
        config.stash[_STATE] = _Session(config)
    return config.stash[_STATE]


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    from harness.suite.loader import is_suite_file

    if not parent.config.stash.get(_ENABLED, False) or not is_suite_file(file_path):
        return None
    try:
        head = file_path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    if not _LOOKS_LIKE_SUITE.search(head):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from harness.suite import expand, load_suite

        try:
            suite = load_suite(self.path)
            cases = expand(suite)
        except HarnessError as exc:
            yield InvalidSuite.from_parent(self, name="invalid-suite", error=exc)
            return
        kinds = declared_kinds(suite.model.baselines)
        for case in cases:
            yield CaseNode.from_parent(self, name=case.case_id, suite=suite, kinds=kinds)


class CaseNode(pytest.Collector):
    """One case of a suite; its items are the baseline kinds. A real level of the tree, so the node id
    ``suites/x.yaml::<case>::<kind>`` parses back into the same parts (``--lf``/``--ff`` find the items)."""

    def __init__(self, *, suite, kinds: list[str], **kw):
        super().__init__(**kw)
        self.suite, self.kinds = suite, kinds

    def collect(self) -> Iterator[pytest.Item]:
        for kind in self.kinds:
            yield CaseItem.from_parent(self, name=kind, suite=self.suite, case_id=self.name, kind=kind)


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
        if _benchmark_session(self.config) is not None:
            self.fixturenames = ["benchmark"]  # how pytest-benchmark tells benchmarks (--benchmark-only)

    def runtest(self) -> None:
        from harness.records import Run
        from harness.store import promote

        state = _state(self.config)
        try:
            plan, run = state.case_results(self.suite, self.case_id)
        except HarnessError as exc:  # a suite's error names its file already
            named = str(exc).startswith(str(self.suite.path))
            raise HarnessFailure(str(exc) if named else f"{self.suite.path}: {exc}") from None
        mine = [r for r in run.results if r.baseline == self.kind]
        for r in mine:
            if r.status != "ok":
                raise HarnessFailure(f"{self.suite.name} {self.case_id} [{self.kind}] failed to execute: {r.error}")
        root = state.baselines
        worker = hasattr(self.config, "workerinput")
        if worker and not self.config.getoption("--harness-update"):
            from harness.store import load_baselines

            # the controller judges the merged run once (see the module docstring); a missing
            # baseline needs no judgement and fails here as in a serial session
            if (self.suite.name, self.case_id, self.kind) not in load_baselines(root, [(self.suite.name, self.case_id)]):
                raise HarnessFailure(f"no stored baseline for {self.suite.name} {self.case_id} [{self.kind}] in "
                                     f"{root}/\n  fix: run `pytest {self.nodeid.split('::')[0]} --harness-update`, "
                                     "review and commit the files")
            return
        if self.config.getoption("--harness-update"):
            if _benchmark_session(self.config) is not None:
                from harness.drift.benchmark_json import apply_timings

                state.benchmark(self, plan)
                mine = list(apply_timings(mine, state.timings))
            suites = {self.suite.name: {"path": str(self.suite.path), "sha256": self.suite.sha256,
                                        "metrics": plan.metric_specs()}}
            # xdist workers may share a case file: promote reads, merges and writes it under the
            # baselines folder's lock (harness.store.staging.exclusive), one writer at a time
            promote(Run(run_id=run.run_id, created=run.created, results=tuple(mine), suites=suites), root)
            return
        key = (self.suite.name, self.case_id, self.kind)
        verdicts = [v for v in state.judge(self).verdicts if (v.suite, v.case_id, v.baseline) == key]
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


_WORKER_RUNS = pytest.StashKey[list]()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``-n N`` (``--dist load``) send the items of one case to one worker; other tests as usual."""
    if not config.stash.get(_ENABLED, False) or config.getoption("dist", "no") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CaseScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path, _, rest = nodeid.partition("::")
            if path.lower().endswith((".yaml", ".yml")) and rest.count("::") == 1:
                return nodeid.rsplit("::", 1)[0]  # suite::case: its kinds share one run of the case
            return nodeid

    return CaseScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """Controller: keep the run a worker sends back (see :func:`pytest_sessionfinish`)."""
    data = getattr(node, "workeroutput", {}).get("qharness_run")
    if data:
        from harness.records import Run

        node.config.stash.setdefault(_WORKER_RUNS, []).append(Run.from_dict(json.loads(data)))


def _merge(runs: list, environment_extra: dict | None = None):
    from harness.records import Run

    first = min(runs, key=lambda r: r.run_id)  # run ids sort by time: the session's first case
    return Run(run_id=first.run_id, created=min(r.created for r in runs),
               results=tuple(r for run in runs for r in run.results),
               suites={k: v for run in runs for k, v in run.suites.items()},
               environment={**first.environment, **(environment_extra or {})})


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """The session's one outcome, as ``harness gate`` prints it: its line, its reasons, orphaned baselines."""
    state = config.stash.get(_STATE, None)
    outcome = state.outcome if state else None
    if outcome is None:
        return
    terminalreporter.section("qharness")
    terminalreporter.write_line(outcome.headline())
    for reason in outcome.reasons[1:]:
        terminalreporter.write_line(f"  - {reason}")
    for k in outcome.orphaned:
        terminalreporter.write_line(f"  ORPHANED baseline {k[0]} {k[1]} [{k[2]}]: no collected case exercised it")
    if config.stash.get(_WORKER_RUNS, None):  # under xdist the items did not judge: name what blocks here
        for v in outcome.blocking:
            terminalreporter.write_line(f"  REGRESSION {v.suite} {v.case_id} [{v.baseline}] {v.metric}: "
                                        f"{v.baseline_value:.4g} -> {v.new_value:.4g} (p_adj {v.p_adjusted:.2g})")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write one run record holding every case this session ran.

    An xdist worker sends its results to the controller instead, which merges them into one record.
    """
    from harness.store import write_run

    config = session.config
    state = config.stash.get(_STATE, None)
    if state and state.runs:
        from harness.drift.benchmark_json import apply_timings

        merged = _merge(state.runs)
        merged = replace(merged, results=apply_timings(merged.results, state.timings))
        if hasattr(config, "workerinput"):  # an xdist worker: the controller writes the record
            config.workeroutput["qharness_run"] = json.dumps(merged.to_dict())
            return
        write_run(merged, state.runs_dir)
    if state and state.outcome is not None and not state.outcome.passed and session.exitstatus == 0 \
            and config.getoption("--harness-strict"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # every item passed, the strict outcome did not
    worker_runs = config.stash.get(_WORKER_RUNS, None)
    if worker_runs:
        merged = _merge(worker_runs, {"xdist_workers": len(worker_runs)})
        results = sorted(merged.results, key=lambda r: (r.suite, r.case_id, kind_order(r.baseline)))
        merged = replace(merged, results=tuple(results))
        baselines, runs_dir, all_suites = _paths(config)
        write_run(merged, runs_dir)
        if not config.getoption("--harness-update"):
            _judge_merged(session, merged, baselines, runs_dir, all_suites)


def _judge_merged(session: pytest.Session, merged, baselines: Path, runs_dir: Path, all_suites: bool) -> None:
    """Controller under xdist: the one judgement of the workers' merged run, as ``harness gate`` makes it."""
    from harness.commands import judge_run, open_history

    config = session.config
    outcome, _ = judge_run(merged, baselines, alpha=config.getoption("--harness-alpha"),
                           strict=config.getoption("--harness-strict"), history=open_history(runs_dir),
                           all_suites=all_suites)
    _state(config).outcome = outcome
    if not outcome.passed and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
