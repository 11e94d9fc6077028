"""Cases on Dask: the same results, in the same order, as a serial run; journal, budget and failures stay sane."""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import replace
from pathlib import Path

import pytest

from harness.commands import plan_suites, record_run
from harness.errors import HarnessError, UnsupportedError
from harness.orchestration.budget import Budget, BudgetMeter
from harness.orchestration.distributed import dask_executor
from harness.store.journal import Journal, journal_path
from harness.orchestration.runner import run_plans
from harness.orchestration.tiers import Execution

pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.sdk
def test_two_workers_return_what_a_serial_run_returns_in_its_order(ghz_suite, dask_cluster, comparable):
    # the custom workload is loaded from a file beside its suite: it travels to the workers by value
    custom = [replace(p, cases=p.cases[:1]) for p in plan_suites([REPO / "suites" / "custom-bv.yaml"])]
    plans = plan_suites([ghz_suite]) + custom
    serial = run_plans(plans)
    seen = []
    with dask_executor(scheduler=dask_cluster.scheduler_address) as out:
        assert out.slots == 2 and out.info["workers"] == 2
        dist = run_plans(plans, executor=out.executor, slots=out.slots,
                         progress=lambda label, i, n: seen.append((i, n)))
    assert len(dist.results) == 2 * 4 + 4
    assert all(r.status == "ok" for r in dist.results)
    assert comparable(dist.results) == comparable(serial.results)
    assert seen == [(0, 3), (1, 3), (2, 3)]
    # the hardware pair still shares one hybrid loop per case
    raw, mitigated = dist.results[2], dist.results[3]
    # (the mitigated time to solution is that loop's plus the mitigation run's)
    spent = mitigated.lineage["mitigation_details"]["seconds"]
    assert mitigated.metrics["time_to_solution"].value == pytest.approx(raw.metrics["time_to_solution"].value + spent)


@pytest.mark.sdk
def test_a_resumed_run_on_the_cluster_keeps_journaled_results_and_records_the_rest(
        ghz_suite, tmp_path, dask_cluster, comparable):
    runs = tmp_path / "runs"
    plans = plan_suites([ghz_suite])
    first_case = run_plans([replace(plans[0], cases=plans[0].cases[:1])])
    journal = Journal.create(runs, "20260101T000000.000000Z-abc123", "2026-01-01T00:00:00+00:00", [str(ghz_suite)],
                             None, {"sha256": {"ghz-scale": plans[0].suite.sha256}})
    journal.append(first_case.results[:2])  # classical and simulator of the first case were done

    run, path = record_run([], runs_dir=runs, resume=journal.run_id, scheduler=dask_cluster.scheduler_address,
                           cache=False)
    assert run.run_id == journal.run_id and path.exists()
    assert not journal_path(runs, journal.run_id).exists()  # removed once the record is written
    assert run.results[:2] == first_case.results[:2]  # journaled results are reused as they were
    assert comparable(run.results) == comparable(run_plans(plans).results)
    assert run.environment["scale_out"]["executor"] == "dask"


@pytest.mark.sdk
def test_a_shot_budget_is_never_overspent_by_cases_in_flight(ghz_suite, dask_cluster):
    plans = plan_suites([ghz_suite])
    # a case spends 1500 shots (simulator 500, hardware loop 500, readout mitigation 500); the two
    # cases in flight each hold half of the 1500: each runs its simulator, neither its hardware
    meter = BudgetMeter(Budget(shots=1500))
    with dask_executor(scheduler=dask_cluster.scheduler_address) as out:
        run = run_plans(plans, executor=out.executor, slots=out.slots, execution=Execution(meter=meter))
    assert run.environment["budget"]["spent"]["shots"] == 1000
    assert [r.status for r in run.results] == ["ok", "ok", "failed", "failed"] * 2
    assert all(r.error.startswith("budget: BudgetExceeded") for r in run.results if r.status == "failed")


@pytest.mark.sdk
def test_workers_see_the_run_clock_so_a_spent_time_budget_cancels_cases_they_start(ghz_suite, dask_cluster):
    import time

    meter = BudgetMeter(Budget(seconds=5.0), started=time.monotonic() - 10)  # the run began 10 s ago
    with dask_executor(scheduler=dask_cluster.scheduler_address) as out:
        run = run_plans(plan_suites([ghz_suite]), executor=out.executor, slots=out.slots,
                        execution=Execution(meter=meter))
    assert [r.status for r in run.results] == ["failed"] * 8
    assert all(r.error.startswith("cancelled: the run's time budget of 5 s was spent") for r in run.results)


class _LostWorkers(cf.Executor):
    """An executor whose tasks never come back, as when the worker running them dies."""

    def submit(self, fn, *args, **kwargs):
        future = cf.Future()
        future.set_exception(OSError("connection to tcp://10.0.0.7:40000 closed"))
        return future


@pytest.mark.sdk
def test_a_case_whose_worker_died_is_recorded_as_failed_and_the_run_goes_on(ghz_suite):
    run = run_plans(plan_suites([ghz_suite]), executor=_LostWorkers(), slots=2)
    assert [r.status for r in run.results] == ["failed"] * 8
    assert "did not come back from its worker (OSError: connection to tcp://10.0.0.7:40000 closed)" in run.results[0].error


def test_scale_out_options_are_checked_before_anything_runs(tmp_path):
    with pytest.raises(UnsupportedError, match="not both"):
        with dask_executor(workers=2, scheduler="tcp://127.0.0.1:1"):
            pass
    with pytest.raises(UnsupportedError, match="at least one worker"):
        with dask_executor(workers=0):
            pass
    with pytest.raises(HarnessError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1") as exc:
        with dask_executor(scheduler="tcp://127.0.0.1:1", timeout=1):
            pass
    assert "dask scheduler" in str(exc.value)  # the fix says how to start one


def test_the_cli_takes_workers_or_a_scheduler_not_both(tmp_path, capsys):
    from harness.cli import main

    for command in ("run", "gate"):
        with pytest.raises(SystemExit) as exit_:
            main([command, str(tmp_path), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
        assert exit_.value.code == 2
        assert "not both" in capsys.readouterr().err


def test_harness_run_with_workers_starts_a_local_cluster_and_records_it(tmp_path, capsys, comparable, make_suite):
    from harness.cli import main
    from harness.store import load_run

    suite = make_suite("ghz-cli", seed=2, matrix={"n": [3, 5], "shots": [100]}, baselines=("classical",), file="ghz.yaml")
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(suite), "--workers", "1", "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    assert exit_.value.code == 0
    record = load_run(next((tmp_path / "runs").glob("*.json")))
    scale = record.environment["scale_out"]
    assert (scale["executor"], scale["workers"], scale["slots"], scale["local"]) == ("dask", 1, 1, True)
    assert scale["scheduler"].startswith("tcp://127.0.0.1:")
    assert comparable(record.results) == comparable(run_plans(plan_suites([suite])).results)
    assert "run " in capsys.readouterr().out
