"""Executors: where circuits run. ``make_device`` builds one from a suite's baseline settings.

Tiers:

- ``simulator``: :class:`~harness.executors.aer.AerDevice`, an ideal (noiseless) Aer simulator;
- ``hardware``: :class:`~harness.executors.runtime.RuntimeDevice`, qiskit-ibm-runtime's Sampler on a
  fake backend with real calibration data (``fake_manila``) or, with credentials, a real IBM backend
  (``ibm:<name>``); :class:`~harness.executors.google_device.GoogleDevice`, a Google processor from
  cirq-google's shipped calibration on cirq's density-matrix simulator (``google:<processor>``).

SDKs are imported inside the functions, so ``import harness.executors`` stays cheap.

Example:
    >>> from harness.suite.schema import SimulatorSettings
    >>> dev = make_device("simulator", SimulatorSettings(), seed_transpiler=1, seed_simulator=2)
    >>> dev.name
    'aer_automatic'
"""

from __future__ import annotations

import functools
from importlib import import_module
from typing import TYPE_CHECKING

from harness.errors import UnsupportedError
from harness.executors.base import Counts, Device, Resources, StageClock
from harness.kinds import (DEFAULT_PROVIDER, DEVICE_TIERS, GOOGLE_PREFIX, HARDWARE, IBM_PREFIX, PROVIDERS, SIMULATOR,
                           provider_of)

if TYPE_CHECKING:
    from harness.suite.schema import HardwareSettings, SimulatorSettings

__all__ = ["HARDWARE_DEVICES", "STABILIZER_DEVICE", "Counts", "Device", "Resources", "StageClock", "backend_width",
           "backend_widths", "known_backends", "make_device"]

HARDWARE_DEVICES: dict[str, str] = {
    PROVIDERS[IBM_PREFIX]: "harness.executors.runtime:RuntimeDevice",
    DEFAULT_PROVIDER: "harness.executors.runtime:RuntimeDevice",
    PROVIDERS[GOOGLE_PREFIX]: "harness.executors.google_device:GoogleDevice",
}
"""Provider (:func:`harness.kinds.provider_of`) -> ``module:Class`` of the device that runs its
backends, imported on first use. The class takes ``(backend, optimization_level=, seed_transpiler=,
seed_simulator=)``."""

STABILIZER_DEVICE = "harness.executors.stabilizer:StabilizerDevice"
"""The device of ``simulation: stabilizer`` (a fake backend's Clifford circuits by stim, Pauli noise)."""
CIRQ_DEVICE = "harness.executors.cirq_noisy:CirqDevice"
"""The device of ``simulation: cirq`` (a fake backend's calibration on cirq's density-matrix simulator)."""


def known_backends() -> list[str]:
    """Names accepted as ``hardware.backend`` without credentials (the fake backends), sorted."""
    from harness.executors.runtime import fake_backend_names

    return sorted(fake_backend_names())


@functools.lru_cache(maxsize=None)
def backend_width(name: str) -> int | None:
    """Qubits of the fake backend ``name``, read from its configuration file (no SDK imported); None if unknown."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("qiskit_ibm_runtime")  # a top-level spec: nothing is imported
    short = name.removeprefix("fake_")
    for loc in (spec.submodule_search_locations or []) if spec is not None else []:
        for conf in (Path(loc) / "fake_provider" / "backends" / short).glob("conf_*.json"):
            try:
                return int(json.loads(conf.read_text(encoding="utf-8"))["n_qubits"])
            except (OSError, ValueError, KeyError, TypeError):
                return None
    return None


def backend_widths() -> dict[str, int]:
    """Qubits of every fake backend whose configuration can be read (for naming backends that fit)."""
    widths = {name: backend_width(name) for name in known_backends()}
    return {name: w for name, w in widths.items() if w is not None}


def make_device(
    kind: str,
    settings: "SimulatorSettings | HardwareSettings",
    *,
    seed_transpiler: int,
    seed_simulator: int,
) -> Device:
    """The device for one baseline kind.

    Args:
        kind: a tier of :data:`harness.kinds.DEVICE_TIERS`: ``simulator`` (ideal Aer) or ``hardware``
            (runtime Sampler on a fake or IBM backend).
        settings: the suite's ``baselines.simulator`` or ``baselines.hardware`` block.
        seed_transpiler: layout and routing seed (hardware only; the ideal tier needs no layout).
        seed_simulator: shot-sampling seed.

    Raises:
        UnsupportedError: an unknown kind, engine or backend name.
    """
    if kind == SIMULATOR:
        engine = getattr(settings, "engine", None)
        if engine != "aer":
            raise UnsupportedError(
                f"simulator engine {engine!r} is not supported", hint="use engine: aer"
            )
        from harness.executors.aer import AerDevice

        return AerDevice(method=settings.method, seed_simulator=seed_simulator)
    if kind == HARDWARE:
        backend = getattr(settings, "backend", None)
        if not isinstance(backend, str):
            raise UnsupportedError(
                "hardware settings have no backend name", hint="set baselines.hardware.backend"
            )
        provider = provider_of(backend)
        spec = HARDWARE_DEVICES[provider]
        if provider == PROVIDERS[GOOGLE_PREFIX]:
            pass  # a Google processor has one simulation: its own noise model on cirq
        elif getattr(settings, "simulation", None) == "stabilizer":
            spec = STABILIZER_DEVICE
        elif getattr(settings, "simulation", None) == "cirq":
            spec = CIRQ_DEVICE
        module, _, name = spec.partition(":")
        device_class = getattr(import_module(module), name)
        return device_class(
            backend,
            optimization_level=settings.optimization_level,
            seed_transpiler=seed_transpiler,
            seed_simulator=seed_simulator,
        )
    raise UnsupportedError(
        f"device kind {kind!r} is not one of {', '.join(map(repr, DEVICE_TIERS))}",
        hint="the classical baseline runs without a device",
    )
