"""Generators of malformed suite files, and the oracle every one of them must satisfy.

Shared by the property tests in this folder and by ``benchmarks/fuzz_suites.py``. Inputs come in
families, so a run covers each kind of damage rather than mostly random noise:

- ``mutated``: a bundled suite with 1-3 structural mutations (a key deleted, a value's type changed,
  an unknown key inserted at any level, unknown workloads and backends, empty or huge matrices),
  written back as YAML or JSON;
- ``corrupted``: a bundled suite's text with characters deleted, inserted or swapped, lines
  duplicated or re-indented, YAML tags, anchors and aliases spliced in;
- ``hostile``: alias bombs, cyclic anchors, deep nesting, very long strings and numbers, ``!!python``
  tags, non-UTF-8 and control bytes, other encodings;
- ``shapes``: what is hostile about the file rather than its text (a FIFO, a link to a device or
  to a huge file, a path over 255 bytes) and values that reach outside the suite (lone surrogates
  in any string, workloads naming paths, ``..``, or modules on ``sys.path``, shots that are
  booleans, floats or 10^12, nesting inside those), each built by :func:`write_shape`.

The oracle, :func:`outcome`: loading, expanding and planning a file either succeeds or raises a
:class:`~harness.errors.SuiteError` / :class:`~harness.errors.UnsupportedError` whose message starts
with the file's path. Anything else propagates: that is a crash.
"""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from ruamel.yaml import YAML

from harness.errors import HarnessError, SuiteError, UnsupportedError
from harness.orchestration.plan import plan_suite
from harness.suite import expand, load_suite

__all__ = ["BUNDLED", "LINE", "NO_PLACE", "alias_bomb", "any_input", "corrupted", "hostile", "mutated", "outcome",
           "placed", "shapes", "write_input", "write_shape"]

ROOT = Path(__file__).resolve().parents[2]
BUNDLED: dict[str, str] = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "suites").glob("*.yaml"))}
"""The valid suites shipped in ``suites/``: every mutation starts from one of them."""

CUSTOM_MODULES = sorted((ROOT / "suites").glob("*.py"))
"""Custom workload modules (``module:Class``) that bundled suites use, found next to them."""

_safe = YAML(typ="safe", pure=True)
_TREES = {name: _safe.load(text) for name, text in BUNDLED.items()}

LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): ")
"""``file:line:`` at the start of a message."""


NO_PLACE = re.compile(r": (\w+: Field required|a suite must be a mapping|invalid YAML \(maximum recursion depth|"
                      r"the suite is (a FIFO|a device|a socket|not a)|cannot read the suite (file|path)|"
                      r"the suite file is larger)")
"""Refusals with no line to give: a key that is absent, or the document as a whole."""


def outcome(path: Path) -> tuple[str, str | None]:
    """``("valid", None)`` or ``("refused", message)``; ``AssertionError`` on a bad refusal; crashes propagate.

    A refusal must be a SuiteError or UnsupportedError (the only HarnessErrors bad input may cause),
    start with the file's path and carry no traceback. An accepted suite must fit in a run record.
    """
    try:
        suite = load_suite(path)
        expand(suite)
        plan = plan_suite(suite)
    except HarnessError as exc:
        text = str(exc)
        assert isinstance(exc, (SuiteError, UnsupportedError)), f"{type(exc).__name__}: {text}"
        assert text.startswith(str(path)), f"message does not name the file: {text[:300]!r}"
        assert "Traceback" not in text, text[:300]
        return "refused", text
    _recordable(plan)
    return "valid", None


def placed(path: Path, message: str) -> bool:
    """Does a refusal give ``file:line``, or is it one that has no line to give?"""
    match = LINE.match(message)
    return bool(match and match["path"] == str(path)) or bool(NO_PLACE.match(message[len(str(path)):]))


def _recordable(plan: Any) -> None:
    """An accepted suite must fit in a run record: what the runner stores of it is strict JSON."""
    stored = {
        "seed": plan.suite.model.seed,
        "metrics": plan.metric_specs(),
        "options": plan.options.model_dump(mode="json"),
        "params": [cp.params.model_dump(mode="json") for cp in plan.cases],
        "case_ids": [cp.case.case_id for cp in plan.cases],
    }
    try:
        json.dumps(stored, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"accepted, but a run record could not hold it: {exc}") from None


