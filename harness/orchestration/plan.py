"""Check a suite against its workload before anything runs, and list what would execute."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import ValidationError

from harness.errors import SuiteError, UnsupportedError
from harness.executors.cirq_device import VENDOR_METRICS
from harness.executors.tier import TierCase, case_lineage
from harness.kinds import (CLASSICAL, GOOGLE_PREFIX, HARDWARE, IBM_PREFIX, PROVIDERS, SIMULATOR, declared_kinds,
                           declared_tiers, is_real_backend, provider_of, tier_kinds)
from harness.lineage import source_sha256
from harness.suite import Case, Suite, expand
from harness.suite.loader import hint_for
from harness.workloads.base import MetricInfo, Workload, WorkloadParams

__all__ = ["COMMON_METRICS", "CasePlan", "SuitePlan", "plan_suite", "plan_without_code", "progress_label"]

COMMON_METRICS = {"time_to_solution": MetricInfo("timing", "wall time of the solve or the hybrid loop", "s")}
"""Metrics every result carries, whatever the workload: the runner measures them."""
CROSS_CHECK_METRICS = {name: MetricInfo(kind, text) for name, (kind, text) in VENDOR_METRICS.items()}
"""Metrics only the simulator result carries, when ``baselines.simulator.cross_check`` names a second vendor."""


@dataclass(frozen=True)
class CasePlan:
    case: Case
    params: WorkloadParams


@dataclass(frozen=True)
class SuitePlan:
    """A suite bound to its workload, with every case's parameters validated."""

    suite: Suite
    workload: Workload
    options: WorkloadParams
    cases: tuple[CasePlan, ...]

    @property
    def baseline_kinds(self) -> tuple[str, ...]:
        return declared_kinds(self.suite.model.baselines)

    @property
    def tier_groups(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The (tier, baseline kinds) groups a case runs, in run order."""
        b = self.suite.model.baselines
        return tuple((t, tier_kinds(t, getattr(b, t))) for t in declared_tiers(b))

    def tier_case(self, cp: CasePlan, seeds: Mapping[str, int], env: Mapping[str, Any] | None, *,
                  seed: int | None = None) -> TierCase:
        """Case ``cp`` as a tier runs it, with ``seeds``; its lineage records ``env`` (None: no lineage)
        and ``seed`` as the suite seed (None: the suite's own)."""
        s = self.suite
        lineage = {} if env is None else case_lineage(
            suite_file=str(s.path), suite_sha256=s.sha256, workload=self.workload.name, params=cp.params,
            options=self.options, seed=s.model.seed if seed is None else seed, seeds=seeds, env=env)
        if env is not None:  # the workload's own code, bundled or custom, inside a git repository or not
            lineage["workload_sha256"] = source_sha256(self.workload)
        return TierCase(suite=s.name, case_id=cp.case.case_id, workload=self.workload, params=cp.params,
                        options=self.options, seeds=seeds, lineage=lineage)

    def metric_specs(self) -> dict[str, dict[str, Any]]:
        """What drift needs to know of each declared metric (JSON-able, kept in the run record)."""
        specs = {}
        for name, spec in self.suite.model.metrics.items():
            info = {**CROSS_CHECK_METRICS, **COMMON_METRICS, **self.workload.metrics}[name]
            specs[name] = {**spec.model_dump(), "kind": info.kind, "unit": info.unit}
            if name in CROSS_CHECK_METRICS and name not in self.workload.metrics:
                specs[name]["kinds"] = [SIMULATOR]  # judged on the simulator result only (drift skips the others)
        return specs


def progress_label(plan: SuitePlan, cp: CasePlan, done: "Mapping[tuple[str, str, str], object] | None") -> str:
    """A case's progress label; one a resumed journal (``done``) holds whole says it is not run again."""
    label = f"{plan.suite.name} {cp.case.case_id}"
    keys = [(plan.suite.name, cp.case.case_id, k) for _, group in plan.tier_groups for k in group]
    if done and all(k in done for k in keys):
        label += " (from the journal, not run again)"
    return label


def _validation_message(exc: ValidationError) -> tuple[tuple, str]:
    first = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return tuple(first["loc"]), first["msg"] + more


def _check_numbers(suite: Suite, case: Case, params: WorkloadParams) -> None:
    """Refuse a whole number written otherwise (``2.0``, ``"02"``, ``true``) at its line, and a boolean for a number.

    The workload would read ``2.0`` as 2, but the case id is spelled as written (``n=2.0``), so one
    case would have two ids, and two stored baselines.
    """
    for key, raw in case.params.items():
        value = getattr(params, key, None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        whole = isinstance(value, int)
        if isinstance(raw, bool):
            problem, hint = f"not {str(raw).lower()}", f"write {'a whole number' if whole else 'a number'}"
        elif whole and str(raw) != str(value):
            problem = f"not {raw!r} ({type(raw).__name__})"
            hint = (f"write {value}{' without quotes' if isinstance(raw, str) else ''}: the case id is spelled "
                    f"as written, so {key}={raw} and {key}={value} would be two cases")
        else:
            continue
        index = next((i for i, v in enumerate(suite.model.matrix.get(key) or ()) if v is raw), None)
        raise suite.error(("matrix", key) + ((index,) if index is not None else ()),
                          f"{key} must be {'a whole number' if whole else 'a number'}, "
                          f"{problem}", hint=hint)


class _NotImported:
    """Stands in for a custom workload that ``--dry-run`` must not import: a name, and nothing to run."""

    metrics: dict = {}

    def __init__(self, spec: str, source: str):
        self.name = spec
        self.source = source


def plan_without_code(suite: Suite) -> SuitePlan:
    """A plan of a custom-workload suite that imports nothing: its cases with the matrix values as given.

    What ``--dry-run`` estimates from (one circuit of ``shots`` per case, as for any workload
    without an estimate); the workload's own checks wait for a real run.

    Raises:
        SuiteError: the module is malformed or cannot be found where loading is allowed.
    """
    from types import SimpleNamespace

    from harness.workloads.custom import module_source

    try:
        source = module_source(suite.model.workload, suite.path.parent)
    except UnsupportedError as exc:
        raise suite.error(("workload",), exc.message, hint=exc.hint) from None
    cases = tuple(CasePlan(case=c, params=SimpleNamespace(**c.params)) for c in expand(suite))  # type: ignore[arg-type]
    return SuitePlan(suite=suite, workload=_NotImported(suite.model.workload, source),  # type: ignore[arg-type]
                     options=SimpleNamespace(**suite.model.options), cases=cases)  # type: ignore[arg-type]


def _check_width(suite: Suite, workload: Workload, options: WorkloadParams, cases: list[CasePlan]) -> None:
    """Refuse a case wider than every fake backend it may run on, naming backends that would fit."""
    hardware = suite.model.baselines.hardware
    qubits = getattr(workload, "qubits", None)
    if hardware is None or not callable(qubits):
        return
    single = isinstance(hardware.backend, str)
    candidates = [hardware.backend] if single else list(hardware.backend)
    if any(c.startswith(IBM_PREFIX) for c in candidates):
        return  # a real backend's width is known only to the service
    if single and provider_of(hardware.backend) == PROVIDERS[GOOGLE_PREFIX]:
        from harness.executors.google_device import MAX_QUBITS

        for cp in cases:
            need = qubits(cp.params, options)
            if need is not None and need > MAX_QUBITS:
                raise suite.error(("baselines", HARDWARE, "backend"),
                                  f"case {cp.case.case_id} needs {need} qubits; {hardware.backend} is a "
                                  f"density-matrix simulation of at most {MAX_QUBITS}",
                                  hint=f"make the case narrower (at most {MAX_QUBITS} qubits), or use an IBM fake "
                                       "backend (simulation: stabilizer for Clifford circuits)")
        return
    from harness.executors import backend_width, backend_widths

    widths = {c: backend_width(c) for c in candidates}
    for cp in cases:
        need = qubits(cp.params, options)
        if need is None or any((widths.get(c) or need) >= need for c in candidates):
            continue
        fits = sorted((w, n) for n, w in backend_widths().items() if w >= need)[:4]
        have = ", ".join(f"{c} has {widths.get(c)}" for c in candidates)
        raise suite.error(("baselines", HARDWARE, "backend"),
                          f"case {cp.case.case_id} needs {need} qubits; {have}",
                          hint=(f"use a backend with at least {need} qubits, e.g. "
                                + ", ".join(f"{n} ({w})" for w, n in fits)) if fits
                          else f"no fake backend has {need} qubits: make the case narrower")


def _check_google(suite: Suite, backend: str) -> None:
    """Refuse a ``google:<processor>`` cirq-google ships no calibration for. Without cirq-google (a core
    dependency, but an environment may lack it) the name is not checked: the hardware tier fails with the fix when it runs, and
    the suite's other tiers and the other suites still run."""
    from harness.executors.google_device import google_processors
    from harness.kinds import backend_name

    try:
        known = google_processors()
    except UnsupportedError:
        return
    if backend_name(backend) not in known:
        raise suite.error(("baselines", HARDWARE, "backend"), f"unknown Google processor {backend!r}",
                          hint="cirq-google ships calibrations for " + ", ".join(GOOGLE_PREFIX + k for k in known))


def plan_suite(suite: Suite, *, check_width: bool = True) -> SuitePlan:
    """Bind ``suite`` to its workload and validate options, metrics, solvers and every case.

    With ``check_width``, a case wider than its fake backend (every candidate) is refused here,
    naming backends that would fit, not found when it runs.

    Raises:
        SuiteError: naming the file and line of the offending entry and the fix.
    """
    from harness.workloads import WORKLOADS, get_workload

    model = suite.model
    try:
        # a custom workload (module:Class) is looked for next to the suite file first
        workload = get_workload(model.workload, base_dir=suite.path.parent)
    except UnsupportedError as exc:
        hint = exc.hint if ":" in model.workload else f"use one of: {', '.join(sorted(WORKLOADS))}, or module:Class"
        raise suite.error(("workload",), exc.message, hint=hint) from None
    try:
        options = workload.Options.model_validate(model.options)
    except ValidationError as exc:
        loc, msg = _validation_message(exc)
        first = exc.errors()[0]
        names = ", ".join(workload.Options.model_fields)
        if first["type"] != "extra_forbidden":
            hint = f"{hint_for(first)}; see the {workload.name} options in README.md"
        else:
            hint = (f"remove the key, or check its spelling: the {workload.name} options are {names}" if names
                    else f"remove the key: workload {workload.name!r} takes no options")
        raise suite.error(("options", *loc), msg, hint=hint) from None
    available = {**workload.metrics, **COMMON_METRICS}
    simulator = model.baselines.simulator
    for name in model.metrics:
        if name in CROSS_CHECK_METRICS and name not in available:
            if simulator is None or simulator.cross_check is None:
                raise suite.error(("metrics", name), f"metric {name!r} comes from the simulator's cross-check, "
                                  "which this suite does not run",
                                  hint="set baselines.simulator.cross_check: cirq, or remove the metric")
            continue
        if name not in available:
            raise suite.error(("metrics", name), f"workload {workload.name!r} has no metric {name!r}",
                              hint=f"use one of: {', '.join(available)}")
    classical = model.baselines.classical
    if classical and classical.solvers:
        for i, solver in enumerate(classical.solvers):
            if solver not in workload.solvers:
                raise suite.error(("baselines", CLASSICAL, "solvers", i), f"unknown solver {solver!r}",
                                  hint=f"use one of: {', '.join(workload.solvers)}")
    hardware = model.baselines.hardware
    candidates = [] if hardware is None else (
        [hardware.backend] if isinstance(hardware.backend, str) else list(hardware.backend))
    for i, backend in enumerate(c for c in candidates if not is_real_backend(c)):
        from harness.executors import known_backends

        if provider_of(backend) == PROVIDERS[GOOGLE_PREFIX]:
            _check_google(suite, backend)
            continue
        known = known_backends()
        if backend not in known:
            import difflib

            close = difflib.get_close_matches(backend, known, n=3) or known[:5]
            where = ("baselines", HARDWARE, "backend") + ((i,) if isinstance(hardware.backend, list) else ())
            raise suite.error(where, f"unknown backend {backend!r}",
                              hint=f"use a fake backend such as {', '.join(close)}, or {IBM_PREFIX}<name> for real hardware")
    cases = []
    for case in expand(suite):
        try:
            params = workload.Params.model_validate(dict(case.params))
        except ValidationError as exc:
            loc, msg = _validation_message(exc)
            key = loc[0] if loc and loc[0] in model.matrix else None
            if key is None:
                raise suite.error(("matrix",), f"case {case.case_id}: {msg}",
                                  hint=f"the {workload.name} matrix takes: {', '.join(workload.Params.model_fields)}") from None
            index = next(i for i, v in enumerate(model.matrix[key]) if v is case.params[key] or v == case.params[key])
            first = exc.errors()[0]
            if isinstance(first.get("input"), bool) and not loc[1:] and "ctx" in first:  # true read as 1, then bounded
                raise suite.error(("matrix", key, index), f"{key} must be a number, not {str(first['input']).lower()}",
                                  hint=f"write a number, not true or false: {hint_for(first)}") from None
            raise suite.error(("matrix", key, index, *loc[1:]), msg, hint=hint_for(first)) from None
        except SuiteError:
            raise
        _check_numbers(suite, case, params)
        cases.append(CasePlan(case=case, params=params))
    if check_width:
        _check_width(suite, workload, options, cases)
    return SuitePlan(suite=suite, workload=workload, options=options, cases=tuple(cases))
