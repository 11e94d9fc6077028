"""Files that last: run records, journals, the result cache, history and stored baselines (the only layer that touches disk)."""

from harness.store.baselines import DEFAULT_BASELINES_DIR, baseline_path, load_baselines, promote, stored_for
from harness.store.runs import DEFAULT_RUNS_DIR, latest_run, load_run, resolve_run, write_run

__all__ = [
    "DEFAULT_BASELINES_DIR", "DEFAULT_RUNS_DIR", "baseline_path", "latest_run", "load_baselines", "load_run",
    "promote", "resolve_run", "stored_for", "write_run",
]
