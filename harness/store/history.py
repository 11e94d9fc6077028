"""The run history: every metric of every run in one SQLite file, safe for two writers at once.

The nightly gate appends each run here (with its verdicts, and per result the judged
configuration and the stored baseline it was judged against); the drift engine reads a metric's
series back to learn its excess variance (:mod:`harness.drift.learning` decides which points may
teach) and the report draws an advisory change-point view (:mod:`harness.drift.changepoint`).
The store keeps the points; no statistics live here.

Concurrency: the database runs in WAL mode (readers never block the writer), every append is
one ``BEGIN IMMEDIATE`` transaction (the write lock is taken up front, so two writers queue
instead of deadlocking on a lock upgrade) and connections wait up to :data:`BUSY_TIMEOUT_S`
for the lock. Appending a run whose ``run_id`` is stored already changes nothing.

Layout (version :data:`HISTORY_SCHEMA`, kept in table ``meta``; a newer file is refused)::

    meta(key PRIMARY KEY, value)
    runs(run_id PRIMARY KEY, created, environment JSON)
    points(run_id, suite, case_id, baseline, metric, kind, value, stderr, n, status, config, baseline_ref,
           PRIMARY KEY(run_id, suite, case_id, baseline, metric))
    index points_by_series(suite, case_id, baseline, metric, run_id, value, status)

The index covers what a report reads of each point (:meth:`History.columns_many`), so drawing a
year of thousands of series is a walk along one index, not a lookup of each row. (It replaced an
index on the key alone, ``points_by_metric``, which opening an older file drops: the layout is
otherwise the same, so the schema version did not change.) Version 2 added ``config`` and
``baseline_ref``; a version-1 file gets the two columns, empty, when opened: its points then teach
nothing, since nobody knows under which configuration and baseline they were judged.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
from contextlib import closing, contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np
from harness.drift.stat_tests import binomial_stderr
from harness.drift.verdict import Verdict
from harness.errors import BaselineError, ResourceError
from harness.records import Run
from harness.store.faults import describe

__all__ = ["BUSY_TIMEOUT_S", "DEFAULT_HISTORY", "HISTORY_SCHEMA", "History", "Point", "SeriesColumns"]

HISTORY_SCHEMA = 2
"""Version of the history layout written by this code."""

DEFAULT_HISTORY = Path(".runs") / "history.sqlite"
"""Where the gate keeps the history unless told otherwise (beside the run records)."""

BUSY_TIMEOUT_S = 30.0
"""How long a connection waits for another writer's lock before giving up (``QHARNESS_HISTORY_WAIT`` overrides)."""


def busy_timeout() -> float:
    """Seconds to wait for another writer: ``QHARNESS_HISTORY_WAIT`` if set to a number, else :data:`BUSY_TIMEOUT_S`."""
    try:
        value = float(os.environ.get("QHARNESS_HISTORY_WAIT", BUSY_TIMEOUT_S))
    except ValueError:
        return BUSY_TIMEOUT_S
    return value if math.isfinite(value) and value >= 0 else BUSY_TIMEOUT_S

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, created TEXT NOT NULL, environment TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    run_id TEXT NOT NULL REFERENCES runs(run_id), suite TEXT NOT NULL, case_id TEXT NOT NULL,
    baseline TEXT NOT NULL, metric TEXT NOT NULL, kind TEXT NOT NULL, value REAL, stderr REAL,
    n INTEGER, status TEXT NOT NULL, config TEXT, baseline_ref TEXT, PRIMARY KEY (run_id, suite, case_id, baseline, metric));
