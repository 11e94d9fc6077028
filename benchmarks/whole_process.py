"""Whole processes: ``harness run`` against a plain qiskit script doing the same work.

Three scenarios, each a GHZ suite written to a temporary folder (classical, ideal Aer, and
fake_manila through qiskit-ibm-runtime's Sampler at optimisation level 1):

- ``a``: n = 3, 4, 5 at 4,000 shots, no mitigation;
- ``b``: the same with readout correction and global-folding ZNE (scale factors 1, 3, 5, Richardson);
- ``c``: a 12-case sweep, n = 3, 4, 5 x shots = 4,000 ... 256,000, no mitigation.

The plain side is this file run as ``--plain CASES.json``: it imports qiskit, Aer, runtime (and
mitiq for ``b``), builds the same circuits, transpiles them with the same pass managers and seeds,
runs the same shots and computes the same metrics (the functions of ``benchmarks/overhead.py``,
which checks in-process that both sides agree). Both sides are timed as whole processes,
``harness`` first on even rounds and ``plain`` first on odd ones; the medians give the ratio
(target <= 1.05). The bundled gate (``harness gate suites/ --no-cache``) is timed once at the end,
and ``python -X importtime`` of a full run and of the plain script give their import times. The
1-minute load average (median over the rounds) is printed beside each ratio: the machine is shared.

Usage::

    .venv/bin/python benchmarks/whole_process.py [--rounds 3] [--only a,b,c] [--no-gate]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-m", "harness.cli"]

SCENARIOS = {
    "a": ("GHZ n=3,4,5, 4k shots, no mitigation", [3, 4, 5], [4000], None),
    "b": ("GHZ n=3,4,5, 4k shots, REM + ZNE", [3, 4, 5], [4000],
          "    mitigation:\n      readout: true\n"
          "      zne: {scale_factors: [1, 3, 5], extrapolation: richardson, folding: global}\n"),
    "c": ("12-case sweep, 4k-256k shots, no mitigation", [3, 4, 5], [4000, 16000, 64000, 256000], None),
}


def _suite_text(name: str, widths: list[int], shots: list[int], mitigation: str | None) -> str:
    return (f"suite: wp-{name}\nworkload: ghz\nseed: 2026\nmatrix:\n  n: {widths}\n  shots: {shots}\n"
            "baselines:\n  classical: {}\n  simulator: {engine: aer}\n  hardware:\n"
            "    backend: fake_manila\n    optimization_level: 1\n" + (mitigation or "") +
            "metrics:\n  success_probability: {better: higher, tolerance: 0.03}\n"
            "  hellinger_fidelity: {better: higher, tolerance: 0.03}\n")


def _cases(suite_path: Path) -> list[dict]:
    """The plain script's inputs: what the harness derives (seeds from the case ids), computed here."""
    from harness.lineage import derive_seeds
    from harness.suite import expand, load_suite

    suite = load_suite(suite_path)
    hw = suite.model.baselines.hardware
    zne = hw.mitigation.zne
    return [{"case_id": c.case_id, "n": c.params["n"], "shots": c.params["shots"],
             "seeds": derive_seeds(suite.model.seed, c.case_id), "backend": hw.backend,
             "optimization_level": hw.optimization_level, "readout": bool(hw.mitigation.readout),
             "scale_factors": [float(s) for s in zne.scale_factors] if zne else None,
             "extrapolation": zne.extrapolation if zne else None} for c in expand(suite)]


# -- the plain side (its own process: only the SDKs, no harness) ----------------------------------
def plain_main(cases_file: str) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import overhead  # the plain GHZ script: transpile, sample, readout-correct, fold, extrapolate, score

    out = {}
    for case in json.loads(Path(cases_file).read_text()):
        if case["scale_factors"] is None and not case["readout"]:
            out[case["case_id"]] = _plain_unmitigated(overhead, case)
        else:
            out[case["case_id"]] = overhead.plain_run(case)
    print(json.dumps(out))


def _plain_unmitigated(overhead, case: dict) -> dict:
    from qiskit.transpiler import generate_preset_pass_manager

    n, shots, seeds = case["n"], case["shots"], case["seeds"]
    kinds = {"classical": overhead._scores({"0" * n: 0.5, "1" * n: 0.5}, n, shots)}
    ideal, tqc = overhead.ideal_transpile(overhead._ghz(n))
    counts = ideal.run(tqc, shots=shots, seed_simulator=overhead._job_seed(seeds["simulator"], 0)).result().get_counts()
    kinds["simulator"] = overhead._scores({k: v / shots for k, v in counts.items()}, n, shots)
    fake, sim = overhead._backend(case["backend"])
    pm = generate_preset_pass_manager(optimization_level=case["optimization_level"], backend=fake,
                                      seed_transpiler=case["seeds"]["transpiler"])
    (raw,) = overhead._sample(sim, [pm.run(overhead._ghz(case["n"]))], case["shots"],
                              overhead._job_seed(case["seeds"]["hardware"], 0))
    kinds["hardware.raw"] = overhead._scores({k: v / case["shots"] for k, v in raw.items()}, case["n"], case["shots"])
    return kinds


