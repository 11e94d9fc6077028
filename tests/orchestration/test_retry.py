import time

import pytest

from harness.errors import UnsupportedError
from harness.orchestration.jobs import Job
from harness.orchestration.retry import (BackendUnavailable, Malformed, RetryPolicy, TierFailed, call_with_retries,
                                         classify, validate_counts)

from .conftest import Sleeps


@pytest.mark.sdk
def test_a_real_transpiler_error_for_a_too_wide_circuit_is_too_wide():
    from qiskit import transpile
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from harness.workloads.ghz import ghz_circuit

    with pytest.raises(Exception) as info:
        transpile(ghz_circuit(6), FakeManilaV2())
    assert "greater than maximum (5)" in str(info.value)
    assert classify(info.value) == "too_wide"


@pytest.mark.sdk
def test_runtime_service_errors_by_name():
    from qiskit_ibm_runtime.exceptions import (IBMBackendApiError, RuntimeJobMaxTimeoutError,
                                               RuntimeJobTimeoutError)

    assert classify(RuntimeJobTimeoutError("slow")) == "transient"
    assert classify(IBMBackendApiError("502 bad gateway")) == "transient"
    assert classify(IBMBackendApiError("backend ibm_x is offline")) == "unavailable"
    assert classify(RuntimeJobMaxTimeoutError("exceeded the maximum execution time")) == "too_deep"


@pytest.mark.parametrize("exc,cause", [
    (TimeoutError("job x did not finish"), "transient"), (ConnectionResetError("peer"), "transient"),
    (Malformed("bad"), "malformed"), (BackendUnavailable("gone"), "unavailable"),
    (UnsupportedError("no such engine"), "user"), (KeyError("bug"), "unknown"),
])
def test_classify(exc, cause):
    assert classify(exc) == cause


def test_backoff_is_exponential_and_capped():
    policy = RetryPolicy(base_delay=0.5, factor=2, max_delay=3)
    assert [policy.delay(k) for k in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def _running_job():
    job = Job("t", tier="hardware")
    job.to("submitted"), job.to("running")
    return job


def test_transient_failures_are_retried_with_backoff_until_success():
    sleeps, calls = Sleeps(), []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("slow")
        return "ok"

    job = _running_job()
    assert call_with_retries(flaky, job, RetryPolicy(max_attempts=3, sleep=sleeps)) == "ok"
    assert sleeps == [0.5, 1.0] and len(calls) == 3
    assert [e["state"] for e in job.events][3:] == ["failed", "retried", "submitted", "running"] * 2
    assert job.state == "running"


def test_attempts_are_bounded_and_user_errors_are_never_retried():
    sleeps = Sleeps()

    def always():
        raise TimeoutError("slow")

    job = _running_job()
    with pytest.raises(TierFailed) as info:
        call_with_retries(always, job, RetryPolicy(max_attempts=4, sleep=sleeps))
    assert info.value.cause == "transient" and info.value.attempts == 4 and len(sleeps) == 3
    assert job.state == "failed"

    job, calls = _running_job(), []

    def user():
        calls.append(1)
        raise UnsupportedError("fix your suite")

    with pytest.raises(TierFailed) as info:
        call_with_retries(user, job, RetryPolicy(sleep=sleeps))
    assert info.value.cause == "user" and calls == [1]


def test_malformed_results_are_retried_once():
    calls = []

    def bad():
        calls.append(1)
        raise Malformed("total 999 != 1000")

    with pytest.raises(TierFailed) as info:
        call_with_retries(bad, _running_job(), RetryPolicy(sleep=Sleeps()))
    assert info.value.cause == "malformed" and len(calls) == 2


def test_validate_counts():
    validate_counts({"000": 10, "111": 5}, 3, 15)
    for counts, shots in (({"00": 15}, 15), ({"000": 10}, 15), ({"0a0": 15}, 15), ({"000": -1, "111": 16}, 15)):
        with pytest.raises(Malformed):
            validate_counts(counts, 3, shots)


def test_wait_for_job_times_out_and_cancels_a_stuck_job():
    import threading

    from harness.executors.aer import wait_for_job

    class Stuck:
        """A job whose result() blocks until it is cancelled, then raises as a cancelled job does
        (after 10 minutes it would give up by itself: a wait for the job, not the timeout, would show)."""

        def __init__(self):
            self.released = threading.Event()
            self.cancelled = False

        def result(self):
            self.released.wait(600)
            raise RuntimeError("cancelled")

        def cancel(self):
            self.cancelled = True
            self.released.set()

        def job_id(self):
            return "job-1"

    job = Stuck()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="job-1"):
        wait_for_job(job, 0.05)
    # given up at its timeout, long before the job would have ended (a generous bound: a loaded
    # machine may pause this process for seconds, never for the ten minutes a wait would take)
    assert job.cancelled and time.monotonic() - start < 60


def test_wait_for_job_returns_at_once_and_passes_errors_on():
    import threading

    from harness.executors.aer import wait_for_job

    class Later:
        def __init__(self, error=None):
            self.error = error
            self.ready = threading.Event()
            threading.Timer(0.03, self.ready.set).start()

        def result(self):
            self.ready.wait()
            if self.error:
                raise self.error
            return "counts"

    start = time.monotonic()
    assert wait_for_job(Later(), 600) == "counts"
    # the result is handed over when it exists (0.03 s), not at the timeout (10 minutes); the bound
    # is generous so that a loaded machine pausing this process for seconds cannot fail it
    assert time.monotonic() - start < 60
    with pytest.raises(ValueError, match="bad pub"):
        wait_for_job(Later(ValueError("bad pub")), 600)


def test_classify_timeout_is_transient():
    assert classify(TimeoutError("x")) == "transient"
