"""Suites: the YAML format, its loading and its expansion into cases."""

from harness.suite.cases import Case, expand
from harness.suite.loader import Suite, load_suite, load_suites
from harness.suite.schema import MetricSpec, SuiteModel

__all__ = ["Case", "MetricSpec", "Suite", "SuiteModel", "expand", "load_suite", "load_suites"]
