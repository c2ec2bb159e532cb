"""Compare options side by side, and sweep the number of areas K.

An :class:`Option` is either an existing plan (a reference such as
``trusts35`` or a plan file) or a solve (K plus the solve options).
:func:`compare` scores every option with the same scorecard and gathers one
row per option; :func:`write_comparison` writes the table, each option's plan,
one map with every option as a layer, pictures and an HTML report with a
commentary computed from the numbers.

:func:`sweep` solves one K after another (in parallel processes) and returns
one row per K, infeasible Ks included as rows; :func:`write_sweep` writes the
rows and curves against K with the historical plans marked.

Scenario files (TOML) describe a comparison for ``cpa compare --scenario``;
see ``examples/compare_16_vs_35.toml`` and :func:`read_scenario`.

Every table column comes from a plan's :func:`cpa.metrics.scorecard` summary
(or the solver's report); nothing is recomputed here, so the comparison
cannot drift from ``cpa evaluate``.
"""

from __future__ import annotations

import base64
import concurrent.futures
import difflib
import html
import io
import math
import multiprocessing
import os
import re
import signal
import time
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from . import __version__, atomic
from .errors import CpaError, InfeasibleRequest
from .geography import Geography
from .metrics import Scorecard, scorecard
from .optimise import NoPlanFound, SolveOptions, SolveResult, solve
from .plan import Plan, plan_geodataframe, read_plan
from .report import markdown_table, text_table
from .values import ContractValues

#: Plan-level figures copied from each scorecard summary into the comparison and sweep tables.
SUMMARY_COLUMNS = ("areas", "value_min_m", "value_max_m", "value_ratio", "value_cv", "largest_share",
                   "pfas_split", "trusts_split", "mean_travel_km", "max_travel_km", "all_contiguous")
TABLE_COLUMNS = ("name", "kind") + SUMMARY_COLUMNS + ("status", "gap", "solve_seconds")
SWEEP_COLUMNS = (("K", "status", "gap", "objective", "bound", "term_travel_km", "term_balance_pct",
                  "term_pfa_fragments") + SUMMARY_COLUMNS + ("pfa_fragments", "seconds", "plan_hash", "reason"))

#: Where the curves of a sweep get vertical markers: the CRC, trust and region eras' numbers of areas.
SWEEP_MARKERS = (16, 21, 35)
#: Reference plans drawn as labelled points on the sweep curves.
SWEEP_REFERENCES = ("trusts35", "crc21", "regions12")

SOLVED_COLOUR, REFERENCE_COLOUR = "#4e79a7", "#9c755f"


# ------------------------------------------------------------------- options
@dataclass(frozen=True)
class Option:
    """One option to compare: an existing plan (``plan``) or a solve (``solve``), never both."""

    name: str
    plan: str | None = None
    solve: SolveOptions | None = None

    def __post_init__(self):
        if not str(self.name).strip():
            raise CpaError("an option needs a name", "e.g. name = \"K=16\"")
        if (self.plan is None) == (self.solve is None):
            raise CpaError(f"option {self.name!r} must be either a plan (reference or file) or a solve, not "
                           f"{'both' if self.plan is not None else 'neither'}")

    @property
    def kind(self) -> str:
        return "reference" if self.plan is not None else "solved"

    @classmethod
    def reference(cls, plan: str | os.PathLike, name: str | None = None) -> "Option":
        """An existing plan: a reference name (``crc21``) or a plan file; named after it by default."""
        text = str(plan)
        return cls(name or (Path(text).stem if Path(text).suffix else text), plan=text)

    @classmethod
    def solved(cls, options: SolveOptions | int, name: str | None = None, **kw) -> "Option":
        """A solve: ``SolveOptions`` or K plus SolveOptions fields (``Option.solved(16, time_limit=60)``)."""
        if not isinstance(options, SolveOptions):
            options = SolveOptions(k=int(options), **kw)
        elif kw:
            options = replace(options, **kw)
        return cls(name or f"K={options.k}", solve=options)


@dataclass
class ComparisonResult:
    """One row per option in ``table``; plans, scorecards and solve reports (None for plans) by name."""

    options: list[Option]
    table: pd.DataFrame
    plans: dict[str, Plan]
    cards: dict[str, Scorecard]
    reports: dict[str, dict | None]


def _relabel(card: Scorecard, name: str) -> Scorecard:
    return Scorecard(areas=card.areas, summary={**card.summary, "plan": name}, notes=list(card.notes))


