"""The example nightly workflow calls the CLI as it is, and publishes what the reports module writes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from harness.cli import cli
from harness.report import REPORT_FILES

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


@pytest.fixture(scope="module")
def steps():
    doc = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    assert "schedule" in doc["on"] and "workflow_dispatch" in doc["on"]
    return doc["jobs"]["gate"]["steps"]


def _step(steps, name):
    return next(s for s in steps if s.get("name") == name)


def test_gate_step_uses_real_options_and_strict(steps):
    args = shlex.split(_step(steps, "Gate")["run"])
    assert args[:2] == [".venv/bin/harness", "gate"] and "--strict" in args
    gate = cli.commands["gate"]
    known = {opt for p in gate.params for opt in p.opts}
    assert {a for a in args if a.startswith("--")} <= known
    out = args[args.index("--out") + 1].rstrip("/")
    # Summary and artifact point at the folder the gate writes into.
    assert f"{out}/{REPORT_FILES['markdown']}" in _step(steps, "Job summary")["run"]
    assert "$GITHUB_STEP_SUMMARY" in _step(steps, "Job summary")["run"]
    assert _step(steps, "Upload reports")["with"]["path"].rstrip("/") == out


def test_install_uses_the_ci_script_and_reports_survive_a_failed_gate(steps):
    assert _step(steps, "Install")["run"].strip() == "bash .ci/setup" and (ROOT / ".ci" / "setup").exists()
    after = steps[steps.index(_step(steps, "Gate")) + 1:]
    # The gate's exit code fails the job; everything after it must still run to publish the reports.
    assert after and all(s.get("if") == "${{ !cancelled() }}" for s in after)
