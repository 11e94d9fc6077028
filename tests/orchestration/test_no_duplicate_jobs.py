"""No work without purpose: a run submits each circuit of a case once, and no job for a side that needs none.

A counting wrapper at the executor seam (``Execution.wrap``) records every submission of the real
Aer and fake-backend devices: the hybrid loop's final execution is the raw result's counts, the
mitigated side reuses it (and, with no technique configured, submits nothing), and ZNE's scale
factor 1 is not run again.
"""

from __future__ import annotations

from collections import Counter

import pytest

from harness.orchestration.retry import RetryPolicy
from harness.orchestration.runner import run_plans
from harness.orchestration.tiers import Execution

from ..conftest import suite_yaml
from .conftest import Sleeps, write_plan


class Counting:
    """Delegates to the real device; logs ``(tier, job index, circuit hashes, shots)`` per submission."""

    def __init__(self, device, tier: str, log: list, devices: list):
        self._device = device
        self._tier = tier
        self._log = log
        self._jobs = 0
        devices.append(self)

    def __getattr__(self, name):
        return getattr(self._device, name)

    def _record(self, submitted, shots):
        from harness.executors.aer import circuit_sha256

        self._log.append((self._tier, id(self), tuple(circuit_sha256(c) for c in submitted), int(shots)))
        self._jobs += 1

    def sample(self, circuit, shots, parameter_sets=None):
        self._record([self._device.transpile(circuit)], shots)
        return self._device.sample(circuit, shots, parameter_sets)

    def sample_batch(self, circuits, shots):
        self._record([self._device.transpile(c) for c in circuits], shots)
        return self._device.sample_batch(circuits, shots)

    def sample_transpiled(self, circuits, shots):
        self._record([self._device.translate_physical(c) for c in circuits], shots)
        return self._device.sample_transpiled(circuits, shots)


def _run(tmp_path, hardware):
    log, devices = [], []
    text = suite_yaml("ghz-jobs", matrix={"n": [3, 4], "shots": [300, 600]},
                      baselines={"classical": {}, "simulator": {"engine": "aer"}, "hardware": hardware})
    run = run_plans([write_plan(tmp_path, text)], execution=Execution(
        policy=RetryPolicy(sleep=Sleeps()), wrap=lambda d, tier: Counting(d, tier, log, devices)))
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    return run, log, devices


def _no_circuit_twice(log):
    """Within one device (one case and tier), no circuit is executed twice at the same shots."""
    seen = Counter((device, sha, shots) for _, device, shas, shots in log for sha in shas)
    assert [k for k, n in seen.items() if n > 1] == []


@pytest.mark.sdk
def test_without_mitigation_each_quantum_tier_submits_one_job_per_case(tmp_path):
    run, log, devices = _run(tmp_path, {"backend": "fake_manila", "optimization_level": 1})
    cases = {r.case_id for r in run.results}
    assert len(cases) == 4
    # one device per case and quantum tier, each with exactly the hybrid loop's one job:
    # hardware.raw scores it and hardware.mitigated (no technique) is taken from it
    assert Counter(d._tier for d in devices) == {"simulator": 4, "hardware": 4}
    assert [d._jobs for d in devices] == [1] * 8
    _no_circuit_twice(log)
    by = {(r.case_id, r.baseline): r for r in run.results}
    for case in cases:
        raw, mitigated = by[case, "hardware.raw"], by[case, "hardware.mitigated"]
        assert {k: m.value for k, m in raw.metrics.items() if k != "time_to_solution"} == \
               {k: m.value for k, m in mitigated.metrics.items() if k != "time_to_solution"}
        assert raw.resources["jobs"] == 1


@pytest.mark.sdk
def test_readout_and_zne_add_one_batch_and_do_not_rerun_the_circuit(tmp_path):
    zne = {"scale_factors": [1, 3], "extrapolation": "linear", "folding": "global"}
    run, log, devices = _run(tmp_path, {"backend": "fake_manila", "optimization_level": 1,
                                        "mitigation": {"readout": True, "zne": zne}})
    hardware = [d for d in devices if d._tier == "hardware"]
    assert len(hardware) == 4
    # the loop's job (scale factor 1, also the raw counts) and one batch: the fold at 3 and the
    # two readout calibration circuits
    assert [d._jobs for d in hardware] == [2] * 4
    batches = [shas for tier, _, shas, _ in log if tier == "hardware"][1::2]
    assert [len(b) for b in batches] == [3] * 4
    _no_circuit_twice(log)
