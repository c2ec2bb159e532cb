"""cpa: draw contract package areas for probation in England and Wales.

Layers, each a module: geography (units, graph, distances) -> values (contract
value model) -> plan (unit -> area) -> optimise (integer programme) -> metrics
(scorecard) -> maps / report. The CLI (``cli.py``) is a thin layer over this API.
"""

from .errors import CpaError, InfeasibleRequest
from .geography import Geography
from .metrics import Scorecard, scorecard
from .plan import Plan, read_plan, reference_plan, write_plan_csv, write_plan_geojson
from .values import MODELS, ContractValues, contract_values, values_from_table

__version__ = "0.1.0"

__all__ = [
    "CpaError", "InfeasibleRequest", "Geography", "Scorecard", "scorecard", "Plan", "read_plan",
    "reference_plan", "write_plan_csv", "write_plan_geojson", "MODELS", "ContractValues",
    "contract_values", "values_from_table", "__version__",
]
