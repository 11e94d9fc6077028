"""Scale-out: the speed-up of 2 Dask workers over 1 on independent cases (target >= 1.8x on 2 cores).

The cases are mirror circuits of widths 2 to 5 and depths 4 and 8 (eight by default) on the
classical, ideal-simulator and fake_manila tiers, with readout-corrected ZNE: CPU-bound work that
runs one case per task (:mod:`harness.orchestration.distributed`). Both configurations are local
clusters of single-threaded worker processes whose SDKs are imported before the clock starts (a
nightly cluster's steady state); cluster start-up is printed apart. Rounds are interleaved
(serial, 1 worker, 2 workers, again) and the best of each is kept. The threads inside a case
(Rayon in the transpiler, OpenMP in Aer) are pinned to one, so "1 worker" means one core, and a
serial in-process run with the same setting is printed for reference. The script checks that
every configuration returns the same results as the serial run (metrics other than timings,
counts, statuses, in the same order).

Other processes on the machine slow both configurations unevenly: run it on an idle machine.

Usage::

    .venv/bin/python benchmarks/scale_out.py [--cases 8] [--rounds 3] [--shots 4000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

# one core per worker: set before qiskit/aer load here and inherited by the worker processes
for _var in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__all__ = ["comparable", "main", "write_suite"]

TARGET = 1.8

SUITE = """\
suite: scale-out
workload: mirror
seed: 3
matrix:
  width: {widths}
  depth: {depths}
  circuit_seed: {seeds}
  shots: [{shots}]
baselines:
  classical: {{}}
  simulator: {{engine: aer}}
  hardware:
    backend: fake_manila
    optimization_level: 1
    mitigation:
      readout: true
      zne: {{scale_factors: [1, 3], extrapolation: linear, folding: global}}
metrics:
  success_probability: {{better: higher, tolerance: 0.03}}
"""


def write_suite(folder: Path, cases: int, shots: int) -> Path:
    """A mirror suite of ``cases`` cases (a multiple of 8: widths 2-5 x depths 4, 8 x circuit seeds)."""
    seeds = list(range(max(1, cases // 8)))
    path = folder / "scale-out.yaml"
    path.write_text(SUITE.format(widths=[2, 3, 4, 5], depths=[4, 8], seeds=seeds, shots=shots))
    return path


def comparable(run) -> list:
    """What must equal between two runs of the same seeds: keys, statuses, non-timing metrics, counts."""
    return [(r.key, r.status, r.error, {k: m.to_dict() for k, m in r.metrics.items() if m.kind != "timing"},
             r.counts) for r in run.results]


def _warm() -> None:
    """Import what a case needs here, as :func:`dask_executor` does on its workers, before any clock starts."""
    import harness.executors.runtime  # noqa: F401
    import harness.mitigation.zne  # noqa: F401
    import harness.workloads.mirror  # noqa: F401
    import qiskit_aer  # noqa: F401
    import qiskit_ibm_runtime.fake_provider  # noqa: F401


def _timed(plans, **kw) -> tuple[float, object]:
    from harness.orchestration.runner import run_plans

    t0 = time.perf_counter()
    run = run_plans(plans, **kw)
    return time.perf_counter() - t0, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=8, help="independent cases (multiple of 8)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per configuration; the best is kept")
    parser.add_argument("--shots", type=int, default=4000)
    args = parser.parse_args(argv)

    from harness.commands import plan_suites
    from harness.orchestration.distributed import dask_executor

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        plans = plan_suites([write_suite(Path(tmp), args.cases, args.shots)])
        n = sum(len(p.cases) for p in plans)
        _warm()
        clusters, starts = {}, {}
        for workers in (1, 2):  # both stay up; idle workers cost nothing
            t0 = time.perf_counter()
            clusters[workers] = stack.enter_context(dask_executor(workers=workers))
            starts[workers] = time.perf_counter() - t0
        times = {"serial": [], 1: [], 2: []}
        serial = None
        for _ in range(args.rounds):  # interleaved, so a change in the machine's load hits every configuration
            seconds, serial = _timed(plans)
            times["serial"].append(seconds)
            for workers, out in clusters.items():
                seconds, run = _timed(plans, executor=out.executor, slots=out.slots)
                times[workers].append(seconds)
                if comparable(run) != comparable(serial):
                    print(f"FAIL: {workers} worker(s) returned results that differ from the serial run",
                          file=sys.stderr)
                    return 1
    times = {k: min(v) for k, v in times.items()}
    speedup = times[1] / times[2]
    print(f"{n} independent cases ({n * 4} results), {os.cpu_count()} cores, best of {args.rounds}")
    print(f"  serial, in process : {times['serial']:7.2f} s")
    for w in (1, 2):
        print(f"  {w} Dask worker{'s' if w > 1 else ' '}     : {times[w]:7.2f} s   (cluster start-up and imports "
              f"{starts[w]:.1f} s, not counted)")
    print(f"speed-up of 2 workers over 1: {speedup:.2f}x (target >= {TARGET}x); results identical to the serial run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
