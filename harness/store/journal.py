"""An append-only journal per run, so an interrupted run resumes without losing or repeating a result.

``<runs_dir>/<run_id>.journal.jsonl`` holds one JSON object per line:

- the first line: ``{"type": "header", "schema", "run_id", "created", "suites": [paths], "seed", "budget"}``;
- then one ``{"type": "results", "results": [...]}`` line per finished tier group (the classical
  result, the simulator result, or the hardware raw + mitigated pair), written with one ``write``
  and fsynced, so a group is either whole on disk or absent.

A crash can leave a torn last line; :func:`read_journal` ignores it, and its group runs again on
resume. The journal is removed once the final run record is written.

A journal sits in the runs folder, which is not reviewed (a nightly job may carry it in a CI
cache), so it is verified before it is believed: the header's ``run_id`` must have the format of a
run id and be the file's own name (it becomes the path of the run record: ``"../x"`` would write
outside the runs folder), and every results line carries the sha256 of its results, which must be
well-formed. A line failing a check is skipped with an
:class:`~harness.store.untrusted.UntrustedFileWarning`, and its group runs again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from harness.errors import BaselineError
from harness.lineage import stable_hash
from harness.records import Result
from harness.store.shape import result_problem
from harness.store.untrusted import check_run_id, confined, discard

__all__ = ["JOURNAL_SCHEMA", "Journal", "journal_path", "read_journal"]

JOURNAL_SCHEMA = 2
"""2: every results line carries the checksum of its results."""

_SUFFIX = ".journal.jsonl"


def journal_path(runs_dir: str | Path, run_id: str) -> Path:
    """``<runs_dir>/<run_id>.journal.jsonl``; refuses anything that is not a run id (so no path leaves the folder)."""
    check_run_id(run_id, runs_dir)
    return confined(runs_dir, Path(runs_dir) / f"{run_id}{_SUFFIX}")


@dataclass
class Journal:
    """An open journal: its header and the results it already holds (keyed by ``Result.key``)."""

    path: Path
    header: dict[str, Any]
    done: dict[tuple[str, str, str], Result] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.header["run_id"]

    @classmethod
    def create(cls, runs_dir: str | Path, run_id: str, created: str, suites: Iterable[str | Path],
               seed: int | None, extra: Mapping[str, Any] | None = None) -> "Journal":
        """Start the journal of a new run (refuses to overwrite one)."""
        path = journal_path(runs_dir, run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"type": "header", "schema": JOURNAL_SCHEMA, "run_id": run_id, "created": created,
                  "suites": [str(s) for s in suites], "seed": seed, **dict(extra or {})}
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(json.dumps(header, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return cls(path=path, header=header)

    def append(self, results: Iterable[Result]) -> None:
        """Record a finished tier group durably (one line, fsynced) before the run moves on."""
        results = list(results)
        if not results:
            return
        payload = [r.to_dict() for r in results]
        line = json.dumps({"type": "results", "results": payload, "checksum": stable_hash(payload)}, sort_keys=True,
                          allow_nan=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        for r in results:
            self.done[r.key] = r

    def has(self, keys: Iterable[tuple[str, str, str]]) -> bool:
        """True when every one of ``keys`` is journaled already."""
        return all(k in self.done for k in keys)

    def close(self) -> None:
        """Remove the journal once the run record holds everything."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def _group(entry: object) -> tuple[list[Result] | None, str]:
    """The results of one journal line, or None and why it cannot be believed."""
    if not isinstance(entry, dict) or entry.get("type") != "results" or not isinstance(entry.get("results"), list):
        return None, "not a results line"
    if entry.get("checksum") != stable_hash(entry["results"]):
        return None, "checksum mismatch: the line was edited or damaged"
    for r in entry["results"]:
        problem = result_problem(r)
        if problem:
            return None, f"a result {problem}"
    return [Result.from_dict(r) for r in entry["results"]], ""


def read_journal(path: str | Path) -> Journal:
    """Open an existing journal to resume its run; lines that fail their check are skipped with a warning.

    Raises:
        BaselineError: no journal, or its header is unreadable, newer or older than this code, or its
            run id is malformed or not the file's name.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the run journal ({getattr(exc, 'strerror', None) or exc})",
                            hint="pass the id of an interrupted run (its .journal.jsonl is in the runs folder)") from None
    try:
        header = json.loads(lines[0])
    except (IndexError, ValueError, RecursionError):
        raise BaselineError(f"{path}: the journal has no readable header", hint="start the run again") from None
    if not isinstance(header, dict) or header.get("type") != "header" or not isinstance(header.get("schema"), int):
        raise BaselineError(f"{path}: not a run journal this harness understands", hint="start the run again")
    if header["schema"] != JOURNAL_SCHEMA:
        raise BaselineError(f"{path}: run journal schema {header['schema']} is not this harness's ({JOURNAL_SCHEMA})",
                            hint="finish it with the qharness that started it, or start the run again")
    run_id = check_run_id(header.get("run_id"), path)
    if path.name != f"{run_id}{_SUFFIX}":
        raise BaselineError(f"{path}: the journal says it is run {run_id!r}, not its file's name",
                            hint="start the run again; a journal is never renamed")
    if not isinstance(header.get("suites"), list) or not all(isinstance(s, str) for s in header["suites"]):
        raise BaselineError(f"{path}: the journal's header has no list of suites", hint="start the run again")
    journal = Journal(path=path, header=header)
    for number, line in enumerate(lines[1:], start=2):
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            if number < len(lines):  # a torn *last* line is a crash mid-write; anywhere else it is damage
                discard(path, f"line {number} is not JSON", remove=False)
            continue
        results, why = _group(entry)
        if results is None:
            discard(path, f"line {number}: {why}", remove=False)
            continue
        for r in results:
            journal.done.setdefault(r.key, r)  # first record wins: a key is never counted twice
    return journal
