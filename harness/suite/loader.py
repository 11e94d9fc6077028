"""Load a suite YAML file into a validated :class:`Suite`, or fail with file:line and the fix."""

from __future__ import annotations

import errno
import hashlib
import math
import os
import re
import stat
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

__all__ = ["SUITE_SUFFIXES", "Suite", "hint_for", "is_suite_file", "load_suite", "load_suites"]


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
        # escaped: a key may hold what no terminal can print (a lone surrogate)
        dotted = ".".join(str(p) for p in loc).encode("utf-8", "backslashreplace").decode("utf-8")
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unportable(node: Any, loc: tuple = ()) -> tuple[tuple, str] | None:
    """Where the first value lies that a run record (strict JSON) cannot hold, and why; else None.

    Every suite value is recorded with the run, so ``.nan``, ``.inf`` and integers beyond 64 bits
    would be accepted here and fail only when the finished run is written.
    """
    if isinstance(node, float) and not math.isfinite(node):
        return loc, f"{node} is not a finite number"
    if isinstance(node, int) and not isinstance(node, bool) and not -(2**63) <= node < 2**63:
        return loc, f"an integer of {node.bit_length()} bits does not fit in 64 bits"
    if isinstance(node, str) and _SURROGATE.search(node):
        found = _SURROGATE.search(node).group()
        return loc, f"the text holds a lone surrogate (\\u{ord(found):04x}), which no UTF-8 file can hold"
    items = node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(key, str) and _SURROGATE.search(key):
            return loc + (key,), "the key holds a lone surrogate, which no UTF-8 file can hold"
        found = _unportable(value, loc + (key,))
        if found is not None:
            return found
    return None


_BOUNDS = {"ge": "of at least {}", "gt": "above {}", "le": "of at most {}", "lt": "below {}"}
_TYPES = {"int": "a whole number such as 3", "float": "a number such as 0.5", "bool": "true or false",
          "string": "a string (quote it if it reads as a number)", "list": "a list, [a, b]",
          "dict": "a mapping, {key: value}"}


