"""The public API is small, sorted, resolvable, and cheap to import."""

import subprocess
import sys

import harness


def test_all_is_sorted_and_every_name_resolves():
    assert harness.__all__ == sorted(harness.__all__)
    for name in harness.__all__:
        assert getattr(harness, name) is not None


def test_importing_harness_loads_no_quantum_sdk():
    code = ("import sys, harness; harness.load_suite; "
            "print(sorted(m for m in ('qiskit', 'qiskit_aer', 'qiskit_ibm_runtime', 'cirq', 'mitiq') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
