"""changed_layer names only the inputs that differ, by layer; nothing when nothing relevant changed."""

from __future__ import annotations

import copy
import json
import sys

from harness.drift.layers import changed_layers
from harness.lineage import source_sha256

BASE = {
    "code": {"commit": "aaa", "dirty": False}, "suite_sha256": "s1", "suite_file": "suites/ghz.yaml",
    "workload": "ghz", "workload_sha256": "w1", "python": "3.11.7",
    "sdk": {"qiskit": "2.6.2", "mitiq": "1.1.0"}, "seed": 1, "seeds": {"transpiler": 11, "simulator": 12},
    "params": {"n": 3, "shots": 4000}, "options": {"maxiter": 40},
    "device": {"backend": "fake_manila", "calibration_sha256": "c1", "optimization_level": 1,
               "seed_transpiler": 11, "transpiled_sha256": "t1", "physical_qubits": [0, 1, 2]},
    "settings": {"backend": "fake_manila", "optimization_level": 1, "mitigation": {"readout": True}},
    "mitigation": {"readout": True, "zne": None}, "started": "yesterday", "info": {"x": 1},
}


def _with(**changes) -> dict:
    new = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        node = new
        for part in head:
            node = node[part]
        node[last] = value
    return new


def test_a_new_commit_new_seeds_and_a_reworded_suite_change_nothing_relevant():
    new = _with(code__commit="bbb", code__dirty=True, suite_sha256="s2", seed=2, seeds__transpiler=99,
                device__seed_transpiler=99, device__transpiled_sha256="t2", device__physical_qubits=[1, 2, 3],
                started="today", info={"x": 2})
    assert changed_layers(new, BASE) is None


def test_each_layer_is_named_by_its_key_in_layer_order():
    cases = {
        "workload_sha256": _with(workload_sha256="w2"),
        "sdk.qiskit": _with(sdk__qiskit="2.7.0"),
        "device.calibration_sha256": _with(device__calibration_sha256="c2"),
        "mitigation.readout": _with(mitigation__readout=False, settings__mitigation={"readout": False}),
        "options.maxiter": _with(options__maxiter=80),
        "params.shots": _with(params__shots=1000),
    }
    for want, new in cases.items():
        assert changed_layers(new, BASE) == want, want
    level = _with(device__optimization_level=3, settings__optimization_level=3)
    assert changed_layers(level, BASE) == "device.optimization_level, settings.optimization_level"
    both = _with(params__shots=1000, sdk__mitiq="1.2.0", workload_sha256="w2")
    assert changed_layers(both, BASE) == "workload_sha256, sdk.mitiq, params.shots"


def test_a_key_recorded_on_one_side_only_is_not_a_change():
    old = copy.deepcopy(BASE)
    del old["workload_sha256"]  # promoted before the harness recorded it
    assert changed_layers(BASE, old) is None
    assert changed_layers(BASE, {}) is None


def test_the_workload_source_hash_follows_a_custom_module_edit(tmp_path, monkeypatch):
    module = tmp_path / "my_workload_mod.py"
    module.write_text("class W:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    mod = importlib.import_module("my_workload_mod")
    first = source_sha256(mod.W())
    assert first and len(first) == 64
    module.write_text("class W:\n    score = 2  # the scoring changed\n")
    assert source_sha256(mod.W) != first
    sys.modules.pop("my_workload_mod", None)
    assert source_sha256(json.JSONDecoder) == source_sha256(json.JSONDecoder())  # a class or an instance
