"""The market measures and rules end to end through the CLI (issue 13): the scorecard's fields in every
format against :mod:`cpa.market` directly, the rules in solved plans and run.json, impossible
combinations exit 3 naming the rule with numbers, bad parameters exit 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpa.cli import main
from cpa.market import MarketModel

CORPUS = Path(__file__).resolve().parent.parent / "bad_inputs"
#: Four LADs (£10m, £20m, £30m, £40m; PFAs {U00, U10} and {U01, U11}) in a 2x2 square.
GRID = ["--boundaries", str(CORPUS / "grid.geojson"), "--code-column", "code", "--name-column", "name",
        "--pfa-column", "pfa", "--values", str(CORPUS / "values.csv")]
AREA_FIELDS = ("pbr_cohort", "pbr_detectable_pts", "expected_bidders", "thin_risk", "small_lot")


def run(args):
    r = CliRunner().invoke(main, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r


def check_area(model: MarketModel, total_m: float, value_m: float, fields: dict, rel: float = 1e-4) -> None:
    """One area's market fields (numbers, or text from CSV) against the model's formulas."""
    num = lambda k: float(fields[k])  # noqa: E731
    assert num("pbr_cohort") == pytest.approx(model.pbr_cohort * value_m / total_m, rel=rel)
    assert num("pbr_detectable_pts") == pytest.approx(
        model.detectable_change(model.pbr_cohort * value_m / total_m), rel=rel)
    assert num("expected_bidders") == pytest.approx(model.expected_bidders(value_m), rel=rel)
    assert num("thin_risk") == pytest.approx(model.thin_risk(value_m), rel=rel, abs=1e-6)
    assert str(fields["small_lot"]).lower() in (("true", "yes") if value_m <= model.small_lot_value_m else ("false", "no"))


MARKET_ARGS = ["--pbr-cohort", "90000", "--pbr-baseline", "0.4", "--pbr-design", "baseline", "--bidders-max", "5",
               "--bidders-scale", "15", "--bidders-offset", "1", "--small-lot-value", "14"]
MODEL = MarketModel(pbr_cohort=90000, pbr_baseline=0.4, pbr_design="baseline", bidders_max=5, bidders_scale=15,
                    bidders_offset=1, small_lot_value_m=14)


def test_evaluate_json_carries_every_market_field():
    r = run(["evaluate", "crc21", "--format", "json", "--pbr-detect", "3", "--small-lots", "4", *MARKET_ARGS])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    s, areas = doc["summary"], doc["areas"]
    total = s["total_value_m"]
    for a in areas:
        check_area(MODEL, total, a["value_m"], a)
        assert a["below_pbr_detect"] == (a["value_m"] < MODEL.value_to_detect(3, total))
    mdc = {a["area"]: a["pbr_detectable_pts"] for a in areas}
    assert s["pbr_detectable_max_pts"] == pytest.approx(max(mdc.values()), rel=1e-4)
    assert s["pbr_worst_area"] == max(mdc, key=mdc.get)
    assert s["thin_risk_sum"] == pytest.approx(sum(MODEL.thin_risk(a["value_m"]) for a in areas), rel=1e-4)
    n_small = sum(a["value_m"] <= 14 for a in areas)
    assert s["small_lots"] == n_small and 0 < n_small < 21
    assert s["pbr_detect_value_m"] == pytest.approx(MODEL.value_to_detect(3, total), rel=1e-4)
    assert s["pbr_detect_holds"] is False and s["areas_below_pbr_detect"]
    assert s["small_lots_required"] == 4 and s["small_lots_holds"] == (n_small >= 4)
    assert s["market"]["pbr_design"] == "baseline" and s["market"]["small_lot_value_m"] == 14


def test_evaluate_csv_markdown_and_table_carry_the_market_fields():
    r = run(["evaluate", "trusts35", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 35
    total = sum(float(row["value_m"]) for row in rows)
    for row in rows:
        check_area(MarketModel(), total, float(row["value_m"]), row, rel=1e-3)
    md = run(["evaluate", "trusts35", "--format", "markdown"]).stdout
    assert "detectable" in md and "P(≤1 bid)" in md and "small lots" in md.lower()
    table = run(["evaluate", "trusts35"]).stdout
    assert "Market: largest detectable change in reoffending" in table and "expected lots with at most one bid" in table


def test_solve_small_lots_on_a_grid_and_run_json(tmp_path):
    """Off, K=2: without the rule the best plan pairs the columns (£40m/£60m); at least one small lot
    (<= £12m) forces U00 alone."""
    out = tmp_path / "o"
    r = run(["solve", "--areas", "2", "--coterminous", "off", "--small-lots", "1", "--w-thin", "1", "--out", str(out),
             *GRID])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "run.json").read_text())
    assert doc["status"] == "optimal"
    assert doc["options"]["small_lots"] == 1 and doc["options"]["market"]["small_lot_value_m"] == 12
    assert doc["weights"]["thin"] == 1 and doc["options"]["weights"]["thin"] == 1
    summary = doc["scorecard"]  # run.json carries the plan's summary; the areas' fields are in plan.geojson
    assert summary["small_lots"] == 1 and summary["small_lots_holds"] is True and summary["small_lots_required"] == 1
    assert summary["thin_risk_sum"] == pytest.approx(MarketModel().thin_risk(10) + MarketModel().thin_risk(90), rel=1e-5)
    areas = [f["properties"] for f in json.loads((out / "plan.geojson").read_text())["features"]]
    assert sorted(a["value_m"] for a in areas) == [10, 90]
    for a in areas:
        check_area(MarketModel(), 100.0, a["value_m"], a)
    terms = doc["terms"]
    assert terms["thin_risk_sum"] == pytest.approx(sum(MarketModel().thin_risk(v) for v in (10, 90)), rel=1e-5)
    assert terms["value_above_small_m"] == pytest.approx(78.0)
    assert set(terms) >= {"pbr_detectable_pts", "thin_risk_sum", "value_above_small_m"}


@pytest.mark.parametrize("args,fragments", [
    (["--areas", "16", "--pbr-detect", "2"],
     ["16 areas cannot all reach £40.3m of £450.0m; at most 11 can", "--pbr-detect 2", "cohort of 9,669"]),
    (["--areas", "11", "--pbr-detect", "2"],
     ["11 areas cannot all reach £40.3m: £450.0m would allow 11, but with whole PFAs at most 10 can"]),
    (["--areas", "21", "--pbr-detect", "2", "--pbr-design", "baseline"],
     ["21 areas cannot all reach £20.2m", "with whole PFAs at most 18 can", "Metropolitan Police (£78.5m)",
      "baseline test needs a cohort of 4,842"]),
    (["--areas", "16", "--small-lots", "17"], ["--small-lots 17 asks for more small lots than the 16 areas"]),
    (["--areas", "16", "--small-lots", "16", "--coterminous", "off"],
     ["16 small lots of at most £12.0m hold at most £192.0m, less than the national total £450.0m"]),
    (["--areas", "40", "--small-lots", "39", "--small-lot-value", "5"],
     ["at most", "areas can be at or below £5.0m", "PFAs are worth £5.0m or less"]),
    (["--areas", "8", "--pbr-detect", "2", "--small-lots", "1"],
     ["--small-lots 1 cannot hold together with --pbr-detect 2 (£40.3m per area)",
      "above the £12.0m small-lot value"]),
    (["--areas", "30", "--small-lots", "22", "--max-share", "5", "--coterminous", "off"],
     ["22 small lots (at most £12.0m each) and 8 other areas (at most £22.5m each) hold at most £444.0m"]),
])
def test_impossible_market_requests_exit_3_naming_the_rule(tmp_path, args, fragments):
    r = run(["solve", *args, "--out", str(tmp_path / "never")])
    assert r.exit_code == 3, r.output
    for f in fragments:
        assert f in r.output, (f, r.output)
    assert "Traceback" not in r.output and not (tmp_path / "never").exists()


@pytest.mark.parametrize("args,message", [
    (["--pbr-baseline", "45"], "did you mean --pbr-baseline 0.45"),
    (["--pbr-design", "paired"], "paired"),
    (["--pbr-detect", "50"], "at least as large as the baseline rate"),
    (["--pbr-detect", "0.01"], "did you mean --pbr-detect 1"),
    (["--small-lot-value", "12000000"], "did you mean --small-lot-value 12"),
    (["--small-lots", "-1"], "--small-lots"),
    (["--bidders-scale", "0"], "--bidders-scale"),
    (["--w-thin", "-1"], "--w-thin"),
    (["--pbr-cohort", "1e300"], "--pbr-cohort must be at most 60000000"),
    (["--pbr-cohort", "nan"], "--pbr-cohort must be a finite number"),
    (["--bidders-max", "1e308"], "--bidders-max must be at most 1000"),
    (["--bidders-offset", "1e300"], "--bidders-offset must be at most 100000"),
])
def test_bad_market_options_exit_2(tmp_path, args, message):
    r = run(["solve", "--areas", "16", "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output


def test_map_popups_carry_the_market_measures(tmp_path):
    """Area a (U00 + U01) is £30m of £100m: cohort 32,400 of 108,000; a small lot at --small-lot-value 30."""
    out = tmp_path / "map.html"
    r = run(["map", str(CORPUS / "plan.csv"), "-o", str(out), "--small-lot-value", "30", "--color-by", "thin-risk",
             *GRID])
    assert r.exit_code == 0, r.output
    html = out.read_text().replace("\\u003c", "<").replace("\\u003e", ">")
    model = MarketModel(small_lot_value_m=30)
    mdc = model.detectable_change(32_400)
    assert f"PbR cohort</th><td>32,400 a year</td>" in html
    assert f"detectable change</th><td>{mdc:.2f} points</td>" in html
    assert f"expected bidders</th><td>{model.expected_bidders(30):.1f}</td>" in html
    assert f"P(at most one bid)</th><td>{model.thin_risk(30):.0%}</td>" in html
    assert "small lot</th><td>yes</td>" in html and "small lot</th><td>no</td>" in html
