"""``main``: the console entry point, where every failure becomes a message and its exit code, never a traceback."""

from __future__ import annotations

import sys
import traceback

import click

from harness.cli.app import cli
from harness.cli.options import SESSION
from harness.errors import HarnessError

__all__ = ["main"]


def _fail(exc: BaseException, fault: HarnessError) -> None:
    """Print a code-4 failure as a few lines (what, fix, log, resume) and exit 4."""
    from harness.store.faults import write_crash_log

    log = write_crash_log(exc, SESSION["runs_dir"])
    click.echo(_printable(f"error: {fault.message}"), err=True)
    if fault.hint:
        click.echo(_printable(f"  fix: {fault.hint}"), err=True)
    resume = getattr(fault, "resume_command", None)
    if resume:
        click.echo(f"  finish the run afterwards: {resume}", err=True)
    if log is not None:
        click.echo(f"  details: {log}", err=True)
    else:
        click.echo("  details (no folder could hold a log):\n" + "".join(traceback.format_exception(exc)), err=True)
    sys.exit(4)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure ends in a message and its exit code, never a traceback.

    0 pass, 1 regression, 2 invalid input, 3 execution failed, 4 internal or environment error
    (full disk, locked or corrupt database, permissions, a folder gone): the traceback of a
    code-4 failure goes to a log file whose path is printed.
    """
    SESSION["runs_dir"] = None
    try:
        cli.main(args=argv, prog_name="harness", standalone_mode=False)
        sys.exit(0)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        click.echo("aborted", err=True)
        # click turns Ctrl-C into Abort; the interrupt it came from knows the run to resume
        resume = getattr(exc, "resume_command", None) or getattr(exc.__cause__, "resume_command", None)
        if resume:  # an interrupted run: its finished results are journaled
            click.echo(f"  finish the run: {resume}", err=True)
        sys.exit(130)
    except HarnessError as exc:
        if exc.exit_code == 4:
            _fail(exc, exc)
        click.echo(_printable(f"error: {exc}"), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place every other failure becomes exit 4
        from harness.errors import InternalError
        from harness.store.faults import describe

        fault = describe(exc) or InternalError(f"internal error: {type(exc).__name__}: {_short(exc)}",
                                               hint="this is a bug in qharness: please report it with the log file")
        _fail(exc, fault)


def _printable(text: str) -> str:
    """``text`` with what no terminal encoding can show (a lone surrogate from a file name) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text if len(text) <= 200 else text[:200] + "..."