def write_input(folder: Path, data: str | bytes, name: str = "suite.yaml") -> Path:
    """Write one generated input (text as UTF-8, bytes as they are) and return its path.

    The bundled suites' custom workload modules are copied next to it, so mutations of a suite
    that names ``module:Class`` get as far as its matrix.
    """
    for module in CUSTOM_MODULES:
        target = folder / module.name
        if not target.exists():
            target.write_bytes(module.read_bytes())
    path = folder / name
    if isinstance(data, str):
        # surrogates (from "\ud800"-style escapes in generated text) cannot be UTF-8: write them as invalid bytes
        path.write_bytes(data.encode("utf-8", errors="surrogatepass"))
    else:
        path.write_bytes(data)
    return path


# -- mutated: structure-aware damage to a bundled suite --------------------------------------------------------

_names = st.from_regex(r"[a-z_][a-z0-9_]{0,11}", fullmatch=True)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), _names, st.sampled_from(["", "..", "../x", "/etc/passwd", "a\\b", "a\0b", "yes", "0x1F"]),
)
_junk = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_names, inner, max_size=4), max_leaves=12
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a plain tree of dicts and lists (the root is ``()``)."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _get(tree: Any, path: tuple) -> Any:
    for p in path:
        tree = tree[p]
    return tree


@st.composite
def _mutate(draw: st.DrawFn, tree: dict) -> dict:
    tree = copy.deepcopy(tree)
    path = draw(st.sampled_from(_paths(tree)))
    kind = draw(st.sampled_from(["delete", "retype", "insert", "workload", "backend", "matrix"]))
    if kind == "delete" and path:
        parent = _get(tree, path[:-1])
        del parent[path[-1]]
    elif kind == "retype" and path:
        _get(tree, path[:-1])[path[-1]] = draw(_junk)
    elif kind == "insert":
        # an unknown key at this level (or, in a list, an unknown extra item)
        node = _get(tree, path)
        if isinstance(node, dict):
            node[draw(_names.filter(lambda k: k not in node))] = draw(_junk)
        elif isinstance(node, list):
            node.insert(draw(st.integers(0, len(node))), draw(_junk))
        else:
            tree[draw(_names.filter(lambda k: k not in tree))] = draw(_junk)
    elif kind == "workload":
        # no ':' from random text: ``module:Class`` imports a module, and the fuzzer must not import
        # arbitrary ones (some have side effects at import); fixed module:Class names cover that path
        tree["workload"] = draw(st.one_of(
            st.text(max_size=30).map(lambda t: t.replace(":", "")), _names,
            st.sampled_from(["GHZ", "maxcut", "ghz ", "custom_workload:Nope", "no_such_module:X", ":", "a:",
                             "harness.errors:SuiteError", "custom_workload:BernsteinVazirani"]),
        ))
    elif kind == "backend":
        # an earlier mutation may have made baselines (or the tree's hardware block) junk: only a mapping
        # gets a backend
        baselines = tree.setdefault("baselines", {})
        hw = baselines.setdefault("hardware", {}) if isinstance(baselines, dict) else None
        if isinstance(hw, dict):
            hw["backend"] = draw(st.one_of(st.text(max_size=30), st.sampled_from(["fake_manilla", "ibm:", "fake_"])))
    else:  # the matrix: empty, a huge product, empty lists, one huge list, scalars for lists
        tree["matrix"] = draw(st.one_of(
            st.just({}),
            st.just({"n": [], "shots": [1]}),
            st.builds(lambda a, b: {"n": list(range(a)), "shots": list(range(1, b + 1))},
                      st.integers(1, 300), st.integers(1, 300)),
            st.dictionaries(_names, st.lists(_scalars, max_size=5), max_size=4),
            st.dictionaries(_names, _junk, max_size=3),
        ))
    return tree


