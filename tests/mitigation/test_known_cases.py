"""Each technique against a case whose answer is known exactly.

``ExactDevice`` is a test double at the executor seam that returns *expected* counts (no shot
noise): it evolves a density matrix gate by gate, applies a two-qubit depolarising channel of
strength ``p`` after every two-qubit gate and a known confusion matrix per qubit at readout. Its
circuits are their own physical circuits (no layout), so the mitigation pipeline runs them as given.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from harness.executors.base import Resources, StageClock
from harness.mitigation import mitigate
from harness.mitigation.zne import extrapolate
from harness.records import Metric
from harness.suite.schema import DDDSettings, MitigationSettings, ReadoutSettings, TwirlingSettings, ZNESettings

SHOTS = 1_000_000


class ExactDevice:
    """Expected counts of a circuit under 2q depolarising noise ``p`` and per-qubit readout errors."""

    def __init__(self, p: float = 0.0, readout: dict[int, tuple[float, float]] | None = None):
        self.name, self.p, self.readout = "exact", p, readout or {}
        self.clock, self.resources = StageClock(), Resources()
        self.jobs: list[int] = []

    def transpile(self, circuit):
        return circuit

    def translate_physical(self, circuit):
        return circuit

    def _probabilities(self, circuit: QuantumCircuit) -> dict[str, float]:
        from qiskit.quantum_info import DensityMatrix, Operator
        from qiskit_aer.noise import depolarizing_error

        rho = DensityMatrix.from_label("0" * circuit.num_qubits)
        channel = depolarizing_error(self.p, 2).to_quantumchannel() if self.p else None
        measured: dict[int, int] = {}
        for inst in circuit.data:
            qubits = [circuit.find_bit(q).index for q in inst.qubits]
            if inst.operation.name == "measure":
                measured[circuit.find_bit(inst.clbits[0]).index] = qubits[0]
                continue
            if inst.operation.name == "barrier":
                continue
            rho = rho.evolve(Operator(inst.operation), qargs=qubits)
            if channel is not None and len(qubits) == 2:
                rho = rho.evolve(channel, qargs=qubits)
        clbits = sorted(measured)
        probs = rho.probabilities_dict(qargs=[measured[c] for c in clbits])  # key char k: clbit n-1-k
        out: dict[str, float] = {}
        for key, prob in probs.items():
            bits = [int(b) for b in reversed(key)]  # bits[j] = clbit j
            for flips in range(2 ** len(bits)):
                weight, read = prob, []
                for j, b in enumerate(bits):
                    p10, p01 = self.readout.get(measured[clbits[j]], (0.0, 0.0))
                    flip = (flips >> j) & 1
                    err = p10 if b == 0 else p01
                    weight *= err if flip else 1 - err
                    read.append(b ^ flip)
                if weight:
                    k = "".join(str(b) for b in reversed(read))
                    out[k] = out.get(k, 0.0) + weight
        return out

    def sample_transpiled(self, circuits, shots):
        self.jobs.append(len(circuits))
        counts = []
        for c in circuits:
            probs = self._probabilities(c)
            keys = list(probs)
            raw = np.array([probs[k] for k in keys]) * shots
            n = np.floor(raw).astype(int)
            n[np.argsort(raw - n)[::-1][: shots - n.sum()]] += 1  # largest remainders: total = shots
            counts.append({k: int(v) for k, v in zip(keys, n) if v})
        return counts

    sample_batch = sample_transpiled


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def success(probs, shots):
    return {"success_probability": Metric(probs.get("00", 0.0) + probs.get("11", 0.0), "proportion", n=shots)}


def run(device, settings, circuit=None, counts=None):
    return mitigate(device, circuit or bell(), SHOTS, success, settings, np.random.default_rng(0), counts=counts)


# -- readout --------------------------------------------------------------------------------
def test_measured_rem_undoes_a_known_confusion_matrix():
    """P(1|0), P(0|1) of 3 % / 8 % and 5 % / 12 %: the calibration circuits measure them, and the
    inverse gives back the ideal Bell distribution (success 1, not the 0.9 the readout leaves)."""
    device = ExactDevice(readout={0: (0.03, 0.08), 1: (0.05, 0.12)})
    raw = run(device, MitigationSettings(bootstrap=20))
    rem = run(ExactDevice(readout=device.readout), MitigationSettings(readout=True, bootstrap=20))
    assert raw.metrics["success_probability"].value == pytest.approx(0.5 * (0.97 * 0.95 + 0.03 * 0.05)
                                                                     + 0.5 * (0.92 * 0.88 + 0.08 * 0.12), abs=1e-5)
    info = rem.details["readout"]
    assert info["confusion"] == "measured" and info["physical_qubits"] == [0, 1]
    assert info["p_meas1_prep0"] == pytest.approx([0.03, 0.05], abs=1e-6)
    assert info["p_meas0_prep1"] == pytest.approx([0.08, 0.12], abs=1e-6)
    assert rem.metrics["success_probability"].value == pytest.approx(1.0, abs=1e-5)
    # the inversion's noise amplification: prod_k ||A_k^-1||_1^2 > 1
    assert rem.details["variance_amplification"]["readout"] > 1.2


def test_rem_reuses_the_loops_counts_and_runs_only_its_calibration():
    device = ExactDevice(readout={0: (0.03, 0.08), 1: (0.05, 0.12)})
    (loop,) = device.sample_transpiled([bell()], SHOTS)
    out = run(device, MitigationSettings(readout=ReadoutSettings(shots=2000), bootstrap=20), counts=[loop])
    assert device.jobs == [1, 2]  # the loop's own job, then the two calibration circuits only
    assert out.resources["circuits"] == 2 and out.resources["shots"] == 4000
    assert out.details["reused_counts"] is True


def test_raw_with_the_loops_counts_submits_nothing():
    device = ExactDevice(p=0.1)
    (loop,) = device.sample_transpiled([bell()], SHOTS)
    out = run(device, MitigationSettings(bootstrap=20), counts=[loop])
    assert device.jobs == [1] and out.resources["jobs"] == 0 and out.resources["circuits"] == 0


# -- ZNE ------------------------------------------------------------------------------------
def test_zne_on_a_depolarising_channel_matches_the_exact_extrapolation():
    """A 2-qubit depolarising channel of strength p after each CX commutes with every gate, so a
    global fold at scale s leaves success(s) = 1/2 + (1 - p)^s / 2 exactly. An exponential fit
    through three scales recovers the ideal 1; Richardson gives its known polynomial residual."""
    p, scales = 0.1, [1.0, 3.0, 5.0]
    exact = [0.5 + 0.5 * (1 - p) ** s for s in scales]
    out = {}
    for method in ("richardson", "exponential", "linear", "poly"):
        zne = ZNESettings(scale_factors=scales, extrapolation=method, order=2)
        out[method] = run(ExactDevice(p=p), MitigationSettings(zne=zne, bootstrap=20))
        values = out[method].details["zne"]["values"]["success_probability"]
        assert values == pytest.approx(exact, abs=2e-6)
        assert out[method].details["zne"]["two_qubit_gates"] == [1, 3, 5]
    assert out["exponential"].metrics["success_probability"].value == pytest.approx(1.0, abs=1e-4)
    rich = out["richardson"].metrics["success_probability"].value
    assert rich == pytest.approx(extrapolate(scales, exact, "richardson"), abs=1e-5)
    assert abs(rich - 1) < abs(exact[0] - 1) / 5  # far closer than the unmitigated 0.95
    assert out["poly"].metrics["success_probability"].value == pytest.approx(rich, abs=1e-9)  # order 2 = Richardson
    assert out["richardson"].details["variance_amplification"]["zne"] == pytest.approx((15**2 + 10**2 + 3**2) / 64)


def test_an_estimate_outside_the_physical_range_is_flagged_and_kept():
    """A proportion that falls steeply with noise: 2 success - 0.9 is 1.0 at scale 1 and 0.829 at
    scale 3, so the linear zero-noise limit is 1.0855, above any probability."""
    def steep(probs, shots):
        s = probs.get("00", 0.0) + probs.get("11", 0.0)
        return {"p": Metric(min(1.0, max(0.0, 2 * s - 0.9)), "proportion", n=shots)}

    zne = ZNESettings(scale_factors=[1.0, 3.0], extrapolation="linear")
    out = mitigate(ExactDevice(p=0.1), bell(), SHOTS, steep, MitigationSettings(zne=zne, bootstrap=20),
                   np.random.default_rng(0))
    value = out.metrics["p"].value
    assert value == pytest.approx(1.0 + (1.0 - (2 * (0.5 + 0.5 * 0.9**3) - 0.9)) / 2, abs=1e-5)
    assert value > 1.0  # the unbiased estimate stays the metric (clipping would bias the drift tests)
    flag = out.details["out_of_range"]["p"]
    assert flag["estimate"] == value and flag["clipped"] == 1.0 and flag["range"] == [0.0, 1.0]
    assert "clipped" in flag["method"]


# -- DDD and twirling -------------------------------------------------------------------------
def idle_circuit() -> QuantumCircuit:
    """Qubit 2 waits while 0 and 1 entangle: an idle window for the decoupling sequence."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(0, 1)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def ghz3_score(probs, shots):
    return {"p": Metric(probs.get("000", 0.0) + probs.get("111", 0.0), "proportion", n=shots)}


