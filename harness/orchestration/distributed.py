"""Scale-out: the cases of a run as independent tasks on a ``concurrent.futures`` executor, e.g. Dask.

A case (all its tier groups) is the unit of work: its seeds derive from the suite seed and the
case id alone (:func:`harness.lineage.derive_seeds`), so where and in which order cases run does
not change a number; results come back in the serial order. :func:`dask_executor` gives the
executor for a local cluster of N worker processes or for an existing scheduler.

What stays with the process that started the run, and what is per worker:

- journal and resume: only this process writes the journal. A case's groups are journaled when
  the case comes back, so an interruption loses the cases in flight, which run again on resume.
- budget: this process keeps the run's meter. Seconds: every task sees the run's start as a wall
  clock time, so a case that starts after the budget is spent is cancelled, as in a serial run.
  Shots and circuits: a case in flight holds a reservation, an even share of what is neither
  spent nor reserved, and cannot spend more; its actual spend is charged when it returns. The
  run never overspends, but with N cases in flight a case may fall back where a serial run, which
  hands all that remains to the one running case, would not.
- cache: each worker opens the cache folder itself (entries are written atomically and keyed by
  content, so workers sharing a filesystem share the cache; others keep their own).
- budget messages on a worker count what other cases in flight hold as spent.
- timings: a worker's first case of a tier pays that process's first-use costs (about 0.25 s for
  a fake backend here), as the first case of a serial run does; with N workers, N cases carry it.
  The SDKs are imported on every worker before any case (:func:`dask_executor`), so no timing
  carries an import. For timings with real repeats, see :mod:`harness.drift.benchmark_json`.
- progress is reported when a case is submitted, not when it starts.
- workers must import ``harness`` and the SDKs; a custom workload (``module:Class`` next to a
  suite) is sent by value, so workers need not see the suite folder.
"""

from __future__ import annotations

import concurrent.futures as cf
import pickle
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from harness.errors import HarnessError, UnsupportedError
from harness.orchestration.plan import progress_label
from harness.records import Result

if TYPE_CHECKING:
    from harness.store.journal import Journal
    from harness.orchestration.plan import CasePlan, SuitePlan
    from harness.orchestration.tiers import Execution

__all__ = ["ScaleOut", "dask_executor", "map_cases", "run_case_task"]


@dataclass(frozen=True)
class _Share:
    """What one task may spend: its reservation of shots and circuits, and the run's wall-clock start."""

    shots: int | None
    circuits: int | None
    started_epoch: float | None


CaseFunction = Callable[..., "list[Result]"]
"""``case_fn(plan, cp, *, seed, env, execution, done) -> results``: every tier group of one case
(:func:`harness.orchestration.runner.run_case`). It is sent to the workers, so it must pickle
(a module-level function does)."""


def run_case_task(case_fn: CaseFunction, plan: "SuitePlan", cp: "CasePlan", seed: int | None, env: dict[str, Any],
                  execution: "Execution", done: dict, share: _Share | None) -> tuple[list[Result], tuple[int, int]]:
    """One case on a worker: its results and the (shots, circuits) it spent. Runs in the worker."""
    from harness.orchestration.budget import BudgetMeter

    meter = None
    if share is not None:
        budget = execution.meter.budget
        # the worker's monotonic clock is its own: rebase the run's start on the wall clock
        started = time.monotonic() - (time.time() - share.started_epoch) if share.started_epoch else time.monotonic()
        # what the case may not spend counts as spent, so budget messages quote the run's numbers
        meter = BudgetMeter(budget, shots=0 if share.shots is None else budget.shots - share.shots,
                            circuits=0 if share.circuits is None else budget.circuits - share.circuits,
                            started=started)
        before = (meter.shots, meter.circuits)
    results = case_fn(plan, cp, seed=seed, env=env, execution=replace(execution, meter=meter), done=done)
    spent = (meter.shots - before[0], meter.circuits - before[1]) if meter is not None else (0, 0)
    return results, spent


