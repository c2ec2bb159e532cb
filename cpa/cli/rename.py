"""``cpa rename``: a plan file with its areas renamed."""

from __future__ import annotations

from pathlib import Path

import click

from .app import main
from .common import geography_options, load_inputs


@main.command()
@click.argument("plan")
@click.argument("names", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="The renamed plan file to write: .csv (lad_code,area,area_name) or .geojson (one feature per area).")
@geography_options
def rename(plan, names, out, **inputs):
    """Write PLAN with its areas renamed by NAMES (CSV area,name keyed by PLAN's area labels).

    PLAN is a reference (pfa43, trusts35, crc21, regions12) or a plan file.
    Areas NAMES leaves out keep the plan's own names, or get one from the
    naming rule; two areas never share a name (a suffix tells them apart).
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io import atomic, read_plan
    from ..io.names import read_names
    from ..io.plans import plan_csv_text, plan_geojson_text
    from ..naming import named_plan

    geo, values = load_inputs(**inputs)
    p = read_plan(plan, geo)
    renamed = named_plan(p, geo, values, read_names(names, p))
    geojson = Path(out).suffix.lower() in (".geojson", ".json")
    atomic.write_text(out, plan_geojson_text(renamed, geo) if geojson else plan_csv_text(renamed))
    changed = sum(renamed.name(a) != p.name(a) for a in p.areas)
    click.echo(f"wrote {out} ({renamed.k} areas, {changed} renamed)", err=True)
