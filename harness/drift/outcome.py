"""The one outcome of a gate: computed once from the judged run, rendered by every output.

Exit code, ``summary.md``, the HTML banner, ``verdicts.json``, JUnit, the CLI's line and the
pytest session all read a :class:`GateOutcome`; none of them decides pass or fail on its own,
so they cannot disagree. The rule, first match wins for the code (every reason is listed):

====  ==================  ==============================================================
code  status              when
====  ==================  ==============================================================
3     execution_failed    a result of the run failed to execute (its metrics: ``failed``)
2     invalid             nothing was judged: no result found a stored baseline (wrong
                          ``--baselines`` folder, or never promoted), or the run is empty
1     regression          a gating metric regressed
1     strict              ``strict`` and a result had no baseline, was produced by a
                          fallback tier, or a stored baseline was orphaned (no result of
                          the run exercised it)
0     pass                otherwise
====  ==================  ==============================================================

Code 4 (an internal or environment error: full disk, locked database) is never an outcome: it
comes from the exception that stopped the gate before an outcome existed.

Example:
    >>> from harness.records import Metric, Result, Run
    >>> res = Result("s", "c", "simulator", "simulator", "ok", {"p": Metric(0.5, "proportion", n=100)})
    >>> run = Run("r", "2025-01-01", (res,), {"s": {"metrics": {"p": {"better": "higher"}}}})
    >>> v = Verdict("s", "c", "simulator", "p", "no_baseline", "higher", 0.0)
    >>> out = gate_outcome(run, [v])
    >>> out.code, out.status, out.passed
    (2, 'invalid', False)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from harness.drift.verdict import STATUSES, Verdict
from harness.kinds import stands_in
from harness.records import Result, Run

__all__ = [
    "EXIT_CODES", "EXIT_ENVIRONMENT", "EXIT_EXECUTION", "EXIT_INVALID", "EXIT_OK", "EXIT_REGRESSION",
    "GateOutcome", "RESULT_STATUSES", "as_outcome", "gate_outcome", "is_fallback",
]

EXIT_OK, EXIT_REGRESSION, EXIT_INVALID, EXIT_EXECUTION, EXIT_ENVIRONMENT = 0, 1, 2, 3, 4
EXIT_CODES = {EXIT_OK: "pass", EXIT_REGRESSION: "regression", EXIT_INVALID: "invalid",
              EXIT_EXECUTION: "execution_failed", EXIT_ENVIRONMENT: "environment_error"}
"""Exit code -> the word every output prints for it."""

RESULT_STATUSES = ("failed", "fallback", "regression", "no_baseline", "inconclusive", "improvement", "unchanged")
"""Status of one result, worst first: the worst of its verdicts (``regression`` only when one blocks)."""

Key = tuple[str, str, str]


def is_fallback(result: Result) -> bool:
    """True when another tier produced ``result`` (``hardware`` producing ``hardware.raw`` is the same tier)."""
    return result.tier != result.baseline and stands_in(result.tier, result.baseline)


@dataclass(frozen=True)
class GateOutcome:
    """Everything an output needs to say whether the gate passed and why.

    Attributes:
        run_id: the judged run.
        code: the exit code (see the module table).
        status: the word for ``code`` (``pass``, ``regression``, ``invalid``, ``execution_failed``).
        verdicts: every verdict, in the order given.
        results: status of each result of the run, by (suite, case id, baseline kind).
        counts: verdicts per status, every status present.
        orphaned: stored baselines (suite, case id, kind) that no result of the run exercised.
        strict: whether missing, fallback and orphaned baselines fail the gate.
        reasons: one sentence per cause of a non-zero code, and per warning worth reading
            (missing baselines, fallbacks, orphans when not strict), most severe first.
    """

    run_id: str
    code: int
    verdicts: tuple[Verdict, ...]
    results: Mapping[Key, str]
    counts: Mapping[str, int]
    orphaned: tuple[Key, ...] = ()
    strict: bool = False
    reasons: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return EXIT_CODES[self.code]

    @property
    def passed(self) -> bool:
        return self.code == EXIT_OK

    @property
    def blocking(self) -> tuple[Verdict, ...]:
        """Verdicts that block: gating regressions."""
        return tuple(v for v in self.verdicts if v.gate)

    @property
    def fallbacks(self) -> tuple[Key, ...]:
        return tuple(k for k, s in self.results.items() if s == "fallback")

    @property
    def result_counts(self) -> dict[str, int]:
        c = Counter(self.results.values())
        return {s: c.get(s, 0) for s in RESULT_STATUSES}

    def headline(self) -> str:
        """One line: ``PASS`` or ``FAIL (exit N, status)`` and the first reason (plain text, no markup)."""
        if self.passed:
            extra = f"; {self.reasons[0]}" if self.reasons else ""
            return f"✔ PASS: nothing blocks run {self.run_id}{extra}"
        return f"✖ FAIL (exit {self.code}, {self.status}): {self.reasons[0]}"

    def to_dict(self) -> dict:
        """The machine-readable part (verdicts apart): code, status, passed, reasons, counts, results, orphans."""
        return {
            "exit_code": self.code, "status": self.status, "passed": self.passed, "strict": self.strict,
            "reasons": list(self.reasons), "counts": dict(self.counts), "result_counts": self.result_counts,
            "results": [{"suite": k[0], "case_id": k[1], "baseline": k[2], "status": s} for k, s in self.results.items()],
            "orphaned": [{"suite": k[0], "case_id": k[1], "baseline": k[2]} for k in self.orphaned],
        }


def _result_status(result: Result, verdicts: Sequence[Verdict]) -> str:
    if result.status != "ok":
        return "failed"
    if is_fallback(result):
        return "fallback"
    if any(v.gate for v in verdicts):
        return "regression"
    present = {v.status for v in verdicts}
    for s in ("failed", "no_baseline", "inconclusive", "improvement", "unchanged"):
        if s in present:
            return s
    # no verdict at all (no declared metric), or only report-only regressions
    return "inconclusive" if "regression" in present else "unchanged"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def gate_outcome(run: Run, verdicts: Iterable[Verdict], *, strict: bool = False,
                 orphaned: Iterable[Key] = (), baselines: str | None = None) -> GateOutcome:
    """Decide the gate once: status per result and per metric, counts, the exit code and its reasons.

    Args:
        run: the judged run.
        verdicts: ``compare(run, ...)``'s verdicts.
        strict: missing baselines, fallback results and orphaned baselines fail the gate (code 1).
        orphaned: stored baselines no result of the run exercised (``harness.store.orphaned_baselines``).
        baselines: the folder the baselines were read from, named in the reasons.
    """
    verdicts = tuple(verdicts)
    orphaned = tuple(sorted(set(orphaned)))
    by_result: dict[Key, list[Verdict]] = {}
    for v in verdicts:
        by_result.setdefault((v.suite, v.case_id, v.baseline), []).append(v)
    results = {r.key: _result_status(r, by_result.get(r.key, [])) for r in run.results}
    c = Counter(v.status for v in verdicts)
    counts = {s: c.get(s, 0) for s in STATUSES}
    where = f" in {baselines}" if baselines else ""
    failed = [k for k, s in results.items() if s == "failed"]
    fallbacks = [k for k, s in results.items() if s == "fallback"]
    missing = sorted({(v.suite, v.case_id, v.baseline) for v in verdicts if v.status == "no_baseline"})
    judged = [v for v in verdicts if v.status in ("regression", "improvement", "unchanged", "inconclusive")]
    blocking = [v for v in verdicts if v.gate]
    promote = "review a run and store it: `harness run SUITES && harness baseline promote latest`"

    fatal: list[tuple[int, str]] = []  # (code, reason), in the order of the table
    notes: list[str] = []
    if failed:
        fatal.append((EXIT_EXECUTION, f"{_plural(len(failed), 'result')} failed to execute "
                      f"({', '.join('/'.join(k) for k in failed[:3])}{', ...' if len(failed) > 3 else ''})"))
    if not judged and not failed:
        if not run.results:
            why = "the run has no results: nothing was judged"
        elif fallbacks and not missing:
            why = "every result was produced by a fallback tier: nothing was judged"
        else:
            why = f"no result found a stored baseline{where}: nothing was judged; {promote}"
        fatal.append((EXIT_INVALID, why))
    if blocking:
        fatal.append((EXIT_REGRESSION, f"{_plural(len(blocking), 'gating regression')} "
                      f"({', '.join(f'{v.suite}/{v.case_id} [{v.baseline}] {v.metric}' for v in blocking[:3])}"
                      f"{', ...' if len(blocking) > 3 else ''})"))
    strict_causes = []
    if missing and judged:
        strict_causes.append(f"{_plural(len(missing), 'result')} had no stored baseline{where} ({promote})")
    if fallbacks:
        strict_causes.append(f"{_plural(len(fallbacks), 'result')} produced by a fallback tier, not judged "
                             f"against the tier asked for")
    if orphaned:
        strict_causes.append(f"{_plural(len(orphaned), 'stored baseline')} orphaned: no result of this run "
                             f"exercised them (a renamed or removed suite or case?)")
    for cause in strict_causes:
        if strict:
            fatal.append((EXIT_REGRESSION, f"strict: {cause}"))
        else:
            notes.append(cause)
    code = fatal[0][0] if fatal else EXIT_OK
    # the reason for the code first, then the other causes in table order, then warnings
    reasons = [r for k, r in fatal if k == code] + [r for k, r in fatal if k != code] + notes
    return GateOutcome(run_id=run.run_id, code=code, verdicts=verdicts, results=results, counts=counts,
                       orphaned=orphaned, strict=strict, reasons=tuple(reasons))


def as_outcome(run: Run, judged: "GateOutcome | Iterable[Verdict]") -> GateOutcome:
    """``judged`` itself when it is an outcome; verdicts alone get the non-strict outcome without orphans."""
    return judged if isinstance(judged, GateOutcome) else gate_outcome(run, judged)
