"""The offline plan editor: one self-contained HTML page (``cpa edit``).

The page opens with a plan and lets a person move LADs (or whole PFAs) between
areas, add, remove, rename and freeze areas, undo and redo, and export the plan
CSV (``lad_code,area,area_name``) that every command reads. After every change
it recomputes, in the browser, the scorecard of :func:`cpa.metrics.scorecard`
and the solver's objective (:func:`plan_objective`) from exactly the data the
Python side uses:

* unit values (£/yr) and the national total as :class:`ContractValues` holds them;
* the distance matrix ``geo.distance_km`` itself (its upper triangle as
  little-endian float64, base64), so hubs (the value-weighted 1-median, costs
  summed in member order as numpy sums them, ties to the lowest code) come out
  bit for bit as in Python. Above :data:`MATRIX_LIMIT` units the page computes
  the same haversine (same centroids, earth radius and order of operations) on
  demand instead, which can differ from numpy in the last digit;
* the unit graph with every link type (shared borders, fixed crossings, ferries)
  for contiguity; PFA and Probation Trust membership;
* the rules: floor, cap, maximum value, coterminosity mode and weights, and the
  market rules (``--pbr-detect`` as its value floor, ``--small-lots``);
* the market parameters (:class:`cpa.market.MarketModel`) with the two normal
  quantiles of the test, so the page finds the minimum detectable change by the
  same Newton steps as Python, and expected bidders, thin-competition risk and
  small lots by the same formulas.

Figures are shown with the Python format specs of :data:`SUMMARY_FIGURES`,
:data:`AREA_FIGURES` and :data:`OBJECTIVE_FIGURES`; the page formats numbers as
Python's ``format`` does (exact halves to even), so ``cpa evaluate`` of the
export reproduces them after that rounding.

Safety: every input string reaches the page as JSON in a non-executed
``<script type="application/json">`` block (with ``<``, ``>`` and ``&``
escaped) and is inserted with ``textContent``. The page's
Content-Security-Policy runs only its own two inline scripts (by hash) and
allows no network request at all.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

import jinja2
import numpy as np
from markupsafe import Markup

from ..errors import CpaError
from ..geography import EARTH_RADIUS_KM, Geography, haversine_km
from ..io import atomic
from ..io.safe import FORMULA_STARTS, PLAIN_NUMBER
from ..market import EDGE, NEWTON_DONE, market_model
from ..metrics import hubs, trust_of
from ..options import SolveOptions
from ..objective import objective_for
from ..plan import Plan
from ..rules import PbrDetect
from ..values import ContractValues
from .maps import _collection, area_colours, leaflet_inline, pfa_frame
from .styles import PALETTE, SPLIT_RED, template_text

#: Embed the distance matrix up to this many units (about 2 MB of base64); beyond, the page
#: recomputes the haversine from the centroids (same formula and radius, last-digit differences).
MATRIX_LIMIT = 700

#: How the page shows the plan-level figures: Python format specs of ``Scorecard.summary`` keys.
SUMMARY_FIGURES = {
    "areas": "d", "total_value_m": ",.1f", "value_min_m": ",.1f", "value_max_m": ",.1f",
    "value_ratio": ".2f", "value_cv": ".2f", "largest_share": ".1%", "pfas_split": "d",
    "pfa_fragments": "d", "value_share_in_split_pfas": ".1%", "trusts_split": "d",
    "mean_travel_km": ".1f", "max_travel_km": ".0f",
    "pbr_detectable_max_pts": ".2f", "thin_risk_sum": ".2f", "small_lots": "d",
}
#: How the page shows each area's figures: format specs of ``Scorecard.areas`` columns.
AREA_FIGURES = {
    "value_m": ",.1f", "share": ".1%", "deviation": "+.1%", "lads": "d", "pfas_whole": "d",
    "pfas_cut": "d", "mean_travel_km": ".1f", "max_travel_km": ".0f", "pieces": "d",
    "pbr_detectable_pts": ".2f", "thin_risk": ".0%",
}
#: How the page shows the objective and its terms (keys of :func:`plan_objective`).
OBJECTIVE_FIGURES = {"objective": ".4f", "travel_km": ".4f", "balance_pct": ".4f", "pfa_fragments": "d",
                     "pbr_detectable_pts": ".4f", "thin_risk_sum": ".4f", "value_above_small_m": ".4f"}


def display(value, spec: str) -> str:
    """A figure as the page shows it (``inf`` for an unbounded ratio)."""
    return format(value, spec)


# ------------------------------------------------------------------ plans
def one_area_per_pfa(geo: Geography) -> Plan:
    """The plan the editor opens with when none is given: each PFA (group) one area, named after it."""
    return Plan(dict(geo.pfa_of), {p: geo.pfa_name(p) for p in geo.pfa_members}, label="one area per PFA")


def plan_objective(plan: Plan, geo: Geography, values: ContractValues, options: SolveOptions) -> dict:
    """The solver's objective and its terms for a finished plan, with ``options``' mode and weights:
    :mod:`cpa.objective`, the one definition every solve reports (each area hubbed at its 1-median,
    the scorecard's hub)."""
    return objective_for(geo, values, dataclasses.replace(options, k=plan.k)).plan_objective(plan)


# ------------------------------------------------------------------- data
def encode_distances(geo: Geography) -> dict:
    """The distance matrix as the page reads it: upper triangle (symmetric, zero diagonal), else full."""
    if geo.n > MATRIX_LIMIT:
        return {"kind": "haversine", "radius_km": EARTH_RADIUS_KM}
    d = np.ascontiguousarray(geo.distance_km, dtype="<f8")
    if np.array_equal(d, d.T) and not d.diagonal().any():
        kind, flat = "upper", d[np.triu_indices(geo.n, k=1)]
    else:
        kind, flat = "full", d.ravel()
    return {"kind": kind, "data": base64.b64encode(flat.astype("<f8").tobytes()).decode("ascii")}


def decode_distances(spec: dict, lat, lon) -> np.ndarray:
    """The n x n matrix the page rebuilds from :func:`encode_distances` (the same steps, for tests)."""
    n = len(lat)
    if spec["kind"] == "haversine":
        return haversine_km(np.asarray(lat), np.asarray(lon))
    flat = np.frombuffer(base64.b64decode(spec["data"]), dtype="<f8")
    if spec["kind"] == "full":
        return flat.reshape(n, n).copy()
    d = np.zeros((n, n))
    d[np.triu_indices(n, k=1)] = flat
    return d + d.T


def market_data(model) -> dict:
    """The market model as the page computes with it (see :mod:`cpa.market`)."""
    za, zb = model.z_values()
    return {"pbr_cohort": model.pbr_cohort, "pbr_baseline": model.pbr_baseline, "pbr_design": model.pbr_design,
            "za": za, "zb": zb, "smallest_cohort": model.smallest_cohort(), "edge": EDGE, "done": NEWTON_DONE,
            "bidders_max": model.bidders_max, "bidders_scale": model.bidders_scale,
            "bidders_offset": model.bidders_offset, "small_lot_value_m": model.small_lot_value_m}


def _groups(codes: list[str], names: dict[str, str]) -> dict:
    return {"code": codes, "name": [names.get(c, c) for c in codes]}


def editor_data(plan: Plan, geo: Geography, values: ContractValues, options: SolveOptions,
                source: str | None = None) -> dict:
    """Everything the page embeds: units, groups, links, distances, the plan, the rules, the formats."""
    plan.validate(geo)
    model = market_model(options.market)
    pbr = None if options.pbr_detect is None else PbrDetect(options.pbr_detect, model, values.total)
    codes = geo.codes
    pfa_codes = sorted(geo.pfa_members)
    pfa_index = {p: i for i, p in enumerate(pfa_codes)}
    trusts = trust_of(geo)
    if trusts is not None:
        trust_codes = sorted(set(trusts))
        trust_index = {t: i for i, t in enumerate(trust_codes)}
        ref = geo.references["trusts35"]
        trust_group = _groups(trust_codes, dict(zip(ref["area"], ref["area_name"])))
    area_labels = plan.areas
    area_index = {a: i for i, a in enumerate(area_labels)}
    try:
        colours = area_colours(plan, geo)
    except CpaError:  # more mutual neighbours than the palette has colours: the page extends it
        colours = {}
    links = [[geo.index_of[r.a], geo.index_of[r.b], str(r.link_type), str(r.name or "")]
             for r in geo.links.itertuples(index=False)]
    lads = _collection(geo.units.geometry.values, [{"i": i} for i in range(geo.n)])
    pfa_shapes = pfa_frame(geo)
    minx, miny, maxx, maxy = (float(x) for x in geo.units.total_bounds)
    label = source or plan.label
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(label).stem).strip("._") or "plan"
    return {
        "title": label,
        "plan_label": plan.label,
        "export_name": f"{stem}-edited.csv",
        "value_model": values.label,
        "distance_note": geo.distance_note,
        "total": values.total,
        "units": {
            "code": codes,
            "name": [str(x) for x in geo.units["name"]],
            "pfa": [pfa_index[p] for p in geo.pfa_of],
            "trust": [-1] * geo.n if trusts is None else [trust_index[trusts[c]] for c in codes],
            "value": [float(x) for x in values.array(geo)],
            "lat": [float(x) for x in geo.units["lat"]],
            "lon": [float(x) for x in geo.units["lon"]],
        },
        "order": sorted(range(geo.n), key=lambda i: codes[i]),  # Python's sorted(codes): hub ties
        "pfas": _groups(pfa_codes, {p: geo.pfa_name(p) for p in pfa_codes}),
        "trusts": None if trusts is None else trust_group,
        "links": links,
        "distance": encode_distances(geo),
        "areas": [{"label": a, "name": plan.name(a), "colour": colours.get(a)} for a in area_labels],
        "assignment": [area_index[plan.assignment[c]] for c in codes],
        # In £ a year and as a fraction: the very numbers metrics.scorecard compares with.
        "rules": {
            "min_value": options.min_value_gbp, "max_value": options.max_value_gbp,
            "max_share": options.max_share_fraction, "coterminous": options.coterminous,
            "weights": {"travel": options.weights.travel, "balance": options.weights.balance,
                        "split": options.weights.split, "pbr": options.weights.pbr,
                        "thin": options.weights.thin, "small": options.weights.small},
            "pbr_detect": options.pbr_detect,
            "pbr_detect_value": None if pbr is None else pbr.value,
            "small_lots": options.small_lots,
        },
        "market": market_data(model),
        "formats": {"summary": SUMMARY_FIGURES, "area": AREA_FIGURES, "objective": OBJECTIVE_FIGURES},
        "palette": list(PALETTE),
        "split_colour": SPLIT_RED,
        "formula_starts": list(FORMULA_STARTS), "plain_number": PLAIN_NUMBER,
        "lads": lads,
        "pfa_shapes": _collection(pfa_shapes.geometry.values,
                                  [{"p": pfa_index[p]} for p in pfa_shapes["area"]]),
        "bounds": [[miny, minx], [maxy, maxx]],
    }


