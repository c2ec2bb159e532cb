"""A plan as a static PNG for slides (matplotlib, no pyplot state).

16:9, the map at the left with every area numbered (and named when there are
few) at its label point, labels moved apart by adjustText with leader lines
where they had to move; at the right the legend (number, colour, name, value);
the title in words, the headline figures, and the source line at the foot.
"""

from __future__ import annotations

import io
import os
import textwrap
from pathlib import Path

import numpy as np
from adjustText import adjust_text
from matplotlib import patheffects
from matplotlib.patches import Rectangle

from ..geography import Geography
from ..io import atomic
from ..io.plans import plan_geodataframe
from ..metrics import Scorecard
from ..plan import Plan
from .figures import new_figure, plain_text, png_bytes
from .maps import area_colours, area_numbers, fill_colours, headline, label_points, metric_classes, metric_column, pfa_frame, split_pfas
from .styles import SOURCE_LINE, SPLIT_RED

#: Up to this many areas the map shows short names beside the numbers; beyond it, numbers (the legend names them).
NAMES_ON_MAP = 21
#: Names longer than this stay in the legend only.
NAME_ON_MAP_CHARS = 22


def source_line(geo: Geography) -> str:
    """Where the boundaries come from: the open-data attribution for the embedded geography."""
    return SOURCE_LINE if geo.references else f"Boundaries: {geo.source}."


def draw_plan(ax, plan: Plan, card: Scorecard, geo: Geography, colours: dict[str, str], names: bool,
              fontsize: float = 7.0, hubs: bool = True, labels: bool = True) -> list:
    """Draw the plan's areas, PFA outlines (split PFAs dashed red), hubs and (unless ``labels`` is
    False) labels on ``ax``; returns the label texts (already moved apart)."""
    areas = plan_geodataframe(plan, geo)
    pfas = pfa_frame(geo)
    cut = pfas[pfas["area"].isin(split_pfas(plan, geo))]
    areas.plot(ax=ax, color=[colours[a] for a in areas["area"]], edgecolor="white", linewidth=0.6)
    pfas.boundary.plot(ax=ax, color="black", linewidth=0.35)
    if len(cut):
        cut.boundary.plot(ax=ax, color=SPLIT_RED, linewidth=1.2, linestyle=(0, (4, 2.5)))
    if hubs:
        hub = geo.units.loc[card.areas["hub"].tolist(), ["lat", "lon"]]
        ax.scatter(hub["lon"], hub["lat"], s=8, c="white", edgecolors="black", linewidths=0.6, zorder=5)
    ax.set_axis_off()
    ax.set_aspect(1 / np.cos(np.radians(float(geo.units["lat"].mean()))))
    if not labels:
        return []
    numbers = area_numbers(card)
    points = label_points(plan, geo)
    halo = [patheffects.withStroke(linewidth=2.4, foreground="white")]
    texts, xs, ys = [], [], []
    for area in sorted(numbers, key=numbers.get):
        lat, lon = points[area]
        named = names and len(plan.name(area)) <= NAME_ON_MAP_CHARS
        text = f"{numbers[area]} {plain_text(plan.name(area))}" if named else str(numbers[area])
        texts.append(ax.text(lon, lat, text, fontsize=fontsize, fontweight="bold", ha="center", va="center",
                             path_effects=halo, zorder=7))
        xs.append(lon)
        ys.append(lat)
    if len(texts) > 1:
        ax.figure.canvas.draw()  # adjustText measures the texts as drawn
        adjust_text(texts, target_x=xs, target_y=ys, ax=ax, expand=(1.08, 1.25), ensure_inside_axes=True,
                    min_arrow_len=3, arrowprops={"arrowstyle": "-", "color": "#222222", "lw": 0.6,
                                                 "shrinkA": 1, "shrinkB": 0})
    return texts


def static_png(plan: Plan, card: Scorecard, geo: Geography, path: str | os.PathLike,
               title: str | None = None, color_by: str = "area", classes: str = "quantile",
               dpi: int = 150) -> Path:
    """Write :func:`plan_png` to ``path``, whole or not at all."""
    return atomic.write_bytes(path, plan_png(plan, card, geo, title=title, color_by=color_by, classes=classes,
                                             dpi=dpi))


