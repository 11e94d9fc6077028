"""Probabilistic error cancellation with mitiq's representations, learned from the device's calibration.

Every gate of the transpiled circuit with a calibrated error ``r`` (average gate infidelity, what
the fake backend's noise model is built from) is taken as the ideal gate followed by local
depolarizing noise on each of its ``n`` qubits, at the per-qubit level ``p`` whose channel has that
infidelity: ``r = d (1 - (1 - p)^n) / (d + 1)`` with ``d = 2^n``. mitiq's
``represent_operation_with_local_depolarizing_noise`` writes the ideal gate as a quasi-probability
mix of the noisy gate followed by Paulis (coefficients ``eta``, norm ``gamma_k = sum |eta|``);
its coefficients depend only on ``p`` and ``n``, so they are computed once per level on a
canonical gate and the Paulis placed on the gate's own qubits.

Sampling is mitiq's (each represented gate draws a term with probability ``|eta| / gamma_k``, the
circuit's sign is the product of the terms' signs, ``gamma = prod gamma_k``), done on the
qiskit circuit directly; identical draws run as one circuit with their shots added (a batch
runs identical circuits with identical seeds, so separate copies would not average shot noise),
its shots rounded down to a power of two times the per-draw shots (few shot counts, few jobs).
The estimate is mitiq's ``combine_results``: ``gamma * mean(sign * value)``; its bootstrap redraws
the samples (a multinomial over the distinct circuits) as well as each circuit's shots, so the
standard error holds the sampling variance, which dominates when ``gamma`` is large. It is unbiased for a
metric linear in the output distribution (a probability, an expectation value) when the noise is
the represented one; the fake backend's noise also has thermal relaxation, and readout error is
not represented (stack ``readout`` under it). The number of draws is mitiq's rule,
``(gamma / precision)^2`` (it bounds the standard error by ``precision``); a circuit that needs more
than ``pec.samples`` draws or than the case's shots is refused with what it would need.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.base import GateCalibrated, supports
from harness.mitigation.base import Context, Technique, Variant

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["PEC", "depolarizing_level", "representation", "sample_circuits"]

_SKIP = frozenset({"measure", "barrier", "delay", "reset"})


def depolarizing_level(error: float, n_qubits: int) -> float:
    """mitiq's per-qubit depolarizing noise level whose local channel has average infidelity ``error``."""
    d = 2 ** n_qubits
    fidelity = 1.0 - (d + 1) / d * float(error)  # process fidelity
    if fidelity <= 0:
        raise ValueError(f"gate error {error} is beyond a depolarizing channel on {n_qubits} qubit(s)")
    return 1.0 - fidelity ** (1.0 / n_qubits)


@lru_cache(maxsize=256)
def representation(n_qubits: int, level: float) -> tuple[np.ndarray, tuple[tuple[tuple[int, str], ...], ...]]:
    """mitiq's local-depolarizing representation of an ``n_qubits`` gate at ``level``: the
    coefficients ``eta`` and, per term, the Paulis after the gate as ``(position, "x"|"y"|"z")``."""
    import cirq
    from mitiq.pec import represent_operation_with_local_depolarizing_noise

    qubits = cirq.LineQubit.range(n_qubits)
    gate = cirq.X(qubits[0]) if n_qubits == 1 else cirq.CNOT(*qubits) if n_qubits == 2 else None
    if gate is None:
        raise ValueError(f"PEC represents one- and two-qubit gates, not {n_qubits}-qubit ones")
    rep = represent_operation_with_local_depolarizing_noise(cirq.Circuit(gate), level)
    terms = []
    for noisy in rep.noisy_operations:
        ops = list(noisy.circuit.all_operations())[1:]  # the gate, then the term's Paulis
        terms.append(tuple((qubits.index(op.qubits[0]), str(op.gate).lower()) for op in ops))
    return np.asarray(rep.coeffs, dtype=float), tuple(terms)


def _represented(circuit: "QuantumCircuit", device: Any) -> list[tuple[int, tuple[int, ...], float]]:
    """``(instruction index, qubits, level)`` of every gate of ``circuit`` with a nonzero calibrated error."""
    out = []
    for index, inst in enumerate(circuit.data):
        name = inst.operation.name
        if name in _SKIP:
            continue
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        error = device.gate_error(name, qubits)
        if error:
            out.append((index, qubits, depolarizing_level(error, len(qubits))))
    return out


def sample_circuits(circuit: "QuantumCircuit", gates: Sequence[tuple[int, tuple[int, ...], float]], samples: int,
                    rng: np.random.Generator) -> tuple[list[tuple["QuantumCircuit", int, int]], float]:
    """``samples`` draws of mitiq's PEC sampling, grouped: ``[(circuit, sign, multiplicity)]`` and ``gamma``."""
    draws = np.zeros((samples, len(gates)), dtype=int)
    signs = np.ones(samples, dtype=int)
    gamma = 1.0
    reps = []
    for k, (_, qubits, level) in enumerate(gates):
        eta, terms = representation(len(qubits), round(level, 12))
        norm = float(np.abs(eta).sum())
        gamma *= norm
        draws[:, k] = rng.choice(len(eta), size=samples, p=np.abs(eta) / norm)
        signs *= np.sign(eta[draws[:, k]]).astype(int)
        reps.append(terms)
    groups: dict[tuple[int, ...], list[int]] = {}
    for row, sign in zip(map(tuple, draws), signs):
        groups.setdefault(row, [int(sign), 0])[1] += 1
    out = []
    for row, (sign, count) in groups.items():
        inserted = {gates[k][0]: [(gates[k][1][pos], pauli) for pos, pauli in reps[k][t]]
                    for k, t in enumerate(row) if reps[k][t]}
        out.append((_with_paulis(circuit, inserted) if inserted else circuit, sign, count))
    return out, gamma


