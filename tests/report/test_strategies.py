"""The strategy ranking: paired differences, Holm across pairs, a winner only when significant."""

from __future__ import annotations

import numpy as np
import pytest

from harness.drift.multiplicity import holm
from harness.kinds import HARDWARE_MITIGATED, HARDWARE_RAW, strategy_kind
from harness.records import Metric, Result, Run
from harness.report.html import render_html
from harness.report.strategies import compare_pair, rank_case, strategy_view


def result(kind: str, draws: np.ndarray, *, paired: bool = True, ideal: float = 1.0, tech: str = "x",
           cost=(2, 2000)) -> Result:
    value = float(np.mean(draws))
    se = float(np.std(draws, ddof=1))
    err = value - ideal
    details = {"technique": tech, "paired": paired, "bootstrap_draws": {"p": draws.tolist()},
               "error": {"p": {"ideal": ideal, "error": err, "abs_error": abs(err),
                               "interval": [err - 1.96 * se, err + 1.96 * se]}},
               "cost": {"circuits": cost[0], "shots": cost[1]}}
    return Result(suite="s", case_id="n=2", baseline=kind, tier="hardware", status="ok",
                  metrics={"p": Metric(value, "proportion", stderr=se, n=1000)},
                  lineage={"mitigation_details": details, "ideal": {"values": {"p": ideal}, "source": "exact"}})


def entry(r: Result) -> dict:
    from harness.report.strategies import _entry

    return _entry(r, "p")


def test_shared_noise_cancels_in_a_paired_difference():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 0.01, 400)  # the loop's counts, resampled alike
    a = result("a", 0.90 + shared + rng.normal(0, 0.001, 400))
    b = result("b", 0.89 + shared + rng.normal(0, 0.001, 400))
    c = compare_pair(entry(a), entry(b))
    assert c["difference"] == pytest.approx(-0.01, abs=0.001)
    assert c["stderr"] == pytest.approx(0.001 * np.sqrt(2), rel=0.15)  # only the own noise is left
    assert c["p"] < 1e-6 and c["paired"]
    # the same values with independent resamples: the stderrs add in quadrature, nothing is significant
    b2 = result("b", 0.89 + rng.normal(0, 0.01, 400) + rng.normal(0, 0.001, 400), paired=False)
    c2 = compare_pair(entry(a), entry(b2))
    assert c2["stderr"] == pytest.approx(0.01 * np.sqrt(2), rel=0.15) and not c2["paired"]


def test_errors_of_opposite_sign_compare_absolute_errors():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.002, 300)
    over = result("over", 1.03 + noise)    # error +0.03
    under = result("under", 0.95 + noise)  # error -0.05
    c = compare_pair(entry(over), entry(under))
    assert c["difference"] == pytest.approx(-0.02, abs=0.001)
    # shared noise moves the two errors in opposite directions of |e|: it does not cancel
    assert c["stderr"] == pytest.approx(0.004, rel=0.15)


def test_the_winner_is_named_only_when_it_beats_every_other_entry_after_holm():
    rng = np.random.default_rng(2)
    shared = rng.normal(0, 0.01, 200)
    raw = result(HARDWARE_RAW, 0.80 + shared, tech="raw", cost=(1, 1000))
    rem = result(strategy_kind("rem"), 0.97 + shared + rng.normal(0, 0.002, 200))
    zne = result(strategy_kind("rem+zne"), 0.99 + shared + rng.normal(0, 0.002, 200))
    ranked = rank_case([raw, rem, zne], "p")
    assert [e["label"] for e in ranked["entries"]] == ["rem+zne", "rem", "raw"]
    assert [e["rank"] for e in ranked["entries"]] == [1, 2, 3]
    assert ranked["winner"] == "rem+zne"
    ps = [c["p"] for c in ranked["comparisons"]]
    assert [c["p_holm"] for c in ranked["comparisons"]] == pytest.approx(holm(ps))
    # a close rival, unpaired: no winner, and the rival is named
    close = result(strategy_kind("ddd+zne"), 0.989 + rng.normal(0, 0.01, 200), paired=False)
    ranked = rank_case([raw, rem, zne, close], "p")
    assert ranked["winner"] is None
    assert {ranked["rival"]["better"], ranked["rival"]["worse"]} == {"rem+zne", "ddd+zne"}
    assert rank_case([raw], "p") is None


def test_the_report_shows_the_ranking_only_for_suites_that_compare_strategies():
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 0.01, 200)
    results = (result(HARDWARE_RAW, 0.8 + shared, tech="raw"), result(HARDWARE_MITIGATED, 0.9 + shared),
               result(strategy_kind("rem"), 0.97 + shared, tech="readout"))
    run = Run(run_id="20250101T000000-abc123", created="2025-01-01T00:00:00+00:00", results=results,
              suites={"s": {"path": "s.yaml", "sha256": "0", "metrics": {"p": {"better": "higher"}}}})
    view = strategy_view(run)
    assert [c["case_id"] for c in view[0]["cases"]] == ["n=2"] and view[0]["cases"][0]["rankings"][0]["winner"] == "rem"
    page = render_html(run, [], {})
    assert 'id="strategies"' in page and "Winner: rem" in page and "★ rem" in page
    plain = Run(run_id=run.run_id, created=run.created, results=results[:2], suites=run.suites)
    assert strategy_view(plain) == [] and 'id="strategies"' not in render_html(plain, [], {})
