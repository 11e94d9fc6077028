"""Readout correction with M3 (``mthree``), from confusion matrices measured on the device.

M3 (Nation et al., PRX Quantum 2021) solves the readout correction on the subspace of the
bitstrings actually observed (within a Hamming distance), matrix-free, instead of inverting the
full ``2^n`` tensored matrix; on a small register with every outcome observed it is the tensored
inverse. The per-qubit matrices come from the same two calibration circuits as ``readout``
(:class:`~harness.mitigation.readout.Readout`: run in the batch, resampled by the bootstrap), fed to
``M3Mitigation.cals_from_matrices``; each executed circuit's counts go through
``apply_correction`` and M3's ``nearest_probability_distribution``. The variance amplification is
M3's own ``mitigation_overhead`` of the first circuit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.mitigation.base import Context
from harness.mitigation.readout import Readout, _bit_frequencies, _confusion, resampled_confusions

if TYPE_CHECKING:
    from harness.suite.schema import MitigationSettings

__all__ = ["M3", "m3_correct"]


def m3_correct(counts: Mapping[str, int], confusions: Sequence[np.ndarray]) -> tuple[dict[str, float], float]:
    """M3's nearest distribution of ``counts`` (clbit 0 rightmost) under per-clbit ``confusions``
    (``A[measured, prepared]``, clbit 0 first), and M3's mitigation overhead."""
    from mthree import M3Mitigation

    mit = M3Mitigation()
    mit.cals_from_matrices([np.asarray(a, dtype=float) for a in confusions])
    quasi = mit.apply_correction({k: int(v) for k, v in counts.items() if v}, list(range(len(confusions))),
                                 return_mitigation_overhead=True)
    probs = quasi.nearest_probability_distribution()
    return {k: float(v) for k, v in probs.items() if v > 0}, float(quasi.mitigation_overhead)


class M3(Readout):
    """M3 readout correction (see the module docstring): ``readout``'s calibration, M3's solve."""

    name = "m3"
    field = "m3"
    batched = False  # mthree solves one histogram at a time

    def config(self, settings: "MitigationSettings") -> Any:
        from harness.suite.schema import M3Settings

        value = settings.m3
        if value is True:
            return M3Settings()
        return value or None

    def calibrate(self, cal_counts: Sequence[Mapping[str, int]], leaves: Sequence[Any], ctx: Context) -> None:
        super().calibrate(cal_counts, leaves, ctx)
        zeros, ones = ctx.state["cal_counts"]
        qubits = ctx.state["qubits"]
        p10 = _bit_frequencies(zeros, len(qubits))
        p01 = 1 - _bit_frequencies(ones, len(qubits))
        index = {q: j for j, q in enumerate(qubits)}
        ctx.state["confusions"] = [[_confusion(p10[index[q]], p01[index[q]]) for q in m] for m in ctx.state["maps"]]
        ctx.info[self.name] = {**ctx.info.get(self.name, {}), "solver": "mthree M3Mitigation.apply_correction"}

    def _bootstrap_confusions(self, rows: int, ctx: Context) -> list[list[np.ndarray]]:
        """Per logical circuit and clbit, a ``(rows, 2, 2)`` stack of confusion matrices from resampled calibrations."""
        cache = ctx.state.setdefault("boot_m3", {})
        if rows not in cache:
            cache[rows] = resampled_confusions(rows, ctx)
        return cache[rows]

    def correct_many(self, leaf: int, keys: Sequence[str], draws: np.ndarray, ctx: Context) -> list[dict[str, float]]:
        origin = ctx.origins[leaf] if ctx.origins else leaf
        draws = np.asarray(draws)
        if draws.shape[0] == 1:
            probs, overhead = m3_correct(dict(zip(keys, draws[0].tolist())), ctx.state["confusions"][origin])
            ctx.state.setdefault("m3_overhead", {}).setdefault(origin, overhead)
            return [probs]
        stacks = self._bootstrap_confusions(draws.shape[0], ctx)[origin]
        return [m3_correct(dict(zip(keys, row.tolist())), [s[r] for s in stacks])[0] for r, row in enumerate(draws)]

    def variance_amplification(self, settings: "MitigationSettings", ctx: Context | None = None) -> float | None:
        """M3's ``mitigation_overhead`` of the first circuit's point estimate (None before a run)."""
        if ctx is None or 0 not in ctx.state.get("m3_overhead", {}):
            return None
        return ctx.state["m3_overhead"][0]
