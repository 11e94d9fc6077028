"""A suite asks the harness to size its shots: every gating metric then detects its tolerance.

Without a stored baseline a proportion's worst case is ``p = 0.5``: the mde of one gating metric at
level alpha and 80 % power is ``(z(1 - alpha) + z(0.8)) * sqrt(2 * 0.25 / n)``, so the tolerance
0.03 needs ``n = 0.5 * (z / 0.03)^2`` shots.
"""

from __future__ import annotations

import json
import math

import pytest
from scipy import special

from harness.commands import check, plan_suites, size_plans

from ..conftest import run_cli

pytestmark = pytest.mark.sdk

SIM_ONLY = {"simulator": {"engine": "aer"}}
Z = float(special.ndtri(1 - 0.01) + special.ndtri(0.8))
NEEDED = math.ceil(0.5 * (Z / 0.03) ** 2)


def _suite(make_suite, **precision):
    return make_suite(baselines=SIM_ONLY, matrix={"n": [3], "shots": [500]},
                      precision=precision or {"auto_shots": True})


def test_sizing_raises_shots_until_the_tolerance_is_detectable(make_suite, tmp_path):
    path = _suite(make_suite)
    before = check([path], baselines_dir=tmp_path / "none")
    assert [q.underpowered for q in before] == [False]  # check predicts at the sized shots
    plans, sizings = size_plans(plan_suites([path]), baselines_dir=tmp_path / "none")
    assert [(z.declared, z.shots) for z in sizings] == [(500, NEEDED)]
    (case,) = plans[0].cases
    assert case.params.shots == NEEDED and case.case.params["shots"] == NEEDED
    assert case.case.case_id == "n=3"  # precision is not identity: the same stored baseline


def test_without_the_key_nothing_is_sized(make_suite, tmp_path):
    path = make_suite(baselines=SIM_ONLY, matrix={"n": [3], "shots": [500]})
    plans, sizings = size_plans(plan_suites([path]), baselines_dir=tmp_path / "none")
    assert sizings == [] and plans[0].cases[0].params.shots == 500
    assert check([path], baselines_dir=tmp_path / "none")[0].underpowered


def test_max_shots_caps_sizing_and_says_the_metric_stays_underpowered(make_suite, tmp_path):
    path = _suite(make_suite, auto_shots=True, max_shots=2000)
    _, (sizing,) = size_plans(plan_suites([path]), baselines_dir=tmp_path / "none")
    assert sizing.shots == 2000 and "still underpowered" in sizing.describe()


def test_sizing_never_lowers_the_declared_shots(make_suite, tmp_path):
    path = make_suite(baselines=SIM_ONLY, matrix={"n": [3], "shots": [20000]}, precision={"auto_shots": True})
    plans, sizings = size_plans(plan_suites([path]), baselines_dir=tmp_path / "none")
    assert sizings == [] and plans[0].cases[0].params.shots == 20000


def test_a_sized_run_records_what_was_chosen(make_suite, tmp_path, capsys):
    path = _suite(make_suite)
    runs = tmp_path / "runs"
    code, out, _ = run_cli(capsys, "run", path, "--dry-run", "--baselines", tmp_path / "none")
    assert code == 0 and f"n=3: shots 500 -> {NEEDED}" in out
    code, out, err = run_cli(capsys, "run", path, "--runs-dir", runs, "--baselines", tmp_path / "none", "--quiet")
    assert code == 0 and f"sized ghz-test/n=3: shots 500 -> {NEEDED}" in out + err
    (record,) = [json.loads(p.read_text()) for p in runs.glob("2*.json")]
    assert record["environment"]["sizing"]["ghz-test/n=3"]["shots"] == NEEDED
    (result,) = record["results"]
    assert result["lineage"]["params"]["shots"] == NEEDED
    assert sum(result["counts"].values()) == NEEDED


def test_a_misspelt_precision_key_names_the_place(make_suite, capsys):
    path = make_suite(baselines=SIM_ONLY, precision={"auto_shot": True})
    code, _, err = run_cli(capsys, "run", path, "--dry-run")
    assert code == 2 and "precision.auto_shot" in err and "Traceback" not in err