def hint_for(err: dict) -> str:
    """The fix for one pydantic error of a suite's (or a workload's) model: what to write instead."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "remove the key, or check its spelling against the suite format in README.md"
    if kind == "missing":
        return "add the key"
    if kind == "literal_error":
        return "use one of the values the message lists"
    bound = next((k for k in _BOUNDS if k in ctx), None)
    if bound is not None:
        return f"use a value {_BOUNDS[bound].format(ctx[bound])}"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"give {'at least' if kind == 'too_short' else 'at most'} {limit} item(s)"
    if kind == "string_pattern_mismatch":
        return f"change the value to match {ctx.get('pattern')} (letters, digits and the characters it allows)"
    if kind == "int_from_float":
        return "write a whole number"
    base = kind.rsplit("_", 1)[0]
    if base in _TYPES:
        return f"write {_TYPES[base]}"
    return "fix the value (see the suite format in README.md)"


MAX_SUITE_BYTES = 1 << 20
"""Largest suite file read (1 MiB; the bundled ones are under 2 KiB): a link to ``/dev/zero`` is refused, not read."""


def _read_suite_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_SUITE_BYTES`; a FIFO or device is refused unopened.

    The file is opened without blocking and checked again on its descriptor, so a FIFO swapped in
    after the first look cannot hang the read either.
    """
    shown = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                    or stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a file")
            raise SuiteError(f"{shown}: the suite is {kind}, not a regular file", hint="pass a .yaml file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise SuiteError(f"{shown}: the suite is not a regular file", hint="pass a .yaml file")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(MAX_SUITE_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        hint = "use a shorter path (each name at most 255 bytes)" if exc.errno == errno.ENAMETOOLONG else "check the path"
        raise SuiteError(f"{shown}: cannot read the suite file ({reason})", hint=hint) from None
    if len(raw) > MAX_SUITE_BYTES:
        raise SuiteError(f"{shown}: the suite file is larger than {MAX_SUITE_BYTES // 1024} KiB",
                         hint="a suite is a short YAML file; split it, or check that the path is the suite")
    return raw


SHOTS_KEYS = ("shots", "eval_shots")
"""Matrix and option keys holding a number of shots: integers from 1 to the project's ``max-shots``."""


def _check_shots(suite: Suite, model: SuiteModel) -> None:
    """Refuse shots that are not whole numbers (``true``, ``2e2``) or lie outside 1..max_shots, at their line."""
    from harness.config import load_config

    limit = load_config(suite.path.parent).max_shots
    places = [(("matrix", key, i), v) for key in SHOTS_KEYS for i, v in enumerate(model.matrix.get(key, ()))]
    places += [(("options", key), model.options[key]) for key in SHOTS_KEYS if key in model.options]
    for loc, value in places:
        if value is None and loc[0] == "options":
            continue  # an option left unset: the workload's default
        if isinstance(value, bool) or not isinstance(value, int):
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            raise suite.error(loc, f"shots must be a whole number, not {shown} ({type(value).__name__})",
                              hint="write an integer such as 4000 (not true, 4000.0 or 4e3)")
        if not 1 <= value <= limit:
            raise suite.error(loc, f"shots {value} is outside 1..{limit}",
                              hint="use fewer shots, or raise [tool.qharness] max-shots in pyproject.toml")


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
    raw = _read_suite_bytes(path)
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
    unportable = _unportable(data)
    if unportable is not None:
        hint = ("write the character itself, or a valid escape pair (\\ud83d\\ude00)" if "surrogate" in unportable[1]
                else "use a finite number that fits in 64 bits")
        raise suite_stub.error(unportable[0], unportable[1], hint=hint) from None
    try:
        model = SuiteModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise suite_stub.error(loc, first["msg"] + more, hint=hint_for(first)) from None
    _check_shots(suite_stub, model)
    if ".." in model.suite:  # the name is a folder under baselines/; the store refuses '..' in it too
        raise suite_stub.error(("suite",), f"suite name {model.suite!r} must not contain '..'", hint="rename the suite")
    return Suite(model=model, path=path, sha256=hashlib.sha256(raw).hexdigest(), _lines=lines)


SUITE_SUFFIXES = (".yaml", ".yml")
"""Suite file extensions, matched without regard to case (``ghz.YAML`` is a suite)."""


def is_suite_file(path: str | Path) -> bool:
    """Whether ``path`` has a suite extension, in any case."""
    return Path(path).suffix.lower() in SUITE_SUFFIXES


def _once(files: list[Path]) -> list[Path]:
    """``files`` with each file kept once, in order: ``suites/ suites/ghz.yaml`` names ghz.yaml twice."""
    seen, kept = set(), []
    for f in files:
        try:
            st = f.stat()
            key = (st.st_dev, st.st_ino)
        except OSError:
            key = str(f)  # load_suite names what is wrong with it
        if key not in seen:
            seen.add(key)
            kept.append(f)
    return kept


def load_suites(paths: Iterable[str | Path]) -> list[Suite]:
    """Load suite files and folders (``*.yaml``/``*.yml`` inside, any case), each file once; refuse duplicate
    suite names."""
    files: list[Path] = []
    for p in map(Path, paths):
        try:
            folder = stat.S_ISDIR(p.stat().st_mode)
            found = sorted(q for q in p.iterdir() if is_suite_file(q) and q.is_file()) if folder else [p]
        except FileNotFoundError:
            found = [p]  # load_suite names it
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            hint = ("use a shorter path (each name at most 255 bytes)" if exc.errno == errno.ENAMETOOLONG
                    else "check the path and its permissions")
            raise SuiteError(f"{p}: cannot read the suite path ({reason})", hint=hint) from None
        files.extend(found)
    files = _once(files)
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
