"""Geometry that real files have: what boundary repair fixes, what it refuses, and that the
CLI then scores and solves without a traceback.

Every fixture is drawn here and written to a temporary file. Most are 1 km squares in
British National Grid near (400 km E, 300 km N); the float-noise grid is in degrees, built
the way a script builds one (``x = -2.0 + j * 0.05``, right edge ``x + 0.05``), and saved as
a GeoPackage so the noise survives (GeoJSON writers round it away).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely import box

from cpa.cli import main
from cpa.errors import CpaError
from cpa.geography import Geography
from cpa.geometry import dissolve
from cpa.io import read_geography
from cpa.io.boundaries import geography_from_frame
from cpa.io.plans import plan_geodataframe
from cpa.io.repair import MAX_OVERLAP_SHARE, repair_boundaries
from cpa.metrics import polsby_popper
from cpa.plan import Plan
from tests.cli.test_contract import validator

X0, Y0, KM = 400_000.0, 300_000.0, 1000.0


def square(col: float, row: float, dx0=0.0, dy0=0.0, dx1=0.0, dy1=0.0):
    """The 1 km cell at (col, row), its edges moved by the given metres."""
    return box(X0 + col * KM + dx0, Y0 + row * KM + dy0, X0 + (col + 1) * KM + dx1, Y0 + (row + 1) * KM + dy1)


def grid2(**changed) -> dict:
    """U00 U01 / U10 U11 (row 0 at the bottom), with some cells replaced."""
    cells = {f"U{r}{c}": square(c, r) for r in range(2) for c in range(2)}
    cells.update(changed)
    return cells


def write(tmp_path: Path, cells: dict, crs=27700, name="units.gpkg") -> Path:
    gdf = gpd.GeoDataFrame({"code": list(cells)}, geometry=list(cells.values()), crs=crs)
    gdf.to_file(tmp_path / name)
    pd.DataFrame({"code": list(cells), "value": [1e6 * (i + 1) for i in range(len(cells))]}).to_csv(
        tmp_path / "values.csv", index=False)
    return tmp_path / name


def noise_grid(rows: int, cols: int) -> dict:
    """rows x cols cells of 0.05 degrees near 2W 52N whose shared edges differ by float noise."""
    cells = {}
    for i in range(rows):
        for j in range(cols):
            x, y = -2.0 + j * 0.05, 52.0 + i * 0.05
            cells[f"N{i}{j}"] = box(x, y, x + 0.05, y + 0.05)
    return cells


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    assert escaped is None, f"uncaught {type(escaped).__name__}: {escaped}\n{result.output}"
    assert "Traceback" not in result.output
    return result


def pairs(geo: Geography) -> set[tuple[str, str]]:
    return set(zip(geo.links["a"], geo.links["b"]))


def end_to_end(tmp_path: Path, path: Path, *extra, repaired: bool, areas: int = 2) -> None:
    """`cpa evaluate` (every unit in one area) and a small `cpa solve` run cleanly on ``path``."""
    geo_args = ["--boundaries", path, "--code-column", "code", "--values", tmp_path / "values.csv", *extra]
    codes = gpd.read_file(path)["code"].tolist()
    pd.DataFrame({"lad_code": codes, "area": "all"}).to_csv(tmp_path / "one.csv", index=False)
    result = cli("evaluate", tmp_path / "one.csv", *geo_args)
    assert result.exit_code == 0, result.output
    assert f"1 areas over {len(codes)} LADs" in result.output
    assert ("cpa: repaired the boundaries of" in result.output) == repaired, result.output
    out = tmp_path / "solved"
    result = cli("solve", "--areas", areas, "--coterminous", "off", "--time-limit", 20, "--out", out, *geo_args)
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(out / "plan.csv")
    assert sorted(plan["lad_code"]) == sorted(codes) and plan["area"].nunique() == areas
    run = json.loads((out / "run.json").read_text())
    validator("run").validate(run)
    assert ("boundary_repair" in run) == repaired  # what loading changed stays with the result


# ------------------------------------------------------------------ float noise
def test_float_noise_grid_is_repaired_and_solves(tmp_path):
    cells = noise_grid(2, 4)  # the 4th column is the first noisy one: -1.9 + 0.05 != -2.0 + 3 * 0.05
    assert not shapely.coverage_is_valid(list(cells.values()))
    path = write(tmp_path, cells, crs=4326)
    geo = read_geography(path, "code")
    assert geo.repair is not None and geo.repair.largest_change_m2 < 1.0
    line = geo.repair.line()
    assert line.startswith("repaired the boundaries of ") and "snapped within 1 m" in line and "\n" not in line
    # Rook neighbours only: 2 x 3 + 4 shared edges, no diagonal.
    assert len(geo.links) == 10 and set(geo.links["link_type"]) == {"shared_border"}
    assert ("N00", "N11") not in pairs(geo) and ("N00", "N01") in pairs(geo)
    assert shapely.coverage_is_valid(np.asarray(geo.geometry_projected.values))
    end_to_end(tmp_path, path, repaired=True, areas=2)
    result = cli("map", tmp_path / "solved" / "plan.csv", "--boundaries", path, "--code-column", "code",
                 "--values", tmp_path / "values.csv", "-o", tmp_path / "map.html")
    assert result.exit_code == 0 and (tmp_path / "map.html").stat().st_size > 0, result.output


def test_dissolve_and_compactness_survive_a_noisy_coverage_without_repair():
    # Built by hand, so nothing repaired it: the dissolve itself must cope. This 10 x 10 grid
    # made coverage_union_all raise "found two shells in EdgeRing list" in every solve.
    cells = noise_grid(10, 10)
    units = gpd.GeoDataFrame({"name": list(cells), "pfa_code": "P", "area_sqkm": np.nan},
                             geometry=list(cells.values()), index=list(cells), crs=4326)
    geo = Geography(units=units, links=pd.DataFrame(columns=["a", "b", "link_type", "border_km", "name"]),
                    pfas=pd.DataFrame({"pfa_name": ["P"]}, index=["P"]))
    projected = np.asarray(geo.geometry_projected.values)
    assert not shapely.coverage_is_valid(projected)
    whole = dissolve(projected)
    assert whole.geom_type == "Polygon" and shapely.get_num_interior_rings(whole) == 0
    assert whole.area == pytest.approx(shapely.area(projected).sum(), rel=1e-6)  # snap-rounded to mm
    plan = Plan({c: "all" for c in cells})
    pp = polsby_popper(plan, geo).loc["all", "polsby_popper"]
    # A convex 34 x 56 km quadrilateral: its perimeter is its hull's, no sliver edges inside.
    assert whole.length == pytest.approx(whole.convex_hull.length, rel=1e-6)
    assert pp == pytest.approx(4 * math.pi * whole.area / whole.length ** 2, rel=1e-6)
    assert plan_geodataframe(plan, geo).geometry.iloc[0].geom_type == "Polygon"


def test_projected_crs_noise_is_repaired_in_the_files_own_metres(tmp_path):
    cells = {f"B{c}": box(X0 + c * 1000.1, Y0, X0 + c * 1000.1 + 1000.1, Y0 + KM) for c in range(3)}
    cells["B1"] = box(X0 + 1000.1 + 0.3, Y0, X0 + 2 * 1000.1 + 0.2, Y0 + KM)  # 0.3 m gap, 0.2 m overlap
    path = write(tmp_path, cells, crs=27700)
    geo = read_geography(path, "code")
    assert pd.Series(geo.projected_crs).iloc[0].to_epsg() == 27700
    assert geo.repair is not None and geo.repair.overlaps == 1
    assert pairs(geo) == {("B0", "B1"), ("B1", "B2")}
    assert geo.units["area_sqkm"].sum() == pytest.approx(3 * 1.0001, rel=1e-6)  # nothing lost, nothing doubled
    end_to_end(tmp_path, path, repaired=True)


# ------------------------------------------------------------- slivers and gaps
def test_narrow_sliver_is_snapped_shut(tmp_path):
    path = write(tmp_path, grid2(U01=square(1, 0, dx0=0.5)))  # a 0.5 m x 1 km sliver of no-man's-land
    geo = read_geography(path, "code")
    assert geo.repair.units == ("U01",) and geo.repair.largest_change_m2 == pytest.approx(500, rel=1e-6)
    assert ("U00", "U01") in pairs(geo)
    assert geo.units["area_sqkm"].tolist() == pytest.approx([1.0] * 4)
    end_to_end(tmp_path, path, repaired=True)


def test_snap_zero_leaves_the_sliver_as_drawn(tmp_path):
    path = write(tmp_path, grid2(U01=square(1, 0, dx0=0.5)))
    geo = read_geography(path, "code", snap=0)
    # Only noded: U11's edge gains U01's corner, so the coverage is valid; no area moves.
    assert geo.repair.units == ("U11",) and geo.repair.largest_change_m2 == 0
    assert "noded shared edges" in geo.repair.line()
    assert geo.units.loc["U01", "area_sqkm"] == pytest.approx(0.9995)
    assert ("U00", "U01") in pairs(geo)  # still neighbours: borders within 1 m count as touching
    end_to_end(tmp_path, path, "--snap", "0", repaired=True)


def _pinhole(side_m: float) -> dict:
    """The 2 x 2 grid with a side_m square hole where all four cells meet."""
    corner = shapely.Point(X0 + KM, Y0 + KM)
    hole = corner.buffer(side_m / 2, cap_style="square")
    return {code: cell.difference(hole) for code, cell in grid2().items()}


def test_pinhole_gap_under_the_sliver_size_is_closed(tmp_path):
    path = write(tmp_path, _pinhole(8.0))  # 64 m²
    geo = read_geography(path, "code")
    assert geo.repair.gaps == 1 and not geo.repair.cleaned
    assert geo.repair.line() == ("repaired the boundaries of 1 unit (closed 1 gap under 100 m²); "
                                 "largest change 64.0 m² (U00)")
    assert geo.units["area_sqkm"].sum() * 1e6 == pytest.approx(4e6)
    whole = dissolve(geo.geometry_projected.values)
    assert shapely.get_num_interior_rings(whole) == 0
    # Rook neighbours only: diagonal cells met at the hole's corner, not along a border.
    assert pairs(geo) == {("U00", "U01"), ("U00", "U10"), ("U01", "U11"), ("U10", "U11")}
    end_to_end(tmp_path, path, repaired=True)


def test_gap_over_the_sliver_size_is_kept_unless_asked(tmp_path):
    path = write(tmp_path, _pinhole(20.0))  # 400 m²: could be real, so it stays
    geo = read_geography(path, "code")
    assert geo.repair is None
    assert shapely.get_num_interior_rings(dissolve(geo.geometry_projected.values)) == 1
    bigger = read_geography(path, "code", sliver=500)
    assert bigger.repair.gaps == 1
    end_to_end(tmp_path, path, repaired=False)
    end_to_end(tmp_path, path, "--sliver", "500", repaired=True)


# --------------------------------------------------------------------- overlaps
def test_small_overlap_is_trimmed(tmp_path):
    path = write(tmp_path, grid2(U01=square(1, 0, dx0=-5.0)))  # 5 m into U00: 0.5% of it
    geo = read_geography(path, "code")
    assert geo.repair.overlaps == 1 and "trimmed 1 small overlap" in geo.repair.line()
    assert geo.repair.largest_change_m2 == pytest.approx(5000, rel=1e-6)
    geoms = np.asarray(geo.geometry_projected.values)
    assert shapely.coverage_is_valid(geoms)
    assert shapely.area(geoms).sum() == pytest.approx(4e6)  # the overlap is counted once
    end_to_end(tmp_path, path, repaired=True)


def test_big_overlap_is_refused_naming_the_units(tmp_path):
    path = write(tmp_path, grid2(U01=square(1, 0, dx0=-100.0)))  # 10% of U00
    with pytest.raises(CpaError) as err:
        read_geography(path, "code")
    assert "U00 and U01 (10% of the smaller, 100,000 m²)" in err.value.message
    assert f"overlaps up to {MAX_OVERLAP_SHARE:.0%} are trimmed" in err.value.hint
    result = cli("evaluate", "x.csv", "--boundaries", path, "--code-column", "code",
                 "--values", tmp_path / "values.csv")
    assert result.exit_code == 2 and "overlap by more than 1% of the smaller unit" in result.output


def test_duplicate_polygon_is_an_overlap_not_a_repair(tmp_path):
    path = write(tmp_path, grid2(COPY=square(0, 0)))
    with pytest.raises(CpaError, match=r"U00 and COPY \(100% of the smaller"):
        read_geography(path, "code")


def test_unit_smaller_than_the_snap_is_refused(tmp_path):
    path = write(tmp_path, grid2(TINY=box(X0 + 2 * KM, Y0, X0 + 2 * KM + 0.5, Y0 + 0.5)))
    with pytest.raises(CpaError, match="units that vanish when snapped within 1 m: TINY"):
        read_geography(path, "code")
    cells = gpd.read_file(path).to_crs(27700).set_index("code").geometry
    kept = repair_boundaries(cells, snap_m=0.1).geometry  # a smaller snap keeps it
    assert kept["TINY"].area == pytest.approx(0.25)


# ------------------------------------------------------------ holes and shapes
def test_enclave_and_lake(tmp_path):
    ring = square(0, 0).difference(box(X0 + 300, Y0 + 300, X0 + 700, Y0 + 700))  # holds the enclave
    lake = square(1, 0).difference(box(X0 + KM + 400, Y0 + 400, X0 + KM + 600, Y0 + 600))  # 4 ha of water
    path = write(tmp_path, {"A": ring, "E": box(X0 + 300, Y0 + 300, X0 + 700, Y0 + 700), "B": lake})
    geo = read_geography(path, "code")
    assert geo.repair is None
    assert pairs(geo) == {("A", "B"), ("A", "E")}
    shapes = plan_geodataframe(Plan({"A": "x", "E": "x", "B": "y"}), geo).set_index("area").geometry
    assert shapely.get_num_interior_rings(shapes["x"]) == 0  # the enclave fills A's hole
    assert shapely.get_num_interior_rings(shapes["y"]) == 1  # the lake stays
    end_to_end(tmp_path, path, repaired=False)


def test_corner_touch_is_not_a_neighbour_even_after_snapping(tmp_path):
    # U11 sits 0.4 m off both of its neighbours; snapping closes the gaps, and U00 and U11
    # then meet at a single point, which is not a border.
    path = write(tmp_path, grid2(U11=square(1, 1, 0.4, 0.4, 0.4, 0.4)))
    geo = read_geography(path, "code")
    assert geo.repair is not None
    assert pairs(geo) == {("U00", "U01"), ("U00", "U10"), ("U01", "U11"), ("U10", "U11")}
    end_to_end(tmp_path, path, repaired=True)


def test_multipolygon_unit_neighbours_both_sides(tmp_path):
    split = shapely.MultiPolygon([square(0, 1), square(2, 1)])  # M: two pieces either side of X
    cells = {"M": split, "X": square(1, 1), "B0": square(0, 0), "B1": square(1, 0), "B2": square(2, 0)}
    path = write(tmp_path, cells)
    geo = read_geography(path, "code")
    assert geo.repair is None
    assert {p for p in pairs(geo) if "M" in p} == {("B0", "M"), ("B2", "M"), ("M", "X")}
    assert geo.units.loc["M", "area_sqkm"] == pytest.approx(2.0)
    end_to_end(tmp_path, path, repaired=False)


# ----------------------------------------------------------------------- islands
def test_island_with_a_ferry(tmp_path):
    path = write(tmp_path, grid2(ISLE=square(4, 0)))  # 2 km of sea east of U01
    (tmp_path / "links.csv").write_text("a,b,link_type,name\nU01,ISLE,ferry,Isle ferry\n")
    geo = read_geography(path, "code", links=tmp_path / "links.csv")
    isle = geo.links[(geo.links["a"] == "ISLE") | (geo.links["b"] == "ISLE")]
    assert isle[["a", "b", "link_type", "name"]].values.tolist() == [["ISLE", "U01", "ferry", "Isle ferry"]]
    assert geo.summary()["connected"] and geo.repair is None
    end_to_end(tmp_path, path, "--links", tmp_path / "links.csv", repaired=False)


def test_island_without_a_link_is_refused_by_name(tmp_path):
    path = write(tmp_path, grid2(ISLE=square(4, 0)))
    with pytest.raises(CpaError, match="ISLE touches no other unit"):
        read_geography(path, "code")
    result = cli("evaluate", "x.csv", "--boundaries", path, "--code-column", "code",
                 "--values", tmp_path / "values.csv")
    assert result.exit_code == 2 and "separate pieces" in result.output and "--links" in result.output


# ------------------------------------------------------------------ the options
@pytest.mark.parametrize("option,value,fragment", [
    ("--snap", "-1", "--snap must be 0 or more metres, got -1.0"),
    ("--sliver", "nan", "--sliver must be 0 or more square metres, got nan"),
])
def test_bad_tolerances(tmp_path, option, value, fragment):
    path = write(tmp_path, grid2())
    result = cli("evaluate", "x.csv", "--boundaries", path, "--code-column", "code",
                 "--values", tmp_path / "values.csv", option, value)
    assert result.exit_code == 2 and fragment in result.output, result.output


def test_frame_without_crs_is_refused():
    frame = gpd.GeoDataFrame({"code": ["A"]}, geometry=[square(0, 0)])
    with pytest.raises(CpaError, match="has no coordinate reference system"):
        geography_from_frame(frame, "code")


def test_repair_leaves_a_valid_coverage_untouched():
    cells = grid2()
    geoms = gpd.GeoSeries(list(cells.values()), index=list(cells), crs=27700)
    repaired = repair_boundaries(geoms)
    assert repaired.summary is None and repaired.geometry is geoms
