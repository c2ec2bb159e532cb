"""Plans: a plain mapping unit -> area, with optional area names.

Plan files:

* CSV ``lad_code,area[,area_name]``, one row per unit;
* GeoJSON either per unit (properties ``lad_code`` and ``area``) or dissolved
  per area as written by :func:`write_plan_geojson` (properties ``area``,
  ``area_name`` and ``lad_codes``, the ``;``-joined unit codes).

Reference plans (``pfa43``, ``trusts35``, ``crc21``, ``regions12``) come with the
embedded geography.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from . import atomic
from .errors import CpaError
from .geography import Geography
from .inputs import _list, blank_rows, code_hint, existing_file, read_csv

REFERENCE_DESCRIPTIONS = {
    "pfa43": "the 43 police force areas (PCC areas)",
    "trusts35": "the 35 Probation Trusts, 2010-2014",
    "crc21": "the 21 contract package areas (CRCs), 2014-2021",
    "regions12": "the 12 Probation Service regions, 2021-",
}


@dataclass(frozen=True, eq=False)
class Plan:
    """A partition of the units: ``assignment[unit] = area`` and ``names[area]``."""

    assignment: Mapping[str, str]
    names: Mapping[str, str] = field(default_factory=dict)
    label: str = "plan"

    @property
    def areas(self) -> list[str]:
        return sorted(set(self.assignment.values()))

    @property
    def k(self) -> int:
        return len(set(self.assignment.values()))

    def name(self, area: str) -> str:
        return self.names.get(area, area)

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for unit, area in sorted(self.assignment.items()):
            out.setdefault(area, []).append(unit)
        return out

    def series(self) -> pd.Series:
        return pd.Series(dict(self.assignment), name="area").sort_index()

    def to_frame(self) -> pd.DataFrame:
        s = self.series()
        return pd.DataFrame({"lad_code": s.index, "area": s.values,
                             "area_name": [self.name(a) for a in s.values]})

    def same_partition(self, other: "Plan") -> bool:
        """True when both plans group the units identically (labels ignored)."""
        return sorted(map(tuple, self.members().values())) == sorted(map(tuple, other.members().values()))

    def validate(self, geo: Geography, source: str | None = None) -> "Plan":
        """Every unit of ``geo`` in exactly one area, and no unknown unit."""
        where = source or self.label
        known = set(geo.units.index)
        unknown = sorted(set(self.assignment) - known)
        if unknown:
            raise CpaError(f"plan {where} names {len(unknown)} unknown unit codes: {_list(unknown)}",
                           code_hint(geo))
        missing = sorted(known - set(self.assignment))
        if missing:
            raise CpaError(f"plan {where} leaves {len(missing)} units without an area: {_list(missing)}",
                           "every LAD must be assigned to exactly one area")
        empty = [u for u, a in self.assignment.items() if _text(a) == ""]
        if empty:
            raise CpaError(f"plan {where} has an empty area for {_list(sorted(empty))}",
                           "give every unit an area label")
        return self


def _reference_hint(geo: Geography, name: str) -> str:
    if not geo.references:
        return "reference plans exist only for the embedded England & Wales LADs; give a plan file (CSV or GeoJSON)"
    lower = {r.lower(): r for r in geo.references}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1)
    guess = f"did you mean {lower[close[0]]!r}? " if close else ""
    return f"{guess}references: {', '.join(sorted(geo.references))}; or give a path to a plan CSV/GeoJSON"


def reference_plan(geo: Geography, name: str) -> Plan:
    ref = geo.references.get(name)
    if ref is None:
        raise CpaError(f"unknown reference plan {name!r}", _reference_hint(geo, name))
    names = dict(zip(ref["area"], ref["area_name"]))
    return Plan(dict(zip(ref["lad_code"], ref["area"])), names, label=name).validate(geo)


def _text(x) -> str:
    """A cell as stripped text; None and NaN (JSON null, missing CSV cells) become ''."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def _from_rows(codes: pd.Series, areas: pd.Series, names: pd.Series | None, where: str) -> Plan:
    codes = codes.map(_text)
    blank = blank_rows(codes)  # CSV line numbers; GeoJSON codes were checked per feature already
    if blank:
        raise CpaError(f"plan {where} has an empty unit code on line {_list(blank)}",
                       "give every row a unit code, or delete the row")
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise CpaError(f"plan {where} lists {len(dupes)} units more than once: {_list(dupes)}",
                       "each LAD must appear in exactly one row")
    areas = areas.map(_text)
    name_map = {}
    if names is not None:
        for a, n in zip(areas, names.map(_text)):
            if n:  # a literal "NaN" is the user's text: read_csv keeps it and so do we
                name_map.setdefault(a, n)
    return Plan(dict(zip(codes, areas)), name_map, label=Path(where).stem)


