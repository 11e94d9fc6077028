"""The import layers of DESIGN.md, checked by walking every module's imports (function-level and
``TYPE_CHECKING`` ones included): a layer imports only from the layers above it or its own, and no
two modules import each other, directly or round a longer cycle."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import harness

PACKAGE = Path(harness.__file__).parent

LAYERS: dict[str, int] = {
    # 1: plain values, tables and schema; no quantum SDK
    "errors": 1, "records": 1, "lineage": 1, "kinds": 1, "suite": 1,
    "config": 1,  # the suite-loading settings of [tool.qharness], read as the suite loader reads suites
    "homogeneity": 1,  # a pure statistical test shared by drift (3) and the cirq cross-check (2)
    # 2: problems, devices, mitigation: the only layer that touches SDKs
    "workloads": 2, "executors": 2, "mitigation": 2,
    # 3: scheduling, storage, statistics over records
    "orchestration": 3, "store": 3, "drift": 3,
    # 4: rendering
    "report": 4,
    # 5: entry points (the package's lazy public API is one: it names modules of every layer)
    "cli": 5, "pytest_plugin": 5, "asv_bridge": 5, "commands": 5, "": 5,
}
"""Layer of each top-level part of ``harness`` ("" is ``harness/__init__.py``)."""

@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int
    type_only: bool

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} (line {self.line}{', TYPE_CHECKING' if self.type_only else ''})"


def module_name(path: Path) -> str:
    parts = ["harness", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The harness module ``name`` refers to (a module, or the package whose attribute it is)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, source: str) -> list[Edge]:
    """Every import of a harness module in ``source``, wherever it is (module, function, class level)."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    edges: list[Edge] = []

    def add(target: str, node: ast.stmt, type_only: bool) -> None:
        resolved = _resolve(target)
        edge = Edge(module, resolved, node.lineno, type_only)
        if resolved is not None and resolved != module and edge not in edges:
            edges.append(edge)

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, type_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # "from harness.mitigation import raw" imports the submodule when there is one
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node, type_only)
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(source), False)
    if module == "harness":  # the lazy public API names its modules as strings
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_EXPORTS" for t in node.targets):
                for value in node.value.values:
                    add(value.value, node, False)
    return edges


def layer_of(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    assert part in LAYERS, f"{module} belongs to no layer: add harness/{part} to LAYERS (and to DESIGN.md)"
    return LAYERS[part]


def all_edges() -> list[Edge]:
    return [e for m, p in MODULES.items() for e in imports_of(m, p.read_text())]


def cycles(edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in edges:
        graph[e.importer].add(e.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_the_walker_sees_every_kind_of_import():
    MODULES.setdefault("harness.report.fake_module", PACKAGE / "report" / "fake_module.py")
    try:
        source = ("from __future__ import annotations\nfrom typing import TYPE_CHECKING\nimport harness.kinds\n"
                  "from ..records import Result\nfrom harness.mitigation import raw\n"
                  "if TYPE_CHECKING:\n    from harness.cli import main\n"
                  "def f():\n    from harness.store.runs import write_run\n    import numpy\n")
        got = [(e.imported, e.line, e.type_only) for e in imports_of("harness.report.fake_module", source)]
    finally:
        del MODULES["harness.report.fake_module"]
    assert got == [("harness.kinds", 3, False), ("harness.records", 4, False), ("harness.mitigation.raw", 5, False),
                   ("harness.cli", 7, True), ("harness.store.runs", 9, False)]


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    a, b, c = "harness.kinds", "harness.records", "harness.errors"
    edges = [Edge(a, b, 1, False), Edge(b, c, 1, False), Edge(c, a, 1, False), Edge("harness.suite", a, 1, False)]
    assert cycles(edges) == [sorted([a, b, c])]


def test_every_module_has_a_layer():
    assert [m for m in MODULES if (m.split(".")[1] if "." in m else "") not in LAYERS] == []


def test_a_layer_imports_only_from_the_layers_above_it():
    wrong = [f"{e}: layer {layer_of(e.importer)} imports layer {layer_of(e.imported)}"
             for e in all_edges() if layer_of(e.imported) > layer_of(e.importer)]
    assert not wrong, "imports against DESIGN.md's layers:\n" + "\n".join(wrong)


def test_no_import_cycles():
    """TYPE_CHECKING imports count too: a cycle of types is still two modules that need each other."""
    edges = all_edges()
    found = cycles(edges)
    detail = [" <-> ".join(c) + "\n    " + "\n    ".join(str(e) for e in edges if e.importer in c and e.imported in c)
              for c in found]
    assert not found, "import cycles:\n" + "\n".join(detail)

