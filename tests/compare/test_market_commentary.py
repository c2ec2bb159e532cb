"""The market trade-off in the comparison table and the commentary of compare and sweep (issue 13):
the numbers are the scorecards' and :mod:`cpa.market`'s, and the words say which way each force pulls."""

from __future__ import annotations

import pandas as pd
import pytest

from cpa.compare import Option, commentary, compare
from cpa.compare.commentary import sweep_commentary
from cpa.market import MarketModel
from cpa.options import MarketParameters


@pytest.fixture(scope="module")
def three_references(geo, values):
    return compare([Option.reference("regions12"), Option.reference("crc21"), Option.reference("trusts35")],
                   geo, values)


def test_comparison_rows_carry_the_market_figures(three_references):
    t = three_references.table.set_index("name")
    for name, card in three_references.cards.items():
        model, areas = MarketModel(), card.areas
        assert t.at[name, "pbr_detectable_max_pts"] == pytest.approx(
            max(model.detectable_change_of_value(v, 450.0) for v in areas["value_m"]), rel=1e-4)
        assert t.at[name, "thin_risk_sum"] == pytest.approx(sum(model.thin_risk(v) for v in areas["value_m"]),
                                                            rel=1e-4)
        assert t.at[name, "small_lots"] == sum(v <= 12 for v in areas["value_m"])


def test_compare_commentary_says_the_trade_off_with_numbers(three_references):
    t = three_references.table.set_index("name")
    text = "\n".join(commentary(three_references, 35))
    few, many = t.loc["regions12"], t.loc["trusts35"]
    assert (f"Payment by results wants large areas: the smallest change in reoffending the worst area can detect is "
            f"{few['pbr_detectable_max_pts']:.1f} points for regions12 (12 areas) against "
            f"{many['pbr_detectable_max_pts']:.1f} for trusts35 (35 areas); a 2-point fall needs an area of £40.3m or more") in text
    assert "Competition wants areas above ~£20m" in text
    assert f"expected lots with at most one bid {few['thin_risk_sum']:.1f} for regions12 (12 areas) against " \
           f"{many['thin_risk_sum']:.1f} for trusts35 (35 areas)" in text
    assert (f"Smaller providers want areas under ~£12m: {int(few['small_lots'])} small lots for regions12 (12 areas) "
            f"against {int(many['small_lots'])} for trusts35 (35 areas)") in text


def test_compare_commentary_follows_the_market_parameters(geo, values):
    market = MarketParameters(pbr_design="baseline", small_lot_value_m=15)
    result = compare([Option.reference("crc21"), Option.reference("trusts35")], geo, values, market=market)
    text = "\n".join(commentary(result, 35))
    assert "a 2-point fall needs an area of £20.2m or more (baseline test, cohort 4,842)" in text
    assert "Smaller providers want areas under ~£15m" in text
    assert result.table.set_index("name").at["crc21", "small_lots"] == sum(
        v <= 15 for v in result.cards["crc21"].areas["value_m"])


def test_sweep_commentary_counts_and_compares_the_ends():
    df = pd.DataFrame({
        "K": [10, 16, 20, 35], "status": ["infeasible", "optimal", "not_run", "feasible"],
        "areas": [None, 16, None, 35], "pbr_detectable_max_pts": [None, 4.1, None, 7.3],
        "thin_risk_sum": [None, 1.3, None, 12.4], "small_lots": [None, 1, None, 22]})
    notes = sweep_commentary(df, None, 450.0)
    assert notes[0] == "4 values of K: 1 optimal, 1 feasible, 1 infeasible, 1 not run."
    text = "\n".join(notes)
    assert "4.1 points for K=16 against 7.3 for K=35" in text
    assert "expected lots with at most one bid 1.3 for K=16 against 12.4 for K=35" in text
    assert "1 small lot for K=16 against 22 for K=35" in text
