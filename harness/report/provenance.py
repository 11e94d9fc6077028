"""What produced a number, in one line, and what in a case needs attention, in words.

Both read only what a result records: its lineage (device, calibration date, mitigation, seed,
parameters), its resources (shots) and the verdicts; nothing is recomputed.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from harness.drift.outcome import is_fallback
from harness.drift.verdict import Verdict
from harness.kinds import KIND_LABELS
from harness.records import Result

__all__ = ["attention", "backend_text", "changed_settings", "features_of", "mitigation_text", "setup_text"]

_SETTINGS_SHOWN = 4  # key settings per technique


def _get(d: Any, *path: str) -> Any:
    for key in path:
        d = d.get(key) if isinstance(d, Mapping) else None
    return d


def _short(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, Mapping):  # a whole settings block: its keys and values, compactly
        return "{" + ", ".join(f"{k}: {_short(x)}" for k, x in v.items()) + "}"
    return str(v)


def backend_text(r: Result) -> str:
    """``fake_manila (calibrated 2024-05-27)``, the simulator's name, or the classical solver."""
    device = r.lineage.get("device")
    name = _get(device, "backend")
    if name:
        cal = _get(device, "calibration_date")
        return f"{name} (calibrated {str(cal)[:10]})" if cal else str(name)
    solver = _get(r.lineage, "info", "solver")
    return f"{r.tier} ({solver})" if solver else str(r.tier)


def mitigation_text(r: Result) -> str | None:
    """``zne+readout (zne: extrapolation linear, scale_factors [1, 3]; readout: confusion measured)``,
    ``raw (none)``; None when the result ran no mitigation step (not a hardware result)."""
    details = r.lineage.get("mitigation_details")
    if not isinstance(details, Mapping):
        return None
    technique = str(details.get("technique") or "raw")
    settings = details.get("settings")
    parts = []
    if isinstance(settings, Mapping):
        for name, s in settings.items():
            if isinstance(s, Mapping):
                kv = [f"{k} {_short(v)}" for k, v in s.items() if v is not None][:_SETTINGS_SHOWN]
                parts.append(f"{name}: {', '.join(kv)}" if kv else str(name))
            elif s is not None:
                parts.append(f"{name} {_short(s)}")
    if technique == "raw" and not parts:
        return "raw (no mitigation)"
    return f"{technique} ({'; '.join(parts)})" if parts else technique


def _leaf(lineage: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """The value of a dotted key as :func:`harness.drift.layers.changed_layers` names it (one level deep)."""
    if key in lineage:
        return True, lineage[key]
    head, _, rest = key.partition(".")
    inner = lineage.get(head)
    if rest and isinstance(inner, Mapping) and rest in inner:
        return True, inner[rest]
    return False, None


def changed_settings(v: Verdict, stored: Result | None, new: Result | None) -> str:
    """The settings a verdict's ``changed_layer`` names, with their values: ``device.optimization_level 3 → 1``.

    Keys only when either result is missing; ``—`` when no recorded setting changed.
    """
    if not v.changed_layer:
        return "—"
    text, more = v.changed_layer, ""
    if text.endswith(" more)") and " (+" in text:
        text, more = text.rsplit(" (+", 1)
        more = f" (+{more}"
    parts = []
    for key in text.split(", "):
        old = _leaf(stored.lineage, key) if stored is not None else (False, None)
        cur = _leaf(new.lineage, key) if new is not None else (False, None)
        parts.append(f"{key} {_short(old[1])} → {_short(cur[1])}" if old[0] and cur[0] else key)
    return "; ".join(parts) + more


_FEATURE_WORDS = {"program_communication": "communication", "critical_depth": "critical depth",
                  "entanglement_ratio": "entanglement", "parallelism": "parallelism", "liveness": "liveness",
                  "measurement": "measurement"}


def features_of(r: Result) -> dict[str, str]:
    """SupermarQ's features of the result's transpiled circuit, by their words, each to two significant
    digits: ``{"communication": "0.33", "critical depth": "1", ...}``; empty when none were recorded
    (classical results, older records)."""
    features = _get(r.lineage, "device", "features")
    if not isinstance(features, Mapping):
        return {}
    return {_FEATURE_WORDS.get(k, k): f"{v:.2g}" for k, v in features.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def setup_text(r: Result) -> str:
    """Backend, mitigation, seed and shots of a result, as one line."""
    parts = [backend_text(r)]
    mit = mitigation_text(r)
    if mit:
        parts.append(mit)
    seed = r.lineage.get("seed")
    if seed is not None:
        parts.append(f"seed {seed}")
    shots = r.resources.get("shots")  # what ran; a case parameter named shots is not
    if isinstance(shots, (int, float)) and shots:
        parts.append(f"{int(shots):,} shots")
    return " · ".join(parts)


def attention(results: Mapping[str, Result], verdicts: Iterable[Verdict]) -> list[dict[str, str]]:
    """What in a case needs a look, worst first: ``{"status", "label", "why"}`` for each failed result,
    regression, fallback, underpowered or otherwise inconclusive metric, and missing baseline.
    An empty list means every metric is unchanged or improved."""
    label = lambda k: KIND_LABELS.get(k, k)  # noqa: E731
    out: list[dict[str, str]] = []
    for k, r in results.items():
        if r.status == "failed":
            out.append({"status": "failed", "label": "failed", "why": f"{label(k)}: {r.error or 'no error recorded'}"})
    verdicts = list(verdicts)
    regressed: dict[tuple[bool, str], list[str]] = {}  # (blocks, metric) -> kinds
    for v in verdicts:
        if v.status == "regression":
            regressed.setdefault((not v.gate, v.metric), []).append(label(v.baseline))
    for (report_only, metric), kinds in sorted(regressed.items(), key=lambda kv: kv[0][0]):
        out.append({"status": "regression", "label": "regression" + ("" if report_only else " (blocks)"),
                    "why": f"{metric} on {', '.join(kinds)}"})
    for k, r in results.items():
        if is_fallback(r):
            out.append({"status": "fallback", "label": "fallback", "why": f"{label(k)} produced by {r.tier}"})
    by_kind: dict[tuple[str, str], list[str]] = {}
    for v in verdicts:
        if v.status == "inconclusive":
            kind = "underpowered" if v.note.startswith("underpowered") else "inconclusive"
            by_kind.setdefault((kind, "inconclusive"), []).append(f"{v.metric} on {label(v.baseline)}")
        elif v.status == "no_baseline" and label(v.baseline) not in by_kind.get(("no baseline", "no_baseline"), []):
            by_kind.setdefault(("no baseline", "no_baseline"), []).append(label(v.baseline))
    why = {"underpowered": "the shots cannot detect the tolerance (see harness check): ",
           "inconclusive": "within noise, too close to the tolerance to call: ", "no baseline": "nothing stored for "}
    for (kind, status), items in sorted(by_kind.items(), key=lambda kv: ("underpowered", "inconclusive",
                                                                         "no baseline").index(kv[0][0])):
        out.append({"status": status, "label": kind, "why": why[kind] + ", ".join(items)})
    return out
