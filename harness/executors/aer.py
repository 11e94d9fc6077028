"""The ideal tier: :class:`AerDevice` runs circuits on a noiseless Aer simulator.

Also holds the circuit helpers both devices share (structural cache key, stable hash,
two-qubit count, counts normalisation, parameter binding checks), so that the hardware
device in :mod:`harness.executors.runtime` describes its circuits the same way.

Example:
    >>> from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    >>> q, c = QuantumRegister(2), ClassicalRegister(2)
    >>> bell = QuantumCircuit(q, c)
    >>> _ = bell.h(0), bell.cx(0, 1), bell.measure(q, c)
    >>> sorted(AerDevice(seed_simulator=7).sample(bell, 100)[0])
    ['00', '11']
"""

from __future__ import annotations

import hashlib
import io
import threading
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.base import Counts, Resources, StageClock
from harness.executors.features import circuit_features

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = [
    "AerDevice",
    "check_parameter_sets",
    "circuit_identity",
    "circuit_key",
    "circuit_sha256",
    "job_description",
    "normalise_counts",
    "two_qubit_gate_count",
    "wait_for_job",
]

_NON_GATES = {"barrier", "measure", "reset", "delay", "store"}
_LOCK = threading.Lock()
_SIMULATORS: dict[str, Any] = {}  # method -> AerSimulator
_PMS: dict[tuple[str, int], Any] = {}  # (method, level) -> preset pass manager for the ideal simulator
_ISA: dict[tuple[str, int, str], "QuantumCircuit"] = {}  # (method, level, circuit key) -> its transpiled circuit


def _simulator(method: str) -> Any:
    """The process's ``AerSimulator(method=method)``: every job passes its own shots and seed, so
    devices share one instead of building a simulator (and its target) per case."""
    with _LOCK:
        if method not in _SIMULATORS:
            from qiskit_aer import AerSimulator

            _SIMULATORS[method] = AerSimulator(method=method)
        return _SIMULATORS[method]


def _ideal_transpiled(backend: Any, method: str, level: int, circuit: "QuantumCircuit", key: str) -> "QuantumCircuit":
    """``transpile(circuit, backend, optimization_level=level, seed_transpiler=0)``, once per process.

    The ideal simulator has no layout to choose and the seed is fixed, so one pass manager per
    (method, level) serves every device (cases, trials, sides) and a circuit structure is
    transpiled once; ``transpile`` would build a new pass manager on every call.
    """
    with _LOCK:
        isa = _ISA.get((method, level, key))
        if isa is None:
            if (method, level) not in _PMS:
                from qiskit.transpiler import generate_preset_pass_manager

                _PMS[method, level] = generate_preset_pass_manager(level, backend=backend, seed_transpiler=0)
            isa = _ISA[method, level, key] = _PMS[method, level].run(circuit)
    return isa


def circuit_key(circuit: "QuantumCircuit") -> str:
    """An exact structural key for caching transpilation (QPY bytes, so angles compare exactly)."""
    from qiskit import qpy

    buf = io.BytesIO()
    qpy.dump(circuit, buf)
    return hashlib.sha256(buf.getvalue()).hexdigest()


def circuit_sha256(circuit: "QuantumCircuit") -> str:
    """A lineage hash of a circuit: sha256 of its OpenQASM 3 text.

    QASM text does not carry the random ids of ``Parameter`` objects, so the same circuit
    built twice hashes the same. Circuits QASM 3 cannot express fall back to QPY bytes.
    """
    return circuit_identity(circuit)[0]


QASM_LIMIT = 4000
"""Longest OpenQASM 3 text kept in a result's lineage (a few-qubit transpiled circuit is well under it)."""


def circuit_identity(circuit: "QuantumCircuit", limit: int = QASM_LIMIT) -> tuple[str, str | None]:
    """The circuit's lineage hash (:func:`circuit_sha256`) and its OpenQASM 3 text when at most
    ``limit`` characters (None beyond, or when QASM 3 cannot express it): what the report shows."""
    from qiskit import qasm3

    try:
        text = qasm3.dumps(circuit)
    except Exception:  # noqa: BLE001 - any exporter gap; QPY always works
        return "qpy:" + circuit_key(circuit), None
    return hashlib.sha256(text.encode()).hexdigest(), text if len(text) <= limit else None


