"""Metrics over a plan: small functions, and the scorecard that gathers them.

Definitions (also in the README):

* **value** of an area: the sum of its units' modelled contract values (£/yr);
  **share** is value / national total; **deviation** is value / mean - 1.
* **hub**: the unit of the area minimising value-weighted distance to the
  area's units (the 1-median); ties go to the lowest code.
* **travel**: great-circle km from each unit's population-weighted centroid to
  the hub's; the area's mean is value-weighted, its max is over units with
  positive value.
* **PFAs split**: PFAs whose units lie in more than one area. **PFA
  fragments**: the extra pieces, sum over PFAs of (areas it touches - 1); this
  is the unit of the soft coterminosity penalty. **Trusts split** likewise for
  the 35 Probation Trusts.
* **Polsby-Popper**: 4*pi*A / P^2 of the dissolved area in British National
  Grid or the data's UTM zone (1 = a disc; the coastline lowers it).
* **contiguous**: the area's units form one connected piece of the unit graph
  (shared borders plus the named fixed crossings and ferries).
* **market** (:mod:`cpa.market`): the area's payment-by-results cohort, the
  minimum detectable change in the reoffending rate (points), expected bidders,
  the risk of at most one bid, and whether it is a small lot; for the plan the
  largest detectable change (the worst area), the expected number of lots with
  at most one bid (sum of the risks) and the number of small lots.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from .errors import CpaError
from .geography import Geography
from .geometry import dissolve
from .market import market_model
from .options import RENAMED, MarketParameters, check_pbr_detect, check_number, check_value_rules
from .plan import Plan
from .rules import scorecard_rules
from .values import ContractValues


def area_values(plan: Plan, values: ContractValues) -> pd.Series:
    """Annual value (£) per area."""
    s = plan.series()
    return values.by_unit.reindex(s.index).groupby(s).sum()


def hubs(plan: Plan, geo: Geography, values: ContractValues) -> dict[str, str]:
    """Area -> hub unit (the value-weighted 1-median of the area's units)."""
    v = values.array(geo)
    d = geo.distance_km
    out = {}
    for area, units in plan.members().items():
        idx = np.array([geo.index_of[u] for u in units])  # members are sorted: ties -> lowest code
        cost = (v[idx][:, None] * d[np.ix_(idx, idx)]).sum(axis=0)
        out[area] = units[int(np.argmin(cost))]
    return out


def travel(plan: Plan, geo: Geography, values: ContractValues, hub: dict[str, str]) -> pd.DataFrame:
    """Per area: value-weighted mean and maximum km from units to the hub."""
    v = values.array(geo)
    d = geo.distance_km
    rows = {}
    for area, units in plan.members().items():
        idx = np.array([geo.index_of[u] for u in units])
        dist = d[idx, geo.index_of[hub[area]]]
        w = v[idx]
        mean = float((w * dist).sum() / w.sum()) if w.sum() > 0 else 0.0
        rows[area] = {"mean_travel_km": mean, "max_travel_km": float(dist[w > 0].max()) if (w > 0).any() else 0.0,
                      "weighted_km": float((w * dist).sum())}
    return pd.DataFrame.from_dict(rows, orient="index")


def group_splits(plan: Plan, group_of: pd.Series) -> dict[str, int]:
    """Groups (e.g. PFAs) cut by the plan: group -> number of areas it touches (only those > 1)."""
    s = plan.series()
    touched = pd.DataFrame({"group": group_of.reindex(s.index), "area": s}).groupby("group")["area"].nunique()
    return {g: int(n) for g, n in touched.items() if n > 1}


def trust_of(geo: Geography) -> pd.Series | None:
    ref = geo.references.get("trusts35")
    return None if ref is None else pd.Series(ref["area"].to_numpy(), index=ref["lad_code"].to_numpy())


def components(plan: Plan, geo: Geography) -> dict[str, int]:
    """Area -> number of connected pieces in the unit graph (1 = contiguous)."""
    g = geo.graph()
    return {a: nx.number_connected_components(g.subgraph(u)) for a, u in plan.members().items()}


def polsby_popper(plan: Plan, geo: Geography) -> pd.DataFrame:
    """Per area: land area (km², ONS where known) and Polsby-Popper compactness."""
    geoms = geo.geometry_projected
    rows = {}
    for area, units in plan.members().items():
        shape = dissolve(geoms.loc[units].values)
        a, p = shape.area, shape.length
        land = geo.units["area_sqkm"].loc[units].sum()
        rows[area] = {"land_area_sqkm": float(land if np.isfinite(land) else a / 1e6),
                      "polsby_popper": float(4 * math.pi * a / p ** 2) if p > 0 else 0.0}
    return pd.DataFrame.from_dict(rows, orient="index")


def describe_area(geo: Geography, units: list[str], split: set[str] | dict) -> str:
    """Every PFA of an area, whole or in part, largest first: ``Thames Valley; Surrey; part of
    Metropolitan Police (Hillingdon, Hounslow)``; a part of more than four LADs says how many."""
    by_pfa: dict[str, list[str]] = {}
    for u in sorted(units):
        by_pfa.setdefault(geo.pfa_of[u], []).append(u)
    parts = []
    for p in sorted(by_pfa, key=lambda p: (-len(by_pfa[p]), geo.pfa_name(p))):
        if p in split:
            lads = by_pfa[p]
            which = (", ".join(str(geo.units.at[u, "name"]) for u in lads) if len(lads) <= 4
                     else f"{len(lads)} of {len(geo.pfa_members[p])} LADs")
            parts.append(f"part of {geo.pfa_name(p)} ({which})")
        else:
            parts.append(geo.pfa_name(p))
    return "; ".join(parts)


@dataclass
class Scorecard:
    """Per-area table and plan-level summary for one plan."""

    areas: pd.DataFrame
    summary: dict
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        areas = self.areas.reset_index().to_dict(orient="records")
        return {"summary": self.summary, "areas": areas, "notes": self.notes}



def market_columns(value_m: pd.Series, total_m: float, market: MarketParameters | None = None) -> pd.DataFrame:
    """Per area (``value_m``: £m a year): PbR cohort, minimum detectable change (points), expected
    bidders, risk of at most one bid, small lot (:mod:`cpa.market`)."""
    m = market_model(market)
    v = value_m.to_numpy(dtype=float)
    return pd.DataFrame({
        "pbr_cohort": m.cohort(v, total_m), "pbr_detectable_pts": m.detectable_change_of_value(v, total_m),
        "expected_bidders": m.expected_bidders(v), "thin_risk": m.thin_risk(v),
        "small_lot": [bool(x) for x in m.is_small_lot(v)]}, index=value_m.index)


def scorecard(plan: Plan, geo: Geography, values: ContractValues, *, min_value_m: float | None = None,
              max_share_pct: float | None = None, max_value_m: float | None = None,
              market: MarketParameters | None = None, pbr_detect: float | None = None,
              small_lots: int | None = None, **old) -> Scorecard:
    """Score a plan; flag areas under ``min_value_m`` or over ``max_value_m`` (£m a year) or over
    ``max_share_pct`` (percent of national value). ``market`` sets the market measures' parameters
    (default: :class:`cpa.options.MarketParameters`); ``pbr_detect`` (points) and ``small_lots`` (a
    number of areas) flag the market rules."""
    if old:
        renamed = {k: RENAMED.get(k, "no such option") for k in old}
        raise CpaError("scorecard(" + ", ".join(f"{k}=...) is now {v}" for k, v in renamed.items()),
                       "money is in £m a year and shares in percent, as on the command line")
    check_value_rules(min_value_m, max_value_m, max_share_pct)
    if market is not None and not isinstance(market, MarketParameters):
        raise CpaError(f"market must be a MarketParameters object, got {type(market).__name__}")
    model = market_model(market)
    pbr_detect = check_pbr_detect(pbr_detect, model.pbr_baseline)
    if small_lots is not None:
        small_lots = check_number("--small-lots", small_lots, minimum=0, integer=True)
    plan.validate(geo)
    min_value = None if min_value_m is None else min_value_m * 1e6
    max_value = None if max_value_m is None else max_value_m * 1e6
    max_share = None if max_share_pct is None else max_share_pct / 100.0
    total = values.total
    val = area_values(plan, values)
    hub = hubs(plan, geo, values)
    trav = travel(plan, geo, values, hub)
    shape = polsby_popper(plan, geo)
    pieces = components(plan, geo)
    pfa_of = geo.pfa_of
    pfa_cut = group_splits(plan, pfa_of)
    members = plan.members()
    mean = total / plan.k

    rows = []
    for area, units in members.items():
        pfas = sorted(set(pfa_of.loc[units]))
        whole = [p for p in pfas if p not in pfa_cut]
        cut = [p for p in pfas if p in pfa_cut]
        rows.append({
            "area": area, "area_name": plan.name(area),
            "value_m": val[area] / 1e6, "share": val[area] / total, "deviation": val[area] / mean - 1,
            "lads": len(units), "pfas_whole": len(whole), "pfas_cut": len(cut),
            "pfa_names": "; ".join(geo.pfa_name(p) for p in pfas),
            "description": describe_area(geo, units, pfa_cut),
            "hub": hub[area], "hub_name": str(geo.units.loc[hub[area], "name"]),
            "mean_travel_km": trav.loc[area, "mean_travel_km"], "max_travel_km": trav.loc[area, "max_travel_km"],
            "land_area_sqkm": shape.loc[area, "land_area_sqkm"], "polsby_popper": shape.loc[area, "polsby_popper"],
            "contiguous": pieces[area] == 1, "pieces": pieces[area],
        })
    areas = pd.DataFrame(rows).set_index("area")
    areas = areas.join(market_columns(areas["value_m"], total / 1e6, model))

    value_in_split = values.by_unit[pfa_of.isin(pfa_cut)].sum() / total
    trusts = trust_of(geo)
    trusts_cut = group_splits(plan, trusts) if trusts is not None else None
    v = areas["value_m"]
    summary = {
        "plan": plan.label,
        "value_model": values.label,
        "areas": plan.k,
        "lads": geo.n,
        "total_value_m": total / 1e6,
        "value_min_m": float(v.min()), "value_max_m": float(v.max()),
        "value_ratio": float(v.max() / v.min()) if v.min() > 0 else math.inf,
        "value_cv": float(v.std(ddof=0) / v.mean()),
        "largest_share": float(areas["share"].max()),
        "largest_area": str(areas["share"].idxmax()),
        "pfas_split": len(pfa_cut),
        "pfa_fragments": int(sum(n - 1 for n in pfa_cut.values())),
        "value_share_in_split_pfas": float(value_in_split),
        "trusts_split": None if trusts_cut is None else len(trusts_cut),
        "mean_travel_km": float(trav["weighted_km"].sum() / total),
        "max_travel_km": float(trav["max_travel_km"].max()),
        "all_contiguous": bool(areas["contiguous"].all()),
        "noncontiguous_areas": [a for a in areas.index if not areas.loc[a, "contiguous"]],
        "distance_note": geo.distance_note,
        "pbr_detectable_max_pts": float(areas["pbr_detectable_pts"].max()),
        "pbr_worst_area": str(areas["pbr_detectable_pts"].idxmax()),
        "thin_risk_sum": float(areas["thin_risk"].sum()),
        "small_lots": int(areas["small_lot"].sum()),
        "market": {f.name: getattr(model, f.name) for f in dataclasses.fields(MarketParameters)},
    }
    # Rule flags go in the summary and as per-area columns, so every format (table, CSV, JSON) carries
    # them; each rule flags itself (cpa.rules)
    area_value = {a: float(val[a]) for a in areas.index}
    for rule in scorecard_rules(min_value, max_share, max_value, total, pbr_detect=pbr_detect, small_lots=small_lots,
                                market=model):
        rule.flag(summary, areas, area_value, total)
    notes = [f"Values: {values.label}.", f"Travel: {geo.distance_note}; hub = value-weighted 1-median LAD.",
             model.describe()]
    if not summary["all_contiguous"]:
        notes.append("Not contiguous: " + ", ".join(
            f"{plan.name(a)}{'' if plan.name(a) == a else f' [{a}]'} ({pieces[a]} pieces)"
            for a in summary["noncontiguous_areas"]))
    return Scorecard(areas=areas, summary=summary, notes=notes)
