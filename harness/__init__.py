"""qharness: benchmark and regression-test hybrid quantum-classical workflows.

The public API, readable in one screen (everything else is internal)::

    from harness import load_suite, run_suites, compare, write_reports, gate

    run = run_suites(["suites/ghz.yaml"])                     # a Run: every case x baseline kind
    verdicts = compare(run, stored_baselines)                 # one Verdict per metric
    outcome = gate(["suites/"], baselines_dir=Path("baselines"), runs_dir=Path(".runs"),
                   out_dir=Path("reports"))                    # the nightly command; outcome.code is the exit code

Names are imported on first use, so ``import harness`` loads no quantum SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "BaselineError": "harness.errors",
    "ExecutionError": "harness.errors",
    "HarnessError": "harness.errors",
    "Metric": "harness.records",
    "Result": "harness.records",
    "Run": "harness.records",
    "SuiteError": "harness.errors",
    "UnsupportedError": "harness.errors",
    "Verdict": "harness.drift.verdict",
    "Workload": "harness.workloads.base",
    "compare": "harness.drift",
    "gate": "harness.commands",
    "load_run": "harness.store",
    "load_suite": "harness.suite",
    "load_suites": "harness.suite",
    "promote": "harness.store",
    "run_suites": "harness.commands",
    "write_reports": "harness.report",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
