"""The suite file format as strict pydantic models: a misspelt key fails at load time.

A suite is one YAML file::

    suite: ghz                  # name: letters, digits, - _ .
    description: GHZ state preparation fidelity
    workload: ghz               # see ``harness.workloads.WORKLOADS``
    seed: 1234                  # every other seed derives from this and the case id
    matrix:                     # the cases are the product of these lists (identity)
      n: [3, 4]
      shots: [4000]
    options: {}                 # workload options (lineage, not identity)
    baselines:
      classical: {}
      simulator: {engine: aer}
      hardware:
        backend: fake_manila
        optimization_level: 1
        mitigation: {readout: true, zne: {scale_factors: [1, 3, 5]}}
    metrics:
      success_probability: {better: higher, tolerance: 0.03}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.kinds import (GOOGLE_PREFIX, HARDWARE_MITIGATED, IBM_PREFIX, PROVIDERS, STRATEGY_PATTERN, is_real_backend,
                           provider_of, strategy_kind)

__all__ = [
    "Baselines",
    "ClassicalSettings",
    "DDDSettings",
    "HardwareSettings",
    "M3Settings",
    "MetricSpec",
    "MitigationSettings",
    "PECSettings",
    "ReadoutSettings",
    "RuntimeDDSettings",
    "RuntimeSettings",
    "RuntimeTwirlingSettings",
    "SimulatorSettings",
    "SuiteModel",
    "TwirlingSettings",
    "ZNESettings",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricSpec(Strict):
    """How one metric is judged against its stored baseline."""

    better: Literal["higher", "lower"]
    """Which direction is an improvement."""
    tolerance: float = Field(0.0, ge=0)
    """Smallest change that matters in practice, in the metric's unit (or a fraction, if ``relative``)."""
    relative: bool = False
    """Read ``tolerance`` as a fraction of the baseline value (e.g. 0.5 = 50 %: timings)."""
    gate: bool = True
    """A regression in this metric fails the gate; if false it is reported only."""


class ZNESettings(Strict):
    """Zero-noise extrapolation through mitiq."""

    scale_factors: list[float] = Field(default_factory=lambda: [1.0, 3.0, 5.0], min_length=2)
    """Noise scale factors; odd integers for global folding."""
    extrapolation: Literal["richardson", "linear", "poly", "exponential"] = "richardson"
    """mitiq's ``RichardsonFactory``, ``LinearFactory``, ``PolyFactory`` (of ``order``) or ``ExpFactory``."""
    order: int = Field(2, ge=1, le=5)
    """Degree of the ``poly`` fit (needs more scale factors than ``order``)."""
    folding: Literal["global", "gates_at_random", "all"] = "global"
    """mitiq's ``fold_global``, ``fold_gates_at_random`` or ``fold_all`` (odd integer scales)."""
    allocation: Literal["equal", "optimal"] = "equal"
    """Shots per scale factor: ``equal`` (each point the circuit's shots; scale 1 reuses the loop's
    counts) or ``optimal`` (the same total split in proportion to ``|w|`` of the extrapolation
    weights, which minimises the extrapolated variance; linear fits only)."""

    @field_validator("scale_factors")
    @classmethod
    def _at_least_one(cls, v: list[float]) -> list[float]:
        if any(s < 1 for s in v):
            raise ValueError("scale factors must be >= 1 (1 is the unfolded circuit)")
        if len(set(v)) != len(v):
            raise ValueError("scale factors must be distinct")
        return v

    @model_validator(mode="after")
    def _fit(self) -> "ZNESettings":
        if self.extrapolation == "poly" and len(self.scale_factors) <= self.order:
            raise ValueError(f"a poly fit of order {self.order} needs more than {self.order} scale factors")
        if self.extrapolation == "exponential" and len(self.scale_factors) < 3:
            raise ValueError("an exponential fit needs at least 3 scale factors")
        if self.allocation == "optimal" and self.extrapolation == "exponential":
            raise ValueError("allocation 'optimal' needs a fit linear in the values (richardson, linear, poly): "
                             "the exponential fit has no fixed weights; use allocation: equal")
        if self.folding == "all" and any(s != int(s) or int(s) % 2 != 1 for s in self.scale_factors):
            raise ValueError("folding 'all' needs odd integer scale factors (1, 3, 5, ...)")
        return self


class ReadoutSettings(Strict):
    """Readout correction (mitiq REM's tensored inverse)."""

    confusion: Literal["measured", "model"] = "measured"
    """``measured``: calibration circuits run on the device; ``model``: the calibration snapshot's
    readout errors as the simulator injects them (an idealisation, labelled as such)."""
    shots: int | None = Field(None, ge=100)
    """Shots of each calibration circuit (default: the case's shots)."""


