"""Older stored baselines, rewritten in the layout this code reads by ``harness baseline migrate``.

One function per layout change, ``upgrade_to_N(data) -> data``, registered in :data:`MIGRATIONS`
under ``N``; :func:`upgrade` applies them in order, from the file's ``schema`` up to
:data:`BASELINE_SCHEMA`. The gate never upgrades silently: a file of an older schema is refused
when read for a comparison, and ``harness baseline migrate`` rewrites it so that the change is
a diff a person reviews and commits. Newer files are refused, never downgraded.

Layouts:

- **0**, before checksums and tier fallbacks::

      {"schema": 0, "suite": "ghz", "case_id": "n=3", "run_id": "<run promoted from>",
       "results": {"simulator": {"status": "ok", "metrics": {...}, "counts": {...},
                                 "timings": {...}, "resources": {...}, "lineage": {...}, "error": null}}}

  A result is keyed by its baseline kind and names neither its suite, its case nor its tier. There
  is no checksum, so a schema-0 file cannot be verified: migrating it says so, and its values are
  only as good as the review of the migration's diff.
- **1**: every result carries ``suite``, ``case_id``, ``baseline`` and ``tier``; the file adds
  ``promoted_from`` (was ``run_id``), ``promoted_at``, ``suite_sha256`` and ``checksum``, the sha256
  of the *results* only (the header was outside it).
- **2**, current: the same fields; ``checksum`` is :func:`file_checksum`, the sha256 of the whole
  file's canonical JSON except the checksum itself, so ``suite``, ``case_id`` and ``promoted_*``
  are covered too.

Example:
    >>> old = {"schema": 0, "suite": "ghz", "case_id": "n=3", "run_id": "r1",
    ...        "results": {"hardware.raw": {"status": "ok", "metrics": {}}}}
    >>> new = upgrade(old, "baselines/ghz/n=3.json")
    >>> new["schema"], new["results"]["hardware.raw"]["tier"], new["promoted_from"], new["upgraded_from"]
    (2, 'hardware', 'r1', 0)
    >>> new["checksum"] == file_checksum(new)
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from harness.errors import BaselineError
from harness.lineage import stable_hash

__all__ = ["BASELINE_SCHEMA", "MIGRATIONS", "file_checksum", "upgrade", "upgrade_to_1", "upgrade_to_2"]

BASELINE_SCHEMA = 2
"""Version of the stored-baseline layout written and read by this code (run records have their own,
:data:`harness.records.RUN_SCHEMA`)."""

Layout = dict[str, Any]


def file_checksum(data: Mapping[str, Any]) -> str:
    """The schema-2 checksum: sha256 of the canonical JSON of every field but ``checksum``."""
    return stable_hash({k: v for k, v in data.items() if k != "checksum"})


def upgrade_to_1(data: Layout) -> Layout:
    """Schema 0 to 1: name each result's suite, case, baseline and tier; rename ``run_id``; add the checksum.

    Raises:
        ValueError: the file is not a schema-0 layout. A ``checksum``, or a result with a ``tier``,
            means a newer file whose schema number was edited down (which would dodge its checksum).
    """
    if "checksum" in data:
        raise ValueError("it has a checksum, which schema 0 never had (was its schema number edited?)")
    suite, case_id, results = data.get("suite"), data.get("case_id"), data.get("results")
    if not isinstance(suite, str) or not isinstance(case_id, str):
        raise ValueError("'suite' and 'case_id' must be strings")
    if not isinstance(results, dict) or not all(isinstance(r, dict) for r in results.values()):
        raise ValueError("'results' must map each baseline kind to a result")
    upgraded = {}
    for kind, old in results.items():
        if "tier" in old:
            raise ValueError(f"result {kind!r} has a tier, which schema 0 never had (was its schema number edited?)")
        upgraded[kind] = {**old, "suite": suite, "case_id": case_id, "baseline": kind, "tier": kind.split(".")[0]}
    rest = {k: v for k, v in data.items() if k not in ("schema", "run_id", "results")}
    return {
        **rest,
        "schema": 1,
        "promoted_from": data.get("run_id"),
        "promoted_at": None,
        "suite_sha256": None,
        "upgraded_from": 0,
        "checksum": stable_hash(upgraded),
        "results": upgraded,
    }


def upgrade_to_2(data: Layout) -> Layout:
    """Schema 1 to 2: check the schema-1 checksum (of the results), then checksum the whole file.

    Raises:
        ValueError: the results no longer match their schema-1 checksum (edited after promotion).
    """
    results = data.get("results")
    if not isinstance(results, dict):
        raise ValueError("'results' must map each baseline kind to a result")
    if data.get("checksum") != stable_hash(results):
        raise ValueError("its results do not match their checksum: they were edited or truncated after promotion")
    new = {**data, "schema": 2, "upgraded_from": data.get("upgraded_from", 1)}
    new["checksum"] = file_checksum(new)
    return new


MIGRATIONS: dict[int, Callable[[Layout], Layout]] = {1: upgrade_to_1, 2: upgrade_to_2}
"""``N -> upgrade_to_N``: one entry for every schema from 1 to :data:`BASELINE_SCHEMA` (a test checks)."""


def upgrade(data: Layout, path: str | Path) -> Layout:
    """``data`` (a stored baseline of schema ``data["schema"] <= BASELINE_SCHEMA``) in the current layout.

    Raises:
        BaselineError: the schema is older than any migration knows, or a migration refuses the
            file; the message names ``path``, the step and why.
    """
    schema = data.get("schema")
    oldest = min(MIGRATIONS) - 1
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < oldest:
        raise BaselineError(f"{path}: baseline schema {schema!r} is older than any this harness can upgrade "
                            f"(oldest {oldest})", hint="promote a new run to replace it")
    for target in range(schema + 1, BASELINE_SCHEMA + 1):
        try:
            data = MIGRATIONS[target](data)
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"{path}: cannot upgrade the baseline from schema {target - 1} to {target}: {exc}",
                                hint="restore it from version control, or promote a new run to replace it") from None
    return data