@pytest.mark.parametrize("rule", ["xx", "xyxy", "yy"])
def test_ddd_leaves_an_ideal_circuits_output_unchanged(rule):
    from qiskit.quantum_info import Operator

    from harness.mitigation.ddd import pad

    qc = idle_circuit()
    padded = pad(qc, rule)
    assert padded.size() > qc.size()  # the window was filled
    assert Operator(padded.remove_final_measurements(inplace=False)).equiv(
        Operator(qc.remove_final_measurements(inplace=False)))
    raw = mitigate(ExactDevice(), qc, SHOTS, ghz3_score, MitigationSettings(bootstrap=20), np.random.default_rng(0))
    ddd = mitigate(ExactDevice(), qc, SHOTS, ghz3_score, MitigationSettings(ddd=DDDSettings(rule=rule), bootstrap=20),
                   np.random.default_rng(0))
    assert ddd.metrics["p"].value == pytest.approx(raw.metrics["p"].value, abs=1e-12) == pytest.approx(1.0)
    assert ddd.details["ddd"]["rule"] == rule and ddd.details["ddd"]["inserted_gates"][0] > 0


def test_twirled_copies_are_the_same_unitary_and_leave_an_ideal_output_unchanged():
    from qiskit.quantum_info import Operator

    from harness.mitigation.twirling import twirl

    qc = idle_circuit()
    copies = twirl(qc, 6, seed=3)
    assert len(copies) == 6 and len({str(c) for c in copies}) > 1  # random frames differ
    target = Operator(qc.remove_final_measurements(inplace=False))
    assert all(Operator(c.remove_final_measurements(inplace=False)).equiv(target) for c in copies)
    out = mitigate(ExactDevice(), qc, 6000, ghz3_score, MitigationSettings(twirling=TwirlingSettings(copies=6), bootstrap=20),
                   np.random.default_rng(0))
    assert out.metrics["p"].value == pytest.approx(1.0)
    assert out.resources["circuits"] == 6 and out.resources["shots"] == 6000  # the copies share the shots


