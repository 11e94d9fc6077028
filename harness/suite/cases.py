"""Expand a suite's matrix into cases. A case's id is its identity: instance and declared conditions.

Precision is not identity: a matrix key of :data:`PRECISION_KEYS` (``shots``) with a single value
is left out of the case id, so raising or cutting a suite's shots is judged against the stored
baseline with both standard errors instead of orphaning it. A precision key that takes several
values (a sweep over shots) names different cases and stays in the id.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Mapping

from harness.suite.loader import Suite

__all__ = ["PRECISION_KEYS", "Case", "expand"]

PRECISION_KEYS = ("shots",)
"""Matrix keys that set how precisely a case is measured, not which case it is."""

_LABEL = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
"""Matched with ``fullmatch``: ``$`` would also accept a trailing newline."""
MAX_CASE_ID = 200
"""Longest case id: ``<case-id>.json``, with the atomic writer's temporary affixes, stays under 255 bytes."""


@dataclass(frozen=True)
class Case:
    """One point of a suite's matrix.

    ``case_id`` reads like ``graph=cube,reps=1``: stable across runs and machines, and safe as a
    file name. Execution settings and a single ``shots`` value (precision) are not part of it;
    ``params`` holds every matrix value, shots included.
    """

    suite: str
    case_id: str
    params: Mapping[str, Any]


def _label(suite: Suite, key: str, index: int, value: Any) -> str:
    if isinstance(value, Mapping):
        label = value.get("name")
        if not isinstance(label, str):
            raise suite.error(("matrix", key, index), "an instance given as a mapping needs a 'name'",
                              hint="add name: <short-label> to the instance")
    elif isinstance(value, (bool, int, float, str)):
        label = str(value).lower() if isinstance(value, bool) else str(value)
    else:
        raise suite.error(("matrix", key, index), f"a matrix value must be a scalar or a named mapping, not {type(value).__name__}",
                          hint="use a number, a string, or a mapping with a name")
    if not _LABEL.fullmatch(label) or ".." in label:
        raise suite.error(("matrix", key, index), f"label {label!r} must be 1-64 of letters, digits, _ . + - (no '..')",
                          hint="rename the value (it becomes part of the case id and a file name)")
    return label


def expand(suite: Suite) -> list[Case]:
    """All cases of ``suite`` in matrix order. Raises SuiteError on duplicate case ids."""
    matrix = suite.model.matrix
    # the first key starts the case id, a file name: no leading dot (hidden) or dash (an option to shell tools)
    bad = next((k for k in matrix if not _LABEL.fullmatch(k) or not k[0].isalnum() or ".." in k), None)
    if bad is not None:
        raise suite.error(("matrix", bad), "parameter names must be letters, digits, _ . + - (no '..'), "
                          "starting with a letter or digit", hint="rename it")
    keys = list(matrix)
    labelled = [[(v, _label(suite, k, i, v)) for i, v in enumerate(matrix[k])] for k in keys]
    named = [k for k in keys if not (k in PRECISION_KEYS and len(matrix[k]) == 1)] or keys
    cases, seen = [], set()
    for combo in itertools.product(*labelled):
        case_id = ",".join(f"{k}={label}" for k, (_, label) in zip(keys, combo) if k in named)
        if len(case_id) > MAX_CASE_ID:
            raise suite.error(("matrix",), f"case id {case_id[:60]!r}... is {len(case_id)} characters; "
                              f"the limit is {MAX_CASE_ID}", hint="use shorter instance names or parameter values")
        if case_id in seen:
            raise suite.error(("matrix",), f"two cases share the id {case_id!r}",
                              hint="give every instance in a list its own name or value")
        seen.add(case_id)
        cases.append(Case(suite=suite.name, case_id=case_id, params={k: v for k, (v, _) in zip(keys, combo)}))
    return cases