class M3Settings(Strict):
    """Readout correction with M3 (``mthree``: matrix-free, on the measured bitstrings' subspace),
    from per-qubit confusion matrices measured by the same two calibration circuits as ``readout``."""

    confusion: Literal["measured"] = "measured"
    """Always measured by calibration circuits on the device."""
    shots: int | None = Field(None, ge=100)
    """Shots of each calibration circuit (default: the case's shots)."""


class DDDSettings(Strict):
    """Digital dynamical decoupling through mitiq (``insert_ddd_sequences``)."""

    rule: Literal["xx", "xyxy", "yy"] = "xx"
    """mitiq's rule: the gate sequence that fills each idle window."""


class TwirlingSettings(Strict):
    """Pauli twirling of the two-qubit gates (qiskit's ``pauli_twirl_2q_gates``)."""

    copies: int = Field(8, ge=2, le=64)
    """Random twirls per circuit; they share the circuit's shots and their distributions are averaged."""


class PECSettings(Strict):
    """Probabilistic error cancellation with mitiq's local-depolarizing representations, their noise
    levels learned from the device's calibrated gate errors."""

    samples: int = Field(10_000, ge=10, le=1_000_000)
    """The most circuits PEC may draw. It draws mitiq's ``(gamma / precision)^2`` (``num_samples`` of
    ``execute_with_pec``); they share the case's shots and identical draws run as one circuit."""
    precision: float = Field(0.05, gt=0, le=0.5)
    """The standard error PEC must stay within (mitiq's ``precision``); a circuit whose overhead
    ``gamma`` needs more draws than ``samples`` or than the case's shots is refused, saying what it needs."""


class RuntimeTwirlingSettings(Strict):
    """qiskit-ibm-runtime's own twirling (``SamplerOptions.twirling``), applied client-side by its Sampler."""

    gates: bool = True
    """Twirl the two-qubit gate layers (``enable_gates``)."""
    measure: bool = False
    """Twirl the measurements (``enable_measure``)."""
    randomizations: int | Literal["auto"] = "auto"
    """``num_randomizations``; ``auto``: the runtime's rule from the shots."""
    shots_per_randomization: int | Literal["auto"] = "auto"
    """``shots_per_randomization``; ``auto``: the runtime's rule (at least 64)."""


class RuntimeDDSettings(Strict):
    """qiskit-ibm-runtime's own dynamical decoupling (``SamplerOptions.dynamical_decoupling``)."""

    sequence: Literal["XX", "XpXm", "XY4"] = "XX"
    """``sequence_type``: the pulses that fill each idle window, timed from the backend's durations."""


_IGNORED_RUNTIME = (
    "is not applied by the harness's runtime primitive: qiskit-ibm-runtime's local mode ignores the "
    "Estimator's resilience options (its EstimatorV2 warns they have no effect on a fake backend), and "
    "the harness samples through the client-side Sampler, which has no resilience options at all; "
    "use the harness's own techniques instead (readout: measured readout correction like TREX, zne, pec)"
)


class RuntimeSettings(Strict):
    """The runtime's own mitigation options, where its client-side Sampler applies them (locally too:
    each job checks what the prepared program really contains and refuses what it does not)."""

    twirling: RuntimeTwirlingSettings | None = None
    """The runtime's Pauli twirling; omit or null for none."""
    dynamical_decoupling: RuntimeDDSettings | None = None
    """The runtime's dynamical decoupling; omit or null for none."""
    resilience_level: Any = None
    """Refused: see :data:`_IGNORED_RUNTIME` (kept as a key so the refusal names it)."""
    resilience: Any = None
    """Refused (TREX ``measure_mitigation``, ``zne_mitigation``, ``pec_mitigation``, PEA), as above."""

    @field_validator("resilience_level", "resilience")
    @classmethod
    def _refused(cls, v: Any, info: Any) -> Any:
        if v is not None:
            raise ValueError(f"{info.field_name} {_IGNORED_RUNTIME}")
        return v

    @model_validator(mode="after")
    def _something(self) -> "RuntimeSettings":
        if self.twirling is None and self.dynamical_decoupling is None:
            raise ValueError("runtime: set twirling or dynamical_decoupling (or leave runtime out)")
        return self

    def sampler_options(self) -> dict[str, Any]:
        """The ``SamplerOptions`` of ``qiskit_ibm_runtime.executor_sampler.Sampler`` these settings mean."""
        out: dict[str, Any] = {}
        if self.twirling is not None:
            t = self.twirling
            out["twirling"] = {"enable_gates": t.gates, "enable_measure": t.measure,
                               "num_randomizations": t.randomizations,
                               "shots_per_randomization": t.shots_per_randomization}
        if self.dynamical_decoupling is not None:
            out["dynamical_decoupling"] = {"enable": True, "sequence_type": self.dynamical_decoupling.sequence}
        return out