def compare(options: Sequence[Option], geo: Geography, values: ContractValues, *,
            min_value: float | None = None, max_share: float | None = None, max_value: float | None = None,
            progress: Callable[[str], None] | None = None) -> ComparisonResult:
    """Solve or load every option, score it, and tabulate one row per option (in the given order).

    ``min_value``/``max_value`` (£/yr) and ``max_share`` (fraction) flag areas
    in the *existing* plans' scorecards; solved options are scored against
    their own rules. A solve that is infeasible or finds no plan raises
    (:class:`InfeasibleRequest` / :class:`NoPlanFound`) naming the option, so
    a comparison is never silently missing one. ``progress`` gets one line of
    text as each option starts and ends.
    """
    options = list(options)
    if not options:
        raise CpaError("nothing to compare", "give at least one option: --areas K or --reference PLAN")
    names = [o.name for o in options]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CpaError(f"option names must be unique; repeated: {', '.join(dupes)}", "give each option its own name")
    say = progress or (lambda text: None)
    plans, cards, reports = {}, {}, {}
    # Existing plans first: a bad plan file should fail in a second, not after an hour of solving.
    for i, opt in enumerate(options, 1):
        if opt.plan is not None:
            plan = read_plan(opt.plan, geo)
            plans[opt.name] = Plan(plan.assignment, plan.names, label=opt.name)
            cards[opt.name] = scorecard(plans[opt.name], geo, values, min_value=min_value, max_share=max_share,
                                        max_value=max_value)
            reports[opt.name] = None
            say(f"[{i}/{len(options)}] {opt.name}: scored {opt.plan} ({plan.k} areas)")
    for i, opt in enumerate(options, 1):
        if opt.solve is None:
            continue
        tag = f"[{i}/{len(options)}] {opt.name}"
        say(f"{tag}: solving K={opt.solve.k} (time limit {opt.solve.time_limit:g} s)...")
        try:
            result = solve(geo, values, opt.solve)
        except (InfeasibleRequest, NoPlanFound) as exc:
            raise type(exc)(f"option {opt.name!r}: {exc.message}", exc.hint) from None
        plans[opt.name] = Plan(result.plan.assignment, result.plan.names, label=opt.name)
        cards[opt.name] = _relabel(result.scorecard, opt.name)
        reports[opt.name] = result.report
        r = result.report
        gap = "" if r.gap is None else f", gap {r.gap:.2%}"
        say(f"{tag}: {r.status}{gap} in {r.wall_seconds:.1f} s")
    plans, cards, reports = ({o.name: d[o.name] for o in options} for d in (plans, cards, reports))  # given order
    table = comparison_table(options, cards, reports)
    return ComparisonResult(options, table, plans, cards, reports)


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
    for col in ("areas", "pfas_split", "trusts_split"):
        table[col] = pd.array(table[col].tolist(), dtype="Int64")  # counts stay integers; missing is <NA>
    for col in ("gap", "solve_seconds"):
        table[col] = pd.to_numeric(table[col]).astype(float)
    table["all_contiguous"] = table["all_contiguous"].astype(bool)
    return table


# ---------------------------------------------------------------- commentary
def _money(x: float) -> str:
    return f"£{x:,.1f}m"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def commentary(result: ComparisonResult, n_trusts: int | None = None) -> list[str]:
    """Short sentences computed from the table: solve status, trusts and PFAs kept whole,
    balance, what fewer areas cost in travel, and each option's smallest contract."""
    t = result.table.set_index("name", drop=False)
    out = []
    for name, rep in result.reports.items():
        if rep is None:
            continue
        limit = rep.options.get("time_limit")
        if rep.status == "optimal":
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
    broken = [n for n in t.index if not t.at[n, "all_contiguous"]]
    if broken:
        out.append(f"Not contiguous: {_names(broken)} (some areas are in more than one piece).")
    for name in t.index:
        s = result.cards[name].summary
        for key, what in (("areas_under_floor", f"under the {_money(s.get('min_value_m', 0))} floor"),
                          ("areas_over_max_value", f"over the {_money(s.get('max_value_m', 0))} maximum"),
                          ("areas_over_cap", f"over the {s.get('max_share', 0):.0%} share cap")):
            if s.get(key):
                out.append(f"{name} has {len(s[key])} area{'s' if len(s[key]) > 1 else ''} {what}.")
    return out


# ------------------------------------------------------------ display table
DISPLAY = (("name", "option"), ("kind", "kind"), ("areas", "areas"), ("value_min_m", "smallest £m"),
           ("value_max_m", "largest £m"), ("value_ratio", "max/min"), ("value_cv", "CV"),
           ("largest_share", "largest share"), ("pfas_split", "PFAs split"), ("trusts_split", "trusts split"),
           ("mean_travel_km", "mean km"), ("max_travel_km", "max km"), ("all_contiguous", "contiguous"),
           ("status", "status"), ("solve_seconds", "seconds"))


#: How each numeric column is shown.
FORMATS = {"value_min_m": "{:,.1f}", "value_max_m": "{:,.1f}", "value_ratio": "{:.2f}", "value_cv": "{:.3f}",
           "largest_share": "{:.1%}", "mean_travel_km": "{:.1f}", "max_travel_km": "{:.0f}",
           "solve_seconds": "{:.1f}"}


def _cell(col: str, x, row) -> str:
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return "–"
    if col in FORMATS:
        return FORMATS[col].format(x)
    if col == "all_contiguous":
        return "yes" if x else "NO"
    if col == "status" and x == "feasible":
        return "feasible, gap unknown" if pd.isna(row["gap"]) else f"feasible, gap {row['gap']:.2%}"
    return str(x)


