"""Hostile boundary files: empty, null and invalid geometry, points and lines, 3D, projected CRSs,
duplicate and odd codes, islands. Each is given to ``cpa evaluate`` (a cheap full load)."""

from __future__ import annotations

import json

import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, box, mapping

from tests.hostile.conftest import CODES, PLAN_CSV, Case, grid_frame, params, run_case, values_csv

#: Loading options with the boundary file under test, ``b.geojson`` unless a case says otherwise.
def load(name: str = "b.geojson", plan: str = "plan.csv", extra: tuple = ()) -> list:
    return ["evaluate", plan, "--boundaries", name, "--code-column", "code", "--name-column", "name",
            "--pfa-column", "pfa", "--values", "values.csv", *extra]


def collection(features: list[dict], **extra) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features})


def grid_features(change=None) -> list[dict]:
    """The grid's features (WGS84) as dicts; ``change(code, feature)`` may edit or drop (return None) one."""
    out = []
    for _, row in grid_frame().iterrows():
        feat = {"type": "Feature", "properties": {"code": row["code"], "name": row["name"], "pfa": row["pfa"]},
                "geometry": mapping(row.geometry)}
        if change is not None:
            feat = change(row["code"], feat)
        if feat is not None:
            out.append(feat)
    return out


def with_geometry(code: str, geometry) -> str:
    """The grid with unit ``code``'s geometry replaced (a shapely geometry, a dict, or None)."""
    def change(c, feat):
        if c == code:
            feat["geometry"] = mapping(geometry) if hasattr(geometry, "geom_type") else geometry
        return feat
    return collection(grid_features(change))


def cell(code: str):
    return grid_frame().set_index("code").geometry[code]


def write_frame(name: str, crs, driver: str | None = None, frame=None):
    def setup(folder):
        g = grid_frame() if frame is None else frame
        g.to_crs(crs).to_file(folder / name, **({"driver": driver} if driver else {}))
    return setup


def drop_prj(folder):
    grid_frame().to_file(folder / "b.shp")
    (folder / "b.prj").unlink()


ISLAND = box(-0.5, 51.5, -0.45, 51.55)

