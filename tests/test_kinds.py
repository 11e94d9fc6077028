"""The shared tables of harness.kinds, and that no other harness module spells their names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import kinds
from harness.kinds import (
    BASELINE_KINDS,
    FALLBACK_CHAIN,
    IBM_PREFIX,
    METRIC_KINDS,
    PROVIDERS,
    TIER_KINDS,
    TIERS,
    backend_name,
    declared_kinds,
    is_real_backend,
    kind_order,
    provider_of,
    stands_in,
    tier_of,
)
from harness.suite.schema import Baselines

PACKAGE = Path(kinds.__file__).parent

FORBIDDEN = frozenset(BASELINE_KINDS) | frozenset(TIERS)
"""String constants that must come from harness.kinds (exact match)."""

ALLOWED: dict[tuple[str, str], str] = {
    ("executors/runtime.py", "simulator"): "qiskit-ibm-runtime's own SamplerV2 options namespace, not our tier",
    ("workloads/custom.py", "classical"): "the Workload protocol's method name, checked by getattr",
}
"""Literal uses outside kinds.py that are another thing with the same spelling, with the reason."""


def test_tier_tables_agree():
    assert TIERS == ("classical", "simulator", "hardware")
    assert BASELINE_KINDS == ("classical", "simulator", "hardware.raw", "hardware.mitigated")
    assert [tier_of(k) for k in BASELINE_KINDS] == ["classical", "simulator", "hardware", "hardware"]
    assert all(tier_of(k) == t for t, ks in TIER_KINDS.items() for k in ks)
    # every tier falls back only to tiers later in the run order, ending at the classical one
    for tier, chain in FALLBACK_CHAIN.items():
        assert all(TIERS.index(t) < TIERS.index(tier) for t in chain)
    assert set(FALLBACK_CHAIN) == set(TIERS)
    assert [kind_order(k) for k in BASELINE_KINDS] == [0, 1, 2, 3]
    assert kind_order("unknown.kind") == len(BASELINE_KINDS)


def test_stand_in_and_declared_kinds():
    assert not stands_in("hardware", "hardware.mitigated")
    assert stands_in("simulator", "hardware.raw")
    assert stands_in("classical", "simulator")
    b = Baselines.model_validate({"classical": {}, "hardware": {"backend": "fake_manila"}})
    assert declared_kinds(b) == ("classical", "hardware.raw", "hardware.mitigated")
    # the suite schema has one block per tier, under the tier's own name
    assert set(TIERS) <= set(Baselines.model_fields)


@pytest.mark.parametrize("backend, provider, real, name", [
    ("fake_manila", "fake", False, "fake_manila"),
    ("ibm:ibm_brisbane", "ibm", True, "ibm_brisbane"),
    ("ibmq_fake", "fake", False, "ibmq_fake"),  # a prefix must match whole, with its colon
    ("google:rainbow", "google", False, "rainbow"),  # simulated locally from cirq-google's shipped calibration
])
def test_backend_providers(backend, provider, real, name):
    assert provider_of(backend) == provider
    assert is_real_backend(backend) is real
    assert backend_name(backend) == name


def test_metric_kinds_each_have_a_test():
    assert set(METRIC_KINDS) == set(kinds.METRIC_TESTS)
    assert set(kinds.EXCESS_KINDS) == {"proportion", "expectation", "distribution"}


def _docstring_ids(tree: ast.AST) -> set[int]:
    """ids of the constants that are docstrings: of modules, classes, functions and attributes."""
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            ids.add(id(body[0].value))
        for stmt, after in zip(body, body[1:]):  # an attribute docstring follows its assignment
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(after, ast.Expr) \
                    and isinstance(after.value, ast.Constant):
                ids.add(id(after.value))
    return ids


def literal_uses(source: str) -> list[tuple[int, str]]:
    """(line, constant) of every tier or baseline-kind name, or backend prefix, spelled in ``source``."""
    tree = ast.parse(source)
    docs = _docstring_ids(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if node.value in FORBIDDEN or any(prefix in node.value for prefix in PROVIDERS):
                hits.append((node.lineno, node.value))
    return hits


def test_the_scanner_finds_literals_and_skips_docstrings():
    source = ('"""Module: hardware."""\nX = 1\n"""simulator"""\n'
              'def f(t):\n    """classical"""\n    return t == "hardware.raw" or f"ibm:{t}"\n')
    assert literal_uses(source) == [(6, "hardware.raw"), (6, "ibm:")]


def test_no_tier_or_prefix_literal_outside_kinds():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "kinds.py":
            continue
        for line, value in literal_uses(path.read_text()):
            if (rel, value) not in ALLOWED:
                found.append(f"harness/{rel}:{line}: {value!r}")
    assert not found, "import these names from harness.kinds instead:\n" + "\n".join(found)


def test_every_allowed_exception_is_still_needed():
    for (rel, value), why in ALLOWED.items():
        assert why
        assert any(v == value for _, v in literal_uses((PACKAGE / rel).read_text())), (
            f"harness/{rel} no longer spells {value!r}: remove it from ALLOWED")


def test_every_provider_has_a_device():
    from harness.executors import HARDWARE_DEVICES

    assert set(HARDWARE_DEVICES) == {*PROVIDERS.values(), kinds.DEFAULT_PROVIDER}
    for target in HARDWARE_DEVICES.values():
        module, _, name = target.partition(":")
        assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_every_tier_has_a_seed_stream_and_a_new_one_moves_no_seed(monkeypatch):
    from harness import lineage

    assert set(TIERS) <= set(lineage.SEED_STREAMS)
    before = lineage.derive_seeds(2026, "n=3,shots=4000")
    monkeypatch.setattr(lineage, "SEED_STREAMS", (*lineage.SEED_STREAMS, "a_new_tier"))
    after = lineage.derive_seeds(2026, "n=3,shots=4000")
    assert {k: after[k] for k in before} == before and "a_new_tier" in after
