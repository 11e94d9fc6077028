"""The SDK-free test device: the executor protocol, seeded multinomial counts, resources, the ideal helper."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from scipy import stats

from harness.executors.base import Device
from harness.workloads.ghz import ghz_circuit as ghz

from .fake_device import FakeDevice, ideal

DIST = {"000": 0.5, "111": 0.4, "010": 0.1}


def test_it_is_a_device_and_records_what_it_ran():
    dev = FakeDevice(DIST, seed=1)
    assert isinstance(dev, Device)
    dev.sample(ghz(3), 100)
    dev.sample_batch([ghz(3), ghz(3)], 50)
    assert dev.calls == [("sample", 1, 100), ("sample_batch", 2, 50)]
    r = dev.resources
    assert (r.jobs, r.circuits, r.shots, r.width) == (2, 3, 200, 3) and r.job_ids == ["fake_device-job-0", "fake_device-job-1"]
    assert dev.clock.seconds["execute"] > 0
    assert dev.lineage()["jobs"] == 2 and dev.lineage()["seed_simulator"] == 1


def test_counts_are_seeded_fresh_per_job_and_fit_the_distribution():
    first, second = FakeDevice(DIST, seed=7), FakeDevice(DIST, seed=7)
    a, b = first.sample(ghz(3), 4000), second.sample(ghz(3), 4000)
    assert a == b and sum(a[0].values()) == 4000
    assert first.sample(ghz(3), 4000) != a  # the next job draws new noise
    counts = [a[0].get(k, 0) for k in sorted(DIST)]
    chi2 = stats.chisquare(counts, [4000 * DIST[k] for k in sorted(DIST)])
    assert chi2.pvalue > 1e-4


def test_parameter_sets_give_one_counts_each_and_reach_the_distribution():
    seen = []

    def dist(circuit, params):
        seen.append(params)
        return {"0": 1 - params[0], "1": params[0]}

    dev = FakeDevice(dist, exact=True)
    out = dev.sample(ghz(1), 10, [[0.0], [0.3], [1.0]])
    assert out == [{"0": 10}, {"0": 7, "1": 3}, {"1": 10}] and seen == [[0.0], [0.3], [1.0]]
    assert dev.sample(ghz(1), 10, []) == [] and dev.resources.jobs == 1


def test_a_bad_distribution_is_refused():
    with pytest.raises(ValueError, match="not a distribution"):
        FakeDevice({"0": -0.5, "1": 1.5}).sample(ghz(1), 10)


def test_ideal_is_the_noiseless_distribution_in_qiskit_bit_order():
    assert ideal(ghz(3)) == pytest.approx({"000": 0.5, "111": 0.5})
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    assert ideal(qc) == {"01": 1.0}  # clbit 0 is the rightmost character
    crossed = QuantumCircuit(2, 2)
    crossed.x(0)
    crossed.measure([0, 1], [1, 0])
    assert ideal(crossed) == {"10": 1.0}
    unmeasured = QuantumCircuit(2, 2)
    unmeasured.measure(0, 0)
    with pytest.raises(ValueError, match="every clbit"):
        ideal(unmeasured)
    counts = FakeDevice(ideal, seed=3).sample(ghz(2), 1000)[0]
    assert set(counts) == {"00", "11"} and abs(counts["00"] - 500) < 5 * np.sqrt(250)
