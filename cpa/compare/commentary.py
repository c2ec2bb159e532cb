"""What the numbers say: short sentences computed from a comparison table or a sweep.
"""

from __future__ import annotations

import pandas as pd

from ..market import MarketModel, market_model
from ..options import MarketParameters
from .comparison import ComparisonResult


def _money(x: float) -> str:
    return f"£{x:,.1f}m"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def commentary(result: ComparisonResult, n_trusts: int | None = None) -> list[str]:
    """Short sentences computed from the table: solve status, trusts and PFAs kept whole,
    balance, what fewer areas cost in travel, and each option's smallest contract."""
    t = result.table.set_index("name", drop=False)
    out = []
    if result.not_run:
        out.append(f"Interrupted: {_names(result.not_run)} {'was' if len(result.not_run) == 1 else 'were'} "
                   "not run; the table has the options that were.")
    for name, rep in result.reports.items():
        if rep is None:
            continue
        limit = rep.options.get("time_limit")
        if rep.status == "interrupted":
            gap = "no bound was proved" if rep.gap is None else f"gap {rep.gap:.1%} to the best bound"
            out.append(f"{name} was stopped after {rep.wall_seconds:.0f} s and keeps its best plan so far "
                       f"({gap}); it is NOT proven optimal.")
        elif rep.status == "optimal":
            out.append(f"{name} is proven optimal for its objective (solved in {rep.wall_seconds:.0f} s).")
        else:
            gap = ("no bound was proved" if rep.gap is None
                   else f"gap {rep.gap:.1%} to the best bound")
            out.append(f"{name} is feasible but NOT proven optimal: {gap} after {rep.wall_seconds:.0f} s "
                       f"(time limit {limit:g} s), so a better plan may exist.")
    if t["trusts_split"].notna().all():
        split = t["trusts_split"].astype(int)
        of = f" of {n_trusts}" if n_trusts else ""
        if (split == 0).all():
            out.append(f"Probation Trusts: {'every option keeps' if len(t) > 1 else t.index[0] + ' keeps'} "
                       f"all{of} trusts whole.")
        else:
            best = [n for n in t.index if split[n] == split.min()]
            kept = f"{n_trusts - split.min()}{of} whole, " if n_trusts else ""
            others = "; ".join(f"{n} splits {split[n]}" for n in t.index if n not in best)
            out.append(f"Probation Trusts: {_names(best)} {'keeps' if len(best) == 1 else 'keep'} the most "
                       f"trusts whole ({kept}splitting {split.min()})" + (f"; {others}." if others else "."))
    pfas = t["pfas_split"].astype(int)
    if (pfas == 0).all():
        out.append("No option splits a police force area.")
    else:
        out.append("Police force areas split: " + "; ".join(f"{n} {pfas[n]}" for n in t.index) + ".")
    if len(t) > 1:
        cv, ratio = t["value_cv"].astype(float), t["value_ratio"].astype(float)
        lo, hi = cv.idxmin(), cv.idxmax()
        line = (f"Balance: {lo} is the most even (value CV {cv[lo]:.2f}, largest/smallest {ratio[lo]:.1f}x); "
                f"{hi} the least (CV {cv[hi]:.2f}, {ratio[hi]:.1f}x).")
        if ratio.min() < ratio[lo] * (1 - 1e-9):
            r = ratio.idxmin()
            line += f" By largest/smallest alone {r} is the most even ({ratio[r]:.1f}x, CV {cv[r]:.2f})."
        out.append(line)
        k = t["areas"].astype(int)
        big = k.idxmax()  # the first option with the most areas
        for name in t.index:
            if k[name] >= k[big]:
                continue
            a, b = float(t.at[name, "mean_travel_km"]), float(t.at[big, "mean_travel_km"])
            verb = "raises" if a > b else "lowers"
            out.append(f"Travel: {name} ({k[name]} areas) {verb} value-weighted mean travel to the hub to "
                       f"{a:.1f} km from {b:.1f} km for {big} ({k[big]} areas): {a - b:+.1f} km "
                       + (f"({(a - b) / b:+.0%}) " if b > 0 else "")
                       + f"for {k[big] - k[name]} fewer contracts.")
    smallest = []
    for name in t.index:
        areas = result.cards[name].areas
        a = areas["value_m"].idxmin()
        smallest.append(f"{name} {_money(areas.at[a, 'value_m'])} ({areas.at[a, 'area_name']})")
    out.append("Smallest contract: " + "; ".join(smallest) + ".")
    first = next(iter(result.cards.values()))
    model = market_model(MarketParameters(**first.summary["market"]))
    out.extend(market_tradeoff(t.rename(columns={"name": "label"}).reset_index(drop=True), model,
                               float(first.summary["total_value_m"])))
    broken = [n for n in t.index if not t.at[n, "all_contiguous"]]
    if broken:
        out.append(f"Not contiguous: {_names(broken)} (some areas are in more than one piece).")
    for name in t.index:
        s = result.cards[name].summary
        for key, what in (("areas_under_floor", f"under the {_money(s.get('min_value_m', 0))} floor"),
                          ("areas_over_max_value", f"over the {_money(s.get('max_value_m', 0))} maximum"),
                          ("areas_over_cap", f"over the {s.get('max_share_pct', 0):g}% share cap")):
            if s.get(key):
                out.append(f"{name} has {len(s[key])} area{'s' if len(s[key]) > 1 else ''} {what}.")
    return out


