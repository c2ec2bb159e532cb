"""Reading user boundaries: polygons, their contiguity, and extra named links.

Every check raises :class:`~cpa.errors.CpaError` with what is wrong, where,
and how to fix it. Nothing here guesses silently.
"""

from __future__ import annotations

import os

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..errors import CpaError, list_items
from ..geography import LINK_TYPES, Geography
from ..geometry import segmentize_shared
from .repair import (DEFAULT_SLIVER_M2, DEFAULT_SNAP_M, RepairedBoundaries, check_tolerances, needs_repair,
                     repair_boundaries)
from .tables import blank_rows, existing_file, read_csv

POLYGON_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp"}

#: Unit borders closer than this (metres) count as touching. Exact equality is too strict for
#: user files: a vertex at a T-junction, or one moved by reprojection, is never exactly on the
#: neighbour's edge, so a pure intersection finds only points there and drops real neighbours.
BORDER_TOLERANCE_M = 1.0
#: A shared border must run further than this (metres). Units meeting only at a corner share
#: about 2 x BORDER_TOLERANCE_M under the tolerance and must not count as neighbours.
MIN_BORDER_M = 10.0
#: Degrees between added vertices before projecting geographic input: a long straight edge in
#: degrees is a curve in metres, and a neighbour's vertex on it would miss the projected chord.
#: The miss grows with the square of the step: in UTM at 50-52N it is 1-4 m for 0.1 degree,
#: 1-4 cm for 0.01 degree, far inside the 1 m snap and border tolerances.
SEGMENT_DEG = 0.01


def read_polygons(path: str | os.PathLike) -> gpd.GeoDataFrame:
    p = existing_file(path, "boundary file")
    if p.suffix.lower() not in POLYGON_SUFFIXES:
        raise CpaError(f"boundary file {p} has an unsupported type {p.suffix!r}",
                       "use GeoJSON (.geojson), GeoPackage (.gpkg) or a shapefile (.shp)")
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates: reported below as invalid geometry, in our words
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
    if gdf.crs.is_geographic:
        x0, y0, x1, y1 = gdf.total_bounds  # NaN when no feature has a geometry: checked per unit later
        if np.isfinite(x0) and not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            # GeoJSON is read as longitude/latitude whatever it holds; metres then look like huge degrees.
            raise CpaError(
                f"boundary file {p} says its coordinates are degrees ({gdf.crs.name}) but they run from "
                f"({x0:,.0f}, {y0:,.0f}) to ({x1:,.0f}, {y1:,.0f}), which looks like metres",
                "GeoJSON is always read as WGS84 longitude/latitude: reproject it, e.g. "
                "`ogr2ogr -s_srs EPSG:27700 -t_srs EPSG:4326 out.geojson in.geojson`, "
                "or save a GeoPackage with its CRS")
    return gdf


def metric_crs_for(gdf: gpd.GeoDataFrame, where: str):
    """A projected CRS in metres for areas and borders: the file's own, else its UTM zone.

    Web and world Mercator are in metres but stretch areas by 1/cos^2(latitude), 2.6x in
    England, so files in them are measured in UTM instead.
    """
    crs = gdf.crs
    method = crs.coordinate_operation.method_name if crs.coordinate_operation else ""
    mercator = "Mercator" in method and "Transverse" not in method
    if crs.is_projected and not mercator and all(a.unit_name in ("metre", "meter") for a in crs.axis_info[:2]):
        return crs
    try:
        return gdf.to_crs(4326).estimate_utm_crs()
    except Exception as exc:  # pyproj/geopandas raise several types for unusable CRSs
        raise CpaError(f"{where}: cannot find a metric projection for CRS {crs.name} ({exc})",
                       "reproject the file to a projected CRS in metres, e.g. EPSG:27700 for Great Britain") from None


