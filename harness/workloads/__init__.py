"""Benchmark problem families, by the name a suite's ``workload:`` key uses.

Example:
    >>> get_workload("ghz").name
    'ghz'
"""

from __future__ import annotations

from harness.errors import UnsupportedError
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams
from harness.workloads.ghz import GHZ
from harness.workloads.maxcut import MaxCutQAOA

__all__ = [
    "WORKLOADS",
    "ClassicalOutcome",
    "MetricInfo",
    "QuantumOutcome",
    "Workload",
    "WorkloadParams",
    "get_workload",
]

WORKLOADS: dict[str, type[Workload]] = {cls.name: cls for cls in (GHZ, MaxCutQAOA)}
"""Every workload the harness knows, by name."""


def get_workload(name: str) -> Workload:
    """A fresh instance of the workload called ``name``.

    Raises:
        UnsupportedError: no workload has that name; the message lists the known ones.
    """
    try:
        return WORKLOADS[name]()
    except KeyError:
        raise UnsupportedError(
            f"unknown workload {name!r}; known workloads: {', '.join(sorted(WORKLOADS))}",
            hint="set the suite's workload: to one of those names",
        ) from None
