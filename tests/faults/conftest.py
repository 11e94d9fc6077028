"""Fault tests: make ``fault_helpers`` (read-only folders, small tmpfs disks) importable here and in benchmarks."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
