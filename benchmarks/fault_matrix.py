"""Fault matrix: drive the real CLI into environment faults and print what each one ended as.

Run:  .venv/bin/python benchmarks/fault_matrix.py            (about 40 runs; a few minutes on 2 cores)
      .venv/bin/python benchmarks/fault_matrix.py --quick    (one of each kind, as CI's tests do)

Every fault is real: a small tmpfs filled to a level, or filled by the workload itself at case k
(disk full at N points: before the run, during it, at the run record, at the reports, at the
history); a history held by another writer (``BEGIN EXCLUSIVE``); the runs folder removed mid-run;
read-only runs, output and baselines folders (a read-only tmpfs as root, ``chmod`` otherwise);
a zero-byte, table-less and corrupt history; a 300-file promote killed with SIGKILL while it
stages and while it moves files into place (then: the old set or the new set, never a mix). Mounting needs root; without it the disk rows are
skipped and say so.

Each row: the exit code, the first line of the message, whether a traceback reached the terminal,
and whether anything was lost: after the advised recovery (free the space and run the printed
``harness run --resume``), the run record holds every case exactly once; a fault refused before the
run left no journal, no temporary file, and the history as it was. The target: no traceback, no
exit 1, nothing lost.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "faults"))

from fault_helpers import can_mount  # noqa: E402

CASES = 3
SUITE = """\
suite: faults
workload: faulty:Faulty
seed: 4
matrix:
  n: [2, 3, 4]
  shots: [200]
baselines:
  classical: {}
metrics:
  success_probability: {better: higher, tolerance: 0.03}
