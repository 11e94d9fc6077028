"""Fuzz the suite loader: 10,000 generated malformed suites through load, expand and plan.

Run:  .venv/bin/python benchmarks/fuzz_suites.py            (10,000 inputs, about 4 minutes on 2 cores)
      .venv/bin/python benchmarks/fuzz_suites.py -n 500     (a quick look)
      .venv/bin/python benchmarks/fuzz_suites.py --seed 7   (another sample; the default is reproducible)

Inputs come from the generators in ``tests/fuzz/suite_inputs.py`` (mutated bundled suites, corrupted
text, constructed attacks: alias bombs, cyclic anchors, deep nesting, long strings, tags, bad bytes;
hostile shapes: FIFOs, links to devices and huge files, paths over 255 bytes, lone surrogates,
workloads naming paths or sys.path modules, shots as booleans, floats or 10^12, nesting),
drawn by hypothesis. Each is classified:

- ``valid``: loaded, expanded and planned, and what a run record keeps of it is strict JSON;
- ``at file:line``: refused with a SuiteError/UnsupportedError whose message starts ``file:line:``;
- ``file only``: refused, naming the file, for a problem with no line (a missing top-level key, the
  document as a whole, nesting too deep to parse);
- ``line missing``: refused, naming the file but not the line that applies (a defect);
- ``crash``: anything else (another exception, a message without the file, an unrecordable suite).

The target is zero crashes. The run is capped at 2 GB of address space so an alias bomb cannot take
the machine down; the slowest inputs are listed, since a hang is a crash too.
"""

from __future__ import annotations

import argparse
import collections
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

import suite_inputs  # noqa: E402

FAMILIES = ("mutated", "corrupted", "hostile", "shapes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="inputs to try (default 10000)")
    parser.add_argument("--seed", type=int, default=2026, help="hypothesis seed (default 2026)")
    parser.add_argument("--max-depth", type=int, default=1000, help="deepest flow nesting generated")
    args = parser.parse_args(argv)
    limit = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    tally: dict[str, collections.Counter] = {f: collections.Counter() for f in FAMILIES}
    crashes: list[tuple[str, str, str]] = []
    slowest: list[tuple[float, str, str]] = []
    folder = Path(tempfile.mkdtemp(prefix="qharness-fuzz-"))
    strategies = {"mutated": suite_inputs.mutated(), "corrupted": suite_inputs.corrupted(),
                  "hostile": suite_inputs.hostile(args.max_depth), "shapes": suite_inputs.shapes()}
    # 40 % mutated suites (they reach furthest into the pipeline), a quarter corrupted, a quarter
    # hostile text, a tenth hostile shapes (FIFOs, devices, surrogates, module paths, shots, nesting)
    shapes = args.n // 10
    shares = {"mutated": args.n - 2 * (args.n // 4) - shapes, "corrupted": args.n // 4, "hostile": args.n // 4,
              "shapes": shapes}
    print(f"fuzzing {args.n} suites (seed {args.seed}) ...", flush=True)
    start = time.perf_counter()

    def check(name: str, text) -> None:
        path = (suite_inputs.write_shape(folder, text) if name == "shapes"
                else suite_inputs.write_input(folder, text))
        t0 = time.perf_counter()
        try:
            verdict, message = suite_inputs.outcome(path)
            if verdict == "refused":
                match = suite_inputs.LINE.match(message)
                if match and match["path"] == str(path):
                    verdict = "at file:line"
                else:
                    verdict = "file only" if suite_inputs.placed(path, message) else "line missing"
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            verdict = "crash"
            crashes.append((name, repr(text[:400]), "".join(traceback.format_exception(exc, limit=-3))))
        seconds = time.perf_counter() - t0
        tally[name][verdict] += 1
        slowest.append((seconds, name, repr(text[:80])))
        slowest.sort(reverse=True)
        del slowest[5:]

    def fuzz(name: str, count: int) -> None:
        @seed(args.seed)
        @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])  # every input counts once: no shrinking, no replays
        @given(strategies[name])
        def run(text: str | bytes) -> None:
            check(name, text)

        run()

    try:
        for name, count in shares.items():
            if count:
                fuzz(name, count)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - start
    total = collections.Counter()
    for counts in tally.values():
        total.update(counts)
    tried = sum(total.values())
    columns = ("valid", "at file:line", "file only", "line missing", "crash")
    print(f"\n{'family':<10}" + "".join(f"{c:>14}" for c in columns) + f"{'tried':>8}")
    for name in FAMILIES:
        print(f"{name:<10}" + "".join(f"{tally[name][c]:>14}" for c in columns) + f"{sum(tally[name].values()):>8}")
    print(f"{'all':<10}" + "".join(f"{total[c]:>14}" for c in columns) + f"{tried:>8}")
    print(f"\ntried {tried}, valid {total['valid']}, refused with a proper error "
          f"{total['at file:line'] + total['file only']} ({total['at file:line']} at file:line), "
          f"refused without the line that applies {total['line missing']}, crashes {total['crash']}; "
          f"{elapsed:.0f} s ({1000 * elapsed / max(tried, 1):.0f} ms per input)")
    print("slowest inputs: " + "; ".join(f"{s:.2f} s ({n})" for s, n, _ in slowest))
    for name, text, tb in crashes[:5]:
        print(f"\n--- crash ({name}) on {text}\n{tb}")
    return 1 if crashes or total["line missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