def two_qubit_gate_count(circuit: "QuantumCircuit") -> int:
    """Gates acting on exactly two qubits (barriers and measurements excluded)."""
    return sum(
        1
        for inst in circuit.data
        if len(inst.qubits) == 2 and inst.operation.name not in _NON_GATES
    )


def normalise_counts(counts: Mapping[str, int], num_clbits: int) -> dict[str, int]:
    """Counts keyed by plain bitstrings of ``num_clbits`` characters, clbit 0 rightmost.

    Qiskit separates registers by spaces (the first register rightmost); dropping the
    spaces keeps that order, which is the circuit's clbit order.
    """
    out: dict[str, int] = {}
    for key, value in counts.items():
        bits = key.replace(" ", "")
        if bits.startswith("0x"):
            bits = format(int(bits, 16), f"0{num_clbits}b")
        bits = bits.zfill(num_clbits)
        out[bits] = out.get(bits, 0) + int(value)
    return out


def check_parameter_sets(
    circuit: "QuantumCircuit", parameter_sets: Sequence[Sequence[float]] | None, where: str
) -> np.ndarray | None:
    """Validate ``parameter_sets`` against ``circuit``; a 2-D array (sets x parameters) or None."""
    if circuit.num_clbits == 0:
        raise UnsupportedError(
            f"{where}: circuit {circuit.name!r} has no classical bits, so it measures nothing",
            hint="measure the qubits into a ClassicalRegister (circuit.measure(qreg, creg))",
        )
    n_par = circuit.num_parameters
    if parameter_sets is None:
        if n_par:
            raise UnsupportedError(
                f"{where}: circuit {circuit.name!r} has {n_par} free parameters but no parameter_sets",
                hint="pass parameter_sets=[[...values in circuit.parameters order...]]",
            )
        return None
    values = np.asarray(parameter_sets, dtype=float)
    if values.size == 0:
        return values.reshape(0, n_par)
    if values.ndim != 2 or values.shape[1] != n_par:
        raise UnsupportedError(
            f"{where}: parameter_sets has shape {values.shape}; circuit {circuit.name!r} needs (sets, {n_par})",
            hint="give one row of values per parameter set, in circuit.parameters order",
        )
    return values


def wait_for_job(job: Any, timeout: float | None) -> Any:
    """The job's result, waited for at most ``timeout`` seconds (None: no limit).

    ``job.result()`` blocks in a helper thread while this one waits on an event, so a local job's
    result is returned the moment it exists (polling ``job.done()`` with growing sleeps added up to
    0.1 s per job) and a stuck job is still given up on in time.

    Raises:
        TimeoutError: the job did not finish in time; it is cancelled (where the backend can).
        Whatever ``job.result()`` raises.
    """
    if timeout is None:
        return job.result()
    finished = threading.Event()
    outcome: dict[str, Any] = {}

    def wait() -> None:
        try:
            outcome["result"] = job.result()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, re-raised there
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=wait, name="harness-job-wait", daemon=True).start()
    if not finished.wait(float(timeout)):
        try:
            job.cancel()
        except Exception:  # noqa: BLE001 - a job that cannot be cancelled is still given up on
            pass
        raise TimeoutError(f"job {job.job_id()} did not finish within {timeout:g} s (cancelled)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def job_description(identity: Mapping[str, Any], circuits: Sequence["QuantumCircuit"], parameters: Any,
                    shots: int, seed: int) -> dict[str, Any]:
    """What determines a seeded simulator job's counts: the device identity, the exact submitted
    circuits (by QASM hash, free of parameter uuids), their parameter values, shots and seed.
    The key of :class:`harness.store.cache.ResultCache`."""
    return {"device": dict(identity), "circuits": [circuit_sha256(c) for c in circuits],
            "parameters": parameters, "shots": int(shots), "seed": int(seed)}


def bind_by_name(
    logical: "QuantumCircuit", transpiled: "QuantumCircuit", values: np.ndarray
) -> dict[Any, list[float]]:
    """Map the transpiled circuit's parameters to columns of ``values`` (logical parameter order).

    Transpiled circuits keep parameter names; a parameter the transpiler removed is skipped.
    """
    column = {p.name: i for i, p in enumerate(logical.parameters)}
    return {p: values[:, column[p.name]].tolist() for p in transpiled.parameters}


