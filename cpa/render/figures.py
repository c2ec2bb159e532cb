"""Figures of comparisons and sweeps (matplotlib figures with their own Agg canvas, no pyplot).
"""

from __future__ import annotations

import io
import textwrap
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..compare.comparison import ComparisonResult
from ..compare.sweep import SWEEP_MARKERS
from .styles import REFERENCE_COLOUR, REFERENCE_STAR, SOLVED_COLOUR


def plain_text(text, limit: int | None = None) -> str:
    """``text`` drawn as it is: matplotlib reads ``$...$`` as mathematics (and fails on ``$$``);
    cut to ``limit`` characters (an option name of any length must not squeeze the axes to nothing)."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


#: Longest option name drawn in a figure.
NAME_CHARS = 40


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure."""
    # Figures with their own Agg canvas: no pyplot, so no global backend or state is touched.
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = 130) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def value_figure(result: ComparisonResult) -> bytes:
    """PNG: each option's areas as labelled bars (number and name at the left, value at the end),
    largest first, with the mean (national total / K) dashed; the smallest value in red."""
    names = list(result.table["name"])
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    kmax = max(len(result.cards[n].areas) for n in names)
    fig = new_figure(5.6 * cols, rows * (0.9 + 0.19 * kmax))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(names):]:
        ax.set_axis_off()
    for ax, name in zip(axes, names):
        card, plan = result.cards[name], result.plans[name]
        order = sorted(card.areas.index, key=lambda a: (-float(card.areas.at[a, "value_m"]), str(a)))
        v = card.areas.loc[order, "value_m"].astype(float).to_numpy()
        y = np.arange(len(v))
        colour = SOLVED_COLOUR if result.reports[name] else REFERENCE_COLOUR
        bars = ax.barh(y, v, color=colour, height=0.75)
        bars[-1].set_color("#c0392b")
        labels = [f"{i + 1}  {plain_text(textwrap.shorten(plan.name(a), 34, placeholder='…'))}"
                  for i, a in enumerate(order)]
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_ylim(len(v) - 0.4, -0.6)
        ax.bar_label(bars, [f"£{x:,.1f}m" for x in v], padding=2, fontsize=6.5)
        mean = card.summary["total_value_m"] / len(v)
        ax.axvline(mean, color="black", linestyle="--", linewidth=0.8)
        ax.annotate(f"mean £{mean:,.1f}m", (mean, len(v) - 0.4), xytext=(3, 2), textcoords="offset points",
                    fontsize=7, va="bottom")
        ax.set_xlim(0, float(v.max()) * 1.22)
        s = card.summary
        ax.set_title(f"{plain_text(name, NAME_CHARS)} ({len(v)} areas): CV {s['value_cv']:.2f}, "
                     f"max/min {s['value_ratio']:.1f}x", fontsize=9, loc="left")
        ax.set_xlabel("£m a year", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.tick_params(axis="y", length=0)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("Contract value of each area, largest first (smallest in red; dashed: national total / areas)",
                 fontsize=11, x=0.01, ha="left")
    return png_bytes(fig)


def travel_figure(result: ComparisonResult) -> bytes:
    """PNG: per option, each area's value-weighted mean travel to its hub (dots), the plan's mean (bar),
    and the longest travel to a hub."""
    names = list(result.table["name"])
    shown = [plain_text(n, NAME_CHARS) for n in names]
    fig = new_figure(min(14.0, max(8.0, 3.0 + 1.6 * len(names))), 4.6)
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
    ax.set_xticks(x, shown, rotation=20 if max(map(len, shown)) > 10 else 0, ha="right" if max(map(len, shown)) > 10 else "center")
    ax.set_ylabel("km to hub")
    ax.set_title("Mean travel to hub: plan (bar) and each area (dots)", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    maxes = [result.cards[n].summary["max_travel_km"] for n in names]
    ax2.bar(x, maxes, color=colours, width=0.6)
    for i, m in enumerate(maxes):
        ax2.annotate(f"{m:.0f}", (i, m), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8)
    ax2.set_xticks(x, shown, rotation=20 if max(map(len, shown)) > 10 else 0, ha="right" if max(map(len, shown)) > 10 else "center")
    ax2.set_ylabel("km")
    ax2.set_title("Longest travel from a LAD to its hub", fontsize=9)
    ax2.spines[["top", "right"]].set_visible(False)
    fig.suptitle("Travel (great-circle km between population-weighted centroids; blue = solved, brown = "
                 "existing plan)", fontsize=10, x=0.01, ha="left")
    return png_bytes(fig)




def _sweep_axes(ax, df: pd.DataFrame, column: str, refs: pd.DataFrame | None, colour: str, label: str,
                scale: float = 1.0, ref_labels: bool = True) -> None:
    """One curve against K: filled dots proven optimal, hollow feasible (not proven), references as stars."""
    ok = df[df["status"].isin(["optimal", "feasible", "interrupted"])]
    y = ok[column].astype(float) * scale
    ax.plot(ok["K"].astype(int), y, color=colour, linewidth=1.3, label=label)
    opt = ok["status"] == "optimal"
    ax.scatter(ok["K"][opt].astype(int), y[opt], color=colour, s=22, zorder=3)
    ax.scatter(ok["K"][~opt].astype(int), y[~opt], facecolors="white", edgecolors=colour, s=26, zorder=3,
               linewidths=1.3)
    if refs is not None and len(refs) and refs[column].notna().any():
        ry = refs[column].astype(float) * scale
        ax.scatter(refs["K"], ry, marker="*", s=140, color=REFERENCE_STAR, edgecolors="black", linewidths=0.5, zorder=4)
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
    parts = [f"{counts.get(s, 0)} {s.replace('_', ' ')}" for s in ("optimal", "feasible", "interrupted", "infeasible",
                                                                   "no_solution", "not_run", "error")
             if counts.get(s, 0)]
    return ("K " + f"{int(df['K'].min())}-{int(df['K'].max())}: " + ", ".join(parts)
            + ".  ● proven optimal  ○ feasible, not proven (time limit)  ★ existing plan")


def _footnote(fig, note: str) -> None:
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # keep the bottom strip free for the note
    fig.text(0.01, 0.008, note, fontsize=7, color="#444")


#: The market panels against K: (column, y label, title, colour).
MARKET_PANELS = (
    ("pbr_detectable_max_pts", "percentage points", "Payment by results: largest detectable change\n"
     "(the worst area; lower is better: large areas)", "#4e79a7"),
    ("thin_risk_sum", "expected lots", "Competition: lots with at most one bid\n"
     "(sum of P(at most one bid); areas above ~£20m)", "#e15759"),
    ("small_lots", "areas", "Smaller providers: small lots\n(areas at or below the small-lot value, ~£12m)",
     "#59a14f"),
)


def market_figure(df: pd.DataFrame, references: pd.DataFrame | None, markers: Sequence[int], note: str) -> bytes:
    """The three market measures against K, side by side: the trade-off in one picture."""
    fig = new_figure(13, 4.6)
    for ax, (col, ylabel, title, colour) in zip(fig.subplots(1, 3), MARKET_PANELS):
        _sweep_axes(ax, df, col, references, colour, ylabel)
        _sweep_frame(ax, df, references, markers)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=9, loc="left", pad=12)  # room for the K= markers above the axes
    fig.suptitle("Market attractiveness against K: payment by results wants large areas, competition areas above "
                 "~£20m, smaller providers areas under ~£12m", fontsize=10.5, x=0.01, ha="left")
    _footnote(fig, note)
    return png_bytes(fig)


def sweep_figures(df: pd.DataFrame, references: pd.DataFrame | None = None,
                  markers: Sequence[int] = SWEEP_MARKERS) -> dict[str, bytes]:
    """PNG curves against K: travel, balance (CV and max/min), smallest contract, splits, the market
    measures (worst detectable change, lots with at most one bid, small lots), solve time and gap."""
    note = _sweep_note(df)
    out = {}

    def single(name, column, ylabel, title, colour, scale=1.0):
        fig = new_figure(8, 4.6)
        ax = fig.subplots()
        _sweep_axes(ax, df, column, references, colour, ylabel, scale)
        _sweep_frame(ax, df, references, markers)
        ax.set_ylabel(ylabel)
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
        _footnote(fig, note)
        out[name] = png_bytes(fig)

    single("sweep_travel.png", "mean_travel_km", "km", "Value-weighted mean travel to the area's hub", SOLVED_COLOUR)
    single("sweep_smallest.png", "value_min_m", "£m a year", "Smallest contract (value of the smallest area)",
           "#59a14f")

    fig = new_figure(11, 4.6)
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
    out["sweep_balance.png"] = png_bytes(fig)

    fig = new_figure(8, 4.6)
    ax = fig.subplots()
    _sweep_axes(ax, df, "pfas_split", references, "#b07aa1", "police force areas split")
    if df["trusts_split"].notna().any():
        _sweep_axes(ax, df, "trusts_split", references, "#76b7b2", "Probation Trusts split", ref_labels=True)
    _sweep_frame(ax, df, references, markers)
    ax.set_ylabel("number split between areas")
    ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Existing boundaries split", fontsize=11, x=0.01, ha="left")
    _footnote(fig, note)
    out["sweep_splits.png"] = png_bytes(fig)

    if "pbr_detectable_max_pts" in df and df["pbr_detectable_max_pts"].notna().any():
        out["sweep_market.png"] = market_figure(df, references, markers, note)

    fig = new_figure(8, 4.6)
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
    present = [s for s in colours if (df["status"] == s).any()]
    ax.legend([Patch(color=colours[s]) for s in present], [s.replace("_", " ") for s in present], fontsize=8)
    fig.suptitle("Solve time per K (feasible bars labelled with their gap)", fontsize=11, x=0.01, ha="left")
    _footnote(fig, note)
    out["sweep_solve.png"] = png_bytes(fig)
    return out
