"""Reading pytest-benchmark's JSON files; what they mean is :mod:`harness.drift.benchmark_json` (pure)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.drift.benchmark_json import MAX_SAMPLES, Key, timings_from_dict
from harness.errors import BaselineError
from harness.records import Metric

__all__ = ["timings_from_json"]


def timings_from_json(path: str | Path, *, max_samples: int = MAX_SAMPLES) -> dict[Key, Metric]:
    """(suite, case id, baseline kind) -> timing metric whose samples are the benchmark's rounds.

    Example:
        >>> t = timings_from_json("bench.json")                       # doctest: +SKIP
        >>> t[("ghz", "n=3", "classical")].samples[:3]     # doctest: +SKIP
        (2.7e-05, 2.6e-05, 2.7e-05)

    Raises:
        BaselineError: the file cannot be read or is not a pytest-benchmark JSON file.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the benchmark file ({exc.strerror})",
                            hint="pass the path given to --benchmark-json, or a file under .benchmarks/") from None
    except (ValueError, RecursionError) as exc:
        raise BaselineError(f"{path}: not JSON ({exc})", hint="pass a file written by pytest-benchmark") from None
    return timings_from_dict(doc, source=str(path), max_samples=max_samples)
