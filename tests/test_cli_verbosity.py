"""`harness -v` / `-q`: a global verbosity that sets the log level on stderr and the progress output."""

import logging

import pytest

from .conftest import run_cli as harness, suite_yaml


@pytest.fixture
def suite(tmp_path):
    path = tmp_path / "ghz.yaml"
    path.write_text(suite_yaml("ghz-verbosity", matrix={"n": [3, 4], "shots": [100]}, baselines=("classical",)))
    return path



def test_default_prints_one_progress_line_a_case_and_no_log(suite, tmp_path, capsys):
    code, out, err = harness(capsys, "run", suite, "--runs-dir", tmp_path / "runs")
    assert code == 0 and "record: " in out
    assert "[1/2] ghz-verbosity n=3" in err and "[2/2]" in err
    assert "INFO" not in err
    assert logging.getLogger("harness").level == logging.WARNING


def test_v_logs_each_case_at_info_and_vv_turns_on_debug_with_the_sdks(suite, tmp_path, capsys):
    code, _, err = harness(capsys, "-v", "run", suite, "--runs-dir", tmp_path / "runs")
    assert code == 0
    assert "INFO harness: case 1/2: ghz-verbosity n=3" in err and "case 2/2" in err
    assert "[1/2]" not in err  # the log line replaces the progress line
    code, _, err = harness(capsys, "-vv", "run", suite, "--runs-dir", tmp_path / "runs")
    assert code == 0 and "INFO harness: case 1/2" in err
    assert logging.getLogger("harness").level == logging.DEBUG
    assert logging.getLogger("qiskit").level == logging.DEBUG
    harness(capsys, "run", suite, "--runs-dir", tmp_path / "runs")  # back to the default: the SDKs too
    assert logging.getLogger("qiskit").level == logging.NOTSET and not logging.getLogger("qiskit").handlers


def test_q_drops_progress_but_keeps_results_and_errors(suite, tmp_path, capsys):
    code, out, err = harness(capsys, "-q", "run", suite, "--runs-dir", tmp_path / "runs")
    assert code == 0 and "record: " in out
    assert "[1/2]" not in err and "INFO" not in err
    assert logging.getLogger("harness").level == logging.ERROR
    code, _, err = harness(capsys, "-q", "run", tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml" in err  # a user error still says what is wrong


def test_v_and_q_are_accepted_in_long_form_and_counted(suite, tmp_path, capsys):
    assert harness(capsys, "--quiet", "--quiet", "run", suite, "--runs-dir", tmp_path / "runs")[0] == 0
    assert logging.getLogger("harness").level == logging.CRITICAL
    code, _, err = harness(capsys, "--verbose", "-q", "run", suite, "--runs-dir", tmp_path / "runs")
    assert code == 0 and "[1/2]" in err and "INFO" not in err  # they cancel out
