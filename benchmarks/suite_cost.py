"""What each bundled suite costs the gate: ``harness gate <suite> --no-cache`` as a whole process.

Each suite runs in a fresh process against its stored baselines (so imports are paid per suite;
the bundled gate pays them once, so the sum over suites overstates it by the start-up of each).
Wall seconds, CPU seconds of the process (user + system, from ``resource.getrusage`` of the
child) and the exit code are printed, one line a suite, then the totals and the machine's load
average: on a shared machine wall time is pessimistic and CPU time is the figure to compare.

Usage::

    .venv/bin/python benchmarks/suite_cost.py [SUITE.yaml ...]   # default: every suite in suites/
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cost(suite: Path, runs_dir: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of one ``harness gate SUITE --no-cache`` process, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "harness.cli", "gate", str(suite), "--no-cache",
                           "--runs-dir", str(runs_dir), "--out", str(runs_dir / "reports")],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main(argv: list[str]) -> int:
    suites = [Path(a) for a in argv] or sorted((ROOT / "suites").glob("*.yaml"))
    print(f"{'suite':24s} {'wall s':>8s} {'cpu s':>8s} {'exit':>5s}")
    total_wall = total_cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="suite-cost-") as tmp:
        for suite in suites:
            wall, cpu, code = cost(suite, Path(tmp) / suite.stem)
            total_wall += wall
            total_cpu += cpu
            print(f"{suite.stem:24s} {wall:8.1f} {cpu:8.1f} {code:5d}", flush=True)
    print(f"{'total':24s} {total_wall:8.1f} {total_cpu:8.1f}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
