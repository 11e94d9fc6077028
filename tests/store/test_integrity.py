"""Integrity end to end: what a stored baseline must prove before the gate believes it.

The checksum covers the whole file; an older schema goes through `harness baseline migrate`;
`--strict` believes only what git has committed; nonsense behind a recomputed checksum is named.
"""

import json
import subprocess

import pytest

from harness.cli import main
from harness.errors import BaselineError
from harness.records import Metric, Result, Run
from harness.store import load_baselines, promote, write_run
from harness.store.git_state import NotUnderGit, uncommitted_baselines
from harness.store.migrations import file_checksum

SUITES = {"ghz": {"sha256": "abc", "metrics": {"success_probability": {"better": "higher", "tolerance": 0.03}}}}


def _result(value):
    return Result(suite="ghz", case_id="n=3", baseline="simulator", tier="simulator", status="ok",
                  metrics={"success_probability": Metric(value, "proportion", n=4000)},
                  counts={"000": 2000, "111": 2000})


def _run(value, run_id):
    return Run(run_id=run_id, created="now", results=(_result(value),), suites=SUITES)


def harness(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code or 0, out, err


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git project with one committed baseline (0.90) and a run that regressed (0.70) against it."""
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    promote(_run(0.90, "20261101T000000.000000Z-aaaaaa"), tmp_path / "baselines")
    git(tmp_path, "add", "baselines")
    git(tmp_path, "commit", "-qm", "baselines")
    write_run(_run(0.70, "20261102T000000.000000Z-bbbbbb"), tmp_path / ".runs")
    return tmp_path


def _relabel_as_schema_0(path, value):
    """The issue's tampering: schema 0, no checksum, promoted_from back to run_id, result fields dropped."""
    data = json.loads(path.read_text())
    data["schema"] = 0
    del data["checksum"]
    data["run_id"] = data.pop("promoted_from")
    for r in data["results"].values():
        for field in ("suite", "case_id", "baseline", "tier", "trace", "events"):
            r.pop(field, None)
        r["metrics"]["success_probability"]["value"] = value
    path.write_text(json.dumps(data))


def test_a_tampered_schema_0_baseline_is_never_believed_by_compare_strict(repo, capsys):
    code, out, _ = harness(capsys, "compare", "latest", "--strict")
    assert code == 1 and "0.9 → 0.7" in out  # the honest file: a regression
    path = repo / "baselines" / "ghz" / "n=3.json"
    _relabel_as_schema_0(path, 0.70)
    code, _, err = harness(capsys, "compare", "latest")
    assert code == 2 and "schema 0 is older than this harness reads" in err
    assert "harness baseline migrate" in err and "Traceback" not in err
    code, out, _ = harness(capsys, "baseline", "migrate")
    assert code == 0 and "schema 0 -> current" in out and "cannot be verified" in out and "git diff" in out
    # migrated for review, it loads; but until a person commits it the strict gate refuses it
    code, _, err = harness(capsys, "compare", "latest", "--strict")
    assert code == 2 and "1 stored baseline(s) differ from what git has committed" in err
    assert str(path.relative_to(repo)) in err and "git checkout" in err
    git(repo, "checkout", "--", "baselines")  # restored from review: the regression is seen again
    assert harness(capsys, "compare", "latest", "--strict")[0] == 1


def test_migrate_finds_the_project_root_and_refuses_a_missing_folder(repo, capsys, monkeypatch):
    """Like compare and promote, migrate reads baselines/ of the project root found from the current
    directory; a folder that is not there is named (exit 2), never 'migrated 0' from nowhere."""
    path = repo / "baselines" / "ghz" / "n=3.json"
    _relabel_as_schema_0(path, 0.70)
    (repo / "suites").mkdir()
    monkeypatch.chdir(repo / "suites")
    code, out, _ = harness(capsys, "baseline", "migrate")
    assert code == 0 and "schema 0 -> current" in out and "in ../baselines" in out
    monkeypatch.chdir(repo.parent)  # no project here: nothing to migrate is an error, not a pass
    code, out, err = harness(capsys, "baseline", "migrate")
    assert code == 2 and out == "" and "baselines: no such folder of stored baselines" in err
    assert "fix: run from the project" in err and "Traceback" not in err
    code, _, err = harness(capsys, "baseline", "migrate", "--baselines", repo / "nope")
    assert code == 2 and f"{repo / 'nope'}: no such folder" in err and "fix: check the path given to --baselines" in err


def test_promote_of_a_suite_the_run_does_not_hold_is_refused_and_writes_nothing(repo, capsys):
    before = (repo / "baselines" / "ghz" / "n=3.json").read_bytes()
    code, out, err = harness(capsys, "baseline", "promote", "latest", "--suite", "ghz", "--suite", "gzh")
    assert code == 2 and out == "", err
    assert "has no suite 'gzh'" in err and "fix: use --suite with one of: ghz" in err
    assert (repo / "baselines" / "ghz" / "n=3.json").read_bytes() == before
    code, out, _ = harness(capsys, "baseline", "promote", "latest", "--suite", "ghz")
    assert code == 0 and "1 baseline file(s)" in out


def test_uncommitted_baselines_lists_untracked_modified_staged_deleted_and_ignored(repo):
    root = repo / "baselines"
    assert uncommitted_baselines(root) == []
    (root / "ghz" / "n=3.json").write_text((root / "ghz" / "n=3.json").read_text() + " ")
    promote(Run(run_id="r", created="now", results=(Result("mirror", "w=2", "simulator", "simulator", "ok", {}),)),
            root)
    (root / "mirror" / "w=3.json").write_text("{}")
    git(repo, "add", "baselines/mirror/w=3.json")  # staged is not committed
    (repo / ".gitignore").write_text("baselines/vqe/\n")
    (root / "vqe").mkdir()
    (root / "vqe" / "n=2.json").write_text("{}")
    (root / ".promote-x").mkdir()
    (root / ".promote-x" / "MANIFEST.json").write_text("{}")  # a staging folder is not a baseline
    assert uncommitted_baselines(root) == [root / "ghz" / "n=3.json", root / "mirror" / "w=2.json",
                                           root / "mirror" / "w=3.json", root / "vqe" / "n=2.json"]
    git(repo, "checkout", "--", "baselines/ghz")
    git(repo, "rm", "-q", "--cached", "baselines/mirror/w=3.json")
    (root / "mirror" / "w=3.json").unlink()
    (root / "mirror" / "w=2.json").unlink()
    (root / "vqe" / "n=2.json").unlink()
    (root / "ghz" / "n=3.json").unlink()
    assert uncommitted_baselines(root) == [root / "ghz" / "n=3.json"]  # deleted


def test_outside_git_strict_warns_that_it_cannot_check(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    promote(_run(0.90, "20261101T000000.000000Z-aaaaaa"), tmp_path / "baselines")
    write_run(_run(0.70, "20261102T000000.000000Z-bbbbbb"), tmp_path / ".runs")
    if subprocess.run(["git", "rev-parse"], cwd=tmp_path, capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git work tree")
    with pytest.raises(NotUnderGit):
        uncommitted_baselines(tmp_path / "baselines")
    code, _, err = harness(capsys, "compare", "latest", "--strict")
    assert code == 1 and "warning: --strict cannot check" in err and "not a git work tree" in err


def _rewrite_with_checksum(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    data["checksum"] = file_checksum(data)  # what a determined editor does
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["results"]["simulator"]["counts"].update({"000": "2000"}), "counts['000'] is '2000', not a whole"),
    (lambda d: d["results"]["simulator"]["counts"].update({"111": -5}), "counts['111'] is -5, not a whole number"),
    (lambda d: d["results"]["simulator"].update(counts=[1, 2]), "counts must be an object"),
    (lambda d: d["results"]["simulator"]["metrics"]["success_probability"].update(value="high"),
     "metrics.success_probability.value is 'high', not a finite number"),
    (lambda d: d["results"]["simulator"]["metrics"]["success_probability"].update(n=True),
     "metrics.success_probability.n is True"),
    (lambda d: d["results"]["simulator"]["metrics"]["success_probability"].update(kind="vibes"),
     "metrics.success_probability.kind is 'vibes'"),
    (lambda d: d["results"]["simulator"].update(status="fine"), "status is 'fine'"),
    (lambda d: d["results"]["simulator"].update(timings={"execute": "fast"}), "timings must map"),
])
def test_nonsense_behind_a_recomputed_checksum_is_named_with_the_file_and_the_fix(repo, capsys, edit, message):
    path = repo / "baselines" / "ghz" / "n=3.json"
    _rewrite_with_checksum(path, edit)
    with pytest.raises(BaselineError) as err:
        load_baselines(repo / "baselines", [("ghz", "n=3")])
    assert str(err.value).startswith(f"{path}: stored result 'simulator': ") and message in str(err.value)
    assert "fix: restore it from version control" in str(err.value)
    code, _, cli_err = harness(capsys, "compare", "latest")
    assert code == 2 and message in cli_err and "Traceback" not in cli_err


def test_deeply_nested_json_is_a_baseline_error_not_a_recursion_error(repo, capsys):
    path = repo / "baselines" / "ghz" / "n=3.json"
    path.write_text('{"schema": 2, "results": {"simulator": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    with pytest.raises(BaselineError, match=rf"^{path}: unreadable stored baseline \(JSON nested too deeply"):
        load_baselines(repo / "baselines", [("ghz", "n=3")])
    code, _, err = harness(capsys, "compare", "latest")
    assert code == 2 and "nested too deeply" in err and "fix: restore it" in err and "Traceback" not in err
