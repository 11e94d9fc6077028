"""Graphs for MaxCut and their classical solvers: cut tables, brute force, one-flip local search.

A cut is an integer ``z`` whose bit ``i`` is node ``i``'s side. That is also how qiskit
reads a measured bitstring (classical bit 0 is the rightmost character), so with node
``i`` measured into classical bit ``i`` the cut of a bitstring ``key`` is
``cut_values[int(key, 2)]``.

Example:
    >>> g = Graph.from_edges("c5", [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]])
    >>> brute_force(g).optimum
    4.0
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence

import numpy as np

__all__ = ["MAX_NODES", "BruteForce", "Graph", "LocalSearch", "brute_force", "check_edges", "local_search"]

MAX_NODES = 20
"""Largest graph we solve by enumeration (2**20 cuts: a few MB and well under a second)."""


def check_edges(edges: Sequence[Sequence[int]], nodes: int | None, weights: Sequence[float] | None) -> int:
    """Validate an edge list; return the node count. Raises ValueError saying which edge is wrong."""
    if not edges:
        raise ValueError("the graph has no edges; give at least one [u, v] pair")
    seen: dict[tuple[int, int], int] = {}
    for i, edge in enumerate(edges):
        if len(edge) != 2:
            raise ValueError(f"edge {i} is {list(edge)}; an edge is a pair [u, v]")
        u, v = (int(x) for x in edge)
        if u < 0 or v < 0:
            raise ValueError(f"edge {i} {[u, v]} has a negative node; nodes are numbered 0..n-1")
        if u == v:
            raise ValueError(f"edge {i} {[u, v]} is a self loop; a cut never separates a node from itself, remove it")
        key = (min(u, v), max(u, v))
        if key in seen:
            raise ValueError(f"edge {i} {[u, v]} repeats edge {seen[key]}; list each edge once")
        seen[key] = i
    n = max(max(k) for k in seen) + 1
    if nodes is not None:
        if n > nodes:
            raise ValueError(
                f"an edge uses node {n - 1} but the graph declares nodes: {nodes}; nodes are 0..{nodes - 1}"
            )
        n = nodes
    if n > MAX_NODES:
        raise ValueError(f"the graph has {n} nodes; brute force (the exact baseline) handles at most {MAX_NODES}")
    if weights is not None:
        if len(weights) != len(edges):
            raise ValueError(f"{len(weights)} weights for {len(edges)} edges; give one weight per edge")
        if not all(np.isfinite(w) and w > 0 for w in weights):
            raise ValueError("edge weights must be finite and positive")
    return n


@dataclass(frozen=True)
class Graph:
    """An undirected graph on nodes ``0..n-1`` with positive edge weights (1 when unweighted)."""

    name: str
    n: int
    edges: tuple[tuple[int, int], ...]
    weights: tuple[float, ...]

    @classmethod
    def from_edges(
        cls, name: str, edges: Sequence[Sequence[int]], weights: Sequence[float] | None = None, nodes: int | None = None
    ) -> "Graph":
        n = check_edges(edges, nodes, weights)
        w = tuple(float(x) for x in weights) if weights is not None else (1.0,) * len(edges)
        return cls(name=name, n=n, edges=tuple((int(u), int(v)) for u, v in edges), weights=w)

    @property
    def total_weight(self) -> float:
        return float(sum(self.weights))

    @cached_property
    def adjacency(self) -> np.ndarray:
        """Symmetric weight matrix, shape (n, n)."""
        a = np.zeros((self.n, self.n))
        for (u, v), w in zip(self.edges, self.weights):
            a[u, v] = a[v, u] = w
        return a

    def cut_values(self, z: np.ndarray) -> np.ndarray:
        """Cut weight of each integer-encoded assignment in ``z`` (vectorised over ``z``)."""
        z = np.asarray(z, dtype=np.int64)
        out = np.zeros(z.shape)
        for (u, v), w in zip(self.edges, self.weights):
            out += w * (((z >> u) ^ (z >> v)) & 1)
        return out

    @cached_property
    def cut_table(self) -> np.ndarray:
        """Cut weight of every one of the ``2**n`` assignments; computed once per graph, then cached."""
        return self.cut_values(np.arange(2**self.n, dtype=np.int64))

    @cached_property
    def optimum(self) -> float:
        return float(self.cut_table.max())

    @cached_property
    def optimal_mask(self) -> np.ndarray:
        """Boolean over all assignments: does it reach the optimum (to rounding, for weighted graphs)?"""
        return np.isclose(self.cut_table, self.optimum, rtol=1e-12, atol=1e-9)


@dataclass(frozen=True)
class BruteForce:
    """The exact MaxCut optimum by enumeration. ``count`` includes both sides of each cut (z and ~z)."""

    optimum: float
    count: int
    best: int
    seconds: float


def brute_force(graph: Graph) -> BruteForce:
    """Enumerate all ``2**n`` cuts with numpy (no cache: ``seconds`` is the solver's real cost)."""
    start = time.perf_counter()
    cuts = graph.cut_values(np.arange(2**graph.n, dtype=np.int64))
    best = float(cuts.max())
    optimal = np.isclose(cuts, best, rtol=1e-12, atol=1e-9)
    seconds = time.perf_counter() - start
    return BruteForce(optimum=best, count=int(optimal.sum()), best=int(np.argmax(cuts)), seconds=seconds)


@dataclass(frozen=True)
class LocalSearch:
    """Per-restart results of the one-flip local search."""

    cuts: tuple[float, ...]
    assignments: tuple[int, ...]
    flips: tuple[int, ...]
    seconds: float = field(default=0.0)


def _descend(adjacency: np.ndarray, spins: np.ndarray, rng: np.random.Generator) -> int:
    """Flip single nodes while one improves the cut (best gain, ties broken at random). Returns flips."""
    flips = 0
    while True:
        # flipping node i changes the cut by s_i * (A s)_i: its same-side edges become cut, cut ones uncut
        gain = spins * (adjacency @ spins)
        top = gain.max()
        if top <= 1e-12:
            return flips
        candidates = np.flatnonzero(gain >= top - 1e-12)
        spins[rng.choice(candidates)] *= -1
        flips += 1


def local_search(graph: Graph, restarts: int, rng: np.random.Generator) -> LocalSearch:
    """Randomised one-flip local search: ``restarts`` random starts, each descended to a local optimum.

    Every restart is one trial; a local optimum of one-flip moves cuts at least half of
    the total weight, so the heuristic is a 1/2-approximation at worst.
    """
    start = time.perf_counter()
    powers = 1 << np.arange(graph.n, dtype=np.int64)
    cuts, assignments, flips = [], [], []
    for _ in range(restarts):
        spins = rng.choice(np.array([-1.0, 1.0]), size=graph.n)
        flips.append(_descend(graph.adjacency, spins, rng))
        z = int(powers[spins < 0].sum())
        assignments.append(z)
        cuts.append(float(graph.cut_values(np.array([z]))[0]))
    return LocalSearch(tuple(cuts), tuple(assignments), tuple(flips), time.perf_counter() - start)