def _send_custom_workloads_by_value(cases: Sequence[tuple["SuitePlan", "CasePlan"]]) -> None:
    """A workload loaded from a file next to its suite has no importable module: pickle it by value."""
    try:
        import cloudpickle  # comes with dask.distributed, which pickles tasks with it
    except ImportError:
        return

    for plan in {id(p): p for p, _ in cases}.values():
        try:
            pickle.dumps(plan.workload)
        except Exception:  # not importable by name on a worker
            module = sys.modules.get(type(plan.workload).__module__)
            if module is not None:
                cloudpickle.register_pickle_by_value(module)


class _Reservations:
    """The run meter's view of the cases in flight (see the module docstring)."""

    def __init__(self, execution: "Execution"):
        self.meter = execution.meter
        self.held = [0, 0]
        self.epoch = time.time() - self.meter.elapsed if self.meter is not None else None

    def take(self, ways: int) -> _Share | None:
        if self.meter is None:
            return None
        b, m = self.meter.budget, self.meter

        def part(limit: int | None, spent: int, held: int) -> int | None:
            return None if limit is None else max(0, (limit - spent - held) // ways)

        share = _Share(part(b.shots, m.shots, self.held[0]), part(b.circuits, m.circuits, self.held[1]),
                       self.epoch if b.seconds is not None else None)
        self.held[0] += share.shots or 0
        self.held[1] += share.circuits or 0
        return share

    def settle(self, share: _Share | None, spent: tuple[int, int]) -> None:
        if share is None:
            return
        self.held[0] -= share.shots or 0
        self.held[1] -= share.circuits or 0
        self.meter.shots += spent[0]
        self.meter.circuits += spent[1]


def _lost(plan: "SuitePlan", cp: "CasePlan", exc: BaseException, seed: int | None, env: dict) -> list[Result]:
    """Failed results for a case whose task never returned (a worker died, the task could not be sent)."""
    from harness.lineage import derive_seeds

    base = plan.tier_case(cp, derive_seeds(plan.suite.model.seed if seed is None else seed,
                                           cp.case.case_id), env).lineage
    message = (f"the task of this case did not come back from its worker ({type(exc).__name__}: {exc}); "
               "check the workers' logs, then resume the run")
    return [Result(suite=plan.suite.name, case_id=cp.case.case_id, baseline=k, tier=tier, status="failed",
                   lineage={**base, "tier": tier}, error=message)
            for tier, group in plan.tier_groups for k in group]


def map_cases(cases: Sequence[tuple["SuitePlan", "CasePlan"]], case_fn: CaseFunction, executor: cf.Executor, *,
              slots: int, seed: int | None, env: dict[str, Any], execution: "Execution",
              journal: "Journal | None" = None,
              progress: Callable[[str, int, int], None] | None = None) -> list[list[Result]]:
    """Run ``case_fn`` on each case as one task on ``executor``, at most ``slots`` at once; results in case order.

    Called by :func:`harness.orchestration.runner.run_plans` (with its ``run_case``) when it is given
    an executor.
    """
    _send_custom_workloads_by_value(cases)
    reservations = _Reservations(execution)
    out: list[list[Result] | None] = [None] * len(cases)
    pending: dict[cf.Future, tuple[int, _Share | None]] = {}
    index = 0
    while index < len(cases) or pending:
        while index < len(cases) and len(pending) < slots:
            plan, cp = cases[index]
            if progress:
                progress(progress_label(plan, cp, journal.done if journal is not None else None), index, len(cases))
            done = {} if journal is None else {k: r for k, r in journal.done.items()
                                                if k[:2] == (plan.suite.name, cp.case.case_id)}
            share = reservations.take(min(slots - len(pending), len(cases) - index))
            future = executor.submit(run_case_task, case_fn, plan, cp, seed, env, execution, done, share)
            pending[future] = (index, share)
            index += 1
        finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for future in sorted(finished, key=lambda f: pending[f][0]):
            i, share = pending.pop(future)
            plan, cp = cases[i]
            try:
                results, spent = future.result()
            except Exception as exc:  # the worker, not the case, failed: the case is recorded as failed
                results, spent = _lost(plan, cp, exc, seed, env), (0, 0)
            reservations.settle(share, spent)
            if journal is not None:
                fresh = [r for r in results if r.key not in journal.done]
                for _, group in plan.tier_groups:
                    part = [r for r in fresh if r.baseline in group]
                    if part:
                        journal.append(part)
            out[i] = results
    return [r for r in out if r is not None]


_PRELOAD = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "qiskit_ibm_runtime.fake_provider", "mitiq.zne",
            "scipy.stats", "harness.orchestration.runner", "harness.executors.aer", "harness.executors.runtime",
            "harness.mitigation")


