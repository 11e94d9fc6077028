"""The hardware tier: :class:`RuntimeDevice` runs qiskit-ibm-runtime's Sampler on a backend.

Two kinds of backend:

- ``fake_<name>`` (``fake_manila``, ``fake_guadalupe``, ...): a fake backend from
  ``qiskit_ibm_runtime.fake_provider`` with a real device's configuration and calibration, run in
  runtime's local mode: the same ``Sampler`` API as production, executed by Aer with the noise
  model built from the backend (``AerSimulator.from_backend``, which is what local mode builds).
  That noise model is slow to build for large devices, so it is built once per backend name and
  process and passed to the Sampler as its mode.
- ``ibm:<name>``: a real IBM backend through ``QiskitRuntimeService`` (see
  :mod:`harness.executors.ibm`). REAL HARDWARE PATH: it cannot be exercised offline.

The primitive is ``qiskit_ibm_runtime.executor_sampler.Sampler`` (the non-deprecated one). Circuits
are transpiled once per structure by a preset pass manager for the backend (cached), and parameter
sets are bound in one PUB, so a sweep is one job.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import threading
import time
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.aer import (
    check_parameter_sets,
    circuit_key,
    circuit_identity,
    job_description,
    two_qubit_gate_count,
    wait_for_job,
)
from harness.executors.base import Counts, Resources, StageClock, clbit_qubits
from harness.executors.calibration import (
    calibration_snapshot,
    confusion_matrix,
    readout_probabilities,
    snapshot_hash,
)
from harness.executors.features import circuit_features
from harness.executors.ibm import ibm_backend, queue_seconds
from harness.executors.outcomes import bitarray_counts
from harness.kinds import IBM_PREFIX, backend_name, is_real_backend

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["RuntimeDevice", "fake_backend_classes", "fake_backend_names", "pass_manager"]

_PRIMITIVE = "qiskit_ibm_runtime.executor_sampler.Sampler"
_LOCK = threading.Lock()
_FAKES: dict[str, Any] = {}  # name -> fake backend instance (shared: it is read-only for us)
_SIMS: dict[str, Any] = {}  # name -> AerSimulator.from_backend(fake): the cached noise model
_SNAPSHOTS: dict[str, dict[str, Any]] = {}  # name -> full calibration snapshot
_PMS: dict[tuple, Any] = {}  # (backend, level, seed, physical) -> preset pass manager
_ISA: dict[tuple, "QuantumCircuit"] = {}  # (backend, level, seed, circuit key) -> its transpiled circuit
_PM_LOCKS: dict[tuple, threading.Lock] = {}  # one per pass manager: its run() is not known to be thread-safe


@functools.lru_cache(maxsize=1)
def fake_backend_classes() -> dict[str, type]:
    """``{"fake_manila": FakeManilaV2, ...}``, read from ``qiskit_ibm_runtime.fake_provider``."""
    import inspect

    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    found: dict[str, type] = {}
    for obj in vars(fake_provider).values():
        if inspect.isclass(obj) and issubclass(obj, FakeBackendV2) and obj is not FakeBackendV2:
            name = getattr(obj, "backend_name", None)
            if isinstance(name, str) and name:
                found[name] = obj
    return found


@functools.lru_cache(maxsize=1)
def fake_backend_names() -> frozenset[str]:
    """The names of :func:`fake_backend_classes`, without importing any SDK.

    ``qiskit_ibm_runtime.fake_provider`` keeps each fake backend in ``backends/<name>/`` (the
    class's ``backend_name`` is ``fake_<name>``; a test checks the two lists agree), so planning a
    suite and ``--dry-run`` list the folder instead of importing qiskit (seconds of start-up).
    Falls back to the import when the package is laid out differently.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("qiskit_ibm_runtime")  # a top-level spec: nothing is imported
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    names = {f"fake_{d.name}" for loc in locations if (Path(loc) / "fake_provider" / "backends").is_dir()
             for d in (Path(loc) / "fake_provider" / "backends").iterdir()
             if d.is_dir() and not d.name.startswith("_") and any(d.glob("conf_*.json"))}
    return frozenset(names) if names else frozenset(fake_backend_classes())


def pass_manager(backend: Any, name: str, optimization_level: int, seed_transpiler: int,
                 physical: bool = False) -> Any:
    """The preset pass manager for ``(backend, level, seed)``, built once per process.

    ``physical`` gives the level-0, identity-layout manager :meth:`RuntimeDevice.translate_physical`
    uses. A pass manager with a fixed seed transpiles a circuit the same way every time, so sharing
    it between devices (cases, trials, the raw and mitigated sides) changes no result.
    """
    key = (name, 0 if physical else int(optimization_level), int(seed_transpiler), physical)
    with _LOCK:
        if key not in _PMS:
            from qiskit.transpiler import generate_preset_pass_manager

            extra = {"initial_layout": list(range(backend.num_qubits))} if physical else {}
            _PMS[key] = generate_preset_pass_manager(optimization_level=key[1], backend=backend,
                                                     seed_transpiler=key[2], **extra)
            _PM_LOCKS[key] = threading.Lock()
        return _PMS[key], _PM_LOCKS[key], key


def _transpiled(pm: tuple, circuit: "QuantumCircuit", ckey: str) -> "QuantumCircuit":
    """``pm``'s output for ``circuit``, run once per process per circuit structure."""
    manager, lock, key = pm
    with lock:
        isa = _ISA.get(key + (ckey,))
        if isa is None:
            isa = _ISA[key + (ckey,)] = manager.run(circuit)
    return isa


def _fake_backend(name: str) -> Any:
    classes = fake_backend_classes()
    if name not in classes:
        close = difflib.get_close_matches(name, list(classes), n=3, cutoff=0.5)
        raise UnsupportedError(
            f"unknown hardware backend {name!r}"
            + (f"; did you mean {', '.join(close)}?" if close else ""),
            hint="use a fake backend name such as fake_manila (see harness.executors.known_backends()) "
            f"or {IBM_PREFIX}<backend> for a real IBM backend",
        )
    with _LOCK:
        if name not in _FAKES:
            _FAKES[name] = classes[name]()
        return _FAKES[name]


def _simulator_for(name: str, backend: Any) -> Any:
    with _LOCK:
        if name not in _SIMS:
            from qiskit_aer import AerSimulator

            _SIMS[name] = AerSimulator.from_backend(backend)
        return _SIMS[name]


def _snapshot(name: str, backend: Any) -> dict[str, Any]:
    with _LOCK:
        if name not in _SNAPSHOTS:
            _SNAPSHOTS[name] = calibration_snapshot(backend)
        return _SNAPSHOTS[name]


class RuntimeDevice:
    """qiskit-ibm-runtime's Sampler on a fake (local) or real IBM backend.

    Args:
        backend: ``fake_<name>`` or ``ibm:<name>``.
        optimization_level: preset pass manager level (0-3).
        seed_transpiler: layout and routing seed.
        seed_simulator: root shot seed for fake backends; job ``k`` uses a seed derived from
            ``(seed_simulator, k)`` (ignored by real hardware).

    Besides the Device protocol it offers :meth:`transpile`, :meth:`translate_physical` and
    :meth:`sample_transpiled` (run physical circuits without optimising them again, for folded
    ZNE circuits) and :meth:`confusion_matrices`.
    """

    def __init__(self, backend: str, optimization_level: int = 1, seed_transpiler: int = 0,
                 seed_simulator: int = 0):
        self.optimization_level = int(optimization_level)
        self.seed_transpiler = int(seed_transpiler)
        self.seed_simulator = int(seed_simulator)
        self.clock = StageClock()
        self.resources = Resources()
        if is_real_backend(backend):
            self.name = backend
            self.simulated = False
            self._backend = ibm_backend(backend_name(backend))
            self._snap = calibration_snapshot(self._backend)
        else:
            self.name = backend
            self.simulated = True
            self._backend = _fake_backend(backend)
            self._snap = _snapshot(backend, self._backend)
        self._cache: dict[str, "QuantumCircuit"] = {}
        self._jobs = 0
        self._last: "QuantumCircuit | None" = None
        self.job_timeout: float | None = None
        """Seconds to poll a submitted job before it is cancelled and TimeoutError raised (None: no limit)."""
        self.primitive_options: dict[str, Any] = {}
        """Options of the runtime's own Sampler for the jobs submitted now (set by :meth:`using_options`)."""
        self.cache: Any = None
        """Optional counts cache (see :func:`~harness.executors.aer.job_description`); only consulted
        for fake backends, whose seeded jobs are reproducible. Real hardware is never served from it."""

    # -- transpilation ---------------------------------------------------------------------
    def transpile(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        """The circuit on the backend's qubits and basis (cached per circuit structure)."""
        key = circuit_key(circuit)
        if key not in self._cache:
            with self.clock.stage("transpile"):
                self._cache[key] = self._run_pm(circuit, key, physical=False)
        return self._cache[key]

    def translate_physical(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        """A physical circuit (on all the backend's qubits) in the basis, at level 0 with the
        identity layout: nothing is optimised away. Cached per circuit structure."""
        key = "phys:" + circuit_key(circuit)
        if key not in self._cache:
            if circuit.num_qubits != self._backend.num_qubits:
                raise UnsupportedError(
                    f"{self.name}: a physical circuit must span all {self._backend.num_qubits} "
                    f"qubits, got {circuit.num_qubits}",
                    hint="pass circuits derived from RuntimeDevice.transpile()",
                )
            with self.clock.stage("transpile"):
                self._cache[key] = self._run_pm(circuit, key, physical=True)
        return self._cache[key]

    def _run_pm(self, circuit: "QuantumCircuit", key: str, physical: bool) -> "QuantumCircuit":
        pm = pass_manager(self._backend, self.name, self.optimization_level, self.seed_transpiler, physical)
        if not self.simulated:  # REAL HARDWARE PATH: a live backend's target may change: no process cache
            return pm[0].run(circuit)
        return _transpiled(pm, circuit, key)

    # -- Device protocol -------------------------------------------------------------------
    def sample(self, circuit: "QuantumCircuit", shots: int,
               parameter_sets: Sequence[Sequence[float]] | None = None) -> list[Counts]:
        """Counts per parameter set; all sets bound in one PUB of one job."""
        values = check_parameter_sets(circuit, parameter_sets, self.name)
        if values is not None and len(values) == 0:
            return []
        isa = self.transpile(circuit)
        if values is None:
            return self._run([isa], shots)
        column = {p.name: i for i, p in enumerate(circuit.parameters)}
        params = tuple(isa.parameters)
        if not params:  # the transpiler removed every parameter: one PUB per set
            return self._run([isa] * len(values), shots)
        bound = values[:, [column[p.name] for p in params]]
        return self._run([(isa, {params: bound})], shots, n_sets=len(values))

    def sample_batch(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of several bound circuits, transpiled at the device's level, in one job."""
        for c in circuits:
            check_parameter_sets(c, None, self.name)
        return self._run([self.transpile(c) for c in circuits], shots) if circuits else []

    def sample_transpiled(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of physical circuits (e.g. folds of :meth:`transpile`'s output), in one job.

        They are only translated to the basis at optimisation level 0 with the identity layout,
        so gate sequences such as ``U U^-1 U`` are not cancelled.
        """
        for c in circuits:
            check_parameter_sets(c, None, self.name)
        if not circuits:
            return []
        # lineage keeps describing the base circuit (its layout), not the folded copies
        return self._run([self.translate_physical(c) for c in circuits], shots, describe=False)

    def confusion_matrices(self, circuit: "QuantumCircuit") -> list[np.ndarray]:
        """Per classical bit (clbit 0 first), the 2x2 readout confusion matrix of the physical
        qubit it measures, ``A[measured, prepared]`` (mitiq's convention; columns sum to 1).

        Fake backends use the readout model the simulator applies (see
        :func:`~harness.executors.calibration.readout_probabilities`).
        """
        return [confusion_matrix(*readout_probabilities(self._snap, q, as_simulated=self.simulated))
                for q in clbit_qubits(self.transpile(circuit), self.name, circuit.name)]

    def gate_error(self, name: str, qubits: Sequence[int]) -> float | None:
        """The calibration snapshot's error of gate ``name`` on physical ``qubits`` (what the
        fake backend's noise model is built from); None when it has none."""
        entry = (self._snap.get("gates", {}).get(name) or {}).get("_".join(str(int(q)) for q in qubits)) or {}
        return entry.get("error")

    def lineage(self) -> dict[str, Any]:
        """Backend, primitive, transpiler settings, seeds, transpiled circuit and calibration."""
        last = self._last
        cached = getattr(self, "_lineage", None)
        if cached is not None and cached[0] is last:  # raw and mitigated describe the same circuit
            return copy.deepcopy(cached[1])
        import qiskit
        import qiskit_ibm_runtime

        layout = None
        if last is not None and last.layout is not None:
            layout = [int(q) for q in last.layout.final_index_layout(filter_ancillas=True)]
        used = sorted(layout) if layout else None
        used_snapshot = calibration_snapshot(self._backend, used) if used else None
        out = {
            "engine": "qiskit-ibm-runtime",
            "backend": self.name,
            "backend_version": self._snap.get("backend_version"),
            "mode": "local (Aer noise model from the fake backend)" if self.simulated else "ibm",
            "primitive": _PRIMITIVE,
            "qiskit": qiskit.__version__,
            "qiskit_ibm_runtime": qiskit_ibm_runtime.__version__,
            "optimization_level": self.optimization_level,
            "seed_transpiler": self.seed_transpiler,
            "seed_simulator": self.seed_simulator if self.simulated else None,
            "seed_derivation": "numpy SeedSequence([seed_simulator, job_index])",
            **_transpiled_text(last),
            "transpiled_depth": last.depth() if last is not None else None,
            "transpiled_two_qubit_gates": two_qubit_gate_count(last) if last is not None else None,
            "physical_qubits": layout,
            "calibration_sha256": snapshot_hash(self._snap),
            "calibration_used_sha256": snapshot_hash(used_snapshot) if used_snapshot else None,
            "calibration_date": self._snap.get("calibration_date"),
            "features": circuit_features(last),
        }
        self._lineage = (last, out)
        return copy.deepcopy(out)

    # -- execution -------------------------------------------------------------------------
    def _sampler(self, seed: int) -> Any:
        from qiskit_ibm_runtime.executor_sampler import Sampler

        extra = copy.deepcopy(self.primitive_options)
        if self.simulated:
            return Sampler(mode=_simulator_for(self.name, self._backend),
                           options={**extra, "simulator": {"seed_simulator": seed}})
        # REAL HARDWARE PATH: every job of this device goes through one Batch (the runtime schedules
        # them together); the batch is opened on the first job and closed by close().
        if getattr(self, "_batch", None) is None:
            from qiskit_ibm_runtime import Batch

            self._batch = Batch(backend=self._backend)
        return Sampler(mode=self._batch, options=extra or None)

    @contextlib.contextmanager
    def using_options(self, options: Mapping[str, Any]) -> Iterator[None]:
        """Submit the jobs inside the block with the runtime's own Sampler ``options`` (twirling,
        dynamical decoupling; the seed stays the device's). They are part of a cached job's key."""
        before, self.primitive_options = self.primitive_options, copy.deepcopy(dict(options))
        try:
            yield
        finally:
            self.primitive_options = before

    def applied_options(self, circuit: "QuantumCircuit", shots: int, options: Mapping[str, Any]) -> dict[str, Any]:
        """What the runtime's client-side Sampler really does with ``options`` to ``circuit`` (a
        transpiled circuit), read from the program it prepares for the executor, locally as on
        hardware: ``{"twirling": {randomizations, shots_per_randomization} | None,
        "dynamical_decoupling": {inserted gate counts} | None}``."""
        from qiskit_ibm_runtime.executor_sampler.prepare import prepare
        from qiskit_ibm_runtime.options_models import SamplerOptions

        physical = self.translate_physical(circuit)
        mode = _simulator_for(self.name, self._backend) if self.simulated else self._backend
        program, _ = prepare([physical], SamplerOptions(**copy.deepcopy(dict(options))), int(shots),
                             add_tags=self.simulated, backend=mode)
        item = program.items[0]
        out: dict[str, Any] = {"twirling": None, "dynamical_decoupling": None}
        if type(item).__name__ == "SamplexItem":  # randomised Pauli frames drawn per randomisation
            out["twirling"] = {"randomizations": int(np.prod(item.shape)) if item.shape else 1,
                               "shots_per_randomization": int(program.shots)}
        before, after = physical.count_ops(), item.circuit.count_ops()
        if after.get("delay", 0) > before.get("delay", 0):  # idle windows filled: delays around the pulses
            out["dynamical_decoupling"] = {"inserted": {k: int(after.get(k, 0) - before.get(k, 0))
                                                        for k in ("x", "y", "delay") if after.get(k, 0) > before.get(k, 0)}}
        return out

    def close(self) -> None:
        """Close the real-hardware batch, if one was opened (nothing for fake backends)."""
        batch, self._batch = getattr(self, "_batch", None), None
        if batch is not None:
            batch.close()

    def _run(self, pubs: list[Any], shots: int, n_sets: int | None = None,
             describe: bool = True) -> list[Counts]:
        seed = int(np.random.SeedSequence([self.seed_simulator, self._jobs]).generate_state(1)[0])
        self._jobs += 1
        first = pubs[0][0] if isinstance(pubs[0], tuple) else pubs[0]
        description = None
        if self.cache is not None and self.simulated:
            import qiskit_aer
            import qiskit_ibm_runtime

            circuits = [p[0] if isinstance(p, tuple) else p for p in pubs]
            values = [[[q.name for q in k] + [np.asarray(v).tolist()] for k, v in p[1].items()]
                      if isinstance(p, tuple) else None for p in pubs]
            identity = {"engine": "qiskit-ibm-runtime", "backend": self.name,
                        "calibration_sha256": snapshot_hash(self._snap), "qiskit_aer": qiskit_aer.__version__,
                        "qiskit_ibm_runtime": qiskit_ibm_runtime.__version__}
            if self.primitive_options:  # the runtime's own options change what runs
                identity["options"] = self.primitive_options
            description = job_description(identity, circuits, values, shots, seed)
        counts: list[Counts] | None = self.cache.lookup(description) if description is not None else None
        if counts is None:
            counts = self._submit_and_wait(pubs, shots, seed)
            if description is not None:
                self.cache.store(description, counts)
        if describe:
            self._last = first
        n = len(counts) if n_sets is None else n_sets
        r = self.resources
        r.shots += int(shots) * n
        r.circuits += n
        r.depth = first.depth()
        r.two_qubit_gates = two_qubit_gate_count(first)
        r.width = len({q for inst in first.data for q in inst.qubits})
        return counts

    def _submit_and_wait(self, pubs: list[Any], shots: int, seed: int) -> list[Counts]:
        """Submit one job, record its id at once, poll it to the end (see ``job_timeout``)."""
        sampler = self._sampler(seed)
        with self.clock.stage("submit"):
            job = sampler.run(pubs, shots=int(shots))
        # recorded before waiting, so a job that times out or fails is still traceable
        self.resources.job_ids.append(str(job.job_id()))
        self.resources.jobs += 1
        start = time.perf_counter()
        result = wait_for_job(job, self.job_timeout)
        waited = time.perf_counter() - start
        queued = 0.0 if self.simulated else min(queue_seconds(job), waited)
        if not self.simulated:  # REAL HARDWARE PATH: what the job cost on the QPU
            try:
                self.resources.qpu_seconds = (self.resources.qpu_seconds or 0.0) + float(job.usage())
            except Exception:  # noqa: BLE001 - usage not reported (yet): leave it unknown
                pass
        self.clock.add("queue", queued)
        self.clock.add("execute", waited - queued)
        counts: list[Counts] = []
        with self.clock.stage("postprocess"):
            for pub in result:  # integer outcomes counted by numpy: no Python string per shot
                counts.extend(bitarray_counts(pub.join_data()))
        return counts


def _transpiled_text(circuit: "QuantumCircuit | None") -> dict[str, Any]:
    """The transpiled circuit's hash and, when short, its OpenQASM 3 (the report's one-click circuit)."""
    if circuit is None:
        return {"transpiled_sha256": None}
    sha, text = circuit_identity(circuit)
    return {"transpiled_sha256": sha, **({"transpiled_qasm": text} if text is not None else {})}
