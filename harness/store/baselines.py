"""Stored baselines: ``baselines/<suite>/<case-id>.json``, written only by an explicit promote.

A file holds every baseline kind of one case, with a schema version and a sha256 checksum of
the whole file (header included), so a hand-edited, truncated or renamed file is refused rather
than trusted. The checksum guards against accidents; review of the diff guards against intent
(anyone can recompute a checksum), which ``gate --strict`` backs by refusing baselines that differ
from what git has committed (:mod:`harness.store.git_state`). An older schema is refused by the
reader and rewritten only by :func:`migrate` (``harness baseline migrate``), for review.
Counts, metrics and lineage are kept; optimizer traces and job events stay in the run record.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

from harness.errors import BaselineError
from harness.records import Result, Run
from harness.store.migrations import BASELINE_SCHEMA, file_checksum, upgrade
from harness.store.shape import result_problem
from harness.store.staging import exclusive, recover, write_set
from harness.store.untrusted import confined

__all__ = ["DEFAULT_BASELINES_DIR", "baseline_path", "load_baselines", "migrate", "promote", "stored_for"]

DEFAULT_BASELINES_DIR = Path("baselines")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=,-]*$")

Key = tuple[str, str, str]

_RESTORE = ("restore it from version control (git checkout -- <file>), or promote a reviewed run to replace it "
            "(harness baseline promote <run>)")


def baseline_path(root: Path, suite: str, case_id: str) -> Path:
    """Where a case's baseline lives; refuses names that could leave ``root``."""
    for part in (suite, case_id):
        if not _SAFE.fullmatch(part) or ".." in part:
            raise BaselineError(f"unsafe suite or case name {part!r} for a baseline file",
                                hint="use letters, digits and _ . + = , - only")
    return Path(root) / suite / f"{case_id}.json"


def _target(root: Path, suite: str, case_id: str) -> Path:
    """Where promote may write a case's baseline: never through a link, never outside ``root``."""
    path = baseline_path(root, suite, case_id)
    for link in (path.parent, path):
        if link.is_symlink():
            raise BaselineError(f"{link}: is a symbolic link (to {os.readlink(link)}); promote writes only inside "
                                f"{root}", hint=f"replace the link with a real folder or file ({link}), then promote")
    return confined(root, path)


def _stored_form(result: Result) -> dict:
    d = result.to_dict()
    d.pop("trace", None)
    d.pop("events", None)
    return d


def promote(run: Run, root: Path = DEFAULT_BASELINES_DIR, *, suites: Iterable[str] | None = None) -> list[Path]:
    """Make the successful results of ``run`` the stored baselines of their cases.

    Failed results are never promoted (the previous stored value of that kind is kept).
    The set is written all-or-nothing (:func:`harness.store.staging.write_set`): killed midway,
    the old set or the new one stands, never a mix. Returns the files written.
    """
    wanted = set(suites) if suites is not None else None
    by_case: dict[tuple[str, str], dict[str, Result]] = {}
    for r in run.results:
        if r.status != "ok" or (wanted is not None and r.suite not in wanted):
            continue
        by_case.setdefault((r.suite, r.case_id), {})[r.baseline] = r
    root = Path(root)
    if not by_case:
        return []
    with exclusive(root):  # read, merge and write under one lock: concurrent promotes lose nothing
        return write_set(root, _merged(run, root, by_case), note={"promoted_from": run.run_id})


def _merged(run: Run, root: Path, by_case: Mapping[tuple[str, str], Mapping[str, Result]]) -> dict[str, dict]:
    """The file of each case: the run's results over the kinds already stored (upgraded if older)."""
    files = {}
    for (suite, case_id), results in sorted(by_case.items()):
        path = _target(root, suite, case_id)
        kept = {}
        if path.exists():
            kept = {k: v.to_dict() for k, v in _read(path, upgrade_old=True).items() if k not in results}
            kept = {k: {kk: vv for kk, vv in v.items() if kk not in ("trace", "events")} for k, v in kept.items()}
        stored = {**kept, **{k: _stored_form(v) for k, v in results.items()}}
        payload = {
            "schema": BASELINE_SCHEMA,
            "suite": suite,
            "case_id": case_id,
            "promoted_from": run.run_id,
            "promoted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "suite_sha256": run.suites.get(suite, {}).get("sha256"),
            "results": stored,
        }
        payload["checksum"] = file_checksum(payload)
        files[f"{suite}/{case_id}.json"] = payload
    return files


