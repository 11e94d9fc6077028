"""Shared helpers: the GHZ suite of these tests, its plan, and a device wrapper that injects faults at the executor seam."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import suite_yaml

GHZ_SUITE = suite_yaml("ghz-orch")
"""GHZ n=3 at 500 shots on all three tiers (fake_manila with readout mitigation for hardware)."""

SIM_ONLY = suite_yaml("ghz-orch", baselines=("classical", "simulator"))


def write_plan(tmp_path: Path, text: str | None = None, name: str = "suite.yaml", **suite):
    """The plan of ``text``, or of ``suite_yaml("ghz-orch", **suite)``, written to ``tmp_path / name``."""
    from harness.orchestration.plan import plan_suite
    from harness.suite import load_suite

    path = tmp_path / name
    path.write_text(text if text is not None else suite_yaml("ghz-orch", **suite))
    return plan_suite(load_suite(path))


class Faulty:
    """A device whose sampling calls fail as scripted.

    ``script`` maps a device kind to a list consumed one entry per sampling call: an exception
    (raised), ``"malformed"`` (counts with the wrong total are returned) or None (the real call).
    When the list is used up, calls go through.
    """

    def __init__(self, device, script: list):
        self._device = device
        self._script = script
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._device, name)

    def _next(self, real):
        self.calls += 1
        step = self._script.pop(0) if self._script else None
        if isinstance(step, BaseException):
            raise step
        if callable(step) and not isinstance(step, str):
            step(self._device)
            return real()
        out = real()
        if step == "malformed":
            return [{k: v * 2 for k, v in c.items()} for c in out]
        return out

    def sample(self, circuit, shots, parameter_sets=None):
        return self._next(lambda: self._device.sample(circuit, shots, parameter_sets))

    def sample_batch(self, circuits, shots):
        return self._next(lambda: self._device.sample_batch(circuits, shots))

    def sample_transpiled(self, circuits, shots):
        return self._next(lambda: self._device.sample_transpiled(circuits, shots))


@pytest.fixture
def inject():
    """``inject({"simulator": [...], "hardware": [...]})`` -> a ``wrap`` for ``Execution``; the
    wrappers it made are in ``inject.made``."""
    made: list[Faulty] = []

    def factory(scripts: dict):
        def wrap(device, kind):
            f = Faulty(device, scripts.setdefault(kind, []))
            made.append(f)
            return f
        return wrap

    factory.made = made
    return factory


class Sleeps(list):
    """A ``sleep`` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
