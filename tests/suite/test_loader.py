"""The suite loader refuses every malformed file with its name, the line and a fix."""

from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite import load_suite, load_suites

from ..conftest import suite_yaml

GOOD = suite_yaml("demo", seed=None, matrix={"n": [3, 4], "shots": [1000]}, baselines={"simulator": {"engine": "aer"}},
                  metrics={"success_probability": {"better": "higher", "tolerance": 0.02}})


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_suite_loads_with_its_hash(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    assert suite.name == "demo"
    assert suite.model.matrix == {"n": [3, 4], "shots": [1000]}
    assert suite.model.metrics["success_probability"].better == "higher"
    assert len(suite.sha256) == 64


def test_an_unknown_key_names_file_line_and_fix(tmp_path):
    path = write(tmp_path, GOOD.replace("  simulator: {engine: aer}", "  simulator: {engine: aer, shots: 3}"))
    with pytest.raises(SuiteError) as err:
        load_suite(path)
    text = str(err.value)
    assert f"{path}:7" in text
    assert "baselines.simulator.shots" in text
    assert "fix: remove the key" in text


def test_a_wrong_type_points_at_the_value(tmp_path):
    path = write(tmp_path, GOOD.replace("tolerance: 0.02", "tolerance: lots"))
    with pytest.raises(SuiteError, match=rf"{path}:9: metrics.success_probability.tolerance"):
        load_suite(path)


def test_a_bad_direction_lists_the_choices(tmp_path):
    path = write(tmp_path, GOOD.replace("better: higher", "better: up"))
    with pytest.raises(SuiteError, match="'higher' or 'lower'"):
        load_suite(path)


def test_a_missing_section_is_named(tmp_path):
    path = write(tmp_path, GOOD.split("metrics:")[0])
    with pytest.raises(SuiteError, match=r"metrics: Field required.*\n  fix: add the key"):
        load_suite(path)


def test_yaml_syntax_errors_carry_the_line(tmp_path):
    path = write(tmp_path, GOOD.replace("  n: [3, 4]", "  n: [3, 4"))
    with pytest.raises(SuiteError, match=rf"(?s){path}:\d+: .*fix: fix the YAML syntax"):
        load_suite(path)


def test_non_utf8_bytes_are_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(GOOD.encode() + b"# \xff\xfe\n")
    with pytest.raises(SuiteError, match="not UTF-8"):
        load_suite(path)


def test_yaml_tags_never_construct_objects(tmp_path):
    path = write(tmp_path, GOOD.replace("suite: demo", "suite: !!python/object/apply:os.system ['true']"))
    with pytest.raises(SuiteError):
        load_suite(path)


def test_an_empty_matrix_list_is_refused(tmp_path):
    path = write(tmp_path, GOOD.replace("n: [3, 4]", "n: []"))
    with pytest.raises(SuiteError, match="matrix: .*'n' has no values"):
        load_suite(path)


def test_a_huge_matrix_is_refused(tmp_path):
    big = GOOD.replace("n: [3, 4]", f"n: {list(range(200))}").replace("shots: [1000]", f"shots: {list(range(1, 101))}")
    with pytest.raises(SuiteError, match="20000 cases; the limit is 10000"):
        load_suite(write(tmp_path, big))


def test_duplicate_keys_are_refused(tmp_path):
    path = write(tmp_path, GOOD + "workload: ghz\n")
    with pytest.raises(SuiteError, match=str(path)):
        load_suite(path)


def test_a_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(SuiteError, match="cannot read the suite file"):
        load_suite(tmp_path / "nope.yaml")


def test_two_suites_with_one_name_are_refused(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(SuiteError, match="also used by"):
        load_suites([tmp_path])


def test_a_suite_file_named_twice_is_loaded_once(tmp_path, monkeypatch):
    """``suites/ suites/ghz.yaml``, ``ghz.yaml ./ghz.yaml``: one file given twice is not two suites of one name."""
    path = write(tmp_path, GOOD, "a.yaml")
    (tmp_path / "link.yaml").symlink_to(path)
    monkeypatch.chdir(tmp_path)
    for given in ([tmp_path, path], [path, "./a.yaml", "link.yaml"]):
        assert [s.path for s in load_suites(given)] == [path], given
    write(tmp_path, GOOD, "b.yaml")  # a copy is another file: still refused
    with pytest.raises(SuiteError, match="also used by"):
        load_suites([path, tmp_path / "b.yaml"])


def test_a_folder_without_suites_is_an_error(tmp_path):
    with pytest.raises(SuiteError, match="no suite files"):
        load_suites([tmp_path])


def test_the_bundled_suites_load():
    suites = load_suites([Path(__file__).parents[2] / "suites"])
    assert {s.name for s in suites} >= {"ghz", "maxcut-qaoa"}


@pytest.mark.parametrize("old, new, fix", [
    ("suite: demo", "suite: my demo", "fix: change the value to match ^[A-Za-z0-9]"),
    ("tolerance: 0.02", "tolerance: -0.02", "fix: use a value of at least 0"),
    ("workload: ghz", "workload: ghz\ntrials: 0", "fix: use a value of at least 1"),
    ("workload: ghz", "workload: ghz\nseed: 20.5", "fix: write a whole number"),
    ("workload: ghz", "workload: ghz\nseed: abc", "fix: write a whole number such as 3"),
    ("{engine: aer}", "{engine: aer, cross_check_noise: 0.9}", "fix: use a value of at most 0.5"),
    ("{engine: aer}", "{engine: aer, cross_check_noise: [1]}", "fix: write a number such as 0.5"),
    ("metrics:", "precision: {auto_shots: maybe}\nmetrics:", "fix: write true or false"),
    ("  n: [3, 4]", "  n: 3", "fix: write a list, [a, b]"),
])
def test_every_refused_value_says_what_to_write_instead(tmp_path, old, new, fix):
    assert old in GOOD
    with pytest.raises(SuiteError) as err:
        load_suite(write(tmp_path, GOOD.replace(old, new, 1)))
    assert f"{tmp_path / 'demo.yaml'}:" in str(err.value) and fix in str(err.value), str(err.value)


@pytest.mark.parametrize("matrix, options, fix", [
    ({"n": [1], "shots": [100]}, None, "fix: use a value of at least 2"),
    ({"n": ["abc"], "shots": [100]}, None, "fix: write a whole number such as 3"),
    ({"n": [True], "shots": [100]}, None, "n must be a number, not true\n  fix: write a number, not true or false: use "
                                          "a value of at least 2"),
    ({"n": [3], "shots": [100]}, {"colour": 1}, "fix: remove the key: workload 'ghz' takes no options"),
])
def test_a_value_the_workload_refuses_says_what_to_write_instead(tmp_path, matrix, options, fix):
    from harness.orchestration.plan import plan_suite

    text = suite_yaml("demo", matrix=matrix, baselines={"classical": {}}, **({"options": options} if options else {}))
    with pytest.raises(SuiteError) as err:
        plan_suite(load_suite(write(tmp_path, text)), check_width=False)
    assert f"{tmp_path / 'demo.yaml'}:" in str(err.value) and fix in str(err.value), str(err.value)
    if options:  # a workload with options lists them
        text = suite_yaml("demo", "vqe_h2", matrix={"reps": [1], "shots": [100]}, baselines={"classical": {}},
                          options={"maxiters": 3}, metrics={"energy": {"better": "lower"}})
        with pytest.raises(SuiteError, match=r"fix: remove the key, or check its spelling: the vqe_h2 options are maxiter, "):
            plan_suite(load_suite(write(tmp_path, text)), check_width=False)
