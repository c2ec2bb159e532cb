"""Comparison of options and the K sweep: tables from scorecards, files, scenarios, CLI, a real browser.

Solver-heavy parts run on tiny grid geographies (solves well under a second);
the real geography is used only for reference plans, which need no solve.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cpa.cli import main
from cpa.cli.common import build_solve_options
from cpa.compare import (Option, commentary, compare, parse_k_values, read_scenario, reference_points, sweep,
                         sweep_results)
from cpa.compare.scenario import SCENARIO_SETTINGS
from cpa.compare.table import SUMMARY_COLUMNS, SWEEP_COLUMNS
from cpa.render.outputs import chosen_ks, option_dirs, write_comparison, write_sweep
from cpa.errors import CpaError, InfeasibleRequest
from cpa.metrics import scorecard
from cpa.optimise import SolveOptions, solve
from cpa.io import read_plan
from cpa.plan import Plan
from tests.conftest import grid_geography
from tests.render.test_maps import CHROMEDRIVER, CHROMIUM, area_collections, browser, png_size  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "compare_16_vs_35.toml"
CORPUS = Path(__file__).resolve().parent.parent / "bad_inputs"

#: Six groups ("PFAs") on a 4x5 grid; distinct values so optimal plans have no ties.
LAYOUT = ["AABBC", "AABBC", "DDEEC", "DDEEF"]
VALUES = [[3, 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9], [3, 2, 3, 8, 4]]


@pytest.fixture(scope="module")
def grid():
    geo, values = grid_geography(LAYOUT, [[v * 1e6 for v in row] for row in VALUES])
    return geo, values


def cli_defaults() -> dict:
    """The solve settings as the CLI passes them when no flag is given."""
    params = main.commands["compare"].make_context("compare", []).params
    return {k: v for k, v in params.items() if k in SCENARIO_SETTINGS}


def same(a, b, tol: float = 1e-12) -> bool:
    """Equal, treating None/NaN/<NA> as one missing value and floats to ``tol`` (JSON figures are rounded)."""
    if (a is None or a is pd.NA or (isinstance(a, float) and math.isnan(a))) and \
            (b is None or b is pd.NA or (isinstance(b, float) and math.isnan(b))):
        return True
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=tol, abs=tol)
    return a == b


def assert_rows_match_scorecards(table, geo, values, plans):
    """Every table row equals the summary of a scorecard computed afresh for that option's plan."""
    assert list(table["name"]) == list(plans)
    for _, row in table.iterrows():
        fresh = scorecard(plans[row["name"]], geo, values).summary
        for col in SUMMARY_COLUMNS:
            assert same(row[col], fresh[col]), (row["name"], col, row[col], fresh[col])


# ---------------------------------------------------------------- compare
@pytest.fixture(scope="module")
def ref_result(geo, values):
    return compare([Option.reference("trusts35"), Option.reference("crc21")], geo, values)


def test_reference_rows_equal_their_scorecards(ref_result, geo, values):
    t = ref_result.table
    assert list(t["kind"]) == ["reference"] * 2 and list(t["status"]) == ["reference"] * 2
    assert t["gap"].isna().all() and t["solve_seconds"].isna().all()
    assert list(t["areas"]) == [35, 21] and ref_result.reports == {"trusts35": None, "crc21": None}
    plans = {n: read_plan(n, geo) for n in ("trusts35", "crc21")}
    assert_rows_match_scorecards(t, geo, values, plans)
    for name, plan in plans.items():
        assert ref_result.plans[name].same_partition(plan)
        assert ref_result.cards[name].summary["plan"] == name


