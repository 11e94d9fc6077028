"""Load a suite YAML file into a validated :class:`Suite`, or fail with file:line and the fix."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from harness.errors import SuiteError
from harness.suite.schema import SuiteModel

__all__ = ["SUITE_SUFFIXES", "Suite", "is_suite_file", "load_suite", "load_suites"]


@dataclass(frozen=True)
class Suite:
    """A validated suite with where it came from, so later stages can point at its lines."""

    model: SuiteModel
    path: Path
    sha256: str
    _lines: Mapping[tuple, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.model.suite

    def where(self, *loc: Any) -> str:
        """``file:line`` of the deepest known node on the path ``loc`` (e.g. ``"matrix", "n", 2``)."""
        for depth in range(len(loc), -1, -1):
            line = self._lines.get(tuple(loc[:depth]))
            if line is not None:
                return f"{self.path}:{line}"
        return str(self.path)

    def error(self, loc: Iterable[Any], message: str, hint: str | None = None) -> SuiteError:
        """A :class:`SuiteError` placed at ``loc`` in this file."""
        loc = tuple(loc)
        dotted = ".".join(str(p) for p in loc)
        return SuiteError(f"{self.where(*loc)}: {dotted + ': ' if dotted else ''}{message}", hint=hint)


def _key(key: Any) -> Any:
    """A mapping key as :func:`_plain` keeps it (and so as pydantic reports it): scalars or text."""
    return key if isinstance(key, (int, float, bool)) else str(key)


def _line_map(node: Any, prefix: tuple = (), out: dict | None = None, seen: set | None = None) -> dict:
    """Map each key path of a ruamel round-trip tree to its 1-based line."""
    out = {} if out is None else out
    seen = set() if seen is None else seen
    if id(node) in seen:
        return out
    seen.add(id(node))
    lc = getattr(node, "lc", None)
    if isinstance(node, Mapping):
        for key, value in node.items():
            if lc is not None:
                try:
                    out[prefix + (_key(key),)] = lc.key(key)[0] + 1
                except (KeyError, TypeError):
                    pass
            _line_map(value, prefix + (_key(key),), out, seen)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if lc is not None:
                try:
                    out[prefix + (i,)] = lc.item(i)[0] + 1
                except (KeyError, TypeError, IndexError):
                    pass
            _line_map(value, prefix + (i,), out, seen)
    return out


MAX_VALUES = 100_000
"""Most values a suite may hold once its YAML aliases are expanded (the bundled ones hold a few hundred)."""


class _AliasProblem(ValueError):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def _check_aliases(root: Any) -> None:
    """Refuse cyclic aliases and alias bombs on the composed node graph, before anything is expanded.

    Aliases share nodes, so the graph stays small while its expansion can be exponential ("billion
    laughs"); the expanded size is counted once per node, in time linear in the file. A cyclic alias
    would otherwise be constructed as a silent ``None`` by ruamel.
    """
    size: dict[int, int] = {}
    open_: set[int] = set()

    def visit(node: Any) -> int:
        key = id(node)
        if key in size:
            return size[key]
        if key in open_:
            anchor = f" &{node.anchor}" if getattr(node, "anchor", None) else ""
            raise _AliasProblem(f"the anchor{anchor} is used inside itself (cyclic alias)", node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            children = [c for pair in node.value for c in pair]
        elif isinstance(node, SequenceNode):
            children = node.value
        else:
            children = []
        open_.add(key)
        total = 1
        for child in children:  # a loop, not sum(generator): one stack frame per level of nesting
            total += visit(child)
            if total > MAX_VALUES:
                raise _AliasProblem(f"the file expands to more than {MAX_VALUES} values (YAML aliases nested in "
                                    "aliases?)", node.start_mark.line + 1)
        open_.discard(key)
        size[key] = total
        return total

    if root is not None:
        visit(root)


def _node_line(exc: BaseException) -> str:
    """``:line`` of the innermost YAML node ruamel was constructing when it raised ``exc``, or ``""``.

    ruamel's constructors take the node as their ``node`` argument; its own errors carry no mark.
    """
    line, tb = "", exc.__traceback__
    while tb is not None:
        mark = getattr(tb.tb_frame.f_locals.get("node"), "start_mark", None)
        if mark is not None:
            line = f":{mark.line + 1}"
        tb = tb.tb_next
    return line


def _plain(node: Any, stack: tuple = ()) -> Any:
    """Convert ruamel's commented containers to dicts and lists; refuse cyclic aliases."""
    if isinstance(node, (Mapping, list)):
        if any(node is s for s in stack):
            raise ValueError("a YAML alias refers to one of its own ancestors (cyclic anchor)")
        stack = stack + (node,)
    if isinstance(node, Mapping):
        return {_key(k): _plain(v, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v, stack) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _unportable(node: Any, loc: tuple = ()) -> tuple[tuple, str] | None:
    """Where the first value lies that a run record (strict JSON) cannot hold, and why; else None.

    Every suite value is recorded with the run, so ``.nan``, ``.inf`` and integers beyond 64 bits
    would be accepted here and fail only when the finished run is written.
    """
    if isinstance(node, float) and not math.isfinite(node):
        return loc, f"{node} is not a finite number"
    if isinstance(node, int) and not isinstance(node, bool) and not -(2**63) <= node < 2**63:
        return loc, f"an integer of {node.bit_length()} bits does not fit in 64 bits"
    items = node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = _unportable(value, loc + (key,))
        if found is not None:
            return found
    return None


def _hint_for(err: dict) -> str | None:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "remove the key, or check its spelling against the suite format in README.md"
    if kind == "missing":
        return "add the key"
    if kind == "literal_error":
        return "use one of the values the message lists"
    return None


def load_suite(path: str | Path) -> Suite:
    """Read and validate one suite file.

    Raises:
        SuiteError: the file is missing, is not YAML, or breaks the format; the message
            names the file, the line and the fix.

    Example:
        >>> suite = load_suite("suites/ghz.yaml")  # doctest: +SKIP
        >>> suite.name
        'ghz'
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read the suite file ({exc.strerror})", hint="check the path") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SuiteError(f"{path}:{line}: byte {exc.start} is not UTF-8", hint="save the file as UTF-8") from None
    yaml = YAML(typ="rt", pure=True)
    try:
        node = yaml.compose(text)
        _check_aliases(node)
        tree = yaml.constructor.construct_document(node) if node is not None else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise SuiteError(f"{path}{line}: {problem}", hint="fix the YAML syntax at that line") from None
    except ReaderError as exc:  # a control character: ruamel gives its offset, not a mark
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else "?"
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise SuiteError(f"{path}:{line}: character {char} is not allowed in YAML ({exc.reason})",
                         hint="delete the character, or write it as an escape inside double quotes") from None
    except _AliasProblem as exc:
        raise SuiteError(f"{path}:{exc.line}: {exc}",
                         hint="write the repeated values out, or alias a smaller part") from None
    except (YAMLError, RecursionError) as exc:
        raise SuiteError(f"{path}: invalid YAML ({exc})", hint="fix the YAML syntax") from None
    except (AttributeError, LookupError, TypeError, ValueError) as exc:  # ruamel cannot build it: !!bool maybe, !!set x
        raise SuiteError(f"{path}{_node_line(exc)}: a value cannot be read ({type(exc).__name__}: {exc})",
                         hint="fix the value, or quote it to make it a string") from None
    if not isinstance(tree, Mapping):
        raise SuiteError(f"{path}: a suite must be a mapping with keys suite, workload, matrix, baselines, metrics",
                         hint="see the suites/ folder for examples")
    lines = _line_map(tree)
    try:
        data = _plain(tree)
    except (ValueError, RecursionError) as exc:
        raise SuiteError(f"{path}: {exc}", hint="expand the alias by hand") from None
    suite_stub = Suite(model=None, path=path, sha256="", _lines=lines)  # type: ignore[arg-type]
    try:
        model = SuiteModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise suite_stub.error(loc, first["msg"] + more, hint=_hint_for(first)) from None
    unportable = _unportable(data)
    if unportable is not None:
        raise suite_stub.error(unportable[0], unportable[1], hint="use a finite number that fits in 64 bits") from None
    if ".." in model.suite:  # the name is a folder under baselines/; the store refuses '..' in it too
        raise suite_stub.error(("suite",), f"suite name {model.suite!r} must not contain '..'", hint="rename the suite")
    return Suite(model=model, path=path, sha256=hashlib.sha256(raw).hexdigest(), _lines=lines)


SUITE_SUFFIXES = (".yaml", ".yml")
"""Suite file extensions, matched without regard to case (``ghz.YAML`` is a suite)."""


def is_suite_file(path: str | Path) -> bool:
    """Whether ``path`` has a suite extension, in any case."""
    return Path(path).suffix.lower() in SUITE_SUFFIXES


def load_suites(paths: Iterable[str | Path]) -> list[Suite]:
    """Load suite files and folders (``*.yaml``/``*.yml`` inside, any case); refuse duplicate suite names."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if is_suite_file(q) and q.is_file()))
        else:
            files.append(p)
    if not files:
        raise SuiteError(f"no suite files found in {', '.join(map(str, paths)) or '(nothing given)'}",
                         hint="pass suite files or a folder holding *.yaml suites")
    suites = [load_suite(f) for f in files]
    seen: dict[str, Path] = {}
    for s in suites:
        if s.name in seen:
            raise SuiteError(f"{s.where('suite')}: suite name {s.name!r} is also used by {seen[s.name]}",
                             hint="give each suite a unique name")
        seen[s.name] = s.path
    return suites
