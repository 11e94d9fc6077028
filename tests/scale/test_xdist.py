"""``pytest suites/ -n 2``: each worker runs whole cases, one merged run record, baselines written safely."""

from __future__ import annotations

import json
import multiprocessing
import re
from dataclasses import replace
from pathlib import Path

import pytest

# pytester's in-process runs drop the modules they import when they end; numpy and scipy
# cannot be imported twice in one process, so the heavy modules are imported here, once.
import harness.drift  # noqa: F401
import harness.store  # noqa: F401
import scipy.stats  # noqa: F401

from ..conftest import BASELINES, suite_yaml

pytest.importorskip("xdist")

SUITE = suite_yaml("ghz-xdist", matrix={"n": [3, 4], "shots": [500]},
                   baselines={**BASELINES, "hardware": {"backend": "fake_manila", "mitigation": {"readout": True}}})

KINDS = ["classical", "simulator", "hardware.raw", "hardware.mitigated"]


@pytest.mark.sdk
def test_two_workers_run_whole_cases_write_one_record_and_store_intact_baselines(pytester):
    from harness.store import load_baselines, load_run

    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(SUITE)
    args = ("--harness-suites", "-p", "no:cacheprovider", "-n", "2", "-v", "suites")
    result = pytester.runpytest(*args, "--harness-update")
    result.assert_outcomes(passed=8)

    # the four items of a case ran on one worker, and the two cases on different workers
    worker_of: dict[str, set[str]] = {}
    for m in re.finditer(r"\[(gw\d)\].*PASSED suites/ghz.yaml::(n=\d)::", result.stdout.str()):
        worker_of.setdefault(m.group(2), set()).add(m.group(1))
    assert sorted(worker_of) == ["n=3", "n=4"]
    assert all(len(w) == 1 for w in worker_of.values())
    assert worker_of["n=3"] != worker_of["n=4"]

    records = list((pytester.path / ".runs").glob("*.json"))
    assert len(records) == 1  # merged by the controller, not one per worker
    run = load_run(records[0])
    assert run.environment["xdist_workers"] == 2
    assert [(r.case_id, r.baseline) for r in run.results] == [(c, k) for c in ("n=3", "n=4")
                                                              for k in KINDS]
    stored = load_baselines(pytester.path / "baselines", [("ghz-xdist", "n=3"),
                                                          ("ghz-xdist", "n=4")])
    assert len(stored) == 8  # every kind of both cases, checksums intact

    pytester.runpytest(*args).assert_outcomes(passed=8)  # the same seeds on other workers: no drift


def _promote_many(root: str, kind: str, rounds: int, start) -> None:
    from harness.records import Metric, Result, Run
    from harness.store import promote

    start.wait()  # both writers overlap from the first round
    for i in range(rounds):
        result = Result("race", "case", kind, kind.split(".")[0], "ok", {"x": Metric(float(i))})
        # no lock of the caller's: promote reads, merges and writes under the baselines folder's own
        promote(Run(f"run-{kind}-{i}", "2026-01-01", (result,), {"race": {"metrics": {}}}), Path(root))


def test_two_processes_promoting_kinds_of_one_case_lose_no_update(tmp_path):
    from harness.store import load_baselines

    rounds = 100
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_promote_many, args=(str(tmp_path / "b"), kind, rounds, start))
             for kind in ("classical", "simulator")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)  # seconds of work: generous, so that on a loaded machine only a hang reaches it
        assert p.exitcode == 0
    stored = load_baselines(tmp_path / "b", [("race", "case")])
    # each writer's last value survives the other's later read-modify-write
    assert {k[2]: r.metrics["x"].value for k, r in stored.items()} == {"classical": rounds - 1,
                                                                       "simulator": rounds - 1}
    assert json.loads((tmp_path / "b" / "race" / "case.json").read_text())["schema"] >= 1


@pytest.mark.sdk
def test_under_xdist_the_controller_judges_the_merged_run_once_as_the_gate_does(pytester):
    """A regression in one case blocks the whole session, with the verdicts ``harness compare`` gives."""
    from harness.commands import judge_run
    from harness.records import Metric
    from harness.store import load_baselines, load_run, promote
    from harness.records import Run

    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(SUITE)
    args = ("--harness-suites", "-p", "no:cacheprovider", "-n", "2", "suites")
    pytester.runpytest(*args, "--harness-update").assert_outcomes(passed=8)
    # a reviewed promote of a better hardware.raw number for n=4: tonight's run regresses against it
    root = pytester.path / "baselines"
    stored = load_baselines(root, [("ghz-xdist", "n=4")])
    raw = stored[("ghz-xdist", "n=4", "hardware.raw")]
    sp = raw.metrics["success_probability"]
    better = replace(raw, metrics={**raw.metrics, "success_probability": Metric(0.999, sp.kind, 0.0005, sp.n)})
    promote(Run("reviewed", "2026-01-01", (better,), {"ghz-xdist": {"metrics": {
        "success_probability": {"better": "higher", "tolerance": 0.03, "kind": "proportion"}}}}), root)

    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # every item ran; the one judgement failed
    result.stdout.fnmatch_lines(["*REGRESSION ghz-xdist n=4 [[]hardware.raw[]] success_probability*"])
    (record,) = sorted((pytester.path / ".runs").glob("*.json"))[-1:]
    outcome, _ = judge_run(load_run(record), root, history=None, all_suites=True)
    assert [(v.case_id, v.baseline, v.metric) for v in outcome.blocking] == [("n=4", "hardware.raw",
                                                                              "success_probability")]