def test_a_full_stack_runs_in_order_and_records_every_technique():
    device = ExactDevice(p=0.05, readout={0: (0.03, 0.08), 1: (0.05, 0.12), 2: (0.02, 0.04)})
    settings = MitigationSettings(readout=True, zne=ZNESettings(scale_factors=[1, 3]), ddd=DDDSettings(),
                                  twirling=TwirlingSettings(copies=2), bootstrap=20)
    out = mitigate(device, idle_circuit(), 20000, ghz3_score, settings, np.random.default_rng(0))
    assert out.details["stack"] == ["zne", "ddd", "twirling", "readout"]
    assert set(out.details["settings"]) == {"zne", "ddd", "twirling", "readout"}
    # folds x copies at half the shots in one job, the calibration at the full shots in another
    assert out.resources["circuits"] == 2 * 2 + 2 and device.jobs == [4, 2]
    raw = mitigate(ExactDevice(p=0.05, readout=device.readout), idle_circuit(), 20000, ghz3_score,
                   MitigationSettings(bootstrap=20), np.random.default_rng(0))
    assert abs(out.metrics["p"].value - 1) < abs(raw.metrics["p"].value - 1) / 2


@pytest.mark.parametrize("settings", [
    MitigationSettings(),
    MitigationSettings(readout=True),
    MitigationSettings(readout=ReadoutSettings(shots=500)),
    MitigationSettings(zne=ZNESettings(scale_factors=[1, 3, 5])),
    MitigationSettings(zne=ZNESettings(scale_factors=[2, 3])),
    MitigationSettings(ddd=DDDSettings()),
    MitigationSettings(twirling=TwirlingSettings(copies=3)),
    MitigationSettings(readout=True, zne=ZNESettings(scale_factors=[1, 3]), twirling=TwirlingSettings(copies=4),
                       ddd=DDDSettings()),
])
def test_the_budgets_estimate_is_what_the_stack_spends(settings):
    """The dry run and the budget ask each technique for its cost: it must be what a run spends."""
    from harness.mitigation.registry import cost

    device = ExactDevice(p=0.05, readout={0: (0.02, 0.03)})
    (loop,) = device.sample_transpiled([idle_circuit()], 4000)
    out = mitigate(device, idle_circuit(), 4000, ghz3_score, settings.model_copy(update={"bootstrap": 20}),
                   np.random.default_rng(0), counts=[loop])
    assert cost(settings, 1, 4000) == (out.resources["circuits"], out.resources["shots"])


@pytest.mark.parametrize("block, message", [
    ({"scale_factors": [1, 3], "extrapolation": "poly", "order": 2}, "more than 2 scale factors"),
    ({"scale_factors": [1, 3], "extrapolation": "exponential"}, "at least 3 scale factors"),
    ({"scale_factors": [1, 2, 3], "folding": "all"}, "odd integer"),
])
def test_a_zne_block_that_cannot_fit_is_refused_at_load(block, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        ZNESettings(**block)
