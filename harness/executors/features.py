"""SupermarQ's six circuit features of a transpiled circuit, for every result's lineage.

Tomesh et al., "SupermarQ: A Scalable Quantum Benchmark Suite" (HPCA 2022) characterise a circuit
by program communication, critical depth, entanglement ratio, parallelism, liveness and
measurement, each in [0, 1]. These are the package's definitions (``supermarq.features``'
``compute_*_with_qiskit``), written here on qiskit's DAG so that every result can carry them
without importing the package (its import pulls in the Superstaq clients: seconds per process);
``tests/executors/test_features.py`` checks them against the package's own values. They are taken
on the transpiled circuit restricted to the qubits it uses (a circuit laid out on a 127-qubit
device would otherwise count 120 idle wires).

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2, 2); _ = qc.h(0), qc.cx(0, 1), qc.measure([0, 1], [0, 1])
    >>> circuit_features(qc)["entanglement_ratio"]
    0.5
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["FEATURES", "active_subcircuit", "circuit_features"]

FEATURES = ("program_communication", "critical_depth", "entanglement_ratio", "parallelism", "liveness",
            "measurement")
"""The six features, in SupermarQ's order."""

_MAX_GATES = 20_000


def active_subcircuit(circuit: "QuantumCircuit") -> "QuantumCircuit":
    """``circuit`` on only the qubits some instruction touches (barriers and delays ignored)."""
    from qiskit import QuantumCircuit

    used = sorted({circuit.find_bit(q).index for inst in circuit.data for q in inst.qubits
                   if inst.operation.name not in ("barrier", "delay")})
    if len(used) == circuit.num_qubits:
        return circuit
    index = {q: i for i, q in enumerate(used)}
    out = QuantumCircuit(len(used), circuit.num_clbits, name=circuit.name)
    for inst in circuit.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        out.append(inst.operation, [index[circuit.find_bit(q).index] for q in inst.qubits],
                   [circuit.find_bit(c).index for c in inst.clbits])
    return out


def _dag(circuit: "QuantumCircuit") -> Any:
    from qiskit.converters import circuit_to_dag

    dag = circuit_to_dag(circuit)
    dag.remove_all_ops_named("barrier")
    return dag


def _program_communication(circuit: "QuantumCircuit", dag: Any) -> float:
    """Mean degree of the qubit interaction graph over that of the complete graph, ``n - 1``."""
    n = circuit.num_qubits
    edges = {frozenset(circuit.find_bit(q).index for q in node.qargs) for node in dag.two_qubit_ops()}
    return 2 * len(edges) / (n * (n - 1)) if n > 1 else 0.0


def _critical_depth(dag: Any) -> float:
    """Two-qubit gates on the longest path over all two-qubit gates."""
    two = dag.two_qubit_ops()
    if not two:
        return 0.0
    names = {node.name for node in two}
    on_path = sum(count for name, count in dag.count_ops_longest_path().items() if name in names)
    return on_path / len(two)


def _entanglement_ratio(dag: Any) -> float:
    """Two-qubit gates over all gates (measurements and barriers are not gates)."""
    gates = len(dag.gate_nodes())
    return len(dag.two_qubit_ops()) / gates if gates else 0.0


def _parallelism(circuit: "QuantumCircuit", dag: Any) -> float:
    """``max((gates / depth - 1) / (n - 1), 0)``."""
    depth = dag.depth()
    if circuit.num_qubits <= 1 or depth == 0:
        return 0.0
    return max((len(dag.gate_nodes()) / depth - 1) / (circuit.num_qubits - 1), 0.0)


def _liveness(circuit: "QuantumCircuit", dag: Any) -> float:
    """Active (qubit, layer) cells of the layered circuit over ``n x depth``."""
    depth = dag.depth()
    if depth == 0:
        return 0.0
    active = sum(len({q for op in layer["partition"] for q in op}) for layer in dag.layers())
    return active / (circuit.num_qubits * depth)


def _measurement(circuit: "QuantumCircuit") -> float:
    """Layers holding a mid-circuit reset, over the depth once final measurements are removed."""
    dag = _dag(circuit.remove_final_measurements(inplace=False))
    depth = dag.depth()
    if depth == 0:
        return 0.0
    layers = sum(1 for layer in dag.layers() if any(node.name == "reset" for node in layer["graph"].op_nodes()))
    return layers / depth


def circuit_features(circuit: "QuantumCircuit | None") -> dict[str, Any] | None:
    """The six features of ``circuit`` on the qubits it uses (rounded to 6 digits); None for None."""
    if circuit is None:
        return None
    if len(circuit.data) > _MAX_GATES:
        return {"unavailable": f"{len(circuit.data)} instructions: above {_MAX_GATES}, features are not computed"}
    small = active_subcircuit(circuit)
    dag = _dag(small)
    values = {
        "program_communication": _program_communication(small, dag),
        "critical_depth": _critical_depth(dag),
        "entanglement_ratio": _entanglement_ratio(dag),
        "parallelism": _parallelism(small, dag),
        "liveness": _liveness(small, dag),
        "measurement": _measurement(small),
    }
    return {"definitions": "SupermarQ (Tomesh et al. 2022), on the qubits used", "qubits": small.num_qubits,
            **{k: round(float(v), 6) for k, v in values.items()}}
