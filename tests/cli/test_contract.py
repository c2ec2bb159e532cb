"""The machine-readable contract: JSON alone on stdout, versioned and valid against the published
schemas; one set of units in the CLI and the API; names as well as codes."""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import referencing
from click.testing import CliRunner

from cpa import Geography, SolveOptions, contract_values, scorecard
from cpa.cli import main
from cpa.errors import CpaError
from cpa.io import read_plan

CORPUS = Path(__file__).resolve().parent.parent / "bad_inputs"
GRID = ["--boundaries", str(CORPUS / "grid.geojson"), "--code-column", "code", "--name-column", "name",
        "--pfa-column", "pfa", "--values", str(CORPUS / "values.csv")]


def schema(name: str) -> dict:
    return json.loads((importlib.resources.files("cpa") / "data" / "schemas" / f"{name}.schema.json").read_text())


def validator(name: str) -> jsonschema.Draft202012Validator:
    registry = referencing.Registry().with_resources(
        (s["$id"], referencing.Resource.from_contents(s)) for s in map(schema, ("scorecard", "run", "comparison", "grid")))
    return jsonschema.Draft202012Validator(schema(name), registry=registry)


def stdout_json(args: list[str]) -> dict:
    """Run the CLI in-process; stdout must be exactly one JSON document."""
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_evaluate_json_is_versioned_and_valid():
    doc = stdout_json(["evaluate", "crc21", "--format", "json", "--min-value", "15", "--max-share", "12"])
    assert doc["schema_version"] == "1.2" and doc["kind"] == "scorecard"
    validator("scorecard").validate(doc)
    over = [a["area"] for a in doc["areas"] if a.get("over_share_cap")]
    assert over == doc["summary"]["areas_over_cap"] == ["C17"]


@pytest.mark.parametrize("fmt", ["csv", "markdown", "table"])
def test_every_format_carries_the_flags(fmt):
    r = CliRunner().invoke(main, ["evaluate", "crc21", "--format", fmt, "--min-value", "15", "--max-share", "12"])
    assert r.exit_code == 0, r.output
    if fmt == "csv":
        df = pd.read_csv(pd.io.common.StringIO(r.stdout))
        assert df.loc[df["over_share_cap"], "area"].tolist() == ["C17"]
        assert df["under_floor"].sum() == len(scorecard(read_plan("crc21", Geography.default()), Geography.default(),
                                                        contract_values(Geography.default()),
                                                        min_value_m=15).summary["areas_under_floor"])
    else:
        assert "share cap" in r.stdout and "floor" in r.stdout


def test_solve_json_on_a_grid(tmp_path):
    doc = stdout_json(["solve", "--areas", "2", "--coterminous", "off", "--out", str(tmp_path / "o"),
                       "--format", "json", *GRID])
    assert doc["kind"] == "solve" and doc["run"]["status"] == "optimal"
    validator("scorecard").validate(doc["scorecard"])
    run_json = json.loads((tmp_path / "o" / "run.json").read_text())
    validator("run").validate(run_json)
    assert run_json["schema_version"] == "1.2"
    assert sorted(Path(f).name for f in doc["files"]) == ["plan.csv", "plan.geojson", "run.json"]


@pytest.mark.slow  # compare and sweep end to end
def test_compare_sweep_references_units_json(tmp_path):
    doc = stdout_json(["compare", "--areas", "2", "--reference", str(CORPUS / "plan.csv"), "--coterminous", "off",
                       "--out", str(tmp_path / "c"), "--format", "json", *GRID])
    assert doc["kind"] == "comparison" and len(doc["options"]) == 2
    for row in doc["options"]:
        validator("comparison").validate(row)
    header = (tmp_path / "c" / "comparison.csv").read_text().splitlines()[0].split(",")
    assert header == schema("comparison")["x-column-order"]
    doc = stdout_json(["sweep", "--areas", "1-2", "--coterminous", "off", "--jobs", "1", "--out",
                       str(tmp_path / "s"), "--format", "json", *GRID])
    assert doc["kind"] == "sweep" and [r["K"] for r in doc["rows"]] == [1, 2]
    doc = stdout_json(["references", "--format", "json"])
    assert {p["name"] for p in doc["plans"]} == {"pfa43", "trusts35", "crc21", "regions12"}
    doc = stdout_json(["units", "durham", "--format", "json"])
    assert {(u["kind"], u["name"]) for u in doc["units"]} == {("lad", "County Durham"), ("pfa", "Durham")}