def test_commentary_is_computed_from_the_numbers(ref_result):
    t = ref_result.table.set_index("name")
    notes = commentary(ref_result, 35)
    text = "\n".join(notes)
    assert "every option keeps all of 35 trusts whole" in text
    lo = t["value_cv"].idxmin()
    assert f"Balance: {lo} is the most even (value CV {t.at[lo, 'value_cv']:.2f}" in text
    a, b = t.at["crc21", "mean_travel_km"], t.at["trusts35", "mean_travel_km"]
    assert f"crc21 (21 areas) raises value-weighted mean travel to the hub to {a:.1f} km from {b:.1f} km" in text
    assert f"{a - b:+.1f} km" in text and "14 fewer contracts" in text
    smallest = ref_result.cards["trusts35"].areas["value_m"].min()
    assert f"trusts35 £{smallest:,.1f}m" in text


def test_solved_and_file_options_on_a_grid(grid, tmp_path):
    geo, values = grid
    halves = Plan({u: ("W" if int(u.split("c")[1]) < 2 else "E") for u in geo.units.index}, label="halves")
    path = tmp_path / "halves.csv"
    halves.to_frame().to_csv(path, index=False)
    said = []
    options = [Option.solved(2, time_limit=20), Option.solved(SolveOptions(k=4, time_limit=20), name="four"),
               Option.reference(path)]
    res = compare(options, geo, values, progress=said.append)
    t = res.table
    assert list(t["name"]) == ["K=2", "four", "halves"]
    assert list(t["kind"]) == ["solved", "solved", "reference"]
    assert_rows_match_scorecards(t, geo, values, res.plans)
    for name in ("K=2", "four"):
        rep = res.reports[name]
        row = t.set_index("name").loc[name]
        assert row["status"] == rep.status == "optimal" and row["gap"] == rep.gap
        assert row["solve_seconds"] == rep.wall_seconds
        direct = solve(geo, values, SolveOptions(k=row["areas"], time_limit=20))
        assert direct.plan.same_partition(res.plans[name])  # deterministic: the same plan as a plain solve
    assert res.reports["halves"] is None and t.iloc[2]["status"] == "reference"
    assert len(said) == 5  # start and end of each solve, one line for the plan file


def test_infeasible_option_is_named(grid):
    geo, values = grid
    with pytest.raises(InfeasibleRequest, match=r"option 'K=9': 9 areas asked for, but there are only 6"):
        compare([Option.solved(9)], geo, values)


def test_option_validation():
    with pytest.raises(CpaError, match="either a plan .* or a solve, not both"):
        Option("x", plan="crc21", solve=SolveOptions(k=3))
    with pytest.raises(CpaError, match="not neither"):
        Option("x")
    with pytest.raises(CpaError, match="repeated: K=3"):
        compare([Option.solved(3), Option.solved(3)], None, None)
    with pytest.raises(CpaError, match="nothing to compare"):
        compare([], None, None)
    assert option_dirs(["K=16", "K 16", "../etc", "ok"]) == {"K=16": "K_16", "K 16": "K_16_2", "../etc": "etc",
                                                             "ok": "ok"}


