"""Where a project's files live: the project root, found from the suites, not from the current directory.

The root is the folder holding the project's ``baselines/``, ``.runs/`` and ``reports/``. It is found
from the first suite path given (for commands without suites, from the current directory), walking up:

1. the nearest ``pyproject.toml`` with a ``[tool.qharness]`` table: its folder is the root, and its
   keys ``baselines``, ``runs-dir`` and ``reports`` (paths relative to that folder) override the
   defaults;
2. else the nearest folder holding ``baselines/`` or a ``pyproject.toml``;
3. else the current directory (a new project: the first promote creates ``baselines/`` there).

So ``cd suites && harness gate ghz.yaml`` reads ``../baselines``. A path given on the command line
(``--baselines``, ``--runs-dir``, ``--out``) is used as given.

Also here: :func:`orphaned_baselines`, the stored baselines that no result of a run exercised.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from harness.config import SETTINGS_KEYS
from harness.errors import SuiteError
from harness.records import Run

__all__ = ["ProjectPaths", "orphaned_baselines", "project_paths"]

_KEYS = {"baselines": "baselines", "runs-dir": ".runs", "reports": "reports"}

Key = tuple[str, str, str]


@dataclass(frozen=True)
class ProjectPaths:
    """The project root and the folders the harness reads and writes under it."""

    root: Path
    baselines: Path
    runs_dir: Path
    reports: Path
    how: str  # how the root was found, for messages


def _config(pyproject: Path) -> dict | None:
    """The ``[tool.qharness]`` table of ``pyproject``, or None without one; a broken file is an error."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{pyproject}: cannot read it ({exc})", hint="fix the file's permissions or encoding") from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{pyproject}: invalid TOML ({exc})", hint="fix the file, e.g. with a TOML linter") from None
    table = data.get("tool", {}).get("qharness") if isinstance(data.get("tool"), dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise SuiteError(f"{pyproject}: [tool.qharness] must be a table", hint='write e.g. baselines = "baselines"')
    unknown = sorted(set(table) - set(_KEYS) - SETTINGS_KEYS)  # those are read by harness.config
    bad = sorted(k for k in set(table) & set(_KEYS) if not isinstance(table[k], str) or not table[k])
    if unknown or bad:
        raise SuiteError(f"{pyproject}: [tool.qharness] " + (f"has unknown key(s) {', '.join(unknown)}" if unknown
                                                             else f"{', '.join(bad)} must be a non-empty path string"),
                         hint=f"the keys are {', '.join(_KEYS)} (paths relative to {pyproject.parent}) and "
                              f"{', '.join(sorted(SETTINGS_KEYS))} (see README, 'Project settings')")
    return table


def _shown(path: Path) -> Path:
    """``path`` relative to the current directory (``../baselines``), as people type it; absolute if it cannot be."""
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # another drive (Windows)
        return path


def _start(paths: Iterable[str | Path]) -> Path:
    for p in map(Path, paths):
        p = p.absolute()
        try:
            return p if p.is_dir() else p.parent
        except OSError:  # a name too long, say: the loader names the problem; look from its folder
            return p.parent
    return Path.cwd()


def project_paths(suites: Iterable[str | Path] = ()) -> ProjectPaths:
    """The project of the first suite path (or of the current directory); see the module doc for the rule."""
    start = _start(suites)
    chain = [start, *start.parents]
    for folder in chain:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _config(pyproject)
            if table is not None:
                got = {k: _shown(folder / table.get(k, default)) for k, default in _KEYS.items()}
                return ProjectPaths(folder, got["baselines"], got["runs-dir"], got["reports"],
                                    f"[tool.qharness] in {pyproject}")
    for folder in chain:
        if (folder / "baselines").is_dir() or (folder / "pyproject.toml").is_file():
            what = "baselines/" if (folder / "baselines").is_dir() else "pyproject.toml"
            return ProjectPaths(folder, _shown(folder / "baselines"), _shown(folder / ".runs"),
                                _shown(folder / "reports"), f"the nearest folder above {start} with {what}")
    return ProjectPaths(Path.cwd(), Path("baselines"), Path(".runs"), Path("reports"), "the current directory")


def _kinds_in(path: Path) -> list[str]:
    """Baseline kinds a stored file holds, read shallowly (an unreadable file counts as one unknown kind)."""
    try:
        results = json.loads(path.read_text(encoding="utf-8")).get("results")
    except (OSError, ValueError, AttributeError):
        return ["?"]
    return sorted(results) if isinstance(results, dict) and results else ["?"]


def orphaned_baselines(root: Path, run: Run, *, all_suites: bool) -> list[Key]:
    """Stored baselines under ``root`` that no result of ``run`` exercised, as (suite, case id, kind).

    ``all_suites``: look at every suite folder of ``root`` (the run collected a whole folder of
    suites, so a baseline of a suite it did not find is orphaned: renamed, removed, or not
    collected); otherwise only at the suites of the run (their cases and kinds that the run did not
    produce). Folders and files that are not ``<suite>/<case-id>.json`` are ignored.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    exercised = {r.key for r in run.results}
    cases = {(r.suite, r.case_id) for r in run.results}
    names = {r.suite for r in run.results} | set(run.suites)
    out: list[Key] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not all_suites and folder.name not in names:
            continue
        for path in sorted(folder.glob("*.json")):
            case = (folder.name, path.stem)
            out.extend((*case, kind) for kind in _kinds_in(path)
                       if case not in cases or (*case, kind) not in exercised)
    return out