class MitigationSettings(Strict):
    """Error mitigation for the ``hardware.mitigated`` result; ``hardware.raw`` never has any."""

    readout: bool | ReadoutSettings = False
    """Readout correction; ``true`` is ``{confusion: measured}`` (calibration circuits on the device)."""
    m3: bool | M3Settings = False
    """Readout correction by M3 instead of the tensored inverse (``true`` is ``{}``); not with ``readout``."""
    zne: ZNESettings | None = None
    """Zero-noise extrapolation; omit or null for none."""
    ddd: DDDSettings | None = None
    """Dynamical decoupling of idle windows; omit or null for none."""
    twirling: TwirlingSettings | None = None
    """Pauli twirling; omit or null for none."""
    pec: PECSettings | None = None
    """Probabilistic error cancellation; omit or null for none (not with ``zne``)."""
    runtime: RuntimeSettings | None = None
    """qiskit-ibm-runtime's own twirling and dynamical decoupling; omit or null for none."""
    bootstrap: int = Field(200, ge=20, le=5000)
    """Resamples used to put a standard error on mitigated values."""

    @model_validator(mode="after")
    def _one_estimator(self) -> "MitigationSettings":
        if self.m3 and self.readout:
            raise ValueError("readout and m3 both correct readout errors: configure one of them "
                             "(a second strategy under hardware.strategies can hold the other)")
        if self.pec is not None and self.zne is not None:
            raise ValueError("pec and zne each turn several circuits into one estimate: configure one of them "
                             "(a second strategy under hardware.strategies can hold the other)")
        return self


class ClassicalSettings(Strict):
    solvers: list[str] | None = None
    """Solvers to run; the workload's defaults when omitted."""
    restarts: int = Field(8, ge=1, le=1000)
    """Restarts of randomised heuristics (each one is a trial)."""


class SimulatorSettings(Strict):
    engine: Literal["aer"] = "aer"
    method: Literal["automatic", "statevector", "matrix_product_state", "stabilizer"] = "automatic"
    """Aer's simulation method; ``stabilizer`` runs Clifford circuits of any width (the wide suites)."""
    cross_check: Literal["cirq"] | None = None
    """Also run the final circuit on cirq's simulator (through OpenQASM 2) and report a
    disagreement beyond shot noise in the result's lineage (``cross_check``)."""
    cross_check_noise: float = Field(0.0, ge=0, le=0.5)
    """Per-qubit depolarising probability after every gate for the cross-check: 0 compares the ideal
    simulators; above 0, Aer and cirq's density-matrix simulator run the same noise model."""


