"""Promote of a set is all-or-nothing: killed at any point, the old set or the new set, never a mix."""

import json
import os
import signal
import subprocess
import sys
import warnings

import pytest

from harness.errors import BaselineError
from harness.records import Metric, Result, Run
from harness.store import load_baselines, promote, write_run
from harness.store.staging import MANIFEST, STAGING_PREFIX, InterruptedPromoteWarning, recover, write_set

CASES = 500

# The promote runs in a child that SIGKILLs itself at a fixed point: after the HALF-th staged file is
# fsynced (inside the staging phase) or after the HALF-th staged file is renamed into place (inside
# the move phase); what it does is otherwise the real CLI command. (A parent watching the folder and
# killing the child raced it: on a loaded machine the kill could land in the wrong phase.)
HALF = CASES // 2
CHILD = """
import os, signal, stat, sys
phase, half, seen = os.environ["KILL_IN"], int(os.environ["KILL_AFTER"]), []
real_replace, real_fsync = os.replace, os.fsync
def one_more():
    seen.append(1)
    if len(seen) == half:
        os.kill(os.getpid(), signal.SIGKILL)
def fsync(fd):
    real_fsync(fd)
    if phase == "staging" and stat.S_ISREG(os.fstat(fd).st_mode) and ".promote-" in os.readlink(f"/proc/self/fd/{fd}"):
        one_more()
def replace(src, dst, *a, **k):
    real_replace(src, dst, *a, **k)
    if phase == "moving" and ".promote-" in str(src) and ".promote-" not in str(dst):
        one_more()
os.replace, os.fsync = replace, fsync
from harness.cli import main
main(sys.argv[1:])
"""


def _run(value, run_id):
    return Run(run_id=run_id, created="now", results=tuple(
        Result(suite=f"s{i % 5}", case_id=f"c={i}", baseline="classical", tier="classical", status="ok",
               metrics={"p": Metric(value, "proportion", n=100)}) for i in range(CASES)))


def _values(root):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        stored = load_baselines(root, [(f"s{i % 5}", f"c={i}") for i in range(CASES)])
    assert len(stored) == CASES
    return {r.metrics["p"].value for r in stored.values()}


@pytest.fixture
def project(tmp_path):
    root, runs = tmp_path / "baselines", tmp_path / "runs"
    promote(_run(0.1, "20261201T000000.000000Z-000001"), root)
    write_run(_run(0.2, "20261201T000000.000000Z-000002"), runs)
    return root, runs


def _promote_killed_in(phase, root, runs):
    """Run the CLI promote in a child that SIGKILLs itself halfway through ``phase``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "KILL_IN": phase, "KILL_AFTER": str(HALF)}
    child = subprocess.run([sys.executable, "-c", CHILD, "baseline", "promote", "latest", "--baselines", str(root),
                            "--runs-dir", str(runs)], env=env, capture_output=True, text=True, timeout=600)
    assert child.returncode == -signal.SIGKILL, f"exit {child.returncode}: {child.stderr}"


def _stages(root):
    return list(root.glob(f"{STAGING_PREFIX}*"))


def _on_disk(root):
    """The values in place right now, read straight from the files (no recovery)."""
    return {json.loads(p.read_text())["results"]["classical"]["metrics"]["p"]["value"] for p in root.glob("s*/*.json")}


def test_killed_while_staging_the_old_set_stands(project):
    root, runs = project
    _promote_killed_in("staging", root, runs)
    (stage,) = _stages(root)
    assert len(list(stage.rglob("*.json"))) == HALF  # half the new set was staged
    assert not (stage / MANIFEST).exists() and _on_disk(root) == {0.1}
    assert _values(root) == {0.1}  # the next read discards the uncommitted set
    assert _stages(root) == [] and list(root.rglob("*.tmp")) == []


def test_killed_while_moving_into_place_the_new_set_is_completed(project):
    root, runs = project
    _promote_killed_in("moving", root, runs)
    (stage,) = _stages(root)
    assert (stage / MANIFEST).exists() and len(list(stage.rglob("*.json"))) == CASES - HALF + 1  # and the manifest
    assert _on_disk(root) == {0.1, 0.2}  # on disk a mix for now: the manifest says how to finish it
    with pytest.warns(InterruptedPromoteWarning, match="completed an interrupted promote"):
        recover(root)
    assert _values(root) == {0.2} and _stages(root) == [] and list(root.rglob("*.tmp")) == []


def test_an_uninterrupted_promote_leaves_no_staging_folder_and_a_manifest_is_checked(tmp_path):
    (path,) = write_set(tmp_path, {"s/c.json": {"x": 1}})
    assert json.loads(path.read_text()) == {"x": 1} and _stages(tmp_path) == []
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    stage = tmp_path / f"{STAGING_PREFIX}evil"
    stage.mkdir()
    (stage / MANIFEST).write_text(json.dumps({"files": ["../../outside.json"]}))
    with pytest.raises(BaselineError, match=r"names '\.\./\.\./outside\.json', not a <suite>/<case>\.json file"):
        recover(tmp_path)


def test_every_write_fsyncs_the_folder_after_its_rename(tmp_path, monkeypatch):
    import stat

    from harness.store import atomic

    events = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst):
        real_replace(src, dst)
        events.append(("rename", os.path.dirname(os.path.abspath(dst))))

    def fsync(fd):
        real_fsync(fd)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    atomic.write_json(tmp_path / "a" / "x.json", {"x": 1})
    assert events[-2:] == [("rename", str(tmp_path / "a")), ("fsync", str(tmp_path / "a"))]
    events.clear()
    write_set(tmp_path / "b", {"s/c1.json": {"x": 1}, "t/c2.json": {"x": 2}})
    renames = [i for i, e in enumerate(events) if e[0] == "rename" and e[1] in (str(tmp_path / "b" / "s"),
                                                                                 str(tmp_path / "b" / "t"))]
    assert len(renames) == 2
    synced_after = {e[1] for e in events[renames[-1]:] if e[0] == "fsync"}
    assert {str(tmp_path / "b" / "s"), str(tmp_path / "b" / "t"), str(tmp_path / "b")} <= synced_after


def test_two_promotes_at_once_into_the_same_case_files_lose_no_kind(tmp_path):
    root, runs = tmp_path / "baselines", tmp_path / "runs"
    children = []
    for i, kind in enumerate(("classical", "simulator")):
        run = Run(run_id=f"20261201T000000.000000Z-00000{i}", created="now", results=tuple(
            Result(suite="s", case_id=f"c={n}", baseline=kind, tier=kind, status="ok",
                   metrics={"p": Metric(0.5, "proportion", n=100)}) for n in range(100)))
        path = write_run(run, runs / kind)
        children.append(subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "baseline", "promote", str(path), "--baselines", str(root)],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE))
    for child in children:
        assert child.wait(timeout=600) == 0, child.stderr.read()
    stored = load_baselines(root, [("s", f"c={n}") for n in range(100)])
    assert len(stored) == 200  # both kinds of every case: each promote merged into the other's files
