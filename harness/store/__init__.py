"""Files that last: run records, journals, the result cache, history and stored baselines (the only layer that touches disk)."""

from harness.store.baselines import DEFAULT_BASELINES_DIR, baseline_path, load_baselines, migrate, promote, stored_for
from harness.store.git_state import uncommitted_baselines
from harness.store.runs import DEFAULT_RUNS_DIR, latest_run, load_run, resolve_run, write_run

__all__ = [
    "DEFAULT_BASELINES_DIR", "DEFAULT_RUNS_DIR", "baseline_path", "latest_run", "load_baselines", "load_run",
    "migrate", "promote", "resolve_run", "stored_for", "uncommitted_baselines", "write_run",
]
