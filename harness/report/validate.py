"""Check the CI outputs against their schemas, and against each other.

``junit.xml`` against ``schemas/junit.xsd`` (the JUnit format CI tools read) and ``verdicts.json``
(the same document ``harness gate --json`` prints) against ``schemas/outcome.schema.json``, plus
what a schema cannot say: the counts add up, a testsuite's time is the sum of its testcases', and
JUnit's gate testcase, the JSON's ``passed`` and the exit code agree.

Run in CI after the gate (needs the ``test`` extra: xmlschema, jsonschema)::

    python -m harness.report.validate reports/ [--exit-code N]

It prints each problem and exits 1 if there is any, 0 otherwise.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["check_junit", "check_outcome", "outcome_schema", "validate_reports"]

_TAGS = ("failure", "error", "skipped")
_COUNT = {"failure": "failures", "error": "errors", "skipped": "skipped"}


def _text(name: str) -> str:
    return resources.files("harness.report").joinpath("schemas", name).read_text(encoding="utf-8")


def _need(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        from harness.errors import HarnessError

        raise HarnessError(f"checking the reports needs {module}, which is not installed",
                           hint='install the test extra: pip install -e ".[test]"') from None


@lru_cache(maxsize=1)
def outcome_schema() -> dict[str, Any]:
    """The JSON Schema of ``verdicts.json`` and of ``harness gate --json``."""
    return json.loads(_text("outcome.schema.json"))


@lru_cache(maxsize=1)
def _xsd():
    xmlschema = _need("xmlschema")
    return xmlschema.XMLSchema(_text("junit.xsd"))


def check_junit(text: str, exit_code: int | None = None) -> list[str]:
    """Problems of a JUnit document: schema violations, counts or times that do not add up, a gate
    testcase that disagrees with ``exit_code`` (when given). Empty when it is valid."""
    problems = [f"junit.xml: {e.reason or e.message} at {e.path}" for e in _xsd().iter_errors(text)]
    if problems:
        return problems
    root = ET.fromstring(text)
    every = list(root.iter("testcase"))
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        name = suite.get("name")
        if int(suite.get("tests")) != len(cases):
            problems.append(f"junit.xml: testsuite {name!r} says tests={suite.get('tests')}, has {len(cases)}")
        for tag in _TAGS:
            n = sum(1 for c in cases if c.find(tag) is not None)
            if int(suite.get(_COUNT[tag])) != n:
                problems.append(f"junit.xml: testsuite {name!r} says {_COUNT[tag]}={suite.get(_COUNT[tag])}, has {n}")
        seconds = sum(float(c.get("time")) for c in cases)
        if abs(seconds - float(suite.get("time"))) > 0.0005 * (len(cases) + 1):
            problems.append(f"junit.xml: testsuite {name!r} time={suite.get('time')} but its testcases add up "
                            f"to {seconds:.3f}")
    if root.get("tests") is not None and int(root.get("tests")) != len(every):
        problems.append(f"junit.xml: testsuites says tests={root.get('tests')}, has {len(every)}")
    gates = [c for c in every if c.get("name") == "gate" and c.get("classname") == "qharness"]
    if len(gates) != 1:
        problems.append(f"junit.xml: {len(gates)} gate testcases (want 1)")
    elif exit_code is not None:
        failed = gates[0].find("failure") is not None or gates[0].find("error") is not None
        if failed != (exit_code != 0):
            problems.append(f"junit.xml: the gate testcase {'fails' if failed else 'passes'} but the exit code "
                            f"is {exit_code}")
    return problems


def check_outcome(doc: Any, exit_code: int | None = None) -> list[str]:
    """Problems of an outcome document (``verdicts.json``, ``gate --json``) against its schema and ``exit_code``."""
    jsonschema = _need("jsonschema")
    validator = jsonschema.Draft202012Validator(outcome_schema())
    problems = [f"outcome: {e.message} at /{'/'.join(map(str, e.absolute_path))}"
                for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    if not problems and exit_code is not None and doc["exit_code"] != exit_code:
        problems.append(f"outcome: exit_code {doc['exit_code']} but the gate exited {exit_code}")
    return problems


def validate_reports(out_dir: Path, exit_code: int | None = None) -> list[str]:
    """Problems of ``junit.xml`` and ``verdicts.json`` in ``out_dir`` (a missing file is one)."""
    from harness.report import REPORT_FILES

    out_dir = Path(out_dir)
    problems = []
    junit, outcome = out_dir / REPORT_FILES["junit"], out_dir / REPORT_FILES["json"]
    for path in (junit, outcome):
        if not path.is_file():
            problems.append(f"{path}: missing (did the gate write its reports into {out_dir}?)")
    doc = None
    if outcome.is_file():
        try:
            doc = json.loads(outcome.read_text(encoding="utf-8"))
        except ValueError as e:
            problems.append(f"{outcome}: not JSON ({e})")
        else:
            problems += check_outcome(doc, exit_code)
    if junit.is_file():
        # without an exit code the two files must agree with each other at least
        code = exit_code if exit_code is not None else doc.get("exit_code") if isinstance(doc, dict) else None
        problems += check_junit(junit.read_text(encoding="utf-8"), code)
    return problems


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    code = None
    if "--exit-code" in args:
        i = args.index("--exit-code")
        code = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print("usage: python -m harness.report.validate REPORTS_DIR [--exit-code N]", file=sys.stderr)
        return 2
    problems = validate_reports(Path(args[0]), code)
    for p in problems:
        print(p)
    print(f"{args[0]}: {'valid' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