# -- timing -------------------------------------------------------------------------------------------
def _timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    start = time.perf_counter()
    before = os.times()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), proc.stdout


def _agreement(record: Path, plain: dict) -> float:
    """Largest |harness - plain| over the compared metrics of every case and kind."""
    worst = 0.0
    for r in json.loads(record.read_text())["results"]:
        mine = plain.get(r["case_id"], {}).get(r["baseline"])
        for name in ("success_probability", "hellinger_fidelity"):
            if mine is not None and name in mine and name in r["metrics"]:
                worst = max(worst, abs(r["metrics"][name]["value"] - mine[name]))
    return worst


def scenario(key: str, rounds: int, env: dict, tmp: Path) -> dict:
    label, widths, shots, mitigation = SCENARIOS[key]
    suite = tmp / f"wp-{key}.yaml"
    suite.write_text(_suite_text(key, widths, shots, mitigation))
    cases = tmp / f"wp-{key}.json"
    cases.write_text(json.dumps(_cases(suite)))
    runs = tmp / f"runs-{key}"
    sides = {"harness": HARNESS + ["run", str(suite), "--runs-dir", str(runs), "--no-cache", "--quiet"],
             "plain": [sys.executable, str(Path(__file__).resolve()), "--plain", str(cases)]}
    wall: dict[str, list[float]] = {"harness": [], "plain": []}
    cpu: dict[str, list[float]] = {"harness": [], "plain": []}
    outputs: dict[str, str] = {}
    loads = [os.getloadavg()[0]]
    for i in range(rounds):
        for side in (("harness", "plain") if i % 2 == 0 else ("plain", "harness")):
            w, c, outputs[side] = _timed(sides[side], env)
            wall[side].append(w)
            cpu[side].append(c)
            loads.append(os.getloadavg()[0])
    record = Path(re.search(r"record: (\S+)", outputs["harness"]).group(1))
    diff = _agreement(record, json.loads(outputs["plain"]))
    med = {s: statistics.median(v) for s, v in wall.items()}
    cpu_med = {s: statistics.median(v) for s, v in cpu.items()}
    return {"key": key, "label": label, "harness": med["harness"], "plain": med["plain"],
            "ratio": med["harness"] / med["plain"], "cpu_ratio": cpu_med["harness"] / cpu_med["plain"],
            "agreement": diff, "walls": wall, "load": statistics.median(loads)}


def _top_level_imports(stderr: str) -> float:
    total = 0
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) == 1:  # a top-level import: its cumulative time includes its children
            total += int(m.group(1))
    return total / 1e6


def import_time(env: dict, tmp: Path) -> tuple[float, float]:
    """Seconds of imports (cumulative, top-level modules) in one full ``harness run`` of scenario a,
    and in one plain script doing the same cases (``-X importtime`` inflates both alike)."""
    harness = subprocess.run([sys.executable, "-X", "importtime", "-m", "harness.cli", "run", str(tmp / "wp-a.yaml"),
                              "--runs-dir", str(tmp / "runs-import"), "--no-cache", "--quiet"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
    plain = subprocess.run([sys.executable, "-X", "importtime", str(Path(__file__).resolve()), "--plain",
                            str(tmp / "wp-a.json")], cwd=ROOT, env=env, capture_output=True, text=True)
    return _top_level_imports(harness.stderr), _top_level_imports(plain.stderr)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="a,b,c")
    ap.add_argument("--no-gate", action="store_true")
    ap.add_argument("--plain", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.plain:
        return plain_main(args.plain)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="whole-process-") as t:
        tmp = Path(t)
        for key in args.only.split(","):
            row = scenario(key, args.rounds, env, tmp)
            rows.append(row)
            print(f"{key}: {row['label']}: harness {row['harness']:.2f} s, plain {row['plain']:.2f} s, "
                  f"ratio {row['ratio']:.3f} (cpu {row['cpu_ratio']:.3f}); max |diff| {row['agreement']:.1e}",
                  flush=True)
        imports = import_time(env, tmp) if "a" in args.only.split(",") else None
        gate = gate_load = None
        if not args.no_gate:
            gate_load = os.getloadavg()[0]
            gate, _, _ = _timed(HARNESS + ["gate", "suites/", "--no-cache", "--runs-dir", str(tmp / "runs-gate"),
                                           "--out", str(tmp / "reports")], env)
    print(f"\nwhole processes, medians of {args.rounds} alternating rounds (target ratio <= 1.05)\n")
    print("| scenario | harness run (s) | plain qiskit (s) | ratio wall | ratio cpu | load average | met (wall) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['harness']:.2f} | {r['plain']:.2f} | {r['ratio']:.2f} | {r['cpu_ratio']:.2f} "
              f"| {r['load']:.1f} | {'yes' if r['ratio'] <= 1.05 else 'no'} |")
    if imports is not None:
        print(f"\nimports (scenario a, -X importtime, top-level cumulative): harness run {imports[0]:.2f} s, "
              f"plain script {imports[1]:.2f} s")
    if gate is not None:
        print(f"bundled gate `harness gate suites/ --no-cache`: {gate:.1f} s wall (load average {gate_load:.1f} at start)")


if __name__ == "__main__":
    main()
