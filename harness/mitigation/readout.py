"""Readout error mitigation (mitiq REM's model), from confusion matrices *measured* on the device.

The readout errors of different qubits are taken as independent, so the full confusion matrix is
the tensor product of the per-clbit 2x2 matrices ``A[measured, prepared]`` (mitiq's
``generate_tensored_inverse_confusion_matrix`` convention). We apply each inverse to its own axis
of the probability tensor: the same linear map as mitiq's ``2^n x 2^n`` matrix, in ``n 2^n``
operations instead of ``4^n``. The result is a quasi-distribution; like mitiq's
``closest_positive_distribution`` we take the nearest distribution in Euclidean distance, but by
the exact sort-based projection onto the simplex, and we keep the distribution instead of
resampling bitstrings from it (mitiq's ``mitigate_measurements`` does, adding shot noise).

Where the matrices come from (``readout: {confusion: ...}``):

- ``measured`` (the default, and what ``readout: true`` means): two calibration circuits on the
  physical qubits the circuits measure, all in |0> and all in |1>, run in the same batch as any
  job of the device. Their counts give each qubit's ``P(1|0)`` and ``P(0|1)``; the bootstrap
  resamples them too, so the standard error includes the calibration's own shot noise.
- ``model``: the calibration snapshot's readout errors, exactly those the simulator injects. A
  labelled idealisation (real hardware never hands you its true confusion matrix): no circuits run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.base import PhysicalCircuits, ReadoutCalibrated, clbit_qubits, supports
from harness.mitigation.base import Context, Technique

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["MAX_CLBITS", "Readout", "correct", "correct_many", "correct_matrix", "inverse_matrices", "measured_qubits",
           "project_to_simplex", "resampled_confusions"]

MAX_CLBITS = 16
"""Dense correction needs a 2^n probability vector; beyond this it is refused."""

_BATCH_ENTRIES = 1 << 20
"""Largest batch of the dense correction, in matrix entries (8 MB of floats), whatever 2^n is."""


def _check_width(circuit: "QuantumCircuit") -> None:
    if circuit.num_clbits > MAX_CLBITS:
        raise UnsupportedError(
            f"readout mitigation of {circuit.num_clbits} classical bits needs a 2^{circuit.num_clbits} vector",
            hint=f"measure at most {MAX_CLBITS} bits or set readout: false",
        )


def inverse_matrices(device: Any, circuit: "QuantumCircuit") -> list[np.ndarray]:
    """Pseudo-inverses of the device's modelled per-clbit confusion matrices (clbit 0 first)."""
    if not supports(device, ReadoutCalibrated):
        raise UnsupportedError(
            f"device {getattr(device, 'name', device)!r} has no readout calibration",
            hint="readout mitigation needs a hardware device (baselines.hardware); set readout: false",
        )
    _check_width(circuit)
    return [np.linalg.pinv(np.asarray(a, dtype=float)) for a in device.confusion_matrices(circuit)]


def measured_qubits(device: Any, circuit: "QuantumCircuit") -> list[int]:
    """The physical qubit each classical bit of ``circuit`` reads on ``device`` (clbit 0 first)."""
    if not supports(device, PhysicalCircuits):
        raise UnsupportedError(
            f"device {getattr(device, 'name', device)!r} cannot run readout calibration circuits",
            hint="readout mitigation needs a hardware device (baselines.hardware); set readout: false",
        )
    _check_width(circuit)
    return clbit_qubits(device.transpile(circuit), str(getattr(device, 'name', device)), circuit.name)


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """The probability vector nearest to ``v`` in Euclidean distance (exact; sort-based).

    A 2-D ``v`` is projected row by row.
    """
    v = np.asarray(v, dtype=float)
    rows = np.atleast_2d(v)
    u = -np.sort(-rows, axis=1)  # each row in decreasing order
    css = np.cumsum(u, axis=1) - 1.0
    j = np.arange(1, rows.shape[1] + 1)
    # rho: the last index where u - css / j > 0 (index 0 always qualifies: u0 - (u0 - 1) = 1)
    rho = rows.shape[1] - 1 - np.argmax((u - css / j > 0)[:, ::-1], axis=1)
    theta = css[np.arange(rows.shape[0]), rho] / (rho + 1)
    out = np.maximum(rows - theta[:, None], 0.0)
    return out.reshape(v.shape)


def correct(counts: Mapping[str, int], inverses: Sequence[np.ndarray]) -> dict[str, float]:
    """Readout-corrected distribution of ``counts`` (keys: qiskit order, clbit 0 rightmost)."""
    keys = list(counts)
    return correct_many(keys, np.array([[counts[k] for k in keys]]), inverses)[0]


