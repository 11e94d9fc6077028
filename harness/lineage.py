"""Where a result came from: code commit, SDK versions, seeds. No quantum SDK is imported here."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from harness.kinds import CLASSICAL, HARDWARE, SIMULATOR, TIERS

__all__ = ["SDK_PACKAGES", "code_version", "derive_seeds", "environment", "source_sha256", "stable_hash"]

SDK_PACKAGES = ("qharness", "qiskit", "qiskit-aer", "qiskit-ibm-runtime", "cirq-core", "mitiq", "numpy", "scipy")

_STREAMS = ("transpiler", SIMULATOR, HARDWARE, "optimizer", CLASSICAL, "mitigation")
SEED_STREAMS = _STREAMS + tuple(t for t in TIERS if t not in _STREAMS)
"""Independent seed streams of a case; each derives from the suite seed and the case id. Each tier has
the stream of its own name (its shots, or the classical heuristic). A stream's seed depends on its
place here, so a new tier's stream is appended and the existing seeds do not move."""


def stable_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (sorted keys): equal for equal content."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def derive_seeds(seed: int, case_id: str) -> dict[str, int]:
    """One 31-bit seed per stream of :data:`SEED_STREAMS`, reproducible from ``seed`` and ``case_id``.

    The case id enters through a hash, so adding a case to the matrix does not move the seeds of the others.
    """
    key = int(hashlib.sha256(case_id.encode()).hexdigest()[:16], 16)
    children = np.random.SeedSequence([seed, key]).spawn(len(SEED_STREAMS))
    return {name: int(c.generate_state(1)[0] % (2**31 - 1)) for name, c in zip(SEED_STREAMS, children)}


@lru_cache(maxsize=8)
def code_version(where: str = ".") -> dict[str, Any]:
    """The git commit of the repository holding ``where``, and whether its work tree is dirty."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", where, *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


@lru_cache(maxsize=64)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def source_sha256(obj: Any) -> str | None:
    """sha256 of the source file of the module defining ``obj``'s class (a workload: bundled or custom).

    Unlike the repository commit, it changes only when that module's code does, inside a git
    repository or not. None when the source cannot be found (a class defined in a notebook).
    """
    import inspect

    cls = obj if isinstance(obj, type) else type(obj)
    try:
        path = inspect.getsourcefile(cls)
        if path is None:
            return None
        st = Path(path).stat()
        return _file_sha256(str(path), st.st_mtime_ns, st.st_size)
    except (OSError, TypeError):
        return None


@lru_cache(maxsize=1)
def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in SDK_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment(where: str | Path = ".") -> dict[str, Any]:
    """Python, platform and SDK versions plus the code version: the run-wide part of lineage."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "sdk": dict(_versions()),
        "code": dict(code_version(str(where))),
    }
