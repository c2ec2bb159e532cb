"""Maps of plans: interactive HTML (folium/Leaflet) and static PNG (matplotlib).

The HTML map is self-contained and works offline: Leaflet 1.9.4 (BSD 2-Clause,
vendored in ``cpa/static/leaflet`` with its licence) is inlined instead of
folium's CDN links, and no tile layer is drawn unless asked for.

Layout of :func:`interactive_map`, bottom to top:

* per plan (one radio-button layer each, the first shown): areas filled, one
  GeoJSON feature per area (class ``cpa-area``, ``data-area`` its label) with
  the scorecard row as a popup; PFAs the plan splits (thick dashed red); hubs
  (circle markers); the area labels (``cpa-label-num``: every area's number at
  its pole of inaccessibility, moved aside on a leader line when numbers would
  overlap; ``cpa-label-name``: its name beside the number where that fits),
  placed by ``templates/map_labels.js`` at every zoom;
* shared overlays: LAD boundaries (class ``cpa-lad``; hover for LAD, PFA, the
  area under each plan and value; a click opens the popup of the active plan's
  area, since the LADs lie over the areas and take the clicks); PFA outlines.

A title block shows the active plan's headline figures and the value model;
the legend lists each area's number, colour, name and value (and a
choropleth's classes). The map fits itself beside that column.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template
from matplotlib.colors import LinearSegmentedColormap, to_hex
from shapely.ops import polylabel

from ..errors import CpaError
from ..geography import Geography
from ..io import atomic
from ..io.safe import escape_html
from ..io.plans import plan_geodataframe
from ..metrics import Scorecard, group_splits
from ..plan import Plan
from ..values import ContractValues
from .styles import (AREA_STYLE, LAD_HOVER, LAD_STYLE, PALETTE, PALETTE_LIGHT, PFA_STYLE, RAMP, SPLIT_RED,
                     SPLIT_STYLE, template_text)

LEAFLET = Path(__file__).resolve().parent.parent / "static" / "leaflet"

#: Decimal places of coordinates in the page (about 1 m).
COORD_DECIMALS = 5

#: ``color_by`` choices: None for the area colouring, else (scorecard column, legend caption).
COLOR_BY = {
    "area": None,
    "value": ("value_m", "Area value, £m a year"),
    "travel": ("mean_travel_km", "Mean travel to hub, km (value-weighted)"),
    "share": ("share", "Share of national value"),
    "detectable": ("pbr_detectable_pts", "Minimum detectable change in reoffending, points"),
    "thin-risk": ("thin_risk", "Risk of at most one bid"),
}
#: ``classes`` choices for choropleths.
CLASS_METHODS = ("quantile", "log", "linear")

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
    """Area -> hex colour from :data:`PALETTE`, never shared by two neighbouring areas (named links count).

    Greedy colouring in DSatur order (next: the area whose neighbours already
    show the most colours; ties: more neighbours, then area order), giving each
    area the least-used of the first eight (Tol "light") colours its neighbours
    do not have, and only if none is free one of the next nine. An area needs a
    colour none of its neighbours has, so the greedy never needs more than
    (most neighbours + 1) colours; DSatur needs far fewer on maps. The same plan
    always gets the same colours.
    """
    g = area_graph(plan, geo)
    used = [0] * len(PALETTE)
    index: dict[str, int] = {}
    first = len(PALETTE_LIGHT)
    while len(index) < g.number_of_nodes():
        area = max((a for a in g.nodes if a not in index),
                   key=lambda a: (len({index[nb] for nb in g.neighbors(a) if nb in index}), g.degree(a),
                                  [-ord(ch) for ch in a]))
        taken = {index[nb] for nb in g.neighbors(area) if nb in index}
        for pool in (range(first), range(first, len(PALETTE))):
            free = [c for c in pool if c not in taken]
            if free:
                index[area] = min(free, key=lambda c: (used[c], c))
                break
        else:
            raise CpaError(f"plan {plan.label}: area {area} has neighbours in all {len(PALETTE)} colours",
                           "use --color-by value, travel or share for this plan")
        used[index[area]] += 1
    colours = {a: PALETTE[index[a]] for a in plan.areas}
    clash = [(a, b) for a, b in g.edges if colours[a] == colours[b]]
    assert not clash, f"neighbouring areas share a colour: {clash}"  # cannot happen: free excludes neighbours
    return colours


def area_numbers(card: Scorecard) -> dict[str, int]:
    """Area -> its number on the map and in the legend: 1 for the largest value, ties in area order."""
    order = sorted(card.areas.index, key=lambda a: (-float(card.areas.at[a, "value_m"]), str(a)))
    return {a: i + 1 for i, a in enumerate(order)}


def label_points(plan: Plan, geo: Geography) -> dict[str, tuple[float, float]]:
    """Area -> (lat, lon) of its label: the pole of inaccessibility of its largest polygon (the point
    farthest inside it), found in the projected CRS to about 1% of the polygon's size."""
    gdf = plan_geodataframe(plan, geo)
    crs = geo.projected_crs or gdf.estimate_utm_crs()
    projected = gdf.geometry.to_crs(crs)
    points = []
    for shape in projected:
        parts = list(getattr(shape, "geoms", [shape]))
        part = max(parts, key=lambda p: p.area)
        points.append(polylabel(part, tolerance=max(math.sqrt(part.area) / 100, 1e-9)) if part.area > 0
                      else part.representative_point())
    back = gpd.GeoSeries(points, crs=crs).to_crs(4326)
    return {a: (round(float(p.y), COORD_DECIMALS), round(float(p.x), COORD_DECIMALS))
            for a, p in zip(gdf["area"], back)}


