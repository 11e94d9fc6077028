"""Counts from packed shots (executors/outcomes.py) equal qiskit's per-shot ``get_counts``, order included."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.primitives.containers import BitArray

from harness.executors.outcomes import bitarray_counts, packed_counts


@pytest.mark.parametrize("num_bits", [1, 3, 5, 8, 9, 16, 27, 64, 65, 100])
def test_packed_counts_equal_get_counts_in_order(num_bits):
    rng = np.random.default_rng(num_bits)
    # few distinct outcomes and many repeats, like a real distribution
    pool = rng.integers(0, 2, size=(7, num_bits), dtype=np.uint8).astype(bool)
    shots = pool[rng.integers(0, len(pool), size=3000)]
    bits = BitArray.from_bool_array(shots)
    ours = packed_counts(bits.array, num_bits)
    theirs = bits.get_counts()
    assert ours == theirs
    assert list(ours) == list(theirs)  # same first-seen order: bootstrap resamples do not move
    assert all(len(k) == num_bits for k in ours) and sum(ours.values()) == 3000


def test_bits_above_num_bits_are_ignored():
    packed = np.array([[0b11111101], [0b00000101], [0b00000001]], dtype=np.uint8)
    assert packed_counts(packed, 3) == {"101": 2, "001": 1}


def test_bitarray_counts_per_parameter_set():
    rng = np.random.default_rng(0)
    bits = BitArray.from_bool_array(rng.integers(0, 2, size=(4, 500, 6)).astype(bool))
    assert bitarray_counts(bits) == [bits[i].get_counts() for i in range(4)]
    assert bitarray_counts(bits[2]) == [bits[2].get_counts()]


def test_no_shots_no_counts_and_bad_shape_named():
    assert packed_counts(np.zeros((0, 1), dtype=np.uint8), 3) == {}
    with pytest.raises(ValueError, match="2-D"):
        packed_counts(np.zeros(4, dtype=np.uint8), 3)
