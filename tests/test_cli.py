"""The promote / compare / gate cycle as a new user meets it, through the real CLI entry point."""

import json
from pathlib import Path

import pytest

from .conftest import BASELINES, HARDWARE, run_cli as harness, suite_yaml

METRICS = {"success_probability": {"better": "higher", "tolerance": 0.03},
           "hellinger_fidelity": {"better": "higher", "tolerance": 0.03}}


def ghz(**kwargs) -> str:
    """The CLI's suite: GHZ n=3 at 4000 shots on all three tiers."""
    kwargs.setdefault("matrix", {"n": [3], "shots": [4000]})
    return suite_yaml("ghz-small", seed=11, metrics=METRICS, **kwargs)


SUITE = ghz()



@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "ghz.yaml").write_text(SUITE)
    return tmp_path


@pytest.mark.slow
def test_promote_then_gate_passes_with_new_seeds_and_fails_when_mitigation_is_off(project, capsys):
    code, out, _ = harness(capsys, "run", "suites", "--quiet")
    assert code == 0, out
    assert "record: .runs/" in out

    code, out, _ = harness(capsys, "baseline", "promote", "latest")
    assert code == 0 and "promoted run" in out
    assert (project / "baselines" / "ghz-small" / "n=3.json").exists()

    code, out, _ = harness(capsys, "gate", "suites", "--seed", "12345", "--quiet")
    assert code == 0, out  # other seeds, same code: no false alarm
    assert (project / "reports" / "index.html").exists()

    suite = project / "suites" / "ghz.yaml"
    suite.write_text(ghz(baselines={**BASELINES, "hardware": {**HARDWARE, "mitigation": {"readout": False}}}))
    code, out, _ = harness(capsys, "gate", "suites", "--quiet")
    assert code == 1, out + (project / "reports" / "summary.md").read_text()
    assert "REGRESSION ghz-small n=3 [hardware.mitigated] success_probability" in out

    from harness.store.history import History

    assert len(History(project / ".runs" / "history.sqlite").runs()) == 2  # each gate appends its run
    assert "Trends" in (project / "reports" / "index.html").read_text()

    code, out, _ = harness(capsys, "compare", "latest", "--json")
    assert code == 1
    verdicts = json.loads(out)["verdicts"]
    regressed = {(v["baseline"], v["metric"]) for v in verdicts if v["status"] == "regression"}
    assert ("hardware.mitigated", "success_probability") in regressed
    assert all(kind == "hardware.mitigated" for kind, _ in regressed)


def test_an_invalid_suite_exits_2_with_the_place_and_no_traceback(project, capsys):
    (project / "suites" / "ghz.yaml").write_text(ghz(baselines={**BASELINES, "simulator": {"engine": "aer", "colour": "red"}}))
    code, out, err = harness(capsys, "run", "suites")
    assert code == 2
    assert "suites/ghz.yaml:9: baselines.simulator.colour: Extra inputs are not permitted" in err
    assert "Traceback" not in out + err


def test_an_unknown_workload_is_refused_at_load(project, capsys):
    (project / "suites" / "ghz.yaml").write_text(suite_yaml("ghz-small", "ghx"))
    code, _, err = harness(capsys, "gate", "suites")
    assert code == 2
    assert "suites/ghz.yaml:2: workload:" in err and "ghz" in err


@pytest.mark.sdk
def test_an_unknown_backend_suggests_known_ones(project, capsys):
    (project / "suites" / "ghz.yaml").write_text(ghz(baselines={**BASELINES, "hardware": {**HARDWARE, "backend": "fake_manilla"}}))
    code, _, err = harness(capsys, "run", "suites")
    assert code == 2
    assert "unknown backend 'fake_manilla'" in err and "fake_manila" in err


