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
        "graph=tri,reps=1", "graph=tri,reps=2", "graph=path,reps=1", "graph=path,reps=2",
    ]
    assert cases[0].params["graph"]["edges"] == [[0, 1], [1, 2], [0, 2]]
    assert cases[0].params["shots"] == 500  # precision: in the parameters, not in the id


def test_precision_is_not_identity_unless_it_is_swept(tmp_path):
    before = [c.case_id for c in expand(load(tmp_path))]
    assert [c.case_id for c in expand(load(tmp_path, SUITE.replace("[500]", "[4000]")))] == before
    swept = [c.case_id for c in expand(load(tmp_path, SUITE.replace("[500]", "[500, 4000]")))]
    assert swept[:2] == ["graph=tri,reps=1,shots=500", "graph=tri,reps=1,shots=4000"]
    only = "suite: s\nworkload: ghz\nmatrix: {shots: [100]}\nbaselines: {classical: {}}\n" \
           "metrics: {success_probability: {better: higher}}\n"
    assert [c.case_id for c in expand(load(tmp_path, only))] == ["shots=100"]  # nothing else to name it by


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


def test_a_change_of_shots_is_judged_with_both_standard_errors(tmp_path):
    import math

    from harness.drift import compare
    from harness.records import Metric, Result, Run

    (old_case,) = expand(load(tmp_path))[:1]
    (new_case,) = expand(load(tmp_path, SUITE.replace("[500]", "[4000]")))[:1]
    assert old_case.case_id == new_case.case_id  # the same case, measured more precisely
    old = Result("demo", old_case.case_id, "simulator", "simulator", "ok", {"p": Metric(0.80, "proportion", n=500)})
    new = Result("demo", new_case.case_id, "simulator", "simulator", "ok", {"p": Metric(0.78, "proportion", n=4000)})
    run = Run("r", "2026-01-01", (new,), {"demo": {"metrics": {"p": {"better": "higher", "tolerance": 0.05}}}})
    (v,) = compare(run, {old.key: old})
    assert v.status != "no_baseline" and v.test == "z"
    se = math.hypot(math.sqrt(0.8 * 0.2 / 500), math.sqrt(0.78 * 0.22 / 4000))
    assert v.ci_high - v.effect == pytest.approx(2.5758 * se, rel=1e-3)


@pytest.mark.parametrize("written, shown", [("2.0", "not 2.0 (float)"), ('"02"', "not '02' (str)"), ("true", "not true")])
def test_a_whole_number_written_otherwise_is_refused_at_its_line(tmp_path, written, shown):
    """The workload would read ``2.0`` as 2, but the case id would read ``reps=2.0``: one case, two ids."""
    from harness.orchestration.plan import plan_suite

    suite = load(tmp_path, SUITE.replace("reps: [1, 2]", f"reps: [1, {written}]"))
    with pytest.raises(SuiteError) as err:
        plan_suite(suite, check_width=False)
    assert str(err.value).startswith(f"{tmp_path / 'demo.yaml'}:8: matrix.reps.1: reps must be a whole number, {shown}")
    assert "write " in err.value.hint


def test_numbers_spelled_as_their_type_keep_their_case_ids(tmp_path, make_suite):
    """``2`` for a whole number, ``1.0`` or ``1`` for a real one: accepted, their ids as written."""
    from harness.orchestration.plan import plan_suite

    plan = plan_suite(load(tmp_path), check_width=False)
    assert [c.case.case_id for c in plan.cases][:2] == ["graph=tri,reps=1", "graph=tri,reps=2"]
    tfim = make_suite("tfim", "vqe_tfim", baselines=("classical",), matrix={"n": [3], "field": [1.0, 2], "shots": [100]},
                      metrics={"energy": {"better": "lower"}})
    assert [c.case.case_id for c in plan_suite(load_suite(tfim), check_width=False).cases] == ["n=3,field=1.0", "n=3,field=2"]


def test_bundled_case_ids_are_unchanged():
    """Every bundled suite plans, and its case ids are those of its stored baselines."""
    from pathlib import Path

    from harness.orchestration.plan import plan_suite

    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "suites").glob("*.yaml")):
        plan = plan_suite(load_suite(path), check_width=False)
        stored = {p.stem for p in (root / "baselines" / plan.suite.name).glob("*.json")}
        assert {c.case.case_id for c in plan.cases} == stored, path.name
