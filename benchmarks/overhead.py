"""The overhead budget: a bundled GHZ suite through the harness versus a plain qiskit script.

Both sides run the same circuits with the same shots and seeds in the same process: the GHZ
circuit on ideal Aer, and on the suite's fake backend (qiskit-ibm-runtime's Sampler on Aer with
the backend's noise model) raw and with readout-corrected (confusion matrices measured by two
calibration circuits) global-folding ZNE extrapolated by mitiq. The plain script is what a user would write by hand to get the same numbers, and the
script checks that it does get them (same counts, same metric values). Rounds are interleaved and
alternate which side goes first; the medians give the ratio (target <= 1.05). Timers wrapped
around the harness's own functions during its rounds (QPY keys, QASM3 hashes, lineage, bootstrap,
record writing, the jobs it submits) show where its extra time goes.

Usage::

    .venv/bin/python benchmarks/overhead.py [--suite suites/ghz.yaml] [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["case_inputs", "harness_run", "main", "plain_run"]

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.05

# -- the plain script --------------------------------------------------------------------------
_BACKENDS: dict = {}  # name -> (fake backend, AerSimulator with its noise model); built once, as the harness does


def _job_seed(root: int, job: int) -> int:
    return int(np.random.SeedSequence([root, job]).generate_state(1)[0])


def _ghz(n: int):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure(range(n), range(n))
    return qc


def _scores(probs: dict, n: int, shots: int) -> dict:
    """Success probability, Hellinger fidelity and QED-C's normalised fidelity to the ideal GHZ."""
    clipped = {k: max(v, 0.0) for k, v in probs.items()}
    total = sum(clipped.values())
    p = {k: v / total for k, v in clipped.items()}
    ideal = {"0" * n: 0.5, "1" * n: 0.5}
    success = min(sum(p.get(k, 0.0) for k in ideal), 1.0)
    fid = min(sum(math.sqrt(p.get(k, 0.0) * q) for k, q in ideal.items()) ** 2, 1.0)
    f_uniform = sum(math.sqrt(q) for q in ideal.values()) ** 2 / 2**n
    norm = min(max((fid - f_uniform) / (1 - f_uniform), 0.0), 1.0)
    return {"success_probability": success, "hellinger_fidelity": fid, "normalized_fidelity": norm}


def _readout_corrected(counts: dict, p10: list[float], p01: list[float]) -> dict:
    """Tensored inverse of per-bit confusion matrices (P(1|0), P(0|1)), then the nearest distribution."""
    n = len(p10)
    vec = np.zeros(2**n)
    for key, c in counts.items():
        vec[int(key, 2)] += c
    tensor = (vec / vec.sum()).reshape((2,) * n)
    for axis in range(n):  # axis k of the tensor is clbit n-1-k
        b = n - 1 - axis
        inv = np.linalg.inv(np.array([[1 - p10[b], p01[b]], [p10[b], 1 - p01[b]]]))
        tensor = np.moveaxis(np.tensordot(inv, tensor, axes=([1], [axis])), 0, axis)
    v = tensor.reshape(-1)
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    rho = np.nonzero(u - css / np.arange(1, v.size + 1) > 0)[0][-1]
    probs = np.maximum(v - css[rho] / (rho + 1), 0.0)
    return {format(i, f"0{n}b"): float(x) for i, x in enumerate(probs) if x > 0}


def ideal_transpile(qc):
    """``qc`` in the ideal simulator's basis: one AerSimulator and one level-1 pass manager (seed 0)
    for the whole script, as a competent script reuses them (``transpile()`` rebuilds one per call)."""
    if "ideal" not in _BACKENDS:
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_aer import AerSimulator

        sim = AerSimulator(method="automatic")
        _BACKENDS["ideal"] = (sim, generate_preset_pass_manager(1, backend=sim, seed_transpiler=0))
    sim, pm = _BACKENDS["ideal"]
    return sim, pm.run(qc)


def _backend(name: str):
    if name not in _BACKENDS:
        from qiskit_aer import AerSimulator
        from qiskit_ibm_runtime import fake_provider

        cls = next(c for c in vars(fake_provider).values() if getattr(c, "backend_name", None) == name)
        fake = cls()
        _BACKENDS[name] = (fake, AerSimulator.from_backend(fake))
    return _BACKENDS[name]


PLAIN_JOBS: list[float] = []  # seconds of each Sampler job of the plain script, to set beside the harness's


