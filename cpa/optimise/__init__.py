"""Optimisation: the integer programme that draws K contract package areas.

``blocks`` (what is assigned, pre-solve checks) -> ``model`` (the PuLP MIP and
its constraint builders) -> ``solvers`` (HiGHS / CBC adapters reading the
solver's own status) -> ``solve`` (solve-check-cut loop, report).
"""

from ..errors import NoPlanFound
from ..options import COTERMINOUS_MODES, SolveOptions, Weights
from .model import AreaModel
from .solve import SolveResult, solve, status_line

__all__ = ["AreaModel", "COTERMINOUS_MODES", "SolveOptions", "Weights", "NoPlanFound", "SolveResult",
           "solve", "status_line"]
