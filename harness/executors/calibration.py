"""Calibration snapshots: the device data a hardware result depends on, as plain JSON.

A snapshot records, per qubit, T1 and T2 (seconds), frequency (Hz) and readout errors, and per gate
and qubit tuple, error and duration (seconds). Its sha256 goes into a result's lineage, so a
change of calibration is visible as a change of lineage, not as unexplained drift.

Only :func:`calibration_snapshot` reads a backend; the rest are pure functions of the snapshot.

Readout convention (the one ``mitiq.rem`` uses): a 2x2 confusion matrix ``A`` has
``A[measured, prepared]``, so each column sums to 1::

    A = [[1 - p(1|0), p(0|1)],
         [p(1|0),     1 - p(0|1)]]
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = [
    "calibration_snapshot",
    "confusion_matrix",
    "readout_probabilities",
    "snapshot_hash",
]

# Control flow and timing pseudo-instructions carry no calibration.
_NOT_CALIBRATED = {"delay", "if_else", "for_loop", "while_loop", "switch_case", "box", "barrier", "store"}


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def calibration_snapshot(backend: Any, qubits: Iterable[int] | None = None) -> dict[str, Any]:
    """A JSON-able snapshot of ``backend``'s calibration (a qiskit ``BackendV2``).

    Args:
        backend: the backend; its ``target`` is read, and ``properties()`` when it has one
            (for the asymmetric readout probabilities and the calibration date).
        qubits: restrict to these physical qubits (and gates acting only on them); all if None.

    Returns:
        ``{"backend", "backend_version", "calibration_date", "num_qubits", "readout_in_target",
        "qubits": {"<q>": {...}}, "gates": {"<name>": {"<q0>_<q1>": {"error", "duration"}}}}``.
        ``readout_in_target`` says whether the target itself carries asymmetric readout
        probabilities ("asymmetric") or only an average ``readout_error`` ("symmetric"): a
        simulator built from the target (Aer's ``NoiseModel.from_backend``) applies exactly that.
    """
    target = backend.target
    wanted = set(range(target.num_qubits)) if qubits is None else {int(q) for q in qubits}
    props = _properties(backend)
    measure = target["measure"] if "measure" in target.operation_names else {}
    asymmetric_target = False
    qubit_entries: dict[str, dict[str, float | None]] = {}
    for q in sorted(wanted):
        qp = target.qubit_properties[q] if target.qubit_properties else None
        mp = measure.get((q,)) if measure else None
        entry = {
            "t1": _num(getattr(qp, "t1", None)),
            "t2": _num(getattr(qp, "t2", None)),
            "frequency": _num(getattr(qp, "frequency", None)),
            "readout_error": _num(getattr(mp, "error", None)),
            "readout_duration": _num(getattr(mp, "duration", None)),
            "prob_meas1_prep0": None,
            "prob_meas0_prep1": None,
        }
        if mp is not None and hasattr(mp, "prob_meas1_prep0") and hasattr(mp, "prob_meas0_prep1"):
            asymmetric_target = True
            entry["prob_meas1_prep0"] = _num(mp.prob_meas1_prep0)
            entry["prob_meas0_prep1"] = _num(mp.prob_meas0_prep1)
        elif props is not None:
            entry["prob_meas1_prep0"] = _prop(props, q, "prob_meas1_prep0")
            entry["prob_meas0_prep1"] = _prop(props, q, "prob_meas0_prep1")
        qubit_entries[str(q)] = entry

    gates: dict[str, dict[str, dict[str, float | None]]] = {}
    for name in sorted(target.operation_names):
        if name in _NOT_CALIBRATED or name == "measure":
            continue
        for qargs, ip in (target[name] or {}).items():
            if qargs is None or ip is None or not set(qargs) <= wanted:
                continue
            gates.setdefault(name, {})["_".join(map(str, qargs))] = {
                "error": _num(ip.error),
                "duration": _num(ip.duration),
            }

    date = getattr(props, "last_update_date", None) if props is not None else None
    return {
        "backend": backend.name,
        "backend_version": str(getattr(backend, "backend_version", "") or ""),
        "calibration_date": date.isoformat() if hasattr(date, "isoformat") else date,
        "num_qubits": int(target.num_qubits),
        "readout_in_target": "asymmetric" if asymmetric_target else "symmetric",
        "qubits": qubit_entries,
        "gates": gates,
    }


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    """sha256 of the snapshot's canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def readout_probabilities(
    snapshot: Mapping[str, Any], qubit: int, *, as_simulated: bool
) -> tuple[float, float]:
    """``(p(1|0), p(0|1))`` of physical ``qubit`` in ``snapshot``.

    Args:
        snapshot: from :func:`calibration_snapshot`; must include ``qubit``.
        qubit: physical qubit index.
        as_simulated: True for a simulator built from the target, which applies the target's
            readout model: the average ``readout_error`` on both sides unless the target carries
            the asymmetric pair. False for hardware, where the measured asymmetric pair is the
            better estimate whenever the calibration has it.
    """
    entry = snapshot["qubits"][str(qubit)]
    p10, p01 = entry.get("prob_meas1_prep0"), entry.get("prob_meas0_prep1")
    use_pair = p10 is not None and p01 is not None
    if as_simulated and snapshot.get("readout_in_target") != "asymmetric":
        use_pair = False
    if use_pair:
        return float(p10), float(p01)
    symmetric = entry.get("readout_error")
    if symmetric is None:
        return 0.0, 0.0  # no readout data: the identity matrix, i.e. no correction
    return float(symmetric), float(symmetric)


def confusion_matrix(p_meas1_prep0: float, p_meas0_prep1: float) -> np.ndarray:
    """The 2x2 confusion matrix ``A[measured, prepared]`` (columns sum to 1), mitiq's convention."""
    return np.array(
        [[1.0 - p_meas1_prep0, p_meas0_prep1], [p_meas1_prep0, 1.0 - p_meas0_prep1]], dtype=float
    )


def _properties(backend: Any) -> Any:
    try:
        return backend.properties()
    except Exception:  # noqa: BLE001 - backends without BackendProperties are fine
        return None


def _prop(props: Any, qubit: int, name: str) -> float | None:
    try:
        return _num(props.qubit_property(qubit, name)[0])
    except Exception:  # noqa: BLE001 - a missing field is recorded as None
        return None
