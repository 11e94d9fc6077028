"""The IBM token never reaches an output: run record, reports, baselines, stdout or stderr.

A full ``harness gate`` runs, in a fresh working folder and home, a small suite on fake backends
and a suite asking for real hardware (``ibm:ibm_fake_name``) with ``QISKIT_IBM_TOKEN`` set to a
recognisable value. The real qiskit-ibm-runtime service path is taken (no test double): it fails
here (invalid token, no network), and the failure must be reported without the token. Then the
run is promoted and reported, and every byte written is searched.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import BASELINES, suite_yaml

pytestmark = pytest.mark.sdk  # runs a gate on fake_manila and the runtime service path

METRICS = {"success_probability": {"better": "higher", "tolerance": 0.05}}

FAKE_SUITE = suite_yaml("secrets-fake", baselines={**BASELINES, "hardware": {"backend": "fake_manila", "mitigation": {
    "readout": True, "bootstrap": 20, "zne": {"scale_factors": [1, 3], "extrapolation": "linear"}}}}, metrics=METRICS)

IBM_SUITE = suite_yaml("secrets-ibm", baselines={"classical": {}, "hardware": {"backend": "ibm:ibm_fake_name"}}, metrics=METRICS)


def _harness(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_token_never_appears_in_any_output(tmp_path):
    token = "QHSECRET" + secrets.token_hex(16)
    # the full token, and pieces of it: a truncated or partly masked copy is a leak too
    needles = [token, token[8:], token[8:24], token[24:]]
    work, home = tmp_path / "work", tmp_path / "home"
    (work / "suites").mkdir(parents=True)
    home.mkdir()
    (work / "suites" / "fake.yaml").write_text(FAKE_SUITE)
    (work / "suites" / "ibm.yaml").write_text(IBM_SUITE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QISKIT_IBM_")}
    # HOME: no saved account is found, and anything written under ~ is searched below
    env.update({"QISKIT_IBM_TOKEN": token, "HOME": str(home)})
    dirs = ["--baselines", "baselines", "--runs-dir", "runs"]

    gate = _harness(["gate", "suites", *dirs, "--out", "reports", "--quiet"], work, env)
    assert gate.returncode == 3, gate.stdout + gate.stderr  # the ibm suite cannot execute
    assert "ibm_fake_name" in gate.stderr  # the failure is reported, naming the backend
    promote = _harness(["baseline", "promote", "latest", *dirs], work, env)
    assert promote.returncode == 0, promote.stdout + promote.stderr
    report = _harness(["report", "latest", *dirs, "--out", "reports2"], work, env)
    assert report.returncode == 0, report.stdout + report.stderr

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    for sub in ("runs", "reports", "reports2", "baselines"):
        assert any(p.is_relative_to(work / sub) for p in written), f"nothing written in {sub}/"
    record = next((work / "runs").glob("*.json")).read_text()
    assert "secrets-ibm" in record and "failed" in record  # the failed case is recorded, with its error
    outputs = {f"{name} {stream}": text for name, proc in (("gate", gate), ("promote", promote), ("report", report))
               for stream, text in (("stdout", proc.stdout), ("stderr", proc.stderr))}
    outputs.update({str(p.relative_to(tmp_path)): p.read_bytes().decode("utf-8", "replace") for p in written})
    leaks = [(where, n) for where, text in outputs.items() for n in needles if n in text]
    assert leaks == [], f"the token leaked into: {sorted({w for w, _ in leaks})}"
