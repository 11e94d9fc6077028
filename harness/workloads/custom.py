"""Custom workloads named ``module:Class`` in a suite: load them and check they fit the protocol.

The module is a file next to the suite (``module.py``, or ``pkg/mod.py`` for ``pkg.mod``), or in a
folder the project lists in ``[tool.qharness] workload-paths``; never an absolute path, never a
file that links out of its folder, and a module on ``sys.path`` only when the project sets
``workload-sys-path = true`` (see :mod:`harness.config`). The class must subclass
:class:`~harness.workloads.base.Workload` or provide the same attributes and methods (duck
typing); anything missing is listed in one error, so the fix is one edit.

Example:
    >>> wl = load_workload("custom_workload:BernsteinVazirani", Path("suites"))  # doctest: +SKIP
    >>> wl.name  # doctest: +SKIP
    'bernstein_vazirani'
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.errors import UnsupportedError
from harness.records import METRIC_KINDS

__all__ = ["REQUIRED_ATTRIBUTES", "REQUIRED_METHODS", "check_protocol", "is_custom", "load_workload", "module_source"]

REQUIRED_ATTRIBUTES = ("name", "description", "metrics", "Params", "Options", "solvers", "default_solvers")
REQUIRED_METHODS = ("build", "classical", "quantum", "score")


def is_custom(name: str) -> bool:
    """Does a suite's ``workload:`` value name user code (``module:Class``) rather than a built-in?"""
    return ":" in name


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" ({exc.filename}:{exc.lineno})"
    return f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""


_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
"""A dotted module name: no path, no '.' or '..' parts, nothing absolute."""


def _folders(base_dir: Path | None) -> list[Path]:
    """Where custom modules may load from: the suite's folder, then the folders the project allows."""
    from harness.config import load_config

    folders = [Path(base_dir)] if base_dir is not None else []
    return folders + [p for p in load_config(base_dir).workload_paths if p not in folders]


def module_source(spec: str, base_dir: str | Path | None = None) -> str:
    """Where the module of ``spec`` would be imported from, without importing it (for ``--dry-run``).

    Raises:
        UnsupportedError: as :func:`load_workload` would, for a malformed or unreachable module.
    """
    module = _module_name(spec)
    path = _module_file(module, Path(base_dir) if base_dir is not None else None)
    return str(path) if path is not None else f"{module} (an installed module on sys.path)"


def _module_name(spec: str) -> str:
    module, _, attr = spec.partition(":")
    if not module or not attr or ":" in attr:
        raise UnsupportedError(f"custom workload {spec!r} must read module:Class",
                               hint="e.g. workload: my_workload:MyWorkload, with my_workload.py next to the suite")
    if not _MODULE.fullmatch(module):
        raise UnsupportedError(f"custom workload module {module!r} is not a module name (letters, digits and _, "
                               "dotted for a package; no path, no '.' or '..')",
                               hint="put the file next to the suite and name it, e.g. my_workload:MyWorkload; "
                                    "other folders go in [tool.qharness] workload-paths")
    return module


def _module_file(module: str, base_dir: Path | None) -> Path | None:
    """The file of ``module`` inside an allowed folder, refusing one that links out of it; None if absent."""
    from harness.config import load_config

    folders = _folders(base_dir)
    for folder in folders:
        candidate = Path(folder, *module.split(".")).with_suffix(".py")
        if candidate.is_file():
            path, root = candidate.resolve(), Path(folder).resolve()
            if not path.is_relative_to(root):
                raise UnsupportedError(f"custom workload module {str(candidate)!r} links out of its folder "
                                       f"(to {path})",
                                       hint="copy the file into the suite's folder, or allow its folder in "
                                            "[tool.qharness] workload-paths")
            return path
    if load_config(base_dir).workload_sys_path:
        return None
    looked = " or ".join(str(Path(f, *module.split(".")).with_suffix(".py")) for f in folders) or "(no folder)"
    raise UnsupportedError(
        f"custom workload module {module!r} not found (looked for {looked}); installed modules on sys.path are "
        "not imported unless the project allows it",
        hint="put the file next to the suite, list its folder in [tool.qharness] workload-paths, or set "
             "workload-sys-path = true there to import installed packages")