def plan_png(plan: Plan, card: Scorecard, geo: Geography, title: str | None = None, color_by: str = "area",
             classes: str = "quantile", dpi: int = 150) -> bytes:
    """One plan as a 16:9 PNG for slides: numbered (and, for few areas, named) areas, legend,
    title in words, headline figures, source line."""
    column, _ = metric_column(color_by)
    scale = None if column is None else metric_classes([card], color_by, classes)
    colours = fill_colours(plan, card, geo, color_by, scale)
    numbers = area_numbers(card)

    fig = new_figure(13.33, 7.5)
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.86))  # the head is the title's, the foot the source line's
    grid = fig.add_gridspec(1, 2, width_ratios=[1.45, 1])
    ax = fig.add_subplot(grid[0])
    draw_plan(ax, plan, card, geo, colours, names=plan.k <= NAMES_ON_MAP)

    leg = fig.add_subplot(grid[1])
    leg.set_axis_off()
    rows = sorted(numbers, key=numbers.get)
    size = 9 if len(rows) <= 22 else (7.5 if len(rows) <= 30 else 6.5)
    lines = len(rows) + (len(scale.colours) + 1.7 if scale is not None else 0) + 1.5
    step = min(0.045, 0.96 / lines)
    y = 0.97
    if scale is not None:
        leg.text(0.0, y, scale.title, fontsize=size + 0.5, fontweight="bold", va="top", transform=leg.transAxes)
        y -= step * 1.2
        for c, r in zip(scale.colours, scale.ranges()):
            leg.add_patch(Rectangle((0.0, y - step * 0.75), 0.035, step * 0.7, facecolor=c, edgecolor="#999",
                                    transform=leg.transAxes))
            leg.text(0.05, y - step * 0.4, r, fontsize=size, va="center", transform=leg.transAxes)
            y -= step
        y -= step * 0.5
    name_width = 60
    for area in rows:
        leg.text(0.0, y - step * 0.4, str(numbers[area]), fontsize=size, fontweight="bold", ha="left", va="center",
                 transform=leg.transAxes)
        leg.add_patch(Rectangle((0.055, y - step * 0.75), 0.035, step * 0.7, facecolor=colours[area],
                                edgecolor="#999", transform=leg.transAxes))
        name = plain_text(textwrap.shorten(plan.name(area), name_width, placeholder="…"))
        leg.text(0.105, y - step * 0.4, name, fontsize=size, va="center", transform=leg.transAxes)
        leg.text(1.0, y - step * 0.4, f"£{float(card.areas.at[area, 'value_m']):,.1f}m", fontsize=size,
                 ha="right", va="center", transform=leg.transAxes)
        y -= step
    key = "black line: PFA boundary   red dashes: PFA split by this plan   ○ hub"
    leg.text(0.0, max(y - step * 0.6, 0.0), key, fontsize=size - 1, color="#444", va="top", transform=leg.transAxes)

    fig.suptitle(plain_text(title or plan.label), x=0.01, ha="left", fontsize=16, fontweight="bold")
    fig.text(0.01, 0.915, plain_text("  ·  ".join(headline(card))), fontsize=9.5, color="#333", va="top")
    fig.text(0.01, 0.012, plain_text(f"Values: {card.summary.get('value_model', '')}.\n{source_line(geo)}"),
             fontsize=7, color="#444", va="bottom")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def sweep_maps_png(results: dict, geo: Geography, ks: list[int], dpi: int = 130) -> bytes:
    """Small multiples: the plans of the chosen Ks side by side, each in its own colouring."""
    ks = [k for k in ks if k in results]
    cols = min(4, len(ks))
    rows = -(-len(ks) // cols)
    fig = new_figure(4.2 * cols, 5.0 * rows + 0.6)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(ks):]:
        ax.set_axis_off()
    for ax, k in zip(axes, ks):
        r = results[k]
        draw_plan(ax, r.plan, r.scorecard, geo, area_colours(r.plan, geo), names=False, hubs=False, labels=False)
        s, rep = r.scorecard.summary, r.report
        status = "proven optimal" if rep.status == "optimal" else (
            "feasible, not proven" + ("" if rep.gap is None else f" (gap {rep.gap:.1%})"))
        ax.set_title(f"K = {k}: {status}\nmean travel {s['mean_travel_km']:.1f} km, CV {s['value_cv']:.2f}, "
                     f"smallest £{s['value_min_m']:,.1f}m", fontsize=8.5)
    fig.suptitle("The plans at chosen K (neighbouring areas never share a colour)", fontsize=11, x=0.01, ha="left")
    fig.text(0.01, 0.008, source_line(geo), fontsize=6.5, color="#444")
    return png_bytes(fig, dpi=dpi)
