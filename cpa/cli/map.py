"""``cpa map``: plans on one interactive HTML map (and a static PNG)."""

from __future__ import annotations

import click

from ..errors import CpaError
from .app import main
from .common import geography_options, load_inputs, market_options, market_settings


def _paired(values: tuple[str, ...], plans: tuple[str, ...], flag: str) -> list[str | None]:
    """``values`` given in the order of ``plans`` ('-' for none), padded with None."""
    if len(values) > len(plans):
        raise CpaError(f"{len(values)} {flag} values for {len(plans)} plans",
                       f"each {flag} goes with the PLAN in the same place; use '-' to skip one")
    return [None if v == "-" else v for v in values] + [None] * (len(plans) - len(values))


@main.command("map")
@click.argument("plans", nargs=-1, required=True)
@geography_options
@click.option("-o", "--out", default="map.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML map to write (self-contained, works offline).")
@click.option("--names", "names_files", multiple=True, metavar="FILE",
              help="CSV area,name renaming a PLAN's areas; the first --names goes with the first PLAN, and so "
                   "on ('-' for none).")
@click.option("--name", "layer_names", multiple=True, metavar="TEXT",
              help="What to call each PLAN, in order [default: a reference's title, a solve's short "
                   "description, else the file's name].")
@click.option("--color-by", type=click.Choice(["area", "value", "travel", "share", "detectable", "thin-risk"]),
              default="area", show_default=True,
              help="Fill areas by distinct colours, or by value, mean travel km, share, the minimum detectable "
                   "change in reoffending or the risk of at most one bid.")
@click.option("--classes", type=click.Choice(["quantile", "log", "linear"]), default="quantile", show_default=True,
              help="How --color-by value/travel/share is cut into colour classes: equal counts, equal steps "
                   "on a log scale, or equal steps.")
@click.option("--png", type=click.Path(dir_okay=False), help="Also draw the first plan as a static PNG here.")
@click.option("--title", help="Title of the PNG [default: the first plan's name].")
@click.option("--tiles", default=None,
              help="Background tiles under the plans (e.g. OpenStreetMap); needs the network to view.")
@market_options
def map_(plans, out, names_files, layer_names, color_by, classes, png, title, tiles, **inputs):
    """Draw PLANs on one interactive HTML map, one switchable layer each.

    Each PLAN is a reference (pfa43, trusts35, crc21, regions12) or a plan file
    (CSV/GeoJSON). Every area is numbered on the map; the legend lists number,
    name and value. Click an area for its scorecard (with the market measures:
    --pbr-*, --bidders-*, --small-lot-value); hover a LAD for its details.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io import atomic, read_plan
    from ..io.names import layer_name, read_names
    from ..metrics import scorecard
    from ..naming import named_plan
    from ..options import market_from_settings
    from ..render.maps import interactive_map, render_html
    from ..render.png import plan_png

    atomic.check_paths([out] + ([png] if png else []))  # before the work of drawing
    names = _paired(names_files, plans, "--names")
    labels = _paired(layer_names, plans, "--name")
    market = market_from_settings(**market_settings(inputs))
    geo, values = load_inputs(**inputs)
    layers = []
    for source, names_file, label in zip(plans, names, labels):
        p = read_plan(source, geo)
        p = named_plan(p, geo, values, read_names(names_file, p) if names_file else None,
                       label=label or layer_name(source, p))
        layers.append((p.label, p, scorecard(p, geo, values, market=market)))
    files = {out: render_html(interactive_map(layers, geo, values, color_by=color_by, classes=classes, tiles=tiles))}
    if png:
        label, p, card = layers[0]
        files[png] = plan_png(p, card, geo, title=title or label, color_by=color_by, classes=classes)
    for path in atomic.write_paths(files):  # the map and its PNG as one set: both or neither
        click.echo(f"wrote {path}", err=True)
