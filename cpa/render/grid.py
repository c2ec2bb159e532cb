"""The files a grid writes: the results table, the pictures and ``grid.md``.

Pictures (PNG, matplotlib without pyplot):

* ``curves_<values>.png``: for each value model, travel, balance and the
  smallest contract against K, one line per option (the other axes);
* ``pareto.png``: travel against balance, one panel per value model, the
  options on the front coloured by K, the dominated ones grey, the reference
  plans as labelled stars; ``pareto_fragments.png`` the same against PFA
  fragments for the soft-coterminosity solves;
* ``stability.png``: a map of each LAD's stability across value models.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..compare.grid import Grid, GridProgress, failures
from ..compare.sweep import SWEEP_MARKERS
from ..compare.tradeoffs import (BALANCE, FRAGMENTS, TRAVEL, describe, dominators, mark_dominated,
                                 never_dominated, option_axes, solved)
from ..geography import Geography
from ..io import atomic
from ..io.safe import csv_text
from .figures import NAME_CHARS, _footnote, _sweep_frame, new_figure, plain_text, png_bytes
from .maps import pfa_frame
from .styles import PALETTE, RAMP, REFERENCE_STAR
from .text import markdown_table, text_table

#: Markers for the options of a panel (the axes other than K and the value model).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
DOMINATED_GREY = "#c8c8c8"
#: Front points are labelled with their K when a panel has at most this many.
MAX_LABELS = 24


def slug(text: str) -> str:
    """A file-name-safe form of a value model's label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._") or "values"


def _option_columns(grid: Grid) -> list[str]:
    return [a for a in option_axes(grid.axes) if a != "K"]


def _option_name(row, cols) -> str:
    return ", ".join(f"{c.replace('_', '-')} {row[c]}" for c in cols) if cols else "solved"


def _status_note(table: pd.DataFrame) -> str:
    counts = table["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s.replace('_', ' ')}" for s in ("optimal", "feasible", "infeasible",
                                                                   "no_solution", "error") if counts.get(s, 0)]
    return (f"{len(table)} solves: " + ", ".join(parts)
            + ".  ● proven optimal  ○ feasible, not proven (time limit)  ★ existing plan")


# ----------------------------------------------------------------------------------------------- curves
def curve_figures(grid: Grid, table: pd.DataFrame, refs: pd.DataFrame) -> dict[str, bytes]:
    """``curves_<values>.png`` for each value model: travel, balance and smallest contract against K, and
    below them the market measures (worst detectable change, lots with at most one bid, small lots)."""
    cols = _option_columns(grid)
    out = {}
    panels = ((TRAVEL, "km", "Travel: value-weighted mean km to the hub"),
              (BALANCE, "% of national value", "Balance: sum of |area value - mean|"),
              ("value_min_m", "£m a year", "Smallest contract"),
              ("pbr_detectable_max_pts", "points", "Payment by results: largest detectable change"),
              ("thin_risk_sum", "expected lots", "Competition: lots with at most one bid"),
              ("small_lots", "areas", "Smaller providers: small lots"))
    for vlabel, part in table.groupby("values", sort=False):
        fig = new_figure(14, 9.0)
        axes = fig.subplots(2, 3).ravel()
        r = refs[refs["values"] == vlabel]
        options = list(dict.fromkeys(_option_name(row, cols) for _, row in part.iterrows()))
        for ax, (col, unit, title) in zip(axes, panels):
            for i, name in enumerate(options):
                rows = part[[_option_name(row, cols) == name for _, row in part.iterrows()]]
                ok = solved(rows).sort_values("K")
                colour = PALETTE[i % len(PALETTE)]
                marker = MARKERS[i % len(MARKERS)]
                ax.plot(ok["K"].astype(int), ok[col].astype(float), color=colour, linewidth=1.2, label=plain_text(name, NAME_CHARS))
                opt = ok["status"] == "optimal"
                ax.scatter(ok["K"][opt].astype(int), ok[col][opt].astype(float), color=colour, s=20, zorder=3,
                           marker=marker)
                ax.scatter(ok["K"][~opt].astype(int), ok[col][~opt].astype(float), facecolors="white",
                           edgecolors=colour, s=24, zorder=3, linewidths=1.2, marker=marker)
            if len(r):
                ax.scatter(r["K"], r[col].astype(float), marker="*", s=140, color=REFERENCE_STAR,
                           edgecolors="black", linewidths=0.5, zorder=4)
                for name, k, v in zip(r["name"], r["K"], r[col].astype(float)):
                    ax.annotate(name, (k, v), xytext=(5, 4), textcoords="offset points", fontsize=7, color="#a01010")
            _sweep_frame(ax, part, r if len(r) else None, SWEEP_MARKERS)
            ax.set_ylabel(unit)
            ax.set_title(title, fontsize=9, loc="left", pad=14)  # above the K=16/21/35 labels
        if len(options) > 1:
            axes[0].legend(fontsize=7, loc="upper right")
        fig.suptitle(f"Against K, value model {plain_text(vlabel, NAME_CHARS)}", fontsize=11, x=0.01, ha="left")
        _footnote(fig, _status_note(part))
        out[f"curves_{slug(vlabel)}.png"] = png_bytes(fig)
    return out


