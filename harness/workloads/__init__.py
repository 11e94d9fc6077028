"""Benchmark problem families, by the name a suite's ``workload:`` key uses.

A suite may also name its own class as ``module:Class`` (see :mod:`harness.workloads.custom`).

Example:
    >>> get_workload("ghz").name
    'ghz'
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Iterator, Mapping

from harness.errors import UnsupportedError
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

__all__ = [
    "WORKLOADS",
    "ClassicalOutcome",
    "MetricInfo",
    "QuantumOutcome",
    "Workload",
    "WorkloadParams",
    "get_workload",
]


class _Registry(Mapping[str, "type[Workload]"]):
    """Name -> workload class, each module imported when its class is first asked for: a run of a
    GHZ suite does not import the other workloads (their graphs, Hamiltonians, statistics)."""

    def __init__(self, where: Mapping[str, str]):
        self._where = dict(where)
        self._loaded: dict[str, type[Workload]] = {}

    def __getitem__(self, name: str) -> "type[Workload]":
        if name not in self._loaded:
            module, cls = self._where[name].split(":")  # KeyError for an unknown name, as a dict
            self._loaded[name] = getattr(import_module(module), cls)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


WORKLOADS: Mapping[str, type[Workload]] = _Registry({
    "ghz": "harness.workloads.ghz:GHZ",
    "layer_fidelity": "harness.workloads.layer_fidelity:LayerFidelity",
    "maxcut_qaoa": "harness.workloads.maxcut:MaxCutQAOA",
    "mirror": "harness.workloads.mirror:Mirror",
    "mqt_bench": "harness.workloads.peers:MQTBench",
    "portfolio": "harness.workloads.portfolio:Portfolio",
    "quantum_volume": "harness.workloads.quantum_volume:QuantumVolume",
    "rb": "harness.workloads.rb:RandomizedBenchmarking",
    "supermarq": "harness.workloads.peers:SupermarQ",
    "vqe_h2": "harness.workloads.vqe:VQEH2",
    "vqe_tfim": "harness.workloads.vqe:VQETFIM",
})
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
