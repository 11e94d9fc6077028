"""Stored baselines: written only by promote, atomically, and refused when tampered with."""

import json

import pytest

from harness.errors import BaselineError
from harness.records import Metric, Result, Run
from harness.store import baseline_path, load_baselines, load_run, promote, write_run
from harness.store.migrations import BASELINE_SCHEMA


def result(kind="simulator", value=0.9, status="ok", case="n=3"):
    return Result(suite="ghz", case_id=case, baseline=kind, tier=kind.split(".")[0], status=status,
                  metrics={"success_probability": Metric(value, "proportion", stderr=0.01, n=1000)},
                  counts={"000": 450, "111": 450, "010": 100}, trace=({"x": 1},),
                  error=None if status == "ok" else "boom")


def run(*results, run_id="20261121T000000Z-aaaaaa"):
    return Run(run_id=run_id, created="now", results=tuple(results), suites={"ghz": {"sha256": "abc"}})


def test_promote_then_load_round_trips_metrics_and_counts(tmp_path):
    (path,) = promote(run(result(), result("classical", 1.0)), tmp_path)
    assert path == tmp_path / "ghz" / "n=3.json"
    stored = load_baselines(tmp_path, [("ghz", "n=3")])
    assert stored[("ghz", "n=3", "simulator")].metrics["success_probability"].value == 0.9
    assert stored[("ghz", "n=3", "simulator")].counts == {"000": 450, "111": 450, "010": 100}
    assert stored[("ghz", "n=3", "classical")].trace == ()  # traces stay in the run record
    data = json.loads(path.read_text())
    assert data["schema"] == BASELINE_SCHEMA == 2 and data["promoted_from"] == "20261121T000000Z-aaaaaa"
    assert list(tmp_path.rglob("*.tmp")) == []


def test_failed_results_are_never_promoted_and_keep_the_old_baseline(tmp_path):
    promote(run(result(value=0.9)), tmp_path)
    promote(run(result(value=0.1, status="failed"), result("classical", 1.0), run_id="20261122T000000Z-bbbbbb"), tmp_path)
    stored = load_baselines(tmp_path, [("ghz", "n=3")])
    assert stored[("ghz", "n=3", "simulator")].metrics["success_probability"].value == 0.9
    assert ("ghz", "n=3", "classical") in stored


def test_a_missing_baseline_is_absent_not_an_error(tmp_path):
    assert load_baselines(tmp_path, [("ghz", "n=9")]) == {}


def test_an_edited_baseline_is_refused(tmp_path):
    (path,) = promote(run(result()), tmp_path)
    path.write_text(path.read_text().replace("0.9", "0.99"))
    with pytest.raises(BaselineError, match="checksum mismatch.*\n  fix: restore it from version control"):
        load_baselines(tmp_path, [("ghz", "n=3")])


def test_a_truncated_baseline_is_refused(tmp_path):
    (path,) = promote(run(result()), tmp_path)
    path.write_text(path.read_text()[:100])
    with pytest.raises(BaselineError, match="unreadable stored baseline"):
        load_baselines(tmp_path, [("ghz", "n=3")])


def test_a_newer_schema_is_refused(tmp_path):
    (path,) = promote(run(result()), tmp_path)
    data = json.loads(path.read_text())
    data["schema"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineError, match="newer than this harness understands"):
        load_baselines(tmp_path, [("ghz", "n=3")])


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".hidden"])
def test_paths_cannot_escape_the_folder(tmp_path, name):
    with pytest.raises(BaselineError, match="unsafe"):
        baseline_path(tmp_path, "ghz", name)


def test_run_records_are_immutable_and_round_trip(tmp_path):
    record = run(result())
    path = write_run(record, tmp_path)
    assert load_run(path) == record
    with pytest.raises(BaselineError, match="immutable"):
        write_run(record, tmp_path)
