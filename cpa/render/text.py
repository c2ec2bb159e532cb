"""Text renderings of scorecards: terminal table, CSV, JSON, Markdown."""

from __future__ import annotations

import pandas as pd

from ..io.safe import csv_text, markdown_cell
from ..io.serialise import document
from ..metrics import Scorecard

FORMATS = ("table", "csv", "json", "markdown")

#: Columns shown in the terminal and Markdown tables, with headers.
AREA_COLUMNS = {
    "area_name": "area", "value_m": "£m/yr", "share": "share", "deviation": "vs mean",
    "lads": "LADs", "pfas_whole": "PFAs", "pfas_cut": "cut", "hub_name": "hub",
    "mean_travel_km": "mean km", "max_travel_km": "max km", "polsby_popper": "PP",
    "pbr_detectable_pts": "PbR pts", "expected_bidders": "bidders", "thin_risk": "P(≤1 bid)", "small_lot": "small",
    "contiguous": "contig",
}


def _fmt(col: str, x) -> str:
    if col == "small_lot":
        return "yes" if x else "no"
    if isinstance(x, (bool,)) or col == "contiguous":
        return "yes" if x else "NO"
    if col in ("pbr_detectable_pts", "expected_bidders", "thin_risk"):
        return f"{x:.2f}"
    if col in ("share", "deviation"):
        return f"{x:+.1%}" if col == "deviation" else f"{x:.1%}"
    if col == "value_m":
        return f"{x:,.1f}"
    if col.endswith("_km"):
        return f"{x:,.0f}"
    if col == "polsby_popper":
        return f"{x:.2f}"
    return str(x)


def area_rows(card: Scorecard) -> tuple[list[str], list[list[str]]]:
    df = card.areas.sort_values("value_m", ascending=False)
    headers = [AREA_COLUMNS[c] for c in AREA_COLUMNS]
    rows = [[_fmt(c, r[c]) for c in AREA_COLUMNS] for _, r in df.iterrows()]
    return headers, rows


def summary_lines(card: Scorecard) -> list[str]:
    s = card.summary
    lines = [
        f"Plan {s['plan']}: {s['areas']} areas over {s['lads']} LADs, £{s['total_value_m']:,.1f}m/yr",
        f"Value £m/yr: min {s['value_min_m']:,.1f}, max {s['value_max_m']:,.1f}, "
        f"max/min {s['value_ratio']:.2f}, CV {s['value_cv']:.2f}, largest share {s['largest_share']:.1%}",
        f"PFAs split: {s['pfas_split']} ({s['pfa_fragments']} extra fragments, "
        f"{s['value_share_in_split_pfas']:.1%} of value in split PFAs)"
        + ("" if s.get("trusts_split") is None else f"; trusts split: {s['trusts_split']} of 35"),
        f"Travel to hub: mean {s['mean_travel_km']:.1f} km (value-weighted), max {s['max_travel_km']:.0f} km",
        f"Contiguous: {'all areas' if s['all_contiguous'] else 'NO - ' + ', '.join(s['noncontiguous_areas'])}",
    ]
    for key, label in (("areas_under_floor", "under the £{min_value_m:,.1f}m floor"),
                       ("areas_over_cap", "over the {max_share_pct:g}% share cap"),
                       ("areas_over_max_value", "over the £{max_value_m:,.1f}m maximum")):
        if key in s:
            lines.append(f"Areas {label.format(**s)}: {', '.join(s[key]) or 'none'}")
    lines += market_lines(card)
    return lines


def _some(names: list[str], most: int = 5) -> str:
    """Up to ``most`` names, then how many more."""
    shown = "; ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def market_lines(card: Scorecard) -> list[str]:
    """The plan's market figures and market rules in words."""
    s, areas = card.summary, card.areas
    worst = s["pbr_worst_area"]
    small_m = s["market"]["small_lot_value_m"]
    lines = [f"Market: largest detectable change in reoffending {s['pbr_detectable_max_pts']:.2f} points "
             f"({areas.at[worst, 'area_name']}, cohort {areas.at[worst, 'pbr_cohort']:,.0f}); "
             f"expected lots with at most one bid {s['thin_risk_sum']:.2f}; "
             f"small lots (at most £{small_m:g}m) {s['small_lots']}"]
    if "pbr_detect_pts" in s:
        below = s["areas_below_pbr_detect"]
        lines.append(f"Payment-by-results rule (detect {s['pbr_detect_pts']:g} points: at least "
                     f"£{s['pbr_detect_value_m']:,.1f}m per area): "
                     + ("holds" if s["pbr_detect_holds"] else
                        f"FAILS in {len(below)} of {len(areas)} areas: " + _some(
                            [str(areas.at[a, 'area_name']) for a in below])))
    if "small_lots_required" in s:
        lines.append(f"Small-lots rule (at least {s['small_lots_required']}): "
                     + ("holds" if s["small_lots_holds"] else "FAILS") + f" ({s['small_lots']} small lots)")
    return lines


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; every cell through :func:`markdown_cell` (names may hold ``|`` or markup)."""
    out = ["| " + " | ".join(map(markdown_cell, headers)) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(map(markdown_cell, r)) + " |" for r in rows]
    return "\n".join(out)


def render_scorecard(card: Scorecard, fmt: str = "table") -> str:
    if fmt == "json":
        return document("scorecard", card.to_dict())
    if fmt == "csv":
        return csv_text(card.areas, index=True)
    headers, rows = area_rows(card)
    if fmt == "markdown":
        body = [f"## {markdown_cell(card.summary['plan'])}", ""]
        body += [f"- {markdown_cell(line)}" for line in summary_lines(card)] + [""]
        body += [markdown_table(headers, rows), ""] + [f"_{markdown_cell(n)}_" for n in card.notes]
        return "\n".join(body) + "\n"
    if fmt == "table":
        return "\n".join(summary_lines(card) + ["", text_table(headers, rows), ""] + card.notes) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")


def summary_frame(cards: dict[str, Scorecard]) -> pd.DataFrame:
    """Plan-level rows for several scorecards (for comparisons)."""
    return pd.DataFrame({name: c.summary for name, c in cards.items()}).T
