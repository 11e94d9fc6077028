"""``harness``: run suites, compare them with stored baselines, report, and gate CI.

Exit codes: 0 pass, 1 regression (or a strict-mode failure), 2 invalid input (or nothing judged:
no stored baseline found), 3 execution failed, 4 internal or environment error
(full disk, locked or corrupt database, permissions, a folder gone). A gate's code
comes from its one outcome (:mod:`harness.drift.outcome`), which every report renders too.

One module per command group: :mod:`~harness.cli.running` (run, check), :mod:`~harness.cli.gating`
(gate), :mod:`~harness.cli.judging` (compare, report), :mod:`~harness.cli.baselines` (baseline
promote, migrate); :mod:`~harness.cli.app` is the group and its global options,
:mod:`~harness.cli.options` the options they share, :mod:`~harness.cli.output` what they print
besides results, and :mod:`~harness.cli.entry` the entry point that turns failures into exit codes.
"""

from harness.cli.app import cli  # the click group (the nightly workflow's test checks its options)
from harness.cli.entry import main  # the console script, harness.cli:main
from harness.cli.output import print_outcome as _print_outcome  # the gate's lines, rendered by the outcome tests

__all__ = ["main"]
