"""A small GHZ suite on all three tiers (fake_manila for hardware), a Dask cluster, and what equal runs share."""

from __future__ import annotations

import pytest

from ..conftest import METRICS, suite_yaml

GHZ_SUITE = suite_yaml("ghz-scale", seed=9, matrix={"n": [3, 4], "shots": [500]},
                       metrics={**METRICS, "time_to_solution": {"better": "lower", "tolerance": 0.5, "relative": True}})


def _comparable(results) -> list:
    return [(r.key, r.tier, r.status, r.error, {k: m.to_dict() for k, m in r.metrics.items() if m.kind != "timing"},
             r.counts, r.lineage.get("seeds")) for r in results]


@pytest.fixture
def comparable():
    """``comparable(results)``: what equals between runs of the same seeds (keys, tiers, statuses,
    non-timing metrics, counts, seeds), in order."""
    return _comparable


@pytest.fixture
def ghz_suite(tmp_path):
    path = tmp_path / "ghz.yaml"
    path.write_text(GHZ_SUITE)
    return path


@pytest.fixture(scope="module")
def dask_cluster():
    """A local Dask cluster of 2 single-threaded worker processes, shared by a module's tests."""
    import logging

    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
    yield cluster
    cluster.close()
