"""Root conftest: `pytest suites/` collects the suite YAML files as tests (see harness.pytest_plugin)."""

from harness.pytest_plugin import enable_suite_collection


def pytest_configure(config):
    enable_suite_collection(config)
