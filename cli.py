"""The ``cpa`` command line: a thin layer over the :mod:`cpa` Python API.

Every command meets bad input with one message (what, where, how to fix) and
exit code 2; infeasible requests exit 3; a solve that found no plan exits 4.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cpa import atomic
from cpa.errors import CpaError, InfeasibleRequest

EXIT_USAGE, EXIT_INFEASIBLE, EXIT_NO_PLAN = 2, 3, 4


class CpaGroup(click.Group):
    """Turns CpaError (and a few library errors) into one clear message and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InfeasibleRequest as exc:
            click.echo(f"cpa: infeasible: {exc}", err=True)
            sys.exit(EXIT_INFEASIBLE)
        except CpaError as exc:
            click.echo(f"cpa: error: {exc}", err=True)
            sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
        except OSError as exc:
            # Output paths the OS refuses (parent is a file, no permission, disk full): say which, no traceback.
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"cpa: error: cannot write or read{where}: {exc.strerror or exc}\n"
                       "  hint: check the folder exists, is writable and has space", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("cpa: interrupted; no partial output was written", err=True)
            sys.exit(130)


# ---------------------------------------------------------------- shared options
def geography_options(f):
    """Options to load a user geography and value table instead of the embedded default."""
    opts = [
        click.option("--boundaries", "boundaries_file", type=click.Path(dir_okay=False),
                     help="Your own unit polygons (GeoJSON, GeoPackage or shapefile) instead of the embedded LADs."),
        click.option("--code-column", default="lad_code", show_default=True, help="Unit code column in --boundaries."),
        click.option("--name-column", default=None, help="Unit name column in --boundaries."),
        click.option("--pfa-column", default=None, help="Group (PFA) code column in --boundaries."),
        click.option("--links", "links_file", type=click.Path(dir_okay=False),
                     help="CSV a,b[,link_type,name] of extra links (bridges, ferries) for --boundaries."),
        click.option("--value-model", default="crime", show_default=True,
                     help="Demand model for contract value: crime, adults, population, males18_49, budget2003."),
        click.option("--values", "values_file", type=click.Path(dir_okay=False),
                     help="CSV lad_code,value (£/yr) or lad_code,caseload; replaces --value-model."),
        click.option("--total", type=float, default=None,
                     help="National total in £m a year to scale values to [default: 450]."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file, value_model,
                values_file, total):
    """(geography, contract values) from the shared options."""
    from cpa.geography import Geography
    from cpa.values import DEFAULT_TOTAL, contract_values, values_from_table

    if boundaries_file:
        geo = Geography.from_file(boundaries_file, code_column, name_column, pfa_column, links=links_file)
    else:
        geo = Geography.default()
    total_gbp = None if total is None else total * 1e6
    if values_file:
        values = values_from_table(geo, values_file, total_gbp)
    else:
        values = contract_values(geo, value_model, DEFAULT_TOTAL if total_gbp is None else total_gbp)
    return geo, values


def emit(text: str, out: str | None) -> None:
    if out:
        try:
            atomic.write_text(out, text)
        except OSError as exc:
            culprit = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
            raise CpaError(f"cannot write {out}: {exc.strerror or exc}{culprit}",
                           "check that the folder is a folder, is writable and has space") from None
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


@click.group(cls=CpaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cpa")
def main():
    """Contract package areas for probation in England and Wales.

    Partition the 318 local authority districts into K contiguous areas that
    balance contract value, coterminosity with police force areas, offender
    travel and market attractiveness; score any plan; draw maps.
    """


# ---------------------------------------------------------------------- evaluate
@main.command()
@click.argument("plan")
@geography_options
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of the terminal.")
@click.option("--min-value", type=float, help="Flag areas under this value (£m a year).")
@click.option("--max-share", type=float, help="Flag areas over this share of national value (percent).")
@click.option("--max-value", type=float, help="Flag areas over this value (£m a year).")
def evaluate(plan, fmt, out, min_value, max_share, max_value, **inputs):
    """Score PLAN: a reference (pfa43, trusts35, crc21, regions12) or a plan file (CSV/GeoJSON)."""
    from cpa.metrics import scorecard
    from cpa.plan import read_plan

    geo, values = load_inputs(**inputs)
    p = read_plan(plan, geo)
    card = scorecard(p, geo, values, min_value=None if min_value is None else min_value * 1e6,
                     max_share=None if max_share is None else max_share / 100,
                     max_value=None if max_value is None else max_value * 1e6)
    emit(card.render(fmt), out)


# --------------------------------------------------------------------------- map
@main.command("map")
@click.argument("plans", nargs=-1, required=True)
@geography_options
@click.option("-o", "--out", default="map.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML map to write (self-contained, works offline).")
@click.option("--color-by", type=click.Choice(["area", "value", "travel", "share"]), default="area",
              show_default=True, help="Fill areas by distinct colours, or by value, mean travel km or share.")
@click.option("--png", type=click.Path(dir_okay=False), help="Also draw the first plan as a static PNG here.")
@click.option("--tiles", default=None,
              help="Background tiles under the plans (e.g. OpenStreetMap); needs the network to view.")
def map_(plans, out, color_by, png, tiles, **inputs):
    """Draw PLANs on one interactive HTML map, one switchable layer each.

    Each PLAN is a reference (pfa43, trusts35, crc21, regions12) or a plan file
    (CSV/GeoJSON). Click an area for its scorecard; hover a LAD for its details.
    """
    from cpa.maps import interactive_map, static_png, write_map_html
    from cpa.metrics import scorecard
    from cpa.plan import read_plan

    geo, values = load_inputs(**inputs)
    layers = []
    for name in plans:
        p = read_plan(name, geo)
        layers.append((p.label, p, scorecard(p, geo, values)))
    m = interactive_map(layers, geo, values, color_by=color_by, tiles=tiles)
    write_map_html(m, out)
    click.echo(f"wrote {out}", err=True)
    if png:
        label, p, card = layers[0]
        static_png(p, card, geo, png, title=label, color_by=color_by)
        click.echo(f"wrote {png}", err=True)


# ------------------------------------------------------------------------- solve
def solve_options(f):
    """The commissioner's rules and the solver settings, shared by solve, compare and sweep."""
    opts = [
        click.option("--coterminous", type=click.Choice(["strict", "soft", "off"]), default="strict",
                     show_default=True, help="strict: never split a PFA; soft: splits cost --w-split each; "
                     "off: PFAs ignored."),
        click.option("--min-value", type=float, help="Market floor: no area under this value (£m a year)."),
        click.option("--max-value", type=float, help="No area over this value (£m a year)."),
        click.option("--max-share", type=float, help="No area over this share of national value (percent)."),
        click.option("--max-pfas", type=int, help="At most this many PFAs (whole or part) per area."),
        click.option("--keep-whole", multiple=True, metavar="NAME",
                     help="Keep a PFA, 2021 region, 'Wales', 'England' or 'London' in one area (repeatable)."),
        click.option("--lock", multiple=True, metavar="LAD=AREA",
                     help="Put a LAD in the area labelled AREA (repeatable; same label = same area)."),
        click.option("--start", metavar="PLAN", help="Warm start from a reference (e.g. trusts35) or plan file."),
        click.option("--w-travel", type=float, default=1.0, show_default=True,
                     help="Weight per km of value-weighted mean travel to the hub."),
        click.option("--w-balance", type=float, default=1.0, show_default=True,
                     help="Weight per percentage point of national value away from the mean, summed over areas."),
        click.option("--w-split", type=float, default=5.0, show_default=True,
                     help="Weight per extra PFA fragment (--coterminous soft)."),
        click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True,
                     help="MIP solver for the restricted master (choosing K of the generated areas). The master "
                     "LP and the pricing MIPs always use HiGHS (highspy): they change incrementally."),
        click.option("--time-limit", type=float, default=120.0, show_default=True,
                     help="Seconds for the whole solve, building included; it ends within max(5%, 5 s) of "
                     "this with the best plan and the best bound found."),
        click.option("--gap", type=float, default=None, help="Stop at this relative gap (e.g. 0.01); the plan "
                     "is then reported as feasible with its gap. 'Optimal' means a gap of at most 1e-6."),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--threads", type=int, default=None, help="Solver threads [default: solver's choice]."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_solve_options(k, coterminous, min_value, max_value, max_share, max_pfas, keep_whole, lock, start,
                        w_travel, w_balance, w_split, solver, time_limit, gap, seed, threads):
    """SolveOptions from CLI values (money in £m, shares in percent), with clear errors."""
    from cpa.optimise import SolveOptions, Weights

    locks = []
    for item in lock:
        if "=" not in item or not item.split("=", 1)[0].strip() or not item.split("=", 1)[1].strip():
            raise CpaError(f"--lock {item!r} is not LAD=AREA", "e.g. --lock E06000046=South")
        lad, area = item.split("=", 1)
        locks.append((lad.strip(), area.strip()))
    for name, val in (("--min-value", min_value), ("--max-value", max_value), ("--max-share", max_share)):
        if val is not None and not (val > 0):
            raise CpaError(f"{name} must be a positive number, got {val}")
    if max_share is not None and max_share > 100:
        raise CpaError(f"--max-share is a percentage (0-100], got {max_share}", "e.g. --max-share 25")
    if time_limit is None or not (time_limit > 0):
        raise CpaError(f"--time-limit must be positive seconds, got {time_limit}")
    if gap is not None and not (0 <= gap < 1):
        raise CpaError(f"--gap is a fraction in [0, 1), got {gap}", "e.g. --gap 0.01 for 1%")
    for name, val in (("--w-travel", w_travel), ("--w-balance", w_balance), ("--w-split", w_split)):
        if not (val >= 0):
            raise CpaError(f"{name} must be 0 or more, got {val}")
    return SolveOptions(
        k=k, coterminous=coterminous,
        min_value=None if min_value is None else min_value * 1e6,
        max_value=None if max_value is None else max_value * 1e6,
        max_share=None if max_share is None else max_share / 100,
        max_pfas=max_pfas, keep_whole=tuple(keep_whole), locks=tuple(locks), start=start,
        weights=Weights(travel=w_travel, balance=w_balance, split=w_split),
        solver=solver, time_limit=time_limit, gap=gap, seed=seed, threads=threads)


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
    from cpa.optimise import solve as run_solve
    from cpa.optimise import status_line
    from cpa.outputs import write_solve_outputs

    options = build_solve_options(k, **rules)
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              value_model, values_file, total)
    result = run_solve(geo, values, options)
    paths = write_solve_outputs(result, geo, values, out_dir, with_map=with_map)
    click.echo(result.scorecard.render(fmt), nl=False)
    if result.report.start:
        click.echo(f"Start: {result.report.start}")
    click.echo(status_line(result.report))
    click.echo("wrote " + ", ".join(str(p) for p in paths), err=True)


# ------------------------------------------------------------------ compare
def _explicit(ctx, rules: dict) -> dict:
    """The solve options actually typed on the command line (not click's defaults)."""
    from click.core import ParameterSource

    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    return {k: v for k, v in rules.items() if ctx.get_parameter_source(k) in given}


@main.command("compare")
@click.option("--areas", "ks", type=int, multiple=True, metavar="K", help="Solve for K areas (repeatable).")
@click.option("--reference", "refs", multiple=True, metavar="PLAN",
              help="An existing plan to compare: pfa43, trusts35, crc21, regions12 or a plan file (repeatable).")
@click.option("--scenario", type=click.Path(dir_okay=False),
              help="TOML file listing the options (see examples/compare_16_vs_35.toml); solve flags given "
                   "here override it.")
@solve_options
@geography_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the comparison [default: the scenario's out, else 'compare'].")
@click.pass_context
def compare_cmd(ctx, ks, refs, scenario, out_dir, boundaries_file, code_column, name_column, pfa_column,
                links_file, value_model, values_file, total, **rules):
    """Compare solved options and existing plans side by side.

    Each --areas K is solved with the solve options (--time-limit applies to
    each solve); each --reference is scored as it is. Or give --scenario
    FILE.toml with per-option settings. Writes OUT/comparison.csv,
    comparison.md, report.html (table, commentary, map, pictures), map.html
    (every option a layer) and OUT/<option>/plan.csv, plan.geojson (and
    run.json for solves), all only once every option is done. Exit codes as
    for solve: 3 if an option is infeasible, 4 if a solve found no plan.
    """
    from cpa.compare import Option, commentary, compare, read_scenario, render_table, write_comparison

    title = description = None
    if scenario:
        if ks or refs:
            raise CpaError("give either --scenario or --areas/--reference, not both",
                           "list every option in the scenario file")
        sc = read_scenario(scenario)
        override = _explicit(ctx, rules)
        options = sc.build(build_solve_options, base=rules, override=override)
        flags = sc.score_rules(build_solve_options, base=rules, override=override)
        title, description, out_dir = sc.title, sc.description, out_dir or sc.out
    else:
        if not ks and not refs:
            raise CpaError("nothing to compare", "give --areas K and/or --reference PLAN (repeatable), "
                           "or --scenario FILE.toml")
        options = [Option.solved(build_solve_options(k, **rules)) for k in ks]
        options += [Option.reference(r) for r in refs]
        base = build_solve_options(1, **rules)
        flags = {"min_value": base.min_value, "max_share": base.max_share, "max_value": base.max_value}
    out_dir = out_dir or "compare"
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              value_model, values_file, total)
    result = compare(options, geo, values, **flags, progress=lambda text: click.echo(text, err=True))
    paths = write_comparison(result, geo, values, out_dir, title=title, description=description)
    click.echo(render_table(result.table), nl=False)
    trusts = geo.references.get("trusts35")
    for line in commentary(result, None if trusts is None else int(trusts["area"].nunique())):
        click.echo(f"- {line}")
    click.echo(f"wrote {len(paths)} files to {out_dir}; open {Path(out_dir) / 'report.html'}", err=True)


# -------------------------------------------------------------------- sweep
@main.command("sweep")
@click.option("--areas", "k_specs", multiple=True, required=True, metavar="RANGE",
              help="K values: a range A-B, a list 12,16,21 or both (6-10,35); repeatable.")
@solve_options
@geography_options
@click.option("--jobs", type=int, default=None, help="Solves run at once, one process each [default: CPUs].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="sweep", show_default=True,
              help="Folder for sweep.csv and the PNG curves.")
def sweep_cmd(k_specs, jobs, out_dir, boundaries_file, code_column, name_column, pfa_column, links_file,
              value_model, values_file, total, **rules):
    """Solve every K in a range and draw how the plans change with K.

    --time-limit is PER K (each solve gets the full limit), so a sweep of n
    Ks takes up to n x limit / jobs. Progress (K, status, gap, seconds) goes
    to stderr as each K finishes. An infeasible K (e.g. K > 43 under strict
    coterminosity, or a --min-value floor too high) is a row with its reason,
    not an error. Writes OUT/sweep.csv and curves against K (travel, balance,
    smallest contract, splits, solve time) marking K = 16, 21, 35 and the
    reference plans.
    """
    from cpa.compare import parse_k_values, reference_points, render_sweep, sweep, write_sweep

    ks = parse_k_values(k_specs)
    if jobs is not None and jobs < 1:
        raise CpaError(f"--jobs must be at least 1, got {jobs}")
    base = build_solve_options(ks[0], **rules)
    geo, values = load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file,
                              value_model, values_file, total)

    def progress(row, done, n):
        gap = "" if row["gap"] is None else f"  gap {row['gap']:.2%}"
        why = f"  {row['reason'].split(' (hint:')[0]}" if row["reason"] else ""
        click.echo(f"[{done}/{n}] K={row['K']}: {row['status']}{gap}  {row['seconds']:.1f} s{why}", err=True)

    click.echo(f"sweeping K = {', '.join(map(str, ks)) if len(ks) < 8 else f'{ks[0]}..{ks[-1]} ({len(ks)} values)'}"
               f", up to {base.time_limit:g} s each", err=True)
    df = sweep(ks, base, geo, values, jobs=jobs, progress=progress)
    paths = write_sweep(df, out_dir, reference_points(geo, values))
    click.echo(render_sweep(df), nl=False)
    click.echo("wrote " + ", ".join(str(p) for p in paths), err=True)


# -------------------------------------------------------------------- references
@main.command()
def references():
    """List the embedded reference plans."""
    from cpa.geography import Geography
    from cpa.plan import REFERENCE_DESCRIPTIONS

    geo = Geography.default()
    for name, ref in geo.references.items():
        click.echo(f"{name:10s} {ref['area'].nunique():3d} areas  {REFERENCE_DESCRIPTIONS.get(name, '')}")


if __name__ == "__main__":
    main()
