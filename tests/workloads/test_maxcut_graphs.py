"""Classical MaxCut solvers against known optima, and the graph validation messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from harness.workloads.graphs import MAX_NODES, Graph, brute_force, local_search
from harness.workloads.maxcut import MaxCutQAOA

CUBE = [[0, 1], [0, 2], [0, 4], [1, 3], [1, 5], [2, 3], [2, 6], [3, 7], [4, 5], [4, 6], [5, 7], [6, 7]]
K33 = [[u, v] for u in range(3) for v in range(3, 6)]
C5 = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]


@pytest.mark.parametrize(
    ("edges", "optimum", "bitstrings"),
    [
        (CUBE, 12, 2),  # bipartite: every edge cut, by the bipartition and its mirror
        (K33, 9, 2),  # bipartite again
        (C5, 4, 10),  # odd cycle: one edge stays uncut (5 choices), times the global flip
    ],
)
def test_brute_force_known_optima(edges, optimum, bitstrings):
    graph = Graph.from_edges("g", edges)
    exact = brute_force(graph)
    assert exact.optimum == optimum and graph.optimum == optimum
    assert exact.count == bitstrings == int(graph.optimal_mask.sum())
    assert graph.cut_values(np.array([exact.best]))[0] == optimum
    assert exact.seconds >= 0


def test_weighted_triangle():
    graph = Graph.from_edges("w", [[0, 1], [1, 2], [0, 2]], weights=[1.0, 2.0, 3.0])
    # a triangle cuts at most two edges: the best pair is the two heaviest, 2 + 3
    assert brute_force(graph).optimum == 5.0


def test_cut_table_uses_qiskit_bit_order():
    graph = Graph.from_edges("edge", [[0, 1]], nodes=3)
    table = graph.cut_table
    # qiskit's bitstring "001" has clbit 0 (node 0) set: nodes 0 and 1 are split
    assert table[int("001", 2)] == 1 and table[int("010", 2)] == 1
    assert table[int("100", 2)] == 0 and table[int("011", 2)] == 0


def test_cut_table_matches_a_direct_count():
    rng = np.random.default_rng(3)
    pairs = list(itertools.combinations(range(7), 2))
    edges = [list(pairs[i]) for i in rng.choice(len(pairs), 12, replace=False)]
    graph = Graph.from_edges("rand", edges)
    for z in range(2**graph.n):
        bits = format(z, f"0{graph.n}b")[::-1]  # bits[i] is node i
        assert graph.cut_table[z] == sum(bits[u] != bits[v] for u, v in edges)


def test_local_search_finds_the_cube_optimum():
    graph = Graph.from_edges("cube", CUBE)
    result = local_search(graph, restarts=8, rng=np.random.default_rng(0))
    assert max(result.cuts) == 12
    assert len(result.cuts) == len(result.assignments) == 8
    for cut, z in zip(result.cuts, result.assignments):
        assert graph.cut_table[z] == cut
        # a one-flip local optimum cuts at least half the edges
        assert cut >= graph.total_weight / 2


def test_local_search_is_reproducible():
    graph = Graph.from_edges("c5", C5)
    a = local_search(graph, 5, np.random.default_rng(9))
    b = local_search(graph, 5, np.random.default_rng(9))
    assert a.cuts == b.cuts and a.assignments == b.assignments
    assert set(a.cuts) == {4.0}  # on an odd cycle every one-flip local optimum is optimal


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ({"edges": [[0, 0], [0, 1]]}, "self loop"),
        ({"edges": [[0, 1], [1, 0]]}, "repeats edge 0"),
        ({"edges": [[0, -1]]}, "negative node"),
        ({"edges": []}, "no edges"),
        ({"edges": [[0, 5]], "nodes": 3}, "declares nodes: 3"),
        ({"edges": [[0, MAX_NODES]]}, f"at most {MAX_NODES}"),
        ({"edges": [[0, 1], [1, 2]], "weights": [1.0]}, "one weight per edge"),
        ({"edges": [[0, 1]], "weights": [-1.0]}, "positive"),
    ],
)
def test_invalid_graphs_are_refused_with_a_reason(graph, message):
    with pytest.raises(ValidationError, match=message) as info:
        MaxCutQAOA.Params(graph={"name": "bad", **graph}, reps=1, shots=10)
    assert "graph 'bad'" in str(info.value) or "edges" in str(info.value)


def test_graph_needs_a_name_and_no_extra_keys():
    with pytest.raises(ValidationError):
        MaxCutQAOA.Params(graph={"edges": C5}, reps=1, shots=10)
    with pytest.raises(ValidationError):
        MaxCutQAOA.Params(graph={"name": "c5", "edges": C5, "colour": "red"}, reps=1, shots=10)
