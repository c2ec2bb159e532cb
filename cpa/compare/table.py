"""The comparison and sweep tables: their columns, rows and terminal rendering.

Every column comes from a plan's :func:`cpa.metrics.scorecard` summary (or
the solver's report); nothing is recomputed here, so a comparison cannot
drift from ``cpa evaluate``.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..metrics import Scorecard
from ..render.text import text_table
from .options import Option


#: Plan-level figures copied from each scorecard summary into the comparison and sweep tables.
SUMMARY_COLUMNS = ("areas", "value_min_m", "value_max_m", "value_ratio", "value_cv", "largest_share",
                   "pfas_split", "trusts_split", "mean_travel_km", "max_travel_km", "all_contiguous",
                   "pbr_detectable_max_pts", "thin_risk_sum", "small_lots")
TABLE_COLUMNS = ("name", "kind") + SUMMARY_COLUMNS + ("status", "gap", "solve_seconds")
#: The objective's terms as the sweep and grid tables carry them (``term_`` + the key in run.json).
TERM_COLUMNS = ("term_travel_km", "term_balance_pct", "term_pfa_fragments", "term_pbr_detectable_pts",
                "term_thin_risk_sum", "term_value_above_small_m")
SWEEP_COLUMNS = (("K", "status", "gap", "objective", "bound") + TERM_COLUMNS + SUMMARY_COLUMNS
                 + ("pfa_fragments", "seconds", "plan_hash", "reason"))
#: Count columns of the sweep and grid tables (integers, <NA> when there is no plan).
INT_COLUMNS = ("K", "areas", "pfas_split", "trusts_split", "pfa_fragments", "term_pfa_fragments", "small_lots")



def comparison_table(options: Sequence[Option], cards: dict[str, Scorecard],
                     reports: dict[str, dict | None]) -> pd.DataFrame:
    """The comparison rows: scorecard summary columns plus status, gap and seconds from the solve report."""
    rows = []
    for opt in options:
        s, rep = cards[opt.name].summary, reports.get(opt.name)
        row = {"name": opt.name, "kind": opt.kind, **{c: s.get(c) for c in SUMMARY_COLUMNS}}
        if rep is None:
            row.update(status="reference", gap=None, solve_seconds=None)
        else:
            row.update(status=rep.status, gap=rep.gap, solve_seconds=rep.wall_seconds)
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for col in ("areas", "pfas_split", "trusts_split", "small_lots"):
        table[col] = pd.array(table[col].tolist(), dtype="Int64")  # counts stay integers; missing is <NA>
    for col in ("gap", "solve_seconds"):
        table[col] = pd.to_numeric(table[col]).astype(float)
    table["all_contiguous"] = table["all_contiguous"].astype(bool)
    return table




DISPLAY = (("name", "option"), ("kind", "kind"), ("areas", "areas"), ("value_min_m", "smallest £m"),
           ("value_max_m", "largest £m"), ("value_ratio", "max/min"), ("value_cv", "CV"),
           ("largest_share", "largest share"), ("pfas_split", "PFAs split"), ("trusts_split", "trusts split"),
           ("mean_travel_km", "mean km"), ("max_travel_km", "max km"), ("all_contiguous", "contiguous"),
           ("pbr_detectable_max_pts", "worst PbR pts"), ("thin_risk_sum", "lots ≤1 bid"),
           ("small_lots", "small lots"), ("status", "status"), ("solve_seconds", "seconds"))


#: How each numeric column is shown.
FORMATS = {"value_min_m": "{:,.1f}", "value_max_m": "{:,.1f}", "value_ratio": "{:.2f}", "value_cv": "{:.3f}",
           "largest_share": "{:.1%}", "mean_travel_km": "{:.1f}", "max_travel_km": "{:.0f}",
           "solve_seconds": "{:.1f}", "pbr_detectable_max_pts": "{:.2f}", "thin_risk_sum": "{:.2f}"}


def _cell(col: str, x, row) -> str:
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return "–"
    if col in FORMATS:
        return FORMATS[col].format(x)
    if col == "all_contiguous":
        return "yes" if x else "NO"
    if col == "status" and x in ("feasible", "interrupted"):
        return f"{x}, gap unknown" if pd.isna(row["gap"]) else f"{x}, gap {row['gap']:.2%}"
    return str(x)


def display_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted cells of the comparison table (for terminal, Markdown and HTML)."""
    headers = [h for _, h in DISPLAY]
    rows = [[_cell(c, r[c], r) for c, _ in DISPLAY] for _, r in table.iterrows()]
    return headers, rows


def render_table(table: pd.DataFrame) -> str:
    """The comparison as a terminal table."""
    return text_table(*display_rows(table)) + "\n"




def render_sweep(df: pd.DataFrame) -> str:
    """The sweep as a terminal table; Ks without a plan show why in the last column."""
    headers = ["K", "status", "gap", "seconds", "mean km", "CV", "max/min", "smallest £m", "PFAs split",
               "trusts split", "worst PbR pts", "lots ≤1 bid", "small lots", "note"]
    rows = []
    for _, r in df.iterrows():
        if r["status"] in ("optimal", "feasible", "interrupted"):
            rows.append([str(r["K"]), r["status"], "–" if pd.isna(r["gap"]) else f"{r['gap']:.2%}",
                         f"{r['seconds']:.1f}", f"{r['mean_travel_km']:.1f}", f"{r['value_cv']:.3f}",
                         f"{r['value_ratio']:.2f}", f"{r['value_min_m']:,.1f}", str(r["pfas_split"]),
                         "–" if pd.isna(r["trusts_split"]) else str(r["trusts_split"]),
                         f"{r['pbr_detectable_max_pts']:.2f}", f"{r['thin_risk_sum']:.2f}", str(r["small_lots"]), ""])
        else:
            reason = str(r["reason"] or "").split(" (hint:")[0]
            rows.append([str(r["K"]), r["status"], "–", f"{r['seconds']:.1f}"] + [""] * 9 + [reason])
    return text_table(headers, rows) + "\n"
