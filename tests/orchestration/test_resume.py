"""Kill a run midway with SIGKILL and resume it: every result recorded exactly once."""

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from harness.cli import main
from harness.store.journal import Journal, read_journal
from harness.records import Result

from ..conftest import suite_yaml

SUITE = suite_yaml("ghz-resume", seed=3, matrix={"n": [2, 3, 4], "shots": [300, 400]},
                   baselines={"classical": {}, "hardware": {"backend": "fake_manila", "optimization_level": 0}})


RUN_ID = "20260101T000000.000000Z-0a1b2c"


def _result(case_id, kind):
    return Result(suite="s", case_id=case_id, baseline=kind, tier=kind.split(".")[0], status="ok")


def test_a_torn_last_line_is_ignored_and_keys_are_counted_once(tmp_path):
    journal = Journal.create(tmp_path, RUN_ID, "2026-01-01T00:00:00+00:00", ["a.yaml"], 7)
    journal.append([_result("c1", "classical")])
    journal.append([_result("c1", "classical")])
    journal.append([_result("c2", "hardware.raw"), _result("c2", "hardware.mitigated")])
    with open(journal.path, "a") as fh:
        fh.write('{"type": "results", "results": [{"suite": "s", "case_')  # killed mid-write
    again = read_journal(journal.path)
    assert again.header["seed"] == 7 and again.run_id == RUN_ID
    assert sorted(again.done) == [("s", "c1", "classical"), ("s", "c2", "hardware.mitigated"), ("s", "c2", "hardware.raw")]


# The real CLI run in a child that SIGKILLs itself once two tier groups are journaled: a crash at
# a fixed point of the run, whatever the machine's speed (a parent watching the journal and killing
# the child raced it: a paused parent could find the run already finished).
CHILD = """
import os, signal, sys
from harness.store.journal import Journal
real, groups = Journal.append, []
def append_then_die(self, results):
    real(self, results)
    groups.append(1)
    if len(groups) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
Journal.append = append_then_die
from harness.cli import main
main(sys.argv[1:])
"""


@pytest.mark.sdk
def test_sigkill_midway_then_resume_records_every_result_exactly_once(tmp_path, monkeypatch, capsys):
    (tmp_path / "suite.yaml").write_text(SUITE)
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-c", CHILD, "run", "suite.yaml", "--runs-dir", str(runs), "--quiet", "--no-cache"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    (journal,) = runs.glob("*.journal.jsonl")
    assert len(journal.read_text().splitlines()) == 3  # header + two groups
    run_id = journal.name.split(".journal")[0]
    before = read_journal(journal)
    assert 2 <= len(before.done) < 18 and not list(runs.glob(f"{run_id}.json"))

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--resume", run_id, "--runs-dir", str(runs), "--no-cache"])
    err = capsys.readouterr().err
    assert exit_.value.code == 0, err
    # the progress lines say which cases the journal held whole, and only those
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert len(lines) == 6
    whole = {case for (_, case, _) in before.done
             if all(("ghz-resume", case, k) in before.done for k in ("classical", "hardware.raw", "hardware.mitigated"))}
    assert whole  # the two journaled groups are the first case's two tiers
    for line in lines:
        case = line.split("ghz-resume ", 1)[1].split(" (")[0]
        assert line.endswith("(from the journal, not run again)") == (case in whole), line
    record = json.loads((runs / f"{run_id}.json").read_text())
    keys = Counter((r["case_id"], r["baseline"]) for r in record["results"])
    assert len(keys) == 6 * 3 and set(keys.values()) == {1}
    for key, r in before.done.items():  # journaled results are kept as they were, not re-run
        kept = next(x for x in record["results"] if (x["case_id"], x["baseline"]) == key[1:])
        assert kept["lineage"]["finished"] == r.lineage["finished"]
    assert not journal.exists()  # the journal is removed once the record holds everything

    with pytest.raises(SystemExit) as exit_:
        main(["run", "--resume", run_id, "--runs-dir", str(runs)])
    assert exit_.value.code == 2 and "is complete" in capsys.readouterr().err
