"""Write files so that a reader sees the old content or the new, never half of either.

A file is written to a temporary file in the same folder, fsynced, renamed over the target, and
then the *folder* is fsynced: the rename is an entry in the folder, and until the folder reaches
the disk a power cut can bring back the old entry (or none) even though the data was synced.
A set of files that must change together goes through :mod:`harness.store.staging`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["fsync_dir", "json_text", "write_json", "write_set", "write_text"]


def fsync_dir(folder: Path) -> None:
    """Make the entries of ``folder`` (renames, new and removed files) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsync, rename, fsync the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            # mkstemp makes the file private (0600); records, baselines and reports are meant to be read.
            os.fchmod(fh.fileno(), 0o644)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)
    return path


def json_text(data: Any) -> str:
    """``data`` as indented, key-sorted JSON with a final newline (readable in a diff; no NaN)."""
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_json(path: Path, data: Any) -> Path:
    """Atomically write ``data`` as :func:`json_text`."""
    return write_text(path, json_text(data))


def write_set(folder: Path, texts: dict[str, str]) -> dict[str, Path]:
    """Write each ``{name: text}`` into ``folder`` (created if needed) with :func:`write_text`, holding
    the folder's lock for the whole set: two writers (two gates sharing ``--out``) queue, so the folder
    holds one writer's set, never a mix of both. Each file still changes atomically on its own."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if the holder is killed
        except OSError as e:  # a file system without locks (some network mounts): each file stays atomic
            if e.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
        return {name: write_text(folder / name, text) for name, text in texts.items()}
    finally:
        os.close(fd)
