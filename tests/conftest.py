"""Shared test helpers: the one suite factory every test builds its suite YAML with.

``suite_yaml(...)`` returns the text of a valid suite (a small GHZ suite on all three tiers unless
told otherwise); the ``make_suite`` fixture writes it to a file. Tests import the function with
``from ..conftest import suite_yaml`` (pytest's importlib mode keeps relative imports working) or
ask for the fixtures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest

pytest_plugins = ["pytester"]

__all__ = ["BASELINES", "HARDWARE", "METRICS", "run_cli", "suite_yaml"]

HARDWARE: dict[str, Any] = {"backend": "fake_manila", "optimization_level": 1, "mitigation": {"readout": True}}
"""The default hardware block: a fake backend with real calibration data, readout mitigation."""

BASELINES: dict[str, Any] = {"classical": {}, "simulator": {"engine": "aer"}, "hardware": HARDWARE}
"""The default block of each tier."""

METRICS: dict[str, Any] = {"success_probability": {"better": "higher", "tolerance": 0.03}}

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}  # YAML 1.2, and 1.1 words
_HEAD = ("description",)


def _flow(value: Any) -> str:
    """``value`` as YAML flow text in the style suites are written in (``{engine: aer}``, ``[3, 4]``)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if _PLAIN.match(value) and value.lower() not in _RESERVED else json.dumps(value)
    return repr(value)


def suite_yaml(name: str = "ghz-test", workload: str = "ghz", *, seed: Any = 5,
               matrix: Mapping[str, Any] | None = None,
               baselines: Mapping[str, Any] | Iterable[str] | None = None,
               metrics: Mapping[str, Any] | None = None, **overrides: Any) -> str:
    """The YAML of a valid suite.

    Args:
        name, workload, seed: the top-level keys (``seed=None`` leaves it out).
        matrix: default ``{n: [3], shots: [500]}``.
        baselines: a mapping of tier -> block, or tier names whose default block (:data:`BASELINES`)
            is used; default all three tiers.
        metrics: default ``success_probability`` (higher is better, tolerance 0.03).
        overrides: further top-level keys (``trials``, ``description``, ``options``, ...); None leaves
            one out.

    Written in the order suite, description, workload, seed, matrix, overrides, baselines, metrics; one
    top-level key a line, their entries one a line (a list of instances one instance a line), in flow style.
    """
    if baselines is None:
        baselines = BASELINES
    elif not isinstance(baselines, Mapping):
        baselines = {tier: BASELINES[tier] for tier in baselines}
    head = {k: overrides.pop(k) for k in _HEAD if k in overrides}
    doc = {"suite": name, **head, "workload": workload, "seed": seed,
           "matrix": matrix if matrix is not None else {"n": [3], "shots": [500]}, **overrides,
           "baselines": baselines, "metrics": metrics if metrics is not None else METRICS}
    lines = []
    for key, value in doc.items():
        if value is None:
            continue
        if not (isinstance(value, Mapping) and value):
            lines.append(f"{key}: {_flow(value)}")
            continue
        lines.append(f"{key}:")
        for k, v in value.items():
            if isinstance(v, (list, tuple)) and v and all(isinstance(x, Mapping) for x in v):
                lines += [f"  {_flow(k)}:"] + [f"    - {_flow(x)}" for x in v]  # one instance a line
            else:
                lines.append(f"  {_flow(k)}: {_flow(v)}")
    return "\n".join(lines) + "\n"


def run_cli(capsys, *args: Any) -> tuple[int, str, str]:
    """``harness ARGS...`` through the real entry point: ``(exit code, stdout, stderr)``."""
    from harness.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code or 0, out, err


@pytest.fixture
def make_suite(tmp_path):
    """``make_suite(*args, file="suite.yaml", folder=tmp_path, **kwargs)`` writes
    :func:`suite_yaml` ``(*args, **kwargs)`` and returns the file's path (folders are created)."""

    def write(*args: Any, file: str = "suite.yaml", folder: Path | None = None, **kwargs: Any) -> Path:
        path = Path(folder if folder is not None else tmp_path) / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(suite_yaml(*args, **kwargs), encoding="utf-8")
        return path

    return write
