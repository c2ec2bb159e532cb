"""``cpa units``: the LADs and PFAs (and the groups kept whole), found by name or code."""

from __future__ import annotations

import click

from .app import main
from .common import geography_options, load_inputs, output_options, print_document

KINDS = ("lad", "pfa", "region", "group", "country", "trust", "crc")


@main.command()
@click.argument("query", required=False)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only these kinds (repeatable) [default: LADs and PFAs].")
@geography_options
@output_options("table", "csv", "json")
def units(query, kinds, fmt, quiet, **inputs):
    """List LADs and PFAs (code, name, PFA, 2021 region, value), or those whose name or code
    contains QUERY. Names work wherever codes do: --lock 'Isle of Wight=South',
    --keep-whole Kent; a prefix (lad:, pfa:, region:) settles a clash such as the
    district County Durham and the force Durham."""
    # imported here, not at the top: keeps `cpa --help` fast
    import pandas as pd

    # imported here, not at the top: keeps `cpa --help` fast
    from ..io.safe import csv_text
    from ..render.text import text_table

    geo, values = load_inputs(**inputs, quiet=quiet)
    kinds = kinds or ("lad", "pfa")
    region = {}
    if "regions12" in geo.references:
        ref = geo.references["regions12"]
        region = dict(zip(ref["lad_code"], ref["area_name"]))
    v = values.by_unit
    rows = []
    for place in geo.places:
        if place.kind not in kinds:
            continue
        key = (query or "").strip().casefold()
        if key and key not in place.name.casefold() and key not in place.code.casefold():
            continue
        pfas = sorted({geo.pfa_name(p) for p in geo.pfa_of.loc[list(place.units)]})
        regions = sorted({region[u] for u in place.units if u in region})
        rows.append({"kind": place.kind, "code": place.code, "name": place.name,
                     "pfa": "; ".join(pfas) if len(pfas) <= 3 else f"{len(pfas)} PFAs",
                     "region": "; ".join(regions) if len(regions) <= 2 else f"{len(regions)} regions",
                     "lads": len(place.units), "value_m": float(v.loc[list(place.units)].sum()) / 1e6})
    df = pd.DataFrame(rows, columns=["kind", "code", "name", "pfa", "region", "lads", "value_m"])
    if fmt == "json":
        print_document("units", {"query": query, "value_model": values.label, "units": df.to_dict(orient="records")})
    elif fmt == "csv":
        click.echo(csv_text(df), nl=False)
    else:
        body = [[r.kind, r.code, r.name, r.pfa, r.region, str(r.lads), f"{r.value_m:,.1f}"] for r in df.itertuples()]
        click.echo(text_table(["kind", "code", "name", "PFA", "region", "LADs", "£m/yr"], body))
        if not quiet:
            click.echo(f"{len(df)} found. Values: {values.label}.", err=True)
