"""pytest-benchmark times each solve; its JSON gives the drift engine real repeats of time_to_solution."""

from __future__ import annotations

import json

import pytest

# pytester's in-process runs drop the modules they import when they end; numpy and scipy
# cannot be imported twice in one process, so the heavy modules are imported here, once.
import harness.drift  # noqa: F401
import harness.executors.aer  # noqa: F401
import harness.report  # noqa: F401
import harness.workloads.ghz  # noqa: F401
import qiskit_aer  # noqa: F401
import scipy.stats  # noqa: F401
from harness.drift.benchmark_json import MAX_SAMPLES, timing_metric, timings_from_dict
from harness.store.benchmark_files import timings_from_json
from harness.errors import BaselineError

from ..conftest import METRICS, suite_yaml

pytest.importorskip("pytest_benchmark")
pytestmark = pytest.mark.sdk  # every test runs the suite on Aer

SUITE = suite_yaml("ghz-bench", baselines=("classical", "simulator"),
                   metrics={**METRICS, "time_to_solution": {"better": "lower", "tolerance": 0.5, "relative": True}})

CASE = "n=3"
BENCH = ("--harness-suites", "-p", "no:cacheprovider", "suites", "--harness-benchmark",
         "--benchmark-min-rounds=12", "--benchmark-max-time=0.02")


@pytest.fixture
def benchmarked(pytester):
    """Two sessions: the first stores baselines, the second compares; each writes its benchmark JSON."""
    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(SUITE)
    pytester.runpytest(*BENCH, "--harness-update", "--benchmark-json=base.json").assert_outcomes(passed=2)
    result = pytester.runpytest(*BENCH, "--benchmark-json=new.json", "-rA")
    # both items ran and were judged; a real timing of a few microseconds may honestly regress
    # beyond its 50 % tolerance on a loaded machine, so pass or fail are both judgements here
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 2 and "errors" not in outcomes, outcomes
    return pytester.path, result


def test_each_solve_is_a_tagged_benchmark_whose_rounds_baselines_and_records_keep(benchmarked):
    from harness.commands import compare_run
    from harness.store import load_baselines, load_run

    root, result = benchmarked
    result.stdout.fnmatch_lines(["*benchmark 'ghz-bench': 2 tests*", f"*{CASE}::classical*", f"*{CASE}::simulator*"])
    doc = json.loads((root / "new.json").read_text())
    by_name = {b["name"]: b for b in doc["benchmarks"]}
    assert sorted(by_name) == [f"{CASE}::classical", f"{CASE}::simulator"]
    classical, simulator = by_name[f"{CASE}::classical"], by_name[f"{CASE}::simulator"]
    assert classical["extra_info"]["qharness"]["baselines"] == ["classical"]
    assert classical["stats"]["rounds"] >= 12  # calibrated: at least min-rounds, more for a fast solve
    assert simulator["stats"]["rounds"] == 12  # the hybrid loop: min-rounds rounds, each on a fresh device
    # an exact answer (about 25 us) vs 500 sampled shots (about 2 ms): compared on their fastest rounds,
    # as a loaded machine only ever adds time, so a burst slowing many rounds cannot flip them
    assert classical["stats"]["min"] < simulator["stats"]["min"]

    timings = timings_from_json(root / "new.json")
    assert sorted(timings) == [("ghz-bench", CASE, "classical"), ("ghz-bench", CASE, "simulator")]
    sim = timings[("ghz-bench", CASE, "simulator")]
    assert sim.kind == "timing" and len(sim.samples) == 12 and sim.n == 12
    assert sim.samples == tuple(simulator["stats"]["data"])
    assert sim.value == pytest.approx(simulator["stats"]["median"])

    # --harness-update stored the repeats, the session's record keeps them, and drift tests them
    stored = load_baselines(root / "baselines", [("ghz-bench", CASE)])
    assert len(stored[("ghz-bench", CASE, "simulator")].metrics["time_to_solution"].samples) == 12
    run = load_run(sorted((root / ".runs").glob("*.json"))[-1])
    assert run.results[1].metrics["time_to_solution"].samples == sim.samples
    verdicts, _ = compare_run(run, root / "baselines")
    timing = [v for v in verdicts if v.metric == "time_to_solution"]
    assert [v.test for v in timing] == ["mann-whitney", "mann-whitney"]


