"""Area names from the user (``--names FILE``: CSV ``area,name``) and the names of plans as layers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import CpaError, list_items
from ..naming import solve_label
from ..plan import REFERENCE_TITLES, Plan, cell_text
from .tables import blank_rows, read_csv

NAMES_HINT = "a names file is CSV with a header area,name and one row per area to rename, e.g. A01,North London"


def read_names(path: str | os.PathLike, plan: Plan) -> dict[str, str]:
    """Area label -> name from CSV ``area,name`` (``area_name`` also accepted), keyed by ``plan``'s labels."""
    df = read_csv(path, "names file")
    name_col = next((c for c in ("name", "area_name") if c in df.columns), None)
    if "area" not in df.columns or name_col is None:
        raise CpaError(f"names file {path} needs columns area,name", f"its columns are: {list_items(df.columns)}; "
                       + NAMES_HINT)
    for col, what in (("area", "an area label"), (name_col, "a name")):
        blank = blank_rows(df[col])
        if blank:
            raise CpaError(f"names file {path} has no {col} on line {list_items(blank)}",
                           f"give every row {what}, or delete the row")
    areas = df["area"].map(cell_text)
    dupes = sorted(set(areas[areas.duplicated()]))
    if dupes:
        raise CpaError(f"names file {path} names these areas more than once: {list_items(dupes)}",
                       "give each area one row")
    unknown = sorted(set(areas) - set(plan.areas))
    if unknown:
        raise CpaError(f"names file {path} names areas that plan {plan.label} does not have: {list_items(unknown)}",
                       f"use the plan's area labels: {list_items(plan.areas, 8)}")
    return dict(zip(areas, df[name_col].map(cell_text)))


def layer_name(source: str, plan: Plan) -> str:
    """What to call a plan on a map: a reference's title, a solve's short description (from the
    ``run.json`` beside its plan file), else the file's name (its folder's for ``plan.csv``)."""
    if source in REFERENCE_TITLES and not Path(source).exists():
        return REFERENCE_TITLES[source]
    path = Path(source)
    run = path.with_name("run.json")
    if run.is_file():
        try:
            options = json.loads(run.read_text(encoding="utf-8")).get("options")
            if isinstance(options, dict) and "k" in options:
                return solve_label(options)
        except (OSError, ValueError, TypeError, KeyError):
            pass  # not our run report: fall back to the file's name
    if path.stem == "plan" and path.resolve().parent.name:
        return path.resolve().parent.name
    return plan.label
