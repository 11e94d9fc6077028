"""The measured study behind the bundled variational options: evaluation mode x budget, across seeds.

For H2 (bundled case: reps 1) and the critical 3-site TFIM chain (reps 1), runs the workload's own
loop on the ideal Aer device with the objective evaluated exactly (``evaluation: exact``) or from
1000 shots per basis, at several COBYLA budgets, for seeds 1-5, and prints the worst and mean error
of the loop's optimum against the exact ground energy, with the evaluations spent. QAOA p = 1 on
the cube is reported against 1/2 + 1/(3 sqrt 3) per edge.

    .venv/bin/python benchmarks/vqe_convergence.py          # about 2 minutes on one core
"""

from __future__ import annotations

import math
import time

import numpy as np

from harness.executors.aer import AerDevice
from harness.workloads.maxcut import MaxCutQAOA
from harness.workloads.pauli import product_state_energy
from harness.workloads.vqe import VQEH2, VQETFIM, _mean_field_angles

SEEDS = (1, 2, 3, 4, 5)
CUBE = {"name": "cube", "edges": [[0, 1], [0, 2], [0, 4], [1, 3], [1, 5], [2, 3], [2, 6], [3, 7], [4, 5], [4, 6],
                                  [5, 7], [6, 7]]}


def study(label: str, wl, params, unit_scale: float, unit: str) -> None:
    for evaluation, budgets in (("shots", (25, 100)), ("exact", (25, 40, 100, 200))):
        for budget in budgets:
            options = wl.Options(maxiter=budget, starts=1, initial_step=0.5, eval_shots=1000, evaluation=evaluation)
            problem = wl.build(params, options)
            errors, evals, start = [], [], time.perf_counter()
            for seed in SEEDS:
                out = wl.quantum(problem, AerDevice(seed_simulator=seed), np.random.default_rng(seed))
                # the loop's chosen point, judged by its exact energy (not by its own noisy estimate)
                errors.append(exact_energy(wl, problem, out.info["best_params"]) - problem.ground)
                evals.append(out.info["evaluations"])
            print(f"{label:5s} {evaluation:5s} maxiter {budget:4d}: error worst {max(errors) * unit_scale:8.2f} "
                  f"mean {np.mean(errors) * unit_scale:8.2f} {unit}  evaluations <= {max(evals):4d}  "
                  f"{(time.perf_counter() - start) / len(SEEDS):5.2f} s/seed")


def exact_energy(wl, problem, params) -> float:
    from qiskit.quantum_info import Statevector

    from harness.workloads.pauli import sparse_matrix
    from harness.workloads.vqe import _order, ry_ansatz

    ansatz = ry_ansatz(problem.n, problem.reps)
    state = Statevector(ansatz.assign_parameters(np.asarray(params)[_order(ansatz)].tolist())).data
    return float(np.real(state.conj() @ sparse_matrix(problem.terms).toarray() @ state)) + problem.offset


def main() -> None:
    print("H2 (STO-3G, 0.735 A): exact -1.137306 Ha; chemical accuracy 1.6 mHa")
    study("H2", VQEH2(), VQEH2.Params(reps=1, shots=1000), 1e3, "mHa")
    tfim = VQETFIM()
    params = VQETFIM.Params(n=3, field=1.0, reps=1, shots=1000)
    problem = tfim.build(params, VQETFIM.Options())
    mf = product_state_energy(problem.terms, _mean_field_angles(problem)) - problem.ground
    print(f"TFIM n=3 h=J (open): exact {problem.ground:.4f} J; mean field {mf:.3f} J above it")
    study("TFIM", tfim, params, 1.0, "J  ")
    wl = MaxCutQAOA()
    for evaluation, budget in (("shots", 40), ("exact", 40)):
        problem = wl.build(MaxCutQAOA.Params(graph=CUBE, reps=1, shots=4000),
                           MaxCutQAOA.Options(maxiter=budget, starts=4, evaluation=evaluation))
        best = [wl.quantum(problem, AerDevice(seed_simulator=s), np.random.default_rng(s)).info["best_objective"]
                for s in SEEDS]
        ref = (0.5 + 1 / (3 * math.sqrt(3))) * 12
        print(f"QAOA cube p=1 {evaluation:5s} maxiter {budget}: loop optimum / |E| worst {min(best) / 12:.4f} "
              f"best {max(best) / 12:.4f} (reference {ref / 12:.4f})")


if __name__ == "__main__":
    main()
