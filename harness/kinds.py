"""The tables every layer shares: tiers and their baseline kinds, the fallback chain, metric kinds
and their drift tests, backend prefixes and their providers.

Adding a tier, a provider or a metric kind starts here; the rest of the harness reads these
tables instead of spelling the names (``tests/test_kinds.py`` fails on a literal elsewhere).
Layer 1: nothing here imports the rest of the harness or a quantum SDK.

Example:
    >>> TIER_KINDS[HARDWARE]
    ('hardware.raw', 'hardware.mitigated')
    >>> tier_of("hardware.mitigated"), provider_of("ibm:ibm_brisbane"), provider_of("fake_manila")
    ('hardware', 'ibm', 'fake')
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "BASELINE_KINDS",
    "CLASSICAL",
    "DEFAULT_PROVIDER",
    "DEVICE_TIERS",
    "EXCESS_KINDS",
    "FALLBACK_CHAIN",
    "GOOGLE_PREFIX",
    "HARDWARE",
    "HARDWARE_MITIGATED",
    "HARDWARE_RAW",
    "IBM_PREFIX",
    "KIND_LABELS",
    "METRIC_KINDS",
    "METRIC_TESTS",
    "MetricKind",
    "PROVIDERS",
    "SIMULATED_PROVIDERS",
    "SIMULATOR",
    "TIERS",
    "TIER_KINDS",
    "backend_name",
    "declared_kinds",
    "declared_tiers",
    "is_real_backend",
    "kind_label",
    "kind_order",
    "provider_of",
    "stands_in",
    "strategy_kind",
    "strategy_of",
    "tier_kinds",
    "tier_of",
]

# --- tiers and baseline kinds ---------------------------------------------------------------

CLASSICAL = "classical"
SIMULATOR = "simulator"
HARDWARE = "hardware"
TIERS: tuple[str, ...] = (CLASSICAL, SIMULATOR, HARDWARE)
"""The tiers, in run order. Each is also the name of its block under a suite's ``baselines:``."""

HARDWARE_RAW = HARDWARE + ".raw"
HARDWARE_MITIGATED = HARDWARE + ".mitigated"

TIER_KINDS: dict[str, tuple[str, ...]] = {
    CLASSICAL: (CLASSICAL,),
    SIMULATOR: (SIMULATOR,),
    HARDWARE: (HARDWARE_RAW, HARDWARE_MITIGATED),
}
"""The baseline kinds (results) each tier produces: hardware gives a raw and a mitigated side."""

BASELINE_KINDS: tuple[str, ...] = tuple(k for t in TIERS for k in TIER_KINDS[t])
"""The four results each case produces, side by side, in display and record order."""

DEVICE_TIERS: tuple[str, ...] = (SIMULATOR, HARDWARE)
"""Tiers that run circuits on a device (the classical tier runs a heuristic)."""

FALLBACK_CHAIN: dict[str, tuple[str, ...]] = {
    HARDWARE: (SIMULATOR, CLASSICAL),
    SIMULATOR: (CLASSICAL,),
    CLASSICAL: (),
}
"""The tiers that may stand in for each tier, in order."""

KIND_LABELS: dict[str, str] = {k: k.replace(".", " ") for k in BASELINE_KINDS}
"""How reports title each baseline kind ("hardware raw")."""


STRATEGY_PATTERN = r"^[a-z0-9][a-z0-9_+-]*$"
"""A mitigation strategy's name (``rem+zne``): it becomes part of a baseline kind and a case's identity."""


def strategy_kind(strategy: str) -> str:
    """The baseline kind of mitigation strategy ``strategy``: ``hardware.mitigated.rem+zne``.

    A suite that compares strategies (``hardware.strategies``) gets one result per strategy beside
    ``hardware.raw`` and ``hardware.mitigated``; each is judged against its own stored baseline.
    """
    return f"{HARDWARE_MITIGATED}.{strategy}"


def strategy_of(kind: str) -> str | None:
    """The strategy a baseline kind names (``hardware.mitigated.pec`` -> ``pec``), else None."""
    prefix = HARDWARE_MITIGATED + "."
    return kind[len(prefix):] if kind.startswith(prefix) and len(kind) > len(prefix) else None


def kind_label(kind: str) -> str:
    """How reports title a baseline kind, strategy kinds included (``hardware mitigated [pec]``)."""
    strategy = strategy_of(kind)
    if strategy is not None:
        return f"{KIND_LABELS[HARDWARE_MITIGATED]} [{strategy}]"
    return KIND_LABELS.get(kind, kind)


def tier_of(kind: str) -> str:
    """The tier that produces baseline kind ``kind`` (``hardware.raw`` -> ``hardware``)."""
    return kind.split(".", 1)[0]