@pytest.mark.slow
def test_json_alone_on_the_real_stdout(tmp_path):
    """In a real process the solver's own banner (printed by C++ on fd 1) must not reach stdout."""
    out = subprocess.run([sys.executable, "-m", "cpa", "solve", "--areas", "35", "--time-limit", "60", "--out",
                          str(tmp_path / "o"), "--format", "json"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["run"]["status"] == "optimal" and "HiGHS" in out.stderr
    quiet = subprocess.run([sys.executable, "-m", "cpa", "solve", "--areas", "35", "--time-limit", "60", "--out",
                            str(tmp_path / "q"), "--format", "json", "--quiet"], capture_output=True, text=True,
                           cwd=tmp_path)
    assert quiet.returncode == 0 and json.loads(quiet.stdout)["kind"] == "solve" and quiet.stderr == ""


# ------------------------------------------------------------------ units
@pytest.mark.parametrize("args, code, fragment", [
    (["--max-share", "0.25"], 2, "did you mean --max-share 25?"),
    (["--min-value", "15000000"], 2, "did you mean --min-value 15?"),
    (["--min-value", "500"], 2, "above the national total"),
    (["--max-share", "3"], 3, "under the 3% cap"),
    (["--areas", "0"], 2, "--areas must be at least 1"),
    (["--areas", "-3"], 2, "--areas must be at least 1"),
    (["--threads", "-4"], 2, "--threads must be at least 1"),
    (["--w-travel", "inf"], 2, "--w-travel must be a finite number"),
])
def test_units_and_ranges_are_checked(tmp_path, args, code, fragment):
    base = ["solve", "--out", str(tmp_path / "o"), "--time-limit", "5"]
    if "--areas" not in args:
        base += ["--areas", "16"]
    r = CliRunner().invoke(main, base + args)
    assert r.exit_code == code, r.output
    assert fragment in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_api_takes_the_cli_units_and_refuses_the_old_names(geo, values):
    card = scorecard(read_plan("crc21", geo), geo, values, min_value_m=15, max_share_pct=12)
    assert card.summary["areas_over_cap"] == ["C17"]
    with pytest.raises(CpaError, match="now min_value_m"):
        scorecard(read_plan("crc21", geo), geo, values, min_value=15e6)
    with pytest.raises(CpaError, match="now max_share_pct"):
        SolveOptions(k=16, max_share=0.25)
    with pytest.raises(CpaError, match="did you mean --max-share 25"):
        SolveOptions(k=16, max_share_pct=0.25)
    with pytest.raises(CpaError, match="total= is now total_m"):
        contract_values(geo, total=450e6)


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("query, kind, code", [
    ("E06000046", "lad", "E06000046"), ("isle of wight", "lad", "E06000046"), ("Durham", "pfa", "E23000008"),
    ("County Durham", "lad", "E06000047"), ("lad:Durham", "lad", "E06000047"), ("pfa:durham", "pfa", "E23000008"),
    ("Birmingham", "lad", "E08000025"), ("Wales", "country", "Wales"),
])
def test_find_by_code_name_prefix_and_partial(geo, query, kind, code):
    place = geo.find(query)
    assert (place.kind, place.code) == (kind, code)


def test_find_says_what_was_meant_or_lists_the_candidates(geo):
    with pytest.raises(CpaError, match="did you mean 'Suffolk'"):
        geo.find("Sufolk")
    with pytest.raises(CpaError, match=r"ambiguous.*lad:Kingston upon Thames.*pfa:Thames Valley"):
        geo.find("Thames")


def test_units_lists_and_finds(tmp_path):
    r = CliRunner().invoke(main, ["units", "wight"])
    assert r.exit_code == 0 and "E06000046" in r.stdout and "Isle of Wight" in r.stdout
    r = CliRunner().invoke(main, ["units", "--format", "csv"])
    df = pd.read_csv(pd.io.common.StringIO(r.stdout))
    assert (df["kind"] == "lad").sum() == 318 and (df["kind"] == "pfa").sum() == 43
    assert df.loc[df["kind"] == "lad", "value_m"].sum() == pytest.approx(450)


def test_lock_and_keep_whole_by_name(tmp_path):
    doc = stdout_json(["solve", "--areas", "35", "--time-limit", "60", "--out", str(tmp_path / "o"), "--format",
                       "json", "--lock", "Isle of Wight=South", "--keep-whole", "Thames Valley"])
    assert doc["run"]["status"] == "optimal"
    plan = pd.read_csv(tmp_path / "o" / "plan.csv").set_index("lad_code")
    assert plan.loc["E06000046", "area_name"].startswith("South")
    r = CliRunner().invoke(main, ["solve", "--areas", "16", "--out", str(tmp_path / "x"), "--lock", "Thames=A"])
    assert r.exit_code == 2 and "ambiguous" in r.output and not (tmp_path / "x").exists()


# ------------------------------------------------------------------ user boundaries
def test_disconnected_boundaries_are_refused_at_load(tmp_path):
    import geopandas as gpd
    import shapely

    cells = {"A": shapely.box(0, 52, 0.1, 52.1), "B": shapely.box(0.1, 52, 0.2, 52.1),
             "ISLE": shapely.box(0.5, 52, 0.6, 52.1)}
    gpd.GeoDataFrame({"code": list(cells)}, geometry=list(cells.values()), crs=4326).to_file(tmp_path / "b.geojson")
    (tmp_path / "plan.csv").write_text("lad_code,area\nA,x\nB,x\nISLE,y\n")
    for cmd in (["evaluate", str(tmp_path / "plan.csv")], ["solve", "--areas", "1", "--out", str(tmp_path / "o")]):
        r = CliRunner().invoke(main, cmd + ["--boundaries", str(tmp_path / "b.geojson"), "--code-column", "code",
                                            "--value-model", "population"])
        assert r.exit_code == 2, r.output
        assert "2 separate pieces" in r.output and "ISLE touches no other unit" in r.output
        assert "--links" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()
