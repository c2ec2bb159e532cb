"""``cpa compare``: solved options and existing plans side by side."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..errors import CpaError
from .app import main
from .common import (build_solve_options, explicit, geography_options, live_progress, load_inputs, note,
                     output_options, print_document, raise_interrupt, solve_options, stop_on_signals, with_codes)


@main.command("compare")
@click.option("--areas", "ks", type=int, multiple=True, metavar="K", help="Solve for K areas (repeatable).")
@click.option("--reference", "refs", multiple=True, metavar="PLAN",
              help="An existing plan to compare: pfa43, trusts35, crc21, regions12 or a plan file (repeatable).")
@click.option("--names", "names_files", multiple=True, metavar="FILE",
              help="CSV area,name renaming a --reference plan's areas; the first --names goes with the first "
                   "--reference, and so on ('-' for none).")
@click.option("--scenario", type=click.Path(dir_okay=False),
              help="TOML file listing the options (see examples/compare_16_vs_35.toml); solve flags given "
                   "here override it.")
@solve_options
@geography_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the comparison [default: the scenario's out, else 'compare'].")
@output_options("table", "markdown", "csv", "json")
@click.pass_context
def compare_cmd(ctx, ks, refs, names_files, scenario, out_dir, fmt, quiet, boundaries_file, code_column, name_column, pfa_column,
                links_file, snap, sliver, value_model, values_file, total, **rules):
    """Compare solved options and existing plans side by side.

    Each --areas K is solved with the solve options (--time-limit applies to
    each solve); each --reference is scored as it is. Or give --scenario
    FILE.toml with per-option settings. Writes OUT/comparison.csv,
    comparison.md, report.html (table, commentary, map, pictures), map.html
    (every option a layer) and OUT/<option>/plan.csv, plan.geojson (and
    run.json for solves), all only once every option is done. Prints the
    table and the commentary (--format json: one JSON document). Exit codes as
    for solve: 3 if an option is infeasible, 4 if a solve found no plan.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..compare import Option, commentary, compare, read_scenario, render_table
    from ..compare.table import display_rows
    from ..io.safe import csv_text
    from ..progress import LiveStatus, highs_banner_to_stderr
    from ..io import atomic
    from ..io.safe import markdown_cell
    from ..render.outputs import option_dirs, write_comparison
    from ..render.text import markdown_table

    title = description = None
    if scenario:
        if ks or refs or names_files:
            raise CpaError("give either --scenario or --areas/--reference/--names, not both",
                           "list every option in the scenario file (a reference option takes names = FILE)")
        sc = read_scenario(scenario)
        override = explicit(ctx, rules)
        options = sc.build(build_solve_options, base=rules, override=override)
        flags = sc.score_rules(build_solve_options, base=rules, override=override)
        title, description, out_dir = sc.title, sc.description, out_dir or sc.out
    else:
        if not ks and not refs:
            raise CpaError("nothing to compare", "give --areas K and/or --reference PLAN (repeatable), "
                           "or --scenario FILE.toml")
        if len(names_files) > len(refs):
            raise CpaError(f"{len(names_files)} --names files for {len(refs)} --reference plans",
                           "each --names goes with the --reference in the same place; use '-' to skip one")
        names = [None if n == "-" else n for n in names_files] + [None] * (len(refs) - len(names_files))
        options = [Option.solved(build_solve_options(k, **rules)) for k in ks]
        options += [Option.reference(r, names=n) for r, n in zip(refs, names)]
        base = build_solve_options(1, **rules)
        flags = {"min_value_m": base.min_value_m, "max_share_pct": base.max_share_pct,
                 "max_value_m": base.max_value_m, "market": base.market, "pbr_detect": base.pbr_detect,
                 "small_lots": base.small_lots}
    out_dir = out_dir or "compare"
    # Refuse an output folder that cannot take the files now, not after the solves.
    dirs = option_dirs(o.name for o in options).values()
    atomic.check_folder(out_dir, ["comparison.csv", "comparison.md", "report.html", "map.html"]
                        + [f"{d}/{f}" for d in dirs for f in ("plan.csv", "plan.geojson", "run.json")])
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              snap, sliver, value_model, values_file, total, quiet=quiet)
    options = [replace(o, solve=with_codes(o.solve, geo)) if o.solve is not None else o for o in options]
    highs_banner_to_stderr(quiet)
    with LiveStatus(quiet=quiet) as live, stop_on_signals() as stop:
        live.update(phase="comparing", done=0, total=len(options))

        def progress(text: str) -> None:
            live.log(text)
            if "solving" not in text:
                live.update(done=(live.status.done or 0) + 1)

        result = compare(options, geo, values, **flags, progress=progress, solve_progress=live_progress(live),
                         stop=stop)
    if result.table.empty:
        raise_interrupt(stop)  # stopped before anything finished: nothing to keep
    paths = write_comparison(result, geo, values, out_dir, title=title, description=description)
    trusts = geo.references.get("trusts35")
    notes = commentary(result, None if trusts is None else int(trusts["area"].nunique()))
    if fmt == "json":
        print_document("comparison", {"title": title, "options": result.table.to_dict(orient="records"),
                                      "commentary": notes, "files": [str(p) for p in paths]})
    elif fmt == "csv":
        click.echo(csv_text(result.table), nl=False)
    elif fmt == "markdown":
        click.echo(markdown_table(*display_rows(result.table)) + "\n\n" + "\n".join(f"- {markdown_cell(n)}" for n in notes))
    else:
        click.echo(render_table(result.table), nl=False)
        for line in notes:
            click.echo(f"- {line}")
    note(quiet, f"wrote {len(paths)} files to {out_dir}; open {Path(out_dir) / 'report.html'}")
    if stop.is_set():
        stop.exit_keeping(f"{len(result.table)} finished option(s)"
                          + (f", not run: {', '.join(result.not_run)}" if result.not_run else ""))
