"""Which mitigation strategy wins on the bundled cases, by how much, at what cost.

For every case of the bundled suites whose ideal success probability is known to be 1 (GHZ,
mirror circuits, Bernstein-Vazirani), the workload's hybrid loop runs once on the suite's fake
backend per seed, and every strategy below mitigates that final circuit, reusing the loop's
counts exactly as the harness does. Per strategy it prints the mean absolute error of the success
probability against the ideal 1 (over cases x seeds), the error reduction against raw (raw's
error / the strategy's), the mean bootstrap standard error, the cost multiple (circuits and shots
the estimate needed, over raw's single execution of the circuit) and how many estimates had no
value (an exponential fit that does not converge; left out of the means) or were refused (PEC
whose overhead its shots cannot pay for; left out too).

Usage::

    .venv/bin/python benchmarks/mitigation_compare.py [--seeds 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SUITES = ("ghz.yaml", "mirror.yaml", "custom-bv.yaml")
METRIC = "success_probability"


def strategies() -> dict[str, object]:
    """The stacks compared: each technique alone and the usual stacks."""
    from harness.suite.schema import (
        DDDSettings,
        MitigationSettings,
        PECSettings,
        ReadoutSettings,
        RuntimeSettings,
        TwirlingSettings,
        ZNESettings,
    )

    rich = ZNESettings(scale_factors=[1, 3, 5], extrapolation="richardson")
    lin = ZNESettings(scale_factors=[1, 3], extrapolation="linear")
    return {
        "raw": MitigationSettings(),
        "readout (measured)": MitigationSettings(readout=True),
        "readout (model, idealised)": MitigationSettings(readout=ReadoutSettings(confusion="model")),
        "zne richardson 1,3,5": MitigationSettings(zne=rich),
        "zne exponential 1,3,5": MitigationSettings(zne=ZNESettings(scale_factors=[1, 3, 5],
                                                                     extrapolation="exponential")),
        "readout + zne richardson": MitigationSettings(readout=True, zne=rich),
        "readout + zne linear 1,3": MitigationSettings(readout=True, zne=lin),
        "ddd xx": MitigationSettings(ddd=DDDSettings(rule="xx")),
        "ddd xyxy": MitigationSettings(ddd=DDDSettings(rule="xyxy")),
        "twirling x8": MitigationSettings(twirling=TwirlingSettings(copies=8)),
        "readout + twirling + zne richardson": MitigationSettings(readout=True, zne=rich,
                                                                  twirling=TwirlingSettings(copies=4)),
        "readout + ddd + twirling + zne linear": MitigationSettings(readout=True, zne=lin, ddd=DDDSettings(),
                                                                    twirling=TwirlingSettings(copies=4)),
        "m3 (measured)": MitigationSettings(m3=True),
        "m3 + zne linear 1,3": MitigationSettings(m3=True, zne=lin),
        "pec (precision 0.05)": MitigationSettings(pec=PECSettings(precision=0.05)),
        "readout + pec (precision 0.05)": MitigationSettings(readout=True, pec=PECSettings(precision=0.05)),
        "runtime twirling": MitigationSettings(runtime=RuntimeSettings.model_validate({"twirling": {}})),
        "runtime dd xx": MitigationSettings(runtime=RuntimeSettings.model_validate({"dynamical_decoupling": {}})),
        "readout + runtime twirling": MitigationSettings(
            readout=True, runtime=RuntimeSettings.model_validate({"twirling": {}})),
    }


def cases(quick: bool):
    from harness.commands import plan_suites

    plans = plan_suites([REPO / "suites" / s for s in SUITES])
    out = []
    for plan in plans:
        chosen = plan.cases[:1] if quick else plan.cases
        out += [(plan, cp) for cp in chosen]
    return out


def measure(seeds: int, quick: bool) -> dict[str, dict[str, float]]:
    """Per strategy: mean |error|, mean stderr, circuits and shots multiples, seconds."""
    from harness.executors import make_device
    from harness.lineage import derive_seeds
    from harness.errors import UnsupportedError
    from harness.mitigation import mitigate

    table: dict[str, dict[str, list[float]]] = {}
    stacks = strategies()
    for plan, cp in cases(quick):
        hw = plan.suite.model.baselines.hardware
        for seed in range(seeds):
            s = derive_seeds(plan.suite.model.seed + seed, cp.case.case_id)
            device = make_device("hardware", hw, seed_transpiler=s["transpiler"], seed_simulator=s["hardware"])
            problem = plan.workload.build(cp.params, plan.options)
            outcome = plan.workload.quantum(problem, device, np.random.default_rng(s["optimizer"]))

            def score(probs, shots, problem=problem):
                return plan.workload.score(problem, probs, shots)

            for name, settings in stacks.items():
                start = time.perf_counter()
                row = table.setdefault(name, {"error": [], "stderr": [], "circuits": [], "shots": [], "seconds": [],
                                              "refused": []})
                try:
                    m = mitigate(device, outcome.circuit, outcome.shots, score, settings,
                                 np.random.default_rng(s["mitigation"]), counts=[outcome.counts])
                except UnsupportedError:  # PEC beyond its budget on a deep circuit: refused, counted
                    row["refused"].append(1.0)
                    continue
                metric = m.metrics[METRIC]
                row["error"].append(abs(metric.value - 1.0))
                row["stderr"].append(metric.stderr or 0.0)
                # raw's one execution of the circuit is the unit; reused counts are that execution
                reused = 1 if m.details["reused_counts"] else 0  # the loop's own execution, used again
                row["circuits"].append(reused + m.resources["circuits"])
                row["shots"].append((reused * outcome.shots + m.resources["shots"]) / outcome.shots)
                row["seconds"].append(time.perf_counter() - start)
    out = {}
    for name, row in table.items():
        refused = len(row.pop("refused"))
        finite = [i for i, e in enumerate(row["error"]) if np.isfinite(e)]  # a fit that failed has no value
        out[name] = {k: statistics.fmean([v[i] for i in finite]) if finite else float("nan") for k, v in row.items()}
        out[name]["failed"] = len(row["error"]) - len(finite)
        out[name]["refused"] = refused
    return out


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="independent seeds per case (default 3)")
    parser.add_argument("--quick", action="store_true", help="the first case of each suite only")
    args = parser.parse_args(argv)
    n_cases = len(cases(args.quick))
    started = time.perf_counter()
    figures = measure(args.seeds, args.quick)
    raw = figures["raw"]["error"]
    print(f"success probability on fake_manila, |error| against the ideal 1: {n_cases} cases x {args.seeds} seeds")
    print(f"{'strategy':<40} {'|error|':>8} {'reduction':>9} {'stderr':>8} {'circuits':>8} {'shots':>7} {'s/run':>6} "
          f"{'no fit':>6} {'refused':>7}")
    for name, f in figures.items():
        reduction = raw / f["error"] if f["error"] > 0 else float("inf")
        print(f"{name:<40} {f['error']:>8.4f} {reduction:>8.2f}x {f['stderr']:>8.4f} {f['circuits']:>7.1f}x "
              f"{f['shots']:>6.1f}x {f['seconds']:>6.2f} {f['failed']:>6d} {f['refused']:>7d}")
    print(f"(cost multiples: circuits and shots of the estimate over raw's one execution; {time.perf_counter() - started:.0f} s)")
    return figures


if __name__ == "__main__":
    main()
