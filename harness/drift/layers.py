"""Which layer of the stack differs between a result and its stored baseline, read from their lineage.

A regression is easier to act on when it names what changed: the code, an SDK version, the
transpiler settings, the device calibration, the mitigation. Only inputs are compared; what
a run produced or when it ran (timestamps, optimizer info) always differs and is skipped.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["VOLATILE", "changed_layers"]

VOLATILE = frozenset({"started", "finished", "info", "quantum", "evaluations", "mitigation_details", "suite_file"})
"""Lineage keys that record outcomes or times, not inputs; never reported as a change."""


def changed_layers(new: Mapping[str, Any], old: Mapping[str, Any], *, limit: int = 6) -> str | None:
    """Comma-separated lineage keys whose values differ, one level deep (``sdk.qiskit``).

    Returns None when the inputs recorded in both lineages are equal, or when either is empty
    (an old baseline without lineage says nothing about what changed).

    >>> changed_layers({"sdk": {"qiskit": "2.6"}, "seed": 1}, {"sdk": {"qiskit": "2.5"}, "seed": 1})
    'sdk.qiskit'
    """
    if not new or not old:
        return None
    changed: list[str] = []
    for key in sorted(set(new) | set(old)):
        if key in VOLATILE:
            continue
        a, b = new.get(key), old.get(key)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            inner = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            changed.extend(f"{key}.{k}" for k in inner)
        else:
            changed.append(key)
    if not changed:
        return None
    extra = len(changed) - limit
    return ", ".join(changed[:limit]) + (f" (+{extra} more)" if extra > 0 else "")
