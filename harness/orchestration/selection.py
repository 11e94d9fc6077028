"""Choose a backend among a suite's candidates by what their calibration snapshots say.

Policies (``baselines.hardware.policy``):

- ``fewest_two_qubit_errors``: the lowest mean two-qubit gate error over the ``width`` best
  couplings of the device (the ones a good layout would use), from the calibration snapshot;
- ``best_readout``: the lowest mean readout error over the ``width`` best qubits;
- ``smallest_queue``: the fewest pending jobs (``backend.status().pending_jobs``; 0 for fake
  backends, so ties go to the first candidate listed).

Ties keep the suite's order. Candidates with fewer qubits than the case needs are skipped. The
choice and every candidate's score go into the result's lineage.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, Sequence

import numpy as np

from harness.errors import UnsupportedError

__all__ = ["POLICIES", "score_snapshot", "select_backend"]

POLICIES = ("fewest_two_qubit_errors", "best_readout", "smallest_queue")


@functools.lru_cache(maxsize=32)
def _snapshot(name: str) -> dict[str, Any]:
    from harness.executors.calibration import calibration_snapshot
    from harness.executors.runtime import fake_backend_classes

    return calibration_snapshot(fake_backend_classes()[name]())


def _queue(name: str) -> int:
    from harness.executors.runtime import fake_backend_classes

    try:
        return int(fake_backend_classes()[name]().status().pending_jobs)
    except Exception:  # noqa: BLE001 - a backend without status reports no queue
        return 0


def score_snapshot(snapshot: Mapping[str, Any], policy: str, width: int) -> float | None:
    """The policy's score of one calibration snapshot (lower is better); None if it has no data."""
    if policy == "fewest_two_qubit_errors":
        errors = sorted(e["error"] for gate in snapshot["gates"].values() for qargs, e in gate.items()
                        if qargs.count("_") == 1 and e.get("error") is not None)
        # a width-w layout uses about w - 1 couplings; a good mapper picks the best ones
        best = errors[:max(width - 1, 1)]
        return float(np.mean(best)) if best else None
    if policy == "best_readout":
        errors = sorted(q["readout_error"] for q in snapshot["qubits"].values() if q.get("readout_error") is not None)
        best = errors[:max(width, 1)]
        return float(np.mean(best)) if best else None
    raise UnsupportedError(f"unknown backend selection policy {policy!r}", hint=f"use one of {POLICIES}")


def select_backend(candidates: Sequence[str], policy: str, width: int | None = None) -> tuple[str, dict[str, Any]]:
    """The chosen backend and the lineage entry that explains it.

    Args:
        candidates: fake backend names, in the suite's order of preference.
        policy: one of :data:`POLICIES`.
        width: qubits the case needs (None: unknown; no backend is skipped for size).
    """
    if policy not in POLICIES:
        raise UnsupportedError(f"unknown backend selection policy {policy!r}", hint=f"use one of {POLICIES}")
    scores: dict[str, float | None] = {}
    skipped: dict[str, str] = {}
    for name in candidates:
        snap = _snapshot(name)
        if width is not None and snap["num_qubits"] < width:
            skipped[name] = f"{snap['num_qubits']} qubits < {width} needed"
            continue
        scores[name] = float(_queue(name)) if policy == "smallest_queue" else score_snapshot(snap, policy, width or 2)
    scored = [(s, i, n) for i, (n, s) in enumerate(scores.items()) if s is not None]
    if not scored:
        raise UnsupportedError(f"no candidate backend fits: {skipped or candidates}",
                               hint="list a backend with enough qubits and calibration data")
    _, _, chosen = min(scored)
    others = ", ".join(f"{n} {s:.4g}" for s, _, n in sorted(scored) if n != chosen)
    reason = f"{chosen} has the lowest {policy} score ({scores[chosen]:.4g})" + (f" vs {others}" if others else "")
    return chosen, {"policy": policy, "candidates": list(candidates), "chosen": chosen, "scores": scores,
                    "skipped": skipped, "width": width, "reason": reason,
                    "calibration_sha256": {n: _snapshot_hash(n) for n in scores}}


def _snapshot_hash(name: str) -> str:
    from harness.executors.calibration import snapshot_hash

    return snapshot_hash(_snapshot(name))
