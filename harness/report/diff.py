"""What differs between a result's lineage and its stored baseline's, for the regression drill-down.

Every leaf that differs is listed, except what changes on every run and explains nothing: when the
run started and finished, how long mitigation took (``mitigation_details.seconds``), and the
repository commit (``code.commit``, ``code.dirty``) when the workload's own source
(``workload_sha256``) is the same on both sides, so the commit moved but the code that produced
the number did not. The drill-down says that these are left out.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

__all__ = ["NOISE_KEYS", "NOISE_NOTE", "canon", "lineage_diff", "show"]

NOISE_KEYS = frozenset({"started", "finished", "mitigation_details.seconds"})
"""Dotted lineage keys that change on every run."""

_COMMIT_KEYS = frozenset({"code.commit", "code.dirty"})
NOISE_NOTE = ("run timestamps, mitigation seconds and a repository commit that left the workload's source "
              "unchanged are not listed")


def show(value: Any) -> tuple[str, bool]:
    """Text of a lineage-like value and whether it is a block (nested values as indented JSON)."""
    if isinstance(value, str):
        return value, False
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, indent=2, sort_keys=True, default=str), True
    return json.dumps(value, default=str), False


def canon(x: Any) -> str:
    """Compare through JSON, so a tuple read back from disk equals the list it was written as."""
    return json.dumps(x, sort_keys=True, default=str)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def lineage_diff(old: Mapping[str, Any], new: Mapping[str, Any], *, raw: bool = False,
                 everything: bool = False) -> list[tuple[str, Any, Any]]:
    """``(dotted key, stored value, new value)`` for every leaf that differs; ``(absent)`` when missing.

    Values as text (nested ones as indented JSON), or as recorded with ``raw``. The keys of the module
    doc that change on every run are left out unless ``everything``.
    """
    a, b = _flatten(old), _flatten(new)
    skip: set[str] = set()
    if not everything:
        skip |= NOISE_KEYS
        same_code = "workload_sha256" in a and "workload_sha256" in b and \
            canon(a["workload_sha256"]) == canon(b["workload_sha256"])
        if same_code:
            skip |= _COMMIT_KEYS
    text = (lambda x: x) if raw else (lambda x: show(x)[0])  # noqa: E731
    rows = []
    for k in sorted((set(a) | set(b)) - skip):
        if k not in a or k not in b or canon(a[k]) != canon(b[k]):
            rows.append((k, text(a[k]) if k in a else "(absent)", text(b[k]) if k in b else "(absent)"))
    return rows