def _import(module: str, base_dir: Path | None) -> ModuleType:
    path = _module_file(module, base_dir)
    if path is not None:
        # a unique name per file: two suites' folders may each hold a module of the same name
        unique = f"_harness_custom.{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
        spec = importlib.util.spec_from_file_location(unique, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[unique] = mod  # pydantic and dataclasses resolve annotations through sys.modules
        try:
            spec.loader.exec_module(mod)
        except BaseException as exc:
            sys.modules.pop(unique, None)
            raise UnsupportedError(
                f"custom workload module {str(path)!r} failed to import: {type(exc).__name__}: {exc}{_where(exc)}",
                hint="fix the error in that file (run `python <file>` to see it in full)",
            ) from None
        return mod
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            looked = f"{Path(base_dir, *module.split('.')).with_suffix('.py')} or " if base_dir is not None else ""
            raise UnsupportedError(
                f"custom workload module {module!r} not found (looked for {looked}a module on sys.path)",
                hint="put the file next to the suite, or install the package that provides it",
            ) from None
        raise UnsupportedError(f"custom workload module {module!r} failed to import: {exc}{_where(exc)}",
                               hint="install what it imports") from None
    except Exception as exc:  # noqa: BLE001 - any error in user code at import time
        raise UnsupportedError(
            f"custom workload module {module!r} failed to import: {type(exc).__name__}: {exc}{_where(exc)}",
            hint="fix the error in that module",
        ) from None


def check_protocol(cls: Any, spec: str) -> list[str]:
    """What ``cls`` lacks to be a workload (empty if it fits). ``spec`` names it in messages."""
    from harness.workloads.base import Workload

    if not isinstance(cls, type):
        return [f"{spec} is a {type(cls).__name__}, not a class"]
    problems = []
    if issubclass(cls, Workload):
        abstract = sorted(getattr(cls, "__abstractmethods__", ()))
        if abstract:
            problems.append(f"methods not implemented: {', '.join(abstract)}")
    missing = [a for a in REQUIRED_ATTRIBUTES if not hasattr(cls, a)]
    if missing:
        problems.append(f"class attributes missing: {', '.join(missing)}")
    not_callable = [m for m in REQUIRED_METHODS if not callable(getattr(cls, m, None))]
    if not_callable:
        problems.append(f"methods missing: {', '.join(not_callable)}")
    if hasattr(cls, "name") and not isinstance(cls.name, str):
        problems.append("name must be a string")
    metrics = getattr(cls, "metrics", None)
    if metrics is not None:
        if not hasattr(metrics, "items") or not metrics:
            problems.append("metrics must be a non-empty mapping of name -> MetricInfo")
        else:
            bad = [k for k, v in metrics.items() if getattr(v, "kind", None) not in METRIC_KINDS]
            if bad:
                problems.append(f"metrics {bad} need a kind among {', '.join(METRIC_KINDS)} (use MetricInfo)")
    for model in ("Params", "Options"):
        m = getattr(cls, model, None)
        if m is not None and not callable(getattr(m, "model_validate", None)):
            problems.append(f"{model} must be a pydantic model (subclass WorkloadParams)")
    solvers, defaults = getattr(cls, "solvers", ()), getattr(cls, "default_solvers", ())
    if hasattr(cls, "solvers") and hasattr(cls, "default_solvers"):
        if not isinstance(solvers, (tuple, list)) or not set(defaults) <= set(solvers) or not defaults:
            problems.append("default_solvers must be a non-empty subset of solvers (tuples of names)")
    return problems


def load_workload(spec: str, base_dir: str | Path | None = None) -> Any:
    """An instance of the workload class ``spec`` (``module:Class``), checked against the protocol.

    Raises:
        UnsupportedError: the module cannot be found or imported, the class is missing, or it
            lacks part of the protocol; the message says which, and where.
    """
    module = _module_name(spec)
    attr = spec.partition(":")[2]
    mod = _import(module, Path(base_dir) if base_dir is not None else None)
    where = getattr(mod, "__file__", module)
    cls = mod
    for part in attr.split("."):
        if not hasattr(cls, part):
            raise UnsupportedError(f"custom workload: {where} has no attribute {attr!r}",
                                   hint=f"define class {attr} in it, or fix the name after the colon")
        cls = getattr(cls, part)
    problems = check_protocol(cls, spec)
    if problems:
        raise UnsupportedError(f"custom workload {spec} ({where}) does not fit the workload protocol: "
                               + "; ".join(problems),
                               hint="subclass harness.workloads.Workload and see the protocol in README.md")
    try:
        return cls()
    except Exception as exc:  # noqa: BLE001 - user code
        raise UnsupportedError(f"custom workload {spec}: {attr}() raised {type(exc).__name__}: {exc}{_where(exc)}",
                               hint="the class must be constructible without arguments") from None
