"""``cpa references``: the embedded reference plans."""

from __future__ import annotations

import click

from .app import main
from .common import output_options, print_document


@main.command()
@output_options("table", "json")
def references(fmt, quiet):
    """List the embedded reference plans (give their names to evaluate, map, compare, --start)."""
    # imported here, not at the top: keeps `cpa --help` fast
    from ..geography import Geography
    from ..plan import REFERENCE_DESCRIPTIONS

    geo = Geography.default()
    plans = [{"name": name, "areas": int(ref["area"].nunique()), "description": REFERENCE_DESCRIPTIONS.get(name, "")}
             for name, ref in geo.references.items()]
    if fmt == "json":
        print_document("references", {"plans": plans})
        return
    for p in plans:
        click.echo(f"{p['name']:10s} {p['areas']:3d} areas  {p['description']}")
