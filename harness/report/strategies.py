"""The strategy ranking: which mitigation wins on each case, by how much, at what cost, and whether
the difference is real (mitiq.calibration's question, with statistics).

A case's entries are raw, the suite's mitigated result and every compared strategy
(``hardware.mitigated.<name>``) that carries an error against the exact ideal value. Per metric
they are ranked by absolute error. Each pair is compared by the difference of their absolute
errors, ``D = |e_a| - |e_b|``, with a standard error from their bootstrap values: strategies that
reuse the hybrid loop's counts were bootstrapped with the same resamples of them, so the
difference's draws are *paired* and the shared shot noise cancels; a strategy that ran only new
circuits is independent of the others, and the same difference of draws then gives the sum of
the variances. ``D`` is linearised around the point errors (``sign(e_a) (a_r - ideal) - sign(e_b)
(b_r - ideal)``), a normal two-sided p-value follows, and Holm's step-down adjusts all pairwise
p-values of the case and metric together. The best-ranked entry is the winner only if it beats
every other entry at a Holm-adjusted p below :data:`ALPHA`; otherwise the report says there is
no significant winner and names the closest rival.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable, Mapping

import numpy as np
from scipy.special import ndtr

from harness.drift.multiplicity import holm
from harness.kinds import HARDWARE_MITIGATED, HARDWARE_RAW, kind_label, kind_order, strategy_of
from harness.mitigation.pipeline import draws_of
from harness.records import Result, Run

__all__ = ["ALPHA", "compare_pair", "rank_case", "strategy_view"]

ALPHA = 0.05
"""Family-wise error rate of a case's pairwise comparisons (Holm)."""


def _entry(r: Result, metric: str) -> dict[str, Any] | None:
    details = r.lineage.get("mitigation_details") or {}
    err = (details.get("error") or {}).get(metric)
    draws = draws_of(details, metric)
    if err is None or r.status != "ok" or metric not in r.metrics:
        return None
    m = r.metrics[metric]
    cost = details.get("cost") or {}
    pec = details.get("pec") or {}
    strategy = strategy_of(r.baseline)
    return {"kind": r.baseline, "label": strategy or ("raw" if r.baseline == HARDWARE_RAW else "mitigated"),
            "title": kind_label(r.baseline), "technique": details.get("technique", ""),
            "value": m.value, "stderr": m.stderr, "error": err["error"], "abs_error": err["abs_error"],
            "ideal": err["ideal"], "interval": err.get("interval"), "circuits": cost.get("circuits"),
            "shots": cost.get("shots"), "gamma": pec.get("gamma"), "paired": bool(details.get("paired")),
            "draws": draws}


def compare_pair(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """``D = |e_a| - |e_b|`` with its standard error and two-sided p-value (see the module docstring)."""
    d = float(a["abs_error"]) - float(b["abs_error"])
    se = None
    if a["draws"] is not None and b["draws"] is not None:
        n = min(len(a["draws"]), len(b["draws"]))
        sa, sb = np.sign(a["error"]) or 1.0, np.sign(b["error"]) or 1.0
        diff = sa * (a["draws"][:n] - a["ideal"]) - sb * (b["draws"][:n] - b["ideal"])
        diff = diff[np.isfinite(diff)]
        if diff.size >= 2:
            se = float(np.std(diff, ddof=1))
    if se is None:  # no draws: independent, from the standard errors
        if a["stderr"] is None or b["stderr"] is None:
            return {"difference": d, "stderr": None, "p": None, "paired": False}
        se = float(np.hypot(a["stderr"], b["stderr"]))
    p = 1.0 if se == 0 and d == 0 else 0.0 if se == 0 else float(2 * ndtr(-abs(d) / se))
    return {"difference": d, "stderr": se, "p": p, "paired": bool(a["paired"] and b["paired"])}


def rank_case(results: Iterable[Result], metric: str, alpha: float = ALPHA) -> dict[str, Any] | None:
    """The ranking of one case's entries on ``metric``; None with fewer than two entries."""
    entries = [e for e in (_entry(r, metric) for r in results) if e is not None]
    if len(entries) < 2:
        return None
    entries.sort(key=lambda e: (e["abs_error"], kind_order(e["kind"]), e["kind"]))
    pairs = [(i, j, compare_pair(entries[i], entries[j])) for i, j in combinations(range(len(entries)), 2)]
    tested = [k for k, (_, _, c) in enumerate(pairs) if c["p"] is not None]
    adjusted = holm([pairs[k][2]["p"] for k in tested])
    for k, q in zip(tested, adjusted):
        pairs[k][2]["p_holm"] = q
    comparisons = []
    for i, j, c in pairs:
        q = c.get("p_holm")
        comparisons.append({"better": entries[i]["label"], "worse": entries[j]["label"], **c,
                            "p_holm": q, "significant": q is not None and q < alpha})
    best = [c for c in comparisons if c["better"] == entries[0]["label"]]
    winner = entries[0]["label"] if best and all(c["significant"] for c in best) else None
    rival = None
    if winner is None and best:
        rival = max(best, key=lambda c: (c["p_holm"] is None, c["p_holm"] or 0.0))
    for rank, e in enumerate(entries, 1):
        e["rank"] = rank
        e.pop("draws")
    return {"metric": metric, "entries": entries, "comparisons": comparisons, "winner": winner,
            "rival": rival, "alpha": alpha, "ideal": entries[0]["ideal"]}


def strategy_view(run: Run, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """Per suite that compares strategies: per case and metric, the ranking (see :func:`rank_case`)."""
    cases: dict[str, dict[str, list[Result]]] = {}
    for r in run.results:
        cases.setdefault(r.suite, {}).setdefault(r.case_id, []).append(r)
    out = []
    for suite, by_case in cases.items():
        if not any(strategy_of(r.baseline) for rs in by_case.values() for r in rs):
            continue
        rows = []
        for case_id, rs in by_case.items():
            hardware = [r for r in rs if r.baseline in (HARDWARE_RAW, HARDWARE_MITIGATED) or strategy_of(r.baseline)]
            declared = (run.suites.get(suite) or {}).get("metrics") or {}
            metrics = sorted({n for r in hardware for n in (r.lineage.get("mitigation_details") or {}).get("error", {})
                              if not declared or n in declared})  # the suite's metrics, where it names them
            ranked = [x for x in (rank_case(hardware, m, alpha) for m in metrics) if x is not None]
            ideal_source = next((r.lineage.get("ideal", {}).get("source") for r in hardware if r.lineage.get("ideal")),
                                None)
            rows.append({"case_id": case_id, "rankings": ranked, "ideal_source": ideal_source})
        out.append({"name": suite, "cases": rows})
    return out
