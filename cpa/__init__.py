"""cpa: draw contract package areas for probation in England and Wales.

Layers (see ARCHITECTURE.md): geography (units, graph, distances) -> values
(contract value model) -> plan (unit -> area) -> metrics (scorecard) ->
optimise (the engine) -> compare -> render; ``io`` reads and writes files;
``cli`` is a thin layer over all of it.
"""

__version__ = "0.1.0"

from .errors import CpaError, InfeasibleRequest, NoPlanFound  # noqa: E402
from .geography import Geography  # noqa: E402
from .io import read_geography, read_plan, values_from_table, write_plan_csv, write_plan_geojson  # noqa: E402
from .metrics import Scorecard, scorecard  # noqa: E402
from .options import SolveOptions, Weights  # noqa: E402
from .plan import Plan, reference_plan  # noqa: E402
from .values import MODELS, ContractValues, contract_values  # noqa: E402

__all__ = [
    "CpaError", "InfeasibleRequest", "NoPlanFound", "Geography", "Scorecard", "scorecard", "Plan", "read_plan",
    "read_geography", "reference_plan", "write_plan_csv", "write_plan_geojson", "MODELS", "ContractValues",
    "contract_values", "values_from_table", "SolveOptions", "Weights", "__version__",
]
