"""Fuzz tests: make the generators in this folder importable and register the hypothesis profiles.

Profiles (applied per test with ``@settings(parent=...)``, so other folders' tests are untouched):
``ci`` keeps the whole folder to a few hundred inputs; ``fuzz`` is what ``benchmarks/fuzz_suites.py``
uses for its 10,000. Choose one with ``QHARNESS_FUZZ_PROFILE=fuzz``.
"""

import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# no example database: CI must not write .hypothesis/ into the work tree, and failures print their input
settings.register_profile("ci", max_examples=150, deadline=None, database=None, derandomize=False,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", parent=settings.get_profile("ci"), max_examples=10_000)
