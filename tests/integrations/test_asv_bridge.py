"""The asv bridge, for real: a throwaway git repo, ``asv run`` in this environment, results read back.

Facts from this machine that the test relies on: asv needs ``asv machine --yes`` first, and with
``environment_type: existing`` / ``--python=same`` it saves results only with ``--set-commit-hash``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import asv_bridge

from ..conftest import suite_yaml

REPO = Path(__file__).resolve().parents[2]

TINY_SUITE = suite_yaml("ghz-tiny", description="GHZ n=3, ideal tiers only, so asv stays quick", seed=11,
                        matrix={"n": [3], "shots": [1000]}, baselines=("classical", "simulator"), metrics={
                            "success_probability": {"better": "higher", "tolerance": 0.03},
                            "hellinger_fidelity": {"better": "higher", "tolerance": 0.03},
                            "time_to_solution": {"better": "lower", "tolerance": 1.0, "relative": True, "gate": False}})

SDKS = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "cirq", "mitiq")


def _sh(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _by_params(entry: list, columns: list[str]) -> dict[tuple[str, ...], float]:
    """One asv result row as ``{(case, baseline): value}`` (asv stores params as reprs)."""
    import ast
    import itertools

    row = dict(zip(columns, entry))
    combos = itertools.product(*[[ast.literal_eval(p) for p in axis] for axis in row["params"]])
    return dict(zip(combos, row["result"]))


def test_suite_paths_default_and_env(tmp_path, monkeypatch):
    monkeypatch.delenv(asv_bridge.SUITES_ENV, raising=False)
    assert asv_bridge.suite_paths(tmp_path) == [tmp_path.resolve() / "suites"]
    other = tmp_path / "elsewhere" / "x.yaml"
    monkeypatch.setenv(asv_bridge.SUITES_ENV, os.pathsep.join(["qsuites", str(other)]))
    assert asv_bridge.suite_paths(tmp_path) == [tmp_path.resolve() / "qsuites", other]


def test_classes_of_the_bundled_suites_import_no_sdk():
    """What asv discovers in each of its processes: params, units, and no quantum SDK imported."""
    code = (
        "import json, sys\n"
        "from harness.asv_bridge import benchmark_classes\n"
        f"classes = benchmark_classes({str(REPO)!r})\n"
        "out = {n: {'params': c.params, 'param_names': c.param_names,\n"
        "           'units': {m: getattr(c, m).unit for m in dir(c) if m.startswith('track_')}}\n"
        "       for n, c in classes.items()}\n"
        f"out['sdks'] = [m for m in {SDKS!r} if m in sys.modules]\n"
        "print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != asv_bridge.SUITES_ENV}
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                    env=env).stdout)
    assert out.pop("sdks") == []
    ghz = out["Ghz"]
    assert ghz["param_names"] == ["case", "baseline"]
    assert ghz["params"] == [["n=3", "n=4"],
                             ["classical", "simulator", "hardware.raw", "hardware.mitigated"]]
    assert ghz["units"]["track_success_probability"] == "probability"
    assert ghz["units"]["track_hellinger_fidelity"] == "fidelity"
    assert ghz["units"]["track_time_to_solution"] == "seconds"
    assert {m for m, u in ghz["units"].items() if m.startswith("track_stage_")} == {
        "track_stage_" + s for s in ("preprocess", "transpile", "submit", "queue", "execute", "postprocess")}
    from harness.suite import load_suites

    assert len(out) == len(load_suites([REPO / "suites"]))  # one class per bundled suite


@pytest.mark.sdk
def test_asv_run_in_a_throwaway_repo_tracks_what_the_harness_computes(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "benchmarks" / "asv").mkdir(parents=True)
    (repo / "qsuites").mkdir()
    shutil.copy(REPO / "asv.conf.json", repo / "asv.conf.json")
    for name in ("__init__.py", "benchmarks.py"):
        shutil.copy(REPO / "benchmarks" / "asv" / name, repo / "benchmarks" / "asv" / name)
    suite_file = repo / "qsuites" / "ghz-tiny.yaml"
    suite_file.write_text(TINY_SUITE)
    home = tmp_path / "home"
    home.mkdir()
    # HOME: asv machine writes ~/.asv-machine.json; the suites are chosen through the env var,
    # which must reach asv's benchmark processes (relative to the repo root, not asv's cwd).
    env = {**os.environ, "HOME": str(home), asv_bridge.SUITES_ENV: "qsuites",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    _sh(["git", "init", "-q", "-b", "main"], repo, env)
    _sh(["git", "add", "-A"], repo, env)
    _sh(["git", "commit", "-q", "-m", "tiny suite"], repo, env)
    commit = _sh(["git", "rev-parse", "HEAD"], repo, env).strip()

    asv = [sys.executable, "-m", "asv"]
    start = time.perf_counter()
    _sh(asv + ["machine", "--yes"], repo, env)
    _sh(asv + ["run", "--python=same", "--set-commit-hash", commit, "--show-stderr"], repo, env)
    _sh(asv + ["publish"], repo, env)
    print(f"\nasv machine + run + publish: {time.perf_counter() - start:.1f} s")

    (result_file,) = [p for p in (repo / ".asv" / "results").glob("*/*.json") if p.name != "machine.json"]
    saved = json.loads(result_file.read_text())
    assert saved["commit_hash"] == commit
    results = {name: _by_params(entry, saved["result_columns"]) for name, entry in saved["results"].items()}
    prefix = "benchmarks.GhzTiny."
    sim, classical = ("n=3", "simulator"), ("n=3", "classical")

    # physics: the ideal simulator and the exact classical distribution put all weight on 000 and 111
    assert results[prefix + "track_success_probability"][sim] == 1.0
    assert results[prefix + "track_success_probability"][classical] == 1.0
    # the same numbers as the harness computes in this process from the same suite and seeds
    table = asv_bridge.run_table([suite_file])
    for kind in ("classical", "simulator"):
        entry = table[f"ghz-tiny|n=3|{kind}"]
        for metric in ("success_probability", "hellinger_fidelity"):
            assert results[prefix + "track_" + metric][("n=3", kind)] == pytest.approx(
                entry["metrics"][metric], abs=1e-12)
    assert 0.99 < results[prefix + "track_hellinger_fidelity"][sim] <= 1.0
    # stage latencies: measured seconds, non-negative, and the simulator spent time running circuits
    stages = {s: results[prefix + "track_stage_" + s][sim] for s in ("transpile", "submit", "execute")}
    assert all(math.isfinite(v) and v >= 0 for v in stages.values())
    assert stages["submit"] + stages["execute"] > 0
    assert results[prefix + "track_time_to_solution"][sim] > 0

    # units reach asv, and the suites ran once for all benchmarks (one setup_cache)
    meta = json.loads((repo / ".asv" / "results" / "benchmarks.json").read_text())
    assert meta[prefix + "track_success_probability"]["unit"] == "probability"
    assert meta[prefix + "track_stage_execute"]["unit"] == "seconds"
    assert meta[prefix + "track_success_probability"]["param_names"] == ["case", "baseline"]
    assert len([k for k in saved["durations"] if k.startswith("<setup_cache")]) == 1
    # asv publish turned them into graphs for the web view
    assert (repo / ".asv" / "html" / "graphs" / "summary" / (prefix + "track_success_probability.json")).exists()
