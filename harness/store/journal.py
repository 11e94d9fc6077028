"""An append-only journal per run, so an interrupted run resumes without losing or repeating a result.

``<runs_dir>/<run_id>.journal.jsonl`` holds one JSON object per line:

- the first line: ``{"type": "header", "schema", "run_id", "created", "suites": [paths], "seed", "budget"}``;
- then one ``{"type": "results", "results": [...]}`` line per finished tier group (the classical
  result, the simulator result, or the hardware raw + mitigated pair), written with one ``write``
  and fsynced, so a group is either whole on disk or absent.

A crash can leave a torn last line; :func:`read_journal` ignores it, and its group runs again on
resume. The journal is removed once the final run record is written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from harness.errors import BaselineError
from harness.records import Result

__all__ = ["JOURNAL_SCHEMA", "Journal", "journal_path", "read_journal"]

JOURNAL_SCHEMA = 1


def journal_path(runs_dir: str | Path, run_id: str) -> Path:
    return Path(runs_dir) / f"{run_id}.journal.jsonl"


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
        line = json.dumps({"type": "results", "results": [r.to_dict() for r in results]}, sort_keys=True,
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


def read_journal(path: str | Path) -> Journal:
    """Open an existing journal to resume its run.

    Raises:
        BaselineError: no journal, or its header is unreadable or newer than this code.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the run journal ({exc.strerror})",
                            hint="pass the id of an interrupted run (its .journal.jsonl is in the runs folder)") from None
    try:
        header = json.loads(lines[0])
    except (IndexError, ValueError):
        raise BaselineError(f"{path}: the journal has no readable header", hint="start the run again") from None
    if header.get("type") != "header" or not isinstance(header.get("schema"), int) or header["schema"] > JOURNAL_SCHEMA:
        raise BaselineError(f"{path}: not a run journal this harness understands", hint="upgrade qharness")
    journal = Journal(path=path, header=header)
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            results = [Result.from_dict(r) for r in entry["results"]]
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a crash: that group runs again
        for r in results:
            journal.done.setdefault(r.key, r)  # first record wins: a key is never counted twice
    return journal
