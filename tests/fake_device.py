"""An SDK-free device for tests that need the executor seam but not the physics.

:class:`FakeDevice` implements the :class:`harness.executors.base.Device` protocol (``sample``,
``sample_batch``, ``lineage``, ``clock``, ``resources``) without Aer or the runtime: each circuit's
counts are a seeded multinomial draw from a distribution the test gives, so a test knows exactly
what a workload, a mitigation technique or the runner received. Job ``k`` draws with the seed
``(seed, k)``: a fixed seed and call sequence give identical counts, repeated calls fresh noise.

Use it with ``from ..fake_device import FakeDevice`` (pytest's importlib mode keeps relative imports).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from harness.executors.base import Counts, Resources, StageClock

__all__ = ["Distribution", "FakeDevice", "ideal"]

Distribution = Mapping[str, float] | Callable[[Any, Sequence[float] | None], Mapping[str, float]]
"""Bitstring -> probability, or ``f(circuit, parameters)`` returning one (parameters None when bound)."""


def ideal(circuit: Any, parameters: Sequence[float] | None = None) -> dict[str, float]:
    """The noiseless distribution of ``circuit``'s measured bits, by qiskit's statevector (no simulator SDK).

    A :data:`Distribution` for circuits with measurements on every clbit; bit ``i`` of a key is clbit ``i``
    (Qiskit's order, rightmost first).
    """
    from qiskit.quantum_info import Statevector

    bound = circuit.assign_parameters(list(parameters)) if parameters is not None else circuit
    measured = {bound.find_bit(i.clbits[0]).index: bound.find_bit(i.qubits[0]).index
                for i in bound.data if i.operation.name == "measure"}
    if sorted(measured) != list(range(bound.num_clbits)):
        raise ValueError(f"{circuit.name}: every clbit needs a measurement, got {sorted(measured)}")
    state = Statevector.from_instruction(bound.remove_final_measurements(inplace=False))
    probs = state.probabilities_dict(qargs=[measured[c] for c in range(bound.num_clbits)])
    return {k: float(v) for k, v in probs.items() if v > 1e-12}


class FakeDevice:
    """Counts drawn from ``distribution`` with seeded multinomial shot noise.

    Args:
        distribution: the probabilities every circuit measures, or a function of the circuit and its
            parameter values giving them (bitstrings in Qiskit's order, width of the circuit's clbits).
        seed: root seed of the shot noise.
        name: the device name reported in lineage.
        exact: return ``round(p * shots)`` counts instead of a draw (for tests that need exact values).

    ``calls`` lists every submission as ``(method, number of circuits, shots)``.
    """

    def __init__(self, distribution: Distribution, *, seed: int = 0, name: str = "fake_device", exact: bool = False):
        self.name = name
        self.seed = int(seed)
        self.exact = exact
        self.clock = StageClock()
        self.resources = Resources()
        self.calls: list[tuple[str, int, int]] = []
        self._distribution = distribution
        self._jobs = 0

    # -- Device protocol -------------------------------------------------------------------
    def sample(self, circuit: Any, shots: int, parameter_sets: Sequence[Sequence[float]] | None = None) -> list[Counts]:
        """One counts mapping per parameter set (one when ``parameter_sets`` is None), as one job."""
        sets = [None] if parameter_sets is None else [list(p) for p in parameter_sets]
        if not sets:
            return []
        self.calls.append(("sample", len(sets), int(shots)))
        return self._job([(circuit, p) for p in sets], shots)

    def sample_batch(self, circuits: Sequence[Any], shots: int) -> list[Counts]:
        """One counts mapping per bound circuit, as one job."""
        if not circuits:
            return []
        self.calls.append(("sample_batch", len(circuits), int(shots)))
        return self._job([(c, None) for c in circuits], shots)

    def lineage(self) -> dict[str, Any]:
        return {"engine": "fake", "backend": self.name, "seed_simulator": self.seed,
                "seed_derivation": "numpy default_rng([seed, job_index])", "jobs": self._jobs}

    # -- internals -------------------------------------------------------------------------
    def distribution_of(self, circuit: Any, parameters: Sequence[float] | None = None) -> dict[str, float]:
        """The normalised distribution ``circuit`` measures (ValueError for an empty or negative one)."""
        dist = self._distribution
        probs = dict(dist(circuit, parameters) if callable(dist) else dist)
        total = sum(probs.values())
        if not probs or total <= 0 or min(probs.values()) < 0:
            raise ValueError(f"{self.name}: not a distribution: {probs!r}")
        return {k: v / total for k, v in probs.items()}

    def _job(self, items: list[tuple[Any, Sequence[float] | None]], shots: int) -> list[Counts]:
        rng = np.random.default_rng([self.seed, self._jobs])
        job_id = f"{self.name}-job-{self._jobs}"
        self._jobs += 1
        out: list[Counts] = []
        with self.clock.stage("execute"):
            for circuit, parameters in items:
                probs = self.distribution_of(circuit, parameters)
                keys = sorted(probs)
                p = np.array([probs[k] for k in keys])
                drawn = np.rint(p * shots).astype(int) if self.exact else rng.multinomial(int(shots), p)
                out.append({k: int(n) for k, n in zip(keys, drawn) if n})
        r = self.resources
        r.jobs += 1
        r.job_ids.append(job_id)
        r.shots += int(shots) * len(items)
        r.circuits += len(items)
        last = items[-1][0]
        r.width = getattr(last, "num_qubits", None)
        r.depth = last.depth() if hasattr(last, "depth") else None
        return out
