"""Which layer of the stack differs between a result and its stored baseline, read from their lineage.

A verdict is easier to act on when it names what changed, and only that: the workload's code,
an SDK version, the device or its calibration, the transpiler settings, the mitigation, the
workload options, the shots. Everything else in a lineage is left out because it changes without
meaning anything on its own: the repository commit and dirty flag (every commit moves them; the
workload's own source hash says whether *its* code changed), the suite file's hash (its relevant
parts are named one by one), seeds (a nightly gate draws new ones on purpose), outcomes and times
(transpiled circuits, physical qubits, timestamps, optimizer info). A key recorded on one side only
(a baseline promoted before the harness recorded it) says nothing and is skipped too.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from harness.kinds import CLASSICAL

__all__ = ["LAYERS", "changed_layers"]

_DEVICE_INPUTS = ("backend", "backend_version", "calibration_sha256", "calibration_date", "engine", "primitive",
                  "mode", "method", "optimization_level", "noise")

LAYERS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("workload code", lambda k: k in ("workload", "workload_sha256")),
    ("SDK versions", lambda k: k == "python" or k.startswith("sdk.")),
    ("backend and calibration", lambda k: k == "settings.backend" or (
        k.startswith("device.") and k.split(".", 1)[1] in _DEVICE_INPUTS and k != "device.optimization_level")),
    ("transpiler", lambda k: k in ("device.optimization_level", "settings.optimization_level")),
    ("mitigation", lambda k: k == "mitigation" or k.startswith(("mitigation.", "settings.mitigation"))),
    ("options", lambda k: k.split(".", 1)[0] in ("options", CLASSICAL, "settings")),
    ("shots", lambda k: k == "params.shots"),
)
"""Layers in the order they are named, each with the dotted lineage keys that belong to it."""


def _leaves(d: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys one level deep (``sdk.qiskit``); deeper values are compared whole."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping) and v:
            out.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            out[str(k)] = v
    return out


def _same(a: Any, b: Any) -> bool:
    # lists and tuples read back from JSON compare equal to what was written
    norm = (lambda x: [norm(y) for y in x] if isinstance(x, (list, tuple)) else  # noqa: E731
            {k: norm(v) for k, v in x.items()} if isinstance(x, Mapping) else x)
    return norm(a) == norm(b)


def changed_layers(new: Mapping[str, Any], old: Mapping[str, Any], *, limit: int = 6) -> str | None:
    """The relevant lineage keys that differ, grouped by layer in :data:`LAYERS` order, comma-separated.

    Returns None when no relevant input differs, or when either lineage is empty (an old baseline
    without lineage says nothing about what changed). When the mitigation settings differ as a
    whole and inside ``settings`` both, the top-level key is named once.

    >>> changed_layers({"sdk": {"qiskit": "2.6"}, "seeds": {"a": 1}}, {"sdk": {"qiskit": "2.5"}, "seeds": {"a": 2}})
    'sdk.qiskit'
    >>> changed_layers({"code": {"commit": "b"}, "suite_sha256": "y"}, {"code": {"commit": "a"}, "suite_sha256": "x"})
    """
    if not new or not old:
        return None
    a, b = _leaves(new), _leaves(old)
    differ = [k for k in a.keys() & b.keys() if not _same(a[k], b[k])]
    named: list[str] = []
    for _, belongs in LAYERS:
        named += sorted(k for k in differ if belongs(k) and k not in named)
    if any(k.startswith("mitigation") for k in named):
        named = [k for k in named if not k.startswith("settings.mitigation")]
    if not named:
        return None
    extra = len(named) - limit
    return ", ".join(named[:limit]) + (f" (+{extra} more)" if extra > 0 else "")
