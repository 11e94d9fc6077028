"""No mitigation: the circuits' own counts (the hybrid loop's, when given), scored by the same path
as every technique, with the same bootstrap. Raw is the empty stack; its entry point is
:func:`harness.mitigation.execute_raw`, beside :func:`harness.mitigation.mitigate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.mitigation.base import Technique

if TYPE_CHECKING:
    from harness.suite.schema import MitigationSettings

__all__ = ["Raw"]


class Raw(Technique):
    """The empty stack, listed so that raw is a technique like the others: one run, nothing changed."""

    name = "raw"
    field = ""

    def enabled(self, settings: "MitigationSettings") -> bool:
        return False  # never part of a stack: a stack without techniques *is* raw