"""
WORKLOAD = '''\
"""GHZ whose classical solve injects the fault named by QHARNESS_FAULT at its k-th call: rm:<dir>@k, fill:<file>@k."""
import os
import shutil

from harness.workloads.ghz import GHZ

CALLS = [0]


class Faulty(GHZ):
    def classical(self, problem, settings, rng):
        CALLS[0] += 1
        action, _, at = os.environ.get("QHARNESS_FAULT", "").rpartition("@")
        if action and CALLS[0] == int(at):
            verb, _, target = action.partition(":")
            if verb == "rm":
                shutil.rmtree(target, ignore_errors=True)
            elif verb == "fill":
                try:
                    with open(target, "ab") as fh:
                        while True:
                            fh.write(b"\\0" * 4096)
                            fh.flush()
                except OSError:
                    pass
        return super().classical(problem, settings, rng)
'''


def harness(cwd: Path, *args: str, env: dict | None = None, timeout: float = 600) -> tuple[int, str, float]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def first_error(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.startswith("error:")), "")
    return line[7:] if line else (text.strip().splitlines() or [""])[-1]


def recorded(runs: Path) -> list[tuple[str, str]] | None:
    records = sorted(runs.glob("*.json")) if runs.is_dir() else []
    if not records:
        return None
    return [(r["case_id"], r["baseline"]) for r in json.loads(records[-1].read_text())["results"]]


def complete(runs: Path) -> bool:
    got = recorded(runs)
    return got is not None and len(got) == CASES and len(set(got)) == CASES


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def leftovers(*folders: Path) -> list[str]:
    out = []
    for folder in folders:
        if folder.is_dir():
            out += [p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".journal.jsonl")]
    return out


def recover(cwd: Path, output: str, runs: Path) -> bool:
    """Follow the printed advice (resume) and check the run ends whole; True if nothing was lost."""
    found = re.search(r"finish the run afterwards: harness (run --resume \S+(?: --runs-dir \S+)?)", output)
    if found:
        args = found.group(1).split()
        code, text, _ = harness(cwd, *args, "--quiet")
        where = Path(args[-1]) if "--runs-dir" in args else runs
        where = where if where.is_absolute() else cwd / where
        return code == 0 and complete(where)
    return complete(runs)


def lost_after(cwd: Path, output: str, runs: Path) -> bool:
    """Was anything lost? Resumable: the resumed run must end whole. Recorded: whole. Refused: nothing left over."""
    if "--resume" in output:
        return not recover(cwd, output, runs)
    if recorded(runs) is not None:
        return not complete(runs)
    return bool(leftovers(runs))


class Matrix:
    def __init__(self, work: Path):
        self.work, self.rows = work, []

    def project(self, name: str) -> Path:
        cwd = self.work / name
        cwd.mkdir()
        (cwd / "suite.yaml").write_text(SUITE)
        (cwd / "faulty.py").write_text(WORKLOAD)
        shutil.copytree(self.work / "baselines", cwd / "baselines")
        return cwd

    def row(self, fault: str, where: str, code: int, output: str, lost: bool, seconds: float) -> None:
        self.rows.append((fault, where, code, first_error(output) if code else "ok", "Traceback" in output,
                          lost, seconds))

    def print(self) -> int:
        print(f"\n{'fault':<22} {'where':<30} {'exit':>4}  {'traceback':<9} {'lost':<5} {'s':>5}  message")
        for fault, where, code, message, tb, lost, seconds in self.rows:
            print(f"{fault:<22} {where:<30} {code:>4}  {'YES' if tb else 'no':<9} {'YES' if lost else 'no':<5} "
                  f"{seconds:>5.1f}  {message[:110]}")
        bad = [r for r in self.rows if r[2] == 1 or r[4] or r[5] or r[2] not in (0, 2, 3, 4)]
        print(f"\n{len(self.rows)} faults tried: {sum(1 for r in self.rows if r[2] == 4)} ended in exit 4, "
              f"{sum(1 for r in self.rows if r[2] == 0)} recovered in place; "
              f"{sum(1 for r in self.rows if r[4])} tracebacks, {sum(1 for r in self.rows if r[2] == 1)} exit 1, "
              f"{sum(1 for r in self.rows if r[5])} with a lost result")
        return 1 if bad else 0


def mount(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def disk_full(m: Matrix, quick: bool) -> None:
    if not can_mount():
        print("disk-full rows skipped: mounting a tmpfs needs root", file=sys.stderr)
        return
    # free space left on a 2 MiB disk before the gate starts (preflight refuses under 1 MiB unless told not to)
    levels = [0, 512] if quick else [0, 8, 24, 48, 96, 160, 512, 900]
    points = [1] if quick else [1, 2, 3]
    cases = [(f"{kib} KiB free", {"QHARNESS_MIN_FREE_BYTES": "0" if kib < 512 else str(1 << 20)}, kib, None)
             for kib in levels]
    cases += [(f"fills at case {k}", {"QHARNESS_MIN_FREE_BYTES": "0"}, 1200, k) for k in points]
    for where, env, free_kib, at in cases:
        cwd = m.project(f"disk-{len(m.rows)}")
        disk = cwd / "disk"
        if not mount(disk, "size=2m"):
            continue
        try:
            filler = disk / "filler"
            used = 2048 - free_kib
            if at is None and used > 0:
                try:
                    filler.write_bytes(b"\0" * (used * 1024 - 4096 * 6))
                except OSError:
                    pass
            if at is not None:
                env = {**env, "QHARNESS_FAULT": f"fill:{filler}@{at}"}
            else:
                where = f"{shutil.disk_usage(disk).free // 1024} KiB free"  # as measured, not as aimed
            code, out, secs = harness(cwd, "gate", "suite.yaml", "--runs-dir", disk / "runs", "--out", disk / "out",
                                      "--quiet", "--no-cache", env=env)
            filler.unlink(missing_ok=True)  # free the space, then follow the advice
            m.row("disk full", where, code, out, lost_after(cwd, out, disk / "runs"), secs)
        finally:
            umount(disk)


def locked_history(m: Matrix) -> None:
    cwd = m.project("locked")
    harness(cwd, "gate", "suite.yaml", "--quiet")
    history = cwd / ".runs" / "history.sqlite"
    before = digest(history)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, time
        con = sqlite3.connect({str(history)!r}, isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    try:
        code, out, secs = harness(cwd, "gate", "suite.yaml", "--quiet", env={"QHARNESS_HISTORY_WAIT": "2"})
    finally:
        holder.kill()
        holder.wait()
    m.row("locked history", "held by another writer", code, out,
          digest(history) != before or bool(leftovers(cwd / ".runs")), secs)


def damaged_history(m: Matrix) -> None:
    damages = {"zero bytes": lambda p: p.write_bytes(b""),
               "corrupt pages": lambda p: p.write_bytes(p.read_bytes()[:100] + b"\x07" * 5000),
               "no tables": lambda p: (p.unlink(), sqlite3.connect(p).execute("CREATE TABLE x (y)").connection.commit())}
    for where, damage in damages.items():
        cwd = m.project(f"damaged-{len(m.rows)}")
        harness(cwd, "gate", "suite.yaml", "--quiet")
        history = cwd / ".runs" / "history.sqlite"
        for side in (".runs/history.sqlite-wal", ".runs/history.sqlite-shm"):
            (cwd / side).unlink(missing_ok=True)
        damage(history)
        before, runs = digest(history), len(list((cwd / ".runs").glob("*.json")))
        code, out, secs = harness(cwd, "gate", "suite.yaml", "--quiet")
        lost = digest(history) != before or len(list((cwd / ".runs").glob("*.json"))) != runs
        m.row("damaged history", where, code, out, lost, secs)


def removed_folder(m: Matrix, quick: bool) -> None:
    for at in ([2] if quick else [1, 2, 3]):
        cwd = m.project(f"removed-{len(m.rows)}")
        code, out, secs = harness(cwd, "run", "suite.yaml", "--quiet", "--no-cache",
                                  env={"QHARNESS_FAULT": f"rm:{cwd / '.runs'}@{at}"})
        m.row("runs folder removed", f"at case {at}", code, out, lost_after(cwd, out, cwd / ".runs"), secs)


def read_only(m: Matrix) -> None:
    for where in ("--runs-dir", "--out", "--baselines (promote)"):
        cwd = m.project(f"ro-{len(m.rows)}")
        ro = cwd / "ro"
        if os.geteuid() == 0:
            if not mount(ro, "ro,size=64k"):
                continue
        else:
            ro.mkdir()
            ro.chmod(0o555)
        try:
            if where == "--baselines (promote)":
                harness(cwd, "run", "suite.yaml", "--quiet")
                code, out, secs = harness(cwd, "baseline", "promote", "latest", "--baselines", ro)
                lost = not complete(cwd / ".runs")
            else:
                code, out, secs = harness(cwd, "gate", "suite.yaml", where, ro, "--quiet")
                lost = bool(leftovers(cwd / ".runs"))
            m.row("read-only folder", where, code, out, lost, secs)
        finally:
            umount(ro) if os.geteuid() == 0 else ro.chmod(0o755)


PROMOTE_CHILD = """
import os, sys, time
real_replace, real_fsync = os.replace, os.fsync
def slow_replace(*a, **k):
    real_replace(*a, **k); time.sleep(0.002)