# ----------------------------------------------------------------------------------------------- fronts
def _front_panel(ax, part: pd.DataFrame, refs: pd.DataFrame, ycol: str, cols: list[str], options: list[str],
                 knorm: Normalize, cmap) -> None:
    dom = part["dominated"].astype(bool)
    for i, name in enumerate(options):
        sel = part[[_option_name(row, cols) == name for _, row in part.iterrows()]]
        marker = MARKERS[i % len(MARKERS)]
        d = sel[sel["dominated"].astype(bool)]
        ax.scatter(d[TRAVEL], d[ycol], s=18, color=DOMINATED_GREY, marker=marker, zorder=2, linewidths=0)
        f = sel[~sel["dominated"].astype(bool)]
        proven = f["status"] == "optimal"
        colours = cmap(knorm(f["K"].astype(float)))
        ax.scatter(f[TRAVEL][proven], f[ycol][proven], s=42, c=colours[proven.to_numpy()], marker=marker,
                   edgecolors="black", linewidths=0.6, zorder=4)
        ax.scatter(f[TRAVEL][~proven], f[ycol][~proven], s=42, facecolors="white",
                   edgecolors=colours[~proven.to_numpy()], marker=marker, linewidths=1.6, zorder=4)
    front = part[~dom].sort_values([TRAVEL, ycol])
    ax.step(front[TRAVEL], front[ycol], where="post", color="#333", linewidth=0.8, zorder=3)
    if len(front) <= MAX_LABELS:
        for _, row in front.iterrows():
            ax.annotate(f"{int(row['K'])}", (row[TRAVEL], row[ycol]), xytext=(4, 3), textcoords="offset points",
                        fontsize=7, zorder=5)
    for _, ref in refs.iterrows():
        beaten = dominators(ref, part, (TRAVEL, ycol))
        ax.scatter([ref[TRAVEL]], [ref[ycol]], marker="*", s=170, color=REFERENCE_STAR, edgecolors="black",
                   linewidths=0.5, zorder=6)
        note = f"{ref['name']}" + (f" (dominated by {len(beaten)})" if len(beaten) else " (not dominated)")
        ax.annotate(note, (ref[TRAVEL], ref[ycol]), xytext=(6, -10), textcoords="offset points", fontsize=7,
                    color="#a01010", zorder=6)
    ax.set_xlabel("travel: value-weighted mean km to the hub")
    ax.grid(color="#eee")
    ax.spines[["top", "right"]].set_visible(False)


