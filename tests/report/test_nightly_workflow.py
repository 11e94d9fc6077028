"""The example nightly workflow is a valid GitHub workflow, calls the CLI as it is, publishes only
tonight's run record, and its shell steps do what they say (run here with bash and a stand-in gate)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from ruamel.yaml import YAML

from harness.cli import cli
from harness.report import REPORT_FILES
from harness.report.validate import main as validate_main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


@pytest.fixture(scope="module")
def doc():
    return YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(doc):
    return doc["jobs"]["gate"]["steps"]


def _step(steps, name):
    return next(s for s in steps if s.get("name") == name)


def _commands(script: str) -> list[list[str]]:
    """Each call of the project's venv in a step's script, as its arguments (up to a redirection)."""
    out = []
    for line in script.splitlines():
        at = line.find(".venv/bin/")
        if at < 0:
            continue
        args = []
        for a in shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "EXPR", line[at:]), comments=True):
            if a in ("-", ")") or a.startswith((">", "<")):
                break
            args.append(a)
        out.append(args)
    return out


def test_the_workflow_is_valid_against_githubs_schema():
    pytest.importorskip("check_jsonschema")
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_command_it_runs_exists_in_the_cli(steps):
    seen = set()
    for step in steps:
        for args in _commands(step.get("run", "")):
            if args[0] == ".venv/bin/harness":
                command = cli
                i = 1
                while isinstance(command, click.Group):
                    command = command.commands[args[i]]
                    i += 1
                known = {opt for p in command.params for opt in p.opts}
                assert {a for a in args[i:] if a.startswith("--")} <= known, (step["name"], args)
                seen.add(" ".join(args[:i]))
            elif args[:2] == [".venv/bin/python", "-m"]:
                assert importlib.util.find_spec(args[2]) is not None, args
                seen.add(args[2])
    assert {".venv/bin/harness gate", "harness.report.validate"} <= seen
    gate = _commands(_step(steps, "Gate")["run"])[0]
    assert "--strict" in gate and "--json" in gate
    out = gate[gate.index("--out") + 1].rstrip("/")
    # Summary, checks, annotations and artifacts all point at the folder the gate writes into.
    assert f"{out}/{REPORT_FILES['markdown']}" in _step(steps, "Job summary")["run"]
    assert "$GITHUB_STEP_SUMMARY" in _step(steps, "Job summary")["run"]
    assert _step(steps, "JUnit results")["with"]["report_paths"] == f"{out}/{REPORT_FILES['junit']}"
    assert _step(steps, "Upload reports")["with"]["path"].rstrip("/") == out
    assert f"{out}/" in _step(steps, "Check reports")["run"]


def test_pip_is_cached_and_only_tonights_record_is_uploaded(doc, steps):
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"] == "pyproject.toml"
    upload = _step(steps, "Upload run record")["with"]["path"]
    assert "*" not in upload and upload == "${{ steps.record.outputs.path }}"
    assert doc["permissions"]["checks"] == "write"  # the JUnit check run
    env = doc["jobs"]["gate"]["env"]
    assert env["QHARNESS_REPORT_URL"].endswith("/actions/runs/${{ github.run_id }}")
    assert {"QHARNESS_REPORT_URL", "QHARNESS_WEBHOOK_URL"} == set(env)
    assert {p.envvar for p in cli.commands["gate"].params if p.envvar} == set(env)


def test_install_uses_the_ci_script_and_reports_survive_a_failed_gate(steps):
    assert _step(steps, "Install")["run"].strip() == "bash .ci/setup" and (ROOT / ".ci" / "setup").exists()
    after = steps[steps.index(_step(steps, "Gate")) + 1:]
    # The gate's exit code fails the job; everything after it must still run to publish the reports.
    assert after and all(s.get("if", "").startswith("${{ !cancelled()") for s in after)


def _bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("code", [0, 1, 4])
def test_the_gate_and_record_steps_keep_the_exit_code_and_name_tonights_record(steps, tmp_path, code):
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, tmp_path / ".venv" / "bin" / "python")
    record = tmp_path / ".runs" / "20260101T031700.000000Z-abc123.json"
    # a stand-in for the gate: the JSON on stdout (none on an environment error), then its code
    stand_in = tmp_path / ".venv" / "bin" / "harness"
    doc = json.dumps({"exit_code": code, "record": str(record)})
    stand_in.write_text("#!/bin/sh\nmkdir -p reports\n" + (f"echo '{doc}'\n" if code != 4 else "") + f"exit {code}\n")
    stand_in.chmod(0o755)
    outputs = tmp_path / "github_output"
    gate = _bash(_step(steps, "Gate")["run"], tmp_path, {"GITHUB_OUTPUT": str(outputs)})
    assert gate.returncode == code, gate.stderr
    assert f"code={code}" in outputs.read_text() and (tmp_path / "reports" / "gate.json").exists()
    outputs.write_text("")
    step = _bash(_step(steps, "Tonight's run record")["run"], tmp_path, {"GITHUB_OUTPUT": str(outputs)})
    assert step.returncode == 0, step.stderr
    assert outputs.read_text().strip() == (f"path={record}" if code != 4 else "path=")


def test_the_check_step_fails_on_reports_that_disagree(judged, tmp_path, capsys):
    from harness.report import write_reports

    write_reports(*judged, tmp_path)  # exit 3: a result failed
    assert validate_main([str(tmp_path), "--exit-code", "3"]) == 0
    assert validate_main([str(tmp_path), "--exit-code", "0"]) == 1
    (tmp_path / "junit.xml").write_text("<testsuites><testcase name='x'/></testsuites>")
    assert validate_main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "junit.xml" in out and "problem(s)" in out
