"""Run records: one immutable, schema-versioned JSON file per run under the runs folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.errors import BaselineError
from harness.records import RUN_SCHEMA, Run
from harness.store.atomic import write_json
from harness.store.untrusted import confined

__all__ = ["DEFAULT_RUNS_DIR", "latest_run", "load_run", "resolve_run", "write_run"]

DEFAULT_RUNS_DIR = Path(".runs")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=,-]*$")


def write_run(run: Run, runs_dir: Path = DEFAULT_RUNS_DIR) -> Path:
    """Write ``run`` as ``<runs_dir>/<run_id>.json``; refuse to overwrite an existing record.

    The run id becomes a file name, so one that could name another folder (``../x``, ``a/b``) is refused.
    """
    if not isinstance(run.run_id, str) or not _NAME.fullmatch(run.run_id) or ".." in run.run_id:
        raise BaselineError(f"{runs_dir}: run id {run.run_id!r} cannot be a file name in the runs folder",
                            hint="run ids are written by `harness run`; start a new run")
    path = confined(runs_dir, Path(runs_dir) / f"{run.run_id}.json")
    if path.exists():
        raise BaselineError(f"{path}: a run record with this id exists already; run records are immutable",
                            hint="start a new run")
    return write_json(path, run.to_dict())


def load_run(path: Path) -> Run:
    """Read a run record, refusing files that are not one or are newer than this code."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the run record ({exc.strerror})",
                            hint="pass a run id or a path printed by `harness run`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a valid run record ({exc})", hint="re-run the suites") from None
    if not isinstance(data, dict) or "run_id" not in data or "results" not in data:
        raise BaselineError(f"{path}: not a run record (no run_id/results)", hint="pass a file written by `harness run`")
    schema = data.get("schema")
    if not isinstance(schema, int) or schema > RUN_SCHEMA:
        raise BaselineError(f"{path}: run record schema {schema!r} is newer than this harness understands ({RUN_SCHEMA})",
                            hint="upgrade qharness")
    try:
        return Run.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"{path}: malformed run record ({exc!r})", hint="re-run the suites") from None


def latest_run(runs_dir: Path = DEFAULT_RUNS_DIR) -> Path:
    """The newest run record in ``runs_dir`` (run ids sort by time)."""
    records = sorted(Path(runs_dir).glob("*.json"))
    if not records:
        raise BaselineError(f"{runs_dir}: no run records",
                            hint="run `harness run SUITES` first; if the runs are another project's, run from its "
                                 "folder or pass --runs-dir")
    return records[-1]


def resolve_run(ref: str, runs_dir: Path = DEFAULT_RUNS_DIR) -> Path:
    """A run given as a path, a run id, or ``latest``."""
    if ref == "latest":
        return latest_run(runs_dir)
    candidate = Path(ref)
    given = "give a run: its id, its record (.runs/<run-id>.json) or latest"
    if candidate.suffix.lower() in (".yaml", ".yml") or candidate.is_dir():
        what = "a folder" if candidate.is_dir() else "a suite file"
        raise BaselineError(f"{ref}: {what}, not a run record",
                            hint=f"{given}; to run the suites first: `harness run {ref}`, then pass latest")
    if candidate.suffix == ".json" or candidate.exists():
        return candidate
    return Path(runs_dir) / f"{ref}.json"
