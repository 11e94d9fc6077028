"""Real faulty filesystems for tests and ``benchmarks/fault_matrix.py``: read-only folders, small disks.

As an ordinary user a read-only folder is ``chmod 555``; as root (who writes through permissions)
it is a read-only tmpfs mount. A small disk is a tmpfs of a given size. Where neither can be made
(root without mount rights), the test is skipped rather than faked.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

__all__ = ["can_mount", "read_only_folder", "tmpfs"]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def _mounted(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", options, "tmpfs", str(folder)):
        pytest.skip(f"cannot mount a tmpfs here ({options})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def can_mount() -> bool:
    """Can this process mount a tmpfs (root with the capability)?"""
    if os.geteuid() != 0:
        return False
    probe = Path(f"/tmp/.qharness-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        ok = _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
        if ok:
            subprocess.run(["umount", str(probe)], capture_output=True)
        return ok
    finally:
        probe.rmdir()


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """An empty folder nothing can be written into, whoever runs the test."""
    folder = Path(folder)
    if os.geteuid() != 0:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    with _mounted(folder, "ro,size=64k") as ro:
        yield ro


@contextlib.contextmanager
def tmpfs(folder: Path, size_kib: int) -> Iterator[Path]:
    """A fresh disk of ``size_kib`` KiB mounted at ``folder`` (skips when mounting is not allowed)."""
    with _mounted(Path(folder), f"size={size_kib}k") as disk:
        yield disk
