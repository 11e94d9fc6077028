"""Faults injected at the executor seam: what is retried, remediated or handed over, and what the record says."""

import pytest

from harness.errors import UnsupportedError
from harness.orchestration.budget import Budget, BudgetMeter
from harness.orchestration.retry import BackendUnavailable, RetryPolicy
from harness.orchestration.runner import run_plans
from harness.orchestration.tiers import Execution

from ..conftest import suite_yaml
from .conftest import SIM_ONLY, Sleeps, write_plan


def states(result):
    return [e["state"] for e in result.events]


def by_kind(run):
    return {r.baseline: r for r in run.results}


@pytest.mark.sdk
def test_transient_errors_are_retried_with_backoff_and_the_case_completes(tmp_path, inject):
    sleeps = Sleeps()
    wrap = inject({"simulator": [TimeoutError("job did not finish within 600 s"), ConnectionResetError("reset")]})
    run = run_plans([write_plan(tmp_path, SIM_ONLY)], execution=Execution(policy=RetryPolicy(sleep=sleeps), wrap=wrap))
    sim = by_kind(run)["simulator"]
    assert sim.status == "ok" and sim.tier == "simulator"
    assert sleeps == [0.5, 1.0]
    assert states(sim) == ["queued", "submitted", "running", "failed", "retried", "submitted", "running",
                           "failed", "retried", "submitted", "running", "completed"]
    causes = [e["detail"]["cause"] for e in sim.events if e["state"] == "failed"]
    assert causes == ["transient", "transient"]
    assert len(sim.resources["job_ids"]) == 1  # the two failed calls never reached the simulator
    assert by_kind(run)["classical"].events[-1]["state"] == "completed"


@pytest.mark.sdk
def test_malformed_counts_are_retried_once_then_the_tier_fails(tmp_path, inject):
    run = run_plans([write_plan(tmp_path, SIM_ONLY)],
                    execution=Execution(policy=RetryPolicy(sleep=Sleeps()), wrap=inject({"simulator": ["malformed"]})))
    assert by_kind(run)["simulator"].status == "ok"
    assert states(by_kind(run)["simulator"]).count("retried") == 1

    run = run_plans([write_plan(tmp_path, SIM_ONLY)], execution=Execution(
        policy=RetryPolicy(sleep=Sleeps()), wrap=inject({"simulator": ["malformed", "malformed", "malformed"]})))
    sim = by_kind(run)["simulator"]
    assert sim.status == "failed" and sim.error.startswith("malformed:") and "expected 500 shots" in sim.error
    assert states(sim)[-1] == "failed" and states(sim).count("submitted") == 2


@pytest.mark.sdk
def test_a_user_error_is_never_retried_nor_hidden_by_a_fallback(tmp_path, inject):
    wrap = inject({"simulator": [UnsupportedError("engine misconfigured")]})
    run = run_plans([write_plan(tmp_path, SIM_ONLY)],
                    execution=Execution(policy=RetryPolicy(sleep=Sleeps()), wrap=wrap, fallback=True))
    sim = by_kind(run)["simulator"]
    assert sim.status == "failed" and sim.error == "engine misconfigured"
    assert "retried" not in states(sim) and "fallen_back" not in states(sim) and inject.made[0].calls == 1


@pytest.mark.sdk
def test_a_vanished_backend_falls_back_to_the_simulator_and_the_report_marks_it(tmp_path, inject):
    from harness.report import write_reports

    wrap = inject({"hardware": [BackendUnavailable("fake_manila was retired")]})
    run = run_plans([write_plan(tmp_path)], execution=Execution(policy=RetryPolicy(sleep=Sleeps()), wrap=wrap,
                                                                fallback=True))
    for kind in ("hardware.raw", "hardware.mitigated"):
        r = by_kind(run)[kind]
        assert r.status == "ok" and r.baseline == kind and r.tier == "simulator" and r.baseline != r.tier
        assert r.lineage["fallback"]["handovers"][0] | {"at": None} == {
            "from": "hardware", "to": "simulator", "cause": "unavailable", "error": "BackendUnavailable: fake_manila "
            "was retired", "at": None}
        assert "fallen_back" in states(r) and r.events[-1]["tier"] == "simulator"
        assert r.lineage["device"]["engine"] == "aer"  # what really ran
    assert by_kind(run)["hardware.mitigated"].lineage["fallback"]["note"]
    html = write_reports(run, [], {}, tmp_path / "reports")["html"].read_text()
    assert "produced by simulator (fallback)" in html


