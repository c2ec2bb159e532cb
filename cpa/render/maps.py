"""Maps of plans: interactive HTML (folium/Leaflet) and static PNG (matplotlib).

The HTML map is self-contained and works offline: Leaflet 1.9.4 (BSD 2-Clause,
vendored in ``cpa/static/leaflet`` with its licence) is inlined instead of
folium's CDN links, and no tile layer is drawn unless asked for.

Layout of :func:`interactive_map`, bottom to top:

* per plan (one radio-button layer each, the first shown): areas filled, one
  GeoJSON feature per area (class ``cpa-area``) with the scorecard row as a
  popup; PFAs the plan splits (thick dashed red); hubs (circle markers);
* shared overlays: LAD boundaries (class ``cpa-lad``; hover for LAD, PFA, the
  area under each plan and value; a click opens the popup of the active plan's
  area, since the LADs lie over the areas and take the clicks); PFA outlines.

A title block shows the active plan's headline figures and the value model;
a legend shows the area colours or the colour scale.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import branca.colormap
import folium
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from ..errors import CpaError
from ..geography import Geography
from ..io import atomic
from ..io.safe import escape_html
from ..io.plans import plan_geodataframe
from ..metrics import Scorecard, group_splits
from ..plan import Plan
from ..values import ContractValues
from .styles import (AREA_STYLE, LAD_HOVER, LAD_STYLE, PALETTE, PFA_STYLE, RAMP, SPLIT_RED, SPLIT_STYLE,
                     template_text)

LEAFLET = Path(__file__).resolve().parent.parent / "static" / "leaflet"

#: Decimal places of coordinates in the page (about 1 m).
COORD_DECIMALS = 5

#: ``color_by`` choices: None for the area colouring, else (scorecard column, legend caption).
COLOR_BY = {
    "area": None,
    "value": ("value_m", "Area value, £m a year"),
    "travel": ("mean_travel_km", "Mean travel to hub, km (value-weighted)"),
    "share": ("share", "Share of national value"),
}

# ------------------------------------------------------------------ colours
def area_graph(plan: Plan, geo: Geography) -> nx.Graph:
    """Areas as nodes, joined when any of their units are linked (borders, bridges, ferries)."""
    g = nx.Graph()
    g.add_nodes_from(plan.areas)
    area_of = plan.assignment
    edges = {tuple(sorted((area_of[a], area_of[b]))) for a, b in geo.graph().edges if area_of[a] != area_of[b]}
    g.add_edges_from(sorted(edges))
    return g


def area_colours(plan: Plan, geo: Geography) -> dict[str, str]:
    """Area -> hex colour from :data:`PALETTE`, never shared by two neighbouring areas.

    Greedy colouring, largest degree first (ties in area order), giving each
    area the least-used colour its neighbours do not have: a proper colouring
    that spreads the whole palette, so the legend tells most areas apart. The
    same plan always gets the same colours.
    """
    g = area_graph(plan, geo)
    order = sorted(g.nodes, key=lambda a: (-g.degree(a), a))
    used = [0] * len(PALETTE)
    index: dict[str, int] = {}
    for area in order:
        taken = {index[nb] for nb in g.neighbors(area) if nb in index}
        free = [c for c in range(len(PALETTE)) if c not in taken]
        if not free:
            raise CpaError(f"plan {plan.label}: area {area} has neighbours in all {len(PALETTE)} colours",
                           "use --color-by value, travel or share for this plan")
        index[area] = min(free, key=lambda c: (used[c], c))
        used[index[area]] += 1
    colours = {a: PALETTE[index[a]] for a in plan.areas}
    clash = [(a, b) for a, b in g.edges if colours[a] == colours[b]]
    assert not clash, f"neighbouring areas share a colour: {clash}"  # cannot happen: free excludes neighbours
    return colours


def metric_colormap(cards: Sequence[Scorecard], color_by: str) -> branca.colormap.LinearColormap:
    """Colour scale for a choropleth over the given scorecards (one scale so plans compare)."""
    column, caption = metric_column(color_by)
    if column is None:
        raise ValueError("color_by='area' has no colour scale")
    vals = pd.concat([c.areas[column] for c in cards]).astype(float)
    lo, hi = float(vals.min()), float(vals.max())
    if not hi > lo:  # one value everywhere: widen so the scale is drawable
        lo, hi = lo - 0.5 * abs(lo or 1), hi + 0.5 * abs(hi or 1)
    return branca.colormap.LinearColormap(list(RAMP), vmin=lo, vmax=hi, caption=caption)


def fill_colours(plan: Plan, card: Scorecard, geo: Geography, color_by: str = "area",
                 cmap: branca.colormap.LinearColormap | None = None) -> dict[str, str]:
    """Area -> fill colour: the area colouring, or the choropleth of a scorecard column."""
    column, _ = metric_column(color_by)
    if column is None:
        return area_colours(plan, geo)
    cmap = cmap or metric_colormap([card], color_by)
    return {a: cmap.rgb_hex_str(float(card.areas.loc[a, column])) for a in plan.areas}


def metric_column(color_by: str) -> tuple[str | None, str | None]:
    if color_by not in COLOR_BY:
        raise CpaError(f"unknown colour scheme {color_by!r}", f"choose one of: {', '.join(COLOR_BY)}")
    return COLOR_BY[color_by] or (None, None)


def _format_metric(color_by: str, x: float) -> str:
    if color_by == "share":
        return f"{x:.1%}"
    if color_by == "value":
        return f"£{x:,.1f}m"
    return f"{x:,.0f} km"


# ----------------------------------------------------------- plan facts
def split_pfas(plan: Plan, geo: Geography) -> list[str]:
    """Codes of the PFAs whose units lie in more than one area of ``plan``."""
    return sorted(group_splits(plan, geo.pfa_of))


def headline(card: Scorecard) -> list[str]:
    """The plan's headline figures, one short line each (no value-model line)."""
    s = card.summary
    lines = [
        f"{s['areas']} areas; value £{s['value_min_m']:,.1f}m – £{s['value_max_m']:,.1f}m a year",
        f"PFAs split: {s['pfas_split']}"
        + ("" if s.get("trusts_split") is None else f"; trusts split: {s['trusts_split']}"),
        f"Mean travel to hub: {s['mean_travel_km']:.1f} km; max {s['max_travel_km']:.0f} km",
    ]
    if not s["all_contiguous"]:
        lines.append("Not contiguous: " + ", ".join(s["noncontiguous_areas"]))
    return lines


