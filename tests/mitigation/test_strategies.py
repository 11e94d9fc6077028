"""Several mitigation strategies per suite: their kinds, the exact ideal, paired bootstraps."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from qiskit import QuantumCircuit

from harness.kinds import HARDWARE_MITIGATED, HARDWARE_RAW, declared_kinds, kind_label, kind_order, strategy_kind, \
    strategy_of, tier_kinds
from harness.mitigation import execute_raw, mitigate
from harness.mitigation.ideal import errors, exact_distribution, ideal_values
from harness.mitigation.pipeline import draws_of
from harness.records import Metric
from harness.suite.schema import Baselines, HardwareSettings, MitigationSettings

from ..fake_device import FakeDevice


def hardware(**strategies) -> HardwareSettings:
    return HardwareSettings.model_validate({"backend": "fake_manila", "mitigation": {"readout": True},
                                            "strategies": strategies})


def test_each_strategy_is_its_own_kind_after_the_suites_mitigated_result():
    hw = hardware(**{"rem+zne": {"readout": True, "zne": {}}, "pec": {}})
    assert list(hw.mitigated()) == [HARDWARE_MITIGATED, "hardware.mitigated.rem+zne", "hardware.mitigated.pec"]
    assert hw.mitigated()["hardware.mitigated.rem+zne"].zne is not None
    assert tier_kinds("hardware", hw) == (HARDWARE_RAW, HARDWARE_MITIGATED, "hardware.mitigated.rem+zne",
                                          "hardware.mitigated.pec")
    b = Baselines(simulator={}, hardware=hw)
    assert declared_kinds(b) == ("simulator", HARDWARE_RAW, HARDWARE_MITIGATED, "hardware.mitigated.rem+zne",
                                 "hardware.mitigated.pec")
    assert strategy_of(strategy_kind("ddd+zne")) == "ddd+zne" and strategy_of(HARDWARE_MITIGATED) is None
    assert strategy_of("hardware.mitigated.") is None
    assert kind_order(HARDWARE_MITIGATED) < kind_order("hardware.mitigated.pec") < kind_order("unknown")
    assert kind_label("hardware.mitigated.pec") == "hardware mitigated [pec]"
    assert kind_label(HARDWARE_RAW) == "hardware raw"


@pytest.mark.parametrize("name", ["REM", "rem zne", "a.b", "-x", "x" * 41])
def test_a_strategy_name_that_cannot_be_a_kind_is_refused(name):
    with pytest.raises(ValidationError, match="strategy name"):
        hardware(**{name: {}})


def ghz_reordered() -> QuantumCircuit:
    """|000> + |111> on qubits 0..2, qubit 2 read into clbit 0 and qubit 0 into clbit 3 (clbit 2 unused)."""
    qc = QuantumCircuit(3, 4)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.x(2)  # |001> + |110> as (q2 q1 q0): q2 flipped
    qc.barrier()
    qc.measure([2, 1, 0], [0, 1, 3])
    return qc


def test_the_exact_distribution_follows_the_classical_bits():
    dist = exact_distribution(ghz_reordered())
    # keys: clbit 3, 2, 1, 0; q2 = 1 - q0, q1 = q0, clbit 2 never written (0)
    assert dist == pytest.approx({"0001": 0.5, "1010": 0.5})


def test_no_exact_ideal_for_a_mid_circuit_measurement():
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 0)
    values, why = ideal_values(qc, lambda p, s: {}, 100)
    assert values is None and "measurement" in why


def test_errors_against_the_ideal_with_an_interval():
    out = errors({"p": 0.9, "q": 1.0}, {"p": 0.01, "q": None}, {"p": 1.0})
    assert out["p"]["error"] == pytest.approx(-0.1) and out["p"]["abs_error"] == pytest.approx(0.1)
    assert out["p"]["interval"] == pytest.approx([-0.1 - 0.0196, -0.1 + 0.0196], abs=1e-4)
    assert "q" not in out


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def noisy(circuit, parameters=None):
    return {"00": 0.45, "11": 0.4, "01": 0.1, "10": 0.05}


def score(probs, shots):
    return {"p": Metric(probs.get("00", 0.0) + probs.get("11", 0.0), "proportion", n=shots)}


def test_strategies_sharing_the_loops_counts_are_paired_resample_by_resample():
    counts = [{"00": 450, "11": 400, "01": 100, "10": 50}]
    device = FakeDevice(noisy)
    settings = MitigationSettings(bootstrap=100)
    runs = [execute_raw(device, bell(), 1000, score, settings, np.random.default_rng(seed), counts=counts,
                        pair_seed=7, ideal={"p": 1.0}) for seed in (1, 2)]
    a, b = (draws_of(r.details, "p") for r in runs)
    assert np.array_equal(a, b)  # the same seed: the same resamples of the shared counts, whatever the rng
    assert runs[0].details["paired"] is True
    assert runs[0].details["error"]["p"]["error"] == pytest.approx(-0.15)
    unpaired = [mitigate(device, bell(), 1000, score, settings, np.random.default_rng(seed), counts=counts)
                for seed in (1, 2)]
    assert "bootstrap_draws" not in unpaired[0].details
    assert unpaired[0].metrics["p"].stderr != unpaired[1].metrics["p"].stderr  # independent resamples
    # the bootstrap's stderr is the binomial one of the shared counts
    assert runs[0].metrics["p"].stderr == pytest.approx(np.sqrt(0.85 * 0.15 / 1000), rel=0.25)


STRATEGY_SUITE = """
suite: strat
workload: ghz
seed: 3
matrix: {n: [2], shots: [600]}
baselines:
  hardware:
    backend: fake_manila
    mitigation: {bootstrap: 20}
    strategies:
      rem: {readout: true, bootstrap: 20}
      rem+zne: {readout: true, zne: {scale_factors: [1, 3], extrapolation: linear}, bootstrap: 20}