def _final_measurements(circuit: "QuantumCircuit", where: str) -> list[tuple[int, int]]:
    """``(qubit index, clbit index)`` of every measurement, each of which must be final on its qubit."""
    measured, touched_after = [], set()
    for inst in reversed(circuit.data):
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure":
            q, c = qubits[0], circuit.find_bit(inst.clbits[0]).index
            if q in touched_after:
                raise UnsupportedError(f"{where}: circuit {circuit.name!r} measures qubit {q} mid-circuit",
                                       hint="exact distributions need final measurements; sample with shots instead")
            measured.append((q, c))
        elif inst.operation.name != "barrier":
            touched_after.update(qubits)
    return measured[::-1]


class AerDevice:
    """A noiseless Aer simulator behind the :class:`~harness.executors.base.Device` protocol.

    Args:
        method: Aer simulation method ("automatic", "statevector", "matrix_product_state").
        seed_simulator: root seed; job ``k`` of this device uses a seed derived from
            ``(seed_simulator, k)``, so a fixed seed and call sequence give identical counts
            while repeated calls still draw fresh shot noise.
    """

    def __init__(self, method: str = "automatic", *, seed_simulator: int):
        self.name = f"aer_{method}"
        self.method = method
        self.seed_simulator = int(seed_simulator)
        self.clock = StageClock()
        self.resources = Resources()
        self._backend = _simulator(method)
        self._cache: dict[str, "QuantumCircuit"] = {}
        self._jobs = 0
        self._last_sha: str | None = None
        self._last_circuit: "QuantumCircuit | None" = None
        self.exact_evaluations = 0
        """Circuits evaluated exactly by :meth:`probabilities` (no shots)."""
        self.job_timeout: float | None = None
        """Seconds to wait for a job before it is cancelled and TimeoutError raised (None: no limit)."""
        self.cache: Any = None
        """Optional counts cache with ``lookup(description)``/``store(description, counts)``
        (see :func:`job_description`); set by the orchestration."""

    # -- Device protocol -------------------------------------------------------------------
    def sample(
        self,
        circuit: "QuantumCircuit",
        shots: int,
        parameter_sets: Sequence[Sequence[float]] | None = None,
    ) -> list[Counts]:
        """Counts per parameter set, from one Aer job (see the protocol)."""
        values = check_parameter_sets(circuit, parameter_sets, self.name)
        if values is not None and len(values) == 0:
            return []
        transpiled = self._transpile(circuit)
        binds = None if values is None else [bind_by_name(circuit, transpiled, values)]
        n_sets = 1 if values is None else len(values)
        if binds is not None and not binds[0]:
            # every parameter was optimised away: run the one circuit once per set
            return self._run([transpiled] * n_sets, shots, None, circuit.num_clbits)
        return self._run([transpiled], shots, binds, circuit.num_clbits, n_sets)

    def sample_batch(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of several bound circuits, in one Aer job."""
        if not circuits:
            return []
        for c in circuits:
            check_parameter_sets(c, None, self.name)
        transpiled = [self._transpile(c) for c in circuits]
        return self._run(transpiled, shots, None, [c.num_clbits for c in circuits])

    def transpile(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        """The circuit in Aer's basis (cached per circuit structure)."""
        return self._transpile(circuit)

    def translate_physical(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        """An already transpiled circuit in Aer's basis at level 0: nothing is optimised away."""
        key = "phys:" + circuit_key(circuit)
        if key not in self._cache:
            with self.clock.stage("transpile"):
                self._cache[key] = _ideal_transpiled(self._backend, self.method, 0, circuit, key)
        return self._cache[key]

    def sample_transpiled(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of already transpiled circuits (e.g. folded ones) via :meth:`translate_physical`,
        so gate sequences such as ``U U^-1 U`` are kept; one job."""
        if not circuits:
            return []
        for c in circuits:
            check_parameter_sets(c, None, self.name)
        kept = [self.translate_physical(c) for c in circuits]
        return self._run(kept, shots, None, [c.num_clbits for c in circuits])

    def probabilities(
        self,
        circuit: "QuantumCircuit",
        parameter_sets: Sequence[Sequence[float]] | None = None,
    ) -> list[dict[str, float]]:
        """Exact distribution of the measured bits per parameter set, from the statevector (no shots).

        Measurements must be final (as in every bundled workload); the bits are keyed like counts.
        """
        from qiskit.quantum_info import Statevector

        values = check_parameter_sets(circuit, parameter_sets, self.name)
        rows = [None] if values is None else list(values)
        measured = _final_measurements(circuit, self.name)
        body = circuit.remove_final_measurements(inplace=False)
        nbits = circuit.num_clbits
        qargs = [q for q, _ in measured]
        out = []
        with self.clock.stage("execute"):
            for row in rows:
                bound = body if row is None else body.assign_parameters(
                    {p: float(v) for p, v in zip(circuit.parameters, row)})
                probs = Statevector(bound).probabilities(qargs)  # index bit k = qargs[k]
                dist: dict[str, float] = {}
                for index in np.flatnonzero(probs > 1e-15):
                    bits = ["0"] * nbits
                    for k, (_, clbit) in enumerate(measured):
                        bits[nbits - 1 - clbit] = "1" if (int(index) >> k) & 1 else "0"
                    key = "".join(bits)
                    dist[key] = dist.get(key, 0.0) + float(probs[index])
                out.append(dist)
        self.resources.circuits += len(rows)
        self.exact_evaluations += len(rows)
        return out

    def lineage(self) -> dict[str, Any]:
        """Engine, versions, method, seed and the hash of the last submitted transpiled circuit."""
        import qiskit
        import qiskit_aer

        return {
            "engine": "aer",
            "backend": self.name,
            "qiskit": qiskit.__version__,
            "qiskit_aer": qiskit_aer.__version__,
            "method": self.method,
            "seed_simulator": self.seed_simulator,
            "seed_derivation": "numpy SeedSequence([seed_simulator, job_index])",
            "transpiled_sha256": self._last_sha,
            "exact_evaluations": self.exact_evaluations,
            "features": circuit_features(self._last_circuit),
        }

    # -- internals -------------------------------------------------------------------------
    def _transpile(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        key = circuit_key(circuit)
        cached = self._cache.get(key)
        if cached is None:
            with self.clock.stage("transpile"):
                # aer's own basis: only gate decomposition, no layout to pick on an ideal device
                cached = _ideal_transpiled(self._backend, self.method, 1, circuit, key)
            self._cache[key] = cached
        return cached

    def _run(
        self,
        transpiled: list["QuantumCircuit"],
        shots: int,
        binds: list[dict] | None,
        num_clbits: int | list[int],
        n_sets: int | None = None,
    ) -> list[Counts]:
        seed = int(np.random.SeedSequence([self.seed_simulator, self._jobs]).generate_state(1)[0])
        self._jobs += 1
        n = n_sets if n_sets is not None else len(transpiled)
        widths = num_clbits if isinstance(num_clbits, list) else [num_clbits] * n
        description = None
        if self.cache is not None:
            import qiskit_aer

            values = None if binds is None else [{p.name: v for p, v in b.items()} for b in binds]
            description = job_description({"engine": "aer", "method": self.method, "qiskit_aer": qiskit_aer.__version__},
                                          transpiled, values, shots, seed)
        counts = self.cache.lookup(description) if description is not None else None
        if counts is None:
            with self.clock.stage("submit"):
                job = self._backend.run(
                    transpiled, shots=int(shots), seed_simulator=seed, parameter_binds=binds
                )
            self.resources.job_ids.append(str(job.job_id()))
            self.resources.jobs += 1
            with self.clock.stage("execute"):
                result = wait_for_job(job, self.job_timeout)
            counts = [normalise_counts(result.get_counts(i), widths[i]) for i in range(n)]
            if description is not None:
                self.cache.store(description, counts)
        last = transpiled[0]
        self._last_sha = circuit_sha256(last)
        self._last_circuit = last
        r = self.resources
        r.shots += int(shots) * n
        r.circuits += n
        r.depth = last.depth()
        r.two_qubit_gates = two_qubit_gate_count(last)
        r.width = last.num_qubits
        return counts