def front_figure(grid: Grid, table: pd.DataFrame, refs: pd.DataFrame, ycol: str = BALANCE,
                 soft_only: bool = False) -> bytes | None:
    """Travel against ``ycol`` (balance, or PFA fragments for soft solves), one panel per value model."""
    where = None
    if soft_only:
        where = pd.Series([p.options.coterminous == "soft" for p in grid.points], index=table.index)
    part_all = solved(table.assign(dominated=mark_dominated(table, (TRAVEL, ycol), where)))
    if where is not None:
        part_all = part_all[where.reindex(part_all.index).fillna(False).astype(bool)]
    if part_all.empty:
        return None
    models = list(dict.fromkeys(part_all["values"]))
    cols = _option_columns(grid)
    options = list(dict.fromkeys(_option_name(row, cols) for _, row in part_all.iterrows()))
    ks = part_all["K"].astype(float)
    kmin, kmax = float(ks.min()), float(ks.max())
    cmap = colormaps["viridis"]
    knorm = Normalize(kmin - 0.5, kmax + 0.5) if kmax > kmin else Normalize(kmin - 1, kmin + 1)
    ncol = min(3, len(models))
    nrow = -(-len(models) // ncol)
    fig = new_figure(5.2 * ncol + 1.2, 4.6 * nrow + 0.6)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    ylabel = ("balance: sum of |area value - mean|, % of national value" if ycol == BALANCE
              else "PFA fragments (extra pieces of split PFAs)")
    for ax, vlabel in zip(axes, models):
        part = part_all[part_all["values"] == vlabel]
        r = refs[refs["values"] == vlabel]
        _front_panel(ax, part, r, ycol, cols, options, knorm, cmap)
        if ycol == FRAGMENTS:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            top = max([1.0] + part[ycol].astype(float).tolist() + r[ycol].astype(float).tolist())
            ax.set_ylim(-0.05 * top - 0.3, top * 1.08 + 0.3)
        n_front = int((~part["dominated"].astype(bool)).sum())
        ax.set_title(f"{plain_text(vlabel, NAME_CHARS)}: {n_front} of {len(part)} never dominated", fontsize=9, loc="left")
        ax.set_ylabel(ylabel, fontsize=8)
    for ax in axes[len(models):]:
        ax.set_visible(False)
    bar = fig.colorbar(ScalarMappable(knorm, cmap), ax=list(axes[:len(models)]), shrink=0.8, location="right")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    bar.set_label("K (front: coloured, labelled; dominated: grey)", fontsize=8)
    if len(options) > 1:
        handles = [Line2D([], [], marker=MARKERS[i % len(MARKERS)], linestyle="", color="#555", label=plain_text(name, NAME_CHARS))
                   for i, name in enumerate(options)]
        axes[0].legend(handles=handles, fontsize=7, loc="upper right")
    what = "balance" if ycol == BALANCE else "PFA fragments (soft coterminosity)"
    fig.suptitle(f"Trade-off: travel against {what}; lower-left is better on both", fontsize=11, x=0.01, ha="left")
    _footnote(fig, _status_note(table if where is None else table[where]))
    return png_bytes(fig)


# ---------------------------------------------------------------------------------------------- stability
def stability_figure(stab: pd.DataFrame, geo: Geography, models: list[str]) -> bytes:
    """A map of each LAD's stability across value models (pale: moves between value models)."""
    units = geo.units[["geometry"]].join(stab.set_index("lad_code")["stability"])
    cmap = LinearSegmentedColormap.from_list("cpa_ramp", list(RAMP))
    bounds = [0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.9999, 1.0001]  # the top class is exactly 100%
    norm = BoundaryNorm(bounds, cmap.N)
    fig = new_figure(8.5, 10.5)
    ax = fig.add_subplot()
    units.plot(ax=ax, column="stability", cmap=cmap, norm=norm, edgecolor="white", linewidth=0.25,
               missing_kwds={"color": "#eeeeee"})
    pfa_frame(geo).boundary.plot(ax=ax, color="black", linewidth=0.4)
    ax.set_axis_off()
    bar = fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.45, location="right", ticks=bounds[:-2] + [1.0])
    bar.ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    bar.set_label("share of plans in which the LAD's area is its most frequent one", fontsize=8)
    fig.suptitle("Stability of each LAD across value models", x=0.01, ha="left", fontsize=12, fontweight="bold")
    ax.set_title(f"Value models: {plain_text(', '.join(models))}. Pale: the LAD's area changes with the value model.",
                 fontsize=8, loc="left")
    return png_bytes(fig, dpi=120)


# ------------------------------------------------------------------------------------------------- text
def _fmt(x, spec: str) -> str:
    return "–" if x is None or pd.isna(x) else format(x, spec)


