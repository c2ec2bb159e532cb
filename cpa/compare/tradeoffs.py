"""What a grid's results say: the Pareto fronts, the reference plans on them, and how robust plans are.

Travel is the value-weighted mean km from each LAD to its area's hub (the
scorecard's ``mean_travel_km``, the objective's travel term); balance is the
objective's balance term (the sum over areas of |value - mean| as a
percentage of national value, ``term_balance_pct``); fragments are the extra
PFA pieces (soft coterminosity). Both are smaller-is-better, and a plan is
*dominated* when another plan under the same value model is at least as good
on both and better on one. Plans under different value models are never
compared with each other: their values, so their balance and travel, differ.

Robustness across value models: the points of the grid that differ only in
the value model form a *group*. For each pair of neighbouring LADs the
co-assignment table gives the share of plans that put the two in one area,
per value model, and the share of groups in which every value model agrees
(all together or all apart). A LAD's *stability* is the share of plans in
which it shares an area with its most frequent partners: within each group,
the set of LADs its area holds most often; over all groups of two or more
plans. A LAD is 100% stable when no value model changes its area.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..geography import Geography
from ..io.plans import read_plan
from ..metrics import scorecard
from ..values import ContractValues

TRAVEL, BALANCE, FRAGMENTS = "mean_travel_km", "term_balance_pct", "pfa_fragments"
#: Statuses whose rows have a plan.
WITH_PLAN = ("optimal", "feasible")
#: Reference plans placed on the fronts.
FRONT_REFERENCES = ("trusts35", "crc21", "regions12")


def non_dominated(points: np.ndarray) -> np.ndarray:
    """For each row of ``points`` (one column per objective, all minimised): True if no other row is at
    least as small in every column and smaller in one. Equal rows do not dominate each other."""
    pts = np.asarray(points, dtype=float)
    if len(pts) == 0:
        return np.zeros(0, dtype=bool)
    le = (pts[:, None, :] <= pts[None, :, :]).all(axis=2)   # le[j, i]: j at least as good as i everywhere
    lt = (pts[:, None, :] < pts[None, :, :]).any(axis=2)    # lt[j, i]: j better than i somewhere
    return ~(le & lt).any(axis=0)


def solved(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a plan (proven optimal or feasible)."""
    return table[table["status"].isin(WITH_PLAN)]


def mark_dominated(table: pd.DataFrame, columns=(TRAVEL, BALANCE), where: pd.Series | None = None) -> pd.Series:
    """Per row: True if dominated on ``columns`` by another row with the same value model (only rows with a
    plan, and where ``where`` holds, take part); NA for the others."""
    out = pd.Series(pd.NA, index=table.index, dtype="boolean")
    rows = solved(table)
    if where is not None:
        rows = rows[where.reindex(rows.index).fillna(False).astype(bool)]
    for _, grp in rows.groupby("values", sort=False):
        front = non_dominated(grp[list(columns)].to_numpy(float))
        out.loc[grp.index] = ~front
    return out


def balance_pct(card) -> float:
    """The objective's balance term for a scored plan: 100 x sum over areas of |share - 1/K|."""
    shares = card.areas["share"].to_numpy(float)
    return float(100.0 * np.abs(shares - 1.0 / len(shares)).sum())


#: The market figures of a plan the grid's curves show (scorecard summary keys).
MARKET_COLUMNS = ("pbr_detectable_max_pts", "thin_risk_sum", "small_lots")


def reference_points(geo: Geography, values: dict[str, ContractValues],
                     names=FRONT_REFERENCES, market=None) -> pd.DataFrame:
    """The reference plans the geography has, scored under each value model, with travel, balance and
    the market figures (parameters ``market``)."""
    rows = []
    for name in names:
        if name not in geo.references:
            continue
        plan = read_plan(name, geo)
        for vlabel, vals in values.items():
            card = scorecard(plan, geo, vals, market=market)
            s = card.summary
            rows.append({"name": name, "values": vlabel, "K": s["areas"], TRAVEL: s["mean_travel_km"],
                         BALANCE: balance_pct(card), FRAGMENTS: s["pfa_fragments"], "value_min_m": s["value_min_m"],
                         **{c: s[c] for c in MARKET_COLUMNS}})
    return pd.DataFrame(rows, columns=["name", "values", "K", TRAVEL, BALANCE, FRAGMENTS, "value_min_m",
                                       *MARKET_COLUMNS])


def dominators(point: pd.Series, table: pd.DataFrame, columns=(TRAVEL, BALANCE)) -> pd.DataFrame:
    """The solved rows of the same value model that dominate ``point``, least travel first."""
    rows = solved(table)
    rows = rows[rows["values"] == point["values"]]
    cols = list(columns)
    here = point[cols].to_numpy(float)
    mine = rows[cols].to_numpy(float)
    hit = (mine <= here).all(axis=1) & (mine < here).any(axis=1)
    return rows[hit].sort_values(cols[0])


def option_axes(axes) -> list[str]:
    """The axes that define an option, K included: every axis but the value model."""
    return [a for a in axes if a != "values"]