@dataclass
class Classes:
    """Colour classes of a choropleth: class i holds values up to ``bins[i]`` (and above ``bins[i-1]``)."""

    color_by: str
    method: str
    low: float
    bins: list[float]
    colours: list[str]
    caption: str

    def colour(self, x: float) -> str:
        i = int(np.searchsorted(self.bins, float(x) - 1e-12 * max(1.0, abs(float(x))), side="left"))
        return self.colours[min(max(i, 0), len(self.colours) - 1)]

    def ranges(self) -> list[str]:
        """One "from – to" text per class."""
        edges = [self.low] + list(self.bins)
        return [f"{_format_metric(self.color_by, a)} – {_format_metric(self.color_by, b)}"
                for a, b in zip(edges[:-1], edges[1:])]

    @property
    def title(self) -> str:
        how = {"quantile": "classes of equal counts", "log": "equal steps on a log scale",
               "linear": "equal steps"}[self.method]
        return f"{self.caption} ({how})"


def metric_classes(cards: Sequence[Scorecard], color_by: str, method: str = "quantile", k: int = 5) -> Classes:
    """Colour classes for a choropleth over the given scorecards (one scale, so plans compare):
    ``quantile`` (equal counts, the default: one large area cannot wash out the rest), ``log`` (equal
    steps of the logarithm) or ``linear`` (equal steps), computed by mapclassify."""
    import mapclassify  # here, not at import: it loads scikit-learn (1-2 s on every start)

    column, caption = metric_column(color_by)
    if column is None:
        raise ValueError("color_by='area' has no colour classes")
    if method not in CLASS_METHODS:
        raise CpaError(f"unknown classes {method!r}", f"choose one of: {', '.join(CLASS_METHODS)}")
    y = pd.concat([c.areas[column] for c in cards]).astype(float).to_numpy()
    k = max(1, min(k, len(np.unique(y))))
    if method == "log":
        if (y <= 0).any():
            raise CpaError(f"--classes log needs positive values, but some {caption.split(',')[0].lower()} "
                           f"values are {y.min():g}", "use --classes quantile or linear")
        bins = list(10 ** mapclassify.EqualInterval(np.log10(y), k=k).bins) if k > 1 else [float(y.max())]
    elif method == "quantile":
        bins = list(mapclassify.Quantiles(y, k=k).bins) if k > 1 else [float(y.max())]
    else:
        bins = list(mapclassify.EqualInterval(y, k=k).bins) if k > 1 else [float(y.max())]
    bins[-1] = max(bins[-1], float(y.max()))
    ramp = LinearSegmentedColormap.from_list("cpa_ramp", list(RAMP))
    colours = [to_hex(ramp(t)) for t in (np.linspace(0.12, 1.0, len(bins)) if len(bins) > 1 else [0.6])]
    return Classes(color_by, method, float(y.min()), [float(b) for b in bins], colours, caption)


def fill_colours(plan: Plan, card: Scorecard, geo: Geography, color_by: str = "area",
                 classes: Classes | None = None) -> dict[str, str]:
    """Area -> fill colour: the area colouring, or the choropleth class of a scorecard column."""
    column, _ = metric_column(color_by)
    if column is None:
        return area_colours(plan, geo)
    classes = classes or metric_classes([card], color_by)
    return {a: classes.colour(card.areas.loc[a, column]) for a in plan.areas}