def _sample(sim, circuits, shots: int, seed: int) -> list[dict]:
    from qiskit_ibm_runtime.executor_sampler import SamplerV2

    start = time.perf_counter()
    result = SamplerV2(mode=sim, options={"simulator": {"seed_simulator": seed}}).run(circuits, shots=shots).result()
    PLAIN_JOBS.append(time.perf_counter() - start)
    return [_counts(pub.join_data()) for pub in result]


def _counts(bits) -> dict:
    """``bits.get_counts()`` without a string per shot, as a competent script at 256k shots does:
    each shot's packed bytes as one integer, counted by ``np.unique`` (up to 64 bits)."""
    packed = np.asarray(bits.array).reshape(-1, bits.array.shape[-1])
    weights = np.uint64(256) ** np.arange(packed.shape[1] - 1, -1, -1, dtype=np.uint64)
    keys, tally = np.unique(packed.astype(np.uint64) @ weights, return_counts=True)
    mask = (1 << bits.num_bits) - 1
    out: dict = {}
    for k, c in zip(keys.tolist(), tally.tolist()):
        label = format(k & mask, f"0{bits.num_bits}b")
        out[label] = out.get(label, 0) + c
    return out


def plain_run(case: dict) -> dict[str, dict[str, float]]:
    """One GHZ case written by hand with qiskit, Aer, qiskit-ibm-runtime and mitiq: metrics per kind."""
    from mitiq.zne.inference import LinearFactory, RichardsonFactory
    from mitiq.zne.scaling import fold_global
    from qiskit.transpiler import generate_preset_pass_manager

    n, shots, seeds = case["n"], case["shots"], case["seeds"]
    qc = _ghz(n)
    out = {"classical": _scores({"0" * n: 0.5, "1" * n: 0.5}, n, shots)}
    ideal_sim, tqc = ideal_transpile(qc)
    counts = ideal_sim.run(tqc, shots=shots, seed_simulator=_job_seed(seeds["simulator"], 0)).result().get_counts()
    out["simulator"] = _scores({k: v / shots for k, v in counts.items()}, n, shots)
    if case.get("backend") is None:
        return out
    fake, sim = _backend(case["backend"])
    pm = generate_preset_pass_manager(optimization_level=case["optimization_level"], backend=fake,
                                      seed_transpiler=seeds["transpiler"])
    isa = pm.run(qc)
    # job 0 of the harness's device is the workload's own run of the final circuit, which the raw
    # result scores and ZNE reuses as scale factor 1; job 1 holds the other folds and the two
    # readout calibration circuits (all |0>, all |1> on the measured physical qubits)
    from qiskit import QuantumCircuit

    (raw,) = _sample(sim, [isa], shots, _job_seed(seeds["hardware"], 0))
    out["hardware.raw"] = _scores({k: v / shots for k, v in raw.items()}, n, shots)
    pm0 = generate_preset_pass_manager(optimization_level=0, backend=fake, initial_layout=list(range(fake.num_qubits)),
                                       seed_transpiler=seeds["transpiler"])
    measured = {isa.find_bit(i.clbits[0]).index: isa.find_bit(i.qubits[0]).index
                for i in isa.data if i.operation.name == "measure"}
    qubits = sorted(measured.values())
    calibration = []
    if case["readout"]:
        for state in (0, 1):
            cal = QuantumCircuit(isa.num_qubits, len(qubits))
            if state:
                cal.x(qubits)
            cal.measure(qubits, range(len(qubits)))
            calibration.append(cal)
    folded = [fold_global(isa, s) for s in case["scale_factors"] if s != 1]
    ran = _sample(sim, [pm0.run(c) for c in folded + calibration], shots, _job_seed(seeds["hardware"], 1))
    scaled = [raw if s == 1 else ran.pop(0) for s in case["scale_factors"]]
    p10 = p01 = [0.0] * n
    if case["readout"]:
        zeros, ones = ran
        col = {q: j for j, q in enumerate(qubits)}

        def freq_one(counts: dict, j: int) -> float:
            return sum(c for k, c in counts.items() if k[len(qubits) - 1 - j] == "1") / sum(counts.values())

        p10 = [freq_one(zeros, col[measured[b]]) for b in range(n)]
        p01 = [1 - freq_one(ones, col[measured[b]]) for b in range(n)]
    per_scale = [_scores(_readout_corrected(c, p10, p01) if case["readout"] else
                         {k: v / shots for k, v in c.items()}, n, shots) for c in scaled]
    factory = RichardsonFactory if case["extrapolation"] == "richardson" else LinearFactory
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["hardware.mitigated"] = {m: float(factory.extrapolate(case["scale_factors"], [s[m] for s in per_scale]))
                                     for m in per_scale[0]}
    return out