def slow_fsync(fd):
    real_fsync(fd); time.sleep(0.0005)
os.replace, os.fsync = slow_replace, slow_fsync  # slowed so that the kill lands inside the promote
from harness.cli import main
main(sys.argv[1:])
"""


def killed_promote(m: Matrix, quick: bool) -> None:
    """SIGKILL a 300-file promote while it stages and while it moves files in; then read the baselines."""
    from harness.records import Metric, Result, Run
    from harness.store import promote, write_run
    from harness.store.staging import MANIFEST, STAGING_PREFIX

    def run(value: float, run_id: str) -> Run:
        return Run(run_id=run_id, created="now", results=tuple(
            Result(suite=f"s{i % 3}", case_id=f"c={i}", baseline="classical", tier="classical", status="ok",
                   metrics={"p": Metric(value, "proportion", n=100)}) for i in range(300)))

    for phase in (["moving"] if quick else ["staging", "moving"]):
        cwd = m.work / f"promote-{len(m.rows)}"
        root, runs = cwd / "baselines", cwd / "runs"
        promote(run(0.1, "20261201T000000.000000Z-000001"), root)
        write_run(run(0.2, "20261201T000000.000000Z-000002"), runs)
        child = subprocess.Popen([sys.executable, "-c", PROMOTE_CHILD, "baseline", "promote", "latest",
                                  "--baselines", str(root), "--runs-dir", str(runs)], cwd=cwd,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        start, killed = time.monotonic(), False
        while child.poll() is None and time.monotonic() - start < 120:
            stages = list(root.glob(f"{STAGING_PREFIX}*"))
            if stages and (phase == "staging" or any((s / MANIFEST).exists() for s in stages)):
                child.kill()
                killed = True
                break
            time.sleep(0.001)
        child.wait()
        # the next command that reads the baselines finishes a committed set or discards the rest
        code, out, secs = harness(cwd, "baseline", "migrate", "--baselines", root)
        values = {json.loads(p.read_text())["results"]["classical"]["metrics"]["p"]["value"]
                  for p in root.glob("s*/*.json")}
        left = [p.name for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(STAGING_PREFIX)]
        mixed = len(values) != 1 or len(list(root.glob("s*/*.json"))) != 300 or bool(left)
        m.row("killed promote", f"while {phase}" + ("" if killed else " (finished first)"), code, out, mixed,
              secs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one fault of each kind")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="qharness-faults-"))
    try:
        seed = work / "seed"
        seed.mkdir()
        (seed / "suite.yaml").write_text(SUITE)
        (seed / "faulty.py").write_text(WORKLOAD)
        harness(seed, "run", "suite.yaml", "--quiet")
        harness(seed, "baseline", "promote", "latest", "--baselines", work / "baselines")
        m = Matrix(work)
        disk_full(m, args.quick)
        locked_history(m)
        damaged_history(m)
        removed_folder(m, args.quick)
        read_only(m)
        killed_promote(m, args.quick)
        return m.print()
    finally:
        for mounted in work.rglob("*"):
            if mounted.is_dir() and os.path.ismount(mounted):
                umount(mounted)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
