"""The executor owns a tier (harness.executors.tier); devices declare their capabilities; the
distributed map takes the case function it runs."""

from __future__ import annotations

import concurrent.futures as cf

import pytest

from harness.executors.base import (
    Closeable,
    JobTimeout,
    PhysicalCircuits,
    ReadoutCalibrated,
    ResultCaching,
    supports,
)
from harness.executors.tier import run_tier
from harness.kinds import CLASSICAL, HARDWARE, HARDWARE_MITIGATED, HARDWARE_RAW, SIMULATOR
from harness.lineage import derive_seeds, environment
from harness.orchestration.distributed import map_cases
from harness.orchestration.jobs import Job
from harness.orchestration.guard import GuardedDevice
from harness.orchestration.retry import RetryPolicy
from harness.orchestration.runner import run_plans
from harness.orchestration.tiers import Execution

from .conftest import GHZ_SUITE, write_plan


class _Closes:
    def __init__(self):
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class _Plain:
    name = "plain"


def test_capabilities_are_declared_not_probed_by_name():
    assert supports(_Closes(), Closeable)
    assert not supports(_Plain(), Closeable)
    assert not supports(_Plain(), ReadoutCalibrated)
    # a device behind the run's guard offers what the device offers, no more
    job = Job("j", tier=SIMULATOR)
    assert supports(GuardedDevice(_Closes(), job, RetryPolicy()), Closeable)
    assert not supports(GuardedDevice(_Plain(), job, RetryPolicy()), Closeable)


def test_the_bundled_devices_declare_what_they_offer():
    from harness.executors.aer import AerDevice
    from harness.executors.runtime import RuntimeDevice

    aer = AerDevice(method="automatic", seed_simulator=1)
    fake = RuntimeDevice("fake_manila", seed_transpiler=1, seed_simulator=2)
    assert [supports(aer, c) for c in (Closeable, JobTimeout, ResultCaching, ReadoutCalibrated, PhysicalCircuits)] \
        == [False, True, True, False, True]
    assert all(supports(fake, c) for c in (Closeable, JobTimeout, ResultCaching, ReadoutCalibrated, PhysicalCircuits))


def _case(plan, env=None):
    cp = plan.cases[0]
    return plan.tier_case(cp, derive_seeds(plan.suite.model.seed, cp.case.case_id), env or environment("."))


def test_run_tier_gives_what_the_runner_records(tmp_path):
    plan = write_plan(tmp_path)
    case = _case(plan)
    ran = {r.baseline: r for tier in (CLASSICAL, SIMULATOR, HARDWARE)
           for r in run_tier(case, tier, getattr(plan.suite.model.baselines, tier)).results}
    assert list(ran) == [CLASSICAL, SIMULATOR, HARDWARE_RAW, HARDWARE_MITIGATED]
    recorded = {r.baseline: r for r in run_plans([plan]).results}
    for kind, r in ran.items():
        assert r.status == "ok"
        assert r.metrics["success_probability"] == recorded[kind].metrics["success_probability"], kind
        assert r.counts == recorded[kind].counts
    # raw scores the loop's own final execution; mitigated ran the readout correction of it
    assert ran[HARDWARE_RAW].lineage["mitigation_details"]["reused_counts"] is True
    assert ran[HARDWARE_MITIGATED].lineage["mitigation"]["readout"] is True
    assert ran[HARDWARE_MITIGATED].counts is None


def test_a_closeable_device_is_closed_even_when_the_loop_fails(tmp_path):
    from harness.executors import make_device

    plan = write_plan(tmp_path)
    made = []

    class Breaks(_Closes):
        """The real device's clock and API, a close() to count, and a loop that fails mid-way."""

        def __init__(self, device):
            super().__init__()
            self._device = device

        def __getattr__(self, name):
            return getattr(self._device, name)

        def sample(self, *a, **k):
            raise RuntimeError("device lost")

    def factory(tier, settings, **seeds):
        made.append(Breaks(make_device(tier, settings, **seeds)))
        return made[-1]

    with pytest.raises(RuntimeError, match="device lost"):
        run_tier(_case(plan), SIMULATOR, plan.suite.model.baselines.simulator, factory=factory)
    assert [d.closed for d in made] == [1]


def _canned(plan, cp, *, seed, env, execution, done):
    """A case function for map_cases: one classical result per case, or a failure for case n=4."""
    if cp.case.params["n"] == 4:
        raise ConnectionError("worker lost")
    case = plan.tier_case(cp, derive_seeds(plan.suite.model.seed, cp.case.case_id), env)
    return run_tier(case, CLASSICAL, None).results


def test_map_cases_runs_the_case_function_it_is_given(tmp_path):
    plan = write_plan(tmp_path, GHZ_SUITE.replace("n: [3]", "n: [3, 4, 5]"))
    cases = [(plan, cp) for cp in plan.cases]
    with cf.ThreadPoolExecutor(2) as pool:
        out = map_cases(cases, _canned, pool, slots=2, seed=None, env=environment("."), execution=Execution())
    assert [[(r.case_id, r.baseline, r.status) for r in rs] for rs in out] == [
        [("n=3", CLASSICAL, "ok")],
        # the task that did not come back: every kind of the case is failed, with the cause
        [("n=4", k, "failed") for k in (CLASSICAL, SIMULATOR, HARDWARE_RAW, HARDWARE_MITIGATED)],
        [("n=5", CLASSICAL, "ok")],
    ]
    assert "worker lost" in out[1][0].error