# -- the harness side ----------------------------------------------------------------------------
def case_inputs(suite_path: Path) -> list[dict]:
    """What the plain script needs to repeat the harness's cases: widths, shots, derived seeds, settings."""
    from harness.lineage import derive_seeds
    from harness.suite import expand, load_suite

    suite = load_suite(suite_path)
    model = suite.model
    if model.workload != "ghz":
        raise SystemExit(f"{suite_path}: the plain script mirrors the ghz workload only (got {model.workload!r})")
    hw = model.baselines.hardware
    if hw is not None and hw.backend.startswith("ibm:"):
        raise SystemExit(f"{suite_path}: needs a fake backend, not {hw.backend}")
    zne = hw.mitigation.zne if hw else None
    if hw is not None and (zne is None or zne.folding != "global"):
        raise SystemExit(f"{suite_path}: the plain script mirrors global-folding ZNE only")
    return [{"case_id": c.case_id, "n": c.params["n"], "shots": c.params["shots"],
             "seeds": derive_seeds(model.seed, c.case_id),
             "backend": hw.backend if hw else None, "optimization_level": hw.optimization_level if hw else None,
             "scale_factors": [float(s) for s in zne.scale_factors] if zne else None,
             "extrapolation": zne.extrapolation if zne else None,
             "readout": bool(hw.mitigation.readout) if hw else False} for c in expand(suite)]


def harness_run(suite_path: Path, runs_dir: Path):
    """What ``harness run --no-cache <suite>`` does: run every case with a journal, write the record.

    The result cache stays off: with it, every round after the first would replay the first
    round's seeded simulator jobs instead of executing them.
    """
    from harness.commands import record_run

    run, _ = record_run([suite_path], runs_dir=runs_dir, cache=False)
    return run


_WATCH = [  # (label, module, qualified name): the harness's own work, timed by wrapping it
    ("bootstrap (mitigation)", "harness.mitigation.pipeline", "bootstrap_draws"),
    ("bootstrap (mitigation)", "harness.mitigation.pipeline", "bootstrap_draws_many"),  # a vectorised score (ghz)
    ("QPY structural keys (circuit_key)", "harness.executors.aer", "circuit_key"),
    ("QASM3 lineage hashes (circuit_sha256)", "harness.executors.aer", "circuit_sha256"),
    ("device lineage (RuntimeDevice.lineage)", "harness.executors.runtime", "RuntimeDevice.lineage"),
    ("device lineage (AerDevice.lineage)", "harness.executors.aer", "AerDevice.lineage"),
    ("calibration snapshots", "harness.executors.calibration", "calibration_snapshot"),
    ("run-wide environment (git, versions)", "harness.lineage", "environment"),
    ("suite load + plan", "harness.commands", "plan_suites"),
    ("run record write", "harness.store.runs", "write_run"),
    ("runtime jobs (all)", "harness.executors.runtime", "RuntimeDevice._run"),
]
_JOBS = _WATCH[-1][0]
EXTRA_JOB = "hardware: jobs of the workload's own run (scored as raw)"


@contextmanager
def _timers(spent: dict[str, list[float]]):
    """Wrap the watched functions wherever harness modules hold them; restore on exit.

    Plain functions are bound by name in the modules that import them (``from x import f``),
    so every loaded ``harness`` module attribute that is the original function gets the wrapper.
    """
    import importlib

    from harness.workloads.ghz import GHZ

    patches: list[tuple[object, str, object]] = []

    def wrap(label, fn):
        @functools.wraps(fn)
        def timed(*a, **kw):
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent.setdefault(label, []).append(time.perf_counter() - start)
        return timed

    for label, module, qualname in _WATCH:
        owner = importlib.import_module(module)
        if "." in qualname:
            owner = getattr(owner, qualname.split(".")[0])
            name = qualname.split(".")[1]
            patches.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, wrap(label, owner.__dict__[name]))
            continue
        original = getattr(owner, qualname)
        for mod in [m for n, m in sys.modules.items() if n.startswith("harness") and m is not None]:
            for attr, value in list(vars(mod).items()):
                if value is original:
                    patches.append((mod, attr, original))
                    setattr(mod, attr, wrap(label, original))

    quantum = GHZ.__dict__["quantum"]

    def timed_quantum(self, problem, device, rng):
        # the jobs the workload submits on the hardware tier (the raw result scores their counts;
        # they are counted separately to show where the time goes)
        before = list(spent.get(_JOBS, []))
        try:
            return quantum(self, problem, device, rng)
        finally:
            if type(getattr(device, "wrapped", device)).__name__ == "RuntimeDevice":  # through the guard
                spent.setdefault(EXTRA_JOB, []).extend(spent.get(_JOBS, [])[len(before):])

    patches.append((GHZ, "quantum", quantum))
    GHZ.quantum = timed_quantum
    try:
        yield
    finally:
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)


