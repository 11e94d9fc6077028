"""Older stored baselines are refused by the reader and rewritten by `migrate`; edited, newer or malformed ones are refused."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import BaselineError
from harness.records import Metric, Result, Run
from harness.store import load_baselines, promote
from harness.store.baselines import migrate
from harness.store.migrations import BASELINE_SCHEMA, MIGRATIONS, file_checksum, upgrade, upgrade_to_1

SCHEMA_0 = {
    "schema": 0,
    "suite": "ghz",
    "case_id": "n=3",
    "run_id": "20250101T000000Z-000000",
    "results": {
        "simulator": {
            "status": "ok",
            "metrics": {"success_probability": {"value": 0.91, "kind": "proportion", "stderr": 0.009, "n": 1000,
                                                "samples": [], "unit": ""}},
            "counts": {"000": 455, "111": 455, "010": 90},
            "timings": {"execute": 0.5},
            "resources": {"depth": 4},
            "lineage": {"seed": 1},
            "error": None,
        },
        "hardware.mitigated": {
            "status": "ok",
            "metrics": {"success_probability": {"value": 0.8, "kind": "proportion", "stderr": 0.02, "n": 1000}},
            "counts": None,
            "error": None,
        },
    },
}


def store(tmp_path, data, case="n=3"):
    path = tmp_path / "ghz" / f"{case}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_every_schema_up_to_the_current_one_has_a_migration():
    # bumping BASELINE_SCHEMA without adding upgrade_to_N (and registering it) fails here
    assert sorted(MIGRATIONS) == list(range(min(MIGRATIONS), BASELINE_SCHEMA + 1))
    assert min(MIGRATIONS) == 1


def test_an_older_schema_is_refused_by_the_reader_and_points_to_migrate(tmp_path):
    path = store(tmp_path, SCHEMA_0)
    before = path.read_bytes()
    with pytest.raises(BaselineError, match=re.escape(f"{path}: baseline schema 0 is older than this harness reads "
                                                      f"({BASELINE_SCHEMA}); it is not upgraded silently\n"
                                                      f"  fix: run `harness baseline migrate --baselines {tmp_path}`")):
        load_baselines(tmp_path, [("ghz", "n=3")])
    assert path.read_bytes() == before  # reading never rewrites a baseline


def test_migrate_rewrites_a_schema_0_baseline_which_then_loads(tmp_path):
    path = store(tmp_path, SCHEMA_0)
    (done,) = migrate(tmp_path)
    assert done[0] == path and done[1] == 0 and "cannot be verified" in done[2]
    data = json.loads(path.read_text())
    assert data["schema"] == BASELINE_SCHEMA and data["upgraded_from"] == 0 and data["checksum"] == file_checksum(data)
    stored = load_baselines(tmp_path, [("ghz", "n=3")])
    sim = stored[("ghz", "n=3", "simulator")]
    assert sim == Result(suite="ghz", case_id="n=3", baseline="simulator", tier="simulator", status="ok",
                         metrics={"success_probability": Metric(0.91, "proportion", stderr=0.009, n=1000)},
                         counts={"000": 455, "111": 455, "010": 90}, timings={"execute": 0.5},
                         resources={"depth": 4}, lineage={"seed": 1})
    mitigated = stored[("ghz", "n=3", "hardware.mitigated")]
    assert (mitigated.tier, mitigated.baseline, mitigated.metrics["success_probability"].value) == \
        ("hardware", "hardware.mitigated", 0.8)
    assert migrate(tmp_path) == []  # idempotent: a current file is checked and left alone


def test_migrate_checks_a_schema_1_file_against_its_results_checksum(tmp_path):
    v1 = upgrade_to_1(json.loads(json.dumps(SCHEMA_0)))
    v1.pop("upgraded_from")
    path = store(tmp_path, v1)
    (done,) = migrate(tmp_path)
    assert done == (path, 1, "results checksum verified")
    assert json.loads(path.read_text())["upgraded_from"] == 1
    v1["results"]["simulator"]["metrics"]["success_probability"]["value"] = 0.99  # edited after promotion
    path.write_text(json.dumps(v1))
    other = store(tmp_path, SCHEMA_0, case="n=4")  # a good file beside it is not written either
    with pytest.raises(BaselineError, match="schema 1 to 2: its results do not match their checksum"):
        migrate(tmp_path)
    assert json.loads(other.read_text())["schema"] == 0 and json.loads(path.read_text())["schema"] == 1


def test_promote_over_an_older_file_writes_the_current_layout_and_keeps_its_kinds(tmp_path):
    path = store(tmp_path, SCHEMA_0)
    new = Result(suite="ghz", case_id="n=3", baseline="classical", tier="classical", status="ok",
                 metrics={"success_probability": Metric(1.0, "proportion", n=1000)})
    promote(Run(run_id="20261122T000000Z-cccccc", created="now", results=(new,)), tmp_path)
    data = json.loads(path.read_text())
    assert data["schema"] == BASELINE_SCHEMA and data["checksum"] == file_checksum(data)
    assert set(data["results"]) == {"classical", "simulator", "hardware.mitigated"}  # the old kinds are kept
    assert data["results"]["simulator"]["tier"] == "simulator"
    assert load_baselines(tmp_path, [("ghz", "n=3")])[("ghz", "n=3", "simulator")].counts["000"] == 455


def test_upgrade_to_1_names_the_result_and_checksums_it():
    new = upgrade_to_1(json.loads(json.dumps(SCHEMA_0)))
    assert new["schema"] == 1 and new["upgraded_from"] == 0
    assert new["promoted_from"] == SCHEMA_0["run_id"] and "run_id" not in new
    assert new["results"]["hardware.mitigated"]["tier"] == "hardware"
    assert {r["suite"] for r in new["results"].values()} == {"ghz"}
    assert SCHEMA_0["results"]["simulator"].get("tier") is None  # the input is not modified


def test_a_current_file_relabelled_schema_0_cannot_dodge_its_checksum(tmp_path):
    (path,) = promote(Run(run_id="r", created="now", results=(
        Result(suite="ghz", case_id="n=3", baseline="simulator", tier="simulator", status="ok",
               metrics={"success_probability": Metric(0.9, "proportion", n=1000)}),)), tmp_path)
    data = json.loads(path.read_text())
    data["schema"] = 0
    data["results"]["simulator"]["metrics"]["success_probability"]["value"] = 0.99
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineError, match=r"schema 0 is older than this harness reads"):
        load_baselines(tmp_path, [("ghz", "n=3")])
    with pytest.raises(BaselineError, match=r"cannot upgrade the baseline from schema 0 to 1: it has a checksum"):
        migrate(tmp_path)
    del data["checksum"]  # and without the checksum, its results still carry a tier
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineError, match=r"result 'simulator' has a tier, which schema 0 never had"):
        migrate(tmp_path)


@pytest.mark.parametrize("schema, message", [
    (-1, "older than this harness reads"), (BASELINE_SCHEMA + 1, "newer than this harness understands"),
    (None, "no schema version"), ("1", "no schema version"), (True, "no schema version"),
])
def test_unknown_schemas_are_refused(tmp_path, schema, message):
    store(tmp_path, {**SCHEMA_0, "schema": schema})
    with pytest.raises(BaselineError, match=message):
        load_baselines(tmp_path, [("ghz", "n=3")])
    with pytest.raises(BaselineError, match=message.replace("this harness reads", "any this harness can upgrade")):
        migrate(tmp_path)


def test_upgrade_refuses_a_schema_it_has_no_path_from():
    with pytest.raises(BaselineError, match=r"x\.json: baseline schema -3 is older"):
        upgrade({**SCHEMA_0, "schema": -3}, "x.json")


# Any schema-0-shaped file, well-formed or not: loaded, or refused with a BaselineError naming it.
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                 max_size=3),
                     max_leaves=8)
_result = st.fixed_dictionaries(
    {"status": st.sampled_from(["ok", "failed"]) | _json},
    optional={"metrics": st.dictionaries(st.text(max_size=5), st.fixed_dictionaries(
        {"value": st.floats(allow_nan=False) | _json}, optional={"kind": _json, "n": _json, "samples": _json})) | _json,
        "counts": _json, "timings": _json, "lineage": _json, "error": _json, "tier": st.just("simulator")},
)
_schema_0 = st.fixed_dictionaries(
    {"schema": st.just(0), "results": st.dictionaries(st.sampled_from(["classical", "simulator", "hardware.raw"]),
                                                      _result | _json, max_size=3) | _json},
    optional={"suite": st.just("ghz") | _json, "case_id": st.just("n=3") | _json, "run_id": _json,
              "checksum": st.text(max_size=4)},
)


@settings(max_examples=150, deadline=None, derandomize=True,  # the same draws every run
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(_schema_0)
def test_any_schema_0_file_is_migrated_or_refused_never_a_crash(tmp_path, data):
    path = store(tmp_path, data)
    try:
        migrate(tmp_path)
        stored = load_baselines(tmp_path, [("ghz", "n=3")])
    except BaselineError as exc:
        assert str(exc).startswith(str(path))
        return
    # accepted: it was a genuine schema-0 layout, and every result now says where it came from
    assert "checksum" not in data and isinstance(data["results"], dict)
    assert {key[2] for key in stored} == set(data["results"])
    assert all(r.tier == r.baseline.split(".")[0] and r.suite == data["suite"] for r in stored.values())