def pfa_frame(geo: Geography):
    """PFAs dissolved from the units, as a GeoDataFrame with ``area`` = PFA code."""
    pfas = Plan(dict(geo.pfa_of), {p: geo.pfa_name(p) for p in geo.pfa_members}, label="pfas")
    return plan_geodataframe(pfas, geo)


# ------------------------------------------------------------------ GeoJSON
def _rounded(geoms) -> list:
    """GeoJSON geometry dicts with coordinates rounded to :data:`COORD_DECIMALS` (about 1 m)."""
    arr = shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, COORD_DECIMALS))
    return [shapely.geometry.mapping(g) for g in arr]


def _collection(geoms, props: list[dict]) -> dict:
    feats = [{"type": "Feature", "properties": p, "geometry": g} for p, g in zip(props, _rounded(geoms))]
    return {"type": "FeatureCollection", "features": feats}


def _popup_html(row: pd.Series, label: str) -> str:
    """The scorecard row of one area as a small HTML table."""
    cells = [
        ("value", f"£{row['value_m']:,.1f}m a year"), ("share", f"{row['share']:.1%}"),
        ("LADs", f"{int(row['lads'])}"), ("PFAs", row["pfa_names"]),
        ("PFAs whole / cut", f"{int(row['pfas_whole'])} / {int(row['pfas_cut'])}"),
        ("hub", row["hub_name"]), ("mean travel to hub", f"{row['mean_travel_km']:,.1f} km"),
        ("max travel to hub", f"{row['max_travel_km']:,.0f} km"),
        ("Polsby-Popper", f"{row['polsby_popper']:.2f}"), ("contiguous", "yes" if row["contiguous"] else "NO"),
    ]
    body = "".join(f"<tr><th>{escape_html(k)}</th><td>{escape_html(str(v))}</td></tr>" for k, v in cells)
    return (f"<div class='cpa-popup'><b>{escape_html(str(row['area_name']))}</b> "
            f"<small>({escape_html(str(row.name))}, {escape_html(label)})</small><table>{body}</table></div>")


