"""Markdown of a judged run: ``summary.md`` for a CI job page, and a short comment for a pull request.

Both start with the verdict (the outcome's headline: pass or fail, the exit code and why), then a
link to the HTML report when its address is known (``--report-url`` / ``QHARNESS_REPORT_URL``;
no link and no placeholder otherwise), what was inconclusive and what would decide it, and the
regressions with the settings that changed against the stored baseline. All user text is escaped.
"""

from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import quote, urlsplit

from harness.drift.outcome import GateOutcome, as_outcome
from harness.drift.verdict import STATUSES, Verdict
from harness.errors import HarnessError
from harness.records import Result, Run
from harness.report.ci import STATUS_LABELS, effect_text, fmt, key_text, md, regressions, sort_verdicts
from harness.report.provenance import changed_settings

__all__ = ["COMMENT_LIMIT", "check_report_url", "inconclusive_text", "render_comment", "render_markdown"]

COMMENT_LIMIT = 65_536
"""GitHub's limit on the characters of one issue or pull-request comment."""

_MD_ROWS = 50  # a CI job summary stays short; the HTML report has the rest
_COMMENT_ROWS = 10

Stored = Mapping[tuple[str, str, str], Result]


def check_report_url(url: str | None) -> str | None:
    """``url`` as a link target (an absolute http(s) address, odd characters percent-encoded), or None.

    Raises:
        HarnessError: not an absolute http(s) address (exit 2), naming the option and the fix.
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HarnessError(f"--report-url / QHARNESS_REPORT_URL {url!r} is not an absolute http(s) address",
                          hint="give where the HTML report is published, e.g. https://ci.example.org/run/42/index.html")
    return quote(url.strip(), safe=":/?#[]@!$&'*+,;=%~")


def _link(url: str | None) -> list[str]:
    return [f"**[Open the HTML report]({url})** (every result's setup, lineage and charts)", ""] if url else []


def inconclusive_text(verdicts: Iterable[Verdict]) -> str | None:
    """One paragraph: how many metrics were inconclusive, why, and what would decide them; None if none."""
    inc = [v for v in verdicts if v.status == "inconclusive"]
    if not inc:
        return None
    under = sum(1 for v in inc if v.note.startswith("underpowered"))
    machine = sum(1 for v in inc if "machine itself moved" in v.note)
    noise = len(inc) - under - machine
    why = ", ".join(f"{n} {w}" for n, w in ((under, "underpowered"), (noise, "within noise"),
                                             (machine, "the machine moved")) if n)
    text = (f"**{len(inc)} inconclusive** ({why}): neither a pass nor a failure; the samples could not tell "
            "a change of the tolerance from noise, so they do not block.")
    if under:
        text += (" Underpowered metrics cannot detect their tolerance at all: more shots or trials decide them "
                 "(`harness check SUITES` prints how many).")
    if noise:
        text += (" Within noise: tonight's estimate lies too close to the tolerance; more samples narrow the "
                 "interval and decide it.")
    if machine:
        text += " The machine moved: a recalibration, or a baseline promoted on the device as it is now, decides it."
    return text


def _results(run: Run) -> dict[tuple[str, str, str], Result]:
    return {r.key: r for r in run.results}


def render_markdown(run: Run, judged: GateOutcome | Iterable[Verdict], stored: Stored | None = None,
                    report_url: str | None = None) -> str:
    """``summary.md``: verdict, report link, reasons, counts, inconclusive, regressions with changed settings.

    ``stored`` (the baselines judged against) shows the old and new value of each changed setting;
    without it, only the setting's name. ``report_url`` (checked by :func:`check_report_url`) adds the link.
    """
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    counts = outcome.counts
    lines = [f"## qharness: {md(outcome.headline())}", "", *_link(report_url),
             f"Run {md(run.run_id)}, created {md(run.created)}, {len(run.results)} results, "
             f"{len(verdicts)} verdicts; exit code {outcome.code} ({outcome.status})"
             f"{', strict' if outcome.strict else ''}.", ""]
    if outcome.reasons:
        lines += [f"- {md(r)}" for r in outcome.reasons] + [""]
    lines += ["| " + " | ".join(STATUS_LABELS[s] for s in STATUSES) + " |",
              "|" + "---:|" * len(STATUSES),
              "| " + " | ".join(str(counts[s]) for s in STATUSES) + " |", ""]
    inconclusive = inconclusive_text(verdicts)
    if inconclusive:
        lines += [inconclusive, ""]
    regs = regressions(run, verdicts)
    if regs:
        results, stored = _results(run), stored or {}
        lines += ["### Regressions", "",
                  "| gate | suite | case | baseline | metric | baseline → new | effect [interval] | p (adj.) "
                  "| changed settings |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for v in regs[:_MD_ROWS]:
            key = (v.suite, v.case_id, v.baseline)
            lines.append("| " + " | ".join(md(c) for c in (
                "blocks" if v.gate else "report only", v.suite, v.case_id, v.baseline, v.metric,
                f"{fmt(v.baseline_value)} → {fmt(v.new_value)}", effect_text(v),
                f"{fmt(v.p_value, '.3g')} ({fmt(v.p_adjusted, '.3g')})",
                changed_settings(v, stored.get(key), results.get(key)))) + " |")
        if len(regs) > _MD_ROWS:
            lines.append(f"\n…and {len(regs) - _MD_ROWS} more regressions in the HTML report.")
        lines.append("")
    for title, keys in (("Fallback results (not judged against the tier asked for)", outcome.fallbacks),
                        ("Orphaned baselines (no result of this run exercised them)", outcome.orphaned)):
        if keys:
            lines += [f"### {title}", ""] + [f"- {md(key_text(k))}" for k in keys[:_MD_ROWS]]
            if len(keys) > _MD_ROWS:
                lines.append(f"- …and {len(keys) - _MD_ROWS} more")
            lines.append("")
    return "\n".join(lines)


def base_run_delta(run: Run, verdicts: Iterable[Verdict], base: Run, limit: int = 10) -> list[str]:
    """Lines comparing tonight's values with the base branch's run: how many metrics both have, and
    those that moved by more than half their tolerance, largest first (descriptive: the verdicts stay
    against the stored baselines). Timings are left out (another machine, another night)."""
    old = {r.key: r for r in base.results if r.status == "ok"}
    moved, compared = [], 0
    for v in verdicts:
        spec = (run.suites.get(v.suite) or {}).get("metrics", {}).get(v.metric, {})
        r = old.get((v.suite, v.case_id, v.baseline))
        m = r.metrics.get(v.metric) if r is not None else None
        if m is None or v.new_value is None or spec.get("kind") == "timing" or not v.tolerance:
            continue
        compared += 1
        tol = v.tolerance * abs(m.value) if spec.get("relative") else v.tolerance
        delta = v.new_value - m.value
        if tol > 0 and abs(delta) > tol / 2:
            moved.append((abs(delta) / tol, v, m.value, delta, tol))
    moved.sort(key=lambda x: -x[0])
    lines = [f"Against the base branch's run {md(base.run_id)}: {compared} metrics in both, "
             f"{len(moved)} moved by more than half their tolerance."]
    for _, v, was, delta, tol in moved[:limit]:
        lines.append(f"- {md(v.metric)} {md(key_text((v.suite, v.case_id, v.baseline)))}: {md(fmt(was))} → "
                     f"{md(fmt(v.new_value))} (Δ {md(f'{delta:+.4g}')}, tolerance {md(f'{tol:.4g}')})")
    if len(moved) > limit:
        lines.append(f"- …and {len(moved) - limit} more")
    return lines


def render_comment(run: Run, judged: GateOutcome | Iterable[Verdict], stored: Stored | None = None,
                   report_url: str | None = None, base_run: Run | None = None) -> str:
    """A pull-request comment: the verdict, the link, one line of counts, the blocking regressions (at most
    ten, with changed settings), the inconclusive line and, given ``base_run`` (the base branch's run
    record), what moved against it; always under :data:`COMMENT_LIMIT` characters."""
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    counts = ", ".join(f"{n} {STATUS_LABELS[s]}" for s, n in outcome.counts.items() if n) or "no verdicts"
    head = [f"### qharness: {md(outcome.headline())}", "", *_link(report_url),
            f"Against the stored baselines: {counts} (run {md(run.run_id)}, exit code {outcome.code}).", ""]
    head += [f"- {md(r)}" for r in outcome.reasons[1:4]]
    if len(outcome.reasons) > 4:
        head.append(f"- …and {len(outcome.reasons) - 4} more reasons in the job summary")
    results, stored = _results(run), stored or {}
    rows = []
    for v in [v for v in regressions(run, verdicts) if v.gate][:_COMMENT_ROWS]:
        key = (v.suite, v.case_id, v.baseline)
        rows.append(f"- **{md(v.metric)}** {md(key_text(key))}: {md(fmt(v.baseline_value))} → "
                    f"{md(fmt(v.new_value))}, effect {md(effect_text(v))}; changed: "
                    f"{md(changed_settings(v, stored.get(key), results.get(key)))}")
    blocking = len(outcome.blocking)
    if rows:
        head += ["", f"**Blocking regressions ({blocking})**", "", *rows]
        if blocking > len(rows):
            head.append(f"- …and {blocking - len(rows)} more in the report")
    inconclusive = inconclusive_text(verdicts)
    if inconclusive:
        head += ["", inconclusive]
    if base_run is not None:
        head += ["", *base_run_delta(run, verdicts, base_run)]
    text = "\n".join(head) + "\n"
    if len(text) > COMMENT_LIMIT:  # only reasons or names of absurd length get here: cut, and say so
        text = text[:COMMENT_LIMIT - 80] + "\n\n…cut to fit a comment: the job summary has the rest.\n"
    return text
