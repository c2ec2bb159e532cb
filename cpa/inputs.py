"""Reading and validating user files: polygons, value tables, extra links.

Every check raises :class:`~cpa.errors.CpaError` with what is wrong, where,
and how to fix it. Nothing here guesses silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import CpaError

POLYGON_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp"}


def _list(items, limit: int = 8) -> str:
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def existing_file(path: str | os.PathLike, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise CpaError(f"{what} not found: {p}", "check the path (it is relative to the current directory)")
    if p.is_dir():
        raise CpaError(f"{what} is a directory, not a file: {p}")
    if not os.access(p, os.R_OK):
        raise CpaError(f"{what} is not readable: {p}", "check the file's permissions")
    return p


def read_csv(path: str | os.PathLike, what: str) -> pd.DataFrame:
    p = existing_file(path, what)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CpaError(f"{what} {p} is not a readable CSV: {str(exc).strip().splitlines()[0]}",
                       "save it as comma-separated UTF-8 text with a header row") from None
    df.columns = [c.strip() for c in df.columns]
    return df


def read_polygons(path: str | os.PathLike) -> gpd.GeoDataFrame:
    p = existing_file(path, "boundary file")
    if p.suffix.lower() not in POLYGON_SUFFIXES:
        raise CpaError(f"boundary file {p} has an unsupported type {p.suffix!r}",
                       "use GeoJSON (.geojson), GeoPackage (.gpkg) or a shapefile (.shp)")
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several types for corrupt files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CpaError(f"cannot read boundary file {p}: {first}",
                       "check it opens in a GIS (e.g. QGIS); GeoJSON must be a valid FeatureCollection") from None
    if gdf.empty:
        raise CpaError(f"boundary file {p} has no features")
    if gdf.crs is None:
        raise CpaError(f"boundary file {p} has no coordinate reference system (CRS)",
                       "set one, e.g. `ogr2ogr -a_srs EPSG:27700 out.gpkg in.shp`, or add a .prj for a shapefile")
    return gdf


def read_user_geography(cls, path, code_column, name_column=None, pfa_column=None,
                        pfa_name_column=None, population_column=None, links=None):
    from .geography import shared_border_links

    gdf = read_polygons(path)
    cols = [c for c in (code_column, name_column, pfa_column, pfa_name_column, population_column) if c]
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise CpaError(f"boundary file {path} has no column {_list(missing)}",
                       f"its columns are: {_list([c for c in gdf.columns if c != 'geometry'], 30)}")
    codes = gdf[code_column].astype(str).str.strip()
    if (codes == "").any() or gdf[code_column].isna().any():
        raise CpaError(f"boundary file {path}: {int((codes == '').sum() + gdf[code_column].isna().sum())} "
                       f"features have an empty {code_column!r}", "give every feature a code")
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise CpaError(f"boundary file {path}: duplicate codes in {code_column!r}: {_list(dupes)}",
                       "each unit must appear once; dissolve multi-part units into one feature")
    geoms = gdf.geometry
    empty = codes[geoms.isna() | geoms.is_empty]
    if len(empty):
        raise CpaError(f"boundary file {path}: units with no geometry: {_list(empty)}")
    bad_type = codes[~geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(bad_type):
        raise CpaError(f"boundary file {path}: units that are not polygons: {_list(bad_type)}",
                       "units must be Polygon or MultiPolygon features")
    invalid = codes[~geoms.is_valid]
    if len(invalid):
        reason = shapely.is_valid_reason(geoms[~geoms.is_valid].values[0])
        raise CpaError(f"boundary file {path}: invalid geometry for {_list(invalid)} ({reason})",
                       "repair it, e.g. shapely.make_valid or QGIS 'Fix geometries', then retry")
    gdf = gdf.assign(_code=codes.values).set_index("_code")
    gdf.index.name = "lad_code"
    wgs = gdf.to_crs(4326)
    metric_crs = gdf.estimate_utm_crs() if gdf.crs.is_geographic else gdf.crs
    projected = gdf.to_crs(metric_crs)
    centroids = projected.geometry.centroid.to_crs(4326)
    units = gpd.GeoDataFrame({
        "name": gdf[name_column].astype(str) if name_column else gdf.index.to_series(),
        "pfa_code": gdf[pfa_column].astype(str) if pfa_column else gdf.index.to_series(),
        "country": pd.Series(np.nan, index=gdf.index, dtype=object),
        "population": pd.to_numeric(gdf[population_column], errors="coerce") if population_column else np.nan,
        "adults": np.nan, "males_18_49": np.nan,
        "area_sqkm": projected.geometry.area.to_numpy() / 1e6,
        "lat": centroids.y.to_numpy(), "lon": centroids.x.to_numpy(),
    }, geometry=wgs.geometry.values, crs=4326, index=gdf.index).sort_index()
    if population_column and units["population"].isna().any():
        raise CpaError(f"boundary file {path}: column {population_column!r} has non-numbers for "
                       f"{_list(units.index[units['population'].isna()])}")
    pfa_names = (gdf[pfa_name_column].astype(str) if pfa_name_column else units["pfa_code"])
    pfas = pd.DataFrame({"pfa_name": pfa_names.groupby(units["pfa_code"]).first()})
    pfas.index.name = "pfa_code"
    units["pfa_name"] = units["pfa_code"].map(pfas["pfa_name"])
    link_table = shared_border_links(units.geometry.to_crs(metric_crs))
    if links is not None:
        link_table = pd.concat([link_table, read_links(links, set(units.index))], ignore_index=True)
    geo = cls(units=units, links=link_table, pfas=pfas, references={}, source=f"user file {path}",
              projected_crs=metric_crs,
              distance_note="great-circle km between polygon centroids (no population-weighted points)")
    return geo


def read_links(path, known: set[str]) -> pd.DataFrame:
    df = read_csv(path, "links file")
    for col in ("a", "b"):
        if col not in df.columns:
            raise CpaError(f"links file {path} needs columns a,b (optional link_type,name)",
                           f"its columns are: {_list(df.columns)}")
    unknown = sorted((set(df["a"]) | set(df["b"])) - known)
    if unknown:
        raise CpaError(f"links file {path} names unknown units: {_list(unknown)}")
    df["link_type"] = df.get("link_type", "fixed_crossing")
    df["name"] = df.get("name", "")
    df["border_km"] = 0.0
    return df[["a", "b", "link_type", "border_km", "name"]]


def read_value_table(path, geo) -> tuple[pd.Series, str]:
    """A per-unit value (£/yr) or caseload table; returns (series, 'value'|'caseload')."""
    df = read_csv(path, "value table")
    code_col = next((c for c in ("lad_code", "LAD23CD", "code") if c in df.columns), None)
    kind = next((c for c in ("value", "caseload") if c in df.columns), None)
    if code_col is None or kind is None:
        raise CpaError(f"value table {path} needs a 'lad_code' column and a 'value' (£/yr) or "
                       f"'caseload' column", f"its columns are: {_list(df.columns)}")
    codes = df[code_col].str.strip()
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise CpaError(f"value table {path}: codes listed more than once: {_list(dupes)}",
                       "give each unit one row")
    unknown = sorted(set(codes) - set(geo.units.index))
    if unknown:
        raise CpaError(f"value table {path}: unknown unit codes {_list(unknown)}",
                       "use 2023 LAD codes (e.g. E06000001); see boundaries/units.csv")
    missing = sorted(set(geo.units.index) - set(codes))
    if missing:
        raise CpaError(f"value table {path} has no row for {len(missing)} units: {_list(missing)}",
                       "every unit needs a value (use 0 for none)")
    raw = df[kind].str.strip()
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = codes[numbers.isna()]
    if len(bad):
        examples = [f"{c}={raw[i]!r}" for i, c in bad.items()]
        raise CpaError(f"value table {path}: {kind} is not a number for {_list(examples)}",
                       "fill every cell with a number (no blanks, NaN or text)")
    if not np.isfinite(numbers).all():
        raise CpaError(f"value table {path}: {kind} is infinite for {_list(codes[~np.isfinite(numbers)])}")
    neg = codes[numbers < 0]
    if len(neg):
        raise CpaError(f"value table {path}: negative {kind} for {_list(neg)}", "values must be 0 or more")
    if numbers.sum() <= 0:
        raise CpaError(f"value table {path}: all {kind} values are zero")
    series = pd.Series(numbers.to_numpy(float), index=codes.to_numpy()).reindex(geo.units.index)
    return series, kind
