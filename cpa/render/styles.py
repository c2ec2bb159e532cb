"""Shared colours and line styles of every picture: the folium map, the static PNG and the figures.

One place for each colour, so the map, the PNG and the comparison figures agree
(the split-PFA red, the solved / existing-plan colours, the palettes).
"""

from __future__ import annotations

import importlib.resources

#: Qualitative fill colours for areas: Tableau 10 without its grey, plus three Tableau 20 colours.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#a0cbe8", "#b6992d", "#d4a6c8")

#: Sequential ramp for the choropleths (ColorBrewer YlGnBu: more is darker).
RAMP = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")

#: A PFA that a plan splits: drawn in this red everywhere.
SPLIT_RED = "#d7191c"
#: Solved options and existing plans in the comparison and sweep figures.
SOLVED_COLOUR, REFERENCE_COLOUR = "#4e79a7", "#9c755f"
#: Reference plans on the sweep curves.
REFERENCE_STAR = "#d62728"

LAD_STYLE = {"color": "#4d4d4d", "weight": 0.4, "opacity": 0.7, "fill": True, "fillOpacity": 0.0}
LAD_HOVER = {"color": "#000000", "weight": 2.0, "opacity": 1.0}
AREA_STYLE = {"color": "#ffffff", "weight": 2.0, "opacity": 1.0, "fillOpacity": 0.75}
PFA_STYLE = {"color": "#000000", "weight": 1.2, "opacity": 0.9, "fill": False}
SPLIT_STYLE = {"color": SPLIT_RED, "weight": 3.5, "opacity": 0.95, "dashArray": "8 5", "fill": False}


def template_text(name: str) -> str:
    """A template (HTML, CSS, JS) shipped in ``cpa/render/templates``."""
    return (importlib.resources.files("cpa.render") / "templates" / name).read_text(encoding="utf-8")
