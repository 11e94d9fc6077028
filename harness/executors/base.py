"""The executor seam: a :class:`Device` runs circuits and reports what it cost.

Workloads see only this protocol, so the same hybrid loop runs on an ideal simulator, a
fake backend with real calibration data, or IBM hardware. Devices time their own stages
into a :class:`StageClock` and count the resources they spend.

What a device may offer beyond :class:`Device` is declared here as a capability protocol, and
asked with :func:`supports` (never by probing attribute names):

- :class:`Closeable`: ``close()`` ends what the device holds open (a real-hardware batch);
- :class:`JobTimeout`: ``job_timeout`` seconds a submitted job is polled before it is cancelled;
- :class:`ResultCaching`: ``cache`` serves seeded simulator jobs run before;
- :class:`ReadoutCalibrated`: ``confusion_matrices(circuit)`` for readout mitigation;
- :class:`PhysicalCircuits`: ``transpile``, ``translate_physical``, ``sample_transpiled`` run
  physical circuits as given (folded ZNE circuits keep their folds);
- :class:`CliffordOnly`: ``clifford_only`` runs Clifford circuits only (the stabilizer
  simulation), so ZNE folds them in qiskit, gate by gate inverted, and they stay Clifford.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from harness.records import STAGES

if TYPE_CHECKING:
    import numpy as np
    from qiskit import QuantumCircuit

__all__ = [
    "clbit_qubits",
    "CliffordOnly",
    "Closeable",
    "Counts",
    "Device",
    "ExactDistributions",
    "GateCalibrated",
    "JobTimeout",
    "PhysicalCircuits",
    "ReadoutCalibrated",
    "Resources",
    "RuntimeOptioned",
    "ResultCaching",
    "StageClock",
    "supports",
]

Counts = Mapping[str, int]


class StageClock:
    """Accumulates wall time per latency stage (see :data:`harness.records.STAGES`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {s: 0.0 for s in STAGES}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if name not in self.seconds:
            raise ValueError(f"unknown stage {name!r}; use one of {STAGES}")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds


@dataclass
class Resources:
    """What a device spent: shots, circuits, jobs, and the shape of the last transpiled circuit."""

    shots: int = 0
    circuits: int = 0
    jobs: int = 0
    depth: int | None = None
    two_qubit_gates: int | None = None
    width: int | None = None
    job_ids: list[str] = field(default_factory=list)
    qpu_seconds: float | None = None
    """Quantum seconds the service billed (real hardware only)."""

    def to_dict(self) -> dict[str, Any]:
        d = {
            "shots": self.shots, "circuits": self.circuits, "jobs": self.jobs, "depth": self.depth,
            "two_qubit_gates": self.two_qubit_gates, "width": self.width, "job_ids": list(self.job_ids),
        }
        if self.qpu_seconds is not None:
            d["qpu_seconds"] = self.qpu_seconds
        return d


@runtime_checkable
class Device(Protocol):
    """Where circuits run. Implementations: ``AerDevice`` (ideal), ``RuntimeDevice`` (fake or IBM)."""

    name: str
    clock: StageClock
    resources: Resources

    def sample(
        self,
        circuit: "QuantumCircuit",
        shots: int,
        parameter_sets: Sequence[Sequence[float]] | None = None,
    ) -> list[Counts]:
        """Counts of ``circuit`` (measured) per parameter set, as one batched job.

        With ``parameter_sets`` None the circuit must have no free parameters and one
        counts mapping is returned. Transpilation is cached per circuit.
        """
        ...

    def sample_batch(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        """Counts of several bound circuits, submitted together (e.g. noise-scaled copies)."""
        ...

    def lineage(self) -> dict[str, Any]:
        """Backend name, calibration snapshot hash, transpiler settings, seeds, transpiled circuit hash."""
        ...


@runtime_checkable
class Closeable(Protocol):
    """A device that holds something open (a real-hardware batch) until the tier ends."""

    def close(self) -> None:
        ...


@runtime_checkable
class JobTimeout(Protocol):
    """A device that polls each submitted job for at most ``job_timeout`` seconds (None: no limit)."""

    job_timeout: float | None


@runtime_checkable
class ResultCaching(Protocol):
    """A device that serves seeded jobs from ``cache`` (a view of the run's result cache; None: off)."""

    cache: Any


@runtime_checkable
class ReadoutCalibrated(Protocol):
    """A device with per-clbit readout confusion matrices for the qubits ``circuit`` measures."""

    def confusion_matrices(self, circuit: "QuantumCircuit") -> "list[np.ndarray]":
        ...


@runtime_checkable
class PhysicalCircuits(Protocol):
    """A device that transpiles apart and runs physical circuits without optimising them again."""

    def transpile(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        ...

    def translate_physical(self, circuit: "QuantumCircuit") -> "QuantumCircuit":
        ...

    def sample_transpiled(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list[Counts]:
        ...


@runtime_checkable
class GateCalibrated(Protocol):
    """A device that knows each gate's calibrated error (average gate infidelity) on given qubits."""

    def gate_error(self, name: str, qubits: Sequence[int]) -> float | None:
        """The error of gate ``name`` on physical ``qubits``; None when the calibration has none."""
        ...


@runtime_checkable
class RuntimeOptioned(Protocol):
    """A device whose jobs go through qiskit-ibm-runtime's client-side Sampler, which can take its
    own options (twirling, dynamical decoupling) and show what it really applies."""

    def using_options(self, options: Mapping[str, Any]) -> Any:
        """A context manager: jobs submitted inside it carry ``options``."""
        ...

    def applied_options(self, circuit: "QuantumCircuit", shots: int, options: Mapping[str, Any]) -> dict[str, Any]:
        ...


@runtime_checkable
class CliffordOnly(Protocol):
    """A device that runs Clifford circuits only (stim): folds must stay Clifford run by run."""

    clifford_only: bool


def supports(device: Any, capability: type) -> bool:
    """Whether ``device`` offers ``capability`` (one of the protocols above).

    A wrapper that forwards to another device (the run's guard, which has ``wrapped``) offers
    what the device it wraps offers: the wrapped device is asked, not the wrapper's own class,
    so the answer holds whichever way ``isinstance`` looks attributes up.
    """
    while not isinstance(device, capability):
        if not isinstance(getattr(type(device), "wrapped", None), property):
            return False
        device = device.wrapped
    return True


@runtime_checkable
class ExactDistributions(Protocol):
    """An optional capability of an ideal device: the exact output distribution of a measured circuit.

    A variational loop on a device that has it evaluates its objective without shot noise (the
    Estimator-style exact expectation); on a device without it (noisy or real hardware) the loop
    samples. Only :class:`~harness.executors.aer.AerDevice` offers it.
    """

    def probabilities(
        self,
        circuit: "QuantumCircuit",
        parameter_sets: Sequence[Sequence[float]] | None = None,
    ) -> list[dict[str, float]]:
        """Exact probabilities of ``circuit``'s classical bits per parameter set (keys like counts)."""
        ...


def clbit_qubits(isa: Any, device_name: str, circuit_name: str) -> list[int]:
    """The physical qubit each classical bit of the transpiled circuit ``isa`` reads (clbit 0 first).

    A later measurement into the same classical bit wins, as in execution.

    Raises:
        UnsupportedError: a classical bit is never measured.
    """
    from harness.errors import UnsupportedError

    physical: dict[int, int] = {}
    for inst in isa.data:
        if inst.operation.name == "measure":
            physical[isa.find_bit(inst.clbits[0]).index] = isa.find_bit(inst.qubits[0]).index
    missing = [i for i in range(isa.num_clbits) if i not in physical]
    if missing:
        raise UnsupportedError(f"{device_name}: classical bits {missing} of {circuit_name!r} are never measured",
                               hint="measure every classical bit the score reads")
    return [physical[i] for i in range(isa.num_clbits)]
