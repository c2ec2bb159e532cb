"""Regenerate the bad-input corpus in this folder: ``python tests/bad_inputs/make_corpus.py``.

Every file is small and in a real format. Most cases use a 2x2 grid of user
polygons (units U00 U01 / U10 U11, about 7 x 11 km cells near 1W 52N) so a
value table or plan covers every unit in a few lines; a couple use the
embedded England & Wales geography. ``tests/test_bad_inputs.py`` says what
each file must produce. Run once and commit the output; the shapefile's .dbf
holds a date, so its bytes change with each run.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import shapely

HERE = Path(__file__).resolve().parent
CODES = ["U00", "U01", "U10", "U11"]


def grid() -> gpd.GeoDataFrame:
    cells = []
    for r in range(2):
        for c in range(2):
            x0, y0 = -1.0 + c * 0.1, 52.0 - r * 0.1
            cells.append({"code": f"U{r}{c}", "name": f"Unit {r}{c}", "pfa": "PA" if c == 0 else "PB",
                          "geometry": shapely.box(x0, y0 - 0.1, x0 + 0.1, y0)})
    return gpd.GeoDataFrame(cells, crs=4326)


def write(name: str, text: str | bytes) -> None:
    path = HERE / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def geojson(features: list[dict], **extra) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}, indent=1) + "\n"


def feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def csv(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def boundaries() -> None:
    g = grid()
    good = g.to_json(drop_id=True, indent=1) + "\n"
    write("grid.geojson", good)
    # The same grid in British National Grid, declared by a GeoJSON "crs" member (GDAL honours it).
    bng = json.loads(g.to_crs(27700).to_json(drop_id=True))
    bng["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    write("grid_bng.geojson", json.dumps(bng, indent=1) + "\n")
    # GeoJSON implies WGS84, so "no CRS" needs a format that can really lack one: a shapefile without .prj.
    for old in HERE.glob("grid_nocrs.*"):
        old.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns that the output has no projection: that is the point
        g.set_crs(None, allow_override=True).to_file(HERE / "grid_nocrs.shp")
    assert not (HERE / "grid_nocrs.prj").exists()
    write("truncated.geojson", good[: len(good) // 2])
    feats = json.loads(good)["features"]

    bowtie = [dict(f) for f in feats]
    bowtie[1] = feature(feats[1]["properties"], {"type": "Polygon", "coordinates": [
        [[-0.9, 51.9], [-0.8, 52.0], [-0.8, 51.9], [-0.9, 52.0], [-0.9, 51.9]]]})
    write("bowtie.geojson", geojson(bowtie))

    # U01 reaches 0.01 degrees into U00: 10% of U00, too much to be digitising noise.
    overlap = [dict(f) for f in feats]
    overlap[1] = feature(feats[1]["properties"], shapely.geometry.mapping(shapely.box(-0.91, 51.9, -0.8, 52.0)))
    write("overlap.geojson", geojson(overlap))

    dupes = [dict(f) for f in feats]
    dupes[3] = feature({**feats[3]["properties"], "code": "U00"}, feats[3]["geometry"])
    write("duplicate_codes.geojson", geojson(dupes))

    renamed = [feature({"id_code" if k == "code" else k: v for k, v in f["properties"].items()}, f["geometry"])
               for f in feats]
    write("no_code_column.geojson", geojson(renamed))

    blank = [dict(f) for f in feats]
    blank[2] = feature({**feats[2]["properties"], "code": ""}, feats[2]["geometry"])
    write("empty_code.geojson", geojson(blank))

    nullgeom = [dict(f) for f in feats]
    nullgeom[0] = feature(feats[0]["properties"], None)
    write("null_geometry.geojson", geojson(nullgeom))

    points = [feature(f["properties"], {"type": "Point", "coordinates": [-0.95 + 0.1 * i, 51.95]})
              for i, f in enumerate(feats)]
    write("points.geojson", geojson(points))
    write("empty.geojson", geojson([]))
    # A classic mistake: British National Grid metres saved as GeoJSON with no "crs" member,
    # so every reader takes them for longitude/latitude degrees.
    write("metres_as_degrees.geojson", geojson(json.loads(g.to_crs(27700).to_json(drop_id=True))["features"]))


def links() -> None:
    write("links_ferry.csv", csv("a,b,link_type,name", "U00,U11,ferry,Test ferry"))
    write("links_unknown.csv", csv("a,b,link_type", "U00,U99,ferry"))
    write("links_wrong_columns.csv", csv("from,to", "U00,U11"))
    write("links_bad_type.csv", csv("a,b,link_type", "U00,U11,bridge"))


def values() -> None:
    header = "code,value"
    rows = ["U00,10000000", "U01,20000000", "U10,30000000", "U11,40000000"]
    write("values.csv", csv(header, *rows))
    write("values_caseload.csv", csv("code,caseload", "U00,100", "U01,200", "U10,300", "U11,400"))
    write("values_bom.csv", "\ufeff" + csv(header, *rows))  # Excel's "CSV UTF-8" starts with a BOM
    write("values_gap.csv", csv(header, *rows[:3]))
    write("values_blank.csv", csv(header, *rows[:3], "U11,"))
    write("values_short_row.csv", csv(header, *rows[:3], "U11"))
    write("values_negative.csv", csv(header, *rows[:3], "U11,-5"))
    write("values_nan.csv", csv(header, *rows[:3], "U11,NaN"))
    write("values_text.csv", csv(header, *rows[:3], "U11,abc"))
    write("values_inf.csv", csv(header, *rows[:3], "U11,inf"))
    write("values_duplicate.csv", csv(header, *rows, "U00,5"))
    write("values_unknown.csv", csv(header, *rows, "U99,5"))
    write("values_blank_code.csv", csv(header, *rows, ",5"))
    write("values_zeros.csv", csv(header, "U00,0", "U01,0", "U10,0", "U11,0"))
    write("values_wrong_columns.csv", csv("unit,amount", *rows))
    write("values_semicolon.csv", csv("code;value", *(r.replace(",", ";") for r in rows)))
    write("values_extra_field.csv", csv(header, *rows[:3], "U11,4,5"))
    write("values_empty.csv", "")
    # Embedded geography: a table that covers one LAD of 318.
    write("values_embedded_gap.csv", csv("lad_code,value", "E06000001,1000000"))


def plans() -> None:
    header = "lad_code,area"
    rows = ["U00,a", "U01,a", "U10,b", "U11,b"]
    write("plan.csv", csv(header, *rows))
    # Diagonal areas: each pair touches only at a corner, so both areas are in two pieces.
    write("plan_noncontiguous.csv", csv(header, "U00,a", "U11,a", "U01,b", "U10,b"))
    write("plan_missing.csv", csv(header, *rows[:3]))
    write("plan_repeat.csv", csv(header, *rows, "U00,b"))
    write("plan_unknown.csv", csv(header, *rows, "U99,b"))
    write("plan_wrong_columns.csv", csv("unit,region", *rows))
    write("plan_empty_area.csv", csv(header, *rows[:3], "U11,"))
    write("plan_empty_code.csv", csv(header, *rows, ",b"))
    write("plan_empty.csv", "")
    write("plan_header_only.csv", csv(header))
    write("plan_semicolon.csv", csv("lad_code;area", *(r.replace(",", ";") for r in rows)))
    # Saved by an old Excel as Windows-1252: the area name is not UTF-8.
    write("plan_latin1.csv", csv("lad_code,area,area_name", *(r + ",Ynys Môn" for r in rows)).encode("cp1252"))
    write("plan_embedded_short.csv", csv(header, "E06000001,north"))

    geoms = [f["geometry"] for f in json.loads(grid().to_json())["features"]]
    per_unit = [feature({"lad_code": c, "area": a}, geom) for c, a, geom in zip(CODES, "aabb", geoms)]
    good = geojson(per_unit)
    write("plan.geojson", good)
    write("plan_truncated.geojson", good[: len(good) // 2])
    write("plan_no_properties.geojson", geojson([feature({"name": f["properties"]["lad_code"]}, f["geometry"])
                                                for f in per_unit]))
    nullarea = [dict(f) for f in per_unit]
    nullarea[3] = feature({"lad_code": "U11", "area": None}, per_unit[3]["geometry"])
    write("plan_null_area.geojson", geojson(nullarea))
    write("plan_dissolved_gap.geojson", geojson([
        feature({"area": "a", "lad_codes": "U00;;U01"}, None), feature({"area": "b", "lad_codes": "U10;U11"}, None)]))
    write("plan_not_collection.geojson", json.dumps([1, 2, 3]) + "\n")
    write("plan_features_not_list.geojson", json.dumps({"type": "FeatureCollection", "features": 5}) + "\n")
    write("plan_feature_not_object.geojson", json.dumps({"type": "FeatureCollection", "features": [7]}) + "\n")


if __name__ == "__main__":
    boundaries()
    links()
    values()
    plans()
    print(f"wrote {len(list(HERE.iterdir())) - 1} files to {HERE}")
