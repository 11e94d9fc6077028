import pytest

from harness.errors import UnsupportedError
from harness.orchestration.selection import _snapshot, score_snapshot, select_backend

from ..conftest import HARDWARE
from .conftest import write_plan

SNAP = {"num_qubits": 3,
        "qubits": {"0": {"readout_error": 0.02}, "1": {"readout_error": 0.05}, "2": {"readout_error": 0.01}},
        "gates": {"sx": {"0": {"error": 1e-4}}, "cx": {"0_1": {"error": 0.01}, "1_2": {"error": 0.03},
                                                         "1_0": {"error": 0.02}}}}


def test_scores_read_the_best_couplings_and_qubits_of_the_snapshot():
    assert score_snapshot(SNAP, "fewest_two_qubit_errors", width=3) == pytest.approx((0.01 + 0.02) / 2)
    assert score_snapshot(SNAP, "fewest_two_qubit_errors", width=2) == pytest.approx(0.01)
    assert score_snapshot(SNAP, "best_readout", width=2) == pytest.approx((0.01 + 0.02) / 2)


@pytest.mark.sdk
def test_the_choice_is_the_lowest_score_and_its_reason_names_the_policy():
    candidates = ["fake_manila", "fake_nairobi", "fake_lima"]
    for policy in ("fewest_two_qubit_errors", "best_readout"):
        chosen, why = select_backend(candidates, policy, width=3)
        expected = min(candidates, key=lambda n: score_snapshot(_snapshot(n), policy, 3))
        assert chosen == expected and why["chosen"] == expected and policy in why["reason"]
        assert set(why["scores"]) == set(candidates) and why["calibration_sha256"][chosen]
    chosen, why = select_backend(candidates, "smallest_queue")
    assert chosen == "fake_manila" and set(why["scores"].values()) == {0.0}  # fakes have no queue: suite order


@pytest.mark.sdk
def test_too_small_backends_are_skipped_and_unknown_policies_refused():
    chosen, why = select_backend(["fake_manila", "fake_nairobi"], "best_readout", width=6)
    assert chosen == "fake_nairobi" and "fake_manila" in why["skipped"]
    with pytest.raises(UnsupportedError):
        select_backend(["fake_manila"], "coin_toss")


@pytest.mark.sdk
def test_a_suite_listing_candidates_records_the_choice_in_lineage(tmp_path):
    from harness.orchestration.runner import run_plans

    hardware = {**HARDWARE, "backend": ["fake_manila", "fake_nairobi"], "policy": "best_readout"}
    run = run_plans([write_plan(tmp_path, baselines={"hardware": hardware})])
    raw = next(r for r in run.results if r.baseline == "hardware.raw")
    selection = raw.lineage["backend_selection"]
    assert raw.lineage["device"]["backend"] == selection["chosen"] == raw.lineage["settings"]["backend"]
    assert selection["policy"] == "best_readout" and selection["width"] == 3


@pytest.mark.sdk
def test_an_unknown_candidate_is_a_suite_error(tmp_path):
    from harness.errors import SuiteError

    with pytest.raises(SuiteError, match="unknown backend 'fake_nairobbi'"):
        write_plan(tmp_path, baselines={"hardware": {**HARDWARE, "backend": ["fake_manila", "fake_nairobbi"]}})
