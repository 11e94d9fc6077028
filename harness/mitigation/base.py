"""The shape every technique shares (mitiq's lesson): expand circuits, combine results, cost, variance.

A technique is an object with the verbs of :class:`Technique`; :mod:`harness.mitigation.registry`
lists them in the order a stack applies them. Three levels, outermost first:

- ``estimate`` (ZNE): expands a circuit into points (noise-scaled copies); each point is scored
  and ``combine`` maps the points' metric values to one estimate (an extrapolation).
- ``distribution`` (DDD, twirling): expands a circuit into weighted variants whose distributions
  are mixed (weights summing to 1; DDD has one variant, twirling averages random copies).
- ``readout`` (REM): turns each executed circuit's counts into a corrected distribution, from
  calibration circuits it adds to the batch.

Raw is the empty stack: the circuits' own counts, scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

import numpy as np

from harness.records import Metric

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["Context", "HistogramScore", "MitigationOutcome", "Score", "ScoreMany", "Technique", "Variant", "as_circuits",
           "joint_score"]

Score = Callable[[Any, int], "dict[str, Metric]"]
"""A workload's pure scoring of an output distribution, or of a list of them (see ``Workload.score``)."""
JointScore = Callable[[Sequence[Mapping[str, float]], int], "dict[str, Metric]"]
ScoreMany = Callable[[Sequence[str], np.ndarray, int], "Mapping[str, np.ndarray]"]
"""``(keys, probs, shots) -> {metric: values}``: a score's values for every row of a ``(rows, len(keys))``
matrix of distributions over ``keys`` (the bootstrap's resamples, scored at once)."""
Variant = tuple["QuantumCircuit", float]
"""A circuit a technique asks to run and its weight in the mix of its siblings."""
Level = Literal["estimate", "distribution", "readout"]


def as_circuits(circuit: "QuantumCircuit | Sequence[QuantumCircuit]") -> tuple[list["QuantumCircuit"], bool]:
    """``circuit`` as a list, and whether it came as a sequence (then ``score`` takes a list)."""
    if isinstance(circuit, (list, tuple)):
        if not circuit:
            raise ValueError("mitigation needs at least one circuit")
        return list(circuit), True
    return [circuit], False


def joint_score(score: Score, multi: bool) -> JointScore:
    """``score`` as a function of a list of distributions, whichever form the workload takes."""
    if multi:
        return score
    return lambda probs, shots: score(probs[0], shots)


@dataclass(frozen=True)
class HistogramScore:
    """A workload's score with its vectorised twin: ``many`` gives the same values as ``one`` for
    each row of a matrix of outcome histograms at once (the bootstrap scores all its resamples in
    one call instead of one dict each). Called like ``one``, so it goes wherever a :data:`Score` does."""

    one: Score
    many: ScoreMany

    def __call__(self, probs: Any, shots: int) -> "dict[str, Metric]":
        return self.one(probs, shots)


@dataclass
class Context:
    """What a technique may read while it expands and combines one mitigated estimate.

    Attributes:
        device: where the circuits run (the guarded device of the tier).
        shots: shots of the circuit being mitigated.
        rng: the mitigation stream (random folding, twirls, bootstrap).
        physical: the circuits are the device's transpiled circuits, run untouched at level 0.
        info: per technique name, what it records in the result's details (filled as it runs).
        logical, origins, state: see the attributes.
    """

    device: Any
    shots: int
    rng: np.random.Generator
    physical: bool
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    logical: list[Any] = field(default_factory=list)
    """The circuits being mitigated, as the caller gave them."""
    origins: list[int] = field(default_factory=list)
    """Per executed circuit (leaf), the index of the logical circuit it derives from."""
    state: dict[str, Any] = field(default_factory=dict)
    """Working values of the techniques (not recorded)."""
    resampling: bool = False
    """True while the bootstrap re-runs ``combine``: a technique that draws random choices of its
    own (PEC's sampled circuits) resamples them too, so the standard error includes their variance."""


@dataclass(frozen=True)
class MitigationOutcome:
    """What a mitigation stack produced.

    Attributes:
        metrics: the (mitigated) metrics, with the score's kind, n and unit and a bootstrap stderr.
        resources: circuits, shots and jobs spent, and the extra ones beyond a single raw run.
        details: JSON-able description (stack, each technique's settings and what it measured).
        seconds: wall time of the mitigation step (its executions, corrections and bootstrap).
    """

    metrics: dict[str, Metric]
    resources: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