GEOMETRY = [
    Case("3d-polygons", load(), 0, "3 areas over 12 LADs",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "geometry": mapping(
             shapely.force_3d(shapely.geometry.shape(f["geometry"]), 42.0))}))}),
    Case("polygon-with-hole", load(), 0, "3 areas over 12 LADs",
         files={"b.geojson": with_geometry("U11", cell("U11").difference(cell("U11").centroid.buffer(0.01)))}),
    Case("multipolygon-with-offshore-part", load(), 0, "3 areas over 12 LADs",
         files={"b.geojson": with_geometry("U00", MultiPolygon([cell("U00"), box(-1.3, 52.2, -1.25, 52.25)]))}),
    Case("clockwise-rings", load(), 0, "3 areas over 12 LADs",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "geometry": mapping(
             shapely.geometry.polygon.orient(shapely.geometry.shape(f["geometry"]), -1))}))}),
    Case("null-geometry", load(), 2, "units with no geometry: U11", files={"b.geojson": with_geometry("U11", None)}),
    Case("empty-geometry", load(), 2, "units with no geometry: U11",
         files={"b.geojson": with_geometry("U11", {"type": "Polygon", "coordinates": []})}),
    Case("point-unit", load(), 2, "units that are not polygons: U11", files={"b.geojson": with_geometry("U11", Point(0, 52))}),
    Case("line-unit", load(), 2, "units that are not polygons: U11",
         files={"b.geojson": with_geometry("U11", LineString(cell("U11").exterior.coords))}),
    Case("geometry-collection-unit", load(), 2, "units that are not polygons: U11",
         files={"b.geojson": with_geometry("U11", GeometryCollection([cell("U11")]))}),
    Case("bowtie", load(), 2, "invalid geometry for U11 (Self-intersection",
         files={"b.geojson": with_geometry("U11", {"type": "Polygon", "coordinates": [
             [[-0.9, 51.9], [-0.8, 51.8], [-0.8, 51.9], [-0.9, 51.8], [-0.9, 51.9]]]})}),
    Case("nan-coordinate", load(), 2, "invalid geometry for U11",
         files={"b.geojson": with_geometry("U11", {"type": "Polygon", "coordinates": [
             [[-0.9, 51.9], [-0.8, 51.9], [float("nan"), 51.8], [-0.9, 51.8], [-0.9, 51.9]]]})}),
    Case("unclosed-ring", load(), 2, "cannot read boundary file b.geojson",
         files={"b.geojson": with_geometry("U11", {"type": "Polygon", "coordinates": [
             [[-0.9, 51.9], [-0.8, 51.9], [-0.8, 51.8]]]})}),
    Case("degrees-out-of-range", load(), 2, "which looks like metres",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "geometry": mapping(
             shapely.affinity.translate(shapely.geometry.shape(f["geometry"]), 400_000, 5_000_000))}))}),
    Case("projected-geopackage-27700", load("b.gpkg"), 0, "3 areas over 12 LADs", setup=write_frame("b.gpkg", 27700)),
    Case("projected-shapefile-27700", load("b.shp"), 0, "3 areas over 12 LADs", setup=write_frame("b.shp", 27700)),
    Case("web-mercator-geopackage", load("b.gpkg"), 0, "3 areas over 12 LADs", setup=write_frame("b.gpkg", 3857)),
    Case("utm-zone-30n-geopackage", load("b.gpkg"), 0, "3 areas over 12 LADs", setup=write_frame("b.gpkg", 32630)),
    Case("shapefile-without-prj", load("b.shp"), 2, "has no coordinate reference system", setup=drop_prj),
    Case("duplicate-codes", load(), 2, "duplicate codes in 'code': U11",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "properties": {**f["properties"], "code": "U11"}}
                                                       if c == "U12" else f))}),
    Case("codes-differ-by-space", load(), 2, "duplicate codes in 'code': U11",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "properties": {**f["properties"], "code": " U11 "}}
                                                       if c == "U12" else f))}),
    Case("empty-code", load(), 2, "features have an empty 'code'",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "properties": {**f["properties"], "code": ""}}
                                                       if c == "U12" else f))}),
    Case("null-properties", load(), 2, "features have an empty 'code'",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "properties": None} if c == "U12" else f))}),
    Case("numeric-codes", ["evaluate", "n.csv", "--boundaries", "b.geojson", "--code-column", "code",
                           "--values", "nv.csv"], 0, "3 areas over 12 LADs",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "properties": {
             **f["properties"], "code": CODES.index(c) + 100}})),
                "n.csv": "\n".join(["lad_code,area"] + [f"{i + 100},{line.split(',')[1]}" for i, line in
                                                        enumerate(PLAN_CSV.splitlines()[1:])]) + "\n",
                "nv.csv": "code,value\n" + "".join(f"{i + 100},{(i + 1) * 1e6:g}\n" for i in range(len(CODES)))}),
    Case("null-name-shown-as-code", load(), 0, "3 areas over 12 LADs",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "properties": {**f["properties"], "name": None}}
                                                       if c == "U12" else f))}),
    Case("island-unit", load(), 2, ("2 separate pieces", "U99 touches no other unit", "--links"),
         files={"b.geojson": collection(grid_features() + [{"type": "Feature", "properties": {
             "code": "U99", "name": "Isle", "pfa": "PB"}, "geometry": mapping(ISLAND)}])}),
    Case("island-with-ferry-link", [*load(plan="pi.csv", extra=("--links", "l.csv"))[:-4], "--values", "vi.csv",
                                    "--links", "l.csv"], 0, "3 areas over 13 LADs",
         files={"b.geojson": collection(grid_features() + [{"type": "Feature", "properties": {
             "code": "U99", "name": "Isle", "pfa": "PB"}, "geometry": mapping(ISLAND)}]),
                "pi.csv": PLAN_CSV + "U99,b,Area B\n", "vi.csv": values_csv() + "U99,1000000\n", "l.csv": "a,b,link_type,name\nU23,U99,ferry,Isle ferry\n"}),
    Case("corner-touching-only", load(), 2, "separate pieces",
         files={"b.geojson": collection(grid_features(lambda c, f: f if c in ("U00", "U11") else None))}),
    Case("centimetre-cells", load(), 2, "separate pieces",
         files={"b.geojson": collection(grid_features(lambda c, f: {**f, "geometry": mapping(
             shapely.affinity.scale(shapely.geometry.shape(f["geometry"]), 1e-7, 1e-7, origin=(-1, 52)))}))}),
    Case("no-features", load(), 2, "has no features", files={"b.geojson": collection([])}),
    Case("not-json", load(), 2, "cannot read boundary file b.geojson", files={"b.geojson": "{\"type\": \"Feat"}),
    Case("single-feature-not-collection", load(), 2, "unknown unit codes U01, U02",
         files={"b.geojson": json.dumps(grid_features()[0])}),
    Case("csv-as-boundaries", load("values.csv"), 2, "unsupported type '.csv'"),
    Case("boundaries-directory", load("sub"), 2, "is a directory", setup=lambda f: (f / "sub").mkdir()),
]


@params(GEOMETRY)
def test_geometry(case, work):
    run_case(case, work)
