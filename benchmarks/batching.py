"""Batch-and-burst: a 50-point parameter sweep as one PUB versus one primitive call per point.

Runs a 2-parameter, 4-qubit ansatz on a fake backend (runtime's Sampler in local mode, the same
API as hardware) both ways and prints the wall times and the speed-up. The device's transpilation
is cached per circuit structure, so both ways transpile once; the difference is the per-job cost
(primitive setup, submission, noise-model simulation start-up) paid once or 50 times.

Usage::

    .venv/bin/python benchmarks/batching.py [--backend fake_manila] [--points 50] [--shots 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def ansatz(n: int = 4):
    """A hardware-efficient layer: RY(a) on every qubit, a CX chain, RZ(b), measured."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import Parameter

    a, b = Parameter("a"), Parameter("b")
    q, c = QuantumRegister(n, "q"), ClassicalRegister(n, "c")
    qc = QuantumCircuit(q, c, name="sweep")
    for i in range(n):
        qc.ry(a, i)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    for i in range(n):
        qc.rz(b, i)
        qc.h(i)
    qc.measure(q, c)
    return qc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="fake_manila")
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from harness.executors.runtime import RuntimeDevice

    circuit = ansatz()
    grid = np.column_stack([np.linspace(0, np.pi, args.points), np.linspace(0, np.pi / 2, args.points)])
    device = RuntimeDevice(args.backend, optimization_level=1, seed_transpiler=1, seed_simulator=2)
    device.sample(circuit, args.shots, grid[:2])  # warm-up: noise model, pass manager, transpilation

    batched, single = [], []
    for _ in range(args.repeats):
        jobs = device.resources.jobs
        t0 = time.perf_counter()
        counts = device.sample(circuit, args.shots, grid)
        batched.append(time.perf_counter() - t0)
        assert len(counts) == args.points and device.resources.jobs == jobs + 1
        t0 = time.perf_counter()
        for row in grid:
            device.sample(circuit, args.shots, [row])
        single.append(time.perf_counter() - t0)

    b, s = statistics.median(batched), statistics.median(single)
    print(f"{args.points}-point sweep on {args.backend}, {args.shots} shots per point, median of {args.repeats}:")
    print(f"  batched (1 job, 1 PUB with {args.points} parameter sets): {b:8.3f} s")
    print(f"  one call per point ({args.points} jobs):                  {s:8.3f} s")
    print(f"  speed-up: {s / b:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
