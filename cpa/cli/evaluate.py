"""``cpa evaluate``: the scorecard of any plan."""

from __future__ import annotations

import click

from .app import main
from .common import emit, geography_options, load_inputs, output_options, score_flag_options


@main.command()
@click.argument("plan")
@geography_options
@output_options("table", "csv", "json", "markdown")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of the terminal.")
@score_flag_options
def evaluate(plan, fmt, quiet, out, min_value, max_share, max_value, **inputs):
    """Score PLAN: a reference (pfa43, trusts35, crc21, regions12) or a plan file (CSV/GeoJSON).

    Every format carries the flags: --min-value, --max-value and --max-share
    add per-area columns (under_floor, over_max_value, over_share_cap) and the
    lists of flagged areas in the summary.
    """
    from ..io import read_plan
    from ..metrics import scorecard
    from ..render.text import render_scorecard

    geo, values = load_inputs(**inputs, quiet=quiet)
    card = scorecard(read_plan(plan, geo), geo, values, min_value_m=min_value, max_share_pct=max_share,
                     max_value_m=max_value)
    emit(render_scorecard(card, fmt), out, quiet)