def _dump(tree: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(tree, default=str)
    out = io.StringIO()
    _safe.dump(tree, out)
    return out.getvalue()


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A bundled suite with one to three structural mutations, as YAML or JSON text."""
    tree = _TREES[draw(st.sampled_from(sorted(_TREES)))]
    for _ in range(draw(st.integers(1, 3))):
        tree = draw(_mutate(tree))
    return _dump(tree, draw(st.booleans()))


# -- corrupted: text-level damage -------------------------------------------------------------------------------

_SPLICES = [
    ":", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "*nope", "!!python/object/apply:os.system ['true'] ",
    "!!python/name:os.system ", "!foo ", "!!binary ", "!!set ", "!!omap ", "<<: ", "? ", "|", ">", "'", '"', "#",
    "\t", "\n", "\n  ", "%YAML 1.1\n", "---\n", "...\n", "\\", "\ufeff", "\x00", "\x85", "\u2028", "@", "`",
]


@st.composite
def corrupted(draw: st.DrawFn) -> str:
    """A bundled suite's text with one to four character- or line-level edits."""
    text = BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "splice", "line", "indent", "swap"]))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        elif op == "insert":
            text = text[:i] + draw(st.text(min_size=1, max_size=8)) + text[i:]
        elif op == "splice":
            text = text[:i] + draw(st.sampled_from(_SPLICES)) + text[i:]
        elif op == "swap" and i < len(text):
            text = text[:i] + draw(st.characters()) + text[i + 1:]
        else:
            lines = text.split("\n")
            j = draw(st.integers(0, len(lines) - 1))
            if op == "line":
                lines.insert(j, lines[draw(st.integers(0, len(lines) - 1))])
            else:
                lines[j] = " " * draw(st.integers(0, 6)) + lines[j].lstrip()
            text = "\n".join(lines)
    return text


# -- hostile: constructed attacks -------------------------------------------------------------------------------