def area_geojson(plan: Plan, card: Scorecard, geo: Geography, colours: dict[str, str],
                 label: str | None = None) -> dict:
    """One feature per area with its scorecard figures, fill colour and popup HTML."""
    gdf = plan_geodataframe(plan, geo)
    props = []
    for area, name in zip(gdf["area"], gdf["area_name"]):
        row = card.areas.loc[area]
        props.append({
            "area": str(area), "area_name": str(name),
            "value_m": round(float(row["value_m"]), 3), "share": round(float(row["share"]), 5),
            "lads": int(row["lads"]), "pfas": str(row["pfa_names"]),
            "hub_name": str(row["hub_name"]),
            "mean_travel_km": round(float(row["mean_travel_km"]), 2),
            "max_travel_km": round(float(row["max_travel_km"]), 2),
            "polsby_popper": round(float(row["polsby_popper"]), 4), "contiguous": bool(row["contiguous"]),
            "fill": colours[area], "popup_html": _popup_html(row, label or plan.label),
        })
    return _collection(gdf.geometry.values, props)


def lad_geojson(layers: Sequence[tuple[str, Plan, Scorecard]], geo: Geography, values: ContractValues) -> dict:
    """One feature per unit with its name, PFA, value and its area under each plan (``area_i``)."""
    u = geo.units
    v = values.by_unit.reindex(u.index)
    props = []
    for code in u.index:
        # names are shown in an HTML tooltip: escape them (user files may hold '<' or '&')
        p = {"lad_code": str(code), "lad_name": escape_html(str(u.at[code, "name"])),
             "pfa_name": escape_html(str(u.at[code, "pfa_name"])), "value_m": round(float(v[code]) / 1e6, 2)}
        for i, (_, plan, _) in enumerate(layers):
            p[f"area_{i}"] = str(plan.assignment[code])
            p[f"area_name_{i}"] = escape_html(plan.name(plan.assignment[code]))
        props.append(p)
    return _collection(u.geometry.values, props)


# ------------------------------------------------------------ HTML pieces
def leaflet_inline() -> tuple[str, str]:
    """Leaflet's (JS, CSS) as text to inline in a page, with nothing left that would fetch a file."""
    js = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    # The source map is not shipped; the layer-control and marker images are never shown
    # (the control is expanded, points are circle markers).
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")
    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    return js, css


class _LeafletInline(Element):
    """Leaflet's JS and CSS inlined into the page header, so nothing is fetched."""

    def __init__(self):
        super().__init__()
        self.js, self.css = leaflet_inline()
        self._template = Template("<style>{{ this.css }}</style>\n<script>{{ this.js }}</script>")





class _PlanSwitcher(MacroElement):
    """JS that keeps track of the plan shown, opens area popups and swaps title and legend."""

    _template = Template(template_text("map_switcher.js.j2"))

    def __init__(self, labels: list[str]):
        super().__init__()
        self._name = "CpaPlanSwitcher"
        self.labels = labels
        self.hover = LAD_HOVER
        self.plain = {k: LAD_STYLE[k] for k in LAD_HOVER}


