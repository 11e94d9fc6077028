"""A second opinion from another SDK: run a circuit on cirq's simulator and compare it with Aer.

The circuit travels through OpenQASM 2: it is first rewritten (qiskit, optimisation level 0) into
gates that cirq's QASM importer maps one-to-one (``h x sx rx ry rz cx``), with barriers removed
(cirq's OpenQASM 2 parser refuses them). Measurement keys come back as ``<register>_<index>`` and
are put back into qiskit's bit order (classical bit 0 rightmost).

Noise, when asked for, is the same model on both sides: after every gate, each qubit it acts on
is depolarised with probability ``p`` (cirq's ``depolarize(p)``: X, Y or Z each with ``p/3``). In
Aer that is ``depolarizing_error(4p/3, 1)`` per qubit (qiskit's parameter is the weight of the
fully mixed state, whose Pauli part is 3/4 of it). cirq runs it on the density-matrix simulator:
trajectory sampling of the same circuit is about a thousand times slower.

Agreement is the G-test of homogeneity on the two count tables, the same one drift reports for
distributions (:func:`harness.homogeneity.g_test`: sparse bins merged, so its chi-square law holds).
The gateable number is the metric ``vendor_tvd`` (:data:`VENDOR_METRICS`): the total variation
distance between the two tables (the largest over a result's circuits), with the standard error
it has when both vendors sample one distribution (a parametric bootstrap from the pooled table).
Two correct simulators sit at that noise floor; a vendor that orders qubits differently or
translates a gate wrongly moves it by tenths, and the drift test judges it like any metric.

cirq is imported inside the functions. Example:
    >>> check = cross_check(ghz_circuit(3), aer_counts, shots=4000, seed=1)   # doctest: +SKIP
    >>> check["verdict"]                                                        # doctest: +SKIP
    'agree'
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from harness.errors import UnsupportedError
from harness.records import Metric

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["CIRQ_BASIS", "VENDOR_METRICS", "aer_noisy_counts", "cirq_counts", "cross_check", "cross_check_outcome",
           "to_cirq", "tvd", "vendor_metric"]

CIRQ_BASIS = ["h", "x", "sx", "rx", "ry", "rz", "cx"]
"""Gates exported to OpenQASM 2 that cirq's importer turns into exactly one operation each."""


VENDOR_METRICS = {"vendor_tvd": ("expectation", "total variation distance between Aer's and cirq's counts of the "
                                                "final circuit(s), the largest over circuits; its stderr is the "
                                                "shot-noise floor of two samples of one distribution")}
"""Metrics the cirq cross-check adds to the simulator result (name -> (kind, description))."""


def tvd(a: Mapping[str, int], b: Mapping[str, int], seed: int = 0, resamples: int = 200) -> tuple[float, float]:
    """Total variation distance of two count tables, and its spread when both sample their pooled distribution."""
    keys = sorted(set(a) | set(b))
    x = np.array([a.get(k, 0) for k in keys], dtype=float)
    y = np.array([b.get(k, 0) for k in keys], dtype=float)
    na, nb = int(x.sum()), int(y.sum())
    if na == 0 or nb == 0:
        raise UnsupportedError("cross-check: a count table is empty", hint="run the circuits with shots >= 1")
    value = 0.5 * float(np.abs(x / na - y / nb).sum())
    pooled = (x + y) / (na + nb)
    rng = np.random.default_rng(seed)
    null = 0.5 * np.abs(rng.multinomial(na, pooled, size=resamples) / na
                        - rng.multinomial(nb, pooled, size=resamples) / nb).sum(axis=1)
    return value, float(null.std(ddof=1))


def vendor_metric(entry: Mapping[str, Any]) -> dict[str, Metric]:
    """The ``vendor_tvd`` metric of a cross-check entry; empty if the check could not run (the metric is
    then missing, and drift says so: a check that cannot run is not a pass)."""
    if entry.get("verdict") == "error" or "tvd" not in entry:
        return {}
    kind, _ = VENDOR_METRICS["vendor_tvd"]
    return {"vendor_tvd": Metric(float(entry["tvd"]), kind, float(entry["tvd_stderr"]), int(entry["shots"]))}


