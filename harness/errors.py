"""The harness's exceptions, all rooted at :class:`HarnessError`.

::

    HarnessError                      what the user can fix; printed without a traceback
    ├── SuiteError(ValueError)        a suite file is malformed (names file, line, fix)   exit 2
    ├── BaselineError(ValueError)     a stored baseline or run record is unreadable      exit 2
    ├── UnsupportedError(ValueError)  a backend, workload or option we do not know       exit 2
    ├── ExecutionError(RuntimeError)  a case could not be executed on any tier           exit 3
    ├── ResourceError(OSError)        the environment fails: disk full, database locked   exit 4
    │                                 or corrupt, folder read-only or gone
    └── InternalError(RuntimeError)   a bug in the harness (an exception it did not expect) exit 4

Drift is never an exception: a regression is a verdict (see ``harness.drift``).
"""

from __future__ import annotations

__all__ = [
    "BaselineError",
    "ExecutionError",
    "HarnessError",
    "InternalError",
    "ResourceError",
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

    def __str__(self) -> str:  # from the attributes, so a caller may add context to the message
        return self.message if not self.hint else f"{self.message}\n  fix: {self.hint}"


class SuiteError(HarnessError, ValueError):
    """A suite file is malformed. The message names the file, the line and the fix."""


class BaselineError(HarnessError, ValueError):
    """A stored baseline or run record cannot be read or written safely."""


class UnsupportedError(HarnessError, ValueError):
    """A workload, backend or option the harness does not know."""


class ExecutionError(HarnessError, RuntimeError):
    """A case failed on every tier it was allowed to use."""

    exit_code = 3


class _Fault(HarnessError):
    """Exit 4: not the user's input, not the quantum work. Carries what the CLI needs to help.

    ``resource`` names the file, folder or database; ``run_id`` and ``runs_dir`` are set when an
    interrupted run can be finished with ``harness run --resume``.
    """

    exit_code = 4

    def __init__(self, message: str, *, hint: str | None = None, resource: str | None = None,
                 run_id: str | None = None, runs_dir: str | None = None):
        super().__init__(message, hint=hint)
        self.resource = resource
        self.run_id = run_id
        self.runs_dir = runs_dir

    @property
    def resume_command(self) -> str | None:
        """``harness run --resume RUN_ID [--runs-dir DIR]`` when the run can be finished, else None."""
        if self.run_id is None:
            return None
        where = f" --runs-dir {self.runs_dir}" if self.runs_dir not in (None, ".runs") else ""
        return f"harness run --resume {self.run_id}{where}"


class ResourceError(_Fault, OSError):
    """A file, folder, disk or database the harness needs is unusable; the message names it and the fix."""


class InternalError(_Fault, RuntimeError):
    """An exception the harness did not expect: a bug. The traceback goes to a log file."""
