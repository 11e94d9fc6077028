"""Files the harness reads back but did not keep under review: checked, and a bad one is never believed.

The result cache and the run journals live in the runs folder, which a nightly job may carry
between machines (a CI cache): anyone who can write there can edit them. So every entry carries a
checksum of its payload and says what it is for (a cache key, a run id); an entry that fails a
check is discarded with an :class:`UntrustedFileWarning` naming the file and why, and the work it
stood for is done again. A checksum catches accidents (a torn write, a bad disk, a stale layout)
and a careless edit; it cannot stop someone who recomputes it, which is why the run id is checked
against its format and every path is confined to its folder.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from harness.errors import BaselineError

__all__ = ["RUN_ID", "StoreWarning", "UntrustedFileWarning", "check_run_id", "confined", "discard"]

RUN_ID = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{6}$")
"""What :func:`harness.orchestration.runner.new_run_id` writes: ``20261121T235900.123456Z-3fa2c1``."""


class StoreWarning(UserWarning):
    """Something the store did about a file that the user should know (the CLI prints it as one line)."""


class UntrustedFileWarning(StoreWarning):
    """A cache entry or journal line failed its check and was discarded (the work is done again)."""


def discard(path: Path, why: str, *, remove: bool = True) -> None:
    """Warn that ``path`` is not believed, and (``remove``) delete it so it is not met again."""
    warnings.warn(f"{path}: discarded ({why}); the work it held is done again", UntrustedFileWarning, stacklevel=3)
    if remove:
        try:
            Path(path).unlink()
        except OSError:
            pass  # a read-only runs folder: the entry stays discarded on every read


def check_run_id(run_id: object, where: str | Path) -> str:
    """``run_id`` if it has the format of a run id, else a BaselineError naming ``where``."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise BaselineError(f"{where}: {run_id!r} is not a run id (like 20261121T235900.123456Z-3fa2c1)",
                            hint="pass the id printed by `harness run` (the name of its .journal.jsonl "
                                 "without the suffix)")
    return run_id


def confined(folder: str | Path, path: str | Path) -> Path:
    """``path`` if it lies inside ``folder`` once symlinks and ``..`` are resolved, else a BaselineError."""
    base = Path(folder).resolve()
    resolved = Path(path).resolve()
    if resolved != base and base not in resolved.parents:
        raise BaselineError(f"{path}: resolves to {resolved}, outside {base}",
                            hint=f"keep the harness's files inside {folder}; remove the link or the '..' that "
                                 "leads out of it")
    return Path(path)
