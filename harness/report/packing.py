"""The report's one JSON block, with every distinct value stored once, nested values included.

Lineage repeats across results (SDK versions, settings blocks, device facts, hashes), and not
only as whole table cells: the raw and mitigated results of a case share their device block, the
cases of a suite their settings. So values are hash-consed: ``v`` holds each distinct value once,
and a list or mapping in it refers to its parts by ``[index]`` (a one-element list is a reference;
numbers, booleans, null and short strings stay inline). ``unpack`` (and the page's script, which
mirrors it) rebuilds any value.

Floats are kept to :data:`DIGITS` significant digits, more than the page shows anywhere (the run
record holds them in full); a non-finite float becomes its text, which JSON cannot otherwise carry.

On the page the block is one JSON string: the packed JSON, deflated (raw DEFLATE) and in base64
(:func:`encode`), which the browser inflates with its own ``DecompressionStream`` when the page
opens; base64 has no ``<``, ``>`` or ``&``, so no user text in it can close the script.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter
import re
import zlib
from typing import Any, Mapping

__all__ = ["DIGITS", "Packer", "decode", "encode", "unpack"]

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


    def renumber(self, used: list[int]) -> list[int]:
        """Reorder ``values`` most-referenced first (short indices for the values met most), counting
        ``used`` (the references from outside) and the references between values; returns the new
        index of each old one."""
        counts = Counter(used)
        for x in self.values:
            for c in (x.values() if isinstance(x, dict) else x if isinstance(x, list) else ()):
                if isinstance(c, list):
                    counts[c[0]] += 1
        order = sorted(range(len(self.values)), key=lambda i: (-counts[i], i))
        new = [0] * len(order)
        for k, i in enumerate(order):
            new[i] = k
        kid = lambda c: [new[c[0]]] if isinstance(c, list) else c  # noqa: E731
        self.values = [{k: kid(c) for k, c in x.items()} if isinstance(x, dict) else
                       [kid(c) for c in x] if isinstance(x, list) else x for x in (self.values[i] for i in order)]
        self._index = {key: new[i] for key, i in self._index.items()}
        return new


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


def encode(data: Any) -> str:
    """``data`` as the page's block: a JSON string of its deflated JSON, in base64."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflate.compress(text.encode("utf-8")) + deflate.flush()
    return '"' + base64.b64encode(packed).decode("ascii") + '"'


def decode(block: str) -> Any:
    """The data of a block :func:`encode` wrote, or of a page holding one (``id="drill-data"``)."""
    found = re.search(r'id="drill-data">(.*?)</script>', block, re.S)
    raw = base64.b64decode(json.loads(found.group(1) if found else block))
    return json.loads(zlib.decompress(raw, -15).decode("utf-8"))