def metric_column(color_by: str) -> tuple[str | None, str | None]:
    if color_by not in COLOR_BY:
        raise CpaError(f"unknown colour scheme {color_by!r}", f"choose one of: {', '.join(COLOR_BY)}")
    return COLOR_BY[color_by] or (None, None)


def _format_metric(color_by: str, x: float) -> str:
    if color_by == "share":
        return f"{x:.1%}"
    if color_by == "value":
        return f"£{x:,.1f}m"
    if color_by == "detectable":
        return f"{x:.2f} pts"
    if color_by == "thin-risk":
        return f"{x:.0%}"
    return f"{x:,.0f} km"


# ----------------------------------------------------------- plan facts
def split_pfas(plan: Plan, geo: Geography) -> list[str]:
    """Codes of the PFAs whose units lie in more than one area of ``plan``."""
    return sorted(group_splits(plan, geo.pfa_of))


def headline(card: Scorecard, market: bool = False) -> list[str]:
    """The plan's headline figures, one short line each (no value-model line); ``market`` adds the
    market measures' line."""
    s = card.summary
    lines = [
        f"{s['areas']} areas; value £{s['value_min_m']:,.1f}m – £{s['value_max_m']:,.1f}m a year",
        f"PFAs split: {s['pfas_split']}"
        + ("" if s.get("trusts_split") is None else f"; trusts split: {s['trusts_split']}"),
        f"Mean travel to hub: {s['mean_travel_km']:.1f} km; max {s['max_travel_km']:.0f} km",
    ]
    if market and "pbr_detectable_max_pts" in s:
        lines.append(f"Worst detectable change {s['pbr_detectable_max_pts']:.1f} points; lots with at most one "
                     f"bid {s['thin_risk_sum']:.1f}; small lots {s['small_lots']}")
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


def _popup_html(row: pd.Series, label: str, number: int | None = None) -> str:
    """The scorecard row of one area as a small HTML table."""
    cells = [
        ("value", f"£{row['value_m']:,.1f}m a year"), ("share", f"{row['share']:.1%}"),
        ("LADs", f"{int(row['lads'])}"), ("PFAs", row.get("description", row["pfa_names"])),
        ("PFAs whole / cut", f"{int(row['pfas_whole'])} / {int(row['pfas_cut'])}"),
        ("hub", row["hub_name"]), ("mean travel to hub", f"{row['mean_travel_km']:,.1f} km"),
        ("max travel to hub", f"{row['max_travel_km']:,.0f} km"),
        ("Polsby-Popper", f"{row['polsby_popper']:.2f}"), ("contiguous", "yes" if row["contiguous"] else "NO"),
    ]
    if "pbr_detectable_pts" in row.index:  # the market measures (cpa.market)
        cells += [
            ("PbR cohort", f"{row['pbr_cohort']:,.0f} a year"),
            ("detectable change", f"{row['pbr_detectable_pts']:.2f} points"),
            ("expected bidders", f"{row['expected_bidders']:.1f}"),
            ("P(at most one bid)", f"{row['thin_risk']:.0%}"),
            ("small lot", "yes" if row["small_lot"] else "no"),
        ]
    body = "".join(f"<tr><th>{escape_html(k)}</th><td>{escape_html(str(v))}</td></tr>" for k, v in cells)
    num = "" if number is None else f"{number}. "
    return (f"<div class='cpa-popup'><b>{num}{escape_html(str(row['area_name']))}</b> "
            f"<small>({escape_html(str(row.name))}, {escape_html(label)})</small><table>{body}</table></div>")


