"""Environment faults as one-line messages: a full disk, a locked or corrupt database, a folder gone or read-only.

The store is the layer that touches disk, so it is the one that knows what an ``OSError`` or a
``sqlite3`` error means for the user: :func:`describe` turns one into a
:class:`~harness.errors.ResourceError` (exit 4) naming the resource and the fix. When a run is
interrupted by one, :func:`interrupted` keeps its journal (rescued to a temporary folder if the
runs folder itself is gone or full) so that ``harness run --resume`` can finish it, and
:func:`write_crash_log` keeps the traceback out of the terminal and in a file.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, InternalError, ResourceError

__all__ = ["LOG_FOLDER", "describe", "interrupted", "rescue_journal", "write_crash_log"]

LOG_FOLDER = "logs"
"""Crash logs go to ``<runs-dir>/logs/`` (or a temporary folder when that cannot be written)."""

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM}


def _name(exc: OSError) -> str | None:
    name = exc.filename if exc.filename is not None else exc.filename2
    return str(name) if name is not None else None


def _folder(path: str) -> str:
    p = Path(path)
    return str(p.parent) if p.suffix else str(p)


def _describe_os(exc: OSError, resource: str | None) -> ResourceError:
    name = _name(exc) or resource or "a file"
    code = exc.errno
    reason = exc.strerror or type(exc).__name__
    if code in _DISK_FULL:
        return ResourceError(f"no space left on the disk holding {name}",
                             hint=f"free some space (df -h {_folder(name)}), or point --runs-dir/--out at a "
                                  "larger disk", resource=name)
    if code == errno.EFBIG:
        return ResourceError(f"file size limit reached writing {name}",
                             hint="raise the limit (ulimit -f) or write to another disk", resource=name)
    if code == errno.EROFS:
        return ResourceError(f"{name} is on a read-only filesystem",
                             hint="point --runs-dir/--out/--baselines at a writable folder", resource=name)
    if code in _DENIED:
        return ResourceError(f"permission denied on {name}",
                             hint=f"make it writable for this user (chmod u+w {name}) or choose another folder",
                             resource=name)
    if code == errno.ENOENT:
        return ResourceError(f"{name} does not exist (was its folder removed while the harness ran?)",
                             hint="recreate the folder or pass one that exists", resource=name)
    if code == errno.ENAMETOOLONG:
        return ResourceError(f"a path is too long for the filesystem: {name[:120]}...",
                             hint="use a shorter folder or file name", resource=name)
    if code in (errno.EMFILE, errno.ENFILE):
        return ResourceError("too many open files", hint="raise the limit (ulimit -n)", resource=name)
    return ResourceError(f"{name}: {reason} (errno {code})", hint="check the disk and the folder", resource=name)


def _describe_sqlite(exc: sqlite3.Error, resource: str | None) -> ResourceError:
    name = resource or "the history database"
    text = str(exc)
    if "locked" in text or "busy" in text:
        return ResourceError(f"{name} is locked by another writer (another gate or report still holds it)",
                             hint="wait for the other process to finish and run again, or give this run its "
                                  "own --runs-dir", resource=name)
    if "full" in text:
        return ResourceError(f"no space left on the disk holding {name}",
                             hint=f"free some space (df -h {_folder(name)})", resource=name)
    if "readonly" in text or "read-only" in text:
        return ResourceError(f"{name} cannot be written (read-only file or folder)",
                             hint="make the file and its folder writable, or choose another --runs-dir",
                             resource=name)
    if "unable to open" in text:
        return ResourceError(f"{name} cannot be opened ({text})",
                             hint="check that its folder exists and is writable", resource=name)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return ResourceError(f"{name} is corrupt ({text})",
                             hint="restore it from a backup (the nightly CI cache), or move it away to start a "
                                  "new history", resource=name)
    return ResourceError(f"{name}: database error ({text})",
                         hint="check the file, or move it away to start a new history", resource=name)


def describe(exc: BaseException, resource: str | None = None) -> HarnessError | None:
    """The harness error an environment exception means (exit 4), or None if it is not one.

    A :class:`HarnessError` is returned as it is; ``resource`` names the file when the
    exception does not (sqlite errors never do).
    """
    if isinstance(exc, HarnessError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _describe_sqlite(exc, resource)
    if isinstance(exc, OSError):
        return _describe_os(exc, resource)
    if isinstance(exc, MemoryError):
        return ResourceError("out of memory", hint="run fewer or smaller cases at once (--workers, the matrix)",
                             resource="memory")
    return None


def rescue_journal(header: dict[str, Any], results: list[dict[str, Any]]) -> Path | None:
    """Write a run's journal (its header and finished results) to a new temporary folder; its path, or None."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"qharness-rescue-{header.get('run_id', 'run')}-"))
        path = folder / f"{header['run_id']}.journal.jsonl"
        lines = [json.dumps(header, sort_keys=True)]
        lines += [json.dumps({"type": "results", "results": [r]}, sort_keys=True, allow_nan=False)
                  for r in results]
        with open(path, "x", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return path
    except (OSError, ValueError, TypeError, KeyError):
        return None


def interrupted(exc: BaseException, journal: Any, runs_dir: Path) -> HarnessError:
    """The error to show for a run stopped by ``exc``, with what is needed to resume it.

    The journal on disk is kept; if it is gone (its folder removed) or cannot be read back whole
    (the disk filled up while writing it), its finished results are rescued to a temporary folder
    and the resume command points there. ``journal`` is the run's open journal.
    """
    fault = describe(exc, str(runs_dir))
    if fault is None:
        fault = InternalError(f"internal error: {type(exc).__name__}: {exc}",
                              hint="this is a bug in qharness; please report it with the log file")
    if fault.exit_code != 4:
        return fault
    fault.run_id, fault.runs_dir = journal.run_id, str(runs_dir)
    from harness.store.journal import read_journal

    _drop_torn_line(Path(journal.path))
    try:
        on_disk = len(read_journal(journal.path).done) if journal.path.is_file() else -1
    except HarnessError:
        on_disk = -1
    if on_disk < len(journal.done):
        rescued = rescue_journal(journal.header, [r.to_dict() for r in journal.done.values()])
        if rescued is None:
            fault.run_id = None  # nothing to resume from
        else:
            fault.runs_dir = str(rescued.parent)
            fault.message += f" (the run's journal was rescued to {rescued})"
    return fault


def _drop_torn_line(path: Path) -> None:
    """Cut a half-written last line (a write that hit a full disk) so a resumed run appends cleanly."""
    try:
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            os.truncate(path, data.rfind(b"\n") + 1)
    except OSError:
        pass


def write_crash_log(exc: BaseException, runs_dir: Path | None) -> Path | None:
    """Write the traceback of ``exc`` to ``<runs_dir>/logs/<time>-<pid>.log`` (else a temporary folder); its path."""
    text = "".join(traceback.format_exception(exc))
    name = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}.log"
    folders = [Path(runs_dir) / LOG_FOLDER] if runs_dir is not None else []
    folders.append(Path(tempfile.gettempdir()) / "qharness-logs")
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return None
