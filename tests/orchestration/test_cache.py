import json

from harness.store.cache import ResultCache
from harness.orchestration.runner import run_plans
from harness.orchestration.tiers import Execution

from .conftest import GHZ_SUITE, write_plan


def _strip(r):
    return (r.baseline, r.tier, r.counts, {k: m.value for k, m in r.metrics.items() if k != "time_to_solution"})


def test_a_rerun_is_served_from_the_cache_with_identical_results_and_another_seed_is_not(tmp_path):
    plan = write_plan(tmp_path)
    cache = ResultCache(tmp_path / "cache")
    first = run_plans([plan], execution=Execution(cache=cache))
    second = run_plans([plan], execution=Execution(cache=cache))
    assert [_strip(r) for r in first.results] == [_strip(r) for r in second.results]
    quantum = [r for r in second.results if r.tier != "classical"]
    assert all(r.resources["cache"]["misses"] == 0 and r.resources["cache"]["hits"] > 0 for r in quantum)
    assert all(r.resources["jobs"] == 0 and not r.resources["job_ids"] for r in quantum)  # nothing submitted
    assert all(r.resources["cache"]["hits"] == 0 for r in first.results if r.tier != "classical")

    other = run_plans([plan], seed=12345, execution=Execution(cache=cache))
    assert all(r.resources["cache"]["hits"] == 0 for r in other.results if r.tier != "classical")
    assert [_strip(r) for r in other.results if r.tier != "classical"] != [_strip(r) for r in quantum]


def test_entries_are_content_addressed_json_and_a_damaged_one_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path)
    description = {"device": {"engine": "aer"}, "circuits": ["abc"], "parameters": None, "shots": 10, "seed": 1}
    assert cache.lookup(description) is None
    cache.store(description, [{"11": 6, "00": 4}])
    key = cache.key(description)
    path = tmp_path / key[:2] / f"{key}.json"
    assert json.loads(path.read_text())["key"] == key
    assert list(cache.lookup(description)[0]) == ["11", "00"]  # the device's order survives
    assert cache.lookup({**description, "seed": 2}) is None
    path.write_text("{not json")
    assert cache.lookup(description) is None
