"""A damaged stored baseline is refused, or (damage in whitespace or unchecked metadata) loads unchanged.

Never a different value silently: every bit flip, byte change and truncation of a real baseline file
either raises BaselineError naming the file, or loads results equal to the original's.
"""

import json
import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import BaselineError
from harness.records import Metric, Result, Run
from harness.store import load_baselines, promote

PROFILE = settings.get_profile(os.environ.get("QHARNESS_FUZZ_PROFILE", "fuzz-ci"))
KEY = [("ghz", "n=3")]


def _results():
    lineage = {"seed": 2026, "workload": "ghz", "params": {"n": 3, "shots": 4000}}
    return (
        Result(suite="ghz", case_id="n=3", baseline="simulator", tier="simulator", status="ok",
               metrics={"success_probability": Metric(0.9125, "proportion", stderr=0.0045, n=4000),
                        "time_to_solution": Metric(1.5e-2, "timing", n=3, samples=(0.014, 0.015, 0.016), unit="s")},
               counts={"000": 1825, "111": 1825, "010": 350}, timings={"execute": 0.25}, lineage=lineage),
        Result(suite="ghz", case_id="n=3", baseline="hardware.raw", tier="hardware", status="ok",
               metrics={"success_probability": Metric(0.71, "proportion", stderr=0.007, n=4000)},
               counts={"000": 1500, "111": 1340, "001": 1160}, resources={"depth": 5, "cx": 2}, lineage=lineage),
    )


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A promoted baseline: its bytes, and what it loads as."""
    root = tmp_path_factory.mktemp("baselines")
    (path,) = promote(Run(run_id="20261122T000000Z-abcdef", created="now", results=_results()), root)
    return path.read_bytes(), load_baselines(root, KEY)


def damaged_outcome(tmp_path, data: bytes, expected) -> str:
    path = tmp_path / "ghz" / "n=3.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        loaded = load_baselines(tmp_path, KEY)
    except BaselineError as exc:
        assert str(exc).startswith(str(path)), str(exc)
        return "refused"
    assert loaded == expected, "a damaged baseline loaded different values without an error"
    return "identical"


def test_every_single_bit_flip_is_refused_or_harmless(tmp_path, original):
    data, expected = original
    tally = {"refused": 0, "identical": 0}
    for i in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            tally[damaged_outcome(tmp_path, bytes(flipped), expected)] += 1
    assert tally["refused"] + tally["identical"] == 8 * len(data)
    # the whole file is checksummed, header included: every flip of this file is refused
    assert tally["refused"] == 8 * len(data)


def test_every_truncation_is_refused(tmp_path, original):
    data, expected = original
    # the last byte is the final newline: cutting it is harmless; any other cut breaks the JSON
    for n in range(len(data) - 1):
        assert damaged_outcome(tmp_path, data[:n], expected) == "refused", n
    assert damaged_outcome(tmp_path, data[:-1], expected) == "identical"


@settings(PROFILE)
@given(st.data())
def test_random_byte_damage_is_refused_or_harmless(tmp_path_factory, original, data):
    raw, expected = original
    damaged = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, len(damaged) - 1), label="at")
        op = data.draw(st.sampled_from(["xor", "set", "delete", "insert"]), label="op")
        if op == "xor":
            damaged[i] ^= data.draw(st.integers(1, 255))
        elif op == "set":
            damaged[i] = data.draw(st.sampled_from(b' \t\n\r0123456789.-e"{}[],:'))
        elif op == "delete":
            del damaged[i]
        else:
            damaged.insert(i, data.draw(st.sampled_from(b' \t\n\r09.-"{}[],:')))
    if data.draw(st.booleans(), label="truncate"):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    damaged_outcome(tmp_path_factory.mktemp("damaged"), bytes(damaged), expected)


def test_a_valid_file_copied_to_another_case_is_refused(tmp_path, original):
    # its checksum is intact: only the names it carries (header and results) tell that it is misplaced
    data, _ = original
    for case in ("n=4", "n=3.copy"):
        path = tmp_path / "ghz" / f"{case}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expected = f"{case}.json: its header names 'ghz'/'n=3', not ghz/{case} (a file copied or renamed?)\n"
        with pytest.raises(BaselineError, match=re.escape(expected)):
            load_baselines(tmp_path, [("ghz", case)])
    other = tmp_path / "vqe" / "n=3.json"
    other.parent.mkdir()
    other.write_bytes(data)
    with pytest.raises(BaselineError, match="names 'ghz'/'n=3', not vqe/n=3"):
        load_baselines(tmp_path, [("vqe", "n=3")])


@pytest.mark.parametrize("field, value", [("suite", "vqe"), ("case_id", "n=4"), ("promoted_from", "someone-else"),
                                          ("promoted_at", "2020-01-01T00:00:00+00:00"), ("suite_sha256", "0" * 64)])
def test_every_header_field_is_inside_the_checksum(tmp_path, original, field, value):
    data = json.loads(original[0])
    data[field] = value
    path = tmp_path / "ghz" / "n=3.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineError, match=re.escape(f"{path}: checksum mismatch")):
        load_baselines(tmp_path, KEY)
