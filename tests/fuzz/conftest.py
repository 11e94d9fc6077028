"""Fuzz tests: make the generators in this folder importable and register the hypothesis profiles.

Profiles (applied per test with ``@settings(parent=...)``, so other folders' tests are untouched):
``fuzz-ci`` (the default) keeps the whole folder to a few hundred inputs, the same ones every run;
``fuzz`` draws 10,000 new ones. Choose one with ``QHARNESS_FUZZ_PROFILE=fuzz``. (Not named ``ci``:
that is hypothesis's own profile, loaded when ``CI`` is set; replacing it would change every folder's
hypothesis tests under CI.)
"""

import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# no example database: CI must not write .hypothesis/ into the work tree, and failures print their input.
# fuzz-ci is derandomized: the same inputs every run, so a submission's CI cannot fail on a draw the last one
# never made (exploring new inputs is the fuzz profile's job, and benchmarks/fuzz_suites.py's with --seed);
# no deadline and no too_slow check: a loaded machine's timings decide nothing.
settings.register_profile("fuzz-ci", max_examples=150, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", parent=settings.get_profile("fuzz-ci"), max_examples=10_000, derandomize=False)