def _title_html(i: int, label: str, card: Scorecard, values: ContractValues, shown: bool) -> str:
    lines = "".join(f"<div>{escape_html(line)}</div>" for line in headline(card))
    style = "" if shown else " style='display:none'"
    return (f"<div class='cpa-plan-info' data-plan='{i}'{style}>"
            f"<h3>{escape_html(label)}</h3>{lines}"
            f"<div class='model'>Values: {escape_html(values.label)}</div></div>")


def _legend_html(i: int, plan: Plan, colours: dict[str, str], color_by: str,
                 cmap: branca.colormap.LinearColormap | None, shown: bool) -> str:
    style = "" if shown else " style='display:none'"
    if cmap is None:
        rows = sorted(plan.areas, key=lambda a: plan.name(a).casefold())
        body = "".join(f"<div class='row'><span class='sw' style='background:{colours[a]}'></span>"
                       f"{escape_html(plan.name(a))}</div>" for a in rows)
    else:
        stops = ", ".join(RAMP)
        ticks = "".join(f"<span>{escape_html(_format_metric(color_by, x))}</span>"
                        for x in np.linspace(cmap.vmin, cmap.vmax, 3))
        body = (f"<div><b>{escape_html(cmap.caption)}</b></div>"
                f"<div class='bar' style='background: linear-gradient(to right, {stops})'></div>"
                f"<div class='ticks'>{ticks}</div>")
    key = ("<div class='key'><span class='line'></span> PFA boundary<br>"
           "<span class='dash'></span> PFA split by this plan<br>"
           "&#9679; hub (value-weighted 1-median LAD)</div>")
    return f"<div class='cpa-plan-info' data-plan='{i}'{style}>{body}{key}</div>"


def _unique_labels(layers) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label, _, _ in layers:
        n = seen.get(label, 0) + 1
        seen[label] = n
        out.append(label if n == 1 else f"{label} ({n})")
    return out


