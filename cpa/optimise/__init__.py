"""Optimisation: the engine that draws K contract package areas.

``blocks`` (what is assigned) -> ``costs`` (areas costed by :mod:`cpa.objective`, checked by
:mod:`cpa.rules`) -> ``master`` (set partitioning LP/MIP over columns) + ``pricing`` (areas of
negative reduced cost, bounds) -> ``engine`` (column generation, bound, integer plans, exact
closing) -> ``solve`` (seeds, one :class:`SolveReport`). ``heuristics``, ``sketch`` and
``columns`` give seed plans and columns; ``solvers`` reads CBC/HiGHS verdicts through PuLP.
"""

from .engine import OPTIMALITY_TOLERANCE, Interrupted, Progress
from ..errors import NoPlanFound
from ..options import COTERMINOUS_MODES, SolveOptions, Weights
from .report import SolveReport
from .solve import SolveResult, solve, status_line

__all__ = ["COTERMINOUS_MODES", "SolveOptions", "Weights", "NoPlanFound", "SolveResult", "SolveReport",
           "Interrupted", "Progress", "OPTIMALITY_TOLERANCE", "solve", "status_line"]