def _parse(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: unreadable stored baseline ({exc})", hint=_RESTORE) from None
    except RecursionError:
        raise BaselineError(f"{path}: unreadable stored baseline (JSON nested too deeply to be one)",
                            hint=_RESTORE) from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise BaselineError(f"{path}: not a stored baseline (no results)", hint=_RESTORE)
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise BaselineError(f"{path}: no schema version (found {schema!r})", hint=_RESTORE)
    if schema > BASELINE_SCHEMA:
        raise BaselineError(f"{path}: baseline schema {schema!r} is newer than this harness understands "
                            f"({BASELINE_SCHEMA})", hint="upgrade qharness")
    return data


def _verify(data: dict, path: Path) -> dict[str, Result]:
    """The results of a current-layout file, after its checksum, shape and names are checked."""
    try:
        intact = data.get("checksum") == file_checksum(data)
    except RecursionError:  # a parser with a deeper stack than ours could hand us this
        raise BaselineError(f"{path}: stored baseline nested too deeply to check", hint=_RESTORE) from None
    if not intact:
        raise BaselineError(f"{path}: checksum mismatch: the stored file was edited or truncated", hint=_RESTORE)
    if (data.get("suite"), data.get("case_id")) != (path.parent.name, path.stem):
        raise BaselineError(f"{path}: its header names {data.get('suite')!r}/{data.get('case_id')!r}, not "
                            f"{path.parent.name}/{path.stem} (a file copied or renamed?)", hint=_RESTORE)
    results = {}
    for kind, r in data["results"].items():
        problem = result_problem(r)
        if problem:
            raise BaselineError(f"{path}: stored result {kind!r}: {problem}", hint=_RESTORE)
        results[kind] = Result.from_dict(r)
    # the checksum holds for a whole file copied or renamed to another case: its results say whose they are
    for kind, r in results.items():
        if (r.suite, r.case_id, r.baseline) != (path.parent.name, path.stem, kind):
            raise BaselineError(f"{path}: holds the {r.baseline!r} result of {r.suite}/{r.case_id}, not {kind!r} of "
                                f"{path.parent.name}/{path.stem}", hint=_RESTORE)
    return results


def _read(path: Path, *, upgrade_old: bool = False) -> dict[str, Result]:
    """The stored results of one file. An older schema is refused unless ``upgrade_old`` (promote, migrate)."""
    data = _parse(path)
    if data["schema"] < BASELINE_SCHEMA:
        if not upgrade_old:
            raise BaselineError(
                f"{path}: baseline schema {data['schema']} is older than this harness reads ({BASELINE_SCHEMA}); "
                "it is not upgraded silently",
                hint=f"run `harness baseline migrate --baselines {path.parent.parent}`, review the diff "
                     "(git diff) and commit it")
        data = upgrade(data, path)
    return _verify(data, path)


def migrate(root: Path = DEFAULT_BASELINES_DIR) -> list[tuple[Path, int, str]]:
    """Rewrite every older-schema baseline under ``root`` in the current layout, for review.

    Every file is checked first (a schema-1 file against its results checksum; a schema-0 file has
    none and is marked unverified); if any file is refused, nothing is written, and the rewrite is
    all-or-nothing like a promote. Returns
    ``(path, old schema, note)`` for each file rewritten.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    with exclusive(root):
        return _migrate_locked(root)


def _migrate_locked(root: Path) -> list[tuple[Path, int, str]]:
    plans = []
    for path in sorted(root.glob("[!.]*/*.json")):
        data = _parse(path)
        if data["schema"] == BASELINE_SCHEMA:
            _verify(data, path)
            continue
        new = upgrade(data, path)
        _verify(new, path)
        note = ("schema 0 had no checksum: its values cannot be verified, review each of them"
                if data["schema"] == 0 else "results checksum verified")
        plans.append((path, data["schema"], note, new))
    if plans:
        write_set(root, {f"{p.parent.name}/{p.name}": new for p, _, _, new in plans}, note={"migrated": True})
    return [(path, old, note) for path, old, note, _ in plans]


def load_baselines(root: Path, keys: Iterable[tuple[str, str]]) -> dict[Key, Result]:
    """Stored results for the given (suite, case_id) pairs; cases with no file are simply absent.

    A promote that was killed midway is first finished or discarded (:func:`harness.store.staging.recover`).
    """
    recover(root)
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