def display_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted cells of the comparison table (for terminal, Markdown and HTML)."""
    headers = [h for _, h in DISPLAY]
    rows = [[_cell(c, r[c], r) for c, _ in DISPLAY] for _, r in table.iterrows()]
    return headers, rows


def render_table(table: pd.DataFrame) -> str:
    """The comparison as a terminal table."""
    return text_table(*display_rows(table)) + "\n"


# ------------------------------------------------------------------ pictures
def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Figures with their own Agg canvas: no pyplot, so no global backend or state is touched.
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig, dpi: int = 130) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def value_figure(result: ComparisonResult) -> bytes:
    """PNG: each option's area values, largest to smallest, with the mean (national total / K) dashed."""
    names = list(result.table["name"])
    ks = [len(result.cards[n].areas) for n in names]
    fig = _figure(min(16.0, max(8.0, 2.0 + 0.16 * sum(ks) + 0.8 * len(names))), 4.8)
    axes = fig.subplots(1, len(names), sharey=True, gridspec_kw={"width_ratios": [max(k, 6) for k in ks]},
                        squeeze=False)[0]
    for ax, name in zip(axes, names):
        card = result.cards[name]
        v = card.areas["value_m"].sort_values(ascending=False).to_numpy()
        colour = SOLVED_COLOUR if result.reports[name] else REFERENCE_COLOUR
        ax.bar(np.arange(len(v)), v, color=colour, width=0.8)
        mean = card.summary["total_value_m"] / len(v)
        ax.axhline(mean, color="black", linestyle="--", linewidth=0.9)
        ax.annotate(f"mean {mean:,.0f}", (len(v) - 0.5, mean), xytext=(0, 3), textcoords="offset points",
                    ha="right", fontsize=7)
        ax.annotate(f"{v[-1]:,.1f}", (len(v) - 1, v[-1]), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7, color="#b00",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
        s = card.summary
        ax.set_title(f"{name} ({len(v)} areas)\nCV {s['value_cv']:.2f}, max/min {s['value_ratio']:.1f}x",
                     fontsize=9)
        ax.set_xticks([])
        ax.set_xlim(-0.7, max(len(v), 6) - 0.3)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("contract value, £m a year")
    fig.suptitle("Contract values per area, largest to smallest (smallest labelled in red)", fontsize=11,
                 x=0.01, ha="left")
    return _png(fig)


def travel_figure(result: ComparisonResult) -> bytes:
    """PNG: per option, each area's value-weighted mean travel to its hub (dots), the plan's mean (bar),
    and the longest travel to a hub."""
    names = list(result.table["name"])
    fig = _figure(min(14.0, max(8.0, 3.0 + 1.6 * len(names))), 4.6)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(names))
    colours = [SOLVED_COLOUR if result.reports[n] else REFERENCE_COLOUR for n in names]
    means = [result.cards[n].summary["mean_travel_km"] for n in names]
    ax.bar(x, means, color=colours, alpha=0.35, width=0.7, label="plan mean (value-weighted)")
    for i, n in enumerate(names):
        d = result.cards[n].areas["mean_travel_km"].to_numpy()
        # Spread the dots sideways by rank so equal values stay visible; deterministic, no random jitter.
        offs = (np.argsort(np.argsort(d)) / max(len(d) - 1, 1) - 0.5) * 0.5
        ax.scatter(i + offs, d, s=12, color=colours[i], edgecolors="black", linewidths=0.3, zorder=3)
        ax.annotate(f"{means[i]:.1f} km", (i, means[i]), xytext=(0, 3), textcoords="offset points",
                    ha="center", fontsize=8, fontweight="bold", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xticks(x, names, rotation=20 if max(map(len, names)) > 10 else 0, ha="right" if max(map(len, names)) > 10 else "center")
    ax.set_ylabel("km to hub")
    ax.set_title("Mean travel to hub: plan (bar) and each area (dots)", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    maxes = [result.cards[n].summary["max_travel_km"] for n in names]
    ax2.bar(x, maxes, color=colours, width=0.6)
    for i, m in enumerate(maxes):
        ax2.annotate(f"{m:.0f}", (i, m), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8)
    ax2.set_xticks(x, names, rotation=20 if max(map(len, names)) > 10 else 0, ha="right" if max(map(len, names)) > 10 else "center")
    ax2.set_ylabel("km")
    ax2.set_title("Longest travel from a LAD to its hub", fontsize=9)
    ax2.spines[["top", "right"]].set_visible(False)
    fig.suptitle("Travel (great-circle km between population-weighted centroids; blue = solved, brown = "
                 "existing plan)", fontsize=10, x=0.01, ha="left")
    return _png(fig)


# -------------------------------------------------------------------- output
def option_dirs(names: Iterable[str]) -> dict[str, str]:
    """Option name -> a safe, unique folder name (``K=16`` -> ``K_16``)."""
    out, used = {}, set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "option"
        slug, i = base, 2
        while slug.lower() in used:
            slug, i = f"{base}_{i}", i + 1
        used.add(slug.lower())
        out[name] = slug
    return out


_REPORT_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #555; font-size: 12px; }
table.cmp { border-collapse: collapse; font-size: 12.5px; }
.scroll { overflow-x: auto; }
table.cmp th, table.cmp td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: right; white-space: nowrap; }
table.cmp th { background: #f2f2f2; white-space: normal; vertical-align: bottom; } table.cmp td:first-child, table.cmp th:first-child { text-align: left; }
table.cmp tr.reference td:first-child { color: #7a5a44; } table.cmp tr.solved td:first-child { color: #2d5c8a; font-weight: bold; }
ul.comment li { margin: 4px 0; }
iframe.map { width: 100%; height: 720px; border: 1px solid #ccc; border-radius: 4px; }
img.fig { max-width: 100%; border: 1px solid #eee; }
"""


def _report_html(result: ComparisonResult, values: ContractValues, geo: Geography, notes: list[str],
                 pngs: dict[str, bytes], dirs: dict[str, str], title: str, description: str | None) -> str:
    e = html.escape
    headers, rows = display_rows(result.table)
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(f"<tr class='{e(kind)}'>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                   for r, kind in zip(rows, result.table["kind"]))
    figs = "".join(
        f"<h2>{e(caption)}</h2><img class='fig' alt='{e(caption)}' src='data:image/png;base64,"
        f"{base64.b64encode(pngs[name]).decode()}'>"
        for name, caption in (("values.png", "Contract values"), ("travel.png", "Travel")))
    files = "".join(
        f"<li>{e(n)}: " + ", ".join(f"<a href='{e(dirs[n])}/{f}'>{f}</a>" for f in
                                    (("plan.csv", "plan.geojson") + (("run.json",) if result.reports[n] else ())))
        + "</li>" for n in result.table["name"])
    desc = f"<p>{e(description)}</p>" if description else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{_REPORT_CSS}</style></head>
<body>
<h1>{e(title)}</h1>{desc}
<p class="meta">Values: {e(values.label)}.<br>Travel: {e(geo.distance_note)}; hub = value-weighted 1-median LAD.<br>
Generated by cpa {e(__version__)}. Solved options are optimal only where the status says so.</p>
<h2>Options side by side</h2>
<div class="scroll"><table class="cmp" id="comparison"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>
<h2>What the numbers say</h2>
<ul class="comment" id="commentary">{''.join(f'<li>{e(n)}</li>' for n in notes)}</ul>
<h2>Map</h2>
<p>Choose the option with the buttons at the top right of the map; click an area for its scorecard.
<a href="map.html">Open the map on its own page</a>.</p>
<iframe class="map" src="map.html" title="Map of the options"></iframe>
{figs}
<h2>Files</h2><ul>{files}<li><a href="comparison.csv">comparison.csv</a>, <a href="comparison.md">comparison.md</a></li></ul>
</body></html>
"""


def comparison_texts(result: ComparisonResult, geo: Geography, values: ContractValues,
                     title: str | None = None, description: str | None = None) -> dict[str, str | bytes]:
    """Relative path -> contents of every file :func:`write_comparison` writes, all rendered in memory."""
    from .maps import interactive_map, render_html
    from .outputs import solve_output_texts

    title = title or "Comparison of contract package area options"
    trusts = geo.references.get("trusts35")
    notes = commentary(result, None if trusts is None else int(trusts["area"].nunique()))
    dirs = option_dirs(result.table["name"])
    files: dict[str, str | bytes] = {}
    for name in result.table["name"]:
        plan, card, report = result.plans[name], result.cards[name], result.reports[name]
        if report is not None:
            texts = solve_output_texts(SolveResult(plan, card, report), geo, values)
        else:
            texts = {"plan.csv": plan.to_frame().to_csv(index=False, lineterminator="\n"),
                     "plan.geojson": plan_geodataframe(plan, geo, card.areas).to_json(drop_id=True, to_wgs84=True)}
        files.update({f"{dirs[name]}/{f}": text for f, text in texts.items()})
    layers = [(name, result.plans[name], result.cards[name]) for name in result.table["name"]]
    files["map.html"] = render_html(interactive_map(layers, geo, values))
    pngs = {"values.png": value_figure(result), "travel.png": travel_figure(result)}
    files.update(pngs)
    files["comparison.csv"] = result.table.to_csv(index=False, lineterminator="\n")
    md = [f"# {title}", ""] + ([description, ""] if description else [])
    md += [markdown_table(*display_rows(result.table)), "", "## What the numbers say", ""]
    md += [f"- {n}" for n in notes] + ["", f"_Values: {values.label}. Travel: {geo.distance_note}._", ""]
    files["comparison.md"] = "\n".join(md)
    files["report.html"] = _report_html(result, values, geo, notes, pngs, dirs, title, description)
    return files


def write_comparison(result: ComparisonResult, geo: Geography, values: ContractValues,
                     out_dir: str | os.PathLike, title: str | None = None,
                     description: str | None = None) -> list[Path]:
    """Write DIR/comparison.csv, comparison.md, report.html, map.html, values.png, travel.png and
    DIR/<option>/plan.csv, plan.geojson (+ run.json for solves). Returns the paths written (report.html last)."""
    files = comparison_texts(result, geo, values, title, description)
    report = files.pop("report.html")
    files["report.html"] = report  # written last, so it only ever links to files already in place
    return atomic.write_files(out_dir, files)


# ----------------------------------------------------------------- scenarios
#: Solve settings a scenario may give, with the CLI's units (£m, percent) and the type each takes.
SCENARIO_SETTINGS = {
    "coterminous": str, "min_value": float, "max_value": float, "max_share": float, "max_pfas": int,
    "keep_whole": list, "lock": list, "start": str, "w_travel": float, "w_balance": float, "w_split": float,
    "solver": str, "time_limit": float, "gap": float, "seed": int, "threads": int,
}
SCENARIO_TOP = ("title", "description", "out", "defaults", "option")
SCENARIO_OPTION = ("name", "areas", "reference", "description")
SCENARIO_HINT = "see examples/compare_16_vs_35.toml for the format"


@dataclass
class ScenarioOption:
    """One ``[[option]]`` of a scenario: a reference plan or K, with its own settings (CLI units)."""

    name: str
    reference: str | None = None
    areas: int | None = None
    settings: dict = field(default_factory=dict)


@dataclass
class Scenario:
    """A comparison described in a TOML file; settings use the CLI's names and units (£m, percent)."""

    path: Path
    options: list[ScenarioOption]
    defaults: dict = field(default_factory=dict)
    title: str | None = None
    description: str | None = None
    out: str | None = None

    def build(self, build_options: Callable[..., SolveOptions], base: dict | None = None,
              override: dict | None = None) -> list[Option]:
        """The options to compare. ``build_options(k, **settings)`` turns settings into SolveOptions
        (the CLI passes ``build_solve_options``). Later wins: ``base`` (every setting, e.g. the CLI's
        defaults), the scenario's ``[defaults]``, the option's own settings, then ``override``."""
        out = []
        for opt in self.options:
            if opt.reference is not None:
                out.append(Option.reference(opt.reference, opt.name))
                continue
            settings = {**(base or {}), **self.defaults, **opt.settings, **(override or {})}
            try:
                out.append(Option.solved(build_options(opt.areas, **settings), opt.name))
            except CpaError as exc:
                raise CpaError(f"scenario {self.path}, option {opt.name!r}: {exc.message}", exc.hint) from None
        return out

    def score_rules(self, build_options: Callable[..., SolveOptions], base: dict | None = None,
                    override: dict | None = None) -> dict:
        """min_value, max_share, max_value (£/yr, fraction) of the ``[defaults]``, to flag existing plans."""
        o = build_options(1, **{**(base or {}), **self.defaults, **(override or {})})
        return {"min_value": o.min_value, "max_share": o.max_share, "max_value": o.max_value}


def _unknown(path, where: str, key: str, known: Iterable[str]) -> CpaError:
    known = [k.replace("_", "-") for k in known]
    close = difflib.get_close_matches(key.replace("_", "-"), known, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return CpaError(f"scenario {path}: unknown key {key!r} in {where}", f"{guess}known keys: {', '.join(known)}")


def _setting(path, where: str, key: str, value, base_dir: Path):
    name = key.replace("-", "_")
    if name not in SCENARIO_SETTINGS:
        raise _unknown(path, where, key, list(SCENARIO_SETTINGS) + (list(SCENARIO_OPTION) if "option" in where
                                                                     else []))
    want = SCENARIO_SETTINGS[name]
    bad = CpaError(f"scenario {path}: {key} in {where} should be "
                   f"{ {str: 'text', float: 'a number', int: 'a whole number', list: 'a list of text'}[want] }, "
                   f"got {value!r}", SCENARIO_HINT)
    if want is list:
        if name == "lock" and isinstance(value, dict):  # lock = { E06000046 = "South" }
            value = [f"{k}={v}" for k, v in value.items()]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
        return name, tuple(value)
    if want is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return name, float(value)
    if want is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return name, value
    if not isinstance(value, str):
        raise bad
    if name == "start":
        value = _resolve(value, base_dir)
    return name, value


def _resolve(plan: str, base_dir: Path) -> str:
    """A plan file named in a scenario is relative to the scenario's folder; reference names stay as they are."""
    p = Path(plan)
    if p.suffix and not p.is_absolute() and (base_dir / p).exists():
        return str(base_dir / p)
    return plan


def _settings(path, where: str, table: dict, base_dir: Path, skip: Iterable[str] = ()) -> dict:
    out = {}
    for key, value in table.items():
        if key in skip:
            continue
        name, value = _setting(path, where, key, value, base_dir)
        out[name] = value
    return out


def read_scenario(path: str | os.PathLike) -> Scenario:
    """Read and check a scenario TOML file; any problem is one :class:`CpaError` naming file and key.

    Top level: ``title``, ``description``, ``out`` (default output folder),
    ``[defaults]`` (solve settings for every solved option) and one or more
    ``[[option]]`` tables with ``name`` and either ``areas = K`` (plus any solve
    settings, overriding the defaults) or ``reference = "crc21"`` / a plan file
    (relative to the scenario's folder). Settings are the ``cpa solve`` flags
    without dashes: ``time-limit``, ``keep-whole``, ``min-value`` (£m),
    ``max-share`` (percent), ...
    """
    p = Path(path)
    if not p.exists():
        raise CpaError(f"scenario file not found: {p}", "check the path (it is relative to the current directory)")
    if p.is_dir():
        raise CpaError(f"scenario file is a directory, not a file: {p}")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CpaError(f"scenario {p} is not UTF-8 text ({exc.reason} at byte {exc.start})", SCENARIO_HINT) from None
    except tomllib.TOMLDecodeError as exc:
        raise CpaError(f"scenario {p} is not valid TOML: {exc}", SCENARIO_HINT) from None
    for key in doc:
        if key not in SCENARIO_TOP:
            raise _unknown(p, "the top level", key, SCENARIO_TOP)
    for key in ("title", "description", "out"):
        if key in doc and not isinstance(doc[key], str):
            raise CpaError(f"scenario {p}: {key} should be text, got {doc[key]!r}", SCENARIO_HINT)
    base_dir = p.parent
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise CpaError(f"scenario {p}: defaults should be a table ([defaults])", SCENARIO_HINT)
    defaults = _settings(p, "[defaults]", defaults, base_dir)
    raw = doc.get("option")
    if not isinstance(raw, list) or not raw or not all(isinstance(o, dict) for o in raw):
        raise CpaError(f"scenario {p} has no options", "add [[option]] tables, each with areas = K or "
                       "reference = \"crc21\"; " + SCENARIO_HINT)
    options = []
    for i, o in enumerate(raw, 1):
        where = f"option {i}" + (f" ({o['name']!r})" if isinstance(o.get("name"), str) else "")
        if "name" in o and (not isinstance(o["name"], str) or not o["name"].strip()):
            raise CpaError(f"scenario {p}: {where} has an empty or non-text name", SCENARIO_HINT)
        has_k, has_ref = "areas" in o, "reference" in o
        if has_k == has_ref:
            raise CpaError(f"scenario {p}: {where} needs exactly one of areas = K or reference = PLAN, "
                           f"it has {'both' if has_k else 'neither'}", SCENARIO_HINT)
        if has_ref:
            if not isinstance(o["reference"], str) or not o["reference"].strip():
                raise CpaError(f"scenario {p}: {where}: reference should be a plan name or file", SCENARIO_HINT)
            extra = [k for k in o if k not in SCENARIO_OPTION]
            if extra:
                if all(k.replace("-", "_") in SCENARIO_SETTINGS for k in extra):
                    raise CpaError(f"scenario {p}: {where} is an existing plan, so solve settings "
                                   f"({', '.join(extra)}) do not apply", "remove them, or use areas = K")
                raise _unknown(p, where, next(k for k in extra if k.replace("-", "_") not in SCENARIO_SETTINGS),
                               list(SCENARIO_OPTION))
            ref = _resolve(o["reference"].strip(), base_dir)
            options.append(ScenarioOption(o.get("name") or Option.reference(ref).name, reference=ref))
        else:
            k = o["areas"]
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise CpaError(f"scenario {p}: {where}: areas should be a whole number of at least 1, got {k!r}",
                               SCENARIO_HINT)
            settings = _settings(p, where, o, base_dir, skip=SCENARIO_OPTION)
            options.append(ScenarioOption(o.get("name") or f"K={k}", areas=k, settings=settings))
    names = [o.name for o in options]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CpaError(f"scenario {p}: option names must be unique; repeated: {', '.join(dupes)}",
                       "give each [[option]] its own name")
    return Scenario(p, options, defaults, doc.get("title"), doc.get("description"), doc.get("out"))


# --------------------------------------------------------------------- sweep
def parse_k_values(specs: str | Iterable[str]) -> list[int]:
    """K values from ``"6-43"``, ``"6,12,16"``, ``"6-10,16,21-23"`` (or several such strings), sorted, unique."""
    if isinstance(specs, str):
        specs = [specs]
    out = set()
    for spec in specs:
        for part in str(spec).split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
            if not m:
                raise CpaError(f"--areas {spec!r}: {part!r} is not K or a range A-B",
                               "e.g. --areas 6-43, --areas 12,16,21 or --areas 6-10,35")
            a, b = (int(m.group(1)), int(m.group(2))) if m.group(3) is None else (int(m.group(3)),) * 2
            if a < 1 or b < a:
                raise CpaError(f"--areas {spec!r}: {part!r} is not a range of K >= 1 (low-high)", "e.g. --areas 6-43")
            out.update(range(a, b + 1))
    if not out:
        raise CpaError("no K values given", "e.g. --areas 6-43")
    return sorted(out)


def _one_line(exc: CpaError) -> str:
    return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")


def sweep_row(geo: Geography, values: ContractValues, options: SolveOptions) -> dict:
    """Solve one K and return its sweep row; an infeasible K or no plan in time is a row, not an error."""
    row = dict.fromkeys(SWEEP_COLUMNS)
    row["K"] = options.k
    t0 = time.perf_counter()
    try:
        result = solve(geo, values, options)
    except InfeasibleRequest as exc:
        row.update(status="infeasible", reason=_one_line(exc))
    except NoPlanFound as exc:
        row.update(status="no_solution", reason=_one_line(exc))
    except CpaError as exc:  # e.g. an unusable start plan: say so in the row rather than lose the other Ks
        row.update(status="error", reason=_one_line(exc))
    else:
        r, s = result.report, result.scorecard.summary
        row.update(status=r.status, gap=r.gap, objective=r.objective, bound=r.bound,
                   plan_hash=r.plan_hash, seconds=r.wall_seconds,
                   **{f"term_{k}": v for k, v in r.terms.items()},
                   **{c: s.get(c) for c in SUMMARY_COLUMNS + ("pfa_fragments",)})
    if row["seconds"] is None:
        row["seconds"] = round(time.perf_counter() - t0, 3)
    return row


_WORKER: dict = {}


def _init_worker(geo: Geography, values: ContractValues) -> None:
    # Ctrl-C is handled by the parent, which then stops the workers; a worker must not die half-way on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["geo"], _WORKER["values"] = geo, values


def _sweep_one(options: SolveOptions) -> dict:
    return sweep_row(_WORKER["geo"], _WORKER["values"], options)


def sweep(k_values: Iterable[int], base_options: SolveOptions, geo: Geography, values: ContractValues,
          jobs: int | None = None, progress: Callable[[dict, int, int], None] | None = None) -> pd.DataFrame:
    """Solve each K with ``base_options`` (its ``k`` is replaced; its time limit applies to each K).

    Runs ``jobs`` solves at once in separate processes (default: CPU count;
    each worker receives the geography and values once, pickled). With several
    jobs and no ``threads`` set, each solve gets cpu_count // jobs threads so
    the machine is not oversubscribed. ``progress(row, done, total)`` is called
    as each K finishes, in finishing order. Returns one row per K in K order;
    infeasible Ks have status ``infeasible`` and the reason. Time-limited solves
    depend on machine speed, so their plans may differ between runs; proven
    optimal ones do not (up to ties).
    """
    from .optimise.blocks import build_blocks

    ks = sorted(set(int(k) for k in k_values))
    if not ks:
        raise CpaError("no K values given", "e.g. --areas 6-43")
    # Rules that are wrong for every K (unknown keep-whole group, bad lock code, unreadable start plan)
    # fail once, here, instead of once per K.
    build_blocks(geo, values, base_options)
    if base_options.start:
        read_plan(base_options.start, geo)
    cpus = os.cpu_count() or 1
    jobs = max(1, min(jobs or cpus, len(ks)))
    opts = base_options
    if jobs > 1 and opts.threads is None:
        opts = replace(opts, threads=max(1, cpus // jobs))
    rows: dict[int, dict] = {}

    def done(row):
        rows[row["K"]] = row
        if progress:
            progress(row, len(rows), len(ks))

    if jobs == 1:
        for k in ks:
            done(sweep_row(geo, values, replace(opts, k=k)))
    else:
        # spawn, not fork: the parent may hold solver threads, and forking a threaded process can deadlock.
        pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                      initializer=_init_worker, initargs=(geo, values))
        try:
            futures = [pool.submit(_sweep_one, replace(opts, k=k)) for k in ks]
            for fut in concurrent.futures.as_completed(futures):
                done(fut.result())
        except BaseException:
            # Interrupted or a worker failed: stop the running solves now rather than wait out their limits.
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    df = pd.DataFrame([rows[k] for k in ks], columns=list(SWEEP_COLUMNS))
    for col in ("K", "areas", "pfas_split", "trusts_split", "pfa_fragments", "term_pfa_fragments"):
        df[col] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(round(v))
                            for v in df[col]], dtype="Int64")
    return df


def reference_points(geo: Geography, values: ContractValues,
                     names: Sequence[str] = SWEEP_REFERENCES) -> pd.DataFrame:
    """Scorecard summary rows (with ``K``) of the named reference plans the geography has."""
    rows = []
    for name in names:
        if name in geo.references:
            s = scorecard(read_plan(name, geo), geo, values).summary
            rows.append({"name": name, "K": s["areas"], **{c: s.get(c) for c in SUMMARY_COLUMNS}})
    return pd.DataFrame(rows, columns=["name", "K"] + list(SUMMARY_COLUMNS))


def _sweep_axes(ax, df: pd.DataFrame, column: str, refs: pd.DataFrame | None, colour: str, label: str,
                scale: float = 1.0, ref_labels: bool = True) -> None:
    """One curve against K: filled dots proven optimal, hollow feasible (not proven), references as stars."""
    ok = df[df["status"].isin(["optimal", "feasible"])]
    y = ok[column].astype(float) * scale
    ax.plot(ok["K"].astype(int), y, color=colour, linewidth=1.3, label=label)
    opt = ok["status"] == "optimal"
    ax.scatter(ok["K"][opt].astype(int), y[opt], color=colour, s=22, zorder=3)
    ax.scatter(ok["K"][~opt].astype(int), y[~opt], facecolors="white", edgecolors=colour, s=26, zorder=3,
               linewidths=1.3)
    if refs is not None and len(refs) and refs[column].notna().any():
        ry = refs[column].astype(float) * scale
        ax.scatter(refs["K"], ry, marker="*", s=140, color="#d62728", edgecolors="black", linewidths=0.5, zorder=4)
        if ref_labels:
            for name, k, v in zip(refs["name"], refs["K"], ry):
                ax.annotate(name, (k, v), xytext=(5, 5), textcoords="offset points", fontsize=8, color="#a01010")


def _sweep_frame(ax, df: pd.DataFrame, refs, markers: Sequence[int]) -> None:
    lo = min([int(df["K"].min())] + ([int(refs["K"].min())] if refs is not None and len(refs) else []))
    hi = max([int(df["K"].max())] + ([int(refs["K"].max())] if refs is not None and len(refs) else []))
    for k in markers:
        if lo - 1 <= k <= hi + 1:
            ax.axvline(k, color="#888", linestyle=":", linewidth=1)
            # Labelled just above the plot, where no curve or bar can hide them.
            ax.annotate(f"K={k}", (k, 1), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", fontsize=7, color="#555", ha="center", va="bottom")
    ax.set_xlabel("number of areas K")
    ax.set_xlim(lo - 1, hi + 1)
    ax.grid(axis="y", color="#eee")
    ax.spines[["top", "right"]].set_visible(False)


def _sweep_note(df: pd.DataFrame) -> str:
    counts = df["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s.replace('_', ' ')}" for s in ("optimal", "feasible", "infeasible",
                                                                   "no_solution", "error") if counts.get(s, 0)]
    return ("K " + f"{int(df['K'].min())}-{int(df['K'].max())}: " + ", ".join(parts)
            + ".  ● proven optimal  ○ feasible, not proven (time limit)  ★ existing plan")


def _footnote(fig, note: str) -> None:
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # keep the bottom strip free for the note
    fig.text(0.01, 0.008, note, fontsize=7, color="#444")


def sweep_figures(df: pd.DataFrame, references: pd.DataFrame | None = None,
                  markers: Sequence[int] = SWEEP_MARKERS) -> dict[str, bytes]:
    """PNG curves against K: travel, balance (CV and max/min), smallest contract, splits, solve time and gap."""
    note = _sweep_note(df)
    out = {}

    def single(name, column, ylabel, title, colour, scale=1.0):
        fig = _figure(8, 4.6)
        ax = fig.subplots()
        _sweep_axes(ax, df, column, references, colour, ylabel, scale)
        _sweep_frame(ax, df, references, markers)
        ax.set_ylabel(ylabel)
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
        _footnote(fig, note)
        out[name] = _png(fig)

    single("sweep_travel.png", "mean_travel_km", "km", "Value-weighted mean travel to the area's hub", "#4e79a7")
    single("sweep_smallest.png", "value_min_m", "£m a year", "Smallest contract (value of the smallest area)",
           "#59a14f")

    fig = _figure(11, 4.6)
    ax1, ax2 = fig.subplots(1, 2)
    for ax, col, lab, colour in ((ax1, "value_cv", "coefficient of variation of area values", "#f28e2b"),
                                 (ax2, "value_ratio", "largest / smallest area value", "#e15759")):
        _sweep_axes(ax, df, col, references, colour, lab)
        _sweep_frame(ax, df, references, markers)
        ax.set_ylabel(lab)
    ratios = pd.concat([df["value_ratio"], references["value_ratio"] if references is not None else None])
    ratios = ratios.astype(float).dropna()
    if len(ratios) and ratios.max() > 20 * ratios.min():
        # One tiny area (the City of London alone) makes max/min leap; a log scale keeps the rest readable.
        ax2.set_yscale("log")
        ax2.set_ylabel("largest / smallest area value (log scale)")
    fig.suptitle("Value balance between areas (lower is more even)", fontsize=11, x=0.01, ha="left")
    _footnote(fig, note)
    out["sweep_balance.png"] = _png(fig)

    fig = _figure(8, 4.6)
    ax = fig.subplots()
    _sweep_axes(ax, df, "pfas_split", references, "#b07aa1", "police force areas split")
    if df["trusts_split"].notna().any():
        _sweep_axes(ax, df, "trusts_split", references, "#76b7b2", "Probation Trusts split", ref_labels=True)
    _sweep_frame(ax, df, references, markers)
    ax.set_ylabel("number split between areas")
    ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Existing boundaries split", fontsize=11, x=0.01, ha="left")
    _footnote(fig, note)
    out["sweep_splits.png"] = _png(fig)

    fig = _figure(8, 4.6)
    ax = fig.subplots()
    colours = {"optimal": "#59a14f", "feasible": "#edc948", "infeasible": "#bab0ac", "no_solution": "#e15759",
               "error": "#e15759"}
    secs = df["seconds"].astype(float)
    ax.bar(df["K"].astype(int), secs, color=[colours.get(s, "#999") for s in df["status"]])
    for k, s, g, sec in zip(df["K"], df["status"], df["gap"], secs):
        if s == "feasible":
            ax.annotate("?" if g is None or pd.isna(g) else f"{g:.1%}", (int(k), sec), xytext=(0, -3),
                        textcoords="offset points", ha="center", va="top", fontsize=7, rotation=90)
    _sweep_frame(ax, df, None, markers)
    ax.set_ylabel("seconds (wall clock)")
    from matplotlib.patches import Patch

    present = [s for s in colours if (df["status"] == s).any()]
    ax.legend([Patch(color=colours[s]) for s in present], [s.replace("_", " ") for s in present], fontsize=8)
    fig.suptitle("Solve time per K (feasible bars labelled with their gap)", fontsize=11, x=0.01, ha="left")
    _footnote(fig, note)
    out["sweep_solve.png"] = _png(fig)
    return out


def write_sweep(df: pd.DataFrame, out_dir: str | os.PathLike, references: pd.DataFrame | None = None,
                markers: Sequence[int] = SWEEP_MARKERS) -> list[Path]:
    """Write DIR/sweep.csv and the PNG curves (see :func:`sweep_figures`); ``references`` from
    :func:`reference_points` are drawn as labelled stars."""
    files: dict[str, str | bytes] = dict(sweep_figures(df, references, markers))
    if references is not None and len(references):
        files["references.csv"] = references.to_csv(index=False, lineterminator="\n")
    files["sweep.csv"] = df.to_csv(index=False, lineterminator="\n")
    return atomic.write_files(out_dir, files)


def render_sweep(df: pd.DataFrame) -> str:
    """The sweep as a terminal table; Ks without a plan show why in the last column."""
    headers = ["K", "status", "gap", "seconds", "mean km", "CV", "max/min", "smallest £m", "PFAs split",
               "trusts split", "note"]
    rows = []
    for _, r in df.iterrows():
        if r["status"] in ("optimal", "feasible"):
            rows.append([str(r["K"]), r["status"], "–" if pd.isna(r["gap"]) else f"{r['gap']:.2%}",
                         f"{r['seconds']:.1f}", f"{r['mean_travel_km']:.1f}", f"{r['value_cv']:.3f}",
                         f"{r['value_ratio']:.2f}", f"{r['value_min_m']:,.1f}", str(r["pfas_split"]),
                         "–" if pd.isna(r["trusts_split"]) else str(r["trusts_split"]), ""])
        else:
            reason = str(r["reason"] or "").split(" (hint:")[0]
            rows.append([str(r["K"]), r["status"], "–", f"{r['seconds']:.1f}"] + [""] * 6 + [reason])
    return text_table(headers, rows) + "\n"