def correct_many(keys: Sequence[str], draws: np.ndarray, inverses: Sequence[np.ndarray]) -> list[dict[str, float]]:
    """:func:`correct` of each row of a counts matrix over ``keys`` (as from ``resample_many``), batched.

    Each of ``inverses`` (clbit 0 first) is one 2x2 matrix for every row, or a ``(rows, 2, 2)``
    stack with one matrix per row (the bootstrap of a measured calibration).
    """
    names, probs = correct_matrix(keys, draws, inverses)
    out: list[dict[str, float]] = []
    for row in probs:
        kept = np.flatnonzero(row > 0).tolist()
        out.append(dict(zip(map(names.__getitem__, kept), row[kept].tolist())))
    return out


def correct_matrix(keys: Sequence[str], draws: np.ndarray,
                   inverses: Sequence[np.ndarray]) -> tuple[list[str], np.ndarray]:
    """:func:`correct_many` as one matrix: the outcomes some row gives a positive probability, and
    a ``(rows, outcomes)`` matrix of every row's corrected distribution over them (zeros elsewhere)."""
    n = len(inverses)
    draws = np.asarray(draws, dtype=float)
    rows = draws.shape[0]
    stacks = [np.broadcast_to(np.asarray(a, float), (rows, 2, 2)) for a in inverses]
    # One-hot scatter of keys onto the 2^n outcomes (a matrix product: repeated keys add up).
    scatter = np.zeros((len(keys), 2**n))
    scatter[np.arange(len(keys)), [int(k, 2) for k in keys]] = 1.0
    step = max(1, _BATCH_ENTRIES >> n)
    blocks: list[tuple[np.ndarray, np.ndarray]] = []  # per block of rows: its outcomes in use, their values
    for start in range(0, rows, step):
        block = draws[start:start + step]
        tensor = ((block / block.sum(axis=1, keepdims=True)) @ scatter).reshape((-1,) + (2,) * n)
        # axis k + 1 of the tensor is the k-th character of the key, i.e. clbit n-1-k (axis 0: the batch)
        for k in range(n):
            inv = stacks[n - 1 - k][start:start + step]
            moved = np.moveaxis(tensor, k + 1, -1)
            tensor = np.moveaxis(np.einsum("b...j,bij->b...i", moved, inv), -1, k + 1)
        probs = project_to_simplex(tensor.reshape(len(block), -1))
        used = np.flatnonzero((probs > 0).any(axis=0))
        blocks.append((used, probs[:, used]))
    outcomes = np.unique(np.concatenate([used for used, _ in blocks])) if blocks else np.zeros(0, dtype=int)
    out = np.zeros((rows, len(outcomes)))
    for b, (used, values) in enumerate(blocks):
        out[b * step:b * step + len(values), np.searchsorted(outcomes, used)] = values
    return [format(int(i), f"0{n}b") for i in outcomes], out


def _confusion(p10: np.ndarray | float, p01: np.ndarray | float) -> np.ndarray:
    """``A[measured, prepared]`` from P(1|0) and P(0|1); a stack for arrays of them."""
    p10, p01 = np.asarray(p10, float), np.asarray(p01, float)
    return np.stack([np.stack([1 - p10, p01], -1), np.stack([p10, 1 - p01], -1)], -2)


def _bit_frequencies(counts: Mapping[str, int], width: int) -> np.ndarray:
    """Per clbit (clbit 0 first), the fraction of shots that read 1."""
    total = sum(counts.values())
    ones = np.zeros(width)
    for key, c in counts.items():
        ones += c * np.array([key[width - 1 - j] == "1" for j in range(width)])
    return ones / total


def resampled_confusions(rows: int, ctx: Context) -> list[list[np.ndarray]]:
    """Per logical circuit and clbit, a ``(rows, 2, 2)`` stack of confusion matrices from ``rows``
    resampled calibrations: each measured qubit's error rates redrawn as binomials of the
    calibration shots (the tensored model's sufficient statistics). Shared by readout and M3."""
    zeros, ones = ctx.state["cal_counts"]
    qubits = ctx.state["qubits"]
    shots0, shots1 = sum(zeros.values()), sum(ones.values())
    p10 = _bit_frequencies(zeros, len(qubits))
    p01 = 1 - _bit_frequencies(ones, len(qubits))
    r10 = ctx.rng.binomial(shots0, np.clip(p10, 0, 1), size=(rows, len(qubits))) / shots0
    r01 = ctx.rng.binomial(shots1, np.clip(p01, 0, 1), size=(rows, len(qubits))) / shots1
    a = _confusion(r10, r01)  # (rows, qubits, 2, 2)
    index = {q: j for j, q in enumerate(qubits)}
    return [[a[:, index[q]] for q in m] for m in ctx.state["maps"]]