def grid_markdown(grid: Grid, table: pd.DataFrame, refs: pd.DataFrame, counts: GridProgress,
                  co: pd.DataFrame | None, stab: pd.DataFrame | None, files: list[str]) -> str:
    """``grid.md``: the grid in words: what was solved, which options are never dominated, the reference
    plans on the fronts, how robust the plans are across value models, and what failed."""
    sc = grid.scenario
    nd = never_dominated(table, grid.axes)
    sizes = " x ".join(f"{k} {n}" for k, n in grid.sizes.items())
    status = table["status"].value_counts()
    md = [f"# {sc.title or 'Scenario grid'}", ""]
    if sc.description:
        md += [sc.description, ""]
    md += [f"Scenario `{sc.path.name}`: {len(table)} solves ({sizes}). This run: {counts.done} solved, "
           f"{counts.cached} served from earlier runs, {counts.failed} failed. Results: "
           + ", ".join(f"{status.get(s)} {s.replace('_', ' ')}" for s in
                       ("optimal", "feasible", "infeasible", "no_solution", "error") if status.get(s)) + ".", ""]
    axes_text = [f"- **{a}**: {', '.join(map(str, dict.fromkeys(table[a])))}" for a in grid.axes]
    md += ["## Axes", ""] + axes_text + [""]

    md += ["## Never dominated", "",
           "An option (K and its settings) is dominated under a value model when another option of the grid has "
           "both less travel (value-weighted mean km to the hub) and better balance (the objective's balance "
           "term), or is equal on one and better on the other.", ""]
    if nd["value_models"] > 1:
        if nd["options"]:
            md.append(f"Never dominated, under each of the {nd['value_models']} value models: "
                      + "; ".join(describe(o) for o in nd["options"]) + ".")
            md.append("")
            md.append("K with an option that is never dominated under any value model: "
                      + ", ".join(map(str, nd["ks"])) + ".")
        else:
            md.append(f"No option is on the front under all {nd['value_models']} value models.")
        md.append("")
    unproven = int((table["status"] == "feasible").sum())
    if unproven:
        md += [f"{unproven} of the plans are not proven optimal (time limit): a better plan may exist for those "
               "options, so their place relative to the front is provisional (hollow markers in the pictures).", ""]
    for v, front in nd["per_values"].items():
        n_solved = int(((table["values"] == v) & table["status"].isin(("optimal", "feasible"))).sum())
        ks = sorted({int(o["K"]) for o in front})
        md.append(f"- **{v}**: {len(front)} of {n_solved} never dominated; K on the front: "
                  f"{', '.join(map(str, ks)) or 'none'}" + (f" ({'; '.join(describe(o) for o in front)})"
                                                             if len(front) <= 12 and _option_columns(grid) else "")
                  + ".")
    md.append("")
    for col in _option_columns(grid):
        counts_by = Counter(o[col] for o in nd["options"])
        if counts_by:
            md.append(f"- Never-dominated options by {col}: "
                      + ", ".join(f"{k} {n}" for k, n in counts_by.items()) + ".")
    if _option_columns(grid):
        md.append("")

    if len(refs):
        md += ["## Reference plans on the fronts", ""]
        for _, ref in refs.iterrows():
            beaten = dominators(ref, table, (TRAVEL, BALANCE))
            head = (f"- **{ref['name']}** under {ref['values']}: {ref[TRAVEL]:.1f} km, balance "
                    f"{ref[BALANCE]:.1f}%")
            if len(beaten):
                best = beaten.iloc[0]
                md.append(head + f"; dominated by {len(beaten)} solved option{'s' if len(beaten) > 1 else ''}, e.g. "
                          f"{describe({c: best[c] for c in option_axes(grid.axes)})} "
                          f"({best[TRAVEL]:.1f} km, {best[BALANCE]:.1f}%).")
            else:
                md.append(head + "; no solved option of the grid dominates it.")
        md.append("")

    md += ["## Robustness across value models", ""]
    if stab is None or stab["stability"].isna().all():
        md += ["Needs two or more value models on the `values` axis (with plans for the same options).", ""]
    else:
        agree = co["agreement"]
        md.append(f"{(agree == 1).mean():.0%} of the {len(co)} pairs of neighbouring LADs are treated the same "
                  f"(together or apart) by every value model in every group of the grid ({int(co['groups'].iloc[0])} "
                  "groups of options that differ only in the value model).")
        unstable = stab[stab["stability"] < 1].head(10)
        if len(unstable):
            md.append("Least stable LADs (share of plans in which the LAD's area is its most frequent one): "
                      + ", ".join(f"{r['name']} ({r['stability']:.0%})" for _, r in unstable.iterrows()) + ".")
        else:
            md.append("No value model changes any LAD's area.")
        md += ["", "See `coassignment.csv` (per pair) and `stability.csv`, `stability.png` (per LAD).", ""]

    bad = failures(table, grid.axes)
    md += ["## Failures", ""]
    if bad:
        md += [f"- {describe({k: v for k, v in f.items() if k not in ('reason', 'values')})} under {f['values']}: "
               f"{f['reason']}" for f in bad]
        md += ["", "Run the grid again to retry them; finished solves are not repeated.", ""]
    else:
        md += ["None.", ""]

    headers = ["K", "values"] + _option_columns(grid) + ["status", "gap", "seconds", "travel km", "balance %",
                                                         "smallest £m", "dominated"]
    dom = table["dominated"]
    body = [[str(r["K"]), str(r["values"])] + [str(r[c]) for c in _option_columns(grid)]
            + [r["status"], _fmt(r["gap"], ".2%"), _fmt(r["seconds"], ".1f"), _fmt(r[TRAVEL], ".1f"),
               _fmt(r[BALANCE], ".1f"), _fmt(r["value_min_m"], ",.1f"),
               "" if pd.isna(dom[i]) else ("yes" if dom[i] else "no")]
            for i, r in table.iterrows()]
    md += ["## All solves", "", markdown_table(headers, body), ""]
    md += ["## Files", ""] + [f"- `{f}`" for f in files] + [""]
    return "\n".join(md)


