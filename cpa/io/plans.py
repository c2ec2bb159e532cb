"""Plan files: reading and writing.

* CSV ``lad_code,area[,area_name]``, one row per unit;
* GeoJSON either per unit (properties ``lad_code`` and ``area``) or dissolved
  per area as written by :func:`write_plan_geojson` (properties ``area``,
  ``area_name`` and ``lad_codes``, the ``;``-joined unit codes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import CpaError, list_items
from ..geography import Geography
from ..geometry import dissolve
from ..plan import Plan, cell_text, reference_hint, reference_plan
from . import atomic
from .safe import csv_text
from .tables import blank_rows, existing_file, read_csv


def _from_rows(codes: pd.Series, areas: pd.Series, names: pd.Series | None, where: str) -> Plan:
    codes = codes.map(cell_text)
    blank = blank_rows(codes)  # CSV line numbers; GeoJSON codes were checked per feature already
    if blank:
        raise CpaError(f"plan {where} has an empty unit code on line {list_items(blank)}",
                       "give every row a unit code, or delete the row")
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise CpaError(f"plan {where} lists {len(dupes)} units more than once: {list_items(dupes)}",
                       "each LAD must appear in exactly one row")
    areas = areas.map(cell_text)
    name_map = {}
    if names is not None:
        names = names.map(cell_text)
        for a, n in zip(areas, names):  # (read_csv took off any formula guard cpa put on)
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
        raise CpaError(f"{text!r} is neither a reference plan nor a file", reference_hint(geo, text))
    existing_file(path, "plan file")
    if path.suffix.lower() in (".geojson", ".json"):
        plan = _read_plan_geojson(path)
    else:
        df = read_csv(path, "plan file")
        code_col = next((c for c in ("lad_code", "LAD23CD", "code") if c in df.columns), None)
        if code_col is None or "area" not in df.columns:
            raise CpaError(f"plan file {path} needs columns lad_code,area (optional area_name)",
                           f"its columns are: {list_items(df.columns)}")
        plan = _from_rows(df[code_col], df["area"], df.get("area_name"), str(path))
    return plan.validate(geo, str(path))


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple]) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _read_plan_geojson(path: Path) -> Plan:
    hint = "write plans with `cpa solve`/`cpa evaluate --out`, or use CSV lad_code,area"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CpaError(f"plan file {path} is not valid JSON ({exc})", hint) from None
    except _DuplicateKey as exc:  # JSON would keep the last silently: as ambiguous as a CSV column twice
        raise CpaError(f"plan file {path} gives the key {exc.args[0]!r} twice in one object",
                       "delete one of them: which one to use would be a guess") from None
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
            members = cell_text(props["lad_codes"]).split(";")
        elif "lad_code" in props and "area" in props:
            members = [props["lad_code"]]
        else:
            raise CpaError(f"plan file {path}: feature {i} has neither lad_codes+area nor lad_code+area properties",
                           f"its properties are: {list_items(props, 30) or 'none'}; per-unit features need "
                           f"lad_code and area, dissolved ones area and lad_codes (';'-joined)")
        if any(cell_text(c) == "" for c in members):
            raise CpaError(f"plan file {path}: feature {i} (area {cell_text(props['area'])!r}) has an empty unit code",
                           "lad_codes must be unit codes joined by ';' with nothing empty between them")
        codes += members
        areas += [props["area"]] * len(members)
        names += [props.get("area_name", "")] * len(members)
    return _from_rows(pd.Series(codes, dtype=object), pd.Series(areas, dtype=object),
                      pd.Series(names, dtype=object), str(path))


def plan_csv_text(plan: Plan) -> str:
    """The plan as CSV ``lad_code,area,area_name`` (labels that look like formulas guarded; they read back as they were)."""
    return csv_text(plan.to_frame())


def write_plan_csv(plan: Plan, path: str | os.PathLike) -> Path:
    return atomic.write_text(path, plan_csv_text(plan))


def plan_geodataframe(plan: Plan, geo: Geography, area_table: pd.DataFrame | None = None):
    """Dissolved areas as a GeoDataFrame (EPSG:4326) with ``lad_codes`` and any scorecard columns."""
    members = plan.members()
    geoms = [dissolve(geo.units.geometry.loc[m].values) for m in members.values()]
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
    return atomic.write_text(path, plan_geojson_text(plan, geo, area_table))


def plan_geojson_text(plan: Plan, geo: Geography, area_table: pd.DataFrame | None = None) -> str:
    """The plan's dissolved areas as GeoJSON text (WGS84)."""
    return plan_geodataframe(plan, geo, area_table).to_json(drop_id=True, to_wgs84=True)
