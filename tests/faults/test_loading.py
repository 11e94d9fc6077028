"""Hostile suite files and values: refused at load with file:line and exit 2, never a hang or a traceback."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from harness.cli import main
from harness.errors import HarnessError, SuiteError
from harness.suite import load_suite

SUITE = """\
suite: hostile
description: {description}
workload: {workload}
seed: 1
matrix:
  n: [2]
  shots: [{shots}]
baselines:
  classical: {{}}
metrics:
  success_probability: {{better: higher, tolerance: 0.03}}
"""


def suite_text(description='"fine"', workload="ghz", shots="100") -> str:
    return SUITE.format(description=description, workload=workload, shots=shots)


def harness(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code or 0, out, err


def refusal(path) -> str:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return str(info.value)


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "suite.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    assert "is a FIFO (named pipe), not a regular file" in refusal(fifo)
    assert time.monotonic() - start < 5


def test_a_link_to_a_device_is_refused_and_a_huge_file_is_not_read_whole(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    assert "is a device, not a regular file" in refusal(tmp_path / "zero.yaml")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (2 << 20))
    assert "larger than 1024 KiB" in refusal(big)


def test_a_path_over_255_characters_is_an_input_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = harness(capsys, "run", "a" * 300 + ".yaml", "--dry-run")
    assert code == 2 and "File name too long" in err and "shorter path" in err and "Traceback" not in err


@pytest.mark.parametrize("text, where", [
    (suite_text(description='"\\ud800"'), "suite.yaml:2: description: the text holds a lone surrogate (\\ud800)"),
    (suite_text().replace("  n: [2]", '  n: [2]\n  "\\udcff": [1]'), "suite.yaml:7: matrix"),
    (suite_text().replace("seed: 1", 'seed: 1\noptions: {label: "x\\udfffy"}'), "suite.yaml:5: options.label"),
])
def test_a_lone_surrogate_is_refused_at_its_line(tmp_path, capsys, monkeypatch, text, where):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suite.yaml").write_text(text)
    code, _, err = harness(capsys, "gate", "suite.yaml", "--quiet")
    assert code == 2, err
    assert where in err and "lone surrogate" in err


@pytest.mark.parametrize("shots, message", [
    ("true", "shots must be a whole number, not true (bool)"),
    ("2e2", "shots must be a whole number, not 200.0 (float)"),
    ("200.0", "shots must be a whole number, not 200.0 (float)"),
    ("1000000000000", "shots 1000000000000 is outside 1..10000000"),
    ("0", "shots 0 is outside 1..10000000"),
    ("-5", "shots -5 is outside 1..10000000"),
])
def test_shots_are_whole_numbers_within_bounds(tmp_path, shots, message):
    path = tmp_path / "suite.yaml"
    path.write_text(suite_text(shots=shots))
    text = refusal(path)
    assert text.startswith(f"{path}:7: matrix.shots.0: {message}"), text


def test_the_shot_limit_is_a_project_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "suite.yaml"
    path.write_text(suite_text(shots="5000"))
    assert load_suite(path).model.matrix["shots"] == [5000]
    (tmp_path / "pyproject.toml").write_text("[tool.qharness]\nmax-shots = 1000\n")
    assert "shots 5000 is outside 1..1000" in refusal(path)
    path.write_text(suite_text(shots="100").replace("seed: 1", "seed: 1\noptions: {eval_shots: 2000}"))
    assert "options.eval_shots: shots 2000 is outside 1..1000" in refusal(path)


@pytest.mark.parametrize("workload", ['"..:X"', '".:X"', '"{tmp}/evil:Evil"', '"evil.py:Evil"'])
def test_a_workload_given_as_a_path_is_exit_2_at_its_line_and_imports_nothing(tmp_path, capsys, monkeypatch, workload):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "imported"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "suite.yaml").write_text(suite_text(workload=workload.format(tmp=tmp_path)))
    for args in (("run", "suite.yaml", "--dry-run"), ("gate", "suite.yaml", "--quiet")):
        code, _, err = harness(capsys, *args)
        assert code == 2, err
        assert "suite.yaml:3: workload:" in err and "Traceback" not in err
    assert not marker.exists()


def test_dry_run_names_the_module_a_suite_would_import_and_imports_none(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "imported"
    (tmp_path / "probe_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "suite.yaml").write_text(suite_text(workload="probe_mod:Probe"))
    code, out, err = harness(capsys, "run", "suite.yaml", "--dry-run")
    assert code == 0, err
    assert f"hostile: probe_mod:Probe from {tmp_path / 'probe_mod.py'} (not imported)" in out
    assert "nothing was executed" in out
    assert not marker.exists() and not any("probe_mod" in m for m in sys.modules)


class _Offline:
    """Stands in for QiskitRuntimeService on a machine without network: a DNS failure under a 'bad token'."""

    def __init__(self, **kwargs):
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as dns:
            raise ValueError("Unable to retrieve instances. Please check that you are using a valid API token.") \
                from dns


class _Confused:
    def __init__(self, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'split'")


def test_offline_ibm_is_called_offline_not_a_bad_token(monkeypatch):
    import qiskit_ibm_runtime

    from harness.executors.ibm import ibm_backend

    monkeypatch.setenv("QISKIT_IBM_TOKEN", "tok-SECRET-123")
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", _Offline)
    with pytest.raises(HarnessError) as info:
        ibm_backend("ibm_brisbane")
    text = str(info.value)
    assert "cannot be reached" in text and "looks offline" in text and "credentials were not checked" in text
    assert "valid API token" not in text and "SECRET" not in text


def test_malformed_ibm_settings_are_named(monkeypatch):
    import qiskit_ibm_runtime

    from harness.executors.ibm import ibm_backend

    monkeypatch.setenv("QISKIT_IBM_TOKEN", "tok-SECRET-123")
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", _Confused)
    monkeypatch.setenv("QISKIT_IBM_CHANNEL", "bogus")
    with pytest.raises(HarnessError, match="QISKIT_IBM_CHANNEL='bogus' is not a channel"):
        ibm_backend("x")
    monkeypatch.delenv("QISKIT_IBM_CHANNEL")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", " crn:v1\n")
    with pytest.raises(HarnessError, match="QISKIT_IBM_INSTANCE=.* is not an instance"):
        ibm_backend("x")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "hub/group/project")
    with pytest.raises(HarnessError, match="account settings were not understood") as info:
        ibm_backend("x")
    assert "AttributeError" in str(info.value) and "SECRET" not in str(info.value)
