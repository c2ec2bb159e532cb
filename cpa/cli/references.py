"""``cpa references``: the embedded reference plans."""

from __future__ import annotations

import click

from .app import main


@main.command()
def references():
    """List the embedded reference plans."""
    from ..geography import Geography
    from ..plan import REFERENCE_DESCRIPTIONS

    geo = Geography.default()
    for name, ref in geo.references.items():
        click.echo(f"{name:10s} {ref['area'].nunique():3d} areas  {REFERENCE_DESCRIPTIONS.get(name, '')}")
