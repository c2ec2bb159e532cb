"""``cpa map``: plans on one interactive HTML map (and a static PNG)."""

from __future__ import annotations

import click

from .app import main
from .common import geography_options, load_inputs


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
    from ..io import atomic, read_plan
    from ..metrics import scorecard
    from ..render.maps import interactive_map, render_html
    from ..render.png import plan_png

    atomic.check_paths([out] + ([png] if png else []))  # before the work of drawing
    geo, values = load_inputs(**inputs)
    layers = []
    for name in plans:
        p = read_plan(name, geo)
        layers.append((p.label, p, scorecard(p, geo, values)))
    files = {out: render_html(interactive_map(layers, geo, values, color_by=color_by, tiles=tiles))}
    if png:
        label, p, card = layers[0]
        files[png] = plan_png(p, card, geo, title=label, color_by=color_by)
    for path in atomic.write_paths(files):  # the map and its PNG as one set: both or neither
        click.echo(f"wrote {path}", err=True)
