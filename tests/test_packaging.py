"""The core install is what `harness gate` needs: test, benchmark and scale-out tools are extras."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
EXTRAS_ONLY = {"pytest", "pytest-benchmark", "pytest-xdist", "asv", "dask", "distributed", "hypothesis", "playwright"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def test_core_dependencies_hold_no_test_or_scale_out_tool_and_use_ranges():
    core = PROJECT["dependencies"]
    assert not {_name(r) for r in core} & EXTRAS_ONLY
    pinned = [r for r in core if "==" in r]
    assert [_name(r) for r in pinned] == ["mitiq"]  # the one pin a resolver conflict forces (see the comment)
    text = (REPO / "pyproject.toml").read_text()
    assert re.search(r"# Pinned: .*resolver conflict.*\n.*\n\s*\"mitiq==", text)
    assert all(re.search(r">=|<|~=", r) for r in core if r not in pinned), "a version range for every other one"


def test_the_test_extra_brings_every_tool_the_suite_and_the_readme_need():
    extras = PROJECT["optional-dependencies"]
    assert {_name(r) for r in extras["dask"]} == {"dask"} and "distributed" in extras["dask"][0]
    assert {_name(r) for r in extras["benchmark"]} == {"pytest", "pytest-benchmark", "pytest-xdist"}
    assert {_name(r) for r in extras["asv"]} == {"asv"}
    assert "qharness[dask,asv,benchmark]" in extras["test"]
    # the bundled suites run from the core install: the Google device's cirq-google is in it
    assert "cirq-google" in {_name(r) for r in PROJECT["dependencies"]}
    assert {"hypothesis", "playwright"} <= {_name(r) for r in extras["test"]}
    assert '-e ".[test]"' in (REPO / ".ci" / "setup").read_text()


@pytest.mark.sdk
def test_gate_dry_run_works_without_pytest_asv_or_dask(tmp_path):
    """As on a core install: those modules cannot be imported; the CLI plans the bundled suites anyway."""
    blocked = tmp_path / "blocked"
    for module in ("pytest", "_pytest", "asv", "dask", "distributed", "pytest_benchmark", "xdist"):
        (blocked / module).mkdir(parents=True)
        (blocked / module / "__init__.py").write_text(
            f"raise ModuleNotFoundError('not in the core install: {module}', name={module!r})\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked), str(REPO)])}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "gate", "suites/", "--dry-run"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "nothing was executed" in proc.stdout
    assert "Traceback" not in proc.stderr
