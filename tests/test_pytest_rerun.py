"""`pytest suites/ --lf` / `--ff`: suite items have stable node ids, so the cache reruns only what failed.

Classical tiers only, so no quantum SDK runs.
"""

import pytest

import harness.drift  # noqa: F401  (imported once: pytester's in-process runs drop what they import)
import harness.workloads.ghz  # noqa: F401
import scipy.stats  # noqa: F401

from .conftest import suite_yaml

IDS = ["suites/ghz.yaml::n=3::classical", "suites/ghz.yaml::n=4::classical"]


@pytest.fixture
def one_failing(pytester):
    """Stored baselines for both cases, then one of them removed: that item fails, the other passes."""
    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(
        suite_yaml("ghz-rerun", matrix={"n": [3, 4], "shots": [100]}, baselines=("classical",)))
    pytester.runpytest("--harness-suites", "suites", "--harness-update").assert_outcomes(passed=2)
    (pytester.path / "baselines" / "ghz-rerun" / "n=4.json").unlink()
    first = pytester.runpytest("--harness-suites", "suites", "-v")
    first.assert_outcomes(passed=1, failed=1)
    first.stdout.fnmatch_lines([f"{IDS[0]} PASSED*", f"{IDS[1]} FAILED*"])
    return pytester


def test_collected_node_ids_are_the_same_in_every_session(pytester):
    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(
        suite_yaml("ghz-rerun", matrix={"n": [3, 4], "shots": [100]}, baselines=("classical",)))
    runs = [[line for line in pytester.runpytest("--harness-suites", "suites", "--collect-only", "-q").stdout.lines
             if "::" in line] for _ in range(2)]
    assert runs == [IDS, IDS]


def test_last_failed_reruns_only_the_failed_item(one_failing):
    again = one_failing.runpytest("--harness-suites", "suites", "--lf", "-v")
    again.assert_outcomes(failed=1, deselected=1)
    again.stdout.fnmatch_lines([f"{IDS[1]} FAILED*"])
    assert f"{IDS[0]} PASSED" not in again.stdout.str()
    assert "run-last-failure: rerun previous 1 failure" in again.stdout.str()


def test_failed_first_runs_the_failure_before_the_rest(one_failing):
    again = one_failing.runpytest("--harness-suites", "suites", "--ff", "-v")
    again.assert_outcomes(passed=1, failed=1)
    out = again.stdout.str()
    assert out.index(f"{IDS[1]} FAILED") < out.index(f"{IDS[0]} PASSED")
