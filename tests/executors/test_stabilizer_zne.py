"""ZNE on the stabilizer path: global folds built in qiskit stay Clifford, so stim runs them.

- Definition (mitiq's ``fold_global`` at an odd integer scale ``2k + 1``): ``U (U^-1 U)^k``, the
  measurements last; the unitary is unchanged and every gate count is multiplied by the scale.
- mitiq's own fold of a transpiled ECR circuit is not Clifford run by run (stim refuses it);
  ours is, and its unitary equals mitiq's.
- On the device the success of a mirror circuit falls with the scale, and the extrapolation
  recovers part of the loss (noise amplified by folding is what ZNE inverts).
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.stabilizer import StabilizerDevice, to_stim
from harness.mitigation.zne import fold, fold_global_clifford
from harness.workloads.mirror import Mirror


def _compact(circuit):
    """The unitary part of a physical circuit on the qubits it uses only (127 wires have no matrix)."""
    from qiskit import QuantumCircuit

    used = sorted({circuit.find_bit(q).index for inst in circuit.data for q in inst.qubits
                   if inst.operation.name not in ("measure", "barrier")})
    where = {q: i for i, q in enumerate(used)}
    out = QuantumCircuit(len(used), global_phase=circuit.global_phase)
    for inst in circuit.data:
        if inst.operation.name not in ("measure", "barrier"):
            out.append(inst.operation, [where[circuit.find_bit(q).index] for q in inst.qubits])
    return out


@pytest.fixture(scope="module")
def mirror5():
    wl = Mirror()
    problem = wl.build(Mirror.Params(width=5, depth=2, shots=4000), Mirror.Options())
    device = StabilizerDevice("fake_sherbrooke", seed_transpiler=1, seed_simulator=2)
    return wl, problem, device, device.transpile(problem.circuit)


def test_the_clifford_fold_is_mitiqs_global_fold_and_keeps_the_unitary(mirror5):
    from mitiq.zne.scaling import fold_global
    from qiskit.quantum_info import Operator

    _, _, _, isa = mirror5
    for scale in (3, 5):
        ours = fold_global_clifford(isa, scale)
        assert ours.count_ops()["ecr"] == scale * isa.count_ops()["ecr"]
        assert [i.operation.name for i in ours.data[-5:]] == ["measure"] * 5  # measurements stay last
        assert Operator(_compact(ours)).equiv(Operator(_compact(isa)))
    small = _compact(isa)
    assert Operator(fold_global_clifford(small, 3)).equiv(Operator(fold_global(small, 3)))
    with pytest.raises(ValueError, match="odd integer"):
        fold_global_clifford(isa, 2)


def test_stim_runs_our_folds_and_refuses_mitiqs(mirror5):
    _, _, device, isa = mirror5
    to_stim(device.translate_physical(fold(isa, 3, "global", np.random.default_rng(0), clifford=True)))
    with pytest.raises(UnsupportedError, match="not a Clifford"):
        to_stim(device.translate_physical(fold(isa, 3, "global", np.random.default_rng(0))))
    with pytest.raises(ValueError, match="folding: global"):
        fold(isa, 3, "gates_at_random", np.random.default_rng(0), clifford=True)


def test_zne_on_the_stabilizer_device_moves_the_mirror_towards_its_ideal(mirror5):
    from harness.mitigation import mitigate
    from harness.suite.schema import MitigationSettings

    wl, problem, device, _ = mirror5
    counts = device.sample(problem.circuit, 4000)
    success = [wl.score(problem, {k: v / 4000 for k, v in c.items()}, 4000)["success_probability"].value
               for c in device.sample_transpiled([fold_global_clifford(device.transpile(problem.circuit), s)
                                                  for s in (1, 3, 5)], 4000)]
    assert success[0] > success[1] > success[2]  # folding amplifies the noise
    raw = wl.score(problem, {k: v / 4000 for k, v in counts[0].items()}, 4000)["success_probability"]
    settings = MitigationSettings.model_validate({"zne": {"scale_factors": [1, 3], "extrapolation": "linear",
                                                          "folding": "global"}, "bootstrap": 50})
    out = mitigate(device, problem.circuit, 4000, lambda p, shots: wl.score(problem, p, shots), settings,
                   np.random.default_rng(1), counts=counts)
    mitigated = out.metrics["success_probability"]
    assert mitigated.value - raw.value > 4 * mitigated.stderr  # a real gain, not noise
    gates = out.details["zne"]["two_qubit_gates"]
    gates = gates[0] if isinstance(gates[0], list) else gates  # per circuit, or one circuit's
    assert gates[1] == 3 * gates[0]
