"""A case's id is the suite's instance and declared conditions: readable, stable, file-safe."""

import pytest

from harness.errors import SuiteError
from harness.suite import expand, load_suite

from ..conftest import suite_yaml

SUITE = suite_yaml("demo", "maxcut_qaoa", seed=3, options={}, baselines=("hardware",),
                   matrix={"graph": [{"name": "tri", "edges": [[0, 1], [1, 2], [0, 2]]},
                                     {"name": "path", "edges": [[0, 1], [1, 2]]}], "reps": [1, 2], "shots": [500]},
                   metrics={"expected_cut": {"better": "higher"}})


def load(tmp_path, text=SUITE):
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    return load_suite(path)


def test_cases_are_the_matrix_product_in_order(tmp_path):
    cases = expand(load(tmp_path))
    assert [c.case_id for c in cases] == [
        "graph=tri,reps=1,shots=500", "graph=tri,reps=2,shots=500",
        "graph=path,reps=1,shots=500", "graph=path,reps=2,shots=500",
    ]
    assert cases[0].params["graph"]["edges"] == [[0, 1], [1, 2], [0, 2]]


def test_execution_settings_are_not_identity(tmp_path):
    before = [c.case_id for c in expand(load(tmp_path))]
    changed = SUITE.replace("optimization_level: 1", "optimization_level: 3").replace("readout: true", "readout: false")
    changed = changed.replace("seed: 3", "seed: 99")
    assert [c.case_id for c in expand(load(tmp_path, changed))] == before


def test_an_unnamed_instance_is_refused_at_its_line(tmp_path):
    suite = load(tmp_path, SUITE.replace("{name: path, edges", "{edges"))
    with pytest.raises(SuiteError, match=r"demo.yaml:7: matrix.graph.1: an instance given as a mapping needs a 'name'"):
        expand(suite)


def test_labels_cannot_escape_the_baselines_folder(tmp_path):
    suite = load(tmp_path, SUITE.replace("name: tri", "name: ../../etc"))
    with pytest.raises(SuiteError, match="must be 1-64 of letters"):
        expand(suite)


def test_duplicate_case_ids_are_refused(tmp_path):
    suite = load(tmp_path, SUITE.replace("name: path", "name: tri"))
    with pytest.raises(SuiteError, match="two cases share the id"):
        expand(suite)
