"""Write a set of files into a folder all-or-nothing: a killed promote leaves the old set or the new one.

``promote`` of many baselines must not leave half of them new. :func:`write_set` therefore:

1. takes an exclusive lock on the folder (``flock`` on the folder itself: no lock file to commit);
2. writes every file into a fresh staging folder inside it, ``<folder>/.promote-XXXX/``, and fsyncs
   each file and folder;
3. writes ``MANIFEST.json`` there atomically: **the commit point**. Before it exists, the staging
   folder is discarded by recovery (the old set stands); once it exists, recovery finishes the move
   (the new set stands);
4. renames each staged file into place, fsyncs the folders, removes the manifest, then the staging
   folder.

:func:`recover` (called by promote, migrate and every read of stored baselines, under the same lock)
finishes or discards what a killed promote left, so no reader sees a mixed set. Nothing here leaves
a ``.tmp`` file in the folder: staged files are whole files in the staging folder, and a staging
folder without a manifest is removed whole. The manifest is checked before it is obeyed: it names
only ``<suite>/<case>.json`` files inside the folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from harness.errors import BaselineError
from harness.store.atomic import fsync_dir, json_text, write_json
from harness.store.untrusted import StoreWarning

__all__ = ["InterruptedPromoteWarning", "MANIFEST", "STAGING_PREFIX", "exclusive", "recover", "write_set"]

STAGING_PREFIX = ".promote-"
MANIFEST = "MANIFEST.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=,-]*$")


class InterruptedPromoteWarning(StoreWarning):
    """A promote was interrupted; its set was completed (it had committed) or discarded (it had not)."""


_local = threading.local()  # the folders this thread holds the lock of: flock is not re-entrant across opens


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    key = folder.resolve()
    _held = _local.__dict__.setdefault("held", {})
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if the holder is killed
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)


@contextmanager
def exclusive(folder: str | Path) -> Iterator[None]:
    """Hold ``folder``'s promote lock (created if needed), after finishing or discarding an interrupted promote.

    A promote reads the files it merges into under this lock, so two promotes (or pytest-xdist
    workers sharing a case file) never lose each other's kinds.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        for message in _recover_locked(folder):
            warnings.warn(message, InterruptedPromoteWarning, stacklevel=3)
        yield


def _relative(name: object, manifest: Path) -> Path:
    parts = name.split("/") if isinstance(name, str) else []
    if len(parts) != 2 or not all(_NAME.fullmatch(p) and ".." not in p for p in parts) or not parts[1].endswith(".json"):
        raise BaselineError(f"{manifest}: names {name!r}, not a <suite>/<case>.json file inside the folder",
                            hint=f"remove the folder {manifest.parent} (an interrupted promote), then promote again")
    return Path(*parts)


def _finish(folder: Path, stage: Path) -> int:
    """Move the staged files named by the manifest into place; return how many were still staged."""
    manifest = stage / MANIFEST
    try:
        names = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise BaselineError(f"{manifest}: unreadable promote manifest ({exc})",
                            hint=f"remove {stage} and promote again") from None
    if not isinstance(names, list):
        raise BaselineError(f"{manifest}: 'files' is not a list", hint=f"remove {stage} and promote again")
    moved, folders = 0, {folder}
    for rel in (_relative(n, manifest) for n in names):
        src, dst = stage / rel, folder / rel
        if src.exists():
            dst.parent.mkdir(exist_ok=True)
            os.replace(src, dst)
            folders.add(dst.parent)
            moved += 1
    for f in folders:
        fsync_dir(f)
    manifest.unlink()
    fsync_dir(stage)
    shutil.rmtree(stage)
    fsync_dir(folder)
    return moved


def _recover_locked(folder: Path) -> list[str]:
    done = []
    for stage in sorted(folder.glob(f"{STAGING_PREFIX}*")):
        if stage.is_symlink() or not stage.is_dir():
            raise BaselineError(f"{stage}: not a staging folder of a promote", hint=f"remove {stage}")
        if (stage / MANIFEST).exists():
            n = _finish(folder, stage)
            done.append(f"{stage}: completed an interrupted promote ({n} file(s) were still to move)")
        else:
            shutil.rmtree(stage)
            fsync_dir(folder)
            done.append(f"{stage}: discarded an interrupted promote that had not committed (the old set stands)")
    return done


def recover(folder: str | Path) -> list[str]:
    """Finish or discard what a killed promote left in ``folder``; one warning per staging folder."""
    folder = Path(folder)
    if not folder.is_dir() or not any(folder.glob(f"{STAGING_PREFIX}*")):
        return []
    try:
        with _locked(folder):
            done = _recover_locked(folder)
    except OSError as exc:
        raise BaselineError(f"{folder}: an interrupted promote is left in it and cannot be recovered "
                            f"({exc.strerror or exc})",
                            hint=f"make {folder} writable and run the command again") from None
    for message in done:
        warnings.warn(message, InterruptedPromoteWarning, stacklevel=2)
    return done


def write_set(folder: str | Path, files: Mapping[Path, object], *, note: Mapping[str, object] | None = None) -> list[Path]:
    """Write ``files`` (relative ``<suite>/<case>.json`` -> JSON data) into ``folder``, all or nothing.

    Returns the paths written, in the order given.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [str(Path(rel)).replace(os.sep, "/") for rel in files]
    for name in names:
        _relative(name, folder / MANIFEST)
    with _locked(folder):
        for message in _recover_locked(folder):
            warnings.warn(message, InterruptedPromoteWarning, stacklevel=2)
        stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
        try:
            subfolders = {stage}
            for name, data in zip(names, files.values()):
                path = stage / name
                path.parent.mkdir(exist_ok=True)
                subfolders.add(path.parent)
                with open(path, "x", encoding="utf-8", newline="\n") as fh:
                    fh.write(json_text(data))
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(path, 0o644)
            for f in subfolders:
                fsync_dir(f)
            write_json(stage / MANIFEST, {"files": names, **dict(note or {})})  # the commit point
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        _finish(folder, stage)
    return [folder / name for name in names]
