"""``cpa evaluate``: the scorecard of any plan."""

from __future__ import annotations

import click

from .app import main
from .common import emit, geography_options, load_inputs, market_options, market_settings, output_options, score_flag_options


@main.command()
@click.argument("plan")
@geography_options
@output_options("table", "csv", "json", "markdown")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of the terminal.")
@score_flag_options
@market_options
@click.option("--names", "names_file", type=click.Path(dir_okay=False),
              help="CSV area,name renaming PLAN's areas (keyed by its area labels).")
@click.option("--name", "plan_name", help="What to call the plan [default: its reference or file name].")
def evaluate(plan, fmt, quiet, out, min_value, max_share, max_value, pbr_detect, small_lots, names_file, plan_name,
             **inputs):
    """Score PLAN: a reference (pfa43, trusts35, crc21, regions12) or a plan file (CSV/GeoJSON).

    Every format carries the flags: --min-value, --max-value and --max-share
    add per-area columns (under_floor, over_max_value, over_share_cap) and the
    lists of flagged areas in the summary; --pbr-detect adds below_pbr_detect
    and pbr_detect_holds, --small-lots small_lots_holds. The market measures
    (PbR cohort and minimum detectable change, expected bidders, risk of at
    most one bid, small lots) are always scored, with the --pbr-*, --bidders-*
    and --small-lot-value parameters.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io import read_plan
    from ..io.names import read_names
    from ..metrics import scorecard
    from ..naming import named_plan
    from ..options import market_from_settings
    from ..render.text import render_scorecard

    market = market_from_settings(**market_settings(inputs))
    geo, values = load_inputs(**inputs, quiet=quiet)
    p = read_plan(plan, geo)
    p = named_plan(p, geo, values, read_names(names_file, p) if names_file else None, label=plan_name)
    card = scorecard(p, geo, values, min_value_m=min_value, max_share_pct=max_share, max_value_m=max_value,
                     market=market, pbr_detect=pbr_detect, small_lots=small_lots)
    emit(render_scorecard(card, fmt), out, quiet)
