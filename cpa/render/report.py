"""The HTML report of a comparison, from ``templates/report.html.j2`` (Jinja2, autoescaped).

One self-contained page that works offline: the map is set in the page itself
(Leaflet inlined, every option a layer), the pictures are data URIs.
"""

from __future__ import annotations

import base64

import jinja2
import markupsafe
from markupsafe import Markup

from .. import __version__
from ..compare.comparison import ComparisonResult
from ..compare.table import display_rows
from ..geography import Geography
from ..values import ContractValues
from ..io.safe import escape_html
from .maps import map_fragments
from .styles import SOURCE_LINE, template_text

def _escaped(value):
    """Every value the template prints goes through the tool's one HTML escape (trusted template
    text comes in as Markup and is left alone)."""
    return value if isinstance(value, markupsafe.Markup) else markupsafe.Markup(escape_html(value))


#: Every string from input (option names, area names, file names) is escaped by escape_html; autoescape
#: stays on as a second guard.
_ENV = jinja2.Environment(autoescape=True, finalize=_escaped, undefined=jinja2.StrictUndefined)

FIGURE_CAPTIONS = (("values.png", "Contract values"), ("travel.png", "Travel"))


def report_html(result: ComparisonResult, values: ContractValues, geo: Geography, notes: list[str],
                pngs: dict[str, bytes], dirs: dict[str, str], title: str, description: str | None,
                map_page: str) -> str:
    """The comparison report page: table, commentary, the map in the page, pictures, value model and
    sources, and the files written."""
    # The map's HTML is built by cpa.render.maps, which escapes every string from input itself.
    map_head, map_body = map_fragments(map_page)
    headers, rows = display_rows(result.table)
    files = [{"name": n, "dir": dirs[n],
              "links": ("plan.csv", "plan.geojson") + (("run.json",) if result.reports[n] else ())}
             for n in result.table["name"]]
    return _ENV.from_string(template_text("report.html.j2")).render(
        title=title, description=description, css=markupsafe.Markup(template_text("report.css")), value_label=values.label,
        distance_note=geo.distance_note, version=__version__, headers=headers,
        rows=[{"kind": kind, "cells": cells} for cells, kind in zip(rows, result.table["kind"])],
        notes=notes, files=files, map_head=Markup(map_head), map_body=Markup(map_body),
        geography=geo.source, source_line=SOURCE_LINE, embedded=bool(geo.references),
        figures=[{"caption": caption, "base64": base64.b64encode(pngs[name]).decode()}
                 for name, caption in FIGURE_CAPTIONS])
