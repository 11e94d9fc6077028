"""The qharness suites as asv benchmarks; the work is in :mod:`harness.asv_bridge`.

Which suites: ``QHARNESS_ASV_SUITES`` (``os.pathsep``-separated), else this repository's ``suites/``.
"""

from pathlib import Path as _Path

from harness.asv_bridge import benchmark_classes as _benchmark_classes

globals().update(_benchmark_classes(_Path(__file__).resolve().parents[2]))