def _portable(circuit: "QuantumCircuit") -> "QuantumCircuit":
    from qiskit import transpile
    from qiskit.transpiler.passes import RemoveBarriers

    if circuit.num_parameters:
        raise UnsupportedError(f"cross-check: circuit {circuit.name!r} has unbound parameters",
                               hint="bind the final parameters before the cross-check")
    return RemoveBarriers()(transpile(circuit, basis_gates=CIRQ_BASIS, optimization_level=0))


def to_cirq(circuit: "QuantumCircuit") -> Any:
    """The circuit as a ``cirq.Circuit``, through OpenQASM 2 (see the module docstring)."""
    from cirq.contrib.qasm_import import circuit_from_qasm
    from qiskit import qasm2

    return circuit_from_qasm(qasm2.dumps(_portable(circuit)))


def _noise_model(p: float) -> Any:
    import cirq

    class _AfterEachGate(cirq.NoiseModel):
        def noisy_operation(self, operation: Any) -> Any:
            if cirq.is_measurement(operation):
                return operation
            return [operation, cirq.depolarize(p).on_each(*operation.qubits)]

    return _AfterEachGate()


def cirq_counts(circuit: "QuantumCircuit", shots: int, seed: int, noise: float = 0.0) -> dict[str, int]:
    """Counts of ``circuit`` on cirq (state vector when ideal, density matrix with noise), qiskit bit order."""
    import cirq

    converted = to_cirq(circuit)
    if noise > 0:
        simulator = cirq.DensityMatrixSimulator(noise=_noise_model(noise), seed=int(seed))
    else:
        simulator = cirq.Simulator(seed=int(seed))
    result = simulator.run(converted, repetitions=int(shots))
    columns = []
    for clbit in circuit.clbits:
        registers = circuit.find_bit(clbit).registers
        key = f"{registers[0][0].name}_{registers[0][1]}" if registers else None
        data = result.measurements.get(key) if key else None
        columns.append(np.zeros(shots, dtype=int) if data is None else data[:, 0].astype(int))
    if not columns:
        return {"": int(shots)}
    # clbit k is bit k of an integer per shot; formatted with clbit 0 rightmost (qiskit's order)
    values = np.zeros(shots, dtype=object if len(columns) > 62 else np.int64)
    for k, column in enumerate(columns):
        values = values + (column.astype(values.dtype) << k)
    keys, counts = np.unique(values, return_counts=True)
    return {format(int(k), f"0{len(columns)}b"): int(c) for k, c in zip(keys, counts)}


