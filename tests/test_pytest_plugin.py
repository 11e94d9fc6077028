"""`pytest suites/`: suites collected as items, baselines updated by flag, regressions shown as a drift table."""

import pytest

# pytester's in-process runs drop the modules they import when they end; numpy and scipy
# cannot be imported twice in one process, so the heavy modules are imported here, once.
import harness.drift  # noqa: F401
import harness.executors.runtime  # noqa: F401
import harness.mitigation.readout  # noqa: F401
import harness.report  # noqa: F401
import harness.workloads.ghz  # noqa: F401
import qiskit_aer  # noqa: F401
import qiskit_ibm_runtime.fake_provider  # noqa: F401
import scipy.stats  # noqa: F401

SUITE = """\
suite: ghz-plugin
workload: ghz
seed: 5
matrix:
  n: [3]
  shots: [4000]
baselines:
  classical: {}
  hardware:
    backend: fake_manila
    mitigation: {readout: true}
metrics:
  success_probability: {better: higher, tolerance: 0.03}
"""


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
        "suites/ghz.yaml::n=3,shots=4000::classical",
        "suites/ghz.yaml::n=3,shots=4000::hardware.raw",
        "suites/ghz.yaml::n=3,shots=4000::hardware.mitigated",
        "3 tests collected*",
    ])
    assert "other.yaml" not in result.stdout.str()  # YAML that is not a suite is left alone


def test_nothing_is_collected_unless_enabled(pytester, suites):
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--collect-only", "-q")
    assert "ghz.yaml" not in result.stdout.str()


def test_a_missing_baseline_fails_and_says_how_to_store_one(pytester, suites):
    result = run(pytester)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*no stored baseline for ghz-plugin n=3,shots=4000 [[]classical[]]*",
                                 "*fix: run `pytest suites/ghz.yaml --harness-update`*"])
    assert "Traceback" not in result.stdout.str()


def test_update_stores_baselines_then_a_rerun_passes_and_a_regression_fails_with_its_table(pytester, suites):
    run(pytester, "--harness-update").assert_outcomes(passed=3)
    assert (pytester.path / "baselines" / "ghz-plugin" / "n=3,shots=4000.json").exists()
    assert list((pytester.path / ".runs").glob("*.json"))

    run(pytester, "--harness-seed", "77").assert_outcomes(passed=3)

    suites.write_text(SUITE.replace("readout: true", "readout: false"))
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "regression in success_probability (ghz-plugin n=3,shots=4000 [hardware.mitigated])" in out
    result.stdout.fnmatch_lines(["*metric*stored*new*effect*interval*verdict*",
                                 "*success_probability*REGRESSION*"])
    assert "Traceback" not in out and "def runtest" not in out


def test_an_invalid_suite_is_one_failing_item_naming_the_line(pytester, suites):
    suites.write_text(SUITE.replace("seed: 5", "seed: five"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*invalid suite: */suites/ghz.yaml:3: seed: Input should be a valid integer*"])
