"""A Google processor as a hardware tier: cirq-google's shipped calibration on cirq's simulator.

``hardware: {backend: google:rainbow}`` (the ``google:`` prefix of :data:`harness.kinds.PROVIDERS`)
runs the hardware tier on :class:`GoogleDevice`, entirely offline, from the data cirq-google
ships with the package (cirq-google, a core dependency):

- the device: ``create_device_from_processor_id(name)``, its qubit grid and coupler graph;
- the noise: ``load_device_noise_properties(name)`` (the processor's median calibration, its
  gate times and, where shipped, Z phases) as ``cirq_google.NoiseModelFromGoogleNoiseProperties``:
  each moment decays every simulated qubit (idle ones too) by its T1/Tphi over the moment's longest
  gate, each gate adds its calibrated Pauli error beyond that decay, each measurement is preceded
  by the calibrated asymmetric readout error;
- compilation: the logical circuit goes qiskit -> OpenQASM 2 -> cirq
  (:func:`harness.executors.cirq_device.to_cirq`), is routed onto the coupler graph by
  ``cirq.RouteCQC`` (deterministic: no seed) and compiled to the device's two-qubit gate
  (``cirq.SqrtIswapTargetGateset`` where the device takes sqrt-iSWAP, else ``CZTargetGateset``),
  then validated against the device; terminal measurements are put in one final moment (a
  measurement moment lasts 4 us in the noise model: a qubit still computing beside it would decay);
- simulation: ``cirq.DensityMatrixSimulator(noise=..., seed=...)`` on the qubits the compiled
  circuit uses, at most :data:`MAX_QUBITS`; one seed per job from ``(seed_simulator, job)``.

For the mitigation pipeline the compiled circuit is also given as a qiskit circuit on all the
device's qubits (index ``i`` = the ``i``-th grid qubit in sorted order, each operation a unitary
labelled with its cirq gate): readout calibration circuits built on it run through the same
noise (:class:`~harness.executors.base.PhysicalCircuits`), and the calibration's readout errors
give :meth:`GoogleDevice.confusion_matrices`. Circuits already compiled run as compiled; others
(calibration circuits) are compiled without routing, on the qubits they name.

cirq and cirq-google are imported inside the methods.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import threading
import warnings
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.aer import check_parameter_sets, circuit_key, circuit_sha256, two_qubit_gate_count
from harness.executors.base import Counts, Resources, StageClock, clbit_qubits
from harness.executors.calibration import confusion_matrix
from harness.kinds import GOOGLE_PREFIX, backend_name

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["GOOGLE_APPROXIMATION", "MAX_QUBITS", "GoogleDevice", "google_processors"]

MAX_QUBITS = 10
"""Most qubits a compiled circuit may touch on :class:`GoogleDevice` (a density matrix of 4^10 entries)."""

GOOGLE_APPROXIMATION = (
    "cirq density-matrix simulation of the qubits the routed circuit uses, with cirq-google's "
    "NoiseModelFromGoogleNoiseProperties from the processor's shipped median calibration: each moment "
    "decays every simulated qubit by its T1/Tphi over the moment's longest gate (cirq-google's default gate times), "
    "each gate adds its calibrated Pauli error beyond that decay, each measurement its calibrated asymmetric "
    "readout error; terminal measurements synchronised into one final moment; "
    "crosstalk, leakage and coherent (unitary) errors not modelled"
)
"""The approximation a :class:`GoogleDevice` result rests on (recorded in its lineage)."""

_LOCK = threading.Lock()
_SKIP = {"barrier", "delay", "id"}


def _import_cirq_google(processor: str = "<processor>") -> Any:
    try:
        with warnings.catch_warnings():  # google.api_core warns about the Python version on import
            warnings.simplefilter("ignore", FutureWarning)
            import cirq_google
    except ImportError:
        raise UnsupportedError(f"backend {GOOGLE_PREFIX}{processor} needs cirq-google, which is not installed",
                               hint='pip install "cirq-google==1.6.1" (beside mitiq\'s cirq-core 1.6)'
                               ) from None
    return cirq_google


def google_processors() -> list[str]:
    """The processors whose median calibration cirq-google ships (``rainbow``, ``weber``, ...), sorted.

    Read from the package's ``devices/calibrations/<processor>_[<version>-]<yyyy>_<mm>_<dd>_calibration.json``
    files without importing it (planning a suite imports no SDK; a test checks the list against
    ``virtual_engine_factory.MEDIAN_CALIBRATIONS``).

    Raises:
        UnsupportedError: cirq-google is not installed.
    """
    import importlib.util
    import re
    from pathlib import Path

    spec = importlib.util.find_spec("cirq_google")  # a top-level spec: nothing is imported
    if spec is None:
        _import_cirq_google()  # raises the error with the fix
    pattern = re.compile(r"^(?P<name>[a-z0-9_]+?)_(?:[a-z0-9]+-)?\d{4}_\d{2}_\d{2}_calibration\.json$")
    names = {m.group("name") for loc in (spec.submodule_search_locations or []) if spec is not None
             for f in (Path(loc) / "devices" / "calibrations").glob("*_calibration.json")
             if (m := pattern.match(f.name))}
    return sorted(names)


@functools.lru_cache(maxsize=None)
def _processor(name: str) -> dict[str, Any]:
    """Device, noise properties, noise model, gate set and calibration facts of processor ``name`` (once)."""
    import cirq

    cirq_google = _import_cirq_google(name)
    from cirq_google.engine import virtual_engine_factory as factory

    known = sorted(factory.MEDIAN_CALIBRATIONS)
    if name not in known:
        import difflib

        close = difflib.get_close_matches(name, known, n=3) or known
        raise UnsupportedError(f"unknown Google processor {name!r}: cirq-google ships calibrations for "
                               f"{', '.join(known)}", hint=f"use {GOOGLE_PREFIX}{close[0]}")
    device = factory.create_device_from_processor_id(name)
    properties = factory.load_device_noise_properties(name)
    gateset = device.metadata.gateset
    if cirq.SQRT_ISWAP in gateset:
        target, two_qubit = cirq.SqrtIswapTargetGateset(), "sqrt_iswap"
    else:
        target, two_qubit = cirq.CZTargetGateset(), "cz"
    from importlib import resources

    cal_file = factory.MEDIAN_CALIBRATIONS[name]
    raw = resources.files("cirq_google").joinpath("devices", "calibrations", cal_file).read_bytes()
    stamp_ms = int(factory.MEDIAN_CALIBRATION_TIMESTAMPS[name])
    return {
        "device": device, "properties": properties, "target": target, "two_qubit": two_qubit,
        "noise": cirq_google.NoiseModelFromGoogleNoiseProperties(properties),
        "qubits": sorted(device.metadata.qubit_set), "graph": device.metadata.nx_graph,
        "calibration_file": cal_file, "calibration_sha256": hashlib.sha256(raw).hexdigest(),
        "calibration_date": datetime.datetime.fromtimestamp(stamp_ms / 1000, datetime.timezone.utc).isoformat(),
        "cirq_google": cirq_google.__version__,
    }


class GoogleDevice:
    """A Google processor from cirq-google's shipped calibration, simulated by cirq (see the module docstring).

    Args:
        backend: ``google:<processor>`` (``google:rainbow``).
        optimization_level: recorded only (cirq's routing and gate-set compilation have no levels).
        seed_transpiler: recorded only (``cirq.RouteCQC`` is deterministic).
        seed_simulator: root shot seed; job ``k`` uses a seed derived from ``(seed_simulator, k)``.
        noise: False switches the noise model off (the ideal device, for tests of the compilation).
    """

    simulated = True

    def __init__(self, backend: str, optimization_level: int = 1, seed_transpiler: int = 0,
                 seed_simulator: int = 0, *, noise: bool = True):
        self.name = backend
        self.processor = backend_name(backend)
        self.optimization_level = int(optimization_level)
        self.seed_transpiler = int(seed_transpiler)
        self.seed_simulator = int(seed_simulator)
        self.noisy = bool(noise)
        self.clock = StageClock()
        self.resources = Resources()
        self._p = _processor(self.processor)
        self._index = {q: i for i, q in enumerate(self._p["qubits"])}
        self._compiled: dict[str, tuple[Any, list[tuple[int, int, str]]]] = {}  # physical -> (cirq, measurements)
        self._cache: dict[str, "QuantumCircuit"] = {}  # logical key -> physical qiskit circuit
        self._jobs = 0
        self._last: "QuantumCircuit | None" = None
        self._routing: dict[str, Any] = {}
        self._native: dict[bytes, Any] = {}  # a compiled gate's matrix (and its inverse's) -> the cirq gate

    # -- compilation ---------------------------------------------------------------------
    def transpile(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        """The circuit routed onto the device and compiled to its gate set, as a qiskit circuit on
        all the device's qubits (cached per circuit structure)."""
        key = circuit_key(circuit)
        if key not in self._cache:
            import cirq

            from harness.executors.cirq_device import to_cirq

            with self.clock.stage("transpile"):
                self._check_width(circuit.num_qubits, circuit.name)
                logical = to_cirq(circuit)
                routed, initial, _ = cirq.RouteCQC(self._p["graph"]).route_circuit(logical)
                self._routing = {"router": "cirq.RouteCQC", "initial_mapping": {str(k): str(v) for k, v in
                                                                              sorted(initial.items())}}
                keys = _clbit_keys(circuit)
                self._cache[key] = self._compile(routed, keys, circuit)
        return self._cache[key]

    def translate_physical(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        """A physical circuit on the device's qubits, compiled to its gate set without routing
        (a circuit :meth:`transpile` returned is kept as compiled)."""
        key = circuit_key(circuit)
        if key in self._compiled:
            return circuit
        if circuit.num_qubits != len(self._p["qubits"]):
            raise UnsupportedError(f"{self.name}: a physical circuit must span all {len(self._p['qubits'])} qubits, "
                                   f"got {circuit.num_qubits}", hint="pass circuits derived from transpile()")
        cache_key = "phys:" + key
        if cache_key not in self._cache:
            with self.clock.stage("transpile"):
                self._cache[cache_key] = self._compile(self._gate_by_gate(circuit), None, circuit, merge=False)
        return self._cache[cache_key]

    def _check_width(self, width: int, name: str) -> None:
        if width > MAX_QUBITS:
            raise UnsupportedError(f"{self.name}: circuit {name!r} uses {width} qubits; the Google device is a "
                                   f"density-matrix simulation of at most {MAX_QUBITS}",
                                   hint=f"make the case narrower (at most {MAX_QUBITS} qubits), or run it on an IBM "
                                        "fake backend with simulation: stabilizer (Clifford circuits)")

    def _gate_by_gate(self, circuit: "QuantumCircuit") -> Any:
        """A physical qiskit circuit as cirq operations on the grid qubits (measurement keys ``c_<clbit>``)."""
        import cirq
        from qiskit.quantum_info import Operator

        qubits = self._p["qubits"]
        ops = []
        for inst in circuit.data:
            op = inst.operation
            if op.name in _SKIP:
                continue
            where = [qubits[circuit.find_bit(q).index] for q in inst.qubits]
            if op.name == "measure":
                ops.append(cirq.measure(where[0], key=f"c_{circuit.find_bit(inst.clbits[0]).index}"))
                continue
            if inst.clbits or op.name == "reset":
                raise UnsupportedError(f"{op.name}: the Google device runs unitary gates and final measurements",
                                       hint="use an IBM fake backend for mid-circuit measurement or reset")
            if len(where) == 2 and where[1] not in self._p["graph"][where[0]]:
                raise UnsupportedError(f"{self.name}: {op.name} on {where[0]}, {where[1]}, which no coupler joins",
                                       hint="pass circuits derived from transpile()")
            matrix = np.asarray(Operator(op).data, dtype=complex)
            native = self._native.get(_matrix_key(matrix))
            if native is not None:  # a gate this device compiled (or its inverse): run it as that gate
                ops.append(native.on(*reversed(where)))
                continue
            # any other gate is compiled on its own, so a fold U U^-1 U is not merged back into U
            single = cirq.Circuit(cirq.MatrixGate(matrix).on(*reversed(where)))
            ops.extend(cirq.optimize_for_target_gateset(single, gateset=self._p["target"]).all_operations())
        return cirq.Circuit(ops)

    def _compile(self, routed: Any, keys: dict[str, int] | None, source: "QuantumCircuit",
                 merge: bool = True) -> "QuantumCircuit":
        """``routed`` in the device's gate set (optimised as a whole with ``merge``, else taken as it
        is: already native), validated; stored, and returned as a physical qiskit circuit."""
        import cirq
        from qiskit import QuantumCircuit
        from qiskit.circuit.library import UnitaryGate

        compiled = cirq.optimize_for_target_gateset(routed, gateset=self._p["target"]) if merge else routed
        # terminal measurements in one final moment: a measurement moment lasts 4 us in the noise model,
        # and a qubit still computing beside an early measurement would decay through it
        compiled = cirq.drop_empty_moments(cirq.synchronize_terminal_measurements(compiled))
        self._check_width(len(compiled.all_qubits()), source.name)
        self._p["device"].validate_circuit(compiled)
        qc = QuantumCircuit(len(self._p["qubits"]), source.num_clbits, name=source.name)
        measurements: list[tuple[int, int, str]] = []  # (physical qubit, clbit, cirq key)
        for op in compiled.all_operations():
            where = [self._index[q] for q in op.qubits]
            if cirq.is_measurement(op):
                key = cirq.measurement_key_name(op)
                clbit = keys.get(key) if keys is not None else int(key.removeprefix("c_"))
                if clbit is None or len(where) != 1:
                    raise UnsupportedError(f"{self.name}: measurement {key!r} of {source.name!r} is not one "
                                           "qubit into one classical bit", hint="measure qubit i into clbit i")
                measurements.append((where[0], clbit, key))
                qc.measure(where[0], clbit)
                continue
            matrix = cirq.unitary(op)
            self._native[_matrix_key(matrix)] = op.gate
            self._native.setdefault(_matrix_key(matrix.conj().T), cirq.inverse(op.gate))
            gate = UnitaryGate(matrix, label=str(op.gate))
            qc.append(gate, list(reversed(where)))  # cirq's matrices are big-endian, qiskit's little-endian
        self._compiled[circuit_key(qc)] = (compiled, measurements)
        return qc

    # -- Device protocol -------------------------------------------------------------------
    def sample(self, circuit: "QuantumCircuit", shots: int,
               parameter_sets: Sequence[Sequence[float]] | None = None) -> list[Counts]:
        """Counts per parameter set (each set bound, compiled and run; one job)."""
        values = check_parameter_sets(circuit, parameter_sets, self.name)
        if values is None:
            return self._run([self.transpile(circuit)], shots)
        bound = [circuit.assign_parameters(dict(zip(circuit.parameters, (float(v) for v in row)))) for row in values]
        return self._run([self.transpile(c) for c in bound], shots) if bound else []

    def sample_batch(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of several bound circuits, compiled for the device, in one job."""
        for c in circuits:
            check_parameter_sets(c, None, self.name)
        return self._run([self.transpile(c) for c in circuits], shots) if circuits else []

    def sample_transpiled(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of physical circuits (:meth:`transpile`'s, or built on its qubits), in one job."""
        for c in circuits:
            check_parameter_sets(c, None, self.name)
        return self._run([self.translate_physical(c) for c in circuits], shots, describe=False) if circuits else []

    def confusion_matrices(self, circuit: "QuantumCircuit") -> list[np.ndarray]:
        """Per classical bit, ``A[measured, prepared]`` of the qubit it reads, from the calibration's readout errors."""
        readout = self._p["properties"].readout_errors
        out = []
        for q in clbit_qubits(self.transpile(circuit), self.name, circuit.name):
            p10, p01 = readout.get(self._p["qubits"][q], (0.0, 0.0)) if self.noisy else (0.0, 0.0)
            out.append(confusion_matrix(float(p10), float(p01)))
        return out

    def compiled(self, physical: "QuantumCircuit") -> Any:
        """The ``cirq.Circuit`` that runs for a physical circuit of :meth:`transpile` (noise not inserted)."""
        return self._compiled[circuit_key(self.translate_physical(physical))][0]

    def lineage(self) -> dict[str, Any]:
        """Processor, calibration (file, date, hash), gate set, routing, approximation, seeds, compiled circuit."""
        import cirq

        last = self._last
        used = None
        if last is not None:
            compiled = self._compiled[circuit_key(last)][0]
            used = [str(q) for q in sorted(compiled.all_qubits())]
        return {
            "engine": "cirq", "cirq": cirq.__version__, "cirq_google": self._p["cirq_google"],
            "backend": self.name, "processor": self.processor,
            "mode": "local cirq density-matrix simulation (noise from cirq-google's shipped calibration)",
            "primitive": "cirq.DensityMatrixSimulator",
            "noise_model": "cirq_google.NoiseModelFromGoogleNoiseProperties" if self.noisy else None,
            "calibration_file": self._p["calibration_file"], "calibration_date": self._p["calibration_date"],
            "calibration_sha256": self._p["calibration_sha256"],
            "gate_set": type(self._p["target"]).__name__, "two_qubit_gate": self._p["two_qubit"],
            "routing": dict(self._routing) or None,
            "approximation": GOOGLE_APPROXIMATION if self.noisy else "ideal (noise off)",
            "optimization_level": self.optimization_level, "seed_transpiler": self.seed_transpiler,
            "seed_simulator": self.seed_simulator, "seed_derivation": "numpy SeedSequence([seed_simulator, job_index])",
            "physical_qubits": used,
            "transpiled_sha256": circuit_sha256(last) if last is not None else None,
            "transpiled_depth": last.depth() if last is not None else None,
            "transpiled_two_qubit_gates": two_qubit_gate_count(last) if last is not None else None,
        }

    # -- execution -------------------------------------------------------------------------
    def _run(self, physical: list["QuantumCircuit"], shots: int, describe: bool = True) -> list[Counts]:
        import cirq

        from harness.executors.local_noise import bool_counts

        seed = int(np.random.SeedSequence([self.seed_simulator, self._jobs]).generate_state(1)[0])
        self._jobs += 1
        rng = np.random.default_rng(seed)
        self.resources.jobs += 1
        self.resources.job_ids.append(f"cirq-google-{seed:x}")
        counts: list[Counts] = []
        with self.clock.stage("execute"):
            for qc in physical:
                compiled, measurements = self._compiled[circuit_key(qc)]
                bits = np.zeros((int(shots), qc.num_clbits), dtype=bool)
                if measurements:
                    sim = cirq.DensityMatrixSimulator(noise=self._p["noise"] if self.noisy else None,
                                                      seed=int(rng.integers(2**31)))
                    result = sim.run(compiled, repetitions=int(shots))
                    for _, clbit, key in measurements:  # later measurements into a clbit win, as in qiskit
                        bits[:, clbit] = result.measurements[key][:, 0].astype(bool)
                counts.append(bool_counts(bits))
        if describe:
            self._last = physical[0]
        r = self.resources
        r.shots += int(shots) * len(physical)
        r.circuits += len(physical)
        r.depth = physical[0].depth()
        r.two_qubit_gates = two_qubit_gate_count(physical[0])
        r.width = len({q for inst in physical[0].data for q in inst.qubits})
        return counts


def _clbit_keys(circuit: "QuantumCircuit") -> dict[str, int]:
    """cirq's measurement key of each classical bit after the OpenQASM 2 import (``<register>_<index>``)."""
    keys = {}
    for i, clbit in enumerate(circuit.clbits):
        registers = circuit.find_bit(clbit).registers
        if registers:
            keys[f"{registers[0][0].name}_{registers[0][1]}"] = i
    return keys


def _matrix_key(matrix: np.ndarray) -> bytes:
    """A gate's matrix, rounded to 9 decimals, as bytes (``-0.0`` made ``0.0``): equal gates, equal keys."""
    rounded = np.round(np.asarray(matrix, dtype=complex), 9) + 0.0
    return np.asarray(matrix).shape[0].to_bytes(2, "little") + rounded.tobytes()
