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

Entries are JSON files ``<folder>/<key[:2]>/<key>.json``, written atomically. The folder is not
reviewed (a nightly job carries it in a CI cache), so an entry is served only when it proves what
it is: its ``key`` is the file's, its ``description`` hashes to that key (it is the job asked for),
its ``checksum`` covers key, description and counts, and its counts are one table per circuit of
whole numbers summing to the job's shots. An entry failing any check is deleted with an
:class:`~harness.store.untrusted.UntrustedFileWarning` and the job runs again. Example:

    >>> cache = ResultCache(tmp_path / "cache")          # doctest: +SKIP
    >>> device.cache = cache.view()                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from harness.lineage import stable_hash
from harness.store.atomic import write_json
from harness.store.untrusted import discard

__all__ = ["CACHE_SCHEMA", "CacheView", "ResultCache"]

CACHE_SCHEMA = 2
"""2: entries carry a checksum (entries of 1 have other keys, so they are simply never looked up)."""


def _checksum(key: str, description: Any, counts: Any) -> str:
    return stable_hash({"key": key, "description": description, "counts": counts})


def _whole(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _problem(data: Any, key: str) -> str | None:
    """Why a cache entry cannot be served for ``key``, or None."""
    if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA:
        return "not a cache entry of this harness"
    if data.get("key") != key:
        return "its key is not its file's"
    description, counts = data.get("description"), data.get("counts")
    if not isinstance(description, dict) or stable_hash({"schema": CACHE_SCHEMA, **description}) != key:
        return "its job description does not hash to its key"
    if data.get("checksum") != _checksum(key, description, counts):
        return "checksum mismatch: the entry was edited or damaged"
    circuits, shots = description.get("circuits"), description.get("shots")
    if not isinstance(counts, list) or (isinstance(circuits, list) and len(counts) != len(circuits)):
        return "not one count table per circuit"
    for table in counts:
        if not isinstance(table, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
                                                  and _whole(p[1]) for p in table):
            return "a count table is not [bitstring, whole number] pairs"
        if isinstance(shots, int) and sum(v for _, v in table) != shots:
            return f"a count table sums to {sum(v for _, v in table)}, not the job's {shots} shots"
    return None


class ResultCache:
    """Counts of seeded jobs, keyed by content, in ``folder``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def key(self, description: Mapping[str, Any]) -> str:
        return stable_hash({"schema": CACHE_SCHEMA, **description})

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def lookup(self, description: Mapping[str, Any]) -> list[dict[str, int]] | None:
        """The cached counts of a job, or None (absent, or failed a check: then deleted with a warning)."""
        key = self.key(description)
        path = self._path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            discard(path, f"unreadable: {exc.strerror}", remove=False)
            return None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            discard(path, "not JSON")
            return None
        problem = _problem(data, key)
        if problem:
            discard(path, problem)
            return None
        return [{k: v for k, v in c} for c in data["counts"]]

    def store(self, description: Mapping[str, Any], counts: list[Mapping[str, int]]) -> None:
        key = self.key(description)
        description = json.loads(json.dumps(dict(description)))  # as it will read back (tuples become lists)
        # pairs, not objects: the device's key order is kept (the JSON writer sorts object keys), so
        # sums over counts repeat to the last bit
        pairs = [[[str(k), int(v)] for k, v in c.items()] for c in counts]
        write_json(self._path(key), {"schema": CACHE_SCHEMA, "key": key, "description": description,
                                     "counts": pairs, "checksum": _checksum(key, description, pairs)})

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