# ----------------------------------------------------------- written files
@pytest.fixture(scope="module")
def written(ref_result, geo, values, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    paths = write_comparison(ref_result, geo, values, out, title="Trusts or CRCs?")
    return out, paths


@pytest.mark.slow  # the full comparison set with figures and report
def test_written_comparison_is_complete(written, ref_result):
    out, paths = written
    names = sorted(str(p.relative_to(out)) for p in paths)
    assert names == sorted(["comparison.csv", "comparison.md", "report.html", "map.html", "values.png",
                            "travel.png", "trusts35/plan.csv", "trusts35/plan.geojson", "crc21/plan.csv",
                            "crc21/plan.geojson"])
    assert paths[-1].name == "report.html"
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    csv = pd.read_csv(out / "comparison.csv")
    assert list(csv.columns) == list(ref_result.table.columns)
    for col in SUMMARY_COLUMNS:
        for a, b in zip(csv[col], ref_result.table[col]):
            assert same(float(a) if isinstance(a, (int, float)) and not isinstance(a, bool) else a,
                        float(b) if isinstance(b, (int, float)) and not isinstance(b, bool) else b), col
    notes = commentary(ref_result, 35)
    md = (out / "comparison.md").read_text()
    assert md.startswith("# Trusts or CRCs?") and all(f"- {n}" in md for n in notes)
    assert "| trusts35 | reference | 35 |" in md
    report = (out / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>") and report.rstrip().endswith("</html>")
    assert "<table class=\"cmp\" id=\"comparison\">" in report
    for n in notes:
        assert n.replace("&", "&amp;").replace("'", "&#x27;") in report
    assert report.count("data:image/png;base64,") == 2
    # the map is in the page itself, every option a layer; no frame, nothing fetched
    assert "<iframe" not in report and '<div class="cpa-mapwrap" id="map">' in report
    assert [len(c["features"]) for c in area_collections(report)] == [35, 21]
    assert "Leaflet 1.9.4" in report and "html, body {" not in report  # folium's page-wide styles left out
    assert not re.findall(r"""<(?:script|link|img|iframe)[^>]*(?:src|href)\s*=\s*["']?(?:https?:)?//""", report)
    assert '<ul class="sources" id="sources">' in report and "Open Government Licence v3.0" in report
    for png in ("values.png", "travel.png"):
        w, h = png_size(out / png)
        assert w > 900 and h > 500
    assert [len(c["features"]) for c in area_collections((out / "map.html").read_text())] == [35, 21]
    assert pd.read_csv(out / "crc21" / "plan.csv")["area"].nunique() == 21
    assert len(json.loads((out / "trusts35" / "plan.geojson").read_text())["features"]) == 35


@pytest.mark.slow  # the full comparison set with figures and report
def test_solved_options_get_run_json(grid, tmp_path):
    geo, values = grid
    res = compare([Option.solved(3, time_limit=20), Option.solved(5, time_limit=20)], geo, values)
    paths = write_comparison(res, geo, values, tmp_path)
    for name, folder in (("K=3", "K_3"), ("K=5", "K_5")):
        run = json.loads((tmp_path / folder / "run.json").read_text())
        assert run["status"] == "optimal" and run["options"]["k"] == res.table.set_index("name").at[name, "areas"]
        for col in SUMMARY_COLUMNS:
            assert same(run["scorecard"][col], res.cards[name].summary[col], tol=1e-3), col
    assert (tmp_path / "K_3" / "plan.csv") in paths
    assert "K=5 is proven optimal" in (tmp_path / "report.html").read_text()


@pytest.mark.slow  # renders the comparison figures
def test_nothing_is_written_when_rendering_fails(ref_result, geo, values, tmp_path, monkeypatch):
    import cpa.render.outputs as mod

    def boom(result):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(mod, "travel_figure", boom)
    with pytest.raises(RuntimeError, match="figure failed"):
        write_comparison(ref_result, geo, values, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ sweep
@pytest.mark.slow  # a local Dask cluster
def test_sweep_in_parallel_is_ordered_and_reports_infeasible_k(grid):
    geo, values = grid
    seen = []
    df = sweep([7, 1, 3, 2], SolveOptions(k=1, time_limit=20), geo, values, jobs=2,
               progress=lambda row, done, n: seen.append((row["K"], done, n)))
    assert list(df.columns) == list(SWEEP_COLUMNS)
    assert list(df["K"]) == [1, 2, 3, 7]
    assert sorted(k for k, _, _ in seen) == [1, 2, 3, 7] and [d for _, d, _ in seen] == [1, 2, 3, 4]
    assert list(df["status"]) == ["optimal"] * 3 + ["infeasible"]
    bad = df.iloc[3]
    assert "7 areas asked for, but there are only 6 blocks" in bad["reason"] and pd.isna(bad["objective"])
    assert df.iloc[:3]["reason"].isna().all()
    direct = solve(geo, values, SolveOptions(k=3, time_limit=20))
    assert df.iloc[2]["objective"] == pytest.approx(direct.report.objective, rel=1e-9)


def test_sweep_rows_are_the_solve_report_and_scorecard(grid):
    geo, values = grid
    base = SolveOptions(k=1, min_value_m=30, time_limit=20)  # the grid is worth £97m: 4 x £30m cannot be
    df = sweep([2, 4, 1], base, geo, values, jobs=1)
    assert list(df["K"]) == [1, 2, 4]
    row4 = df.iloc[2]
    assert row4["status"] == "infeasible" and "floor" in row4["reason"] and "lower --min-value" in row4["reason"]
    for i, k in ((0, 1), (1, 2)):
        r = solve(geo, values, SolveOptions(k=k, min_value_m=30, time_limit=20))
        row = df.iloc[i]
        assert row["status"] == r.report.status and row["plan_hash"] == r.report.plan_hash
        assert row["term_travel_km"] == pytest.approx(r.report.terms["travel_km"])
        for col in SUMMARY_COLUMNS:
            assert same(row[col], r.scorecard.summary[col]), col
        assert row["value_min_m"] >= 30 - 1e-9


def test_a_stopped_sweep_keeps_what_finished(grid):
    """A stop during a sweep: the K that finished keeps its plan, the others are ``not_run`` rows."""
    import threading

    geo, values = grid
    stop = threading.Event()

    def progress(row, done, n):
        stop.set()  # as if Ctrl-C came while the first K was being written

    df, results = sweep_results([2, 1, 3], SolveOptions(k=1, time_limit=20), geo, values, jobs=1,
                                progress=progress, stop=stop)
    assert list(df["K"]) == [1, 2, 3]
    assert list(df["status"]) == ["optimal", "not_run", "not_run"]
    assert list(results) == [1] and df["reason"].iloc[1].startswith("the sweep was stopped")


def test_a_stopped_comparison_names_what_did_not_run(grid):
    import threading

    geo, values = grid
    stop = threading.Event()
    opts = [Option("K=1", solve=SolveOptions(k=1, time_limit=20)), Option("K=2", solve=SolveOptions(k=2, time_limit=20)),
            Option("K=3", solve=SolveOptions(k=3, time_limit=20))]

    def progress(line):
        if line.startswith("[2/3] K=2: optimal"):
            stop.set()  # Ctrl-C as the first solve ends

    res = compare(opts, geo, values, progress=progress, stop=stop)
    assert res.interrupted and res.not_run == ["K=3"]
    assert list(res.plans) == ["K=1", "K=2"] and res.reports["K=2"].status == "optimal"
    assert list(res.table["name"]) == ["K=1", "K=2"]


@pytest.mark.slow  # the sweep's figures (PNG)
def test_write_sweep_files(grid, tmp_path):
    geo, values = grid
    df, results = sweep_results([1, 2, 3, 8], SolveOptions(k=1, time_limit=20), geo, values, jobs=1)
    assert sorted(results) == [1, 2, 3]  # K=8 is infeasible: a row, no plan
    refs = pd.DataFrame([{"name": "rows", "K": 4, **scorecard(
        Plan({u: u.split("c")[0] for u in geo.units.index}), geo, values).summary}])
    paths = write_sweep(df, tmp_path, refs, results=results, geo=geo, values=values, map_ks=(2, 3, 16))
    names = sorted(str(p.relative_to(tmp_path)) for p in paths)
    assert names == sorted(["sweep.csv", "references.csv", "sweep_travel.png", "sweep_balance.png",
                            "sweep_smallest.png", "sweep_splits.png", "sweep_market.png", "sweep_solve.png",
                            "sweep_maps.png"]
                           + [f"k{k}/{f}" for k in (1, 2, 3) for f in ("plan.csv", "plan.geojson", "run.json")])
    for k, result in results.items():  # each K's files are its solve's plan and report
        back = read_plan(str(tmp_path / f"k{k}" / "plan.csv"), geo)
        assert back.same_partition(result.plan) and back.names == result.plan.names
        run = json.loads((tmp_path / f"k{k}" / "run.json").read_text())
        assert run["plan_hash"] == df.set_index("K").at[k, "plan_hash"] and run["label"].startswith(f"{k} area")
        assert [a["name"] for a in run["areas"]] == [result.plan.name(a) for a in sorted(result.plan.areas)]
    w, h = png_size(tmp_path / "sweep_maps.png")
    assert w > 700 and h > 500
    assert chosen_ks(results, (16, 21)) == [1, 2, 3] and chosen_ks(results, (3, 16)) == [3]
    back = pd.read_csv(tmp_path / "sweep.csv")
    assert list(back["K"]) == [1, 2, 3, 8] and list(back["status"])[-1] == "infeasible"
    assert back["mean_travel_km"].iloc[:3].tolist() == pytest.approx(df["mean_travel_km"].iloc[:3].tolist())
    for p in paths:
        if p.suffix == ".png":
            w, h = png_size(p)
            assert w > 800 and h > 500


def test_reference_points_are_the_reference_scorecards(ref_result, geo, values):
    refs = reference_points(geo, values)
    assert list(refs["name"]) == ["trusts35", "crc21", "regions12"] and list(refs["K"]) == [35, 21, 12]
    for name in ("trusts35", "crc21"):
        row = refs.set_index("name").loc[name]
        for col in SUMMARY_COLUMNS:
            assert same(row[col], ref_result.cards[name].summary[col]), col


@pytest.mark.parametrize("spec,ks", [("6-43", list(range(6, 44))), ("1,3-5", [1, 3, 4, 5]),
                                     (["12", "35,16", "16"], [12, 16, 35]), (" 7 - 9 ", [7, 8, 9])])
def test_parse_k_values(spec, ks):
    assert parse_k_values(spec) == ks


@pytest.mark.parametrize("spec", ["43-6", "a", "0-3", "6-", "1,,2"])
def test_parse_k_values_rejects(spec):
    with pytest.raises(CpaError, match="--areas"):
        parse_k_values(spec)


# -------------------------------------------------------------- scenarios
def test_example_scenario_builds_the_options():
    sc = read_scenario(EXAMPLE)
    assert [o.name for o in sc.options] == ["K=16", "K=16 Wales whole", "K=35", "trusts35", "crc21"]
    assert sc.title and sc.out == "compare_16_vs_35" and sc.defaults["time_limit"] == 120
    defaults = cli_defaults()
    opts = sc.build(build_solve_options, base=defaults)
    assert [o.kind for o in opts] == ["solved"] * 3 + ["reference"] * 2
    k16, wales, k35, trusts, crc = opts
    assert (k16.solve.k, k16.solve.time_limit, k16.solve.keep_whole) == (16, 300.0, ())
    assert (wales.solve.k, wales.solve.keep_whole) == (16, ("Wales",))
    assert (k35.solve.k, k35.solve.time_limit, k35.solve.coterminous) == (35, 60.0, "strict")
    assert (trusts.plan, crc.plan) == ("trusts35", "crc21")
    quick = sc.build(build_solve_options, base=defaults, override={"time_limit": 5.0})
    assert [o.solve.time_limit for o in quick[:3]] == [5.0] * 3  # command-line flags win


def test_scenario_settings_are_the_solve_flags():
    from cpa.options import MARKET_SETTINGS, options_from_settings

    params = set(inspect.signature(options_from_settings).parameters) - {"k", "market"} | set(MARKET_SETTINGS)
    assert set(SCENARIO_SETTINGS) == params
    # and every one is a flag of cpa solve (dashes for underscores)
    flags = {p.name for p in main.commands["solve"].params}
    assert set(SCENARIO_SETTINGS) <= flags


def test_scenario_paths_and_values(tmp_path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "mine.csv").write_text("lad_code,area\n")
    f = tmp_path / "s.toml"
    f.write_text('[defaults]\nmin_value = 20\nlock = { E06000046 = "South" }\n'
                 '[[option]]\nareas = 12\nkeep-whole = "Wales"\n[[option]]\nreference = "plans/mine.csv"\n')
    sc = read_scenario(f)
    assert sc.defaults == {"min_value": 20.0, "lock": ("E06000046=South",)}
    assert sc.options[0].name == "K=12" and sc.options[0].settings == {"keep_whole": ("Wales",)}
    assert sc.options[1].name == "mine" and sc.options[1].reference == str(tmp_path / "plans" / "mine.csv")


@pytest.mark.parametrize("text,message", [
    (None, r"scenario file not found: .*nope\.toml"),
    ('title = "x"\n[[option]\nareas = 3\n', r"is not valid TOML: .*line 2"),
    ('[[option]]\nareas = 3\ntimelimit = 5\n', r"unknown key 'timelimit' in option 1\n  hint: did you mean "
                                               r"'time-limit'\?"),
    ('[[options]]\nareas = 3\n', r"unknown key 'options' in the top level\n  hint: did you mean 'option'\?"),
    ('[defaults]\nw-travle = 2\n[[option]]\nareas = 3\n', r"unknown key 'w-travle' in \[defaults\]"),
    ('[[option]]\nareas = 3\nreference = "crc21"\n', r"needs exactly one of areas = K or reference = PLAN, it has both"),
    ('[[option]]\nname = "x"\n', r"option 1 \('x'\) needs exactly one .* neither"),
    ('[[option]]\nreference = "crc21"\ntime-limit = 9\n', r"is an existing plan, so solve settings \(time-limit\)"),
    ('[[option]]\nareas = "16"\n', r"areas should be a whole number"),
    ('[[option]]\nareas = 16\ntime-limit = "long"\n', r"time-limit in option 1 should be a number, got 'long'"),
    ('[[option]]\nareas = 16\nkeep-whole = [1]\n', r"keep-whole in option 1 should be a list of text"),
    ('title = "no options"\n', r"has no options"),
    ('[[option]]\nareas = 3\n[[option]]\nareas = 3\n', r"option names must be unique; repeated: K=3"),
])
def test_bad_scenarios_are_one_clear_error(tmp_path, text, message):
    f = tmp_path / "nope.toml"
    if text is not None:
        f.write_text(text)
    with pytest.raises(CpaError, match=message):
        read_scenario(f)


def test_scenario_value_errors_name_the_option(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[[option]]\nname = "bad"\nareas = 3\ntime-limit = -1\n')
    sc = read_scenario(f)
    with pytest.raises(CpaError, match=r"option 'bad': --time-limit must be a positive number"):
        sc.build(build_solve_options, base=cli_defaults())


# -------------------------------------------------------------------- CLI
@pytest.mark.slow  # the full comparison set with figures and report
def test_cli_compare_references(tmp_path):
    out = tmp_path / "cmp"
    r = CliRunner().invoke(main, ["compare", "--reference", "trusts35", "--reference", "crc21", "--out", str(out),
                                  "--min-value", "5"])
    assert r.exit_code == 0, r.output
    assert re.search(r"trusts35\s+reference\s+35", r.output) and "- Smallest contract: trusts35 £" in r.output
    assert "trusts35 has 8 areas under the £5.0m floor" in r.output  # --min-value flags the existing plans
    assert (out / "report.html").exists() and (out / "crc21" / "plan.geojson").exists()
    assert f"open {out / 'report.html'}" in r.output


@pytest.mark.slow  # the full comparison set with figures and report
def test_cli_compare_scenario_with_references_and_title(tmp_path):
    f = tmp_path / "refs.toml"
    f.write_text('title = "Old plans"\n[[option]]\nreference = "regions12"\n[[option]]\nname = "CRCs"\n'
                 'reference = "crc21"\n')
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["compare", "--scenario", str(f), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "<title>Old plans</title>" in (out / "report.html").read_text()
    assert list(pd.read_csv(out / "comparison.csv")["name"]) == ["regions12", "CRCs"]


@pytest.mark.parametrize("args,message", [
    (["compare"], "nothing to compare"),
    (["compare", "--scenario", "missing.toml"], "scenario file not found: missing.toml"),
    (["compare", "--scenario", str(EXAMPLE), "--areas", "16"], "either --scenario or --areas/--reference"),
    (["compare", "--reference", "crc22"], "'crc22' is neither a reference plan nor a file"),
    (["sweep", "--areas", "9-6"], "is not a range of K >= 1"),
])
def test_cli_compare_and_sweep_errors_are_one_message(tmp_path, args, message):
    r = CliRunner().invoke(main, args + ["--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_cli_bad_toml_is_one_message(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[[option]]\nareas = 16\ntime-limit = \n")
    r = CliRunner().invoke(main, ["compare", "--scenario", str(f), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and r.output.count("cpa: error:") == 1
    assert f"scenario {f} is not valid TOML" in r.output and "Traceback" not in r.output


@pytest.mark.slow  # a sweep with its figures
def test_cli_sweep_on_a_user_geography(tmp_path):
    out = tmp_path / "sw"
    r = CliRunner().invoke(main, ["sweep", "--areas", "1-3", "--boundaries", str(CORPUS / "grid.geojson"),
                                  "--code-column", "code", "--pfa-column", "pfa", "--values",
                                  str(CORPUS / "values.csv"), "--jobs", "1", "--time-limit", "20", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert re.search(r"\[\d/3\] K=1: optimal  gap 0\.00%", r.output)
    assert re.search(r"K=3: infeasible .*3 areas asked for, but there are only 2 blocks", r.output)
    df = pd.read_csv(out / "sweep.csv")
    assert list(df["K"]) == [1, 2, 3] and list(df["status"]) == ["optimal", "optimal", "infeasible"]
    assert not (out / "references.csv").exists()  # a user geography has no reference plans
    assert sorted(p.name for p in out.glob("k*")) == ["k1", "k2"] and (out / "sweep_maps.png").exists()


# ---------------------------------------------------------------- browser
@pytest.mark.browser
def test_map_and_report_open_in_headless_chromium(browser, written):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out, _ = written
    d = browser
    d.get_log("browser")  # drop anything logged by earlier pages
    count = "return document.querySelectorAll(arguments[0]).length"
    d.get((out / "map.html").resolve().as_uri())
    WebDriverWait(d, 20).until(lambda drv: drv.execute_script(count, "path.cpa-area") == 35)  # trusts35 shown
    assert d.execute_script(count, ".leaflet-control-layers-base input") == 2
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe

    d.get((out / "report.html").resolve().as_uri())
    WebDriverWait(d, 20).until(lambda drv: drv.execute_script(count, "path.cpa-area") == 35)
    imgs = d.execute_script("return Array.from(document.images).map(i => i.complete && i.naturalWidth)")
    assert len(imgs) == 2 and all(w and w > 900 for w in imgs)
    assert d.execute_script(count, "#comparison tbody tr") == 2
    assert d.execute_script("return document.querySelector('.cpa-mapwrap').offsetHeight") > 500
    # every option's layer shows when chosen, with all its areas numbered
    radios = d.find_elements(By.CSS_SELECTOR, ".cpa-mapwrap .leaflet-control-layers-base input")
    assert len(radios) == 2
    for radio, k in zip(radios[::-1], (21, 35)):
        radio.click()
        WebDriverWait(d, 10).until(lambda drv: drv.execute_script(count, "path.cpa-area") == k
                                   and drv.execute_script(count, ".cpa-label-num") == k)
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
