"""`pytest suites/`: suites collected as items, baselines updated by flag, regressions shown as a drift table."""

import pytest

# pytester's in-process runs drop the modules they import when they end; numpy and scipy
# cannot be imported twice in one process, so the heavy modules are imported here, once.
import harness.drift  # noqa: F401
import harness.mitigation.readout  # noqa: F401
import harness.report  # noqa: F401
import harness.workloads.ghz  # noqa: F401
import scipy.stats  # noqa: F401

pytestmark = pytest.mark.sdk  # every test runs a suite on Aer and fake_manila
pytest.importorskip("qiskit_aer")
pytest.importorskip("qiskit_ibm_runtime.fake_provider")
import harness.executors.runtime  # noqa: E402,F401

from .conftest import suite_yaml

SUITE = suite_yaml("ghz-plugin", matrix={"n": [3], "shots": [4000]},
                   baselines={"classical": {}, "hardware": {"backend": "fake_manila", "mitigation": {"readout": True}}})


@pytest.fixture
def suites(pytester):
    pytester.mkdir("suites")
    path = pytester.path / "suites" / "ghz.yaml"
    path.write_text(SUITE)
    return path


def run(pytester, *args):
    return pytester.runpytest("--harness-suites", "-p", "no:cacheprovider", "suites", *args)


def test_each_case_and_baseline_kind_is_an_item(pytester, suites):
    (pytester.path / "suites" / "other.yaml").write_text("name: not a suite\n")
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "suites/ghz.yaml::n=3::classical",
        "suites/ghz.yaml::n=3::hardware.raw",
        "suites/ghz.yaml::n=3::hardware.mitigated",
        "3 tests collected*",
    ])
    assert "other.yaml" not in result.stdout.str()  # YAML that is not a suite is left alone


def test_nothing_is_collected_unless_enabled(pytester, suites):
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--collect-only", "-q")
    assert "ghz.yaml" not in result.stdout.str()


def test_a_missing_baseline_fails_and_says_how_to_store_one(pytester, suites):
    result = run(pytester)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*no stored baseline for ghz-plugin n=3 [[]classical[]]*",
                                 "*fix: run `pytest suites/ghz.yaml --harness-update`*"])
    assert "Traceback" not in result.stdout.str()


def test_update_stores_baselines_then_a_rerun_passes_and_a_regression_fails_with_its_table(pytester, suites):
    run(pytester, "--harness-update").assert_outcomes(passed=3)
    assert (pytester.path / "baselines" / "ghz-plugin" / "n=3.json").exists()
    assert list((pytester.path / ".runs").glob("*.json"))

    run(pytester, "--harness-seed", "77").assert_outcomes(passed=3)

    suites.write_text(SUITE.replace("readout: true", "readout: false"))
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "regression in success_probability (ghz-plugin n=3 [hardware.mitigated])" in out
    result.stdout.fnmatch_lines(["*metric*stored*new*effect*interval*verdict*",
                                 "*success_probability*REGRESSION*"])
    assert "Traceback" not in out and "def runtest" not in out


def test_an_invalid_suite_is_one_failing_item_naming_the_line(pytester, suites):
    suites.write_text(SUITE.replace("seed: 5", "seed: five"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*invalid suite: */suites/ghz.yaml:3: seed: Input should be a valid integer*"])


def test_a_case_refused_when_planned_fails_its_items_naming_the_file_once(pytester, suites):
    suites.write_text(SUITE.replace("n: [3]", "n: [3.0]"))
    result = run(pytester)
    result.assert_outcomes(failed=3)  # classical, hardware.raw, hardware.mitigated
    result.stdout.fnmatch_lines(["*/suites/ghz.yaml:5: matrix.n.0: n must be a whole number, not 3.0 (float)"])
    refusals = [line for line in result.stdout.lines if "matrix.n.0" in line and "::" not in line]
    assert len(refusals) == 3 and all(line.count("suites/ghz.yaml") == 1 for line in refusals), refusals


TWO_CASES = """\
suite: ghz-judge
workload: ghz
seed: 5
matrix:
  n: [3, 4]
  shots: [4000]
baselines:
  classical: {}
  simulator: {engine: aer}
metrics:
  success_probability: {better: higher, tolerance: 0.03}
  hellinger_fidelity: {better: higher, tolerance: 0.03}
"""


def _harness(*args) -> int:
    from harness.cli import main

    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    return done.value.code or 0


def test_pytest_and_the_gate_judge_one_run_alike_verdict_by_verdict(pytester, capsys):
    import json

    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(TWO_CASES)
    assert _harness("run", "suites", "--quiet") == 0
    assert _harness("baseline", "promote", "latest") == 0
    for seed in (1, 2):  # some history for both judges to read
        assert _harness("gate", "suites", "--quiet", "--seed", seed) == 0
    capsys.readouterr()

    rec = pytester.inline_run("--harness-suites", "-p", "no:cacheprovider", "suites", "--harness-seed", "3")
    rec.assertoutcome(passed=4)
    by_pytest = {}
    for report in rec.getreports("pytest_runtest_logreport"):
        for name, value in report.user_properties:
            if name == "verdicts":
                by_pytest.update({(v["suite"], v["case_id"], v["baseline"], v["metric"]): v for v in value})
    assert len(by_pytest) == 8  # 2 cases x 2 kinds x 2 declared metrics

    capsys.readouterr()
    assert _harness("compare", "latest", "--json") == 0  # the record pytest wrote
    doc = json.loads(capsys.readouterr().out)
    by_gate = {(v["suite"], v["case_id"], v["baseline"], v["metric"]): v for v in doc["verdicts"]}
    assert by_gate.keys() == by_pytest.keys()
    for key, v in by_gate.items():
        assert by_pytest[key] == v, key  # status, effect, p, Holm-adjusted p, test, mde, note: all equal
    family = [v for v in by_gate.values() if v["p_adjusted"] is not None and v["p_value"] is not None]
    assert any(v["p_adjusted"] > v["p_value"] for v in family)  # one Holm family over the run, not per item


def test_strict_fails_the_session_on_orphaned_baselines(pytester, suites):
    run(pytester, "--harness-update").assert_outcomes(passed=3)
    gone = pytester.path / "baselines" / "ghz-gone"
    gone.mkdir()
    (pytester.path / "baselines" / "ghz-plugin" / "n=3.json").rename(gone / "n=3.json")
    run(pytester, "--harness-update").assert_outcomes(passed=3)  # the case's baseline again
    result = run(pytester)
    result.assert_outcomes(passed=3)
    assert result.ret == 0 and "ORPHANED baseline ghz-gone n=3 [classical]" in result.stdout.str()
    result = run(pytester, "--harness-strict")
    result.assert_outcomes(passed=3)
    assert result.ret == 1 and "strict: 3 stored baselines orphaned" in result.stdout.str()
