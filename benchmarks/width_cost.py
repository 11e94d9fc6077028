"""Cost of the wide noisy stabilizer simulation per width, up to the largest fake device.

For each width, a fresh process builds the mirror circuit (depth 2) and a GHZ chain, transpiles
them for the backend and samples 1000 shots on :class:`~harness.executors.stabilizer.StabilizerDevice`
(stim with the calibrated Pauli noise); it prints seconds (transpile, simulate) and the process's
peak resident memory. ``--aer`` also times Aer's stabilizer method with the same Pauli noise model
(``NoiseModel.from_backend(thermal_relaxation=False)``), the alternative this choice was measured
against.

    .venv/bin/python benchmarks/width_cost.py                 # fake_sherbrooke to 127, fake_fez to 156
    .venv/bin/python benchmarks/width_cost.py --aer           # plus Aer's stabilizer method (slow)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

SHOTS = 1000


def _measure(args: tuple[str, str, int, bool]) -> dict:
    backend, family, width, aer = args
    from harness.executors.stabilizer import StabilizerDevice
    from harness.workloads.ghz import ghz_circuit
    from harness.workloads.mirror import Mirror

    if family == "mirror":
        circuit = Mirror().build(Mirror.Params(width=width, depth=2, shots=SHOTS), Mirror.Options()).circuit
    else:
        circuit = ghz_circuit(width)
    device = StabilizerDevice(backend, seed_transpiler=1, seed_simulator=1)
    start = time.perf_counter()
    isa = device.transpile(circuit)
    transpile = time.perf_counter() - start
    start = time.perf_counter()
    device.sample(circuit, SHOTS)
    simulate = time.perf_counter() - start
    out = {"backend": backend, "family": family, "width": width, "transpile": transpile, "stim": simulate,
           "two_qubit": sum(1 for i in isa.data if len(i.qubits) == 2 and i.operation.name != "barrier")}
    if aer:
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel

        sim = AerSimulator(method="stabilizer", noise_model=NoiseModel.from_backend(device._backend,
                                                                                     thermal_relaxation=False))
        start = time.perf_counter()
        result = sim.run(isa, shots=SHOTS, seed_simulator=1).result()
        # Aer checks gate by gate: the transpiler's Euler angles need not be Clifford one by one
        out["aer"] = f"{time.perf_counter() - start:7.2f}" if result.success else "refused"
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aer", action="store_true", help="also time Aer's stabilizer method")
    args = parser.parse_args()
    plan = [("fake_sherbrooke", w) for w in (5, 20, 50, 100, 127)] + [("fake_fez", w) for w in (127, 156)]
    print(f"{'backend':16s} {'circuit':7s} {'width':>5s} {'2q gates':>8s} {'transpile s':>11s} {'stim s':>7s}"
          + (f" {'aer s':>7s}" if args.aer else "") + f" {'peak MB':>8s}")
    import logging

    logging.getLogger("qiskit_aer").setLevel(logging.CRITICAL)
    ctx = mp.get_context("spawn")  # a fresh process per point: its peak memory is its own
    for backend, width in plan:
        for family in ("mirror", "ghz"):
            with ctx.Pool(1) as pool:
                r = pool.map(_measure, [(backend, family, width, args.aer)])[0]
            print(f"{r['backend']:16s} {family:7s} {width:5d} {r['two_qubit']:8d} {r['transpile']:11.2f} "
                  f"{r['stim']:7.2f}" + (f" {r['aer']:>7s}" if args.aer else "") + f" {r['peak_mb']:8.0f}")


if __name__ == "__main__":
    main()
