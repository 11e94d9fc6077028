from datetime import datetime, timezone

import pytest

from harness.orchestration.jobs import FINAL_STATES, STATES, TRANSITIONS, Job, TransitionError


def test_the_table_covers_every_state_and_only_known_ones():
    assert set(TRANSITIONS) == set(STATES)
    assert all(targets <= set(STATES) for targets in TRANSITIONS.values())
    assert TRANSITIONS["completed"] == TRANSITIONS["cancelled"] == frozenset()
    assert set(FINAL_STATES) == {"completed", "failed", "cancelled"}


def test_a_retried_then_fallen_back_job_records_every_transition_with_a_utc_timestamp():
    job = Job("ghz n=3 [hardware]", tier="hardware")
    for state in ("submitted", "running", "failed", "retried", "submitted", "running", "failed"):
        job.to(state, {"step": state})
    job.to("fallen_back", {"to": "simulator"}, tier="simulator")
    job.to("submitted"), job.to("running"), job.to("completed")
    states = [e["state"] for e in job.events]
    assert states == ["queued", "submitted", "running", "failed", "retried", "submitted", "running", "failed",
                      "fallen_back", "submitted", "running", "completed"]
    assert [e["tier"] for e in job.events][-4:] == ["simulator"] * 4
    assert job.attempts == 3 and job.final
    stamps = [datetime.fromisoformat(e["at"]) for e in job.events]
    assert all(s.tzinfo is not None and s.utcoffset() == timezone.utc.utcoffset(None) for s in stamps)
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("path", [("completed",), ("submitted", "running", "completed", "running"),
                                  ("submitted", "retried"), ("cancelled", "submitted"), ("exploded",)])
def test_illegal_transitions_raise(path):
    job = Job("x", tier="simulator")
    with pytest.raises(TransitionError):
        for state in path:
            job.to(state)


def test_history_is_a_copy():
    job = Job("x", tier="classical")
    history = job.history()
    job.to("submitted")
    assert len(history) == 1 and len(job.events) == 2