class HardwareSettings(Strict):
    backend: str | list[str]
    """A fake backend with real calibration data (``fake_manila``) or ``ibm:<name>``; or a list of
    fake backends to choose from by ``policy`` (the choice and its reason are lineage)."""
    policy: Literal["fewest_two_qubit_errors", "best_readout", "smallest_queue"] = "fewest_two_qubit_errors"
    """How to choose among several ``backend`` candidates, from their calibration snapshots."""
    optimization_level: int = Field(1, ge=0, le=3)
    """Transpiler optimisation level (lineage: changing it is what the gate judges)."""
    simulation: Literal["noise_model", "stabilizer", "cirq"] = "noise_model"
    """How a fake backend is simulated: ``noise_model`` (runtime's local mode: Aer with the full
    calibrated noise model, up to about 30 qubits), ``stabilizer`` (stim, Clifford circuits only,
    the calibrated errors in Pauli form: any width up to the device's; see
    :mod:`harness.executors.stabilizer`) or ``cirq`` (a second vendor: cirq's density-matrix
    simulator with the same calibrated errors in Pauli form, any gates, up to 10 used qubits; see
    :mod:`harness.executors.cirq_noisy`)."""
    mitigation: MitigationSettings = Field(default_factory=MitigationSettings)
    strategies: dict[str, MitigationSettings] = Field(default_factory=dict, max_length=12)
    """Mitigation strategies to compare, by name (``rem+zne: {readout: true, zne: {...}}``): each is
    its own result, ``hardware.mitigated.<name>``, beside raw and ``mitigation``'s result, with its
    error against the ideal value, its cost and an interval; the report ranks them per case."""
    job_timeout: float = Field(600.0, gt=0)
    """Seconds to poll a submitted job before it is cancelled and retried as a transient failure."""

    @field_validator("backend")
    @classmethod
    def _candidates(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            if not v:
                raise ValueError("list at least one candidate backend")
            if len(set(v)) != len(v):
                raise ValueError("candidate backends must be distinct")
            if any(is_real_backend(b) for b in v):
                raise ValueError(f"backend selection works on fake backends; name one {IBM_PREFIX}<backend> alone")
            if any(provider_of(b) == PROVIDERS[GOOGLE_PREFIX] for b in v):
                raise ValueError(f"backend selection works on IBM fake backends; name one {GOOGLE_PREFIX}<processor> "
                                 "alone")
        return v

    @field_validator("strategies")
    @classmethod
    def _strategy_names(cls, v: dict[str, MitigationSettings]) -> dict[str, MitigationSettings]:
        import re

        for name in v:
            if not re.fullmatch(STRATEGY_PATTERN, name) or len(name) > 40:
                raise ValueError(f"strategy name {name!r}: use at most 40 lower-case letters, digits and _ + - "
                                 "(it becomes part of the result's baseline kind)")
            if name in ("raw", "mitigated"):
                raise ValueError(f"strategy name {name!r} is taken by the hardware.raw or hardware.mitigated "
                                 "result; name the stack (e.g. rem+zne)")
        return v

    def mitigated(self) -> dict[str, MitigationSettings]:
        """Every mitigated baseline kind of this block and its settings: ``hardware.mitigated``
        (``mitigation``), then one kind per strategy, in the order listed."""
        return {HARDWARE_MITIGATED: self.mitigation, **{strategy_kind(n): s for n, s in self.strategies.items()}}

    @model_validator(mode="after")
    def _stabilizer_on_fakes(self) -> "HardwareSettings":
        names = self.backend if isinstance(self.backend, list) else [self.backend]
        if self.simulation != "noise_model" and any(is_real_backend(b) for b in names):
            raise ValueError(f"simulation: {self.simulation} simulates a fake backend; a real backend runs itself")
        if any(provider_of(b) == PROVIDERS[GOOGLE_PREFIX] for b in names):
            if self.simulation != "noise_model":
                raise ValueError(f"simulation: {self.simulation} simulates an IBM fake backend; a "
                                 f"{GOOGLE_PREFIX}<processor> device is always cirq with its own calibrated noise "
                                 "model: drop simulation")
            for settings in self.mitigated().values():
                other = [t for t in ("zne", "pec", "ddd", "twirling", "runtime", "m3") if getattr(settings, t)]
                if other:
                    raise ValueError(f"a {GOOGLE_PREFIX}<processor> device offers readout correction only; "
                                     f"{', '.join(other)} {'needs' if len(other) == 1 else 'need'} an IBM fake "
                                     "backend (its gates fold and twirl in qiskit): remove them or use a fake backend such as fake_manila")
        return self


class Baselines(Strict):
    classical: ClassicalSettings | None = None
    simulator: SimulatorSettings | None = None
    hardware: HardwareSettings | None = None

    @model_validator(mode="after")
    def _some(self) -> "Baselines":
        if not (self.classical or self.simulator or self.hardware):
            raise ValueError("declare at least one of classical, simulator, hardware")
        return self


class PrecisionSettings(Strict):
    """How precisely each case is measured, when the harness is asked to decide it."""

    auto_shots: bool = False
    """Raise each case's shots until every gating metric can detect its tolerance (``harness check``'s
    prediction from the stored baselines, the mitigation and the history); never below the matrix's value."""
    max_shots: int = Field(1_000_000, ge=1, le=100_000_000)
    """The most shots per circuit and trial sizing may choose; a metric still underpowered there is named."""


class SuiteModel(Strict):
    suite: str = Field(pattern=NAME_PATTERN, max_length=80)
    description: str = ""
    workload: str
    seed: int = Field(0, ge=0)
    trials: int = Field(1, ge=1, le=100)
    """Runs of each case with independent seeds, merged (mean, spread across trials as the stderr)."""
    matrix: dict[str, list[Any]]
    precision: PrecisionSettings = Field(default_factory=PrecisionSettings)
    options: dict[str, Any] = Field(default_factory=dict)
    baselines: Baselines
    metrics: dict[str, MetricSpec] = Field(min_length=1)

    @field_validator("matrix")
    @classmethod
    def _matrix(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if not v:
            raise ValueError("the matrix needs at least one parameter with a list of values")
        size = 1
        for key, values in v.items():
            if not values:
                raise ValueError(f"matrix parameter {key!r} has no values")
            size *= len(values)
        if size > 10_000:
            raise ValueError(f"the matrix expands to {size} cases; the limit is 10000")
        return v
