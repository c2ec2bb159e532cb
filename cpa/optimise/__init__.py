"""Optimisation: the integer programme that draws K contract package areas.

``blocks`` (what is assigned, pre-solve checks) -> ``model`` (the PuLP MIP and
its constraint builders) -> ``solvers`` (HiGHS / CBC adapters reading the
solver's own status) -> ``solve`` (solve-check-cut loop, report).
"""

from .model import AreaModel
from .options import COTERMINOUS_MODES, SolveOptions, Weights
from .solve import NoPlanFound, SolveResult, solve, status_line

__all__ = ["AreaModel", "COTERMINOUS_MODES", "SolveOptions", "Weights", "NoPlanFound", "SolveResult",
           "solve", "status_line"]
