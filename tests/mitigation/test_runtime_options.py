"""The runtime's own options: what qiskit-ibm-runtime's local primitives really apply, and that
the harness applies what they apply and refuses what they ignore."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pydantic import ValidationError
from qiskit import QuantumCircuit

from harness.errors import UnsupportedError
from harness.mitigation import mitigate
from harness.records import Metric
from harness.suite.schema import MitigationSettings, RuntimeSettings

pytestmark = pytest.mark.sdk


def ghz3() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    return qc


def score(probs, shots):
    return {"p": Metric(probs.get("000", 0.0) + probs.get("111", 0.0), "proportion", n=shots)}


@pytest.fixture(scope="module")
def device():
    from harness.executors.runtime import RuntimeDevice

    return RuntimeDevice("fake_manila", seed_transpiler=1, seed_simulator=2)


def test_the_local_service_ignores_resilience_twirling_and_dd_of_the_classic_primitives():
    """The fact the schema's refusal rests on: local mode warns these options have no effect."""
    from qiskit import transpile
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    backend = FakeManilaV2()
    isa = transpile(ghz3(), backend, optimization_level=1, seed_transpiler=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SamplerV2(mode=backend, options={"twirling": {"enable_gates": True},
                                         "dynamical_decoupling": {"enable": True}}).run([isa], shots=50).result()
        est = EstimatorV2(mode=backend, options={"resilience_level": 1,
                                                 "resilience": {"measure_mitigation": True}})
        body = isa.remove_final_measurements(inplace=False)
        est.run([(body, SparsePauliOp("Z" * body.num_qubits))]).result()
    text = " ".join(str(w.message) for w in caught)
    assert "twirling" in text and "dynamical_decoupling" in text and "no effect in local testing mode" in text
    assert "resilience_level option has no effect" in text


@pytest.mark.parametrize("key, value", [("resilience_level", 1), ("resilience", {"measure_mitigation": True})])
def test_ignored_runtime_options_are_refused_at_load_time_with_the_reason(key, value, tmp_path):
    from harness.errors import SuiteError
    from harness.suite import load_suite

    with pytest.raises(ValidationError, match="not applied by the harness's runtime primitive"):
        RuntimeSettings.model_validate({key: value, "twirling": {}})
    path = tmp_path / "rt.yaml"
    path.write_text(f"""suite: rt
workload: ghz
matrix: {{n: [2], shots: [100]}}
baselines:
  hardware:
    backend: fake_manila
    strategies:
      trex: {{runtime: {{{key}: {value!r}}}}}
metrics:
  success_probability: {{better: higher}}
""".replace("'", '"'))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    message = str(info.value)
    assert "rt.yaml" in message and f"strategies.trex.runtime.{key}" in message and "local mode" in message


def test_the_client_side_sampler_applies_twirling_and_dd_and_the_harness_records_it(device):
    twirl = RuntimeSettings.model_validate({"twirling": {"randomizations": 4, "shots_per_randomization": 250}})
    applied = device.applied_options(device.transpile(ghz3()), 1000, twirl.sampler_options())
    assert applied["twirling"] == {"randomizations": 4, "shots_per_randomization": 250}
    assert applied["dynamical_decoupling"] is None
    dd = RuntimeSettings.model_validate({"dynamical_decoupling": {"sequence": "XX"}})
    applied = device.applied_options(device.transpile(ghz3()), 1000, dd.sampler_options())
    assert applied["twirling"] is None and applied["dynamical_decoupling"]["inserted"]["delay"] > 0
    assert applied["dynamical_decoupling"]["inserted"]["x"] % 2 == 0  # XX: pairs of pulses per window

    settings = MitigationSettings(runtime=twirl, bootstrap=20)
    out = mitigate(device, ghz3(), 1000, score, settings, np.random.default_rng(0))
    assert out.details["runtime"]["applied"]["twirling"]["randomizations"] == 4
    assert out.details["runtime"]["options"]["twirling"]["enable_gates"] is True
    assert out.resources["circuits"] == 1 and out.resources["jobs"] == 1  # a new run: the options changed it
    assert 0.6 < out.metrics["p"].value <= 1.0
    assert device.primitive_options == {}  # only the stack's jobs carried them


def test_an_option_the_runtime_does_not_apply_is_refused_not_recorded(device, monkeypatch):
    monkeypatch.setattr(type(device), "applied_options",
                        lambda self, c, shots, options: {"twirling": None, "dynamical_decoupling": None})
    settings = MitigationSettings(runtime=RuntimeSettings.model_validate({"dynamical_decoupling": {}}))
    with pytest.raises(UnsupportedError, match="did not apply dynamical_decoupling"):
        mitigate(device, ghz3(), 100, score, settings, np.random.default_rng(0))


def test_runtime_options_need_the_runtime_sampler():
    from ..fake_device import FakeDevice, ideal

    settings = MitigationSettings(runtime=RuntimeSettings.model_validate({"twirling": {}}))
    with pytest.raises(UnsupportedError, match="runtime options cannot apply"):
        mitigate(FakeDevice(ideal), ghz3(), 100, score, settings, np.random.default_rng(0))


@pytest.mark.parametrize("shots, n, per", [(1000, "auto", "auto"), (5000, "auto", "auto"), (1000, 8, "auto"),
                                           (1000, "auto", 300), (1000, 3, 7)])
def test_the_twirling_shots_follow_the_runtimes_own_rule(shots, n, per):
    from qiskit_ibm_runtime.executor.calculate_twirling_shots import calculate_twirling_shots

    from harness.mitigation.registry import cost
    from harness.mitigation.runtime_options import twirling_shots

    assert twirling_shots(shots, n, per) == calculate_twirling_shots(shots, n, per)
    settings = MitigationSettings(runtime=RuntimeSettings.model_validate(
        {"twirling": {"randomizations": n, "shots_per_randomization": per}}))
    r, s = calculate_twirling_shots(shots, n, per)
    assert cost(settings, 2, shots) == (2, 2 * r * s)  # run again: the loop's counts are not reused


def test_local_twirling_loses_the_gates_of_a_circuit_without_a_two_qubit_gate(device):
    """The defect behind the refusal: |111> prepared by X gates alone, twirled locally, mostly reads 000."""
    prep = QuantumCircuit(device.transpile(ghz3()).num_qubits, 3)
    prep.x([0, 1, 2])
    prep.measure([0, 1, 2], [0, 1, 2])
    twirl = RuntimeSettings.model_validate({"twirling": {}}).sampler_options()
    with device.using_options(twirl):
        (counts,) = device.sample_transpiled([prep], 1000)
    (plain,) = device.sample_transpiled([prep], 1000)
    assert plain.get("111", 0) / sum(plain.values()) > 0.7
    assert counts.get("111", 0) / sum(counts.values()) < 0.5  # if this fails, the runtime fixed it: lift the refusal
    one_qubit = QuantumCircuit(1, 1)
    one_qubit.x(0)
    one_qubit.measure(0, 0)
    with pytest.raises(UnsupportedError, match="without a two-qubit gate"):
        mitigate(device, one_qubit, 100, lambda p, s: {"p": Metric(p.get("1", 0.0), "proportion", n=s)},
                 MitigationSettings(runtime=RuntimeSettings.model_validate({"twirling": {}})),
                 np.random.default_rng(0))


def test_readout_calibration_under_the_runtimes_twirling_stays_right(device):
    settings = MitigationSettings(readout=True, runtime=RuntimeSettings.model_validate({"twirling": {}}), bootstrap=20)
    out = mitigate(device, ghz3(), 2000, score, settings, np.random.default_rng(0))
    assert min(out.details["readout"]["p_meas0_prep1"]) < 0.2  # the |1> calibration really prepared |1>
    assert out.metrics["p"].value > 0.9 and out.resources["jobs"] == 2  # the twirled circuit, the calibration