def area_geojson(plan: Plan, card: Scorecard, geo: Geography, colours: dict[str, str],
                 label: str | None = None) -> dict:
    """One feature per area with its number, scorecard figures, fill colour and popup HTML."""
    gdf = plan_geodataframe(plan, geo)
    numbers = area_numbers(card)
    props = []
    for area, name in zip(gdf["area"], gdf["area_name"]):
        row = card.areas.loc[area]
        props.append({
            "area": str(area), "number": numbers[area], "area_name": str(name),
            "description": str(row.get("description", row["pfa_names"])),
            "value_m": round(float(row["value_m"]), 3), "share": round(float(row["share"]), 5),
            "lads": int(row["lads"]), "pfas": str(row["pfa_names"]),
            "hub_name": str(row["hub_name"]),
            "mean_travel_km": round(float(row["mean_travel_km"]), 2),
            "max_travel_km": round(float(row["max_travel_km"]), 2),
            "polsby_popper": round(float(row["polsby_popper"]), 4), "contiguous": bool(row["contiguous"]),
            **({"pbr_detectable_pts": round(float(row["pbr_detectable_pts"]), 3),
                "expected_bidders": round(float(row["expected_bidders"]), 3),
                "thin_risk": round(float(row["thin_risk"]), 4), "small_lot": bool(row["small_lot"])}
               if "pbr_detectable_pts" in row.index else {}),
            "fill": colours[area], "popup_html": _popup_html(row, label or plan.label, numbers[area]),
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
    """JS that keeps track of the plan shown, opens area popups, swaps title and legend, places labels."""

    _template = Template(template_text("map_switcher.js.j2"))

    def __init__(self, labels: list[str]):
        super().__init__()
        self._name = "CpaPlanSwitcher"
        self.labels = labels
        self.hover = LAD_HOVER
        self.plain = {k: LAD_STYLE[k] for k in LAD_HOVER}
        self.labels_js = template_text("map_labels.js")


class _AreaLabels(MacroElement):
    """The numbered labels of one plan's areas (a CpaLabels layer in that plan's group): data only,
    inserted as text by the script, so names from files never become markup."""

    _template = Template("""{% macro script(this, kwargs) %}
new CpaLabels({{ this.items|tojson }}).addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, items: list[dict]):
        super().__init__()
        self._name = "CpaAreaLabels"
        self.items = items


class _FitBeside(MacroElement):
    """Fit the map to the data in the room right of the title and legend column (all of it in a
    narrow window), so the column hides no area."""

    _template = Template("""{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var side = document.querySelector('.cpa-side');
    var box = map.getContainer().getBoundingClientRect();
    var left = side ? side.getBoundingClientRect().right - box.left + 10 : 10;
    if (box.width - left < 320) { left = 10; }
    map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: [left, 10], paddingBottomRight: [10, 10]});
})();
{% endmacro %}""")

    def __init__(self, bounds):
        super().__init__()
        self._name = "CpaFitBeside"
        self.bounds = bounds


def label_items(plan: Plan, card: Scorecard, geo: Geography) -> list[dict]:
    """One label per area, largest value first: number, name, description, value and label point."""
    numbers = area_numbers(card)
    points = label_points(plan, geo)
    out = []
    for area in sorted(numbers, key=numbers.get):
        row = card.areas.loc[area]
        lat, lon = points[area]
        out.append({"area": str(area), "n": numbers[area], "name": plan.name(area),
                    "description": str(row.get("description", row["pfa_names"])),
                    "value": f"£{float(row['value_m']):,.1f}m", "lat": lat, "lon": lon})
    return out


def _title_html(i: int, label: str, card: Scorecard, values: ContractValues, shown: bool) -> str:
    lines = "".join(f"<div>{escape_html(line)}</div>" for line in headline(card, market=True))
    style = "" if shown else " style='display:none'"
    return (f"<div class='cpa-plan-info' data-plan='{i}'{style}>"
            f"<h3>{escape_html(label)}</h3>{lines}"
            f"<div class='model'>Values: {escape_html(values.label)}</div></div>")


def _legend_html(i: int, plan: Plan, card: Scorecard, colours: dict[str, str], classes: Classes | None,
                 shown: bool) -> str:
    """Number, colour, name and value of every area (largest first); the colour classes of a choropleth."""
    style = "" if shown else " style='display:none'"
    numbers = area_numbers(card)
    rows = "".join(
        f"<tr data-area='{escape_html(a)}'><td class='n'>{numbers[a]}</td>"
        f"<td><span class='sw' style='background:{colours[a]}'></span></td>"
        f"<td class='name'>{escape_html(plan.name(a))}</td>"
        f"<td class='v'>£{float(card.areas.at[a, 'value_m']):,.1f}m</td></tr>"
        for a in sorted(numbers, key=numbers.get))
    body = f"<table class='areas'><tbody>{rows}</tbody></table>"
    if classes is not None:
        scale = "".join(f"<div class='row'><span class='sw' style='background:{c}'></span>{escape_html(r)}</div>"
                        for c, r in zip(classes.colours, classes.ranges()))
        body = f"<div class='scale'><b>{escape_html(classes.title)}</b>{scale}</div>" + body
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
                    color_by: str = "area", classes: str = "quantile", tiles: str | None = None) -> folium.Map:
    """A Leaflet map of one or more plans, each a switchable layer (radio buttons).

    ``layers`` is a list of ``(label, plan, scorecard)``; the first is shown on
    opening. ``color_by`` is ``area`` (neighbours never share a colour) or a
    choropleth of ``value``, ``travel`` (mean km to hub) or ``share`` in
    colour ``classes`` (quantile, log or linear) shared by all layers. Every
    area carries its number (and its name where there is room) at its label
    point; the legend lists number, name and value. ``tiles`` (a folium tile name or URL template) adds a
    background map, which needs the network; the default draws none.
    """
    if not layers:
        raise CpaError("no plan to map", "give at least one plan: a reference name or a plan file")
    column, _ = metric_column(color_by)
    labels = _unique_labels(layers)
    scale = None if column is None else metric_classes([card for _, _, card in layers], color_by, classes)

    minx, miny, maxx, maxy = (float(x) for x in geo.units.total_bounds)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=6, tiles=None,
                   control_scale=True, font_size="13px", zoom_snap=0.25, zoom_delta=0.5)
    # Inline Leaflet instead of folium's CDN links (Leaflet, jQuery, Bootstrap, Font Awesome):
    # only Leaflet is used, and the page must work offline.
    m.default_js, m.default_css = [], []
    root = m.get_root()
    root.header.add_child(_LeafletInline(), name="leaflet")
    root.header.add_child(Element(f"<style>\n:root {{ --cpa-split-red: {SPLIT_RED}; }}\n{template_text('map.css')}</style>"),
                          name="cpa_css")
    # Leaflet writes layer names and folium tooltip captions with innerHTML: give them escaped text.
    shown = [escape_html(label) for label in labels]
    m.add_child(_PlanSwitcher(shown))
    if tiles:
        folium.TileLayer(tiles, name="background map", overlay=True, control=True).add_to(m)
    # Panes fix the drawing order whatever the order layers are switched on: areas, LADs (which take
    # hover and clicks), PFA outlines, split PFAs, hubs. Each pane's SVG spans the whole map, so the
    # panes ignore the pointer; Leaflet's CSS gives it back to interactive paths only.
    for name, z in (("cpa-areas", 410), ("cpa-lads", 420), ("cpa-pfas", 430), ("cpa-splits", 435),
                    ("cpa-hubs", 440), ("cpa-labels", 450)):
        folium.map.CustomPane(name, z_index=z, pointer_events=False).add_to(m)

    pfas = pfa_frame(geo)
    titles, legends = [], []
    for i, ((_, plan, card), label) in enumerate(zip(layers, labels)):
        colours = fill_colours(plan, card, geo, color_by, scale)
        group = folium.FeatureGroup(name=shown[i], overlay=False, show=i == 0)
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
        group.add_child(_AreaLabels(label_items(plan, card, geo)))
        group.add_to(m)
        titles.append(_title_html(i, label, card, values, i == 0))
        legends.append(_legend_html(i, plan, card, colours, scale, i == 0))

    lads = folium.FeatureGroup(name="LAD boundaries", overlay=True, show=True)
    tip_fields = ["lad_name", "pfa_name"] + [f"area_name_{i}" for i in range(len(layers))] + ["value_m"]
    tip_alias = ["LAD", "PFA"] + [f"area ({label})" for label in shown] + ["value £m/yr"]
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
    m.add_child(_FitBeside([[miny, minx], [maxy, maxx]]))
    return m


def render_html(m: folium.Map) -> str:
    """The complete HTML page of a map."""
    return m.get_root().render()


#: Folium's page-wide styles, which a map set inside another page must not bring along.
_PAGE_STYLES = re.compile(r"<style>\s*html, body \{.*?\}\s*</style>|<style>\s*#map \{.*?\}\s*</style>", re.S)


def map_fragments(page: str) -> tuple[str, str]:
    """A map's page (:func:`render_html`) as (head, body) to set inside another page (the report): the
    head's scripts and styles without folium's page-wide ones, and the body's elements followed by the
    map's script."""
    head = page[page.index("<head>") + len("<head>"):page.index("</head>")]
    body = page[page.index("<body>") + len("<body>"):page.rindex("</html>")].replace("</body>", "", 1)
    return _PAGE_STYLES.sub("", head), body


def write_map_html(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write the map as one self-contained HTML file, whole or not at all."""
    return atomic.write_text(path, render_html(m))
