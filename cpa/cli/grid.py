"""``cpa grid``: every combination of a scenario's axes, solved on Dask, resumable, with the trade-offs drawn."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import EXIT_SIGINT, EXIT_SIGTERM, CpaError, Terminated
from .app import main
from .common import (build_solve_options, explicit, geography_options, load_geography, load_inputs, note,
                     output_options, print_document, solve_options, with_codes)


@main.command("grid")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the results [default: the scenario's out, else 'grid']. Re-running into the same "
                   "folder resumes: stored results are not solved again.")
@click.option("--workers", type=int, default=None,
              help="Local Dask worker processes, one solve each [default: CPUs].")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786) instead of a local one; "
                   "its workers need only cpa installed.")
@click.option("--retry-unproven", is_flag=True,
              help="Also solve again stored results that were not proven (time-limited, or no plan in time).")
@click.option("--yes", "-y", "allow_large", is_flag=True, help="Run a grid of more than 500 solves.")
@solve_options
@geography_options
@output_options("table", "csv", "json")
@click.pass_context
def grid_cmd(ctx, scenario, out_dir, workers, scheduler, retry_unproven, allow_large, fmt, quiet, boundaries_file,
             code_column, name_column, pfa_column, links_file, snap, sliver, value_model, values_file, total,
             **rules):
    """Solve every combination of the axes of SCENARIO (TOML) and draw the trade-offs.

    Axes: K (areas), the value model or value files, any solve setting, groups
    kept whole and named option sets (see examples/grid_value_models.toml).
    Runs on a local Dask cluster (--workers processes), or on a running one
    with --scheduler ADDRESS: the scenario does not change. Each result is
    stored under OUT/solves/ as it finishes, so an interrupted grid resumes
    where it stopped and a re-run solves nothing new; failed solves are
    retried (and unproven ones with --retry-unproven). Solve flags given here
    apply to every solve (time-limit per solve), but may not override an axis.

    Writes OUT/grid.parquet, grid.csv (axes, status, objective, bound, gap,
    seconds, scorecard), grid.md (which K and options are never dominated),
    curves_<values>.png, pareto.png (travel against balance, reference plans
    placed), pareto_fragments.png (soft), coassignment.csv, stability.csv and
    stability.png (robustness across value models). More than 500 solves
    need --yes.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..compare.grid import (ResultStore, expand_grid, failures, load_values, read_grid_scenario,
                                results_table, run_grid)
    # imported here, not at the top: keeps `cpa --help` fast
    from ..compare.tradeoffs import never_dominated, reference_points, robustness
    from ..io.safe import csv_text
    from ..progress import LiveStatus, highs_banner_to_stderr
    from ..render.grid import grid_files, render_grid, write_grid

    sc = read_grid_scenario(scenario)
    if scheduler and workers is not None:
        raise CpaError("--workers is for the local cluster; with --scheduler the cluster's own workers run "
                       "the solves", "leave out one of them")
    given = explicit(ctx, {"value_model": value_model, "values_file": values_file})
    if sc.value_sources and given:
        raise CpaError(f"scenario {sc.path} has a value axis, so --value-model/--values would override it",
                       "list the value models or files in the scenario's [axes], or leave the flag out")
    out_dir = Path(out_dir or sc.out or "grid")
    highs_banner_to_stderr(quiet)  # the solver version goes into every key: keep its banner off stdout
    if sc.value_sources:
        geo = load_geography(boundaries_file, code_column, name_column, pfa_column, links_file, snap, sliver, quiet)
        values = load_values(geo, sc.value_sources, total)
    else:
        geo, cli_values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file, snap,
                                      sliver, value_model, values_file, total, quiet=quiet)
        values = {Path(values_file).stem if values_file else value_model: cli_values}
    grid = expand_grid(sc, geo, values, build_solve_options, base=rules, override=explicit(ctx, rules),
                       to_codes=with_codes, allow_large=allow_large)
    store = ResultStore(out_dir)
    where = f"on the Dask cluster at {scheduler}" if scheduler else "on a local Dask cluster"
    note(quiet, f"grid {sc.path.name}: {len(grid.points)} solves ("
         + " x ".join(f"{k} {n}" for k, n in grid.sizes.items()) + f"), {where}; results in {out_dir}")
    try:
        with LiveStatus(quiet=quiet) as live:
            live.update(phase="grid", done=0, total=len(grid.points))

            def progress(c, point, row):
                eta = c.eta_seconds()
                left = "estimating time left" if eta is None else f"about {_duration(eta)} left"
                live.update(phase=f"grid: {c.done} solved, {c.running} running, {c.failed} failed, {c.cached} cached",
                            done=c.cached + c.done + c.failed, total=c.total,
                            note=left if c.remaining else "")
                if point is not None:
                    live.log(_finished_line(c, point, row))

            rows, counts = run_grid(grid, geo, store, workers=workers, scheduler=scheduler,
                                    retry_unproven=retry_unproven, progress=progress)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        what, code = ("terminated (SIGTERM)", EXIT_SIGTERM) if isinstance(exc, Terminated) else ("interrupted", EXIT_SIGINT)
        click.echo(f"cpa: {what}; the solves that finished are stored in {out_dir / 'solves'}: run the same "
                   "command again to resume", err=True)
        sys.exit(code)
    table = results_table(grid, rows)
    # the reference plans' market figures with the grid's shared parameters ([defaults], then flags)
    shared = build_solve_options(1, **{**rules, **sc.defaults, **explicit(ctx, rules)})
    refs = reference_points(geo, grid.values, market=shared.market)
    co, stab = robustness(table, store.plans(table), geo, grid.axes)
    files = grid_files(grid, table, refs, counts, geo, co, stab)
    paths = write_grid(files, out_dir)
    bad = failures(table, grid.axes)
    if fmt == "json":
        nd = never_dominated(table, grid.axes)
        print_document("grid", {
            "title": sc.title, "scenario": str(sc.path), "axes": grid.sizes,
            "solves": {"total": counts.total, "solved": counts.done, "cached": counts.cached,
                       "failed": counts.failed},
            "never_dominated": {"options": nd["options"], "ks": nd["ks"]},
            "failures": bad, "rows": table.to_dict(orient="records"), "files": [str(p) for p in paths]})
    elif fmt == "csv":
        click.echo(csv_text(table), nl=False)
    else:
        click.echo(render_grid(grid, table), nl=False)
    for f in bad:
        note(quiet, f"failed: K={f['K']} under {f['values']}: {f['reason']}")
    note(quiet, f"{counts.done} solved, {counts.cached} from earlier runs, {counts.failed} failed; wrote "
         f"{len(paths)} files to {out_dir}; read {out_dir / 'grid.md'}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _finished_line(c, point, row) -> str:
    axes = ", ".join(f"{k}={v}" for k, v in point.labels.items())
    status = row["status"]
    gap = "" if row.get("gap") is None else f"  gap {row['gap']:.2%}"
    secs = "" if row.get("seconds") is None else f"  {row['seconds']:.1f} s"
    why = f"  {str(row['reason']).split(' (hint:')[0]}" if row.get("reason") else ""
    return f"[{c.cached + c.done + c.failed}/{c.total}] {axes}: {status}{gap}{secs}{why}"