def _agreement(run, plain: list[dict], cases: list[dict]) -> float:
    worst = 0.0
    by_key = {(r.case_id, r.baseline): r for r in run.results}
    for case, values in zip(cases, plain):
        for kind, metrics in values.items():
            r = by_key[(case["case_id"], kind)]
            if r.status != "ok":
                raise SystemExit(f"harness result {case['case_id']} [{kind}] failed: {r.error}")
            for m, v in metrics.items():
                worst = max(worst, abs(r.metrics[m].value - v))
    return worst


def main(argv: list[str] | None = None) -> dict:
    """Print the medians, the ratio and where the harness's own time goes; return those figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", type=Path, default=REPO / "suites" / "ghz.yaml")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    cases = case_inputs(args.suite)
    runs_dir = Path(tempfile.mkdtemp(prefix="qharness-overhead-"))

    def plain_all():
        return [plain_run(c) for c in cases]

    t0 = time.perf_counter()
    run, plain = harness_run(args.suite, runs_dir), plain_all()  # warm-up: imports, noise models, caches
    agreement = _agreement(run, plain, cases)
    print(f"warm-up (imports, noise models): {time.perf_counter() - t0:.1f} s")
    print(f"same numbers: max |harness - plain| over all metrics = {agreement:.2e}")
    times: dict[str, list[float]] = {"harness": [], "plain": []}
    cpu: dict[str, list[float]] = {"harness": [], "plain": []}
    rounds: list[dict[str, list[float]]] = []  # per harness round: seconds of each watched function

    def harness_side():
        rounds.append({})
        with _timers(rounds[-1]):  # wrappers cost microseconds per call; ~40 calls a run
            harness_run(args.suite, runs_dir)

    plain_jobs: list[list[float]] = []

    def plain_side():
        PLAIN_JOBS.clear()
        plain_all()
        plain_jobs.append(list(PLAIN_JOBS))

    sides = {"harness": harness_side, "plain": plain_side}
    for i in range(args.rounds):
        for side in (("harness", "plain") if i % 2 == 0 else ("plain", "harness")):
            start, cpu_start = time.perf_counter(), time.process_time()
            sides[side]()
            times[side].append(time.perf_counter() - start)
            cpu[side].append(time.process_time() - cpu_start)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    ratio = med["harness"] / med["plain"]
    print(f"suite {args.suite.name}: {len(cases)} case(s), {args.rounds} interleaved rounds")
    for side in ("plain", "harness"):
        print(f"  {side:8s} median wall {med[side] * 1e3:8.1f} ms  cpu {cpu_med[side] * 1e3:8.1f} ms   wall rounds: "
              + ", ".join(f"{t * 1e3:.0f}" for t in times[side]))
    print(f"  ratio harness/plain = {ratio:.3f} wall, {cpu_med['harness'] / cpu_med['plain']:.3f} cpu  "
          f"(target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'})")
    print(f"  harness extra per run = {(med['harness'] - med['plain']) * 1e3:.1f} ms wall")

    labels = list(dict.fromkeys(w[0] for w in _WATCH)) + [EXTRA_JOB]  # one row per label
    spent = {k: statistics.median(sum(r.get(k, [])) for r in rounds) for k in labels}
    calls = {k: len(rounds[0].get(k, [])) for k in labels}
    print("\nwhere the harness's time goes (median per run over the harness rounds; stages nest, rows overlap):")
    for label in labels:
        print(f"  {label:58s} {calls[label]:4d} calls {spent[label] * 1e3:9.1f} ms")
    print(f"  {'(plain script: its Sampler jobs)':58s} {len(plain_jobs[0]):4d} calls "
          f"{statistics.median(sum(j) for j in plain_jobs) * 1e3:9.1f} ms")
    bootstrap = [sum(r.get(_WATCH[0][0], [])) for r in rounds]
    without = statistics.median(t - a for t, a in zip(times["harness"], bootstrap)) / med["plain"]
    print(f"  ratio without the bootstrap standard errors ~ {without:.3f} (per round harness time minus it)")
    return {"ratio": ratio, "cpu_ratio": cpu_med["harness"] / cpu_med["plain"], "agreement": agreement,
            "median": med, "times": times, "spent": spent, "calls": calls, "ratio_without": without}


if __name__ == "__main__":
    main(sys.argv[1:])