def _with_paulis(circuit: "QuantumCircuit", inserted: Mapping[int, list[tuple[int, str]]]) -> "QuantumCircuit":
    """``circuit`` with the given Paulis right after the instructions at the given indices."""
    out = circuit.copy_empty_like()
    for index, inst in enumerate(circuit.data):
        out.append(inst)
        for qubit, pauli in inserted.get(index, ()):
            getattr(out, pauli)(qubit)
    return out


def _level(count: int) -> int:
    """The largest power of two up to ``count``: a merged draw's shots come in a few levels, so the
    distinct circuits run in a few jobs (one per shot count). Any split is unbiased, since each
    circuit's weight stays its share of the draws; only the variance moves, by under 2x on the rare
    draws, which carry little weight."""
    return 1 << (int(count).bit_length() - 1)


class PEC(Technique):
    """Probabilistic error cancellation (see the module docstring): the points are the distinct
    sampled circuits, combined as ``gamma * sum(weight * sign * value)``."""

    name = "pec"
    field = "pec"
    level = "estimate"
    batched = False  # its bootstrap redraws the sampled circuits in every resample's combine

    def expand(self, circuit: "QuantumCircuit", settings: "MitigationSettings", ctx: Context) -> list[Variant]:
        if len(ctx.logical) != 1:
            raise UnsupportedError("PEC mitigates single-circuit workloads here, not a list of circuits",
                                   hint="use readout or zne for a multi-circuit workload (VQE)")
        if not (ctx.physical and supports(ctx.device, GateCalibrated)):
            raise UnsupportedError(f"device {getattr(ctx.device, 'name', ctx.device)!r} has no calibrated gate errors "
                                   "to learn PEC representations from",
                                   hint="PEC needs a hardware device (baselines.hardware on a fake backend)")
        cfg = settings.pec
        gates = _represented(circuit, ctx.device)
        gamma = float(np.prod([np.abs(representation(len(q), round(lv, 12))[0]).sum() for _, q, lv in gates]))
        # mitiq's rule (execute_with_pec): (gamma / precision)^2 draws bound the standard error by precision
        n = max(1, math.ceil((gamma / cfg.precision) ** 2))
        if n > cfg.samples or n > ctx.shots:
            raise UnsupportedError(
                f"PEC is infeasible within this case's budget: its sampling overhead is gamma = {gamma:.4g} over "
                f"{len(gates)} represented gates, so pec.precision = {cfg.precision:g} needs (gamma / precision)^2 "
                f"= {n} sampled circuits, more than pec.samples = {cfg.samples} or the case's {ctx.shots} shots",
                hint=f"allow pec.samples >= {n} and give the case >= {n} shots, loosen pec.precision, or compare "
                     "PEC on shallower circuits (hardware.strategies)")
        sampled, gamma = sample_circuits(circuit, gates, n, ctx.rng)
        per = math.ceil(ctx.shots / n)
        ctx.state["pec"] = {"gamma": gamma, "weights": [sign * count / n for _, sign, count in sampled],
                            "counts": [count for _, _, count in sampled],
                            "shots": [per * _level(count) for _, _, count in sampled]}
        levels: dict[str, list[float]] = {}
        for index, _, level in gates:
            levels.setdefault(circuit.data[index].operation.name, []).append(level)
        ctx.info[self.name] = {
            "gamma": gamma, "samples": n, "max_samples": cfg.samples, "distinct_circuits": len(sampled),
            "negative_samples": int(sum(count for _, sign, count in sampled if sign < 0)),
            "represented_gates": len(gates), "shots_per_sample": per, "precision": cfg.precision,
            "stderr_bound": gamma / math.sqrt(n),
            "noise_model": "local depolarizing per gate, level from the calibrated gate error (average gate "
                           "infidelity); readout error not represented",
            "levels": {name: {"min": min(v), "max": max(v), "gates": len(v)} for name, v in sorted(levels.items())},
        }
        return [(c, 1.0) for c, _, _ in sampled]

    def point_shots(self, shots: int, settings: "MitigationSettings", ctx: Context) -> list[int]:
        return list(ctx.state["pec"]["shots"])

    def combine(self, values: Sequence[Mapping[str, float]], settings: "MitigationSettings",
                ctx: Context) -> dict[str, float]:
        state = ctx.state["pec"]
        w = np.asarray(state["weights"], dtype=float)
        if ctx.resampling:  # the bootstrap redraws the samples too: the circuit-sampling variance
            counts = np.asarray(state["counts"], dtype=float)
            drawn = ctx.rng.multinomial(int(counts.sum()), counts / counts.sum())
            w = np.sign(w) * drawn / counts.sum()
        return {name: float(state["gamma"] * np.dot(w, [v[name] for v in values])) for name in values[0]}

    def cost(self, circuits: int, shots: int, settings: "MitigationSettings", base_shots: int) -> tuple[int, int]:
        """An upper bound: ``samples`` distinct circuits (the draws are fewer, and identical ones merge),
        sharing the shots."""
        n = settings.pec.samples
        per = math.ceil(shots / max(circuits, 1) / n)
        return circuits * n, circuits * n * per

    def keeps_identity(self, settings: "MitigationSettings") -> bool:
        return False

    def variance_amplification(self, settings: "MitigationSettings", ctx: Context | None = None) -> float | None:
        """``gamma^2`` (the standard error grows by the overhead at equal total shots); known after sampling."""
        if ctx is None or "pec" not in ctx.state:
            return None
        return float(ctx.state["pec"]["gamma"] ** 2)
