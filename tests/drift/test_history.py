"""History: append, read back, idempotence, two writers at once, schema refusal and upgrade, learning tags."""

from __future__ import annotations

import math
import multiprocessing as mp
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from harness.drift import Verdict
from harness.errors import BaselineError, ResourceError
from harness.records import Metric, Result, Run
from harness.store.history import HISTORY_SCHEMA, History

KEY = ("ghz", "n=3", "hardware.raw", "p")


def night(i: int, p: float, *, energy: float = -1.0, status: str = "ok") -> Run:
    res = Result("ghz", "n=3", "hardware.raw", "hardware.raw", status,
                 {"p": Metric(p, "proportion", n=4000), "e": Metric(energy, "expectation", stderr=0.01),
                  "t": Metric(1.5, "timing", samples=(1.4, 1.5, 1.6), unit="s")})
    return Run(f"run-{i:04d}", f"2025-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z", (res,))


def test_append_and_read_back_in_order(tmp_path):
    h = History(tmp_path / "h.sqlite")
    for i in (2, 0, 1):  # appended out of order, read back by creation time
        h.append(night(i, 0.5 + i / 100))
    assert h.runs() == ["run-0000", "run-0001", "run-0002"]
    pts = h.series(*KEY)
    assert [p.value for p in pts] == [0.50, 0.51, 0.52]
    assert pts[0].n == 4000 and pts[0].stderr is None and pts[0].status == "ok"
    assert pts[0].shot_stderr == pytest.approx(math.sqrt(0.25 / 4000))
    assert [p.run_id for p in h.series(*KEY, limit=2)] == ["run-0001", "run-0002"]
    assert h.series("ghz", "n=3", "hardware.raw", "t")[0].kind == "timing"


def test_verdict_status_is_stored_and_failed_results_have_no_value(tmp_path):
    h = History(tmp_path / "h.sqlite")
    v = Verdict("ghz", "n=3", "hardware.raw", "p", "regression", "higher", 0.0)
    h.append(night(0, 0.4), [v])
    h.append(night(1, 0.5, status="failed"))
    first, second = h.series(*KEY)
    assert first.status == "regression"
    assert (second.value, second.status) == (None, "failed")


def test_append_is_idempotent_per_run_id(tmp_path):
    h = History(tmp_path / "h.sqlite")
    h.append(night(0, 0.5))
    h.append(night(0, 0.9))  # same run id: runs are immutable, the first one stays
    assert [p.value for p in h.series(*KEY)] == [0.5]
    assert History(tmp_path / "h.sqlite").runs() == ["run-0000"]  # reopening keeps it


def _writer(path: str, start: int, count: int) -> None:
    h = History(Path(path))
    for i in range(start, start + count):
        h.append(night(i, 0.5))


def test_two_processes_append_at_once(tmp_path):
    path = tmp_path / "shared.sqlite"
    ctx = mp.get_context("spawn")  # a fresh interpreter per writer, as two gate commands would be
    procs = [ctx.Process(target=_writer, args=(str(path), start, 40)) for start in (0, 1000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)  # seconds of work: generous, so that on a loaded machine only a hang reaches it
    assert [p.exitcode for p in procs] == [0, 0]
    h = History(path)
    assert len(h.runs()) == 80 and len(h.series(*KEY)) == 80
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert con.execute("SELECT count(*) FROM points").fetchone() == (80 * 3,)


def test_newer_schema_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(HISTORY_SCHEMA + 1),))
    with pytest.raises(BaselineError, match="newer") as err:
        History(path)
    assert str(path) in str(err.value) and "fix:" in str(err.value)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database at all, just text " * 100)
    with pytest.raises(ResourceError, match="not a history database"):
        History(junk)


def test_learning_tags_are_stored_with_each_point(tmp_path):
    h = History(tmp_path / "h.sqlite")
    run = night(0, 0.5)
    h.append(run, [], {run.results[0].key: ("cfg1", "ref1")})
    h.append(night(1, 0.6))  # no tags: stored empty
    points = h.series(*KEY)
    assert [(p.config, p.baseline_ref) for p in points] == [("cfg1", "ref1"), (None, None)]
    assert [(p.config, p.baseline_ref) for p in h.series_many([KEY])[KEY]] == [("cfg1", "ref1"), (None, None)]


