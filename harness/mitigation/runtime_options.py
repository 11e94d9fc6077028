"""qiskit-ibm-runtime's own twirling and dynamical decoupling, only where its primitive applies them.

What the installed runtime (0.51) does in local mode, checked in code (``tests/mitigation/
test_runtime_options.py``):

- The deprecated ``SamplerV2`` and ``EstimatorV2`` on a fake backend run through the local
  service, which keeps only the seed, shots and run options and warns that everything else
  (twirling, dynamical decoupling, ``resilience_level``, TREX, ZNE, PEA, PEC) "has no effect in
  local testing mode". The harness does not use them; the suite schema refuses the resilience
  options with that reason (``harness.suite.schema.RuntimeSettings``).
- ``executor_sampler.Sampler``, the primitive the harness samples with, prepares its program on
  the client, locally as for hardware: twirling becomes a ``SamplexItem`` of randomised Pauli
  frames, dynamical decoupling inserts delays and pulses from the backend's durations, and the
  local executor runs that program on the fake backend's simulator.

One defect found: a circuit without a two-qubit gate, twirled locally, comes back wrong (its X
gates lost in all but one randomisation), so twirling is refused for such a circuit and readout
calibration circuits always run without the runtime's options.

So this technique passes the options to that Sampler and, before running, asks the device what
the prepared program of the first circuit really contains (:meth:`RuntimeDevice.applied_options`):
an option that did not take effect is refused, never recorded as applied. The circuit is run
again under the options (the loop's counts, taken without them, are not reused).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from harness.errors import UnsupportedError
from harness.executors.base import RuntimeOptioned, supports
from harness.kinds import HARDWARE, IBM_PREFIX
from harness.mitigation.base import Context, Technique, Variant

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["RuntimeOptions", "twirling_shots"]


class RuntimeOptions(Technique):
    """The runtime Sampler's own twirling / dynamical decoupling (see the module docstring)."""

    name = "runtime"
    field = "runtime"
    level = "distribution"

    def primitive_options(self, settings: "MitigationSettings") -> dict[str, Any]:
        return settings.runtime.sampler_options()

    def expand(self, circuit: "QuantumCircuit", settings: "MitigationSettings", ctx: Context) -> list[Variant]:
        device = ctx.device
        if not (ctx.physical and supports(device, RuntimeOptioned)):
            raise UnsupportedError(f"device {getattr(device, 'name', device)!r} does not run qiskit-ibm-runtime's "
                                   "Sampler: its runtime options cannot apply",
                                   hint=f"runtime options need baselines.{HARDWARE} (a fake or {IBM_PREFIX} backend)")
        options = self.primitive_options(settings)
        if "twirling" in options and not any(len(inst.qubits) == 2 for inst in circuit.data):
            raise UnsupportedError(
                "the runtime's twirling is refused for a circuit without a two-qubit gate: qiskit-ibm-runtime "
                "0.51's local executor then returns wrong counts (X gates lost in most randomisations; "
                "tests/mitigation/test_runtime_options.py shows it)",
                hint="leave runtime.twirling out for this workload (nothing to twirl), or use the harness's twirling")
        info = ctx.info.get(self.name)
        if info is None:  # checked once per estimate, on its first circuit
            applied = device.applied_options(circuit, ctx.shots, options)
            missing = [key for key in options if not applied.get(key)]
            if missing:
                import qiskit_ibm_runtime

                raise UnsupportedError(
                    f"qiskit-ibm-runtime {qiskit_ibm_runtime.__version__} did not apply {', '.join(missing)} "
                    f"to this circuit (the prepared program shows no effect): refused rather than recorded as "
                    "applied", hint="leave it out of runtime:, or use the harness's own ddd / twirling")
            ctx.info[self.name] = {"options": options, "applied": applied,
                                   "primitive": "qiskit_ibm_runtime.executor_sampler.Sampler (client-side)"}
        return [(circuit.copy(), 1.0)]  # a new run under the options: not the loop's execution

    def cost(self, circuits: int, shots: int, settings: "MitigationSettings", base_shots: int) -> tuple[int, int]:
        """The runtime's twirling runs ``randomizations * shots_per_randomization`` shots per circuit
        (its documented rule for ``auto``), which can round the requested shots up."""
        twirl = settings.runtime.twirling
        if twirl is None or circuits == 0:
            return circuits, shots
        per_circuit = math.ceil(shots / circuits)
        n, per = twirling_shots(per_circuit, twirl.randomizations, twirl.shots_per_randomization)
        return circuits, circuits * n * per

    def keeps_identity(self, settings: "MitigationSettings") -> bool:
        return False


def twirling_shots(shots: int, randomizations: int | str, per: int | str) -> tuple[int, int]:
    """``(randomizations, shots per randomization)`` as qiskit-ibm-runtime's ``TwirlingOptions``
    documents them: both ``auto``: ``max(64, ceil(shots / 32))`` shots each, as many as cover the
    shots; one ``auto``: the other divides the shots, rounded up."""
    if randomizations == "auto" and per == "auto":
        per = max(64, math.ceil(shots / 32))
        return math.ceil(shots / per), per
    if randomizations == "auto":
        return math.ceil(shots / int(per)), int(per)
    if per == "auto":
        return int(randomizations), math.ceil(shots / int(randomizations))
    return int(randomizations), int(per)
