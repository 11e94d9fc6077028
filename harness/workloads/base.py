"""The workload protocol: build a problem, solve it classically, run it on a device, score a distribution.

A workload is the only place that knows its problem's physics. The harness drives it:

1. ``build(params, options)`` turns one matrix point into a problem (graph, Hamiltonian, circuit family);
2. ``classical(problem, settings, rng)`` solves it with classical methods (the ``classical`` baseline);
3. ``quantum(problem, device, rng)`` runs the hybrid loop on a :class:`~harness.executors.base.Device`
   and returns the final circuit and its counts;
4. ``score(problem, probs, shots)`` turns a (possibly mitigated) distribution of that final circuit
   into metrics. Mitigation calls it on every noise-scaled distribution, so it must be a pure
   function of ``probs``.

Counts and probabilities are keyed by bitstrings in qiskit's order: classical bit 0 is the
rightmost character.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from harness.records import Metric

if TYPE_CHECKING:  # SDK types only for annotations: importing a workload module stays cheap
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["ClassicalOutcome", "MetricInfo", "QuantumOutcome", "Workload", "WorkloadParams"]


class WorkloadParams(BaseModel):
    """Base for a workload's matrix-point and options models: strict, every workload has ``shots``."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class MetricInfo:
    """What a workload's metric means. ``kind`` chooses its drift test (see ``harness.records``)."""

    kind: str
    description: str
    unit: str = ""


@dataclass(frozen=True)
class ClassicalOutcome:
    """The classical baseline: its metrics (on the same scale as the quantum ones) and details."""

    metrics: Mapping[str, Metric]
    info: Mapping[str, Any] = field(default_factory=dict)
    trace: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class QuantumOutcome:
    """A hybrid run's final circuit (logical, measured) and its counts on the device.

    ``trace`` holds one entry per classical-optimizer evaluation (parameters, objective).
    """

    circuit: "QuantumCircuit"
    counts: Mapping[str, int]
    shots: int
    trace: tuple[Mapping[str, Any], ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)


class Workload(ABC):
    """A benchmark problem family. Subclasses set the class attributes and the four methods."""

    name: ClassVar[str]
    description: ClassVar[str]
    metrics: ClassVar[Mapping[str, MetricInfo]]
    Params: ClassVar[type[WorkloadParams]]
    """One matrix point (validated per case)."""
    Options: ClassVar[type[WorkloadParams]]
    """The suite's ``options`` block (lineage, not identity)."""
    solvers: ClassVar[tuple[str, ...]]
    """Classical solvers this workload offers; the first ones are the defaults."""
    default_solvers: ClassVar[tuple[str, ...]]

    @abstractmethod
    def build(self, params: WorkloadParams, options: WorkloadParams) -> Any:
        """The problem for one case."""

    @abstractmethod
    def classical(self, problem: Any, settings: "ClassicalSettings", rng: np.random.Generator) -> ClassicalOutcome:
        """Solve ``problem`` classically and score it on the quantum metrics' scale."""

    @abstractmethod
    def quantum(self, problem: Any, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        """Run the hybrid workflow on ``device`` and return the final circuit with its counts."""

    @abstractmethod
    def score(self, problem: Any, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        """Metrics of the final circuit's output distribution ``probs`` (sums to 1; may be mitigated)."""
