"""`cpa solve` end to end through click, on a user grid (fast) and on the embedded data."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpa.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "bad_inputs"
GRID = ["--boundaries", str(CORPUS / "grid.geojson"), "--code-column", "code", "--name-column", "name",
        "--pfa-column", "pfa", "--values", str(CORPUS / "values.csv")]


def run(args):
    r = CliRunner().invoke(main, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r


def test_solve_writes_plan_geojson_run_json_and_map(tmp_path):
    out = tmp_path / "out"
    r = run(["solve", "--areas", "2", "--coterminous", "off", "--out", str(out), "--map", *GRID])
    assert r.exit_code == 0, r.output
    assert "Proven optimal" in r.output and "2 areas over 4 LADs" in r.output
    assert sorted(p.name for p in out.iterdir()) == [".cpa-manifest.json", "map.html", "plan.csv", "plan.geojson", "run.json"]
    run_json = json.loads((out / "run.json").read_text())
    for key in ("solver", "solver_version", "options", "input_hash", "status", "objective", "bound", "gap",
                "terms", "wall_seconds", "first_plan_seconds", "iterations", "optimality_tolerance", "sizes",
                "formulation", "schema_version", "plan_hash", "scorecard"):
        assert key in run_json, key
    assert run_json["status"] == "optimal" and run_json["options"]["k"] == 2
    assert "HiGHS" in run_json["solver_version"]
    plan = (out / "plan.csv").read_text().splitlines()
    assert plan[0] == "lad_code,area,area_name" and len(plan) == 5
    assert len(json.loads((out / "plan.geojson").read_text())["features"]) == 2


def test_solve_with_cbc(tmp_path):
    r = run(["solve", "--areas", "2", "--solver", "cbc", "--out", str(tmp_path), *GRID])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "run.json").read_text())["solver"] == "cbc"


def test_failed_solve_keeps_earlier_outputs(tmp_path):
    assert run(["solve", "--areas", "2", "--out", str(tmp_path), *GRID]).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    r = run(["solve", "--areas", "9", "--out", str(tmp_path), *GRID])
    assert r.exit_code == 3 and "only" in r.output and "blocks to assign" in r.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_infeasible_writes_nothing(tmp_path):
    out = tmp_path / "never"
    r = run(["solve", "--areas", "16", "--max-share", "12", "--out", str(out)])
    assert r.exit_code == 3
    assert "Metropolitan Police alone is 17.4% of value" in r.output and "12% cap" in r.output
    assert not out.exists()


@pytest.mark.parametrize("args,message", [
    (["--lock", "E06000001"], "is not LAD=AREA"),
    (["--max-share", "150"], "percentage"),
    (["--min-value", "-3"], "--min-value must be a positive number"),
    (["--time-limit", "0"], "--time-limit must be a positive number"),
    (["--gap", "2"], "--gap is a fraction"),
    (["--keep-whole", "Atlantis"], "unknown --keep-whole group 'Atlantis'"),
    (["--start", "trusts36"], "neither a reference plan nor a file"),
])
def test_bad_solve_options(tmp_path, args, message):
    r = run(["solve", "--areas", "16", "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