# --------------------------------------------------------------- HTML map
def interactive_map(layers: Sequence[tuple[str, Plan, Scorecard]], geo: Geography, values: ContractValues,
                    color_by: str = "area", tiles: str | None = None) -> folium.Map:
    """A Leaflet map of one or more plans, each a switchable layer (radio buttons).

    ``layers`` is a list of ``(label, plan, scorecard)``; the first is shown on
    opening. ``color_by`` is ``area`` (neighbours never share a colour) or a
    choropleth of ``value``, ``travel`` (mean km to hub) or ``share`` on one
    scale for all layers. ``tiles`` (a folium tile name or URL template) adds a
    background map, which needs the network; the default draws none.
    """
    if not layers:
        raise CpaError("no plan to map", "give at least one plan: a reference name or a plan file")
    column, _ = metric_column(color_by)
    labels = _unique_labels(layers)
    # Leaflet's layer control shows layer names as HTML (innerHTML) and reports them back in its events:
    # the switcher and the control get the same escaped names.
    control_names = [escape_html(label) for label in labels]
    cmap = None if column is None else metric_colormap([card for _, _, card in layers], color_by)

    minx, miny, maxx, maxy = (float(x) for x in geo.units.total_bounds)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=6, tiles=None,
                   control_scale=True, font_size="13px")
    # Inline Leaflet instead of folium's CDN links (Leaflet, jQuery, Bootstrap, Font Awesome):
    # only Leaflet is used, and the page must work offline.
    m.default_js, m.default_css = [], []
    root = m.get_root()
    root.header.add_child(_LeafletInline(), name="leaflet")
    root.header.add_child(Element(f"<style>\n:root {{ --cpa-split-red: {SPLIT_RED}; }}\n{template_text('map.css')}</style>"),
                          name="cpa_css")
    m.add_child(_PlanSwitcher(control_names))
    if tiles:
        folium.TileLayer(tiles, name="background map", overlay=True, control=True).add_to(m)
    # Panes fix the drawing order whatever the order layers are switched on: areas, LADs (which take
    # hover and clicks), PFA outlines, split PFAs, hubs. Each pane's SVG spans the whole map, so the
    # panes ignore the pointer; Leaflet's CSS gives it back to interactive paths only.
    for name, z in (("cpa-areas", 410), ("cpa-lads", 420), ("cpa-pfas", 430), ("cpa-splits", 435),
                    ("cpa-hubs", 440)):
        folium.map.CustomPane(name, z_index=z, pointer_events=False).add_to(m)

    pfas = pfa_frame(geo)
    titles, legends = [], []
    for i, ((_, plan, card), label) in enumerate(zip(layers, labels)):
        colours = fill_colours(plan, card, geo, color_by, cmap)
        group = folium.FeatureGroup(name=control_names[i], overlay=False, show=i == 0)
        folium.GeoJson(
            area_geojson(plan, card, geo, colours, label), name=f"{label} areas", control=False,
            style_function=lambda f: {**AREA_STYLE, "fillColor": f["properties"]["fill"]},
            on_each_feature=folium.JsCode(f"cpa_area_feature({i})"), pane="cpa-areas", className="cpa-area",
        ).add_to(group)
        cut = pfas[pfas["area"].isin(split_pfas(plan, geo))]
        if len(cut):
            folium.GeoJson(
                _collection(cut.geometry.values, [{"pfa": str(n)} for n in cut["area_name"]]),
                control=False, style_function=lambda f: SPLIT_STYLE, pane="cpa-splits", interactive=False,
                className="cpa-split",
            ).add_to(group)
        for area, row in card.areas.iterrows():
            hub = geo.units.loc[row["hub"]]
            marker = folium.CircleMarker(
                [round(float(hub["lat"]), COORD_DECIMALS), round(float(hub["lon"]), COORD_DECIMALS)],
                radius=4.5, color="#000000", weight=1.5, fill=True, fill_color="#ffffff", fill_opacity=1.0,
                tooltip=escape_html(f"{plan.name(area)}: hub {row['hub_name']}"), class_name="cpa-hub",
            )
            marker.options["pane"] = "cpa-hubs"  # folium's path options drop `pane`; hubs must sit on top
            marker.add_to(group)
        group.add_to(m)
        titles.append(_title_html(i, label, card, values, i == 0))
        legends.append(_legend_html(i, plan, colours, color_by, cmap, i == 0))

    lads = folium.FeatureGroup(name="LAD boundaries", overlay=True, show=True)
    tip_fields = ["lad_name", "pfa_name"] + [f"area_name_{i}" for i in range(len(layers))] + ["value_m"]
    tip_alias = ["LAD", "PFA"] + [f"area ({label})" for label in control_names] + ["value £m/yr"]
    folium.GeoJson(
        lad_geojson(layers, geo, values), control=False, style_function=lambda f: LAD_STYLE,
        tooltip=folium.GeoJsonTooltip(tip_fields, tip_alias, sticky=True),
        on_each_feature=folium.JsCode("cpa_lad_feature"), pane="cpa-lads", className="cpa-lad",
    ).add_to(lads)
    lads.add_to(m)
    pfa_group = folium.FeatureGroup(name="PFA boundaries", overlay=True, show=True)
    folium.GeoJson(
        _collection(pfas.geometry.values, [{"pfa": str(n)} for n in pfas["area_name"]]), control=False,
        style_function=lambda f: PFA_STYLE, pane="cpa-pfas", interactive=False, className="cpa-pfa",
    ).add_to(pfa_group)
    pfa_group.add_to(m)

    # Title over legend in one column at the left, over the sea west of Wales and Cornwall.
    root.html.add_child(Element(
        "<div class='cpa-side'><div class='cpa-box cpa-title'>" + "".join(titles) + "</div>"
        "<details open class='cpa-box cpa-legend'><summary>Legend</summary>" + "".join(legends)
        + "</details></div>"), name="cpa_side")
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def render_html(m: folium.Map) -> str:
    """The complete HTML page of a map."""
    return m.get_root().render()


def write_map_html(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write the map as one self-contained HTML file, whole or not at all."""
    return atomic.write_text(path, render_html(m))
