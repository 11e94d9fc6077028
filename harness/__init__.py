"""qharness: benchmark and regression-test hybrid quantum-classical workflows."""

__version__ = "0.1.0"
