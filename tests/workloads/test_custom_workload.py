"""Custom workloads (module:Class): the shipped Bernstein-Vazirani example and every loading error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from harness.errors import SuiteError, UnsupportedError
from harness.orchestration.plan import plan_suite
from harness.suite import load_suite
from harness.suite.schema import ClassicalSettings
from harness.workloads import get_workload

from ..conftest import suite_yaml
from ..fake_device import FakeDevice, ideal

SUITES = Path(__file__).resolve().parents[2] / "suites"

GOOD = """\
from harness.records import Metric
from harness.workloads import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams


class Coin(Workload):
    name = "coin"
    description = "one H, one measurement"
    metrics = {"success_probability": MetricInfo("proportion", "P(0)")}
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        shots: int

    class Options(WorkloadParams):
        pass

    def build(self, params, options):
        return params.shots

    def classical(self, problem, settings, rng):
        return ClassicalOutcome(metrics={"success_probability": Metric(0.5, "proportion")})

    def quantum(self, problem, device, rng):
        raise NotImplementedError

    def score(self, problem, probs, shots):
        return {"success_probability": Metric(probs.get("0", 0.0), "proportion", n=shots)}
"""


def write_suite(tmp_path: Path, workload: str, module: str | None = None, name: str = "mymod.py") -> Path:
    if module is not None:
        (tmp_path / name).write_text(textwrap.dedent(module))
    path = tmp_path / "suite.yaml"
    path.write_text(suite_yaml("mine", workload, seed=None, matrix={"shots": [100]}, baselines=("classical",),
                               metrics={"success_probability": {"better": "higher"}}))
    return path


def plan_error(path: Path) -> str:
    with pytest.raises(SuiteError) as info:
        plan_suite(load_suite(path))
    return str(info.value)


@pytest.mark.sdk
def test_the_shipped_example_loads_next_to_its_suite_and_finds_the_secret():
    plan = plan_suite(load_suite(SUITES / "custom-bv.yaml"))
    wl = plan.workload
    assert wl.name == "bernstein_vazirani" and len(plan.cases) == 2
    problem = wl.build(plan.cases[1].params, plan.options)
    classical = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0))
    assert classical.info["found"] == "1011" and classical.metrics["queries"].value == 4
    out = wl.quantum(problem, FakeDevice(ideal, seed=0), np.random.default_rng(0))
    assert out.counts == {"1011": problem.shots}  # one query, exact on an ideal device
    assert wl.score(problem, {"1011": 0.9, "0011": 0.1}, 1000)["success_probability"].value == pytest.approx(0.9)


def test_a_local_module_is_found_before_sys_path(tmp_path):
    plan = plan_suite(load_suite(write_suite(tmp_path, "mymod:Coin", GOOD)))
    assert plan.workload.name == "coin" and plan.workload.score(1, {"0": 1.0}, 1)["success_probability"].value == 1


def test_a_module_on_sys_path_is_imported_only_when_the_project_allows_it(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "coin_on_path.py").write_text(GOOD)
    monkeypatch.syspath_prepend(str(lib))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnsupportedError, match="not imported unless the project allows it"):
        get_workload("coin_on_path:Coin")
    (tmp_path / "pyproject.toml").write_text("[tool.qharness]\nworkload-sys-path = true\n")
    assert get_workload("coin_on_path:Coin").name == "coin"


def test_a_folder_the_project_lists_is_searched_after_the_suite_folder(tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "coin_lib.py").write_text(GOOD)
    (tmp_path / "suites").mkdir()
    monkeypatch.chdir(tmp_path)
    suite = write_suite(tmp_path / "suites", "coin_lib:Coin")
    assert "not found" in plan_error(suite)
    (tmp_path / "pyproject.toml").write_text('[tool.qharness]\nworkload-paths = ["lib"]\n')
    assert plan_suite(load_suite(suite)).workload.name == "coin"


@pytest.mark.parametrize("spec", ["..:X", ".:X", "/abs/path/evil:Evil", "../up:Coin", "a/b:Coin", "mymod.:Coin",
                                  "x..y:Coin"])
def test_a_module_given_as_a_path_is_refused_at_its_line(tmp_path, spec):
    evil = tmp_path / "evil.py"
    evil.write_text("raise SystemExit('imported!')\n")
    msg = plan_error(write_suite(tmp_path, spec.replace("/abs/path", str(tmp_path))))
    assert "suite.yaml:2" in msg and "is not a module name" in msg and "fix:" in msg


def test_a_module_that_links_out_of_the_suite_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "coin.py").write_text("raise SystemExit('imported!')\n")
    inside = tmp_path / "suites"
    inside.mkdir()
    (inside / "coin.py").symlink_to(outside / "coin.py")
    msg = plan_error(write_suite(inside, "coin:Coin"))
    assert "links out of its folder" in msg and "suite.yaml:2" in msg


def test_a_bad_project_setting_names_the_file_and_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.qharness]\nworkload-sys-path = 'yes'\n")
    with pytest.raises(SuiteError, match=r"pyproject.toml: \[tool.qharness\] workload-sys-path"):
        get_workload("coin_on_path:Coin")


def test_missing_module_names_the_suite_line_and_where_it_looked(tmp_path):
    msg = plan_error(write_suite(tmp_path, "nowhere:Coin"))
    assert "suite.yaml:2" in msg and "'nowhere' not found" in msg and "nowhere.py" in msg


def test_import_error_inside_the_module_names_its_file_and_line(tmp_path):
    msg = plan_error(write_suite(tmp_path, "mymod:Coin", "x = 1\nraise RuntimeError('boom')\n"))
    assert "suite.yaml:2" in msg and "RuntimeError: boom" in msg and "mymod.py:2" in msg


def test_syntax_error_names_its_line(tmp_path):
    msg = plan_error(write_suite(tmp_path, "mymod:Coin", "def broken(:\n"))
    assert "SyntaxError" in msg and "mymod.py:1" in msg


def test_missing_class_is_named(tmp_path):
    msg = plan_error(write_suite(tmp_path, "mymod:Nope", GOOD))
    assert "no attribute 'Nope'" in msg


def test_a_duck_typed_class_lists_everything_it_lacks(tmp_path):
    module = """\
    class Half:
        name = "half"
        metrics = {"m": object()}
        def build(self, params, options):
            return None
    """
    msg = plan_error(write_suite(tmp_path, "mymod:Half", module))
    for missing in ("description", "Params", "Options", "solvers", "default_solvers", "classical", "quantum",
                    "score", "kind among"):
        assert missing in msg
    assert "does not fit the workload protocol" in msg


def test_an_abstract_subclass_names_its_unimplemented_methods(tmp_path):
    module = GOOD.replace("    def score(self, problem, probs, shots):\n", "    def _score(self, problem, probs, shots):\n")
    msg = plan_error(write_suite(tmp_path, "mymod:Coin", module))
    assert "methods not implemented: score" in msg


def test_malformed_spec_and_unknown_builtin():
    with pytest.raises(UnsupportedError, match="module:Class"):
        get_workload("mymod:")
    with pytest.raises(UnsupportedError, match="or to module:Class for your own"):
        get_workload("vqe_h3")
