"""Custom workloads named ``module:Class`` in a suite: load them and check they fit the protocol.

The module is looked for first as a file next to the suite (``module.py``, or ``pkg/mod.py`` for
``pkg.mod``), then on ``sys.path``. The class must subclass
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
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.errors import UnsupportedError
from harness.records import METRIC_KINDS

__all__ = ["REQUIRED_ATTRIBUTES", "REQUIRED_METHODS", "check_protocol", "is_custom", "load_workload"]

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


def _import(module: str, base_dir: Path | None) -> ModuleType:
    if base_dir is not None:
        candidate = Path(base_dir, *module.split(".")).with_suffix(".py")
        if candidate.is_file():
            path = candidate.resolve()
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
    module, _, attr = spec.partition(":")
    if not module or not attr or ":" in attr:
        raise UnsupportedError(f"custom workload {spec!r} must read module:Class",
                               hint="e.g. workload: my_workload:MyWorkload, with my_workload.py next to the suite")
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
