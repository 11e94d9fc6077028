"""Layer fidelity and EPLG of a chain of qubits: simultaneous direct RB on two disjoint layers.

Following McKay et al., "Benchmarking quantum processor performance at scale", arXiv:2311.05933,
with qiskit-experiments' ``LayerFidelity`` definitions. A chain ``0 - 1 - ... - n-1`` is split into
two layers of disjoint pairs, ``(0,1), (2,3), ...`` and ``(1,2), (3,4), ...``; in each layer the
qubits no pair uses are 1-qubit subsystems. A sequence of length ``m`` repeats ``m`` times: a
random 1-qubit Clifford on every qubit, a barrier, the two-qubit gate on every pair of the layer,
a barrier; then each subsystem's inverse Clifford, so the ideal outcome is ``0...0``. (The
random 1-qubit layers make each pair's gate a direct RB: no 2-qubit Cliffords inside.)

Each subsystem's probability of returning to its zeros decays as ``A alpha^m + B`` (fit as in
standard RB); its process fidelity is ``F = (1 + (d^2 - 1) alpha) / d^2`` with ``d = 2^k``. The
layer fidelity is the product of every subsystem's ``F`` over both layers, and the error per
layered gate ``EPLG = 1 - LF^(1 / n_2q)``, with ``n_2q = n - 1`` the chain's two-qubit gates.

For a two-qubit depolarising error ``lam`` after each gate (and nothing else) a pair's ``alpha`` is
exactly ``1 - lam``, so ``LF = (1 - 15 lam / 16)^(n - 1)`` and ``EPLG = 15 lam / 16`` (tested).

The circuits are our own (qiskit-experiments builds the same protocol, but importing it and
building 30 circuits costs about 6 s a process); the tests run qiskit-experiments' analysis on
its own circuits and ours on the same counts.

Example:
    >>> wl = LayerFidelity()
    >>> p = wl.build(LayerFidelity.Params(qubits=4, samples=1, shots=10), LayerFidelity.Options(lengths=[1, 2, 4]))
    >>> [[s.qubits for s in layer] for layer in p.layers], p.two_qubit_gates
    ([[(0, 1), (2, 3)], [(1, 2), (0,), (3,)]], 3)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np
from pydantic import Field, field_validator

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["LFProblem", "LayerFidelity", "Subsystem", "chain_layers", "fit_subsystem", "layer_fidelity"]


@dataclass(frozen=True)
class Subsystem:
    """One direct-RB subsystem of a layer: its qubits (1 or 2) and the classical bits reading them."""

    qubits: tuple[int, ...]
    clbits: tuple[int, ...]

    @property
    def mask(self) -> int:
        return sum(1 << c for c in self.clbits)


def chain_layers(n: int) -> tuple[tuple[Subsystem, ...], ...]:
    """The two layers of a chain of ``n`` qubits: pairs first, then the idle qubits (clbits in that order)."""
    layers = []
    for start in (0, 1):
        pairs = [(q, q + 1) for q in range(start, n - 1, 2)]
        used = {q for p in pairs for q in p}
        parts = pairs + [(q,) for q in range(n) if q not in used]
        clbit, subsystems = 0, []
        for part in parts:
            subsystems.append(Subsystem(part, tuple(range(clbit, clbit + len(part)))))
            clbit += len(part)
        layers.append(tuple(subsystems))
    return tuple(layers)


def layer_fidelity(fidelities: Sequence[float], stderrs: Sequence[float | None], two_qubit_gates: int
                   ) -> dict[str, float | None]:
    """LF (product of process fidelities), EPLG = 1 - LF^(1/n_2q), and their propagated stderrs."""
    lf = float(np.prod(fidelities))
    eplg = 1 - lf ** (1 / two_qubit_gates) if lf > 0 else 1.0
    if any(s is None or not math.isfinite(s) for s in stderrs) or lf <= 0:
        return {"lf": lf, "lf_stderr": None, "eplg": eplg, "eplg_stderr": None}
    lf_err = lf * math.sqrt(sum((s / f) ** 2 for f, s in zip(fidelities, stderrs)))
    return {"lf": lf, "lf_stderr": lf_err, "eplg": eplg,
            "eplg_stderr": lf ** (1 / two_qubit_gates) / two_qubit_gates * lf_err / lf}


def _profile_fit(x: np.ndarray, y: np.ndarray, b: float | None) -> dict[str, float | None] | None:
    """Least squares of ``A alpha^m + B`` (``B`` fixed when given): ``A`` and ``B`` are linear for a
    given ``alpha``, so ``alpha`` is searched alone (a grid dense near 1, then Brent's method).

    The minimum is the one scipy's ``curve_fit`` finds from a good start, in a few milliseconds
    (mitigation's bootstrap refits every resample). None when ``A`` or ``B`` leave [0, 1].
    """
    from scipy.optimize import minimize_scalar

    def solve(alpha: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Closed-form ``A``, ``B`` and the residual sum of squares for each ``alpha`` (vectorised)."""
        u = np.power.outer(np.atleast_1d(np.asarray(alpha, dtype=float)), x)  # rows: alphas
        if b is None:
            um, ym = u.mean(axis=1, keepdims=True), y.mean()
            var = ((u - um) ** 2).sum(axis=1)
            a = np.where(var > 0, ((u - um) * (y - ym)).sum(axis=1) / np.where(var > 0, var, 1), 0.0)
            b_fit = ym - a * um[:, 0]
        else:
            norm = (u * u).sum(axis=1)
            a = np.where(norm > 0, (u * (y - b)).sum(axis=1) / np.where(norm > 0, norm, 1), 0.0)
            b_fit = np.full_like(a, b)
        resid = y - a[:, None] * u - b_fit[:, None]
        return a, b_fit, (resid * resid).sum(axis=1)

    grid = np.concatenate([[1.0], 1 - np.logspace(-7, -0.01, 60)])  # from 1 down to 0.02
    losses = solve(grid)[2]
    i = int(np.argmin(losses))
    lo, hi = grid[min(i + 1, len(grid) - 1)], grid[max(i - 1, 0)]
    candidates = [float(grid[i])]
    if hi > lo:  # Brent never tries the ends of its bracket: the grid point stays a candidate
        candidates.append(float(minimize_scalar(lambda a: float(solve(a)[2][0]), bounds=(lo, hi),
                                                method="bounded", options={"xatol": 1e-12}).x))
    alpha = min(candidates, key=lambda a: float(solve(a)[2][0]))
    a, b_fit, rss = (float(v[0]) for v in solve(alpha))
    if not (-1e-9 <= a <= 1 + 1e-9 and -1e-9 <= b_fit <= 1 + 1e-9):
        return None
    columns = [alpha**x] + ([np.ones_like(x)] if b is None else []) + [a * x * alpha ** (x - 1)]
    jac = np.column_stack(columns)
    dof = len(x) - jac.shape[1]
    err = None
    if dof > 0:
        try:
            cov = rss / dof * np.linalg.inv(jac.T @ jac)
            err = float(math.sqrt(cov[-1, -1])) if np.isfinite(cov[-1, -1]) and cov[-1, -1] >= 0 else None
        except np.linalg.LinAlgError:
            err = None
    return {"alpha": alpha, "alpha_stderr": err, "A": float(a), "B": float(b_fit)}


def fit_subsystem(lengths: Sequence[int], survival: Sequence[float], d: int) -> dict[str, object]:
    """Fit ``A alpha^m + B`` to one subsystem's mean survival per length (qiskit-experiments' model).

    ``A``, ``alpha`` and ``B`` in [0, 1], unweighted least squares, stderr from the fit's
    covariance. Where the lengths do not resolve the decay (the survival falls less than a third of
    the way from its first value to ``1/d``: an idle qubit whose survival barely moves; or
    ``1 - alpha`` is below its own standard error), a slow decay and an asymptote near the data fit
    equally well and a free fit lands on either; so ``B`` is fixed at ``1/d``, the depolarising
    asymptote (``asymptote`` says which). Returns ``alpha``, ``alpha_stderr`` (None if unknown),
    ``A``, ``B`` and ``asymptote``.
    """
    x = np.asarray(lengths, dtype=float)
    y = np.asarray(survival, dtype=float)
    b0 = 1 / d
    if y[0] - y[-1] >= (y[0] - b0) / 3:
        fit = _profile_fit(x, y, None)
        if fit is not None and fit["alpha_stderr"] is not None and fit["alpha_stderr"] <= 1 - fit["alpha"]:
            return {**fit, "asymptote": "fitted"}
    fit = _profile_fit(x, y, b0)
    if fit is None:  # survival above 1/d nowhere: no decay to fit, and no stderr to claim
        return {"alpha": 0.0, "alpha_stderr": None, "A": 0.0, "B": b0, "asymptote": "1/d"}
    return {**fit, "asymptote": "1/d"}


@lru_cache(maxsize=None)
def _one_qubit_cliffords() -> tuple[tuple[str, ...], ...]:
    """The 24 single-qubit Cliffords as words in ``h`` and ``s`` (breadth first: each is a shortest word)."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Clifford

    def key(word: tuple[str, ...]) -> bytes:
        qc = QuantumCircuit(1)
        for g in word:
            getattr(qc, g)(0)
        return Clifford(qc).tableau.tobytes()

    words: dict[bytes, tuple[str, ...]] = {key(()): ()}
    frontier: list[tuple[str, ...]] = [()]
    while frontier:
        nxt = []
        for w in frontier:
            for g in ("h", "s"):
                k = key(w + (g,))
                if k not in words:
                    words[k] = w + (g,)
                    nxt.append(w + (g,))
        frontier = nxt
    assert len(words) == 24
    return tuple(words.values())


@dataclass(frozen=True)
class LFProblem:
    """One layer-fidelity case: its circuits with their (layer, length), and the chain's layers."""

    qubits: int
    lengths: tuple[int, ...]
    layers: tuple[tuple[Subsystem, ...], ...]
    circuit_layers: tuple[int, ...]
    circuit_lengths: tuple[int, ...]
    circuits: tuple["QuantumCircuit", ...]
    shots: int

    @property
    def two_qubit_gates(self) -> int:
        return sum(1 for layer in self.layers for s in layer if len(s.qubits) == 2)


class LayerFidelity(Workload):
    """Layer fidelity and EPLG of a chain (see the module docstring)."""

    name = "layer_fidelity"
    description = "Layer fidelity and error per layered gate of a chain (McKay et al. 2023): direct RB on two layers"
    multi_circuit = True
    metrics = {
        "layer_fidelity": MetricInfo("expectation", "product of every subsystem's process fidelity over both "
                                     "layers; stderr propagated from the fits"),
        "eplg": MetricInfo("expectation", "error per layered gate 1 - LF^(1/n_2q)"),
        "worst_process_fidelity": MetricInfo("expectation", "the lowest process fidelity of a pair in the chain"),
    }
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        qubits: int = Field(4, ge=2, le=127, description="qubits of the chain")
        samples: int = Field(3, ge=1, le=100, description="random sequences per length and layer")
        circuit_seed: int = Field(0, ge=0, description="which set of random sequences")
        shots: int = Field(ge=1, description="shots per sequence")

    class Options(WorkloadParams):
        lengths: list[int] = Field(default_factory=lambda: [1, 8, 16, 32, 64])
        """Sequence lengths m (layers before the inverse)."""
        two_qubit_gate: Literal["cx", "cz", "ecr"] = "cx"
        """The gate of every pair (transpiled into the device's own two-qubit gate where it differs)."""

        @field_validator("lengths")
        @classmethod
        def _lengths(cls, v: list[int]) -> list[int]:
            if len(v) < 3 or any(m < 1 for m in v) or len(set(v)) != len(v):
                raise ValueError("give at least three distinct lengths, each at least 1")
            return sorted(v)

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        return params.qubits

    def build(self, params: WorkloadParams, options: WorkloadParams) -> LFProblem:
        from qiskit import QuantumCircuit
        from qiskit.circuit.library import get_standard_gate_name_mapping
        from qiskit.quantum_info import Clifford

        n = params.qubits
        gate = get_standard_gate_name_mapping()[options.two_qubit_gate]
        words = _one_qubit_cliffords()  # appended as h and s gates: custom gate names slow Aer's transpile
        layers = chain_layers(n)
        rng = np.random.default_rng([n, params.samples, params.circuit_seed])
        circuits, c_layers, c_lengths = [], [], []
        for s in range(params.samples):
            for li, layer in enumerate(layers):
                for m in options.lengths:
                    qc = QuantumCircuit(n, n, name=f"lf{n}_l{li}_m{m}_{s}")
                    # each subsystem's own copy of its gates: its Clifford, inverted at the end
                    parts = [QuantumCircuit(len(sub.qubits)) for sub in layer]
                    for _ in range(m):
                        draws = rng.integers(24, size=n)
                        for sub, part in zip(layer, parts):
                            for local, q in enumerate(sub.qubits):
                                for g in words[draws[q]]:
                                    getattr(qc, g)(q)
                                    getattr(part, g)(local)
                        qc.barrier()
                        for sub, part in zip(layer, parts):
                            if len(sub.qubits) == 2:
                                qc.append(gate, list(sub.qubits))
                                part.append(gate, [0, 1])
                        qc.barrier()
                    for sub, part in zip(layer, parts):
                        qc.append(Clifford(part).adjoint().to_instruction(), list(sub.qubits))
                    qc.barrier()
                    for sub in layer:
                        qc.measure(list(sub.qubits), list(sub.clbits))
                    circuits.append(qc)
                    c_layers.append(li)
                    c_lengths.append(m)
        return LFProblem(qubits=n, lengths=tuple(options.lengths), layers=layers, circuit_layers=tuple(c_layers),
                         circuit_lengths=tuple(c_lengths), circuits=tuple(circuits), shots=params.shots)

    def classical(self, problem: LFProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """The ideal answer: every sequence returns to 0...0 (checked by composing its Cliffords, timed)."""
        from qiskit.quantum_info import Clifford

        if any(s not in self.solvers for s in (settings.solvers or ())):
            raise UnsupportedError(f"workload layer_fidelity: unknown classical solver(s) {list(settings.solvers)}",
                                   hint="use [exact]")
        start = time.perf_counter()
        for circuit in problem.circuits:
            body = circuit.remove_final_measurements(inplace=False)
            if Clifford(body) != Clifford(body.copy_empty_like()):
                raise UnsupportedError(f"layer_fidelity: sequence {circuit.name} does not invert",
                                       hint="report this as a bug")
        seconds = time.perf_counter() - start
        k = len(problem.circuits)
        metrics = {"layer_fidelity": Metric(1.0, "scalar", 0.0, k), "eplg": Metric(0.0, "scalar", 0.0, k),
                   "worst_process_fidelity": Metric(1.0, "scalar", 0.0, k)}
        return ClassicalOutcome(metrics=metrics, info={"solver": "exact", "method": "Clifford tableau composition",
                                                       "seconds": {"exact": seconds},
                                                       "two_qubit_gates": problem.two_qubit_gates})

    def quantum(self, problem: LFProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        counts = tuple(dict(c) for c in device.sample_batch(list(problem.circuits), problem.shots))
        layers = [[list(s.qubits) for s in layer] for layer in problem.layers]
        return QuantumOutcome(circuit=problem.circuits[0], counts=counts[0], shots=problem.shots,
                              circuits=problem.circuits, counts_list=counts,
                              info={"lengths": list(problem.lengths), "sequences": len(problem.circuits),
                                    "layers": layers, "two_qubit_gates": problem.two_qubit_gates})

    def survival(self, problem: LFProblem, probs: Sequence[Mapping[str, float]]) -> dict[tuple[int, int], list[float]]:
        """Mean probability that each subsystem returns to its zeros, per length: ``{(layer, index): [...]}``."""
        if isinstance(probs, Mapping) or len(probs) != len(problem.circuits):
            raise UnsupportedError(f"layer_fidelity scores one distribution per sequence ({len(problem.circuits)})",
                                   hint="pass the list of distributions")
        sums = {(li, k): {m: [] for m in problem.lengths}
                for li, layer in enumerate(problem.layers) for k in range(len(layer))}
        for li, m, dist in zip(problem.circuit_layers, problem.circuit_lengths, probs):
            keys = np.array([int(str(key).replace(" ", ""), 2) for key in dist], dtype=np.int64)
            p = np.clip(np.array([float(v) for v in dist.values()]), 0.0, None)
            total = p.sum()
            for k, sub in enumerate(problem.layers[li]):
                zero = p[(keys & sub.mask) == 0].sum()
                sums[(li, k)][m].append(float(zero / total) if total > 0 else 0.0)
        return {key: [float(np.mean(per[m])) for m in problem.lengths] for key, per in sums.items()}

    def fits(self, problem: LFProblem, probs: Sequence[Mapping[str, float]]) -> list[dict[str, object]]:
        """Per subsystem: its layer, qubits, fitted ``alpha`` and process fidelity with their stderrs."""
        out = []
        for (li, k), survival in self.survival(problem, probs).items():
            sub = problem.layers[li][k]
            d = 2 ** len(sub.qubits)
            fit = fit_subsystem(problem.lengths, survival, d)
            scale = (d * d - 1) / (d * d)
            err = fit["alpha_stderr"]
            out.append({"layer": li, "qubits": sub.qubits, "alpha": fit["alpha"], "alpha_stderr": err,
                        "asymptote": fit["asymptote"], "fidelity": 1 - scale * (1 - fit["alpha"]),
                        "fidelity_stderr": None if err is None else scale * err})
        return out

    def score(self, problem: LFProblem, probs: Sequence[Mapping[str, float]], shots: int) -> dict[str, Metric]:
        fits = self.fits(problem, probs)
        lf = layer_fidelity([f["fidelity"] for f in fits], [f["fidelity_stderr"] for f in fits],
                            problem.two_qubit_gates)
        worst = min((f for f in fits if len(f["qubits"]) == 2), key=lambda f: f["fidelity"])
        n = len(problem.circuits) * shots
        return {
            "layer_fidelity": Metric(lf["lf"], "expectation", lf["lf_stderr"], n),
            "eplg": Metric(lf["eplg"], "expectation", lf["eplg_stderr"], n),
            "worst_process_fidelity": Metric(worst["fidelity"], "expectation", worst["fidelity_stderr"], n),
        }
