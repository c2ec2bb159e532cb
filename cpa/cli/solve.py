"""``cpa solve``: draw K areas and prove how good they are."""

from __future__ import annotations

import click

from .app import main
from .common import build_solve_options, geography_options, load_inputs, solve_options


@main.command()
@click.option("--areas", "k", type=int, required=True, help="Number of areas K.")
@solve_options
@geography_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out", show_default=True,
              help="Folder for plan.csv, plan.geojson, run.json (and map.html).")
@click.option("--map", "with_map", is_flag=True, help="Also write map.html next to the plan.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table",
              show_default=True, help="How to print the scorecard.")
def solve(k, out_dir, with_map, fmt, boundaries_file, code_column, name_column, pfa_column, links_file,
          value_model, values_file, total, **rules):
    """Draw K contract package areas and prove how good they are.

    Writes OUT/plan.csv, OUT/plan.geojson and OUT/run.json (solver, version,
    options, input hash, status, objective terms, bound, gap, times) and
    prints the scorecard and what the solver proved. Exit codes: 0 plan
    written, 2 bad input, 3 infeasible request (the binding rule is named),
    4 no plan within the time limit.
    """
    from ..optimise import solve as run_solve
    from ..optimise import status_line
    from ..render.outputs import write_solve_outputs
    from ..render.text import render_scorecard

    options = build_solve_options(k, **rules)
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              value_model, values_file, total)
    result = run_solve(geo, values, options)
    paths = write_solve_outputs(result, geo, values, out_dir, with_map=with_map)
    click.echo(render_scorecard(result.scorecard, fmt), nl=False)
    if result.report.get("start"):
        click.echo(f"Start: {result.report['start']}")
    click.echo(status_line(result.report))
    click.echo("wrote " + ", ".join(str(p) for p in paths), err=True)