def _label(row) -> str:
    name, k = str(row["label"]), int(row["areas"])
    return name if name in (f"K={k}", str(k)) else f"{name} ({k} areas)"


def market_tradeoff(rows: pd.DataFrame, model: MarketModel, total_m: float) -> list[str]:
    """The market trade-off in words with the numbers, over rows with ``label``, ``areas``,
    ``pbr_detectable_max_pts``, ``thin_risk_sum`` and ``small_lots`` (a comparison or a sweep):
    payment by results wants large areas, competition wants areas above ~£20m, smaller providers want
    areas under ~£12m."""
    rows = rows.dropna(subset=["pbr_detectable_max_pts"])
    if rows.empty:
        return []
    rows = rows.sort_values(["areas", "label"], kind="stable")
    few, many = rows.iloc[0], rows.iloc[-1]
    two = model.value_to_detect(2.0, total_m)
    small = model.small_lot_value_m
    if len(rows) == 1:
        r = few
        return [f"Market: the worst area can detect a fall in reoffending of {r['pbr_detectable_max_pts']:.1f} "
                f"points (payment by results wants areas of £{two:,.1f}m or more to detect 2 points, "
                f"{model.pbr_design} test); expected lots with at most one bid {r['thin_risk_sum']:.1f} of "
                f"{int(r['areas'])} (competition wants areas above ~£20m, where the risk is "
                f"{model.thin_risk(20.0):.0%}); {int(r['small_lots'])} small lots of at most £{small:g}m "
                f"(smaller providers want areas under ~£{small:g}m)."]
    a, b = _label(few), _label(many)
    return [
        f"Payment by results wants large areas: the smallest change in reoffending the worst area can detect is "
        f"{few['pbr_detectable_max_pts']:.1f} points for {a} against {many['pbr_detectable_max_pts']:.1f} for "
        f"{b}; a 2-point fall needs an area of £{two:,.1f}m or more ({model.pbr_design} test, cohort "
        f"{model.required_cohort(2.0):,.0f}).",
        f"Competition wants areas above ~£20m (risk of at most one bid {model.thin_risk(20.0):.0%} there, "
        f"{model.thin_risk(small):.0%} at £{small:g}m): expected lots with at most one bid "
        f"{few['thin_risk_sum']:.1f} for {a} against {many['thin_risk_sum']:.1f} for {b}.",
        f"Smaller providers want areas under ~£{small:g}m: {int(few['small_lots'])} small "
        f"lot{'' if int(few['small_lots']) == 1 else 's'} for {a} against "
        f"{int(many['small_lots'])} for {b}.",
    ]


def sweep_commentary(df: pd.DataFrame, market: MarketParameters | None, total_m: float) -> list[str]:
    """Sentences about a sweep: how many Ks were proven, and the market trade-off across K."""
    model = market_model(market)
    ok = df[df["status"].isin(["optimal", "feasible", "interrupted"])]
    counts = df["status"].value_counts()
    out = [f"{len(df)} values of K: " + ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in
                                                    ("optimal", "feasible", "interrupted", "infeasible",
                                                     "no_solution", "error", "not_run") if counts.get(s, 0)) + "."]
    rows = ok.assign(label=[f"K={int(k)}" for k in ok["K"]])
    out += market_tradeoff(rows, model, total_m)
    return out