def stands_in(tier: str, kind: str) -> bool:
    """Whether a result of ``kind`` produced by ``tier`` came from a stand-in (fallback) tier."""
    return tier_of(kind) != tier


def kind_order(kind: str) -> float:
    """Sort key of a baseline kind: its place in :data:`BASELINE_KINDS`, strategy kinds just after
    ``hardware.mitigated`` (among themselves by name: sort on ``(kind_order(k), k)``), unknown kinds last."""
    if kind in BASELINE_KINDS:
        return BASELINE_KINDS.index(kind)
    if strategy_of(kind) is not None:
        return BASELINE_KINDS.index(HARDWARE_MITIGATED) + 0.5
    return len(BASELINE_KINDS)


def declared_tiers(baselines: Any) -> tuple[str, ...]:
    """The tiers a suite's ``baselines`` block declares (an attribute per tier, None when absent)."""
    return tuple(t for t in TIERS if getattr(baselines, t, None) is not None)


def tier_kinds(tier: str, settings: Any) -> tuple[str, ...]:
    """The baseline kinds ``tier`` produces with its suite block ``settings``: :data:`TIER_KINDS`,
    and for hardware one :func:`strategy_kind` per strategy its ``strategies`` mapping lists."""
    strategies = getattr(settings, "strategies", None) if tier == HARDWARE else None
    return TIER_KINDS[tier] + tuple(strategy_kind(name) for name in (strategies or {}))


def declared_kinds(baselines: Any) -> tuple[str, ...]:
    """The baseline kinds a suite's ``baselines`` block produces, in :data:`BASELINE_KINDS` order
    (a hardware block's strategies after ``hardware.mitigated``, in the order listed)."""
    return tuple(k for t in declared_tiers(baselines) for k in tier_kinds(t, getattr(baselines, t)))


# --- metric kinds and their drift tests -------------------------------------------------------

MetricKind = Literal["proportion", "expectation", "scalar", "timing", "distribution"]
METRIC_TESTS: dict[str, str] = {
    "proportion": "z",
    "expectation": "z",
    "scalar": "welch",
    "timing": "timing",
    "distribution": "z",
}
"""How a metric's uncertainty arises, and the drift test family that judges it:

- ``proportion``: a probability estimated from ``n`` shots (binomial shot noise); z-test;
- ``expectation``: a mean over ``n`` shots of a bounded observable (``stderr`` given); z-test;
- ``scalar``: one value per trial; ``samples`` holds them; Welch's t-test on trials (z without them);
- ``timing``: seconds, long-tailed; ``samples`` holds repeats; rank test on log times;
- ``distribution``: a fidelity-like score of the result's ``counts``; z-test, G-test reported.
"""

METRIC_KINDS: tuple[str, ...] = tuple(METRIC_TESTS)
"""Every metric kind, in :data:`METRIC_TESTS` order."""

EXCESS_KINDS: tuple[str, ...] = tuple(k for k, test in METRIC_TESTS.items() if test == "z")
"""Metric kinds whose z-test takes the excess variance learned from history."""

# --- backend prefixes and providers -----------------------------------------------------------

IBM_PREFIX = "ibm:"
GOOGLE_PREFIX = "google:"
PROVIDERS: dict[str, str] = {IBM_PREFIX: "ibm", GOOGLE_PREFIX: "google"}
"""Backend-name prefix -> provider. A name without a prefix is an IBM fake backend; ``ibm:<name>`` is
real IBM hardware; ``google:<processor>`` is a Google processor simulated locally from the calibration
cirq-google ships (``google:rainbow``; see :mod:`harness.executors.google_device`)."""
DEFAULT_PROVIDER = "fake"
"""Provider of a backend name with no prefix: a local fake backend with real calibration data."""
SIMULATED_PROVIDERS: frozenset[str] = frozenset({DEFAULT_PROVIDER, PROVIDERS[GOOGLE_PREFIX]})
"""Providers whose backends run locally from stored calibration data (no QPU time, no network)."""


def provider_of(backend: str) -> str:
    """The provider a backend name belongs to: ``ibm`` for ``ibm:<name>``, ``google`` for
    ``google:<processor>``, else ``fake``."""
    return next((p for prefix, p in PROVIDERS.items() if backend.startswith(prefix)), DEFAULT_PROVIDER)


def is_real_backend(backend: str) -> bool:
    """Whether ``backend`` names real hardware (spends QPU time), not a locally simulated device."""
    return provider_of(backend) not in SIMULATED_PROVIDERS


def backend_name(backend: str) -> str:
    """The provider's own name for ``backend``, without the prefix (``ibm:ibm_kyiv`` -> ``ibm_kyiv``)."""
    prefix = next((p for p in PROVIDERS if backend.startswith(p)), "")
    return backend[len(prefix):]