@pytest.mark.sdk
def test_a_case_too_wide_for_the_backend_is_refused_when_planned_naming_backends_that_fit(project, capsys):
    (project / "suites" / "ghz.yaml").write_text(ghz(matrix={"n": [7], "shots": [4000]}, baselines=("simulator", "hardware")))
    code, out, err = harness(capsys, "run", "suites", "--dry-run")
    assert code == 2, err
    assert "ghz.yaml:9: baselines.hardware.backend: case n=7 needs 7 qubits; fake_manila has 5" in err
    assert "use a backend with at least 7 qubits, e.g. fake_" in err
    assert "Traceback" not in out + err
    assert not (project / ".runs").exists()  # refused before anything ran


def test_compare_without_runs_says_what_to_do(project, capsys):
    code, _, err = harness(capsys, "compare")
    assert code == 2
    assert "no run records" in err and "harness run" in err and "--runs-dir" in err


@pytest.mark.sdk
@pytest.mark.parametrize("command", [("compare",), ("report",), ("baseline", "promote")])
def test_a_suite_given_where_a_run_is_expected_says_what_a_run_is(project, capsys, command):
    for ref, what in (("suites/ghz.yaml", "a suite file"), ("suites", "a folder")):
        code, out, err = harness(capsys, *command, ref)
        assert code == 2 and out == "", err
        assert f"error: {ref}: {what}, not a run record" in err
        assert "fix: give a run: its id, its record (.runs/<run-id>.json) or latest" in err
        assert f"`harness run {ref}`, then pass latest" in err and "Traceback" not in err


def test_gate_without_any_baseline_never_passes_and_a_missing_one_fails_strict(project, capsys):
    suite = project / "suites" / "ghz.yaml"
    suite.write_text(ghz(baselines=("classical", "simulator")))
    for strict in ((), ("--strict",)):
        code, out, _ = harness(capsys, "gate", "suites", "--quiet", *strict)
        assert code == 2 and "FAIL (exit 2, invalid)" in out, out
        assert "no result found a stored baseline" in out and "harness baseline promote latest" in out
        assert json.loads((project / "reports" / "verdicts.json").read_text())["passed"] is False
    harness(capsys, "baseline", "promote", "latest")
    # a new case, not yet promoted
    suite.write_text(ghz(matrix={"n": [3, 4], "shots": [4000]}, baselines=("classical", "simulator")))
    code, out, _ = harness(capsys, "gate", "suites", "--quiet")
    assert code == 0 and "PASS" in out and "had no stored baseline" in out, out
    code, out, _ = harness(capsys, "gate", "suites", "--quiet", "--strict")
    assert code == 1 and "FAIL (exit 1, regression): strict: 2 results had no stored baseline" in out, out
    summary = (project / "reports" / "summary.md").read_text()
    assert "FAIL (exit 1" in summary and "PASS" not in summary

LIGHT = ghz(baselines=("classical", "simulator"))


def test_paths_resolve_from_the_project_root_not_the_current_directory(project, capsys, monkeypatch):
    (project / "suites" / "ghz.yaml").write_text(LIGHT)
    harness(capsys, "run", "suites", "--quiet")
    harness(capsys, "baseline", "promote", "latest")
    monkeypatch.chdir(project / "suites")
    code, out, err = harness(capsys, "gate", "ghz.yaml", "--quiet", "--strict")
    assert code == 0, out + err
    assert "PASS" in out and "report: ../reports/index.html" in out and "record: ../.runs/" in out
    assert not (project / "suites" / "baselines").exists() and not (project / "suites" / ".runs").exists()


