"""``cpa sweep``: solve a range of K and draw how the plans change with K."""

from __future__ import annotations

from pathlib import Path

import click

from ..options import check_jobs
from .app import main
from .common import (build_solve_options, geography_options, load_inputs, note, output_options, print_document,
                     raise_interrupt, solve_options, stop_on_signals, with_codes)


@main.command("sweep")
@click.option("--areas", "k_specs", multiple=True, required=True, metavar="RANGE",
              help="K values: a range A-B, a list 12,16,21 or both (6-10,35); repeatable.")
@solve_options
@geography_options
@click.option("--jobs", type=int, default=None,
              help="Solves run at once, one local Dask worker process each [default: CPUs].")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run the solves on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786) instead.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="sweep", show_default=True,
              help="Folder for sweep.csv, the PNG curves and every K's plan files (k16/plan.csv, ...).")
@click.option("--maps", "map_specs", default="12,16,21,35", show_default=True, metavar="KS",
              help="The Ks whose plans are drawn side by side in sweep_maps.png (those the sweep solves; "
                   "if none, four spread over the range).")
@output_options("table", "csv", "json")
def sweep_cmd(k_specs, jobs, scheduler, out_dir, map_specs, fmt, quiet, boundaries_file, code_column, name_column,
              pfa_column, links_file, snap, sliver, value_model, values_file, total, **rules):
    """Solve every K in a range and draw how the plans change with K.

    --time-limit is PER K (each solve gets the full limit), so a sweep of n
    Ks takes up to n x limit / jobs. Progress (K done of all, status, gap,
    seconds) goes to stderr as each K finishes. An infeasible K (e.g. K > 43
    under strict coterminosity, or a --min-value floor too high) is a row with
    its reason, not an error. Writes OUT/sweep.csv and curves against K
    (travel, balance, smallest contract, splits, the market measures, solve
    time) marking K = 16, 21, 35 and the reference plans, every K's plan files in OUT/k16/plan.csv,
    plan.geojson, run.json, ..., and the plans of --maps Ks side by side in
    sweep_maps.png. Solves run on a local Dask cluster (--jobs processes), or
    on a running one with --scheduler, as for grid.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..compare import parse_k_values, reference_points, render_sweep, sweep_commentary, sweep_results
    from ..compare.sweep import NOT_RUN
    from ..io import atomic
    from ..io.safe import csv_text
    from ..progress import LiveStatus, highs_banner_to_stderr
    from ..render.outputs import write_sweep

    ks = parse_k_values(k_specs)
    map_ks = parse_k_values(map_specs)
    jobs = check_jobs(jobs)
    atomic.check_folder(out_dir, ("sweep.csv",))  # now, not after the solves
    base = build_solve_options(ks[0], **rules)
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              snap, sliver, value_model, values_file, total, quiet=quiet)
    base = with_codes(base, geo)
    highs_banner_to_stderr(quiet)
    shown = ", ".join(map(str, ks)) if len(ks) < 8 else f"{ks[0]}..{ks[-1]} ({len(ks)} values)"
    note(quiet, f"sweeping K = {shown}, up to {base.time_limit:g} s each")
    with LiveStatus(quiet=quiet) as live, stop_on_signals() as stop:
        live.update(phase="sweeping", done=0, total=len(ks))

        def progress(row, done, n):
            gap = "" if row["gap"] is None else f"  gap {row['gap']:.2%}"
            why = f"  {row['reason'].split(' (hint:')[0]}" if row["reason"] else ""
            live.log(f"[{done}/{n}] K={row['K']}: {row['status']}{gap}  {row['seconds']:.1f} s{why}")
            live.update(done=done)

        df, results = sweep_results(ks, base, geo, values, jobs=jobs, progress=progress, scheduler=scheduler,
                                    stop=stop)
    if stop.is_set() and not results:
        raise_interrupt(stop)  # stopped before any K had a plan: nothing to keep
    notes = sweep_commentary(df, base.market, values.total / 1e6)
    paths = write_sweep(df, out_dir, reference_points(geo, values, market=base.market), results=results, geo=geo,
                        values=values, map_ks=map_ks, notes=notes)
    if fmt == "json":
        print_document("sweep", {"rows": df.to_dict(orient="records"), "commentary": notes,
                                 "files": [str(p) for p in paths]})
    elif fmt == "csv":
        click.echo(csv_text(df), nl=False)
    else:
        click.echo(render_sweep(df), nl=False)
        for line in notes:
            click.echo(f"- {line}")
    top = sorted(str(p) for p in paths if p.parent == Path(out_dir))
    note(quiet, "wrote " + ", ".join(top) + (f" and the plan files of {len(results)} Ks (k{min(results)}/plan.csv, ...)"
                                               if results else ""))
    if stop.is_set():
        not_run = [int(k) for k, s in zip(df["K"], df["status"]) if s == NOT_RUN]
        stop.exit_keeping(f"{len(results)} K with plans"
                          + (f", not run: K={', '.join(map(str, not_run))}" if not_run else ""))
