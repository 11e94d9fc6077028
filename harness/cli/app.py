"""The ``harness`` command group: its global options (``-v``, ``-q``, ``--version``) and its commands."""

from __future__ import annotations

import logging
import sys

import click

from harness.cli.baselines import baseline
from harness.cli.gating import gate_cmd
from harness.cli.judging import compare, report
from harness.cli.running import check, run

__all__ = ["cli"]

log = logging.getLogger("harness")

_LEVELS = (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)
"""Log level by verbosity, from ``-qq`` to ``-vv`` (the default, 0, is WARNING)."""


class _Stderr(logging.StreamHandler):
    """A handler on whatever ``sys.stderr`` is when a record is written (not the one at setup)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        """Ignored on purpose: ``StreamHandler.__init__`` assigns the stream it was given, but this handler
        always writes to the current ``sys.stderr`` (click's test runner and pytest swap it per call)."""


def _verbosity(verbose: int, quiet: int) -> int:
    """Set the ``harness`` logger (on stderr) for ``-v``/``-q`` counts; returns the verbosity, -2 to 2.

    ``-vv`` also shows the SDKs' debug logs (qiskit's transpiler passes, the runtime's jobs).
    """
    verbosity = max(-2, min(2, verbose - quiet))
    handler = next((h for h in log.handlers if isinstance(h, _Stderr)), None)
    if handler is None:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(_LEVELS[verbosity + 2])
    for name in ("qiskit", "qiskit_aer", "qiskit_ibm_runtime"):
        sdk = logging.getLogger(name)
        if verbosity == 2:
            sdk.setLevel(logging.DEBUG)
            sdk.addHandler(handler)
        elif handler in sdk.handlers:
            sdk.setLevel(logging.NOTSET)
            sdk.removeHandler(handler)
    return verbosity


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qharness")
@click.option("-v", "--verbose", count=True, help="More log output on stderr: -v info (each case), -vv debug, SDKs too.")
@click.option("-q", "--quiet", count=True, help="Less output: errors only and no progress; -qq critical only.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """Benchmark hybrid quantum-classical workflows and gate regressions.

    \b
    Typical nightly use:
      harness gate suites/                 run, compare with baselines/, report; exit 1 on regression
    First time, or after a reviewed change:
      harness run suites/                  writes a run record and prints its path
      harness baseline promote latest      stores that run's results as the baselines
    \b
    Inspect:
      harness compare latest [--json]      verdicts of a run against the stored baselines
      harness report latest                HTML, Markdown, JUnit and JSON into reports/
      harness check suites/                gating metrics that cannot detect their tolerance, and the fix
    """
    ctx.obj = {"verbosity": _verbosity(verbose, quiet)}
    _plain_warnings()


def _plain_warnings() -> None:
    """What the store warns of (a discarded cache entry, a recovered promote) prints as one line."""
    import warnings

    from harness.store.untrusted import StoreWarning

    original = warnings.showwarning
    if getattr(original, "_harness", False):
        return

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, StoreWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            original(message, category, filename, lineno, file, line)

    show._harness = True
    warnings.showwarning = show


for command in (run, baseline, compare, report, check, gate_cmd):
    cli.add_command(command)
