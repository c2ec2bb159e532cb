"""Plans: reading, writing, validation."""

import json

import pytest

from cpa.errors import CpaError
from cpa.io import read_plan, write_plan_csv, write_plan_geojson
from cpa.plan import Plan, reference_plan


def test_csv_roundtrip(geo, tmp_path):
    plan = reference_plan(geo, "crc21")
    path = write_plan_csv(plan, tmp_path / "p.csv")
    back = read_plan(path, geo)
    assert dict(back.assignment) == dict(plan.assignment)
    assert back.name("C17") == "London"


def test_geojson_roundtrip(geo, tmp_path):
    plan = reference_plan(geo, "trusts35")
    path = write_plan_geojson(plan, geo, tmp_path / "p.geojson")
    doc = json.loads(path.read_text())
    assert len(doc["features"]) == 35
    assert dict(read_plan(path, geo).assignment) == dict(plan.assignment)


def test_plan_missing_units(geo, tmp_path):
    p = tmp_path / "short.csv"
    p.write_text("lad_code,area\nE06000001,a\n")
    with pytest.raises(CpaError, match="leaves 317 units without an area"):
        read_plan(p, geo)


def test_plan_repeats_and_unknown(geo, tmp_path):
    rows = "".join(f"{c},x\n" for c in geo.codes)
    p = tmp_path / "rep.csv"
    p.write_text("lad_code,area\n" + rows + "E06000001,y\n")
    with pytest.raises(CpaError, match="more than once: E06000001"):
        read_plan(p, geo)
    p.write_text("lad_code,area\n" + rows + "E99999999,y\n")
    with pytest.raises(CpaError, match="unknown unit codes: E99999999"):
        read_plan(p, geo)


def test_same_partition_ignores_labels():
    a = Plan({"u1": "x", "u2": "x", "u3": "y"})
    b = Plan({"u1": "p", "u2": "p", "u3": "q"})
    c = Plan({"u1": "p", "u2": "q", "u3": "q"})
    assert a.same_partition(b) and not a.same_partition(c)
    assert a.partition_hash() == Plan(dict(b.assignment), names={"p": "North"}).partition_hash()
    assert a.partition_hash() != c.partition_hash()
