"""The ideal value a mitigation strategy is judged against: the workload's score of the exact,
noiseless output distribution of the very circuit(s) it mitigates.

The distribution is the statevector's (qiskit ``Statevector``), marginalised onto the measured
qubits in classical-bit order, so the score sees exactly what a perfect device would give; its
metrics are then exact (no shot noise). Circuits with mid-circuit measurements, resets or more
than :data:`MAX_QUBITS` qubits have no exact ideal here: the strategies are then compared on
their values and costs only, and the details say why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from harness.mitigation.base import Score, as_circuits, joint_score
from harness.mitigation.bootstrap import values_of

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["MAX_QUBITS", "errors", "exact_distribution", "ideal_values"]

MAX_QUBITS = 20
"""Widest circuit whose exact distribution is computed (a 2^20 statevector: 16 MB)."""


def exact_distribution(circuit: "QuantumCircuit") -> dict[str, float]:
    """The noiseless output distribution of ``circuit`` over its classical bits (qiskit key order).

    Raises:
        ValueError: a measurement before the end of the circuit, a reset, or too many qubits.
    """
    from qiskit.quantum_info import Statevector

    if circuit.num_qubits > MAX_QUBITS:
        raise ValueError(f"{circuit.num_qubits} qubits: the exact ideal is computed up to {MAX_QUBITS}")
    body = circuit.copy_empty_like()
    measured: dict[int, int] = {}  # clbit -> qubit
    for inst in circuit.data:
        name = inst.operation.name
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if name == "measure":
            measured[circuit.find_bit(inst.clbits[0]).index] = qubits[0]
        elif name == "barrier":
            continue
        elif name == "reset" or inst.clbits or set(qubits) & set(measured.values()):
            raise ValueError(f"{name} after a measurement or on classical bits: no exact ideal distribution")
        else:
            body.append(inst)
    if not measured:
        raise ValueError("the circuit measures nothing")
    body.remove_final_measurements(inplace=True)
    width = circuit.num_clbits
    order = [measured.get(c) for c in range(width)]
    qargs = [q for q in order if q is not None]
    probs = Statevector.from_instruction(body).probabilities_dict(qargs=qargs)
    out: dict[str, float] = {}
    for key, p in probs.items():
        if p < 1e-14:
            continue
        bits = iter(reversed(key))  # key's rightmost char is qargs[0]
        chars = ["0" if q is None else next(bits) for q in order]
        full = "".join(reversed(chars))
        out[full] = out.get(full, 0.0) + float(p)
    return out


def ideal_values(circuit: "QuantumCircuit | Sequence[QuantumCircuit]", score: Score,
                 shots: int) -> tuple[dict[str, float] | None, str]:
    """``(values, source)``: the score of the exact distribution(s), or ``(None, why not)``."""
    circuits, multi = as_circuits(circuit)
    try:
        dists = [exact_distribution(c) for c in circuits]
    except ValueError as exc:
        return None, f"no exact ideal: {exc}"
    values = values_of(joint_score(score, multi)(dists, int(shots)))
    return values, "the score of the final circuit's exact (statevector) distribution"


def errors(values: Mapping[str, float], stderr: Mapping[str, Any], ideal: Mapping[str, float],
           z: float = 1.959963984540054) -> dict[str, dict[str, Any]]:
    """Per metric with an ideal: the signed error, its absolute value and a 95 % interval of the error."""
    out: dict[str, dict[str, Any]] = {}
    for name, v in values.items():
        if name not in ideal:
            continue
        err = float(v) - float(ideal[name])
        se = stderr.get(name)
        out[name] = {"ideal": float(ideal[name]), "error": err, "abs_error": abs(err),
                     "interval": None if se is None else [err - z * float(se), err + z * float(se)]}
    return out
