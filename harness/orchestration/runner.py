"""Run planned suites: every case on every declared baseline kind, with timings and lineage.

A tier that raises does not stop the run: its result is recorded as ``failed`` with the
error, and the gate later exits 3 for it. What a result says about where it came from is
complete enough to reproduce it (see :func:`_lineage`).
"""

from __future__ import annotations

import secrets
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import numpy as np

from harness.errors import HarnessError
from harness.executors.base import StageClock
from harness.lineage import derive_seeds, environment
from harness.orchestration.plan import CasePlan, SuitePlan
from harness.records import STAGES, Metric, Result, Run

__all__ = ["new_run_id", "run_plans"]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(label, index, total)`` before each case starts (index from 0)."""


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time to the microsecond, unique across machines: ``20261121T235900.123456Z-3fa2c1``."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{secrets.token_hex(3)}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _timing(seconds: float) -> Metric:
    return Metric(value=seconds, kind="timing", n=1, samples=(seconds,), unit="s")


def _case_lineage(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], env: dict[str, Any]) -> dict[str, Any]:
    s = plan.suite
    return {
        "suite_file": str(s.path),
        "suite_sha256": s.sha256,
        "workload": plan.workload.name,
        "params": cp.params.model_dump(mode="json"),
        "options": plan.options.model_dump(mode="json"),
        "seed": s.model.seed,
        "seeds": seeds,
        "code": env["code"],
        "python": env["python"],
        "sdk": env["sdk"],
    }


def _run_classical(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], base: dict) -> Result:
    from harness.suite.schema import ClassicalSettings

    settings = plan.suite.model.baselines.classical or ClassicalSettings()
    clock = StageClock()
    started = _now()
    with clock.stage("preprocess"):
        problem = plan.workload.build(cp.params, plan.options)
    with clock.stage("execute"):
        t0 = time.perf_counter()
        outcome = plan.workload.classical(problem, settings, np.random.default_rng(seeds["classical"]))
        elapsed = time.perf_counter() - t0
    metrics = {**outcome.metrics, "time_to_solution": _timing(elapsed)}
    lineage = {**base, "tier": "classical", "classical": settings.model_dump(mode="json"),
               "info": dict(outcome.info), "started": started, "finished": _now()}
    return Result(suite=plan.suite.name, case_id=cp.case.case_id, baseline="classical", tier="classical",
                  status="ok", metrics=metrics, timings=clock.seconds, resources={}, lineage=lineage,
                  trace=outcome.trace)


def _run_quantum(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], base: dict, tier: str) -> list[Result]:
    """The simulator result, or the hardware raw and mitigated pair, of one case."""
    from harness.executors import make_device
    from harness.mitigation import mitigate
    from harness.mitigation.raw import execute as mitigate_raw
    from harness.suite.schema import MitigationSettings

    settings = getattr(plan.suite.model.baselines, tier)
    started = _now()
    device = make_device(tier, settings, seed_transpiler=seeds["transpiler"],
                         seed_simulator=seeds["simulator" if tier == "simulator" else "hardware"])
    with device.clock.stage("preprocess"):
        problem = plan.workload.build(cp.params, plan.options)
    t0 = time.perf_counter()
    outcome = plan.workload.quantum(problem, device, np.random.default_rng(seeds["optimizer"]))
    loop_seconds = time.perf_counter() - t0
    ident = dict(suite=plan.suite.name, case_id=cp.case.case_id, tier=tier, status="ok", trace=outcome.trace)
    common = {**base, "tier": tier, "settings": settings.model_dump(mode="json"),
              "quantum": dict(outcome.info), "evaluations": len(outcome.trace)}
    if tier == "simulator":
        with device.clock.stage("postprocess"):
            total = sum(outcome.counts.values())
            metrics = plan.workload.score(problem, {k: v / total for k, v in outcome.counts.items()}, total)
        metrics["time_to_solution"] = _timing(loop_seconds)
        return [Result(**ident, baseline="simulator", metrics=metrics, counts=dict(outcome.counts),
                       timings=dict(device.clock.seconds), resources=device.resources.to_dict(),
                       lineage={**common, "device": device.lineage(), "started": started, "finished": _now()})]

    def score(probs, shots):
        return plan.workload.score(problem, probs, shots)

    loop_timings = dict(device.clock.seconds)
    loop_resources = device.resources.to_dict()
    out = []
    for kind, technique, mitigation in (
        ("hardware.raw", mitigate_raw, MitigationSettings()),
        ("hardware.mitigated", mitigate, settings.mitigation),
    ):
        before = dict(device.clock.seconds)
        m = technique(device, outcome.circuit, outcome.shots, score, mitigation,
                      np.random.default_rng(seeds["mitigation"]))
        spent = {s: loop_timings[s] + device.clock.seconds[s] - before[s] for s in STAGES}
        metrics = {**m.metrics, "time_to_solution": _timing(loop_seconds)}
        details = dict(m.details)
        counts = details.pop("counts", None)
        # The raw result keeps its counts for the distribution test; mitigated values come from
        # several noise-scaled executions and are not a distribution of counts.
        counts = counts if kind == "hardware.raw" and isinstance(counts, dict) else None
        out.append(Result(**ident, baseline=kind, metrics=metrics, counts=counts, timings=spent,
                          resources={**loop_resources, "mitigation": dict(m.resources)},
                          lineage={**common, "device": device.lineage(), "mitigation": mitigation.model_dump(mode="json"),
                                   "mitigation_details": details, "started": started, "finished": _now()}))
    return out


def _failed(plan: SuitePlan, cp: CasePlan, kinds: Iterable[str], tier: str, exc: BaseException, base: dict) -> list[Result]:
    if isinstance(exc, HarnessError):
        message = exc.message
    else:
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {frame.filename}:{frame.lineno}" if frame else ""
        message = f"{type(exc).__name__}: {exc}{where}"
    return [Result(suite=plan.suite.name, case_id=cp.case.case_id, baseline=k, tier=tier, status="failed",
                   lineage={**base, "tier": tier, "finished": _now()}, error=message) for k in kinds]


def run_plans(plans: Iterable[SuitePlan], *, seed: int | None = None, progress: Progress | None = None) -> Run:
    """Execute every case of every plan on each declared baseline kind and return the immutable Run.

    Args:
        plans: validated suites (see :func:`harness.orchestration.plan.plan_suite`).
        seed: overrides each suite's seed (a re-run with other seeds must not raise false alarms).
        progress: see :data:`Progress`.
    """
    plans = list(plans)
    env = environment(".")
    run_id = new_run_id()
    results: list[Result] = []
    total, index = sum(len(p.cases) for p in plans), 0
    for plan in plans:
        kinds = plan.baseline_kinds
        for cp in plan.cases:
            if progress:
                progress(f"{plan.suite.name} {cp.case.case_id}", index, total)
            index += 1
            suite_seed = plan.suite.model.seed if seed is None else seed
            seeds = derive_seeds(suite_seed, cp.case.case_id)
            base = _case_lineage(plan, cp, seeds, env)
            base["seed"] = suite_seed
            if "classical" in kinds:
                try:
                    results.append(_run_classical(plan, cp, seeds, base))
                except Exception as exc:  # recorded, not raised: one bad case must not lose the run
                    results += _failed(plan, cp, ["classical"], "classical", exc, base)
            for tier, tier_kinds in (("simulator", ["simulator"]), ("hardware", ["hardware.raw", "hardware.mitigated"])):
                if tier_kinds[0] not in kinds:
                    continue
                try:
                    results += _run_quantum(plan, cp, seeds, base, tier)
                except Exception as exc:
                    results += _failed(plan, cp, tier_kinds, tier, exc, base)
    suites = {p.suite.name: {"path": str(p.suite.path), "sha256": p.suite.sha256, "workload": p.workload.name,
                             "description": p.suite.model.description, "metrics": p.metric_specs()} for p in plans}
    return Run(run_id=run_id, created=_now(), results=tuple(results), suites=suites, environment=env)
