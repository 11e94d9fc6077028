"""Stored baselines: ``baselines/<suite>/<case-id>.json``, written only by an explicit promote.

A file holds every baseline kind of one case, with a schema version and a sha256 checksum of
its results, so a hand-edited, truncated or tampered file is refused rather than trusted.
Counts, metrics and lineage are kept; optimizer traces and job events stay in the run record.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

from harness.errors import BaselineError
from harness.lineage import stable_hash
from harness.records import RUN_SCHEMA, Result, Run
from harness.store.atomic import write_json
from harness.store.migrations import upgrade

__all__ = ["DEFAULT_BASELINES_DIR", "baseline_path", "load_baselines", "promote", "stored_for"]

DEFAULT_BASELINES_DIR = Path("baselines")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=,-]*$")

Key = tuple[str, str, str]


def baseline_path(root: Path, suite: str, case_id: str) -> Path:
    """Where a case's baseline lives; refuses names that could leave ``root``."""
    for part in (suite, case_id):
        if not _SAFE.fullmatch(part) or ".." in part:
            raise BaselineError(f"unsafe suite or case name {part!r} for a baseline file",
                                hint="use letters, digits and _ . + = , - only")
    return Path(root) / suite / f"{case_id}.json"


def _stored_form(result: Result) -> dict:
    d = result.to_dict()
    d.pop("trace", None)
    d.pop("events", None)
    return d


def promote(run: Run, root: Path = DEFAULT_BASELINES_DIR, *, suites: Iterable[str] | None = None) -> list[Path]:
    """Make the successful results of ``run`` the stored baselines of their cases.

    Failed results are never promoted (the previous stored value of that kind is kept).
    Each file is written atomically. Returns the files written.
    """
    wanted = set(suites) if suites is not None else None
    by_case: dict[tuple[str, str], dict[str, Result]] = {}
    for r in run.results:
        if r.status != "ok" or (wanted is not None and r.suite not in wanted):
            continue
        by_case.setdefault((r.suite, r.case_id), {})[r.baseline] = r
    written = []
    for (suite, case_id), results in sorted(by_case.items()):
        path = baseline_path(root, suite, case_id)
        kept = {}
        if path.exists():
            kept = {k: v.to_dict() for k, v in _read(path).items() if k not in results}
            kept = {k: {kk: vv for kk, vv in v.items() if kk not in ("trace", "events")} for k, v in kept.items()}
        stored = {**kept, **{k: _stored_form(v) for k, v in results.items()}}
        payload = {
            "schema": RUN_SCHEMA,
            "suite": suite,
            "case_id": case_id,
            "promoted_from": run.run_id,
            "promoted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "suite_sha256": run.suites.get(suite, {}).get("sha256"),
            "checksum": stable_hash(stored),
            "results": stored,
        }
        written.append(write_json(path, payload))
    return written


def _read(path: Path) -> dict[str, Result]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: unreadable stored baseline ({exc})",
                            hint="restore it from version control (git checkout -- <file>) or promote a new run") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise BaselineError(f"{path}: not a stored baseline (no results)", hint="restore it from version control")
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise BaselineError(f"{path}: no schema version (found {schema!r})", hint="restore it from version control")
    if schema > RUN_SCHEMA:
        raise BaselineError(f"{path}: baseline schema {schema!r} is newer than this harness understands ({RUN_SCHEMA})",
                            hint="upgrade qharness")
    if schema < RUN_SCHEMA:  # an older layout, upgraded in memory; the checksum below then holds by construction
        data = upgrade(data, path)
    if data.get("checksum") != stable_hash(data["results"]):
        raise BaselineError(f"{path}: checksum mismatch: the stored results were edited or truncated",
                            hint="restore the file from version control, or promote a reviewed run to replace it")
    try:
        results = {kind: Result.from_dict(r) for kind, r in data["results"].items()}
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # e.g. a list for metrics in a schema-0 file
        raise BaselineError(f"{path}: malformed stored result ({exc!r})", hint="restore it from version control") from None
    # the checksum holds for a whole file copied or renamed to another case: its results say whose they are
    for kind, r in results.items():
        if (r.suite, r.case_id, r.baseline) != (path.parent.name, path.stem, kind):
            raise BaselineError(f"{path}: holds the {r.baseline!r} result of {r.suite}/{r.case_id}, not {kind!r} of "
                                f"{path.parent.name}/{path.stem}", hint="restore the file from version control")
    return results


def load_baselines(root: Path, keys: Iterable[tuple[str, str]]) -> dict[Key, Result]:
    """Stored results for the given (suite, case_id) pairs; cases with no file are simply absent."""
    out: dict[Key, Result] = {}
    for suite, case_id in set(keys):
        path = baseline_path(root, suite, case_id)
        if path.exists():
            for kind, result in _read(path).items():
                out[(suite, case_id, kind)] = result
    return out


def stored_for(run: Run, root: Path) -> Mapping[Key, Result]:
    """The stored baselines matching the cases of ``run``."""
    return load_baselines(root, ((r.suite, r.case_id) for r in run.results))