def aer_noisy_counts(circuit: "QuantumCircuit", shots: int, seed: int, noise: float) -> dict[str, int]:
    """Counts of ``circuit`` on Aer with the same per-gate depolarising model as :func:`cirq_counts`."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    from harness.executors.aer import normalise_counts

    one = depolarizing_error(4 * noise / 3, 1)
    model = NoiseModel(basis_gates=CIRQ_BASIS)
    model.add_all_qubit_quantum_error(one, [g for g in CIRQ_BASIS if g != "cx"])
    model.add_all_qubit_quantum_error(one.tensor(one), ["cx"])
    sim = AerSimulator(noise_model=model, method="density_matrix")
    result = sim.run(_portable(circuit), shots=int(shots), seed_simulator=int(seed)).result()
    return normalise_counts(result.get_counts(0), circuit.num_clbits)


def cross_check(circuit: "QuantumCircuit", aer_counts: Mapping[str, int] | None, shots: int, seed: int,
                noise: float = 0.0, alpha: float = 1e-3) -> dict[str, Any]:
    """Compare Aer and cirq on ``circuit``: the ``cross_check`` lineage entry of a simulator result.

    Args:
        circuit: the final logical circuit, bound and measured into classical registers.
        aer_counts: the simulator tier's own (ideal) counts; with ``noise`` > 0 Aer is run again with
            the shared noise model and these are ignored.
        shots: shots on each side.
        seed: cirq's (and the noisy Aer run's) seed.
        noise: per-gate depolarising probability (0: ideal).
        alpha: p-value below which the simulators are said to disagree (small: one test per case,
            and a false alarm sends someone looking for a bug).

    Returns:
        ``{"engine": "cirq", "verdict": "agree" | "disagree", "test": "G", "p_value", "statistic", "dof",
        "cells" (bins after merging), "noise", "shots", "seconds", "aer_counts" (None when they are the
        given ones), "cirq_counts"}``. With fewer than two bins the tables cannot differ: p is 1.
    """
    import cirq

    from harness.homogeneity import g_test  # scipy.stats: imported when a check runs, not when a suite is planned

    start = time.perf_counter()
    reference = aer_counts
    if noise > 0 or not reference:
        reference = aer_noisy_counts(circuit, shots, seed, noise) if noise > 0 else _aer_ideal(circuit, shots, seed)
    other = cirq_counts(circuit, sum(reference.values()), seed, noise)
    g = g_test(reference, other)
    distance, floor = tvd(reference, other, seed=seed)
    test = ({"statistic": g.statistic, "dof": g.dof, "p_value": g.p_value, "cells": g.bins} if g is not None
            else {"statistic": 0.0, "dof": 0, "p_value": 1.0, "cells": len(set(reference) | set(other))})
    return {"engine": "cirq", "cirq": cirq.__version__, "via": "OpenQASM 2", "noise": noise, "alpha": alpha,
            "verdict": "agree" if test["p_value"] >= alpha else "disagree", "test": "G", **test,
            "tvd": distance, "tvd_stderr": floor,
            "shots": int(sum(reference.values())), "seconds": time.perf_counter() - start,
            # Aer's counts only when they are not the tier's own (already in Result.counts)
            "aer_counts": None if reference is aer_counts else reference, "cirq_counts": other}


def cross_check_outcome(outcome: Any, seed: int, *, noise: float = 0.0) -> dict[str, Any]:
    """Aer versus cirq on a hybrid loop's final circuit(s): the ``cross_check`` lineage entry (never raises).

    ``outcome`` is the workload's ``QuantumOutcome`` (one circuit and its counts, or ``circuits`` and
    ``counts_list``); circuit ``i`` is checked with seed ``seed + i`` at a Bonferroni share of the
    false-alarm rate, and the entry is the worst check, with ``verdict`` "disagree" if any disagrees.
    """
    circuits = list(getattr(outcome, "circuits", None) or [outcome.circuit])
    counts = list(getattr(outcome, "counts_list", None) or [outcome.counts])
    try:
        checks = [cross_check(c, n, sum(n.values()), seed + i, noise=noise,
                              alpha=1e-3 / len(circuits))  # Bonferroni over the circuits of one result
                  for i, (c, n) in enumerate(zip(circuits, counts))]
    except Exception as exc:  # a cross-check that cannot run is reported, the result stands
        return {"engine": "cirq", "verdict": "error", "error": f"{type(exc).__name__}: {exc}"}
    worst = min(checks, key=lambda c: c["p_value"])
    far = max(checks, key=lambda c: c["tvd"])
    worst = {**worst, "tvd": far["tvd"], "tvd_stderr": far["tvd_stderr"]}
    return {**worst, "circuits": len(checks), "verdict": "disagree" if any(c["verdict"] == "disagree"
                                                                          for c in checks) else "agree"}


def _aer_ideal(circuit: "QuantumCircuit", shots: int, seed: int) -> dict[str, int]:
    from harness.executors.aer import AerDevice

    return dict(AerDevice(seed_simulator=seed).sample(circuit, shots)[0])
