"""The harness's exceptions, all rooted at :class:`HarnessError`.

::

    HarnessError                      what the user can fix; printed without a traceback
    ├── SuiteError(ValueError)        a suite file is malformed (names file, line, fix)   exit 2
    ├── BaselineError(ValueError)     a stored baseline or run record is unreadable      exit 2
    ├── UnsupportedError(ValueError)  a backend, workload or option we do not know       exit 2
    └── ExecutionError(RuntimeError)  a case could not be executed on any tier           exit 3

Drift is never an exception: a regression is a verdict (see ``harness.drift``).
"""

from __future__ import annotations

__all__ = [
    "BaselineError",
    "ExecutionError",
    "HarnessError",
    "SuiteError",
    "UnsupportedError",
]


class HarnessError(Exception):
    """A problem the user can fix. ``exit_code`` is what the CLI returns for it."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n  fix: {hint}")


class SuiteError(HarnessError, ValueError):
    """A suite file is malformed. The message names the file, the line and the fix."""


class BaselineError(HarnessError, ValueError):
    """A stored baseline or run record cannot be read or written safely."""


class UnsupportedError(HarnessError, ValueError):
    """A workload, backend or option the harness does not know."""


class ExecutionError(HarnessError, RuntimeError):
    """A case failed on every tier it was allowed to use."""

    exit_code = 3
