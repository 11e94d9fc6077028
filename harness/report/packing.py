"""The report's one JSON block, with every distinct value stored once, nested values included.

Lineage repeats across results (SDK versions, settings blocks, device facts, hashes), and not
only as whole table cells: the raw and mitigated results of a case share their device block, the
cases of a suite their settings. So values are hash-consed: ``v`` holds each distinct value once,
and a list or mapping in it refers to its parts by ``[index]`` (a one-element list is a reference;
numbers, booleans, null and short strings stay inline). ``unpack`` (and the page's script, which
mirrors it) rebuilds any value.

Floats are kept to :data:`DIGITS` significant digits, more than the page shows anywhere (the run
record holds them in full); a non-finite float becomes its text, which JSON cannot otherwise carry.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

__all__ = ["DIGITS", "Packer", "unpack"]

DIGITS = 6
_INLINE = 16  # strings shorter than this stay inline in a container: a reference would cost as much


def _number(x: float) -> float | str:
    return float(f"{x:.{DIGITS}g}") if math.isfinite(x) else str(x)


class Packer:
    """Interns values into ``self.values``; :meth:`ref` gives a value's index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[str, int] = {}

    def _add(self, key: str, encoded: Any) -> int:
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.values)
            self.values.append(encoded)
        return i

    def _child(self, x: Any) -> Any:
        """A part of a container: inline when small and scalar, else a reference ``[index]``."""
        if x is None or isinstance(x, (bool, int)):
            return x
        if isinstance(x, float):
            return _number(x)
        if isinstance(x, str) and len(x) < _INLINE:
            return x
        return [self.ref(x)]

    def ref(self, x: Any) -> int:
        """The index of ``x`` in ``values``, adding it (and its parts) when new."""
        if isinstance(x, str):
            return self._add("s" + x, x)
        if isinstance(x, Mapping):
            node: Any = {str(k): self._child(v) for k, v in x.items()}
            tag = "o"
        elif isinstance(x, (list, tuple)):
            node, tag = [self._child(v) for v in x], "l"
        elif isinstance(x, float):
            node, tag = _number(x), "n"
        elif x is None or isinstance(x, (bool, int)):
            node, tag = x, "n"
        else:
            return self.ref(str(x))
        return self._add(tag + json.dumps(node, separators=(",", ":"), ensure_ascii=False), node)


def unpack(values: list[Any], i: int) -> Any:
    """The value at index ``i`` of a packed ``values`` list, rebuilt (as the page's script does)."""
    def kid(c: Any) -> Any:
        return unpack(values, c[0]) if isinstance(c, list) else c

    x = values[i]
    if isinstance(x, list):
        return [kid(c) for c in x]
    if isinstance(x, dict):
        return {k: kid(c) for k, c in x.items()}
    return x