def test_a_version_1_file_gets_the_learning_columns_empty(tmp_path):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1');
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, created TEXT NOT NULL, environment TEXT NOT NULL);
        CREATE TABLE points (run_id TEXT NOT NULL, suite TEXT NOT NULL, case_id TEXT NOT NULL, baseline TEXT NOT NULL,
            metric TEXT NOT NULL, kind TEXT NOT NULL, value REAL, stderr REAL, n INTEGER, status TEXT NOT NULL,
            PRIMARY KEY (run_id, suite, case_id, baseline, metric));
        INSERT INTO runs VALUES ('r0', '2025-01-01T00:00:00Z', '{}');
        INSERT INTO points VALUES ('r0', 'ghz', 'n=3', 'hardware.raw', 'p', 'proportion', 0.5, NULL, 4000, 'unchanged');
    """)
    con.close()
    h = History(path)
    assert [(p.value, p.config, p.baseline_ref) for p in h.series(*KEY)] == [(0.5, None, None)]
    h.append(night(1, 0.6), [], {("ghz", "n=3", "hardware.raw"): ("c", "r")})
    assert [p.config for p in h.series(*KEY)] == [None, "c"]
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == str(HISTORY_SCHEMA)


def test_series_many_reads_the_same_points_as_series_over_the_recent_runs(tmp_path):
    from harness.records import Metric, Result, Run
    from harness.store.history import History

    history = History(tmp_path / "h.sqlite")
    for night in range(6):
        metrics = {"p": Metric(0.5 + night / 100, "proportion", n=100), "q": Metric(float(night), "scalar")}
        result = Result(suite="s", case_id="c", baseline="simulator", tier="simulator", status="ok", metrics=metrics)
        history.append(Run(run_id=f"night-{night}", created=f"2026-01-0{night + 1}T00:00:00", results=(result,)))
    keys = [("s", "c", "simulator", "p"), ("s", "c", "simulator", "q")]
    bulk = history.series_many(keys, limit=4)
    for key in keys:
        assert bulk[key] == history.series(*key, limit=4)
    assert [p.run_id for p in bulk[keys[0]]] == ["night-2", "night-3", "night-4", "night-5"]


@pytest.mark.parametrize("few_keys", [0, 256], ids=["one walk per suite", "one seek per series"])
def test_columns_many_holds_the_points_of_series_many(tmp_path, monkeypatch, few_keys):
    """Same runs, values (NaN for none), statuses and order, also when run ids do not sort by time,
    whether the suite's points are walked once or each series is sought in the index."""
    import harness.store.history as module

    monkeypatch.setattr(module, "_FEW_KEYS", few_keys)
    history = History(tmp_path / "h.sqlite")
    rng = np.random.default_rng(1)
    for night in range(8):
        metrics = {"p": Metric(float(rng.random()), "proportion", n=100), "q": Metric(float(night), "scalar")}
        if night == 3:
            metrics.pop("q")  # a metric absent from one run
        status = "failed" if night == 5 else "ok"
        result = Result("s", "c", "simulator", "simulator", status, metrics)
        other = Result("t", "c", "simulator", "simulator", "ok", {"p": Metric(0.1 * night, "proportion", n=10)})
        # run ids in reverse of time order: the index walks by run id, the columns must come by time
        verdicts = [Verdict("s", "c", "simulator", "p", "regression", "higher", 0.1)] if night == 6 else []
        history.append(Run(f"run-{9 - night}", f"2026-01-0{night + 1}T00:00:00", (result, other)), verdicts)
    keys = [("s", "c", "simulator", "p"), ("s", "c", "simulator", "q"), ("t", "c", "simulator", "p"),
            ("s", "nope", "simulator", "p")]
    for limit in (None, 5, 1):
        columns, points = history.columns_many(keys, limit=limit), history.series_many(keys, limit=limit)
        for key in keys:
            col, pts = columns[key], points[key]
            assert col.run_ids == tuple(p.run_id for p in pts) and col.created == tuple(p.created for p in pts)
            assert col.statuses == tuple(p.status for p in pts) and len(col) == len(pts)
            np.testing.assert_array_equal(col.values, [np.nan if p.value is None else p.value for p in pts])
    full = history.columns_many(keys)
    assert full[keys[0]].run_ids[:3] == ("run-9", "run-8", "run-7") and len(full[keys[1]]) == 7
    assert np.isnan(full[keys[0]].values[5]) and full[keys[0]].statuses[5:7] == ("failed", "regression")
    assert len(full[keys[3]]) == 0 and history.columns_many([]) == {}


def test_an_older_file_gets_the_covering_index(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path).append(night(0, 0.5))
    with sqlite3.connect(path) as con:  # the layout before the covering index
        con.execute("DROP INDEX points_by_series")
        con.execute("CREATE INDEX points_by_metric ON points (suite, case_id, baseline, metric)")
    h = History(path)
    with sqlite3.connect(path) as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        plan = " ".join(str(r) for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT run_id, value, status FROM points WHERE suite = 'ghz' "
            "ORDER BY case_id, baseline, metric, run_id"))
    assert "points_by_series" in names and "points_by_metric" not in names
    assert "COVERING INDEX points_by_series" in plan
    assert h.columns_many([KEY])[KEY].values.tolist() == [0.5]


def test_timings_of_cache_served_results_are_not_stored_as_latencies(tmp_path):
    from harness.records import Metric, Result, Run
    from harness.store.history import History

    metrics = {"p": Metric(0.9, "proportion", n=100), "time_to_solution": Metric(0.001, "timing", n=1)}
    result = Result(suite="s", case_id="c", baseline="simulator", tier="simulator", status="ok", metrics=metrics,
                    resources={"cache": {"hits": 2, "misses": 0}})
    history = History(tmp_path / "h.sqlite")
    history.append(Run(run_id="r1", created="2026-01-01T00:00:00", results=(result,)))
    (timing,) = history.series("s", "c", "simulator", "time_to_solution")
    (p,) = history.series("s", "c", "simulator", "p")
    assert timing.value is None and timing.status == "cached"
    assert p.value == 0.9
