"""The regression drill-down's lineage diff lists what changed, not what changes on every run."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from harness.report import render_html
from harness.report.diff import NOISE_NOTE, lineage_diff
from harness.report.html import anchor
from harness.report.packing import decode

OLD = {"started": "2026-01-01T03:00:00", "finished": "2026-01-01T03:01:00", "optimization_level": 1,
       "code": {"commit": "aaaa", "dirty": False}, "workload_sha256": "w1",
       "mitigation_details": {"seconds": 7.9, "technique": "zne"}}
NEW = {**OLD, "started": "2026-01-02T03:00:00", "finished": "2026-01-02T03:02:00",
       "code": {"commit": "bbbb", "dirty": True}, "mitigation_details": {"seconds": 8.4, "technique": "zne"}}


def test_timestamps_seconds_and_a_commit_that_left_the_workload_alone_are_not_listed():
    assert lineage_diff(OLD, NEW) == []
    everything = {k for k, _, _ in lineage_diff(OLD, NEW, everything=True)}
    assert everything == {"started", "finished", "code.commit", "code.dirty", "mitigation_details.seconds"}
    # the workload's source changed too: then the commit says which code ran, and is listed
    moved = {**NEW, "workload_sha256": "w2"}
    assert [k for k, _, _ in lineage_diff(OLD, moved)] == ["code.commit", "code.dirty", "workload_sha256"]
    # an older baseline without the workload's hash cannot tell: the commit is listed
    old = {k: v for k, v in OLD.items() if k != "workload_sha256"}
    assert [k for k, _, _ in lineage_diff(old, NEW)] == ["code.commit", "code.dirty", "workload_sha256"]
    # a real change among the noise is what remains
    assert lineage_diff(OLD, {**NEW, "optimization_level": 3}) == [("optimization_level", "1", "3")]
    assert lineage_diff({**OLD, "mitigation_details": {"seconds": 1, "technique": "zne"}},
                        {**NEW, "mitigation_details": {"seconds": 2, "technique": "zne+readout"}}) == \
        [("mitigation_details.technique", "zne", "zne+readout")]


def test_the_drill_down_shows_the_change_and_says_what_it_leaves_out(judged):
    run, verdicts, stored = judged
    key = ("maxcut", "n=4", "hardware.mitigated")
    run = replace(run, results=tuple(replace(r, lineage={**r.lineage, **NEW}) if r.key == key else r
                                     for r in run.results))
    stored = {**stored, key: replace(stored[key], lineage={**stored[key].lineage, **OLD, "optimization_level": 3})}
    page = render_html(run, verdicts, stored)
    data = decode(page)
    values = data["v"]
    [diff] = [s for s in data["d"][anchor(key)] if s["h"] == "Lineage diff against the stored baseline"]
    keys = [values[row[0]] for row in diff["t"][1:]]
    assert keys == ["optimization_level"] and NOISE_NOTE in diff["p"].lower()
