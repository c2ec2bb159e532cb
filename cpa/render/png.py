"""A plan as a static PNG for slides (matplotlib, no pyplot state)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from matplotlib import patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize

from ..geography import Geography
from ..io import atomic
from ..io.plans import plan_geodataframe
from ..metrics import Scorecard
from ..plan import Plan
from .figures import new_figure, plain_text
from .maps import fill_colours, headline, metric_colormap, metric_column, pfa_frame, split_pfas
from .styles import RAMP, SPLIT_RED


def static_png(plan: Plan, card: Scorecard, geo: Geography, path: str | os.PathLike,
               title: str | None = None, color_by: str = "area", dpi: int = 150) -> Path:
    """Write :func:`plan_png` to ``path``, whole or not at all."""
    return atomic.write_bytes(path, plan_png(plan, card, geo, title=title, color_by=color_by, dpi=dpi))


def plan_png(plan: Plan, card: Scorecard, geo: Geography, title: str | None = None, color_by: str = "area",
              dpi: int = 150) -> bytes:
    """Draw one plan as a PNG: filled areas, PFA outlines (split PFAs dashed red), hubs, headline title."""
    column, _ = metric_column(color_by)
    cmap = None if column is None else metric_colormap([card], color_by)
    colours = fill_colours(plan, card, geo, color_by, cmap)
    areas = plan_geodataframe(plan, geo)
    pfas = pfa_frame(geo)
    cut = pfas[pfas["area"].isin(split_pfas(plan, geo))]

    fig = new_figure(8.5, 10.5)
    ax = fig.add_subplot()
    areas.plot(ax=ax, color=[colours[a] for a in areas["area"]], edgecolor="white", linewidth=0.8)
    pfas.boundary.plot(ax=ax, color="black", linewidth=0.45)
    if len(cut):
        cut.boundary.plot(ax=ax, color=SPLIT_RED, linewidth=1.4, linestyle=(0, (4, 2.5)))
    hubs = geo.units.loc[card.areas["hub"].tolist(), ["lat", "lon"]]
    ax.scatter(hubs["lon"], hubs["lat"], s=14, c="white", edgecolors="black", linewidths=0.8, zorder=5)
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for (area, row), (lat, lon) in zip(card.areas.iterrows(), hubs.itertuples(index=False)):
        ax.annotate(plain_text(plan.name(area)), (lon, lat), xytext=(4, 3), textcoords="offset points", fontsize=6,
                    path_effects=halo, zorder=6)
    ax.set_axis_off()
    fig.suptitle(plain_text(title or plan.label), x=0.01, ha="left", fontsize=12, fontweight="bold")
    ax.set_title(plain_text("\n".join(headline(card))), fontsize=9, loc="left")
    fig.text(0.01, 0.005, plain_text("Values: " + str(card.summary.get("value_model", ""))), fontsize=6, color="#444",
             wrap=True)
    if cmap is not None:
        mpl_cmap = LinearSegmentedColormap.from_list("cpa_ramp", list(RAMP))
        bar = fig.colorbar(ScalarMappable(Normalize(cmap.vmin, cmap.vmax), mpl_cmap), ax=ax, shrink=0.45,
                           location="right")
        bar.set_label(cmap.caption, fontsize=8)
        bar.ax.tick_params(labelsize=7)
        if color_by == "share":
            bar.ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
