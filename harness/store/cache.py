"""A content-addressed cache of seeded simulator jobs, so reruns skip identical work.

The key is the sha256 of what determines a job's counts (see
:func:`harness.executors.aer.job_description`): the exact submitted circuits (after transpilation,
so the optimisation level, layout and the circuits mitigation folds are all inside), their
parameter values, the backend and its calibration snapshot hash, shots, the job's seed, and the
simulator versions. Mitigation's post-processing (readout inversion, extrapolation) and scoring
always run again from the counts, so a change there never meets a stale entry; a different seed
(``gate --seed X``) is a different key.

Only seeded, reproducible executions are cached: the ideal Aer tier and fake backends. Real
hardware never is (its counts are not a function of a seed).

Entries are JSON files ``<folder>/<key[:2]>/<key>.json``, written atomically; an unreadable entry
is a miss. Example:

    >>> cache = ResultCache(tmp_path / "cache")          # doctest: +SKIP
    >>> device.cache = cache.view()                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from harness.lineage import stable_hash
from harness.store.atomic import write_json

__all__ = ["CACHE_SCHEMA", "CacheView", "ResultCache"]

CACHE_SCHEMA = 1


class ResultCache:
    """Counts of seeded jobs, keyed by content, in ``folder``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def key(self, description: Mapping[str, Any]) -> str:
        return stable_hash({"schema": CACHE_SCHEMA, **description})

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def lookup(self, description: Mapping[str, Any]) -> list[dict[str, int]] | None:
        """The cached counts of a job, or None."""
        key = self.key(description)
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA or data.get("key") != key:
            return None
        return [{str(k): int(v) for k, v in c} for c in data["counts"]]

    def store(self, description: Mapping[str, Any], counts: list[Mapping[str, int]]) -> None:
        key = self.key(description)
        write_json(self._path(key), {"schema": CACHE_SCHEMA, "key": key, "description": dict(description),
                                     # pairs, not objects: the device's key order is kept (the JSON writer
                                     # sorts object keys), so sums over counts repeat to the last bit
                                     "counts": [[[k, int(v)] for k, v in c.items()] for c in counts]})

    def view(self) -> "CacheView":
        """A handle for one device that counts its own hits and misses."""
        return CacheView(self)


class CacheView:
    """The cache as one device sees it, with hit and miss counts for that device's result."""

    def __init__(self, cache: ResultCache):
        self.cache = cache
        self.hits = 0
        self.misses = 0
        self.keys: list[str] = []

    def lookup(self, description: Mapping[str, Any]) -> list[dict[str, int]] | None:
        found = self.cache.lookup(description)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
            self.keys.append(self.cache.key(description))
        return found

    def store(self, description: Mapping[str, Any], counts: list[Mapping[str, int]]) -> None:
        self.cache.store(description, counts)

    def to_dict(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses}
