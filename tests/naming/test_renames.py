"""Renames from the command line: --names on evaluate, map and compare, cpa rename, and the names file checks."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cpa.cli import main
from cpa.errors import CpaError
from cpa.io import read_plan
from cpa.io.names import layer_name, read_names
from tests.render.test_maps import area_collections


@pytest.fixture
def names_csv(tmp_path):
    f = tmp_path / "names.csv"
    f.write_text("area,name\nC17,Greater London\nC10,Cymru\n", encoding="utf-8")
    return f


def test_read_names(geo, names_csv):
    assert read_names(names_csv, read_plan("crc21", geo)) == {"C17": "Greater London", "C10": "Cymru"}


@pytest.mark.parametrize("text,message", [
    ("area,title\nC17,x\n", "needs columns area,name"),
    ("area,name\nC99,x\n", "names areas that plan crc21 does not have: C99"),
    ("area,name\nC17,x\nC17,y\n", "names these areas more than once: C17"),
    ("area,name\nC17,\n", "has no name on line 2"),
])
def test_bad_names_files_are_one_clear_error(geo, tmp_path, text, message):
    f = tmp_path / "n.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CpaError, match=message):
        read_names(f, read_plan("crc21", geo))


def test_evaluate_with_names(names_csv):
    r = CliRunner().invoke(main, ["evaluate", "crc21", "--names", str(names_csv), "--format", "csv"])
    assert r.exit_code == 0, r.output
    from io import StringIO
    df = pd.read_csv(StringIO(r.output)).set_index("area")
    assert df.at["C17", "area_name"] == "Greater London" and df.at["C10", "area_name"] == "Cymru"
    assert df.at["C01", "area_name"] == "Northumbria"
    assert "description" in df.columns


def test_rename_writes_a_renamed_plan(tmp_path, names_csv, geo):
    out = tmp_path / "renamed.csv"
    r = CliRunner().invoke(main, ["rename", "crc21", str(names_csv), "-o", str(out)])
    assert r.exit_code == 0, r.output
    back = read_plan(str(out), geo)
    assert back.name("C17") == "Greater London" and back.name("C04") == read_plan("crc21", geo).name("C04")
    assert "2 renamed" in r.output
    gj = tmp_path / "renamed.geojson"
    r = CliRunner().invoke(main, ["rename", str(out), str(names_csv), "-o", str(gj)])
    assert r.exit_code == 0, r.output
    feats = json.loads(gj.read_text())["features"]
    assert {f["properties"]["area"]: f["properties"]["area_name"] for f in feats}["C10"] == "Cymru"


def test_rename_without_names_in_the_file_uses_the_rule(tmp_path, geo):
    plan_csv = tmp_path / "bare.csv"
    read_plan("regions12", geo).to_frame()[["lad_code", "area"]].to_csv(plan_csv, index=False)
    names = tmp_path / "n.csv"
    names.write_text("area,name\nN07,The capital\n")
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(main, ["rename", str(plan_csv), str(names), "-o", str(out)])
    assert r.exit_code == 0, r.output
    back = read_plan(str(out), geo)
    assert back.name("N07") == "The capital" and back.name("N03") == "Wales"
    assert len({back.name(a) for a in back.areas}) == 12


def test_formula_names_cannot_run_in_a_spreadsheet(tmp_path):
    names = tmp_path / "n.csv"
    names.write_text('area,name\nC17,"=HYPERLINK(""http://x"")"\n')
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(main, ["rename", "crc21", str(names), "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "'=HYPERLINK" in text and ",=" not in text and ',"=' not in text


@pytest.mark.slow  # renders real-data maps
def test_map_with_names_and_layer_names(tmp_path, names_csv, geo):
    out = tmp_path / "m.html"
    r = CliRunner().invoke(main, ["map", "crc21", "trusts35", "--names", str(names_csv), "--name", "CRCs",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    crc, trusts = area_collections(page)
    assert {f["properties"]["area"]: f["properties"]["area_name"] for f in crc["features"]}["C10"] == "Cymru"
    assert '"CRCs" : feature_group_' in page
    assert json.dumps("Probation Trusts 2010–2014 (35)") + " : feature_group_" in page
    r = CliRunner().invoke(main, ["map", "crc21", "--names", str(names_csv), "--names", str(names_csv),
                                  "-o", str(out)])
    assert r.exit_code == 2 and "2 --names values for 1 plans" in r.output


def test_layer_names(tmp_path, geo):
    crc = read_plan("crc21", geo)
    assert layer_name("crc21", crc) == "CRC contract package areas 2014–2021 (21)"
    folder = tmp_path / "k16"
    folder.mkdir()
    (folder / "plan.csv").write_text("x")
    assert layer_name(str(folder / "plan.csv"), crc) == "k16"
    (folder / "run.json").write_text(json.dumps({"options": {"k": 16, "coterminous": "strict", "min_value_m": 15}}))
    assert layer_name(str(folder / "plan.csv"), crc) == "16 areas, strict, floor £15m"


def test_compare_names_go_with_their_reference(tmp_path, names_csv, geo, values):
    from cpa.compare import Option, compare

    res = compare([Option.reference("trusts35"), Option.reference("crc21", names=names_csv)], geo, values)
    crc = res.plans["crc21"]
    assert crc.name("C10") == "Cymru" and crc.label == "crc21"
    assert res.cards["crc21"].areas.at["C10", "area_name"] == "Cymru"
    r = CliRunner().invoke(main, ["compare", "--reference", "crc21", "--names", str(names_csv), "--names",
                                  str(names_csv), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "2 --names files for 1 --reference plans" in r.output
    with pytest.raises(CpaError, match="renames an existing plan"):
        Option("x", solve=__import__("cpa.options", fromlist=["SolveOptions"]).SolveOptions(k=3), names="n.csv")


def test_scenario_names_key(tmp_path, names_csv):
    from cpa.compare import read_scenario

    f = tmp_path / "s.toml"
    f.write_text('[[option]]\nreference = "crc21"\nnames = "names.csv"\n')
    sc = read_scenario(f)
    assert sc.options[0].names == str(tmp_path / "names.csv")
    f.write_text('[[option]]\nareas = 3\nnames = "names.csv"\n')
    with pytest.raises(CpaError, match="is a solve, so names"):
        read_scenario(f)
