"""``python -m harness.cli``: the ``harness`` command."""

from harness.cli.entry import main

main()
