"""Shot outcomes as arrays: counts from a sampler's bit-packed shots without a string per shot.

qiskit's ``BitArray.get_counts`` turns every shot into a Python bitstring (a quarter-million
shots, a quarter-million strings). Here the packed bytes of each shot become one integer (or one
fixed-width row), ``np.unique`` counts them, and only the distinct outcomes are formatted as
bitstrings (qiskit's order: classical bit 0 is the rightmost character).

The counts are the same dictionary ``get_counts`` gives, in the same order (each outcome where
its first shot is), so whatever iterates them (scores, bootstrap resampling) sees no change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["bitarray_counts", "packed_counts"]


def packed_counts(packed: np.ndarray, num_bits: int) -> dict[str, int]:
    """Counts of ``packed`` shots: a ``(shots, bytes)`` uint8 array, big-endian, as ``BitArray`` keeps them.

    Bits above ``num_bits`` in the first byte are ignored, as ``get_counts`` ignores them.
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    if packed.ndim != 2:
        raise ValueError(f"packed shots must be 2-D (shots, bytes), got shape {packed.shape}")
    shots, width = packed.shape
    if shots == 0:
        return {}
    excess = 8 * width - num_bits
    if excess:
        packed = packed.copy()
        packed[:, 0] &= np.uint8(0xFF >> excess)
    if width <= 8:
        weights = np.left_shift(np.uint64(1), np.arange(8 * (width - 1), -1, -8, dtype=np.uint64))
        keys = packed.astype(np.uint64) @ weights
        distinct, first, tally = np.unique(keys, return_index=True, return_counts=True)
        labels = [format(int(k), f"0{num_bits}b") for k in distinct]
    else:  # more than 64 bits: unique rows, each row's bytes read as one integer
        distinct, first, tally = np.unique(packed, axis=0, return_index=True, return_counts=True)
        labels = [format(int.from_bytes(row.tobytes(), "big"), f"0{num_bits}b") for row in distinct]
    order = np.argsort(first, kind="stable")
    return {labels[i]: int(tally[i]) for i in order}


def bitarray_counts(bits: Any) -> list[dict[str, int]]:
    """Counts of a qiskit ``BitArray``: one dictionary for a scalar array, one per entry of a 1-D one.

    Equal to ``[bits.get_counts()]`` or ``[bits[i].get_counts() for i in range(len)]``.
    """
    array = np.asarray(bits.array)
    if bits.shape == ():
        return [packed_counts(array, bits.num_bits)]
    flat = array.reshape(-1, *array.shape[-2:])
    return [packed_counts(flat[i], bits.num_bits) for i in range(flat.shape[0])]