class Technique:
    """One mitigation technique. Subclasses set ``name``, ``field`` and ``level`` and override the verbs.

    ``field`` is the :class:`~harness.suite.schema.MitigationSettings` attribute that configures it
    (None or False: the technique is off).
    """

    name: str = ""
    field: str = ""
    level: Level = "distribution"
    batched: bool = True
    """The bootstrap may treat all resamples at once: an ``estimate`` technique's :meth:`combine_many`
    and a ``readout`` technique's ``correct_matrix`` handle every resample, and nothing it does
    draws random choices per resample (PEC's resampled circuits do: False)."""

    def config(self, settings: "MitigationSettings") -> Any:
        """This technique's block of ``settings`` (None when it is off)."""
        value = getattr(settings, self.field, None)
        return value if value not in (None, False) else None

    def enabled(self, settings: "MitigationSettings") -> bool:
        return self.config(settings) is not None

    def settings_of(self, settings: "MitigationSettings") -> Any:
        """JSON-able settings of this technique, for the lineage."""
        value = self.config(settings)
        return value.model_dump(mode="json") if hasattr(value, "model_dump") else value

    # -- the verbs -------------------------------------------------------------------------
    def expand(self, circuit: "QuantumCircuit", settings: "MitigationSettings", ctx: Context) -> list[Variant]:
        """The circuits to run in place of ``circuit`` (estimate: one per point; distribution: variants)."""
        return [(circuit, 1.0)]

    def combine(self, values: Sequence[Mapping[str, float]], settings: "MitigationSettings",
                ctx: Context) -> dict[str, float]:
        """Estimate level: the points' metric values to one estimate per metric."""
        raise NotImplementedError(f"{self.name} does not combine metric values")

    def combine_many(self, values: Sequence[Mapping[str, np.ndarray]], settings: "MitigationSettings",
                     ctx: Context) -> dict[str, np.ndarray]:
        """:meth:`combine` of every resample at once: per point, ``{metric: one value per resample}``.
        The default calls :meth:`combine` resample by resample."""
        names = list(values[0])
        rows = len(np.asarray(values[0][names[0]])) if names else 0
        out: dict[str, list[float]] = {}
        for r in range(rows):
            for name, v in self.combine([{n: float(p[n][r]) for n in names} for p in values], settings, ctx).items():
                out.setdefault(name, []).append(float(v))
        return {name: np.asarray(v, dtype=float) for name, v in out.items()}

    def record(self, values: Sequence[Mapping[str, float]], estimate: Mapping[str, float], ctx: Context) -> None:
        """Estimate level: keep what the point estimate's combine saw in ``ctx.info`` (not the bootstrap's)."""

    def primitive_options(self, settings: "MitigationSettings") -> dict[str, Any] | None:
        """Options of the device's own primitive for every job of the stack (None: none)."""
        return None

    def point_shots(self, shots: int, settings: "MitigationSettings", ctx: Context) -> list[int] | None:
        """Estimate level, after ``expand``: the shots of each point (None: ``shots`` each; PEC's
        merged draws run with their multiplicity's shots)."""
        return None

    def shots_per_variant(self, shots: int, settings: "MitigationSettings") -> int:
        """Shots each variant runs with (twirling splits a circuit's shots across its copies)."""
        return int(shots)

    def cost(self, circuits: int, shots: int, settings: "MitigationSettings", base_shots: int) -> tuple[int, int]:
        """``(circuits, shots)`` executed in place of ``circuits`` circuits of ``shots`` shots in all
        (``base_shots``: the shots of the circuit being mitigated)."""
        return circuits, shots

    def keeps_identity(self, settings: "MitigationSettings") -> bool:
        """Whether one of the circuits it runs is the unmodified circuit (then counts can be reused)."""
        return True

    def variance_amplification(self, settings: "MitigationSettings", ctx: Context | None = None) -> float | None:
        """Factor by which the technique multiplies an estimate's shot-noise variance at equal shots
        per circuit (None: unknown without a run). Used to plan shots and judge power."""
        return 1.0
