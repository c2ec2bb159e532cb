"""Machine-readable output and determinism: ``--format json`` is one JSON document and nothing else
(even with hostile names and odd numbers), CSV reads back to the same numbers, and the same inputs
give byte-identical plans."""

from __future__ import annotations

import io
import json
import math
import re

import pandas as pd
import pytest

from tests.hostile.conftest import GRID, check_clean, cli

SOLVE = ["solve", "--areas", "3", *GRID, "--time-limit", "20"]


def strict_json(text: str):
    """Parse ``text`` as exactly one JSON document with no NaN or Infinity in it."""
    def no_constants(name):
        raise AssertionError(f"non-standard JSON number {name}")
    return json.loads(text, parse_constant=no_constants)


@pytest.mark.parametrize("args", [
    ["evaluate", "plan.csv", *GRID, "--format", "json"],
    ["evaluate", "plan.csv", *GRID, "--format", "json", "--min-value", "20", "--max-share", "50", "--max-value", "30"],
    [*SOLVE, "--format", "json", "--out", "o"],
    ["compare", "--reference", "plan.csv", "--areas", "2", *GRID, "--format", "json", "--out", "c"],
    ["sweep", "--areas", "1-4", "--jobs", "1", *GRID, "--format", "json", "--out", "s"],
], ids=["evaluate", "evaluate-flags", "solve", "compare", "sweep"])
@pytest.mark.slow  # every command end to end, sweep and compare included
def test_format_json_is_one_strict_document(work, args):
    r = cli(args)
    check_clean(r, 0)
    doc = strict_json(r.stdout)
    assert isinstance(doc, dict) and doc


def test_json_with_an_area_worth_nothing(work):
    """An area of value 0 makes max/min infinite: JSON says null, never Infinity or NaN."""
    (work / "v.csv").write_text((work / "values.csv").read_text().replace("U20,9e+06", "U20,0")
                                .replace("U21,1e+07", "U21,0"))
    r = cli(["evaluate", "plan.csv", *GRID[:-2], "--values", "v.csv", "--format", "json"])
    check_clean(r, 0)
    doc = strict_json(r.stdout)
    assert doc["summary"]["value_ratio"] is None and doc["summary"]["value_min_m"] == 0


def test_csv_reads_back_to_the_json_numbers(work):
    as_json = strict_json(cli(["evaluate", "plan.csv", *GRID, "--format", "json"]).stdout)
    r = cli(["evaluate", "plan.csv", *GRID, "--format", "csv"])
    check_clean(r, 0)
    frame = pd.read_csv(io.StringIO(r.stdout)).set_index("area")
    for row in as_json["areas"]:
        for key in ("value_m", "share", "mean_travel_km", "lads"):
            assert math.isclose(frame.loc[row["area"], key], row[key], rel_tol=1e-6, abs_tol=1e-3), key


def test_markdown_table_is_rectangular(work):
    r = cli(["evaluate", "plan.csv", *GRID, "--format", "markdown"])
    check_clean(r, 0)
    rows = [line for line in r.stdout.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 3 and len({len(re.findall(r"(?<!\\)\|", line)) for line in rows}) == 1


# ------------------------------------------------------------------ determinism
TIMING = {"wall_seconds", "build_seconds", "solve_seconds", "seconds", "first_plan_seconds", "created", "time"}


def without_timing(obj):
    if isinstance(obj, dict):
        return {k: without_timing(v) for k, v in obj.items() if k not in TIMING and not k.endswith("_seconds")}
    if isinstance(obj, list):
        return [without_timing(v) for v in obj]
    return obj


def test_same_solve_gives_byte_identical_plans(work):
    for out in ("a", "b"):
        check_clean(cli([*SOLVE, "--out", out, "--seed", "7"]), 0)
    for name in ("plan.csv", "plan.geojson"):
        assert (work / "a" / name).read_bytes() == (work / "b" / name).read_bytes(), name
    run_a, run_b = (json.loads((work / d / "run.json").read_text()) for d in ("a", "b"))
    assert without_timing(run_a) == without_timing(run_b)


def test_same_evaluate_gives_identical_output(work):
    outs = {fmt: {cli(["evaluate", "plan.csv", *GRID, "--format", fmt]).stdout for _ in range(2)}
            for fmt in ("table", "csv", "json", "markdown")}
    assert all(len(v) == 1 for v in outs.values())


def test_same_map_gives_the_same_page_up_to_element_ids(work):
    pages = []
    for name in ("m1.html", "m2.html"):
        check_clean(cli(["map", "plan.csv", *GRID, "-o", name]), 0)
        pages.append(re.sub(r"_[0-9a-f]{32}(?![0-9a-f])", "_ID", (work / name).read_text()))
    assert pages[0] == pages[1]


@pytest.mark.slow  # a sweep on a local Dask cluster
def test_same_sweep_gives_the_same_rows(work):
    frames = []
    for out in ("s1", "s2"):
        check_clean(cli(["sweep", "--areas", "1-3", "--jobs", "1", *GRID, "--out", out]), 0)
        frames.append(pd.read_csv(work / out / "sweep.csv").drop(columns=["seconds"]))
    pd.testing.assert_frame_equal(*frames)
