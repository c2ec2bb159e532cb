"""Shared colours and line styles of every picture: the folium map, the static PNG and the figures.

One place for each colour, so the map, the PNG and the comparison figures agree
(the split-PFA red, the solved / existing-plan colours, the palettes).
"""

from __future__ import annotations

import importlib.resources

#: Qualitative fill colours for areas, all distinct for colour-blind readers (Paul Tol's schemes,
#: https://personal.sron.nl/~pault/): "light" (made for maps with labels on top) first, then "muted".
#: Neighbouring areas never share one; the greedy colouring gives an area a colour none of its
#: neighbours has, so it needs at most (most neighbours + 1) colours: 17 covers every plan of the
#: 318 LADs seen (an area with more neighbours than that is told so, see maps.area_colours).
PALETTE_LIGHT = ("#77aadd", "#ee8866", "#eedd88", "#ffaabb", "#99ddff", "#44bb99", "#bbcc33", "#aaaa00")
PALETTE_MUTED = ("#cc6677", "#332288", "#ddcc77", "#117733", "#88ccee", "#882255", "#44aa99", "#999933", "#aa4499")
PALETTE = PALETTE_LIGHT + PALETTE_MUTED

#: Sequential ramp for the choropleths (ColorBrewer YlGnBu: more is darker; colour-blind safe).
RAMP = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")

#: A PFA that a plan splits: drawn in this red everywhere.
SPLIT_RED = "#d7191c"
#: Solved options and existing plans in the comparison and sweep figures.
SOLVED_COLOUR, REFERENCE_COLOUR = "#4e79a7", "#9c755f"
#: Reference plans on the sweep curves.
REFERENCE_STAR = "#d62728"

LAD_STYLE = {"color": "#4d4d4d", "weight": 0.4, "opacity": 0.7, "fill": True, "fillOpacity": 0.0}
LAD_HOVER = {"color": "#000000", "weight": 2.0, "opacity": 1.0}
AREA_STYLE = {"color": "#ffffff", "weight": 2.0, "opacity": 1.0, "fillOpacity": 0.8}
PFA_STYLE = {"color": "#000000", "weight": 1.2, "opacity": 0.9, "fill": False}
SPLIT_STYLE = {"color": SPLIT_RED, "weight": 3.5, "opacity": 0.95, "dashArray": "8 5", "fill": False}


def template_text(name: str) -> str:
    """A template (HTML, CSS, JS) shipped in ``cpa/render/templates``."""
    return (importlib.resources.files("cpa.render") / "templates" / name).read_text(encoding="utf-8")


#: The source line under every map picture (the boundaries and lookups are ONS / Home Office open data).
SOURCE_LINE = ("Source: Office for National Statistics and Home Office, licensed under the Open Government "
               "Licence v3.0. Contains OS data © Crown copyright and database right 2023.")
