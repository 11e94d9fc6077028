"""The report's JSON block stores each distinct value once, nested parts included, and gives every
value back (floats to six significant digits)."""

from __future__ import annotations

import json
import math

from harness.report.packing import Packer, unpack


def test_every_value_comes_back_with_floats_to_six_digits():
    packer = Packer()
    value = {"sdk": {"qiskit": "2.6.2"}, "p": [0.038000000000000034, 1e-12, 12345678.9], "n": 4000, "ok": True,
             "none": None, "long text that is interned": "calibration circuits run on the device", "t": (1, 2),
             "bad": math.nan, "<b>": "</script>"}
    back = unpack(packer.values, packer.ref(value))
    assert back == {**value, "p": [0.038, 1e-12, 12345700.0], "t": [1, 2], "bad": "nan"}
    assert json.loads(json.dumps(packer.values, allow_nan=False)) == packer.values  # plain JSON: no NaN


def test_a_shared_part_is_stored_once():
    packer = Packer()
    device = {"backend": "fake_manila", "calibration_sha256": "ab" * 32, "physical_qubits": list(range(127))}
    a = packer.ref({"device": device, "seed": 1})
    b = packer.ref({"device": device, "seed": 2})
    assert a != b and packer.ref({"device": dict(device), "seed": 1}) == a
    text = json.dumps(packer.values)
    assert text.count("fake_manila") == 1 and text.count("ab" * 32) == 1 and text.count("126") == 1
    assert unpack(packer.values, b)["device"] == device
    assert packer.ref("x") == packer.ref("x") and packer.ref(1) != packer.ref("1")


def test_renumbering_puts_the_most_used_first_and_keeps_every_value():
    packer = Packer()
    rare, common = packer.ref({"x": "a rare long string value"}), packer.ref("common")
    new = packer.renumber([common] * 5 + [rare])
    assert new[common] == 0
    assert unpack(packer.values, new[rare]) == {"x": "a rare long string value"}
    assert packer.ref("common") == 0  # later references use the new numbering
