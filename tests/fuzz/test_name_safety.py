"""Suite names, matrix keys and instance names cannot leave ``baselines/``: refused at load or expand.

A suite's name is a folder under ``baselines/`` and a case id (``key=label,...``) a file name in it,
so each is checked where the suite is read, not first when a baseline is promoted.
"""

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from suite_inputs import BUNDLED, write_input

from harness.errors import SuiteError
from harness.orchestration.plan import plan_suite
from harness.store import baseline_path
from harness.store.atomic import write_json
from harness.suite import expand, load_suite

PROFILE = settings.get_profile(os.environ.get("QHARNESS_FUZZ_PROFILE", "fuzz-ci"))

HOSTILE_NAMES = [
    "..", "../x", "../../etc/passwd", "a/b", "a\\b", "..\\..\\x", "/etc/passwd", "/", "C:\\x", "C:x", "a\0b", "\0",
    "ghz\n", "\nghz", "ghz\r", ".hidden", ".", "a..b", "a/../b", "", " ", " ghz", "ghz ", "x" * 300, "%2e%2e%2fx",
    "a\u2215b", "a\uff0fb", "\u202eghz", "ghz\t", "~root", "$HOME", "a;b", "a|b", "a*b", "a?b", "a:b", "nul\x85",
]
"""Traversal, separators of every OS, absolute paths, NUL and control characters, look-alike
slashes, hidden files, over-long names, shell metacharacters."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("names")


def with_suite_name(name: str) -> str:
    return BUNDLED["ghz.yaml"].replace("suite: ghz", f"suite: {json.dumps(name)}")  # JSON strings are YAML


def with_instance_name(name: str) -> str:
    return BUNDLED["maxcut-qaoa.yaml"].replace("- name: cube", f"- name: {json.dumps(name)}")


def with_matrix_key(name: str) -> str:
    return BUNDLED["ghz.yaml"].replace("  n: [3, 4]", f"  {json.dumps(name)}: [3, 4]")


def with_scalar_label(name: str) -> str:
    return BUNDLED["ghz.yaml"].replace("n: [3, 4]", f"n: [3, {json.dumps(name)}]")


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_a_hostile_suite_name_is_refused_at_load(folder, name):
    path = write_input(folder, with_suite_name(name))
    with pytest.raises(SuiteError, match=rf"^{path}:2: suite: "):
        load_suite(path)


# "." or ".hidden" as a label is harmless: the case id is "graph=.hidden"; as a key it would start the file name
@pytest.mark.parametrize("make, name", [
    (make, name) for make in (with_instance_name, with_matrix_key, with_scalar_label)
    for name in [n for n in HOSTILE_NAMES if n != "x" * 300] + ["x" * 65]
    if make is with_matrix_key or name not in (".", ".hidden")
], ids=lambda v: v.__name__ if callable(v) else repr(v))
def test_a_hostile_instance_name_or_key_is_refused_at_expand(folder, make, name):
    suite = load_suite(write_input(folder, make(name)))  # loads: the matrix's names are checked by expand
    with pytest.raises(SuiteError, match=rf"^{suite.path}:\d+: matrix\.") as err:
        expand(suite)
    assert "must be" in str(err.value) or "must not" in str(err.value)


@pytest.mark.sdk
def test_the_longest_names_accepted_still_make_a_file_name(folder, tmp_path):
    assert load_suite(write_input(folder, with_suite_name("s" * 80))).name == "s" * 80
    with pytest.raises(SuiteError, match="at most 80 characters"):
        load_suite(write_input(folder, with_suite_name("s" * 81)))
    suite = load_suite(write_input(folder, with_instance_name("g" * 64)))
    (case, *_) = plan_suite(suite).cases
    write_json(baseline_path(tmp_path, "s" * 80, case.case.case_id), {})  # no "file name too long"


def test_an_over_long_case_id_is_refused_at_expand(folder):
    keys = "\n".join(f"  {k * 64}: [{'v' * 64}]" for k in "abcd")  # 519 characters (a single shots value is not in the id)
    suite = load_suite(write_input(folder, BUNDLED["ghz.yaml"].replace("  n: [3, 4]", keys)))
    with pytest.raises(SuiteError, match=r":8: matrix: case id .* is 519 characters; the limit is 200"):
        expand(suite)


_fragments = st.sampled_from(["..", ".", "/", "\\", "\0", "\n", ":", "~", "a", "Z", "0", "_", "-", "+", "=", ",",
                              "\u2215", "\uff0f", "é", "C:", "%2f", " ", "x" * 40])
_names = st.one_of(st.text(max_size=90), st.lists(_fragments, min_size=1, max_size=8).map("".join))


@settings(PROFILE)
@given(suite_name=_names, instance=_names)
def test_whatever_is_accepted_has_a_baseline_file_inside_the_folder(folder, tmp_path_factory, suite_name, instance):
    text = with_suite_name(suite_name).replace("workload: ghz", "workload: maxcut_qaoa")
    text = text.replace("matrix:\n  n: [3, 4]", "matrix:\n  graph:\n    - {name: " + json.dumps(instance) +
                        ", edges: [[0, 1], [1, 2]]}\n  reps: [1]")
    text = text.split("baselines:")[0] + "baselines:\n  classical: {}\nmetrics:\n  expected_cut: {better: higher}\n"
    path = write_input(folder, text)
    try:
        plan = plan_suite(load_suite(path))
    except SuiteError as exc:
        assert str(exc).startswith(f"{path}:")
        return
    root = tmp_path_factory.mktemp("baselines").resolve()
    for cp in plan.cases:
        target = baseline_path(root, plan.suite.name, cp.case.case_id)
        assert target.resolve().parent == root / plan.suite.name  # exactly one level down, no escape
        write_json(target, {"ok": True})  # a real file name: no NUL, not too long
        assert [p.relative_to(root) for p in root.rglob("*.json")] == [target.relative_to(root)]