def render_grid(grid: Grid, table: pd.DataFrame) -> str:
    """The grid as a terminal table, then which options are never dominated."""
    cols = _option_columns(grid)
    dom = table["dominated"]
    headers = ["K", "values"] + cols + ["status", "gap", "seconds", "travel km", "balance %", "smallest £m",
                                        "front"]
    body = [[str(r["K"]), str(r["values"])] + [str(r[c]) for c in cols]
            + [r["status"], _fmt(r["gap"], ".2%"), _fmt(r["seconds"], ".1f"), _fmt(r[TRAVEL], ".1f"),
               _fmt(r[BALANCE], ".1f"), _fmt(r["value_min_m"], ",.1f"),
               "" if pd.isna(dom[i]) else ("" if dom[i] else "yes")]
            for i, r in table.iterrows()]
    out = text_table(headers, body) + "\n"
    nd = never_dominated(table, grid.axes)
    if nd["value_models"] > 1:
        out += ("Never dominated under every value model: "
                + ("; ".join(describe(o) for o in nd["options"]) or "none") + "\n")
    for v, front in nd["per_values"].items():
        out += f"On the {v} front: K = {', '.join(str(k) for k in sorted({int(o['K']) for o in front}))}\n"
    return out


# ------------------------------------------------------------------------------------------------ files
def parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def grid_files(grid: Grid, table: pd.DataFrame, refs: pd.DataFrame, counts: GridProgress, geo: Geography,
               co: pd.DataFrame | None, stab: pd.DataFrame | None) -> dict[str, str | bytes]:
    """Relative path -> contents of every summary file of a grid, rendered in memory."""
    files: dict[str, str | bytes] = {}
    files["grid.parquet"] = parquet_bytes(table)
    files["grid.csv"] = csv_text(table)
    if len(refs):
        files["references.csv"] = csv_text(refs)
    files.update(curve_figures(grid, table, refs))
    front = front_figure(grid, table, refs)
    if front is not None:
        files["pareto.png"] = front
    soft = front_figure(grid, table, refs, FRAGMENTS, soft_only=True)
    if soft is not None:
        files["pareto_fragments.png"] = soft
    if co is not None:
        files["coassignment.csv"] = csv_text(co)
    if stab is not None and stab["stability"].notna().any():
        files["stability.csv"] = csv_text(stab)
        files["stability.png"] = stability_figure(stab, geo, list(grid.values))
    names = list(files) + ["grid.md", "solves/<key>/plan.csv, row.json"]
    files["grid.md"] = grid_markdown(grid, table, refs, counts, co, stab, names)
    return files


def write_grid(files: dict[str, str | bytes], out_dir: str | os.PathLike) -> list[Path]:
    """Write the summary files (each whole or not at all); ``grid.md`` last."""
    md = files.pop("grid.md")
    files["grid.md"] = md
    return atomic.write_files(out_dir, files)
