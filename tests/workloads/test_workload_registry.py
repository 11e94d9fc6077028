"""The workload registry and the class-level contract every workload must meet."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.errors import UnsupportedError
from harness.records import METRIC_KINDS
from harness.workloads import WORKLOADS, Workload, get_workload


def test_known_workloads():
    assert set(WORKLOADS) == {"ghz", "layer_fidelity", "maxcut_qaoa", "mirror", "mqt_bench", "portfolio",
                              "quantum_volume", "rb", "supermarq", "vqe_h2", "vqe_tfim"}
    assert get_workload("maxcut_qaoa").name == "maxcut_qaoa"


def test_unknown_workload_names_the_known_ones():
    with pytest.raises(UnsupportedError, match="ghz, layer_fidelity, maxcut_qaoa") as info:
        get_workload("vqe_h3")
    assert "vqe_h3" in str(info.value) and info.value.hint


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_class_contract(name):
    cls = WORKLOADS[name]
    assert issubclass(cls, Workload) and cls.name == name and cls.description
    assert cls.metrics and all(info.kind in METRIC_KINDS for info in cls.metrics.values())
    assert cls.default_solvers and set(cls.default_solvers) <= set(cls.solvers)
    assert "shots" in cls.Params.model_fields
    cls.Options()  # every option has a default


def test_importing_workloads_stays_light():
    heavy = "('qiskit', 'qiskit_aer', 'scipy')"
    code = f"import sys, harness.workloads; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
