"""Promote of a set is all-or-nothing: killed at any point, the old set or the new set, never a mix."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

from harness.errors import BaselineError
from harness.records import Metric, Result, Run
from harness.store import load_baselines, promote, write_run
from harness.store.staging import MANIFEST, STAGING_PREFIX, InterruptedPromoteWarning, recover, write_set

CASES = 500

# The promote runs in a child whose every rename and fsync is slowed a little, so that a kill can land
# inside the staging phase or inside the move phase; what it does is otherwise the real CLI command.
CHILD = """
import os, sys, time
real_replace, real_fsync = os.replace, os.fsync
def slow_replace(*a, **k):
    real_replace(*a, **k); time.sleep(0.002)
def slow_fsync(fd):
    real_fsync(fd); time.sleep(0.0005)
os.replace, os.fsync = slow_replace, slow_fsync
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


def _promote_and_kill(root, runs, ready):
    """Start the CLI promote in a child, SIGKILL it as soon as ``ready()`` holds; False if it finished first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, "baseline", "promote", "latest", "--baselines", str(root),
                              "--runs-dir", str(runs)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        if ready():
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            return True
        time.sleep(0.001)
    child.wait()
    return False


def _stages(root):
    return list(root.glob(f"{STAGING_PREFIX}*"))


def _on_disk(root):
    """The values in place right now, read straight from the files (no recovery)."""
    return {json.loads(p.read_text())["results"]["classical"]["metrics"]["p"]["value"] for p in root.glob("s*/*.json")}


def test_killed_while_staging_the_old_set_stands(project):
    root, runs = project
    staged = lambda: any(len(list(s.rglob("*.json"))) >= CASES // 2 for s in _stages(root))  # noqa: E731
    assert _promote_and_kill(root, runs, staged), "the promote finished before it could be killed"
    (stage,) = _stages(root)
    assert not (stage / MANIFEST).exists() and _on_disk(root) == {0.1}
    assert _values(root) == {0.1}  # the next read discards the uncommitted set
    assert _stages(root) == [] and list(root.rglob("*.tmp")) == []


def test_killed_while_moving_into_place_the_new_set_is_completed(project):
    root, runs = project
    moving = lambda: any((s / MANIFEST).exists() and len(list(s.rglob("*.json"))) < CASES // 2  # noqa: E731
                         for s in _stages(root))
    assert _promote_and_kill(root, runs, moving), "the promote finished before it could be killed"
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
        assert child.wait(timeout=120) == 0, child.stderr.read()
    stored = load_baselines(root, [("s", f"c={n}") for n in range(100)])
    assert len(stored) == 200  # both kinds of every case: each promote merged into the other's files
