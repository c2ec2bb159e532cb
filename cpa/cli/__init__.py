"""The ``cpa`` command line: a thin layer over the :mod:`cpa` Python API, one module per command.

The entry point is :func:`main` (``cpa = "cpa.cli:main"``).
"""

from . import compare, edit, evaluate, grid, map, references, rename, solve, sweep, units  # noqa: F401  (each registers its command)
from .app import main

__all__ = ["main"]
