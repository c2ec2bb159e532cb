"""``cpa solve``: draw K areas and prove how good they are."""

from __future__ import annotations

import click

from .app import main
from .common import (build_solve_options, geography_options, live_progress, load_inputs, note, output_options,
                     print_document, raise_interrupt, solve_options, stop_on_signals, with_codes)


@main.command()
@click.option("--areas", "k", type=int, required=True, help="Number of areas K.")
@solve_options
@geography_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out", show_default=True,
              help="Folder for plan.csv, plan.geojson, run.json (and map.html).")
@click.option("--map", "with_map", is_flag=True, help="Also write map.html next to the plan.")
@output_options("table", "markdown", "json")
def solve(k, out_dir, with_map, fmt, quiet, boundaries_file, code_column, name_column, pfa_column, links_file,
          snap, sliver, value_model, values_file, total, **rules):
    """Draw K contract package areas and prove how good they are.

    Writes OUT/plan.csv, OUT/plan.geojson and OUT/run.json (solver, version,
    options, input hash, status, objective terms, bound, gap, times) and
    prints the scorecard and what the solver proved (with --format json: one
    JSON document with the run report, the scorecard and the files written).
    A live line on stderr shows the phase, the elapsed time, the best
    objective, the best bound and the gap. The first Ctrl-C (or SIGTERM) stops
    the solve and keeps the best plan found so far: its files are written
    whole, run.json says status "interrupted" with the bound and gap so far,
    and the exit code is 130 (143 for SIGTERM); with no plan yet nothing is
    written. A second Ctrl-C aborts at once. Exit codes: 0 plan written, 2 bad
    input, 3 infeasible request (the binding rule is named), 4 no plan within
    the time limit, 130/143 interrupted.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io import atomic
    from ..optimise import solve as run_solve
    from ..optimise import status_line
    from ..optimise.engine import Interrupted
    from ..progress import LiveStatus, highs_banner_to_stderr
    from ..render.outputs import write_solve_outputs
    from ..render.text import render_scorecard

    options = build_solve_options(k, **rules)
    # Refuse an output folder that cannot take the files now, not after the solve.
    atomic.check_folder(out_dir, ("plan.csv", "plan.geojson", "run.json") + (("map.html",) if with_map else ()))
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              snap, sliver, value_model, values_file, total, quiet=quiet)
    options = with_codes(options, geo)
    highs_banner_to_stderr(quiet)
    with LiveStatus(quiet=quiet) as live, stop_on_signals() as stop:
        live.update(phase=f"solving K={options.k}, {options.coterminous}")
        try:
            result = run_solve(geo, values, options, progress=live_progress(live), stop=stop)
        except Interrupted:
            raise_interrupt(stop)
    paths = write_solve_outputs(result, geo, values, out_dir, with_map=with_map)
    report = result.report.to_dict()
    if fmt == "json":
        print_document("solve", {"run": report, "scorecard": result.scorecard.to_dict(),
                                 "files": [str(p) for p in paths]})
    else:
        click.echo(render_scorecard(result.scorecard, fmt), nl=False)
        if result.report.start:
            click.echo(f"Start: {result.report.start}")
        click.echo(status_line(result.report))
    note(quiet, "wrote " + ", ".join(str(p) for p in paths))
    if stop.is_set():
        stop.exit_keeping(f"the best plan found ({result.report.status}); wrote {out_dir}")