metrics:
  success_probability: {better: higher, tolerance: 0.05}
"""


@pytest.mark.sdk
def test_a_suite_gives_one_result_per_strategy_with_its_cost_error_and_paired_draws(tmp_path):
    from harness.orchestration.budget import estimate_plans
    from harness.orchestration.plan import plan_suite
    from harness.orchestration.runner import run_plans
    from harness.suite import load_suite

    path = tmp_path / "strat.yaml"
    path.write_text(STRATEGY_SUITE)
    plan = plan_suite(load_suite(path))
    rows = {r.baseline: r for r in estimate_plans([plan])}
    assert list(rows) == [HARDWARE_RAW, HARDWARE_MITIGATED, "hardware.mitigated.rem", "hardware.mitigated.rem+zne"]
    assert (rows["hardware.mitigated.rem"].circuits, rows["hardware.mitigated.rem"].shots) == (2, 1200)
    assert (rows["hardware.mitigated.rem+zne"].circuits, rows["hardware.mitigated.rem+zne"].shots) == (3, 1800)
    from harness.orchestration.budget import format_estimate

    table = format_estimate(list(rows.values())).splitlines()[1:-1]
    assert len({line.index("fake_manila") for line in table}) == 1  # long strategy kinds keep the columns
    results = {r.baseline: r for r in run_plans([plan]).results}
    assert list(results) == list(rows) and all(r.status == "ok" for r in results.values())
    zne = results["hardware.mitigated.rem+zne"]
    assert zne.lineage["mitigation"]["zne"]["scale_factors"] == [1.0, 3.0]
    assert zne.lineage["ideal"]["values"]["success_probability"] == pytest.approx(1.0)
    details = zne.lineage["mitigation_details"]
    assert details["cost"] == {"circuits": 4, "shots": 2400}  # the loop's reused run, the fold, 2 calibrations
    assert details["error"]["success_probability"]["ideal"] == pytest.approx(1.0)
    raw = draws_of(results[HARDWARE_RAW].lineage["mitigation_details"], "success_probability")
    rem = draws_of(results["hardware.mitigated.rem"].lineage["mitigation_details"], "success_probability")
    assert (len(raw), len(rem)) == (200, 20)  # raw keeps the default bootstrap; the first 20 resamples are shared
    # the same resamples of the shared counts (the calibration adds its own noise): paired, not independent
    assert np.corrcoef(raw[:20], rem)[0, 1] > 0.5
