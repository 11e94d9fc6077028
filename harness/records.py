"""Plain, immutable values that flow through the harness: metrics, results and runs.

Every stored file carries ``schema`` so that readers can refuse what they do not
understand (see ``harness.store``). Nothing here imports a quantum SDK.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Mapping

from harness.kinds import BASELINE_KINDS, METRIC_KINDS, MetricKind  # re-exported: the tables live in kinds

__all__ = [
    "BASELINE_KINDS",
    "METRIC_KINDS",
    "RUN_SCHEMA",
    "STAGES",
    "Metric",
    "Result",
    "Run",
]

RUN_SCHEMA = 1
"""Version of the run-record layout written by this code (stored baselines have their own,
:data:`harness.store.migrations.BASELINE_SCHEMA`)."""

STAGES = ("preprocess", "transpile", "submit", "queue", "execute", "postprocess")
"""Latency stages, in the order a result's time is spent."""


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Metric:
    """One measured number with what is needed to judge a change in it.

    Attributes:
        value: the point estimate.
        kind: one of :data:`harness.kinds.METRIC_KINDS`.
        stderr: standard error of ``value`` (shot noise, bootstrap or across trials); None if unknown.
        n: shots or trials behind the value.
        samples: per-trial values, when the metric was measured more than once.
        unit: for display ("", "s", "Ha", ...).
    """

    value: float
    kind: str = "scalar"
    stderr: float | None = None
    n: int | None = None
    samples: tuple[float, ...] = ()
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = _finite(self.value)
        d["stderr"] = _finite(self.stderr)
        d["samples"] = [float(s) for s in self.samples]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Metric":
        return cls(
            value=float("nan") if d.get("value") is None else float(d["value"]),
            kind=d.get("kind", "scalar"),
            stderr=d.get("stderr"),
            n=d.get("n"),
            samples=tuple(d.get("samples") or ()),
            unit=d.get("unit", ""),
        )


@dataclass(frozen=True)
class Result:
    """One case run on one baseline kind.

    ``baseline`` is what the suite asked for; ``tier`` is what actually produced the
    numbers (they differ only after a recorded fallback, so a simulator result never
    passes for hardware).
    """

    suite: str
    case_id: str
    baseline: str
    tier: str
    status: Literal["ok", "failed"]
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    counts: Mapping[str, int] | None = None
    timings: Mapping[str, float] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)
    trace: tuple[Mapping[str, Any], ...] = ()
    events: tuple[Mapping[str, Any], ...] = ()
    error: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.suite, self.case_id, self.baseline)

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "case_id": self.case_id,
            "baseline": self.baseline,
            "tier": self.tier,
            "status": self.status,
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "counts": dict(self.counts) if self.counts is not None else None,
            "timings": dict(self.timings),
            "resources": dict(self.resources),
            "lineage": dict(self.lineage),
            "trace": [dict(t) for t in self.trace],
            "events": [dict(e) for e in self.events],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Result":
        return cls(
            suite=d["suite"],
            case_id=d["case_id"],
            baseline=d["baseline"],
            tier=d.get("tier", d["baseline"]),
            status=d["status"],
            metrics={k: Metric.from_dict(m) for k, m in (d.get("metrics") or {}).items()},
            counts=d.get("counts"),
            timings=d.get("timings") or {},
            resources=d.get("resources") or {},
            lineage=d.get("lineage") or {},
            trace=tuple(d.get("trace") or ()),
            events=tuple(d.get("events") or ()),
            error=d.get("error"),
        )


@dataclass(frozen=True)
class Run:
    """All results of one execution of a set of suites. Immutable once written.

    ``suites`` maps suite name to what the drift step needs of it: ``path``, ``sha256``
    and ``metrics`` (name -> {better, tolerance, kind}).
    """

    run_id: str
    created: str
    results: tuple[Result, ...]
    suites: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    environment: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RUN_SCHEMA,
            "run_id": self.run_id,
            "created": self.created,
            "suites": {k: dict(v) for k, v in self.suites.items()},
            "environment": dict(self.environment),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Run":
        return cls(
            run_id=d["run_id"],
            created=d["created"],
            results=tuple(Result.from_dict(r) for r in d.get("results") or ()),
            suites=d.get("suites") or {},
            environment=d.get("environment") or {},
        )
