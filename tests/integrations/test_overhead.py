"""The overhead benchmark's plain qiskit script does the same work as the harness: same numbers.

Only the agreement is asserted; the timings are printed (a time assertion would be flaky here).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ..conftest import BASELINES, suite_yaml

pytestmark = pytest.mark.sdk  # runs the suite and the plain script on Aer and fake_manila

REPO = Path(__file__).resolve().parents[2]

TINY = suite_yaml("overhead-tiny", seed=3, baselines={**BASELINES, "hardware": {"backend": "fake_manila", "mitigation": {
    "readout": True, "bootstrap": 20, "zne": {"scale_factors": [1, 3, 5], "extrapolation": "richardson"}}}},
                  metrics={"success_probability": {"better": "higher", "tolerance": 0.05}})


def test_plain_script_reproduces_the_harness_and_figures_print(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("overhead", REPO / "benchmarks" / "overhead.py")
    overhead = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(overhead)
    suite = tmp_path / "tiny.yaml"
    suite.write_text(TINY)

    figures = overhead.main(["--suite", str(suite), "--rounds", "1"])

    # same circuits, shots and seeds: every metric of every baseline kind agrees to rounding
    assert figures["agreement"] < 1e-12
    assert figures["ratio"] > 0 and figures["median"]["plain"] > 0
    # the breakdown saw the harness's hardware jobs and its bootstrap
    assert figures["calls"]["runtime jobs (all)"] >= 2
    assert figures["calls"]["bootstrap (mitigation)"] == 2  # raw and mitigated
    out = capsys.readouterr().out
    assert "ratio harness/plain" in out
    with capsys.disabled():
        print("\n" + out)
