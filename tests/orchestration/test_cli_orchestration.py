"""--dry-run, budgets and --fallback through the real CLI entry point."""

import json

import pytest

from ..conftest import BASELINES, HARDWARE, run_cli as harness, suite_yaml

pytestmark = pytest.mark.sdk  # every test plans a suite on fake_manila


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    zne = {**HARDWARE, "mitigation": {"zne": {"scale_factors": [1, 3, 5]}}}
    (tmp_path / "suite.yaml").write_text(suite_yaml("ghz-orch", baselines={**BASELINES, "hardware": zne}))
    return tmp_path


@pytest.mark.parametrize("command", ["run", "gate"])
def test_dry_run_prints_cases_kinds_and_cost_and_runs_nothing(project, capsys, command):
    code, out, _ = harness(capsys, command, "suite.yaml", "--dry-run", "--max-shots", "1000")
    assert code == 0
    rows = {line.split()[2]: line.split()[-2:] for line in out.splitlines()[1:5]}
    # simulator: one circuit; raw: the loop's circuit (scored, not re-run); mitigated: the folds at
    # scales 3 and 5 (scale 1 is the loop's circuit: its counts are reused)
    assert rows == {"classical": ["0", "0"], "simulator": ["1", "500"], "hardware.raw": ["1", "500"],
                    "hardware.mitigated": ["2", "1000"]}
    assert "1 case(s), 4 result(s), at most 4 circuits and 2000 shots; nothing was executed" in out
    assert "exceeds the run budget (shots 2000 > 1000)" in out
    assert not (project / ".runs").exists() and not (project / "reports").exists()


def test_a_shot_budget_with_fallback_records_the_stand_in_and_the_spend(project, capsys):
    code, out, err = harness(capsys, "run", "suite.yaml", "--quiet", "--max-shots", "500", "--fallback")
    assert code == 0, err
    record = json.loads((project / out.split("record: ")[1].strip()).read_text())
    tiers = {r["baseline"]: r["tier"] for r in record["results"]}
    assert tiers == {"classical": "classical", "simulator": "simulator", "hardware.raw": "classical",
                     "hardware.mitigated": "classical"}
    assert record["environment"]["budget"]["spent"]["shots"] == 500
    assert not list((project / ".runs").glob("*.journal.jsonl"))


def test_run_needs_suites_or_resume_and_resume_needs_a_journal(project, capsys):
    code, _, err = harness(capsys, "run")
    assert code == 2 and "--resume" in err
    code, _, err = harness(capsys, "run", "--resume", "20260101T000000.000000Z-abcdef")
    assert code == 2 and "cannot read the run journal" in err and "Traceback" not in err
