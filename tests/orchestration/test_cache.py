import json

import pytest

from harness.lineage import stable_hash
from harness.store.cache import ResultCache
from harness.store.untrusted import UntrustedFileWarning
from harness.orchestration.runner import run_plans
from harness.orchestration.tiers import Execution

from .conftest import SIM_ONLY, write_plan


def _strip(r):
    return (r.baseline, r.tier, r.counts, {k: m.value for k, m in r.metrics.items() if k != "time_to_solution"})


@pytest.mark.sdk
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
    with pytest.warns(UntrustedFileWarning, match=rf"{path}: discarded \(not JSON\)"):
        assert cache.lookup(description) is None
    assert not path.exists()  # deleted: the job runs again and stores a good entry


DESCRIPTION = {"device": {"engine": "aer"}, "circuits": ["abc", "def"], "parameters": [[0.1, 0.2]], "shots": 10,
               "seed": 1}


def _resum(data):
    data["checksum"] = stable_hash({"key": data["key"], "description": data["description"], "counts": data["counts"]})


@pytest.mark.parametrize("edit, why", [
    (lambda d: d["counts"][0].__setitem__(0, ["11", 9]), "checksum mismatch"),
    (lambda d: (d["counts"][0].__setitem__(0, ["11", 9]), _resum(d)), "sums to 13, not the job's 10 shots"),
    (lambda d: (d["counts"][1].__setitem__(0, ["00", -1]), _resum(d)), r"not \[bitstring, whole number\] pairs"),
    (lambda d: (d["counts"].pop(), _resum(d)), "not one count table per circuit"),
    (lambda d: (d["description"].update(seed=2), _resum(d)), "does not hash to its key"),
    (lambda d: (d.update(key="0" * 64), _resum(d)), "its key is not its file's"),
    (lambda d: d.update(schema=1), "not a cache entry of this harness"),
])
def test_an_entry_failing_a_check_is_discarded_with_a_warning_and_never_served(tmp_path, edit, why):
    cache = ResultCache(tmp_path)
    cache.store(DESCRIPTION, [{"11": 6, "00": 4}, {"01": 10}])
    assert cache.lookup(DESCRIPTION) == [{"11": 6, "00": 4}, {"01": 10}]
    path = tmp_path / cache.key(DESCRIPTION)[:2] / f"{cache.key(DESCRIPTION)}.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.warns(UntrustedFileWarning, match=why):
        assert cache.lookup(DESCRIPTION) is None
    assert not path.exists()


def test_an_entry_moved_to_another_jobs_key_is_not_served(tmp_path):
    cache = ResultCache(tmp_path)
    cache.store(DESCRIPTION, [{"11": 6, "00": 4}, {"01": 10}])
    other = {**DESCRIPTION, "seed": 2}
    src = tmp_path / cache.key(DESCRIPTION)[:2] / f"{cache.key(DESCRIPTION)}.json"
    dst = tmp_path / cache.key(other)[:2] / f"{cache.key(other)}.json"
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    with pytest.warns(UntrustedFileWarning, match="its key is not its file's"):
        assert cache.lookup(other) is None


def test_edited_hardware_counts_in_the_cache_never_reach_a_result(tmp_path):
    """The issue's reproduction: counts edited to the ideal outcome made noisy hardware.raw read 1.0."""
    plan = write_plan(tmp_path)
    cache = ResultCache(tmp_path / "cache")
    first = run_plans([plan], execution=Execution(cache=cache))
    raw = next(r for r in first.results if r.baseline == "hardware.raw")
    assert raw.metrics["success_probability"].value < 0.99
    entries = list((tmp_path / "cache").rglob("*.json"))
    for path in entries:  # every table becomes "all shots on 000", totals kept: only the checksum can tell
        data = json.loads(path.read_text())
        data["counts"] = [[["000", sum(v for _, v in table)]] for table in data["counts"]]
        path.write_text(json.dumps(data))
    with pytest.warns(UntrustedFileWarning) as caught:
        second = run_plans([plan], execution=Execution(cache=cache))
    assert len({str(w.message).split(":")[0] for w in caught}) == len(entries)  # every entry named once
    assert [_strip(r) for r in second.results] == [_strip(r) for r in first.results]  # recomputed, same seeds
    assert all(r.resources["cache"]["hits"] == 0 for r in second.results if r.tier != "classical")


def test_the_cli_names_a_discarded_entry_in_one_line(tmp_path, monkeypatch, capsys):
    from harness.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "suite.yaml").write_text(SIM_ONLY)
    for attempt in range(2):
        with pytest.raises(SystemExit) as exit_:
            main(["run", "suite.yaml", "--quiet"])
        assert exit_.value.code == 0
        if attempt == 0:
            (entry,) = (tmp_path / ".runs" / "cache").rglob("*.json")
            entry.write_text(entry.read_text().replace('"schema": 2', '"schema": 2 ', 1).replace("1", "2", 1))
            capsys.readouterr()
    err = capsys.readouterr().err
    assert f"warning: {entry.relative_to(tmp_path)}: discarded (" in err and "done again" in err
    assert "UntrustedFileWarning" not in err and "warnings.warn" not in err