def test_a_suite_no_longer_collected_leaves_orphaned_baselines_that_fail_strict(project, capsys):
    (project / "suites" / "ghz.yaml").write_text(LIGHT)
    (project / "suites" / "other.yml").write_text(LIGHT.replace("suite: ghz-small", "suite: other"))
    harness(capsys, "run", "suites", "--quiet")
    harness(capsys, "baseline", "promote", "latest")
    (project / "suites" / "ghz.yaml").rename(project / "suites" / "ghz.YAML")  # still collected
    code, out, err = harness(capsys, "gate", "suites", "--quiet", "--strict")
    assert code == 0, out + err
    (project / "suites" / "other.yml").rename(project / "suites" / "other.yml.off")  # no longer a suite
    code, out, err = harness(capsys, "gate", "suites", "--quiet")
    assert code == 0 and "2 stored baselines orphaned" in out
    assert "ORPHANED baseline other n=3 [classical]" in err
    code, out, err = harness(capsys, "gate", "suites", "--quiet", "--strict")
    assert code == 1 and "strict: 2 stored baselines orphaned" in out
    doc = json.loads((project / "reports" / "verdicts.json").read_text())
    assert doc["passed"] is False and {o["suite"] for o in doc["orphaned"]} == {"other"}
    assert "Orphaned baselines" in (project / "reports" / "index.html").read_text()
    # a gate of one suite file judges only that suite's baselines
    code, out, _ = harness(capsys, "gate", "suites/ghz.YAML", "--quiet", "--strict")
    assert code == 0, out


def test_a_change_to_a_custom_workloads_scoring_is_named_outside_git(project, capsys):
    repo = Path(__file__).resolve().parents[1] / "suites"
    module = (repo / "custom_workload.py").read_text()
    (project / "suites" / "custom_workload.py").write_text(module)
    suite = (repo / "custom-bv.yaml").read_text()
    suite = suite[:suite.index("  hardware:")] + suite[suite.index("metrics:"):]  # classical and simulator only
    (project / "suites" / "ghz.yaml").unlink()
    (project / "suites" / "bv.yaml").write_text(suite.replace('secret: ["101", "1011"]', 'secret: ["101"]'))
    harness(capsys, "run", "suites", "--quiet")
    harness(capsys, "baseline", "promote", "latest")
    worse = module.replace("p = min(max(float(probs.get(problem.secret, 0.0)), 0.0) / total, 1.0)",
                           "p = 0.5 * min(max(float(probs.get(problem.secret, 0.0)), 0.0) / total, 1.0)")
    assert worse != module
    (project / "suites" / "custom_workload.py").write_text(worse)
    code, out, _ = harness(capsys, "gate", "suites", "--quiet")
    assert code == 1, out
    assert "REGRESSION custom-bv secret=101 [simulator] success_probability" in out
    assert "changed: workload_sha256" in out
    doc = json.loads((project / "reports" / "verdicts.json").read_text())
    assert {v["changed_layer"] for v in doc["verdicts"] if v["status"] == "regression"} == {"workload_sha256"}


def test_a_fallback_never_passes_for_hardware_and_fails_strict(project, capsys):
    wide = SUITE.replace("n: [3]", "n: [7]").replace("  classical: {}\n", "").replace(
        "backend: fake_manila", "backend: fake_nairobi")  # 7 qubits fit nairobi
    suite = project / "suites" / "ghz.yaml"
    suite.write_text(wide)
    assert harness(capsys, "run", "suites", "--quiet")[0] == 0
    harness(capsys, "baseline", "promote", "latest")
    suite.write_text(wide.replace("backend: fake_nairobi", "backend: fake_manila"))  # too small: falls back
    code, out, err = harness(capsys, "gate", "suites", "--quiet", "--fallback")
    assert code == 0 and "2 results produced by a fallback tier" in out, out + err
    doc = json.loads((project / "reports" / "verdicts.json").read_text())
    hardware = [v for v in doc["verdicts"] if v["baseline"].startswith("hardware")]
    assert hardware and {v["status"] for v in hardware} == {"fallback"}  # never an "improvement"
    assert doc["counts"]["improvement"] == 0
    code, out, _ = harness(capsys, "gate", "suites", "--quiet", "--fallback", "--strict")
    assert code == 1 and "strict: 2 results produced by a fallback tier" in out, out
    assert "fallback" in (project / "reports" / "junit.xml").read_text()