def never_dominated(table: pd.DataFrame, axes) -> dict:
    """Which options (K and settings) are on the front under every value model they were solved under.

    Returns ``{"options": [labels...], "ks": [K...], "per_values": {values: [labels...]}, "value_models": n}``;
    an option counts only if it has a plan under every value model of the grid.
    """
    opts = option_axes(axes)
    rows = solved(table).assign(dominated=mark_dominated(table))
    models = list(dict.fromkeys(table["values"]))
    per_values = {v: [_labels(r, opts) for _, r in grp[~grp["dominated"].astype(bool)].iterrows()]
                  for v, grp in rows.groupby("values", sort=False)}
    always = []
    for _, grp in rows.groupby(opts, sort=False, dropna=False):
        if set(grp["values"]) == set(models) and not grp["dominated"].astype(bool).any():
            always.append(_labels(grp.iloc[0], opts))
    always.sort(key=lambda d: d["K"])
    return {"options": always, "ks": sorted({int(d["K"]) for d in always}), "per_values": per_values,
            "value_models": len(models)}


def _labels(row: pd.Series, cols) -> dict:
    return {c: (int(row[c]) if c == "K" else row[c]) for c in cols}


def describe(labels: dict) -> str:
    """``K=16, coterminous strict, set plain``: an option in words."""
    parts = [f"K={labels['K']}"] + [f"{k.replace('_', '-')} {v}" for k, v in labels.items() if k != "K"]
    return ", ".join(parts)


# -------------------------------------------------------------------------------------------- robustness
def neighbour_pairs(geo: Geography) -> pd.DataFrame:
    """Each pair of linked LADs once: ``lad_a, lad_b, link_type``."""
    links = geo.links[["a", "b", "link_type"]].copy()
    a, b = links[["a", "b"]].min(axis=1), links[["a", "b"]].max(axis=1)
    links["a"], links["b"] = a, b
    links = links.drop_duplicates(["a", "b"]).sort_values(["a", "b"]).reset_index(drop=True)
    return links.rename(columns={"a": "lad_a", "b": "lad_b"})


def together_matrix(plans: list[pd.Series], pairs: pd.DataFrame) -> np.ndarray:
    """plans x pairs: True where the plan puts both LADs of the pair in one area."""
    out = np.zeros((len(plans), len(pairs)), dtype=bool)
    for i, plan in enumerate(plans):
        out[i] = plan.reindex(pairs["lad_a"]).to_numpy() == plan.reindex(pairs["lad_b"]).to_numpy()
    return out


def robustness(table: pd.DataFrame, plans: dict[str, pd.Series], geo: Geography,
               axes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(co-assignment per neighbouring pair, stability per LAD) over the rows of ``table`` with a plan.

    ``plans`` maps a row's key to its plan (LAD -> area). Agreement and
    stability need at least two value models; with one they are NA.
    """
    rows = solved(table)
    rows = rows[rows["key"].isin(plans.keys())].reset_index(drop=True)
    pairs = neighbour_pairs(geo)
    names = geo.units["name"]
    together = together_matrix([plans[k] for k in rows["key"]], pairs)
    co = pairs.assign(name_a=names.reindex(pairs["lad_a"]).to_numpy(), name_b=names.reindex(pairs["lad_b"]).to_numpy())
    co = co[["lad_a", "name_a", "lad_b", "name_b", "link_type"]]
    co["plans"] = len(rows)
    co["together_share"] = together.mean(axis=0) if len(rows) else np.nan
    models = list(dict.fromkeys(table["values"]))
    for v in models:
        mask = (rows["values"] == v).to_numpy()
        co[f"together_share_{v}"] = together[mask].mean(axis=0) if mask.any() else np.nan
    groups = [idx.to_numpy() for _, idx in rows.groupby(option_axes(axes), sort=False, dropna=False).groups.items()
              if len(idx) >= 2] if len(models) >= 2 else []
    if groups:
        agree = np.array([together[g].all(axis=0) | ~together[g].any(axis=0) for g in groups])
        co["groups"] = len(groups)
        co["agreement"] = agree.mean(axis=0)
    else:
        co["groups"] = 0
        co["agreement"] = np.nan
    co = co.sort_values(["agreement", "together_share", "lad_a", "lad_b"], na_position="last").reset_index(drop=True)
    stab = _stability(groups, [plans[k] for k in rows["key"]], geo)
    return co, stab


def _stability(groups: list[np.ndarray], plans: list[pd.Series], geo: Geography) -> pd.DataFrame:
    """Per LAD: the share of plans in which its area holds exactly its most frequent set within the group."""
    codes = list(geo.units.index)
    modal = np.zeros(len(codes))
    plans_seen = sum(len(g) for g in groups)
    for g in groups:
        areas = []  # per plan: LAD -> the set of LADs in its area
        for i in g:
            members = plans[i].groupby(plans[i]).groups
            sets = {a: frozenset(m) for a, m in members.items()}
            areas.append({u: sets[a] for u, a in plans[i].items()})
        for n, u in enumerate(codes):
            modal[n] += max(Counter(area.get(u) for area in areas).values())
    out = pd.DataFrame({"lad_code": codes, "name": geo.units["name"].to_numpy(),
                        "pfa": [geo.pfa_name(p) for p in geo.units["pfa_code"]],
                        "plans": plans_seen,
                        "stability": modal / plans_seen if plans_seen else np.nan})
    return out.sort_values(["stability", "lad_code"], na_position="last").reset_index(drop=True)
