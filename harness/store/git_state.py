"""Which stored baselines differ from what git has committed: the check behind ``--strict``.

A checksum proves a baseline is what some promote wrote; only review proves it is what the team
meant. So a strict gate believes a baseline only in the form git has committed: a file that is
untracked, modified, staged but not committed, deleted or ignored by git is flagged.

Git is asked through its command line (``git status --porcelain``); nothing else is read.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["NotUnderGit", "require_committed", "uncommitted_baselines"]


class NotUnderGit(Exception):
    """The folder is not inside a git work tree (or git is not installed): nothing can be checked."""


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError) as exc:
        raise NotUnderGit(f"cannot run git ({exc})") from None
    if done.returncode != 0:
        raise NotUnderGit(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout


def uncommitted_baselines(folder: str | Path) -> list[Path]:
    """The baseline files under ``folder`` that are not exactly as committed in git, sorted.

    Paths are ``folder / <relative path>``. Staging folders of an interrupted promote (names
    starting with a dot) are not baselines and are left out.

    Raises:
        NotUnderGit: ``folder`` is not in a git work tree, or git cannot be run.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    top = Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    out = _git(folder, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching",
               "--no-renames", "--", ".")
    base = folder.resolve()
    flagged = set()
    for entry in filter(None, out.split("\0")):
        path = (top / entry[3:]).resolve()
        # an ignored folder is reported as the folder, not its files
        for one in sorted(path.rglob("*.json")) if entry.endswith("/") else [path]:
            try:
                rel = one.relative_to(base)
            except ValueError:
                continue
            if rel.suffix == ".json" and not any(part.startswith(".") for part in rel.parts):
                flagged.add(folder / rel)
    return sorted(flagged)


def require_committed(folder: str | Path) -> str | None:
    """For ``--strict``: refuse baselines that differ from git's commit; a warning when git cannot tell.

    Raises:
        BaselineError: some baselines are untracked, modified or deleted (listed, up to 10).
    """
    from harness.errors import BaselineError

    try:
        flagged = uncommitted_baselines(folder)
    except NotUnderGit as exc:
        return f"warning: --strict cannot check that {folder} is as committed (not a git work tree: {exc})"
    if not flagged:
        return None
    shown = "\n  ".join(str(p) for p in flagged[:10]) + (f"\n  ... and {len(flagged) - 10} more" if len(flagged) > 10
                                                         else "")
    raise BaselineError(f"{folder}: {len(flagged)} stored baseline(s) differ from what git has committed "
                        f"(--strict believes only reviewed baselines):\n  {shown}",
                        hint="review them (git diff / git status baselines/) and commit, or restore them "
                             "(git checkout -- <file>; remove untracked files)")
