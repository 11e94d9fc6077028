"""``pytest suites/ --collect-only`` imports no quantum SDK (they take seconds to import here).

A probe plugin, loaded with ``-p`` before any other plugin, records each SDK's first import with
the stack that caused it, so a failure names the module to fix. Asserting on what is imported is
robust where a time limit would be flaky; the time is printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDKS = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime", "cirq", "mitiq")

PROBE = '''
import json, os, sys, traceback

SDKS = %r
first = {}


class _Watch:
    """Records who imports an SDK first; never loads anything itself."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in SDKS and top not in first:
            frames = [f for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
            first[top] = [f"{f.filename}:{f.lineno}" for f in frames[-6:]]
        return None


sys.meta_path.insert(0, _Watch())


def pytest_collection_finish(session):
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(SDKS))
    with open(os.environ["SDK_PROBE_OUT"], "w") as fh:
        json.dump({"items": [i.nodeid for i in session.items], "loaded": loaded, "first": first}, fh)
''' % (SDKS,)


def test_collecting_the_suites_imports_no_sdk(tmp_path):
    from harness.kinds import declared_kinds
    from harness.suite import expand, load_suites

    (tmp_path / "sdkprobe.py").write_text(PROBE)
    out = tmp_path / "probe.json"
    env = {**os.environ, "SDK_PROBE_OUT": str(out),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "suites/", "--collect-only", "-q", "-p", "sdkprobe"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    print(f"\npytest suites/ --collect-only: {seconds:.2f} s wall (target < 2 s)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    probe = json.loads(out.read_text())
    assert probe["loaded"] == [], "imported at collection: " + json.dumps(probe["first"], indent=2)

    # and collection did its job: one item per case and declared baseline kind of every suite
    expected = 0
    for suite in load_suites([REPO / "suites"]):
        expected += len(declared_kinds(suite.model.baselines)) * len(expand(suite))  # strategies included
    assert len(probe["items"]) == expected > 0
    assert all(i.startswith("suites/") for i in probe["items"])