def read_plan(source: str | os.PathLike, geo: Geography) -> Plan:
    """A reference name (``trusts35``) or a plan file (CSV or GeoJSON), validated against ``geo``."""
    text = str(source)
    if text in geo.references:
        return reference_plan(geo, text)
    path = Path(text)
    if not path.exists() and path.suffix == "":
        raise CpaError(f"{text!r} is neither a reference plan nor a file", _reference_hint(geo, text))
    existing_file(path, "plan file")
    if path.suffix.lower() in (".geojson", ".json"):
        plan = _read_plan_geojson(path)
    else:
        df = read_csv(path, "plan file")
        code_col = next((c for c in ("lad_code", "LAD23CD", "code") if c in df.columns), None)
        if code_col is None or "area" not in df.columns:
            raise CpaError(f"plan file {path} needs columns lad_code,area (optional area_name)",
                           f"its columns are: {_list(df.columns)}")
        plan = _from_rows(df[code_col], df["area"], df.get("area_name"), str(path))
    return plan.validate(geo, str(path))


def _read_plan_geojson(path: Path) -> Plan:
    hint = "write plans with `cpa solve`/`cpa evaluate --out`, or use CSV lad_code,area"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CpaError(f"plan file {path} is not valid JSON ({exc})", hint) from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise CpaError(f"plan file {path} is not a GeoJSON FeatureCollection (no list of \"features\")", hint)
    codes, areas, names = [], [], []
    for i, feat in enumerate(features):
        if not isinstance(feat, dict):
            raise CpaError(f"plan file {path}: feature {i} is not a GeoJSON Feature object", hint)
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        if "lad_codes" in props and "area" in props:
            members = _text(props["lad_codes"]).split(";")
        elif "lad_code" in props and "area" in props:
            members = [props["lad_code"]]
        else:
            raise CpaError(f"plan file {path}: feature {i} has neither lad_codes+area nor lad_code+area properties",
                           f"its properties are: {_list(props, 30) or 'none'}; per-unit features need "
                           f"lad_code and area, dissolved ones area and lad_codes (';'-joined)")
        if any(_text(c) == "" for c in members):
            raise CpaError(f"plan file {path}: feature {i} (area {_text(props['area'])!r}) has an empty unit code",
                           "lad_codes must be unit codes joined by ';' with nothing empty between them")
        codes += members
        areas += [props["area"]] * len(members)
        names += [props.get("area_name", "")] * len(members)
    return _from_rows(pd.Series(codes, dtype=object), pd.Series(areas, dtype=object),
                      pd.Series(names, dtype=object), str(path))


def write_plan_csv(plan: Plan, path: str | os.PathLike) -> Path:
    return atomic.write_text(path, plan.to_frame().to_csv(index=False, lineterminator="\n"))


def plan_geodataframe(plan: Plan, geo: Geography, area_table: pd.DataFrame | None = None):
    """Dissolved areas as a GeoDataFrame (EPSG:4326) with ``lad_codes`` and any scorecard columns."""
    import geopandas as gpd
    import shapely

    members = plan.members()
    geoms = [shapely.coverage_union_all(geo.units.geometry.loc[m].values) for m in members.values()]
    gdf = gpd.GeoDataFrame({
        "area": list(members), "area_name": [plan.name(a) for a in members],
        "lad_codes": [";".join(m) for m in members.values()],
    }, geometry=geoms, crs=4326)
    if area_table is not None:
        extra = area_table.drop(columns=[c for c in ("area_name",) if c in area_table.columns])
        gdf = gdf.merge(extra, left_on="area", right_index=True, how="left")
    return gdf


def write_plan_geojson(plan: Plan, geo: Geography, path: str | os.PathLike,
                       area_table: pd.DataFrame | None = None) -> Path:
    gdf = plan_geodataframe(plan, geo, area_table)
    return atomic.write_text(path, gdf.to_json(drop_id=True, to_wgs84=True))