def alias_bomb(levels: int, width: int, where: str = "options") -> str:
    """A 'billion laughs' document: ``width ** levels`` leaves from a few hundred bytes, under ``where``."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    body = "\n".join("  " + line for line in lines)
    return BUNDLED["ghz.yaml"] + f"{where}:\n{body}\n"


_CYCLES = [
    "a: &x [*x]\n",
    "a: &x {b: *x}\n",
    "suite: &x [1, [2, *x]]\n",
    "a: &x {b: {c: [*x]}}\n",
    "options: &o {eval_shots: *o}\n",
    "matrix: &m {n: [3], shots: *m}\n",
    "x: &x\n  <<: *x\n",
]


@st.composite
def hostile(draw: st.DrawFn, max_depth: int = 400) -> str | bytes:
    """One constructed attack on the loader; flow nesting up to ``max_depth`` levels.

    ruamel's scanner is quadratic in flow nesting until the parser's recursion gives up (about
    5 s at 2000 levels, no more beyond), so the default keeps CI fast; a dedicated test covers 2000.
    """
    base = BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))]
    kind = draw(st.sampled_from(["bomb", "cycle", "deep", "long", "number", "tag", "bytes", "encoding", "matrix"]))
    if kind == "bomb":
        return alias_bomb(draw(st.integers(2, 12)), draw(st.integers(2, 10)),
                          draw(st.sampled_from(["options", "matrix", "description", "junk"])))
    if kind == "cycle":
        cycle = draw(st.sampled_from(_CYCLES))
        return cycle if draw(st.booleans()) else _replace_top(base, cycle)
    if kind == "deep":
        depth = draw(st.integers(10, max_depth))
        style = draw(st.sampled_from(["flow-seq", "flow-map", "block-map", "block-seq"]))
        if style == "flow-seq":
            nested = "[" * depth + "1" + "]" * depth
        elif style == "flow-map":
            nested = "{a: " * depth + "1" + "}" * depth
        elif style == "block-map":
            depth = min(depth, 400)
            nested = "\n" + "".join(" " * (2 * (d + 1)) + "a:\n" for d in range(depth)) + " " * (2 * depth + 2) + "1"
        else:
            depth = min(depth, 400)
            nested = "\n" + "".join(" " * (2 * (d + 1)) + "-\n" for d in range(depth)) + " " * (2 * depth + 2) + "1"
        return base + f"{draw(st.sampled_from(['options', 'junk', 'description']))}: {nested}\n"
    if kind == "long":
        size = draw(st.sampled_from([10**3, 10**5, 10**6]))
        blob = draw(st.sampled_from(["a", "é", "../", "\\", "x "])) * (size // 3)
        where = draw(st.sampled_from(["suite", "workload", "description", "backend", "key", "label"]))
        if where == "key":
            return base + f"{blob.strip() or 'k'}: 1\n"
        if where == "label":
            return re.sub(r"shots: \[\d+\]", lambda _: f"shots: ['{blob}']", base, count=1)
        if where == "backend":
            return re.sub(r"backend: \S+", f"backend: '{blob}'", base)
        return _replace_top(base, f"{where}: '{blob}'\n")
    if kind == "number":
        digits = draw(st.integers(300, 20_000))
        number = draw(st.sampled_from(["9" * digits, "0x" + "f" * digits, "1." + "9" * digits, "1e" + "9" * 6,
                                       "-" + "1_" * (digits // 2) + "1", "0o" + "7" * digits]))
        return re.sub(r"shots: \[\d+\]", lambda _: f"shots: [{number}]", base, count=1) if draw(st.booleans()) else \
            re.sub(r"seed: \d+", f"seed: {number}", base)
    if kind == "tag":
        tag = draw(st.sampled_from([
            "!!python/object/apply:os.system ['true']", "!!python/object:collections.OrderedDict {}",
            "!!python/name:builtins.eval", "!!python/module:os", "!!binary aGVsbG8=", "!!timestamp 2020-13-45",
            "!!int nope", "!!float nope", "!!bool maybe", "!!null x", "!!str", "!custom {a: 1}", "!<tag:x> 1",
            "2020-13-45", "2020-02-30 25:61:61", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1, a: 2]",
            "!!omap x", "!!set x", "!!omap", "!!int", "!!float", "!!bool '1'", "!!map x", "!!seq x", "!!str [1]",
        ]))
        where = draw(st.sampled_from(["suite", "seed", "workload", "matrix", "options", "baselines"]))
        return _replace_top(base, f"{where}: {tag}\n")
    if kind == "bytes":
        raw = base.encode()
        i = draw(st.integers(0, len(raw)))
        return raw[:i] + draw(st.binary(min_size=1, max_size=6)) + raw[i:]
    if kind == "encoding":
        enc = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]))
        return base.replace("description: >-", "description: >-\n  Übergröße café").encode(enc, errors="replace")
    # matrix: a huge single list, or many parameters
    n = draw(st.integers(1, 20_000))
    return _replace_top(base, "matrix:\n  n: [" + ", ".join(map(str, range(n))) + "]\n  shots: [100]\n")


# -- shapes: hostile files and values that reach outside the suite --------------------------------------------------

_SURROGATES = ["\\ud800", "\\udfff", "\\udcff", "a\\ud83dz", "\\ude00x"]
_MODULES = ["..:X", ".:X", "../up:X", "/abs/path/evil:Evil", "/etc/passwd:X", "a/b:C", "~/.x:Y", "x..y:Z", "mod.:Z",
            ".hidden:X", "os:getcwd", "json:JSONDecoder", "subprocess:Popen", "harness.cli:main", "sys:exit",
            "custom_workload:BernsteinVazirani", "custom_workload:Nope", "C:\\\\evil:X", "mod:Cls:extra", ":X", "m:"]
_SHOTS = ["true", "false", "2e2", "200.0", "4000.5", "1e12", "1000000000000", "0", "-1", "'100'", "null", "[100]",
          "{a: 1}", ".inf", "0x10", "1_000", "10000000", "10000001"]


@st.composite
def shapes(draw: st.DrawFn) -> tuple[str, Any]:
    """One hostile shape: ``(kind, detail)``, made into a file by :func:`write_shape`."""
    kind = draw(st.sampled_from(["fifo", "device", "big", "long-path", "surrogate", "module", "shots", "nested"]))
    base = draw(st.sampled_from(sorted(BUNDLED)))
    if kind == "fifo":
        return kind, None
    if kind == "device":
        return kind, draw(st.sampled_from(["/dev/zero", "/dev/null", "/dev/urandom", "/dev/full"]))
    if kind == "big":
        return kind, draw(st.sampled_from([(1 << 20) + 1, 4 << 20]))
    if kind == "long-path":
        return kind, draw(st.sampled_from([256, 300, 1000, 5000]))
    if kind == "surrogate":
        where = draw(st.sampled_from(["description", "suite", "workload", "key", "label", "option", "backend"]))
        return kind, (BUNDLED[base], where, draw(st.sampled_from(_SURROGATES)))
    if kind == "module":
        return kind, (BUNDLED[base], draw(st.sampled_from(_MODULES)))
    if kind == "shots":
        return kind, (BUNDLED[base], draw(st.sampled_from(_SHOTS)), draw(st.sampled_from(["matrix", "eval_shots"])))
    depth = draw(st.integers(2, 50))
    return kind, (BUNDLED[base], depth, draw(st.sampled_from(_SURROGATES + _MODULES[:4])))


def write_shape(folder: Path, shape: tuple[str, Any]) -> Path:
    """Make the file of one :func:`shapes` draw in ``folder`` and return the path to load."""
    import os

    kind, detail = shape
    path = folder / "suite.yaml"
    for old in (path, folder / "shaped.yaml"):
        if old.is_symlink() or old.exists():
            old.unlink()
    if kind == "fifo":
        os.mkfifo(path)
        return path
    if kind == "device":
        path.symlink_to(detail)
        return path
    if kind == "big":
        target = folder / "big.bin"
        if not target.exists() or target.stat().st_size != detail:
            target.write_bytes(b"#" * detail)
        path.symlink_to(target)
        return path
    if kind == "long-path":
        return folder / ("a" * (detail - 5) + ".yaml")
    text = detail[0]
    if kind == "surrogate":
        _, where, bad = detail
        edits = {
            "description": lambda t: _replace_top(t, f'description: "x{bad}"\n'),
            "suite": lambda t: _replace_top(t, f'suite: "s{bad}"\n'),
            "workload": lambda t: _replace_top(t, f'workload: "w{bad}:X"\n'),
            "key": lambda t: t + f'"k{bad}": 1\n',
            "label": lambda t: re.sub(r"shots: \[\d+\]", lambda m: f'{m.group()}\n  "p{bad}": [1]', t, count=1),
            "option": lambda t: _replace_top(t, f'options: {{label: "o{bad}"}}\n'),
            "backend": lambda t: re.sub(r"backend: \S+", lambda m: f'backend: "b{bad}"', t, count=1),
        }
        text = edits[where](text)
    elif kind == "module":
        text = _replace_top(text, f"workload: {json.dumps(detail[1].replace('/abs/path', str(folder)))}\n")
    elif kind == "shots":
        _, value, where = detail
        text = (re.sub(r"shots: \[\d+\]", lambda m: f"shots: [{value}]", text) if where == "matrix"
                else _replace_top(text, f"options: {{eval_shots: {value}}}\n"))
    else:  # nested: a bad value deep inside options and a named matrix instance
        _, depth, bad = detail
        inner = f'"{bad}"'
        for _ in range(depth):
            inner = f"{{k: [{inner}]}}"
        text = _replace_top(text, f"options: {inner}\n")
    return write_input(folder, text)


def _replace_top(text: str, entry: str) -> str:
    """Put ``entry`` (``key: value``) in place of that top-level key of ``text``, or append it."""
    key = entry.split(":", 1)[0]
    out, skipping = [], False
    for line in text.split("\n"):
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "#")) or not line):
            continue
        skipping = False
        out.append(line)
    return "\n".join(out) + "\n" + entry


def any_input(max_depth: int = 400) -> st.SearchStrategy[str | bytes]:
    """All three families, mutated suites weighted most (they get furthest into the pipeline)."""
    return st.one_of(mutated(), mutated(), corrupted(), hostile(max_depth))
