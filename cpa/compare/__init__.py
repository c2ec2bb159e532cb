"""Compare options side by side, sweep the number of areas K, read scenario files.

``options`` (what to compare) -> ``comparison`` (solve or load, score) ->
``table`` (one row per option) -> ``commentary`` (what the numbers say);
``scenario`` reads TOML scenarios; ``sweep`` solves a range of K on any
``concurrent.futures`` executor. The files they write are rendered by
:mod:`cpa.render.outputs`.
"""

from .commentary import commentary, market_tradeoff, sweep_commentary
from .comparison import ComparisonResult, compare
from .options import Option
from .scenario import Scenario, read_scenario
from .sweep import parse_k_values, reference_points, sweep, sweep_results, sweep_row
from .table import comparison_table, display_rows, render_sweep, render_table

__all__ = ["ComparisonResult", "Option", "Scenario", "commentary", "compare", "comparison_table",
           "market_tradeoff", "sweep_commentary",
           "display_rows", "parse_k_values", "read_scenario", "reference_points", "render_sweep",
           "render_table", "sweep", "sweep_results", "sweep_row"]
