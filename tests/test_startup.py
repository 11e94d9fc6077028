"""Start-up: the commands that run nothing import no quantum SDK nor heavy library (seconds of import time saved)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SDKS = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "cirq", "mitiq", "stim",
        # nor the heavy libraries only some commands use (drift's statistics, scale-out, reports)
        "scipy", "pandas", "ruptures", "dask", "distributed", "jinja2", "playwright")
PROBE = """
import sys
from harness.cli import main
sys.argv = ["harness", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print("EXIT:" + str(code), file=sys.stderr)
print("IMPORTED:" + ",".join(m for m in {sdks!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["gate", "--dry-run", "suites/"],
                                  ["run", "--dry-run", "suites/ghz.yaml"]])
def test_no_quantum_sdk_imported(args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", PROBE.format(sdks=SDKS), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    line = [x for x in proc.stderr.splitlines() if x.startswith("IMPORTED:")]
    assert line, proc.stderr
    assert line[-1] == "IMPORTED:", f"harness {' '.join(args)} imported {line[-1][9:]}"
    assert "EXIT:0" in proc.stderr, proc.stdout + proc.stderr  # it did its work, not an early failure


def test_a_workload_is_imported_when_it_is_asked_for():
    """A run of a GHZ suite loads the GHZ workload only, not every workload's module."""
    code = ("import json, sys; from harness.workloads import get_workload; get_workload('ghz'); "
            "print(json.dumps(sorted(n for n in sys.modules if n.startswith('harness.workloads.'))))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "harness.workloads.ghz" in loaded
    assert not loaded & {"harness.workloads.maxcut", "harness.workloads.vqe", "harness.workloads.portfolio",
                         "harness.workloads.layer_fidelity", "harness.workloads.peers"}, loaded
