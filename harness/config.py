"""Suite-loading settings from ``[tool.qharness]`` in the nearest ``pyproject.toml`` that has one.

Looked for from the suite's folder upwards (as :mod:`harness.store.project` finds the project root)::

    [tool.qharness]
    workload-paths = ["benchmarks/workloads"]  # more folders custom workloads may load from
    workload-sys-path = false                   # also import module:Class from installed packages
    max-shots = 10_000_000                      # the most shots one case may ask for

Every key is optional; a wrong type is refused with the file and the key (unknown keys are refused
by :mod:`harness.store.project`, which owns the table's path keys). Relative ``workload-paths``
are read from the folder holding the ``pyproject.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import SuiteError

__all__ = ["DEFAULT_MAX_SHOTS", "SETTINGS_KEYS", "ProjectConfig", "load_config"]

SETTINGS_KEYS = frozenset({"workload-paths", "workload-sys-path", "max-shots"})
"""The keys of ``[tool.qharness]`` read here."""

DEFAULT_MAX_SHOTS = 10_000_000
"""Shots per case allowed unless ``max_shots`` says otherwise (10^7: a large hardware budget, far below
what exhausts a simulator's memory)."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    workload_paths: list[str] = Field(default_factory=list, alias="workload-paths")
    workload_sys_path: bool = Field(False, alias="workload-sys-path")
    max_shots: int = Field(DEFAULT_MAX_SHOTS, ge=1, le=2**53, alias="max-shots")


@dataclass(frozen=True)
class ProjectConfig:
    """The validated settings and where they came from (``source`` is None when no file sets them)."""

    workload_paths: tuple[Path, ...] = ()
    workload_sys_path: bool = False
    max_shots: int = DEFAULT_MAX_SHOTS
    source: Path | None = None


def _table(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read the project settings ({exc})", hint="fix the TOML syntax") from None
    tool = data.get("tool")
    table = tool.get("qharness") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _load(start: Path) -> ProjectConfig:
    for folder in (start, *start.parents):
        path = folder / "pyproject.toml"
        if path.is_file():
            table = _table(path)
            if table is not None:
                break
    else:
        return ProjectConfig()
    try:
        settings = _Settings.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])  # the alias: the key as written
        raise SuiteError(f"{path}: [tool.qharness] {key}: {first['msg']}",
                         hint="see the project settings in README.md") from None
    return ProjectConfig(workload_paths=tuple((path.parent / p).resolve() for p in settings.workload_paths),
                         workload_sys_path=settings.workload_sys_path, max_shots=settings.max_shots, source=path)


def load_config(start: str | Path | None = None) -> ProjectConfig:
    """The settings seen from ``start`` (a suite's folder; default: the working folder)."""
    return _load(Path(start if start is not None else Path.cwd()).resolve())