DROP INDEX IF EXISTS points_by_metric;
CREATE INDEX IF NOT EXISTS points_by_series ON points (suite, case_id, baseline, metric, run_id, value, status);
"""

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Point:
    """One run's value of one metric. ``status`` is the verdict's, or the result's when not judged."""

    run_id: str
    created: str
    value: float | None
    stderr: float | None
    n: int | None
    status: str
    kind: str = "scalar"
    config: str | None = None
    baseline_ref: str | None = None

    @property
    def shot_stderr(self) -> float | None:
        """The stored standard error, or for a proportion without one, the binomial error."""
        if self.stderr is not None:
            return self.stderr
        if self.kind == "proportion" and self.value is not None:
            return binomial_stderr(self.value, self.n)
        return None


@dataclass(frozen=True, eq=False)
class SeriesColumns:
    """One metric's points as columns, oldest first: the run, its value (NaN when none) and status.

    What a report draws of each of thousands of series: one array and two tuples per series
    instead of a :class:`Point` per run and metric.
    """

    run_ids: tuple[str, ...]
    created: tuple[str, ...]
    values: np.ndarray
    statuses: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.run_ids)


_NO_COLUMNS = SeriesColumns((), (), np.zeros(0), ())


def _real(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


class History:
    """The SQLite history at ``path`` (created with its folder on first use).

    Example:
        >>> import tempfile
        >>> from harness.records import Metric, Result
        >>> h = History(Path(tempfile.mkdtemp()) / "history.sqlite")
        >>> res = Result("s", "c", "simulator", "simulator", "ok", {"p": Metric(0.5, "proportion", n=1000)})
        >>> h.append(Run("r1", "2025-01-01T00:00:00Z", (res,)), [])
        >>> [(p.run_id, p.value) for p in h.series("s", "c", "simulator", "p")]
        [('r1', 0.5)]
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.stat().st_size if self.path.exists() else None
        except OSError as exc:
            raise describe(exc, str(self.path)) from exc
        if existed is None:
            self._create()
        elif existed == 0:  # SQLite would take an empty file as a new database: the history would start anew
            raise ResourceError(f"{self.path}: the history database is empty (0 bytes; truncated?)",
                                hint="restore it from a backup (the nightly CI cache), or delete it to start "
                                     "a new history", resource=str(self.path))
        self._check_tables()
        with self._connect() as con, self._write(con):
            # One statement at a time: executescript would commit the open transaction first.
            for statement in filter(str.strip, _DDL.split(";")):
                con.execute(statement)  # CREATE ... IF NOT EXISTS: idempotent
            row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                con.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(HISTORY_SCHEMA),))
            else:
                self._check_schema(row[0])
                columns = {r[1] for r in con.execute("PRAGMA table_info(points)")}
                for column in ("config", "baseline_ref"):  # version 1 -> 2
                    if column not in columns:
                        con.execute(f"ALTER TABLE points ADD COLUMN {column} TEXT")
                con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(HISTORY_SCHEMA),))

    def _create(self) -> None:
        """Build a new history beside ``path`` and link it into place, so no one ever sees it empty.

        Two gates starting a history at once both build one; the first link wins and the other's
        copy is dropped. (A file that is empty at ``path`` is therefore damage, never a history
        being born.)
        """
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".new", dir=self.path.parent)
        os.close(fd)
        try:
            # in rollback-journal mode, so the file is whole once COMMIT returns (WAL would leave the
            # tables in a -wal file that a full disk can stop from being folded back); WAL is set
            # on the linked file by the first connection
            with closing(sqlite3.connect(tmp, isolation_level=None)) as con:
                con.execute("BEGIN")
                for statement in filter(str.strip, _DDL.split(";")):
                    con.execute(statement)
                con.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(HISTORY_SCHEMA),))
                con.execute("COMMIT")
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process created it first
        except (OSError, sqlite3.Error) as exc:
            raise describe(exc, str(self.path)) from exc
        finally:
            for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
                try:
                    os.unlink(leftover)
                except FileNotFoundError:
                    pass

    def _check_tables(self) -> None:
        """Refuse an existing file that is not a history, reading it only (so a refused file stays as it was)."""
        try:
            with closing(sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True,
                                         timeout=busy_timeout())) as con:
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise ResourceError(f"{self.path}: not a history database, or a corrupt one ({exc})",
                                    hint="restore it from a backup (the nightly CI cache), or move it away "
                                         "to start a new history", resource=str(self.path)) from exc
            raise describe(exc, str(self.path)) from exc
        missing = sorted({"meta", "runs", "points"} - tables)
        if missing:
            raise ResourceError(f"{self.path}: not a qharness history (no table {', '.join(missing)})",
                                hint="restore it from a backup, or move it away to start a new history",
                                resource=str(self.path))

    def verify(self) -> None:
        """SQLite's ``quick_check`` of the whole file (opening it checked tables, schema and the lock).

        Raises:
            ResourceError: the file is corrupt.
        """
        with self._connect() as con:
            problems = [r[0] for r in con.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise ResourceError(f"{self.path}: the history database is corrupt ({'; '.join(problems[:3])})",
                                hint="restore it from a backup (the nightly CI cache), or move it away to start "
                                     "a new history", resource=str(self.path))

    def _check_schema(self, value: str) -> None:
        try:
            version = int(value)
        except ValueError:
            version = None
        if version is None or version > HISTORY_SCHEMA:
            raise BaselineError(f"{self.path}: history schema {value!r} is newer than this harness understands "
                                f"({HISTORY_SCHEMA})",
                                hint="upgrade qharness, or point the gate at a new history file")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        wait = busy_timeout()
        try:
            con = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
        except sqlite3.Error as exc:
            raise describe(exc, str(self.path)) from exc
        with closing(con):
            try:
                con.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
                # WAL lets the report read while a gate writes; the setting persists in the file.
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA foreign_keys = ON")
                yield con
            except sqlite3.DatabaseError as exc:
                if "not a database" in str(exc) or "malformed" in str(exc):
                    raise ResourceError(f"{self.path}: not a history database, or a corrupt one ({exc})",
                                        hint="restore it from a backup (the nightly CI cache), or move it away "
                                             "to start a new history", resource=str(self.path)) from exc
                fault = describe(exc, str(self.path))
                if "locked" in str(exc):
                    fault.message += f" (waited {wait:g} s)"
                raise fault from exc

    @contextmanager
    def _write(self, con: sqlite3.Connection) -> Iterator[None]:
        # IMMEDIATE takes the write lock now: two writers queue on the busy timeout instead of
        # both reading and then failing to upgrade their locks.
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def append(self, run: Run, verdicts: Sequence[Verdict] = (),
               tags: Mapping[tuple[str, str, str], tuple[str | None, str | None]] | None = None) -> None:
        """Store every metric of every result of ``run``, with its verdict's status when judged.

        ``tags`` maps a result's key to its (judged configuration, stored-baseline reference), as
        :func:`harness.drift.learning.learning_tags` computes them; without, both are stored empty.
        Idempotent per ``run_id``: a run stored already is left as it is.
        """
        status = {v.key: v.status for v in verdicts}
        tags = tags or {}
        rows = []
        for res in run.results:
            cache = res.resources.get("cache") if isinstance(res.resources, Mapping) else None
            cached = isinstance(cache, Mapping) and int(cache.get("hits", 0)) > 0
            config, ref = tags.get(res.key, (None, None))
            for name, m in res.metrics.items():
                key = (*res.key, name)
                if cached and m.kind == "timing":
                    # served from the result cache: the seconds measure the cache, not the work
                    rows.append((run.run_id, *key, m.kind, None, None, m.n, "cached", config, ref))
                    continue
                value = _real(m.value) if res.status == "ok" else None
                rows.append((run.run_id, *key, m.kind, value, _real(m.stderr), m.n,
                             status.get(key, res.status if value is not None else "failed"), config, ref))
        env = json.dumps(dict(run.environment), sort_keys=True, default=str)
        with self._connect() as con, self._write(con):
            cur = con.execute("INSERT OR IGNORE INTO runs (run_id, created, environment) VALUES (?, ?, ?)",
                              (run.run_id, run.created, env))
            if cur.rowcount == 0:
                return  # stored already: runs are immutable
            con.executemany("INSERT INTO points (run_id, suite, case_id, baseline, metric, kind, value, stderr, n, "
                            "status, config, baseline_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def runs(self) -> list[str]:
        """Run ids, oldest first (by ``created``, then id)."""
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY created, run_id")]

    def series(self, suite: str, case_id: str, baseline: str, metric: str, *,
               limit: int | None = None) -> list[Point]:
        """One metric's points, oldest first; with ``limit``, only the most recent ``limit``."""
        with self._connect() as con:
            return self._series(con, (suite, case_id, baseline, metric), limit)

    def series_many(self, keys: Iterable[Key], *, limit: int | None = None) -> dict[Key, list[Point]]:
        """Many metrics' points over the last ``limit`` runs of the history, in one scan.

        Unlike :meth:`series`, ``limit`` counts runs of the whole history, not points of each
        metric: a metric absent from some of those runs has fewer points. A report reads
        thousands of series, and one query over the recent runs is much faster than one each.
        """
        wanted = {tuple(k) for k in keys}
        out: dict[Key, list[Point]] = {k: [] for k in wanted}
        if not wanted:
            return out
        suites = sorted({k[0] for k in wanted})
        with self._connect() as con:
            cutoff = ""
            if limit is not None:
                row = con.execute("SELECT created FROM runs ORDER BY created DESC, run_id DESC LIMIT 1 OFFSET ?",
                                  (max(int(limit) - 1, 0),)).fetchone()
                cutoff = row[0] if row else ""
            marks = ",".join("?" * len(suites))
            rows = con.execute(
                "SELECT p.suite, p.case_id, p.baseline, p.metric, p.run_id, r.created, p.value, p.stderr, p.n, "
                f"p.status, p.kind, p.config, p.baseline_ref FROM points p JOIN runs r USING (run_id) WHERE p.suite IN ({marks}) "
                "AND r.created >= ? ORDER BY r.created, p.run_id", (*suites, cutoff))
            for row in rows:
                bucket = out.get(row[:4])
                if bucket is not None:
                    bucket.append(Point(*row[4:]))
        return out

    def columns_many(self, keys: Iterable[Key], *, limit: int | None = None) -> dict[Key, SeriesColumns]:
        """The points :meth:`series_many` reads (over the same runs), as columns, read much faster.

        Per suite, one query counts each metric's points and one walks the covering index for
        (run, value, status) in key order, both in one read transaction so they agree while
        another process appends; the rows are then split by those counts and put in run order.
        Up to :data:`_FEW_KEYS` series of a suite are instead sought one by one in the same index.
        """
        wanted = {tuple(k) for k in keys}
        out: dict[Key, SeriesColumns] = dict.fromkeys(wanted, _NO_COLUMNS)
        if not wanted:
            return out
        with self._connect() as con:
            con.execute("BEGIN")  # one snapshot for all the queries below
            try:
                runs = con.execute("SELECT run_id, created FROM runs ORDER BY created, run_id").fetchall()
                cutoff = ""
                if limit is not None and runs:
                    cutoff = runs[-min(max(int(limit), 1), len(runs))][1]  # as series_many: by created
                recent = [r for r in runs if r[1] >= cutoff]
                # Only when the limit leaves runs out: the unary + keeps the index walk in key order.
                where, extra = ("", ())
                if len(recent) < len(runs):
                    where, extra = " AND +run_id IN (SELECT run_id FROM runs WHERE created >= ?)", (cutoff,)
                for suite in sorted({k[0] for k in wanted}):
                    mine = sorted(k for k in wanted if k[0] == suite)
                    if len(mine) <= _FEW_KEYS:  # a few series: seek each in the index, not the suite's every row
                        groups, rows = [], []
                        for key in mine:
                            got = con.execute(f"SELECT run_id, value, status FROM points WHERE suite = ? AND "
                                              f"case_id = ? AND baseline = ? AND metric = ?{where} ORDER BY run_id",
                                              (*key, *extra)).fetchall()
                            if got:
                                groups.append((*key[1:], len(got)))
                                rows += got
                    else:
                        groups = con.execute(f"SELECT case_id, baseline, metric, count(*) FROM points "
                                             f"WHERE suite = ?{where} GROUP BY case_id, baseline, metric "
                                             "ORDER BY case_id, baseline, metric", (suite, *extra)).fetchall()
                        rows = con.execute(f"SELECT run_id, value, status FROM points WHERE suite = ?{where} "
                                           "ORDER BY case_id, baseline, metric, run_id", (suite, *extra)).fetchall()
                    out.update(_split(suite, groups, rows, recent, wanted))
            finally:
                con.execute("COMMIT")
        return out

    @staticmethod
    def _series(con: sqlite3.Connection, key: Key, limit: int | None) -> list[Point]:
        sql = ("SELECT p.run_id, r.created, p.value, p.stderr, p.n, p.status, p.kind, p.config, p.baseline_ref "
               "FROM points p "
               "JOIN runs r USING (run_id) WHERE p.suite = ? AND p.case_id = ? AND p.baseline = ? AND p.metric = ? "
               "ORDER BY r.created DESC, p.run_id DESC")
        args: tuple = key
        if limit is not None:
            sql += " LIMIT ?"
            args += (int(limit),)
        rows = con.execute(sql, args).fetchall()
        return [Point(*row) for row in reversed(rows)]



_FEW_KEYS = 256
"""Up to this many series of a suite, :meth:`History.columns_many` seeks each one in the covering index;
beyond it one walk over all the suite's points is cheaper."""

def _split(suite: str, groups: list[tuple], rows: list[tuple], runs: list[tuple[str, str]],
           wanted: set[Key]) -> dict[Key, SeriesColumns]:
    """Cut one suite's rows (in key order, then run id) into the wanted series, each in run order."""
    if not rows:
        return {}
    position = {run_id: i for i, (run_id, _) in enumerate(runs)}
    # itemgetter maps, not zip(*rows): unpacking a few hundred thousand rows as arguments is slow.
    pos = np.fromiter(map(position.__getitem__, map(itemgetter(0), rows)), np.intp, len(rows))
    vals = np.array(list(map(itemgetter(1), rows)), float)  # NULL (no value) becomes NaN
    statuses = list(map(itemgetter(2), rows))
    counts = np.array([g[3] for g in groups], np.intp)
    group = np.repeat(np.arange(len(groups)), counts)
    # Rows come by run id within a key; runs are ordered by creation time. Usually the same order.
    if np.any((np.diff(pos) <= 0) & (np.diff(group) == 0)):
        order = np.lexsort((pos, group))
        pos, vals, statuses = pos[order], vals[order], list(map(statuses.__getitem__, order.tolist()))
    all_ids, all_created = tuple(r[0] for r in runs), tuple(r[1] for r in runs)
    out = {}
    stop = np.cumsum(counts).tolist()
    for (case_id, baseline, metric, _), b, e in zip(groups, [0, *stop[:-1]], stop):
        key = (suite, case_id, baseline, metric)
        if key not in wanted:
            continue
        if e - b == len(runs):  # in every run (the usual case): share the runs' columns
            ids, created = all_ids, all_created
        else:
            at = pos[b:e].tolist()
            ids, created = tuple(map(all_ids.__getitem__, at)), tuple(map(all_created.__getitem__, at))
        out[key] = SeriesColumns(ids, created, vals[b:e], tuple(statuses[b:e]))
    return out
