"""Check the environment before anything runs, so a doomed run fails in seconds, not after the work.

:func:`preflight` looks at every folder a command will write (runs, output, baselines) and at the
history database, and raises the first problem as a :class:`~harness.errors.ResourceError`
(exit 4) naming it and the fix:

- each folder exists or can be created, is a folder, and takes a file (a real write, so a
  read-only mount, a permission or a full disk is caught, whoever the user is);
- the disk holding it has at least :data:`MIN_FREE_BYTES` free;
- the history, if there is one, is a qharness history of a schema this code reads, passes
  SQLite's ``quick_check`` and its write lock can be taken within the bounded wait.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from harness.errors import ResourceError
from harness.store.faults import describe

__all__ = ["MIN_FREE_BYTES", "check_folder", "check_history", "preflight"]

MIN_FREE_BYTES = 1 << 20
"""Free space a written folder's disk must have (1 MiB): a run record of the bundled suites is ~0.3 MiB."""


def _free_bytes() -> int:
    try:
        return int(os.environ.get("QHARNESS_MIN_FREE_BYTES", MIN_FREE_BYTES))
    except ValueError:
        return MIN_FREE_BYTES


def check_folder(path: Path, role: str, option: str) -> None:
    """Make sure ``path`` (the ``role`` folder, set by ``option``) can be created and written.

    Raises:
        ResourceError: it is a file, cannot be created, cannot be written, or its disk is full.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ResourceError(f"the {role} folder {path} is a file, not a folder",
                            hint=f"move the file away, or pass another {option}", resource=str(path))
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".qharness-probe-", dir=path)
        try:
            os.write(fd, b"x")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
        free = shutil.disk_usage(path).free
    except OSError as exc:
        # named by the folder, not the probe file inside it
        fault = describe(OSError(exc.errno, exc.strerror), str(path))
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # before the run: nothing was removed, it cannot be made
            fault.message = f"the {role} folder {path} cannot be created ({exc.strerror})"
            fault.hint = f"pass another {option}, in a folder that exists and can be written"
        elif exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT):
            fault.message = f"the {role} folder cannot be written: {fault.message}"
            fault.hint = (f"pass another {option}, on a writable disk" if exc.errno == errno.EROFS else
                          f"free some space (df -h {path}), or pass another {option}")
        else:
            fault.message = f"the {role} folder cannot be written: {fault.message}"
            fault.hint = f"{fault.hint} (or pass another {option})"
        raise fault from exc
    need = _free_bytes()
    if free < need:
        raise ResourceError(f"the disk holding the {role} folder {path} has {free // 1024} KiB free, "
                            f"less than the {need // 1024} KiB a run needs",
                            hint=f"free some space (df -h {path}), or pass another {option}", resource=str(path))


def check_history(path: Path) -> None:
    """Open the history at ``path`` if it exists and check it whole: tables, schema, integrity, lock.

    A missing file is fine (the gate starts one). An empty, table-less, corrupt, newer or locked
    one raises, before the run rather than after it.
    """
    path = Path(path)
    if not path.exists():
        return
    from harness.store.history import History

    History(path).verify()


def preflight(*, runs_dir: Path, out_dir: Path | None = None, baselines_dir: Path | None = None,
              history: bool = False) -> None:
    """Check every folder a command writes and, with ``history``, ``<runs_dir>/history.sqlite``.

    Raises:
        ResourceError: the first problem found, naming the folder or file and the fix.
    """
    check_folder(runs_dir, "runs", "--runs-dir")
    if out_dir is not None:
        check_folder(out_dir, "output", "--out")
    if baselines_dir is not None:
        check_folder(baselines_dir, "baselines", "--baselines")
    if history:
        check_history(Path(runs_dir) / "history.sqlite")
