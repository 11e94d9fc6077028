"""Benchmark problem families, by the name a suite's ``workload:`` key uses.

A suite may also name its own class as ``module:Class`` (see :mod:`harness.workloads.custom`).

Example:
    >>> get_workload("ghz").name
    'ghz'
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import UnsupportedError
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams
from harness.workloads.ghz import GHZ
from harness.workloads.layer_fidelity import LayerFidelity
from harness.workloads.maxcut import MaxCutQAOA
from harness.workloads.mirror import Mirror
from harness.workloads.peers import MQTBench, SupermarQ
from harness.workloads.portfolio import Portfolio
from harness.workloads.quantum_volume import QuantumVolume
from harness.workloads.rb import RandomizedBenchmarking
from harness.workloads.vqe import VQEH2, VQETFIM

__all__ = [
    "WORKLOADS",
    "ClassicalOutcome",
    "MetricInfo",
    "QuantumOutcome",
    "Workload",
    "WorkloadParams",
    "get_workload",
]

WORKLOADS: dict[str, type[Workload]] = {cls.name: cls for cls in (GHZ, LayerFidelity, MaxCutQAOA, Mirror, MQTBench,
                                                                   Portfolio,
                                                                   QuantumVolume, RandomizedBenchmarking, SupermarQ,
                                                                   VQEH2, VQETFIM)}
"""Every built-in workload, by name."""


def get_workload(name: str, base_dir: str | Path | None = None) -> Workload:
    """A fresh instance of the workload called ``name``, or of the custom class ``module:Class``.

    Args:
        name: a key of :data:`WORKLOADS`, or ``module:Class`` for user code.
        base_dir: where a custom module is looked for first (the suite file's folder).

    Raises:
        UnsupportedError: no workload has that name (the message lists the known ones), or the
            custom class cannot be loaded or does not fit the protocol (the message says why).
    """
    if ":" in name:
        from harness.workloads.custom import load_workload

        return load_workload(name, base_dir)
    try:
        return WORKLOADS[name]()
    except KeyError:
        raise UnsupportedError(
            f"unknown workload {name!r}; known workloads: {', '.join(sorted(WORKLOADS))}",
            hint="set the suite's workload: to one of those names, or to module:Class for your own",
        ) from None
