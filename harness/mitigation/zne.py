"""Zero-noise extrapolation with mitiq: fold each circuit per scale factor, score each, extrapolate.

The folds must survive compilation. An optimising transpiler cancels ``U U^-1 U`` back to ``U``
(level 1 already removes adjacent CX pairs), so the pipeline folds the device's transpiled circuit
(its physical qubits and basis) and runs the folds untouched at optimisation level 0. Scale
factor 1 is then exactly the circuit the hybrid loop ran (its counts are reused), and two-qubit
gate counts grow with the scale (recorded in ``details["zne"]["two_qubit_gates"]``).

Each metric is extrapolated on its own with mitiq's factories (``RichardsonFactory``,
``LinearFactory``, ``PolyFactory``, ``ExpFactory``). Richardson, linear and polynomial fits are
linear in the measured values once the scale factors are fixed, so their weights are computed
once (each is mitiq's extrapolation of a unit vector) and the bootstrap pays for the fit once;
their variance amplification is ``sum(w**2)``. The exponential fit is not linear: mitiq fits it
on every resample.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.mitigation.base import Context, Technique, Variant

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["FOLDINGS", "ZNE", "allocate_shots", "extrapolate", "extrapolation_weights", "fold",
           "fold_global_clifford"]

LINEAR_METHODS = ("richardson", "linear", "poly")
FOLDINGS = ("global", "gates_at_random", "all")


def _factory(method: str, order: int) -> Any:
    from mitiq.zne.inference import ExpFactory, LinearFactory, PolyFactory, RichardsonFactory

    if method == "richardson":
        return RichardsonFactory.extrapolate, {}
    if method == "linear":
        return LinearFactory.extrapolate, {}
    if method == "poly":
        return PolyFactory.extrapolate, {"order": order}
    if method == "exponential":
        return ExpFactory.extrapolate, {}
    raise ValueError(f"unknown extrapolation {method!r}; use richardson, linear, poly or exponential")


@lru_cache(maxsize=64)
def extrapolation_weights(scale_factors: tuple[float, ...], method: str, order: int = 2) -> tuple[float, ...]:
    """Weights ``w`` with zero-noise limit ``sum(w * values)``, for a linear ``method`` at ``scale_factors``."""
    import warnings

    if method not in LINEAR_METHODS:
        raise ValueError(f"extrapolation {method!r} is not linear in the values")
    fit, kwargs = _factory(method, order)
    with warnings.catch_warnings():
        # mitiq warns when a fit has as many points as parameters: Richardson is exactly that
        warnings.simplefilter("ignore")
        return tuple(float(fit(list(scale_factors), list(unit), **kwargs)) for unit in np.eye(len(scale_factors)))


def extrapolate(scale_factors: Sequence[float], values: Sequence[float], method: str, order: int = 2) -> float:
    """The zero-noise limit of ``values`` measured at ``scale_factors``."""
    scales = tuple(float(x) for x in scale_factors)
    if method in LINEAR_METHODS:
        return float(np.dot(extrapolation_weights(scales, method, order), np.asarray(values, float)))
    import warnings

    fit, kwargs = _factory(method, order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fit(list(scales), [float(v) for v in values], **kwargs))
        except Exception:  # noqa: BLE001 - a fit that does not converge on a resample: no value
            return float("nan")


def allocate_shots(weights: Sequence[float], shots: int) -> list[int]:
    """Shots per point for the least variance of ``sum(w * values)`` at a total of ``len(w) * shots``.

    With each point's variance ``v / n_i``, minimising ``sum(w_i^2 v / n_i)`` at fixed ``sum(n_i)``
    gives ``n_i`` proportional to ``|w_i|`` (Lagrange), and a variance ``(sum |w|)^2 v / total``
    instead of ``sum(w^2) v / shots`` at equal shots. Every point keeps at least one shot.
    """
    w = np.abs(np.asarray(weights, dtype=float))
    total = len(w) * int(shots)
    return [max(1, int(round(total * x / w.sum()))) for x in w]


def fold_global_clifford(circuit: "QuantumCircuit", scale: float) -> "QuantumCircuit":
    """``U (U^-1 U)^k`` for an odd integer ``scale = 2k + 1``, in qiskit, final measurements kept last.

    mitiq's ``fold_global`` with an odd integer scale builds the same circuit, but through cirq: a
    transpiled ECR comes back as CX and rotations whose single-qubit runs are not Clifford, which a
    stabilizer simulation cannot run. Here every gate is inverted as itself (``ecr^-1 = ecr``,
    ``rz(t)^-1 = rz(-t)``, ``sx^-1 = sxdg``), so each run of one-qubit gates is the inverse of a
    Clifford run and stays Clifford.
    """
    if float(scale) != int(scale) or int(scale) % 2 != 1 or scale < 1:
        raise ValueError(f"folding a Clifford-only device's circuit needs odd integer scale factors, got {scale}")
    body = circuit.remove_final_measurements(inplace=False)
    if len(body.data) + sum(1 for i in circuit.data if i.operation.name == "measure") != len(circuit.data):
        raise ValueError("only final measurements can be kept out of a global fold")
    inverse = body.inverse()
    folded = circuit.copy_empty_like()
    folded.compose(body, inplace=True)
    for _ in range((int(scale) - 1) // 2):
        folded.compose(inverse, inplace=True)
        folded.compose(body, inplace=True)
    for inst in circuit.data:
        if inst.operation.name == "measure":
            folded.append(inst)
    return folded


def fold(circuit: "QuantumCircuit", scale: float, folding: str, rng: np.random.Generator,
         clifford: bool = False) -> "QuantumCircuit":
    """``circuit`` with its noise scaled by ``scale`` through mitiq's unitary folding.

    With ``clifford`` (the device runs Clifford circuits only) a global fold is built in qiskit
    (:func:`fold_global_clifford`); the other foldings are refused there.
    """
    if scale == 1:
        return circuit
    if clifford:
        if folding != "global":
            raise ValueError(f"folding {folding!r} goes through cirq and rewrites gates into non-Clifford pieces; "
                             "on a stabilizer simulation use folding: global with odd integer scale factors")
        return fold_global_clifford(circuit, scale)
    from mitiq.zne.scaling import fold_all, fold_gates_at_random, fold_global

    if folding == "global":
        return fold_global(circuit, scale)
    if folding == "gates_at_random":
        return fold_gates_at_random(circuit, scale, seed=int(rng.integers(2**31)))
    if folding == "all":
        if float(scale) != int(scale) or int(scale) % 2 != 1:
            raise ValueError(f"folding 'all' needs odd integer scale factors, got {scale}")
        return fold_all(circuit, scale)
    raise ValueError(f"unknown folding {folding!r}; use one of {', '.join(FOLDINGS)}")


class ZNE(Technique):
    """Zero-noise extrapolation (see the module docstring)."""

    name = "zne"
    field = "zne"
    level = "estimate"

    def expand(self, circuit: "QuantumCircuit", settings: "MitigationSettings", ctx: Context) -> list[Variant]:
        from harness.executors.aer import two_qubit_gate_count

        from harness.executors.base import CliffordOnly, supports

        zne = settings.zne
        clifford = supports(ctx.device, CliffordOnly) and bool(ctx.device.clifford_only)
        folds = [fold(circuit, float(s), zne.folding, ctx.rng, clifford) for s in zne.scale_factors]
        info = ctx.info.setdefault(self.name, {"scale_factors": [float(s) for s in zne.scale_factors],
                                               "extrapolation": zne.extrapolation, "folding": zne.folding,
                                               "two_qubit_gates": []})
        gates = [two_qubit_gate_count(ctx.device.translate_physical(f) if ctx.physical else f) for f in folds]
        info["two_qubit_gates"].append(gates)
        return [(f, 1.0) for f in folds]

    def combine(self, values: Sequence[Mapping[str, float]], settings: "MitigationSettings",
                ctx: Context) -> dict[str, float]:
        zne = settings.zne
        scales = [float(s) for s in zne.scale_factors]
        return {name: extrapolate(scales, [v[name] for v in values], zne.extrapolation, zne.order)
                for name in values[0]}

    def combine_many(self, values: Sequence[Mapping[str, np.ndarray]], settings: "MitigationSettings",
                     ctx: Context) -> dict[str, np.ndarray]:
        """Every resample's extrapolation: for a linear fit one product of its weights with the
        ``(points, resamples)`` values; the exponential fit is mitiq's, resample by resample."""
        zne = settings.zne
        if zne.extrapolation not in LINEAR_METHODS:
            return super().combine_many(values, settings, ctx)
        w = np.asarray(extrapolation_weights(tuple(float(s) for s in zne.scale_factors), zne.extrapolation,
                                             zne.order))
        return {name: w @ np.stack([np.asarray(v[name], dtype=float) for v in values]) for name in values[0]}

    def record(self, values: Sequence[Mapping[str, float]], estimate: Mapping[str, float], ctx: Context) -> None:
        """Keep the per-scale values and the extrapolated ones in the details."""
        info = ctx.info.setdefault(self.name, {})
        info["values"] = {name: [float(v[name]) for v in values] for name in values[0]}
        info["extrapolated"] = dict(estimate)
        gates = info.get("two_qubit_gates")
        if isinstance(gates, list) and gates and isinstance(gates[0], list):
            # one circuit: one count per scale; several: per scale, one count per circuit
            info["two_qubit_gates"] = gates[0] if len(gates) == 1 else [list(g) for g in zip(*gates)]

    def cost(self, circuits: int, shots: int, settings: "MitigationSettings", base_shots: int) -> tuple[int, int]:
        k = len(settings.zne.scale_factors)
        return circuits * k, shots * k

    def keeps_identity(self, settings: "MitigationSettings") -> bool:
        return any(float(s) == 1.0 for s in settings.zne.scale_factors)

    def variance_amplification(self, settings: "MitigationSettings", ctx: Context | None = None) -> float | None:
        """``sum(w**2)`` of the extrapolation weights (the zero-noise value's variance over one
        point's, at equal shots per scale), ``(sum |w|)^2 / k`` with the optimal allocation of the
        same total; unknown (None) for the exponential fit."""
        zne = settings.zne
        if zne.extrapolation not in LINEAR_METHODS:
            return None
        w = np.asarray(extrapolation_weights(tuple(float(s) for s in zne.scale_factors), zne.extrapolation,
                                             zne.order))
        if zne.allocation == "optimal":
            return float(np.sum(np.abs(w)) ** 2 / len(w))
        return float(np.sum(np.square(w)))

    def point_shots(self, shots: int, settings: "MitigationSettings", ctx: Context) -> list[int] | None:
        """Equal shots per scale (None), or the total split in proportion to ``|w|`` (:func:`allocate_shots`)."""
        zne = settings.zne
        if zne.allocation != "optimal":
            return None
        w = extrapolation_weights(tuple(float(s) for s in zne.scale_factors), zne.extrapolation, zne.order)
        allocated = allocate_shots(w, shots)
        ctx.info.setdefault(self.name, {})["shots_per_scale"] = allocated
        return allocated
