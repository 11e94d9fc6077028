"""The project root is found from the suites, not the current directory; orphaned baselines are found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.records import Result, Run
from harness.store.project import orphaned_baselines, project_paths
from harness.suite import load_suites


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "proj" / "suites" / "nested").mkdir(parents=True)
    (tmp_path / "proj" / "baselines").mkdir()
    return tmp_path / "proj"


def test_the_nearest_folder_with_baselines_is_the_root_wherever_the_command_runs(tmp_path, monkeypatch):
    proj = _tree(tmp_path)
    monkeypatch.chdir(proj / "suites")
    found = project_paths(["ghz.yaml"])
    assert found.root == proj and found.baselines == Path("../baselines") and found.runs_dir == Path("../.runs")
    monkeypatch.chdir(tmp_path)
    found = project_paths(["proj/suites/nested"])
    assert found.baselines == Path("proj/baselines") and found.reports == Path("proj/reports")


def test_tool_qharness_in_pyproject_sets_the_root_and_its_folders(tmp_path, monkeypatch):
    proj = _tree(tmp_path)
    (proj / "suites" / "baselines").mkdir()  # nearer, but the configured project wins
    (proj / "pyproject.toml").write_text('[tool.qharness]\nbaselines = "ref/baselines"\nruns-dir = "var/runs"\n')
    monkeypatch.chdir(proj / "suites" / "nested")
    found = project_paths(["x.yaml"])
    assert found.root == proj and "[tool.qharness]" in found.how
    assert found.baselines == Path("../../ref/baselines") and found.runs_dir == Path("../../var/runs")
    assert found.reports == Path("../../reports")


def test_a_bad_tool_qharness_table_names_the_file_and_the_keys(tmp_path, monkeypatch):
    proj = _tree(tmp_path)
    (proj / "pyproject.toml").write_text('[tool.qharness]\nbaseline = "b"\n')
    with pytest.raises(SuiteError, match=r"pyproject.toml: \[tool.qharness\] has unknown key\(s\) baseline") as e:
        project_paths([proj / "suites"])
    assert "baselines, runs-dir, reports" in e.value.hint
    (proj / "pyproject.toml").write_text("[tool.qharness\n")
    with pytest.raises(SuiteError, match="invalid TOML"):
        project_paths([proj / "suites"])


def test_without_a_project_the_current_directory_is_the_root(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    # tmp_path's parents hold no baselines/ or pyproject.toml on a test machine
    if any((p / "baselines").is_dir() or (p / "pyproject.toml").is_file() for p in tmp_path.parents):
        pytest.skip("a parent of the temporary folder looks like a project")
    assert project_paths(["s.yaml"]).baselines == Path("baselines")


def test_suite_extensions_are_matched_in_any_case(tmp_path):
    text = Path("suites/ghz.yaml").read_text()
    (tmp_path / "ghz.YAML").write_text(text)
    (tmp_path / "notes.txt").write_text("suite: not one")
    assert [s.name for s in load_suites([tmp_path])] == ["ghz"]


def _stored(root: Path, suite: str, case: str, kinds: list[str]) -> None:
    (root / suite).mkdir(parents=True, exist_ok=True)
    (root / suite / f"{case}.json").write_text(json.dumps({"results": {k: {} for k in kinds}}))


def test_orphaned_baselines_are_those_no_result_exercised(tmp_path):
    root = tmp_path / "baselines"
    _stored(root, "ghz", "n=3", ["classical", "simulator"])
    _stored(root, "ghz", "n=9", ["simulator"])  # a case the suite no longer has
    _stored(root, "gone", "n=1", ["simulator"])  # a suite that was renamed or not collected
    (root / "ghz" / "README.md").write_text("not a baseline")
    run = Run("r", "t", (Result("ghz", "n=3", "simulator", "simulator", "ok", {}),), {"ghz": {}})
    assert orphaned_baselines(root, run, all_suites=False) == [("ghz", "n=3", "classical"), ("ghz", "n=9", "simulator")]
    assert orphaned_baselines(root, run, all_suites=True)[0] == ("ghz", "n=3", "classical") \
        and ("gone", "n=1", "simulator") in orphaned_baselines(root, run, all_suites=True)
    assert orphaned_baselines(tmp_path / "absent", run, all_suites=True) == []