class Readout(Technique):
    """Readout correction by tensored confusion-matrix inversion (see the module docstring)."""

    name = "readout"
    field = "readout"
    level = "readout"

    def config(self, settings: "MitigationSettings") -> Any:
        from harness.suite.schema import ReadoutSettings

        value = settings.readout
        if value is True:
            return ReadoutSettings()
        return value or None

    def calibration_circuits(self, leaves: Sequence["QuantumCircuit"], settings: "MitigationSettings",
                             ctx: Context) -> tuple[list["QuantumCircuit"], int]:
        """Prepare-all-|0> and prepare-all-|1> on the measured physical qubits (none for ``model``)."""
        cfg = self.config(settings)
        device = ctx.device
        if cfg.confusion == "model":
            ctx.state["inverses"] = [inverse_matrices(device, c) for c in ctx.logical]
            ctx.info[self.name] = {"confusion": "model",
                                   "confusion_source": "calibration snapshot's readout model, as the simulator "
                                   "injects it (an idealisation: no calibration circuits)"}
            return [], ctx.shots
        from qiskit import QuantumCircuit

        maps = [measured_qubits(device, c) for c in ctx.logical]
        qubits = sorted({q for m in maps for q in m})
        width = device.transpile(ctx.logical[0]).num_qubits
        circuits = []
        for state in (0, 1):
            qc = QuantumCircuit(width, len(qubits), name=f"readout_cal_{state}")
            if state:
                qc.x(qubits)
            qc.measure(qubits, range(len(qubits)))
            circuits.append(qc)
        ctx.state["maps"], ctx.state["qubits"] = maps, qubits
        return circuits, int(cfg.shots or ctx.shots)

    def calibrate(self, cal_counts: Sequence[Mapping[str, int]], leaves: Sequence["QuantumCircuit"],
                  ctx: Context) -> None:
        """The measured confusion matrices, per qubit, from the calibration counts."""
        if "qubits" not in ctx.state:
            return
        qubits = ctx.state["qubits"]
        zeros, ones = cal_counts
        p10 = _bit_frequencies(zeros, len(qubits))
        p01 = 1 - _bit_frequencies(ones, len(qubits))
        ctx.state["cal_counts"] = (zeros, ones)
        index = {q: j for j, q in enumerate(qubits)}
        ctx.state["inverses"] = [[np.linalg.pinv(_confusion(p10[index[q]], p01[index[q]])) for q in m]
                                 for m in ctx.state["maps"]]
        ctx.info[self.name] = {
            "confusion": "measured",
            "confusion_source": "calibration circuits run on the device (all |0>, all |1>)",
            "calibration_shots": int(sum(zeros.values())),
            "physical_qubits": qubits,
            "p_meas1_prep0": [float(x) for x in p10],
            "p_meas0_prep1": [float(x) for x in p01],
            "calibration_counts": [dict(zeros), dict(ones)],
        }

    def _bootstrap_inverses(self, rows: int, ctx: Context) -> list[list[np.ndarray]]:
        """Per logical circuit and clbit, a ``(rows, 2, 2)`` stack of inverses from resampled calibrations."""
        cache = ctx.state.setdefault("boot", {})
        if rows not in cache:
            cache[rows] = [[np.linalg.pinv(a) for a in m] for m in resampled_confusions(rows, ctx)]
        return cache[rows]

    def _inverses(self, leaf: int, rows: int, ctx: Context) -> list[np.ndarray]:
        origin = ctx.origins[leaf] if ctx.origins else leaf
        if rows > 1 and "cal_counts" in ctx.state:
            return self._bootstrap_inverses(rows, ctx)[origin]
        return ctx.state["inverses"][origin]

    def correct_many(self, leaf: int, keys: Sequence[str], draws: np.ndarray, ctx: Context) -> list[dict[str, float]]:
        """Corrected distributions of executed circuit ``leaf``'s count rows."""
        draws = np.asarray(draws)
        return correct_many(keys, draws, self._inverses(leaf, draws.shape[0], ctx))

    def correct_matrix(self, leaf: int, keys: Sequence[str], draws: np.ndarray,
                       ctx: Context) -> tuple[list[str], np.ndarray]:
        """:meth:`correct_many` as one matrix (see :func:`correct_matrix`): the same distributions."""
        draws = np.asarray(draws)
        return correct_matrix(keys, draws, self._inverses(leaf, draws.shape[0], ctx))

    def cost(self, circuits: int, shots: int, settings: "MitigationSettings", base_shots: int) -> tuple[int, int]:
        cfg = self.config(settings)
        if cfg.confusion == "model":
            return circuits, shots
        per = int(cfg.shots or base_shots)
        return circuits + 2, shots + 2 * per

    def variance_amplification(self, settings: "MitigationSettings", ctx: Context | None = None) -> float | None:
        """prod_k ||A_k^-1||_1^2 over the first circuit's clbits: the bound on how the inversion
        multiplies a probability's variance (the gamma^2 of a quasi-probability map)."""
        if ctx is None or "inverses" not in ctx.state:
            return None
        gammas = [float(np.abs(inv).sum(axis=0).max()) for inv in ctx.state["inverses"][0]]
        return float(np.prod(np.square(gammas)))