def script_json(obj) -> str:
    """JSON that is safe inside an HTML ``<script>`` block: no ``<``, ``>``, ``&`` or JS line breaks."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


#: Autoescaping on: the title and the value model line are escaped; the rest is inlined code or JSON data.
_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def _inline_safe(text: str, tag: str, what: str) -> str:
    if f"</{tag}" in text.lower():
        raise CpaError(f"{what} contains '</{tag}' and cannot be inlined", "this is a packaging bug; report it")
    return text


def editor_html(plan: Plan, geo: Geography, values: ContractValues, options: SolveOptions,
                source: str | None = None) -> str:
    """The editor page for ``plan``: HTML with Leaflet, the page's CSS and JS and the data inlined."""
    data = editor_data(plan, geo, values, options, source)
    leaflet_js, leaflet_css = leaflet_inline()
    editor_js, editor_css = template_text("editor.js"), template_text("editor.css")
    scripts = [_inline_safe(leaflet_js, "script", "leaflet.js"), _inline_safe(editor_js, "script", "editor.js")]
    page = _ENV.from_string(template_text("editor.html.j2")).render(
        title=data["title"],
        value_model=data["value_model"],
        csp_scripts=Markup(" ".join(_csp_hash(s) for s in scripts)),  # base64 and quotes only
        leaflet_css=Markup(_inline_safe(leaflet_css, "style", "leaflet.css")),
        editor_css=Markup(_inline_safe(editor_css, "style", "editor.css")),
        leaflet_js=Markup(scripts[0]),
        editor_js=Markup(scripts[1]),
        data_json=Markup(script_json(data)),
    )
    return page


def write_editor(path: str | os.PathLike, plan: Plan, geo: Geography, values: ContractValues,
                 options: SolveOptions, source: str | None = None) -> Path:
    """Write the editor page, whole or not at all."""
    return atomic.write_text(path, editor_html(plan, geo, values, options, source))


__all__ = ["AREA_FIGURES", "OBJECTIVE_FIGURES", "SUMMARY_FIGURES", "decode_distances", "display",
           "editor_data", "editor_html", "encode_distances", "one_area_per_pfa", "plan_objective",
           "script_json", "write_editor"]
