"""``cpa edit``: the offline plan editor page."""

from __future__ import annotations

import click

from .app import main
from .common import (build_solve_options, geography_options, load_inputs, market_options, market_settings, note,
                     objective_options, score_flag_options)


@main.command("edit")
@click.argument("plan", required=False)
@geography_options
@click.option("-o", "--out", default="editor.html", show_default=True, type=click.Path(dir_okay=False),
              help="The editor page to write (one self-contained HTML file; works offline).")
@score_flag_options
@objective_options
@market_options
@click.option("--quiet", "-q", is_flag=True, help="Nothing on stderr but errors.")
def edit(plan, out, min_value, max_share, max_value, pbr_detect, small_lots, coterminous, w_travel, w_balance, w_split,
         w_pbr, w_thin, w_small, quiet, **inputs):
    """Write an offline plan editor: move LADs between areas in a browser and watch the scorecard.

    PLAN is a reference (pfa43, trusts35, crc21, regions12) or a plan file
    (CSV/GeoJSON); without it the editor opens with one area per PFA. In the
    page: pick an area, click or drag over LADs (or whole PFAs) to move them
    into it; add, remove, rename and freeze areas; undo and redo. Every change
    updates the scorecard (as `cpa evaluate` computes it, with these options)
    and the solver's objective. "Export plan CSV" saves lad_code,area,area_name,
    which every command reads.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io import read_plan
    from ..render.editor import one_area_per_pfa, write_editor

    options = build_solve_options(
        1, coterminous=coterminous, min_value=min_value, max_value=max_value, max_share=max_share,
        max_pfas=None, keep_whole=(), lock=(), start=None, w_travel=w_travel, w_balance=w_balance,
        w_split=w_split, w_pbr=w_pbr, w_thin=w_thin, w_small=w_small, pbr_detect=pbr_detect, small_lots=small_lots,
        solver="highs", time_limit=600.0, gap=None, seed=0, threads=None, **market_settings(inputs))
    geo, values = load_inputs(**inputs, quiet=quiet)
    p = read_plan(plan, geo) if plan else one_area_per_pfa(geo)
    path = write_editor(out, p, geo, values, options, source=plan)
    note(quiet, f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); open it in a browser")
