"""Build once: pass managers and transpiled circuits are shared per (backend, level, seed) in a process,
without changing what a device transpiles or samples."""

from __future__ import annotations

from qiskit import QuantumCircuit

from harness.executors import runtime
from harness.executors.runtime import RuntimeDevice, fake_backend_classes, fake_backend_names, pass_manager


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def test_fake_backend_names_listed_without_import_agree_with_the_classes():
    assert fake_backend_names() == frozenset(fake_backend_classes())


def test_pass_manager_built_once_per_backend_level_seed():
    a = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=11, seed_simulator=1)
    b = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=11, seed_simulator=2)
    first = pass_manager(a._backend, a.name, 1, 11)
    assert pass_manager(b._backend, b.name, 1, 11)[0] is first[0]
    assert pass_manager(a._backend, a.name, 2, 11)[0] is not first[0]
    assert pass_manager(a._backend, a.name, 1, 12)[0] is not first[0]
    assert pass_manager(a._backend, a.name, 1, 11, physical=True)[0] is not first[0]
    # the second device reuses the first's transpiled circuit: same object, no second pass-manager run
    assert b.transpile(ghz(4)) is a.transpile(ghz(4))


def test_shared_transpilation_equals_a_fresh_one():
    from qiskit.transpiler import generate_preset_pass_manager

    dev = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=5, seed_simulator=1)
    fresh = generate_preset_pass_manager(optimization_level=1, backend=dev._backend, seed_transpiler=5).run(ghz(3))
    assert dev.transpile(ghz(3)) == fresh
    assert RuntimeDevice("fake_manila", 1, 5, 9).transpile(ghz(3)) == fresh
    assert any(k[:3] == ("fake_manila", 1, 5) for k in runtime._ISA)


def test_samples_unchanged_when_the_transpilation_is_shared():
    one = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=7, seed_simulator=3).sample(ghz(3), 2000)
    runtime._ISA.clear()
    runtime._PMS.clear()
    again = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=7, seed_simulator=3).sample(ghz(3), 2000)
    assert one == again