@pytest.mark.sdk
def test_a_case_too_wide_for_the_backend_falls_back_without_retrying(tmp_path):
    from harness.orchestration.plan import plan_suite
    from harness.suite import load_suite

    # planning refuses a too-wide case; past that check (a real backend's width, known only at run
    # time), the fault is handed to the fallback
    (tmp_path / "suite.yaml").write_text(suite_yaml("ghz-orch", matrix={"n": [6], "shots": [500]}))
    plan = plan_suite(load_suite(tmp_path / "suite.yaml"), check_width=False)
    run = run_plans([plan],
                    execution=Execution(policy=RetryPolicy(sleep=Sleeps()), fallback=True))
    raw = by_kind(run)["hardware.raw"]
    assert raw.status == "ok" and raw.tier == "simulator"
    assert raw.lineage["fallback"]["handovers"][0]["cause"] == "too_wide"
    assert "Number of qubits greater than device" in raw.lineage["fallback"]["handovers"][0]["error"]
    assert "retried" not in states(raw)
    # the stand-in still measures the physics: an ideal 6-qubit GHZ
    assert raw.metrics["success_probability"].value == pytest.approx(1.0)


@pytest.mark.sdk
def test_a_too_deep_circuit_is_re_transpiled_at_level_3(tmp_path):
    from qiskit.exceptions import QiskitError

    class DepthLimited:
        """Refuses any job while the device transpiles below level 3 (as a job-time limit would)."""

        def __init__(self, device):
            self._device = device

        def __getattr__(self, name):
            return getattr(self._device, name)

        def _check(self):
            if self._device.optimization_level < 3:
                raise QiskitError("circuit too deep for the backend's coherence budget")

        def sample(self, *a, **k):
            self._check()
            return self._device.sample(*a, **k)

        def sample_batch(self, *a, **k):
            self._check()
            return self._device.sample_batch(*a, **k)

    run = run_plans([write_plan(tmp_path, baselines=("hardware",))], execution=Execution(
        policy=RetryPolicy(sleep=Sleeps()), wrap=lambda d, kind: DepthLimited(d) if kind == "hardware" else d))
    raw = by_kind(run)["hardware.raw"]
    assert raw.status == "ok" and raw.tier == "hardware"
    assert raw.lineage["remediation"]["overrides"] == {"optimization_level": 3}
    assert raw.lineage["device"]["optimization_level"] == 3
    retried = [e for e in raw.events if e["state"] == "retried"]
    assert len(retried) == 1 and "optimization_level 3" in retried[0]["detail"]["remediation"]


@pytest.mark.sdk
def test_a_spent_shot_budget_hands_hardware_down_to_the_classical_tier(tmp_path):
    meter = BudgetMeter(Budget(shots=600))
    run = run_plans([write_plan(tmp_path)], execution=Execution(policy=RetryPolicy(sleep=Sleeps()), meter=meter,
                                                                fallback=True))
    results = by_kind(run)
    assert results["simulator"].tier == "simulator" and meter.shots == 500
    raw = results["hardware.raw"]
    assert raw.status == "ok" and raw.tier == "classical"
    assert [h["cause"] for h in raw.lineage["fallback"]["handovers"]] == ["budget", "budget"]
    assert [h["to"] for h in raw.lineage["fallback"]["handovers"]] == ["simulator", "classical"]
    assert run.environment["budget"]["spent"]["shots"] == 500


def test_a_spent_time_budget_cancels_what_has_not_started(tmp_path):
    run = run_plans([write_plan(tmp_path, SIM_ONLY)],
                    execution=Execution(meter=BudgetMeter(Budget(seconds=1e-9))))
    assert all(r.status == "failed" and r.error.startswith("cancelled") for r in run.results)
    assert all(states(r) == ["queued", "cancelled"] for r in run.results)