def test_the_json_files_judge_timings_on_their_rounds_and_a_slower_run_is_a_regression(benchmarked, capsys,
                                                                                       monkeypatch):
    from harness.cli import main
    from harness.commands import compare_run
    from harness.store import load_run

    root, _ = benchmarked
    run = load_run(sorted((root / ".runs").glob("*.json"))[-1])
    base = timings_from_json(root / "base.json")
    new = timings_from_json(root / "new.json")
    verdicts, _ = compare_run(run, root / "baselines", timings=new, baseline_timings=base)
    timing = {v.baseline: v for v in verdicts if v.metric == "time_to_solution"}
    assert timing["simulator"].test == "mann-whitney" and "12 vs 12 repeats" in timing["simulator"].note

    # the same rounds slowed by a factor that puts every slower round at least 3x above every stored
    # one, whatever the machine's spread: far beyond the 50 % tolerance, and 12 repeats a side block
    doc = json.loads((root / "new.json").read_text())
    factors = {}
    for b in doc["benchmarks"]:
        data = b["stats"]["data"]
        factors[b["name"].split("::")[1]] = factor = 3 * max(data) / min(data)
        b["stats"]["data"] = [factor * x for x in data]
    slower = timings_from_dict(doc)
    verdicts, _ = compare_run(run, root / "baselines", timings=slower, baseline_timings=new)
    timing = {v.baseline: v for v in verdicts if v.metric == "time_to_solution"}
    assert sorted(timing) == sorted(factors)
    for baseline, v in timing.items():
        assert v.status == "regression" and v.gate
        # the Hodges-Lehmann ratio of scaled rounds is the factor itself: (factor - 1) baselines more
        assert v.effect == pytest.approx((factors[baseline] - 1) * v.baseline_value)

    monkeypatch.chdir(root)
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "latest", "--json", "--timings", "new.json", "--baseline-timings", "base.json"])
    doc = json.loads(capsys.readouterr().out)
    tests = {v["baseline"]: v["test"] for v in doc["verdicts"] if v["metric"] == "time_to_solution"}
    assert tests == {"classical": "mann-whitney", "simulator": "mann-whitney"}
    # two sessions' real rounds: on a loaded machine a microsecond solve may honestly slow beyond its
    # 50 % tolerance, so exit 1 is allowed, but only ever for a timing
    blocking = {v["metric"] for v in doc["verdicts"] if v["gate"]}
    assert exit_.value.code == (1 if blocking else 0) and blocking <= {"time_to_solution"}


def test_harness_benchmark_without_pytest_benchmark_says_what_to_install(pytester):
    pytester.mkdir("suites")
    (pytester.path / "suites" / "ghz.yaml").write_text(SUITE)
    result = pytester.runpytest("--harness-suites", "-p", "no:cacheprovider", "-p", "no:benchmark", "suites",
                                "--harness-benchmark")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--harness-benchmark needs pytest-benchmark: pip install pytest-benchmark*"])


def test_many_rounds_are_thinned_evenly_and_a_file_without_rounds_gives_a_standard_error():
    rounds = [1.0 + (i % 7) / 100 for i in range(1000)]
    m = timing_metric(rounds)
    assert len(m.samples) == MAX_SAMPLES and m.n == 1000 and m.samples[0] == rounds[0] and m.samples[-1] == rounds[-1]
    assert m.value == pytest.approx(sorted(rounds)[500], abs=0.01)

    info = {"qharness": {"schema": 1, "suite": "s", "case_id": "c", "baselines": ["hardware.raw", "hardware.mitigated"],
                         "tier": "hardware", "metric": "time_to_solution"}}
    doc = {"benchmarks": [{"name": "other", "extra_info": {}, "stats": {}},  # not ours: skipped
                          {"name": "c::hardware.raw", "extra_info": info,
                           "stats": {"rounds": 16, "median": 0.2, "stddev": 0.04}}]}
    timings = timings_from_dict(doc)
    assert sorted(k[2] for k in timings) == ["hardware.mitigated", "hardware.raw"]
    t = timings[("s", "c", "hardware.raw")]
    assert t.samples == () and t.value == 0.2 and t.stderr == pytest.approx(0.01)


def test_a_file_that_is_not_a_benchmark_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"results": []}')
    with pytest.raises(BaselineError, match="not a pytest-benchmark JSON file") as exc:
        timings_from_json(path)
    assert "--benchmark-json" in str(exc.value)
    with pytest.raises(BaselineError, match="cannot read the benchmark file"):
        timings_from_json(tmp_path / "missing.json")