def shared_borders(geoms: gpd.GeoSeries, tol_m: float = BORDER_TOLERANCE_M,
                   min_m: float = MIN_BORDER_M) -> pd.DataFrame:
    """Pairs of units (geoms in a metric CRS) whose borders run within ``tol_m`` for over ``min_m``."""
    values = np.asarray(geoms.values)
    left, right = shapely.STRtree(values).query(values, predicate="dwithin", distance=tol_m)
    keep = left < right
    left, right = left[keep], right[keep]
    edges = shapely.boundary(values)
    near = shapely.buffer(edges, tol_m, quad_segs=2)
    length = shapely.length(shapely.intersection(edges[left], near[right]))
    codes = np.asarray(geoms.index)
    rows = sorted((*sorted((codes[i], codes[j])), "shared_border", round(m / 1000.0, 3), "")
                  for i, j, m in zip(left, right, length) if m > min_m)
    return pd.DataFrame(rows, columns=["a", "b", "link_type", "border_km", "name"])


def read_geography(path: str | os.PathLike, code_column: str = "lad_code", name_column: str | None = None,
                   pfa_column: str | None = None, pfa_name_column: str | None = None,
                   population_column: str | None = None, links: str | os.PathLike | None = None,
                   snap: float = DEFAULT_SNAP_M, sliver: float = DEFAULT_SLIVER_M2) -> Geography:
    """Load user polygons (GeoJSON, GeoPackage or shapefile) as a :class:`Geography`.

    Boundaries are checked and repaired (:mod:`cpa.io.repair`) in the file's own
    projected CRS, or its UTM zone for geographic files: vertices within ``snap``
    metres are snapped so that neighbours share edges, gaps under ``sliver`` m²
    closed, overlaps under 1% of the smaller unit trimmed and larger ones
    refused; :attr:`Geography.repair` says what changed. Contiguity is computed
    from the shared borders; ``links`` is an optional CSV ``a,b[,link_type,name]``
    of extra named links (bridges, ferries). Without a PFA column every unit is
    its own group.
    """
    check_tolerances(snap, sliver)  # before reading: a bad option is cheaper to report than a bad file
    gdf = read_polygons(path)
    return geography_from_frame(gdf, code_column, name_column, pfa_column, pfa_name_column, population_column,
                                links=links, snap=snap, sliver=sliver, where=f"boundary file {path}",
                                source=f"user file {path}")