def _preload() -> list[str]:
    """Import the SDKs on a worker before its first case: seconds of imports, paid at start-up
    rather than inside the first case's stages; returns the modules that are not installed."""
    import importlib

    missing = []
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)  # an SDK the cases may not need; a case that does will say so
    return missing


@dataclass(frozen=True)
class ScaleOut:
    """An open executor for :func:`~harness.orchestration.runner.run_plans` and what it is.

    ``client`` is the ``distributed.Client`` behind it (e.g. ``client.run(fn)`` on every worker).
    """

    executor: cf.Executor
    slots: int
    info: dict[str, Any]
    client: Any = None


@contextmanager
def dask_executor(*, workers: int | None = None, scheduler: str | None = None,
                  timeout: float = 30.0) -> Iterator[ScaleOut]:
    """A Dask executor: a local cluster of ``workers`` processes (one thread each), or ``scheduler``.

    Example:
        >>> with dask_executor(workers=2) as out:                                   # doctest: +SKIP
        ...     run = run_plans(plans, executor=out.executor, slots=out.slots)

    Args:
        workers: start a local cluster of this many single-threaded worker processes.
        scheduler: the address of a running scheduler (``tcp://host:8786``); its workers' threads
            are the slots. Start workers with ``--nthreads 1``: the simulators use the cores.
        timeout: seconds to wait for the scheduler and for at least one worker.

    Raises:
        UnsupportedError: dask.distributed is not installed, or neither/both of the options given.
        HarnessError: the scheduler cannot be reached or has no workers.
    """
    if (workers is None) == (scheduler is None):
        raise UnsupportedError("scale-out needs either a number of workers or a scheduler address, not both",
                               hint="pass --workers N for a local cluster, or --scheduler tcp://HOST:PORT")
    if workers is not None and workers < 1:
        raise UnsupportedError(f"--workers {workers}: need at least one worker", hint="pass --workers 2 or more")
    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError:
        raise UnsupportedError("scale-out needs dask.distributed, which is not installed",
                               hint='pip install "dask[distributed]"') from None
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
            client = Client(cluster, timeout=timeout)
        else:
            client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise HarnessError(f"cannot reach the Dask scheduler at {scheduler or 'the local cluster'}: {exc}",
                           hint="start it (`dask scheduler`, then `dask worker ADDRESS --nthreads 1`) "
                                "or check the address") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise HarnessError(f"the Dask scheduler at {scheduler} has no workers after {timeout:g} s",
                               hint="start workers: `dask worker ADDRESS --nthreads 1`") from None
        client.run(_preload)
        threads = client.nthreads()
        info = {"executor": "dask", "scheduler": client.scheduler.address if scheduler is None else scheduler,
                "workers": len(threads), "slots": sum(threads.values()), "local": scheduler is None}
        # pure=False: every case is its own task, even when two submissions look alike
        yield ScaleOut(client.get_executor(pure=False), sum(threads.values()), info, client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
