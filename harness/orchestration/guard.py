"""The device guard: every job a workload or a mitigation technique submits passes through here.

:class:`GuardedDevice` wraps any :class:`~harness.executors.base.Device` and, per call:

1. charges the run's budget (a job that would overspend raises ``BudgetExceeded``);
2. calls the device under :func:`~harness.orchestration.retry.call_with_retries`, so transient
   errors are retried with backoff and every failure and retry is an event of the tier's job;
3. validates the counts it returns (bitstring width, total = shots); malformed counts are
   retried once, then the tier fails.

Everything else (``transpile``, ``confusion_matrices``, ``clock``, ``resources``, ``lineage``) is
passed through, so mitigation techniques see the device they expect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from harness.orchestration.budget import BudgetMeter
from harness.orchestration.jobs import Job
from harness.orchestration.retry import RetryPolicy, call_with_retries, validate_counts

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Counts, Device

__all__ = ["GuardedDevice"]


class GuardedDevice:
    """``device`` behind budget, retry and validation checks, reporting to ``job``.

    Args:
        device: the device to guard.
        job: the tier's job; it must be ``running`` while the workload calls the device.
        policy: retry policy.
        meter: the run's budget meter (None: unlimited).
    """

    def __init__(self, device: "Device", job: Job, policy: RetryPolicy, meter: BudgetMeter | None = None):
        self._device = device
        self._job = job
        self._policy = policy
        self._meter = meter
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes not defined here: the wrapped device's own API
        return getattr(self._device, name)

    @property
    def wrapped(self) -> "Device":
        return self._device

    def _guarded(self, what: str, n_circuits: int, shots: int, widths: list[int],
                 call: Callable[[], list["Counts"]]) -> list["Counts"]:
        if self._meter is not None:
            self._meter.charge(int(shots) * n_circuits, n_circuits, where=f"{self._device.name} {what}")
        self.calls += 1

        def attempt() -> list["Counts"]:
            out = call()
            if len(out) != n_circuits:
                from harness.orchestration.retry import Malformed

                raise Malformed(f"{self._device.name} {what}: {len(out)} results for {n_circuits} circuits")
            for counts, width in zip(out, widths):
                validate_counts(counts, width, int(shots), where=f"{self._device.name} {what}")
            return out

        return call_with_retries(attempt, self._job, self._policy, what=f"{self._device.name} {what}")

    def sample(self, circuit: "QuantumCircuit", shots: int,
               parameter_sets: Sequence[Sequence[float]] | None = None) -> list["Counts"]:
        n = 1 if parameter_sets is None else len(parameter_sets)
        return self._guarded("sample", n, shots, [circuit.num_clbits] * n,
                             lambda: self._device.sample(circuit, shots, parameter_sets))

    def sample_batch(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list["Counts"]:
        return self._guarded("sample_batch", len(circuits), shots, [c.num_clbits for c in circuits],
                             lambda: self._device.sample_batch(circuits, shots))

    def sample_transpiled(self, circuits: Sequence["QuantumCircuit"], shots: int) -> list["Counts"]:
        return self._guarded("sample_transpiled", len(circuits), shots, [c.num_clbits for c in circuits],
                             lambda: self._device.sample_transpiled(circuits, shots))