def geography_from_frame(gdf: gpd.GeoDataFrame, code_column: str = "lad_code", name_column: str | None = None,
                         pfa_column: str | None = None, pfa_name_column: str | None = None,
                         population_column: str | None = None, links=None, snap: float = DEFAULT_SNAP_M,
                         sliver: float = DEFAULT_SLIVER_M2, *, where: str = "boundary frame",
                         source: str = "user polygons") -> Geography:
    """A :class:`Geography` from unit polygons in memory, with the checks and repair of
    :func:`read_geography`; ``links`` is a links CSV path or a DataFrame ``a,b[,link_type,name]``.

    ``where`` starts every message (``"boundary file units.gpkg"``); ``source`` becomes
    :attr:`Geography.source`.
    """
    check_tolerances(snap, sliver)
    if gdf.crs is None:
        raise CpaError(f"{where} has no coordinate reference system (CRS)", "set one, e.g. gdf.set_crs(27700)")
    cols = [c for c in (code_column, name_column, pfa_column, pfa_name_column, population_column) if c]
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise CpaError(f"{where} has no column {list_items(missing)}",
                       f"its columns are: {list_items([c for c in gdf.columns if c != 'geometry'], 30)}")
    codes = gdf[code_column].astype(str).str.strip()
    if (codes == "").any() or gdf[code_column].isna().any():
        raise CpaError(f"{where}: {int((codes == '').sum() + gdf[code_column].isna().sum())} "
                       f"features have an empty {code_column!r}", "give every feature a code")
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise CpaError(f"{where}: duplicate codes in {code_column!r}: {list_items(dupes)}",
                       "each unit must appear once; dissolve multi-part units into one feature")
    geoms = gdf.geometry
    empty = codes[geoms.isna() | geoms.is_empty]
    if len(empty):
        raise CpaError(f"{where}: units with no geometry: {list_items(empty)}")
    bad_type = codes[~geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(bad_type):
        raise CpaError(f"{where}: units that are not polygons: {list_items(bad_type)}",
                       "units must be Polygon or MultiPolygon features")
    invalid = codes[~geoms.is_valid]
    if len(invalid):
        reason = shapely.is_valid_reason(geoms[~geoms.is_valid].values[0])
        raise CpaError(f"{where}: invalid geometry for {list_items(invalid)} ({reason})",
                       "repair it, e.g. shapely.make_valid or QGIS 'Fix geometries', then retry")
    if pfa_column:
        pfa_codes = gdf[pfa_column].astype(str).str.strip()
        no_pfa = codes[gdf[pfa_column].isna().to_numpy() | (pfa_codes == "").to_numpy()]
        if len(no_pfa):
            raise CpaError(f"{where}: units with an empty {pfa_column!r}: {list_items(no_pfa)}",
                           "give every unit a group code, or leave out --pfa-column")
    gdf = gdf.assign(_code=codes.values).set_index("_code")
    gdf.index.name = "lad_code"
    metric_crs = metric_crs_for(gdf, where)  # first: it turns an unusable CRS into a clear error
    plain = gdf.geometry.to_crs(metric_crs)
    dense = plain
    if gdf.crs.is_geographic:  # a straight edge in degrees is a curve in metres: follow it
        dense = gpd.GeoSeries(segmentize_shared(gdf.geometry.values, SEGMENT_DEG), index=gdf.index,
                              crs=gdf.crs).to_crs(metric_crs)
    repaired = RepairedBoundaries(dense, None)
    if needs_repair(dense, snap, sliver):  # a valid coverage is kept exactly as drawn
        repaired = repair_boundaries(dense, snap_m=snap, sliver_m2=sliver, where=where)
    if repaired.summary is None:
        projected, wgs, border_geoms = plain, gdf.geometry.to_crs(4326), dense
    else:
        projected = border_geoms = repaired.geometry
        wgs = projected.to_crs(4326)
    centroids = projected.centroid.to_crs(4326)
    names = gdf.index.to_series()
    if name_column:  # a unit with no name is shown by its code
        names = gdf[name_column].where(gdf[name_column].notna(), names).astype(str)
    units = gpd.GeoDataFrame({
        "name": names,
        "pfa_code": gdf[pfa_column].astype(str).str.strip() if pfa_column else gdf.index.to_series(),
        "country": pd.Series(np.nan, index=gdf.index, dtype=object),
        "population": pd.to_numeric(gdf[population_column], errors="coerce") if population_column else np.nan,
        "adults": np.nan, "males_18_49": np.nan,
        "area_sqkm": projected.area.to_numpy() / 1e6,
        "lat": centroids.y.to_numpy(), "lon": centroids.x.to_numpy(),
    }, geometry=wgs.values, crs=4326, index=gdf.index).sort_index()
    if population_column and units["population"].isna().any():
        raise CpaError(f"{where}: column {population_column!r} has non-numbers for "
                       f"{list_items(units.index[units['population'].isna()])}")
    pfa_names = (gdf[pfa_name_column].astype(str) if pfa_name_column else units["pfa_code"])
    pfas = pd.DataFrame({"pfa_name": pfa_names.groupby(units["pfa_code"]).first()})
    pfas.index.name = "pfa_code"
    units["pfa_name"] = units["pfa_code"].map(pfas["pfa_name"])
    link_table = shared_borders(border_geoms)
    if isinstance(links, pd.DataFrame):
        link_table = pd.concat([link_table, check_links(links, "links", set(units.index))], ignore_index=True)
    elif links is not None:
        link_table = pd.concat([link_table, read_links(links, set(units.index))], ignore_index=True)
    geo = Geography(units=units, links=link_table, pfas=pfas, references={}, source=source,
                    projected_crs=metric_crs, repair=repaired.summary,
                    distance_note="great-circle km between polygon centroids (no population-weighted points)")
    check_connected(geo, where, None if links is None else
                    "the links given" if isinstance(links, pd.DataFrame) else f"the links in {links}")
    return geo


def check_connected(geo: Geography, where: str, links: str | None = None) -> None:
    """Refuse a geography whose units fall into several pieces: no contiguous plan could cover it
    with fewer areas than pieces, and a solve would report nonsense. Names the pieces, largest
    first, and how to join them with ``--links``; ``links`` says which links were tried
    (``"the links in links.csv"``)."""
    pieces = sorted((sorted(c) for c in nx.connected_components(geo.graph())), key=lambda c: (-len(c), c[0]))
    if len(pieces) <= 1:
        return
    names = geo.units["name"]

    def describe(piece):
        shown = list_items([f"{names[u]} ({u})" if names[u] != u else u for u in piece], 3)
        return f"{len(piece)} unit{'s' if len(piece) > 1 else ''}: {shown}"

    listed = "; ".join(f"piece {i}: {describe(p)}" for i, p in enumerate(pieces[:5], 1))
    more = f"; and {len(pieces) - 5} more pieces" if len(pieces) > 5 else ""
    lone = [p[0] for p in pieces if len(p) == 1]
    example = f"{pieces[0][0]},{pieces[1][0]},ferry,Name of the crossing"
    with_links = f" even with {links}" if links is not None else ""
    raise CpaError(
        f"{where}: the units fall into {len(pieces)} separate pieces{with_links} "
        f"({listed}{more})" + (f"; {list_items(lone, 5)} {'touches' if len(lone) == 1 else 'touch'} no other unit" if lone else ""),
        f"join the pieces with --links FILE, a CSV a,b,link_type,name with one row per bridge or ferry, "
        f"e.g. {example}; link_type is fixed_crossing or ferry")


def read_links(path, known: set[str]) -> pd.DataFrame:
    return check_links(read_csv(path, "links file"), f"links file {path}", known)


def check_links(df: pd.DataFrame, where: str, known: set[str]) -> pd.DataFrame:
    """Extra links ``a,b[,link_type,name]`` checked against the unit codes, in the links-table layout."""
    df = df.astype(str)
    for col in ("a", "b"):
        if col not in df.columns:
            raise CpaError(f"{where} needs columns a,b (optional link_type,name)",
                           f"its columns are: {list_items(df.columns)}")
    for col in ("a", "b"):
        df[col] = df[col].str.strip()
        blank = blank_rows(df[col])
        if blank:
            raise CpaError(f"{where}: empty {col!r} on line {list_items(blank)}", "name both units of every link")
    unknown = sorted((set(df["a"]) | set(df["b"])) - known)
    if unknown:
        raise CpaError(f"{where} names unknown units: {list_items(unknown)}",
                       f"use the codes of the boundary file, e.g. {list_items(sorted(known), 3)}")
    loops = sorted(df.loc[df["a"] == df["b"], "a"])
    if loops:
        raise CpaError(f"{where} links units to themselves: {list_items(loops)}")
    # A link of an unknown type would be dropped silently by Geography.graph(): refuse it instead.
    kind = df.get("link_type", pd.Series("", index=df.index)).str.strip().replace("", "fixed_crossing")
    bad = sorted(set(kind) - set(LINK_TYPES))
    if bad:
        raise CpaError(f"{where}: unknown link_type {list_items(bad)}",
                       f"use one of: {', '.join(LINK_TYPES)} (blank means fixed_crossing)")
    df["link_type"] = kind
    df["a"], df["b"] = df[["a", "b"]].min(axis=1), df[["a", "b"]].max(axis=1)
    df["name"] = df.get("name", "")
    df["border_km"] = 0.0
    return df[["a", "b", "link_type", "border_km", "name"]]
