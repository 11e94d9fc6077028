"""A result's setup in one line, and a case's header saying what needs attention and why."""

from __future__ import annotations

from harness.drift.verdict import Verdict
from harness.records import Metric, Result
from harness.report.provenance import attention, backend_text, mitigation_text, setup_text

# As the hardware tier records them (trimmed from a bundled run).
DEVICE = {"backend": "fake_manila", "calibration_date": "2024-05-27T15:27:23-03:00", "optimization_level": 1}
MITIGATED = {"technique": "zne+readout", "stack": ["zne", "readout"],
             "settings": {"readout": {"confusion": "measured", "shots": None},
                          "zne": {"extrapolation": "linear", "folding": "global", "order": 2,
                                  "scale_factors": [1.0, 3.0]}}}
RAW = {"technique": "raw", "settings": {}, "stack": []}


def _r(kind="hardware.mitigated", tier="hardware", lineage=None, status="ok", shots=2000, error=None):
    return Result("s", "c", kind, tier, status, {"p": Metric(0.9, "proportion", stderr=0.01, n=shots)},
                  resources={"shots": shots} if shots else {}, lineage=lineage or {}, error=error)


def _v(metric="p", kind="hardware.mitigated", status="inconclusive", note="", gate=False):
    return Verdict("s", "c", kind, metric, status, "higher", 0.02, note=note, gate=gate)


def test_setup_names_backend_with_calibration_date_mitigation_seed_and_shots():
    r = _r(lineage={"device": DEVICE, "mitigation_details": MITIGATED, "seed": 15})
    assert setup_text(r) == ("fake_manila (calibrated 2024-05-27) · zne+readout (readout: confusion measured; "
                             "zne: extrapolation linear, folding global, order 2, scale_factors [1, 3]) · "
                             "seed 15 · 2,000 shots")
    assert mitigation_text(_r(kind="hardware.raw", lineage={"mitigation_details": RAW})) == "raw (no mitigation)"


def test_simulator_and_classical_results_say_what_ran_them():
    sim = _r("simulator", "simulator", {"device": {"backend": "aer_automatic"}, "seed": 3})
    assert setup_text(sim) == "aer_automatic · seed 3 · 2,000 shots"  # no mitigation step: none claimed
    classical = _r("classical", "classical", {"info": {"solver": "query_bits"}, "seed": 3}, shots=0)
    assert backend_text(classical) == "classical (query_bits)" and setup_text(classical) == "classical (query_bits) · seed 3"


def test_attention_says_what_and_why_worst_first():
    results = {"classical": _r("classical", "classical", status="failed", error="solver crashed"),
               "hardware.raw": _r("hardware.raw", "simulator"),
               "hardware.mitigated": _r()}
    verdicts = [_v(note="underpowered: only worsenings of 0.05 or more are detectable"),
                _v("q", note="within noise: not significant"),
                _v("p", "hardware.mitigated", "regression", gate=True),
                _v("p", "simulator", "no_baseline"), _v("q", "simulator", "no_baseline")]
    got = [(a["label"], a["why"]) for a in attention(results, verdicts)]
    assert got == [
        ("failed", "classical: solver crashed"),
        ("regression (blocks)", "p on hardware mitigated"),
        ("fallback", "hardware raw produced by simulator"),
        ("underpowered", "the shots cannot detect the tolerance (see harness check): p on hardware mitigated"),
        ("inconclusive", "within noise, too close to the tolerance to call: q on hardware mitigated"),
        ("no baseline", "nothing stored for simulator"),
    ]
    assert attention({"simulator": _r("simulator", "simulator")}, [_v(status="unchanged")]) == []
