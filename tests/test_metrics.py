"""Scorecard metrics: hand-worked answers on grids, and facts of the real reference plans."""

import math

import pytest

from cpa.metrics import components, group_splits, hubs, scorecard
from cpa.render.text import render_scorecard
from cpa.plan import Plan, reference_plan
from tests.conftest import KM_PER_CELL, grid_geography


@pytest.fixture
def balanced():
    """::

        A A B     values  1 1 2
        A A B             1 2 2
        C C C             3 3 3

    Plan: X = groups A+B (value 9), Y = group C (value 9).
    """
    geo, vals = grid_geography(["AAB", "AAB", "CCC"], values=[[1, 1, 2], [1, 2, 2], [3, 3, 3]])
    plan = Plan({u: ("Y" if u.startswith("r2") else "X") for u in geo.codes}, {"X": "North", "Y": "South"})
    return geo, vals, plan


def test_hand_worked_scorecard(balanced):
    geo, vals, plan = balanced
    card = scorecard(plan, geo, vals)
    a = card.areas
    assert a.loc["X", "value_m"] * 1e6 == pytest.approx(9) and a.loc["Y", "share"] == pytest.approx(0.5)
    assert a.loc["X", "deviation"] == pytest.approx(0)
    # X's 1-median: r1c1 costs 2*sqrt2 + 2 + ... = 4 + 3*sqrt2 = 8.243 cells; the runner-up r0c1 costs 9.243
    assert a.loc["X", "hub"] == "r1c1" and a.loc["Y", "hub"] == "r2c1"
    assert a.loc["X", "mean_travel_km"] == pytest.approx((4 + 3 * math.sqrt(2)) / 9 * KM_PER_CELL, rel=1e-3)
    assert a.loc["X", "max_travel_km"] == pytest.approx(math.sqrt(2) * KM_PER_CELL, rel=1e-3)
    assert a.loc["Y", "mean_travel_km"] == pytest.approx(6 / 9 * KM_PER_CELL, rel=1e-3)
    # 2x3 rectangle: 4*pi*6/10^2; 1x3 strip: 4*pi*3/8^2
    assert a.loc["X", "polsby_popper"] == pytest.approx(4 * math.pi * 6 / 100, rel=1e-2)
    assert a.loc["Y", "polsby_popper"] == pytest.approx(4 * math.pi * 3 / 64, rel=1e-2)
    assert (a["pfas_whole"].tolist(), a["pfas_cut"].tolist()) == ([2, 1], [0, 0])
    s = card.summary
    assert s["pfas_split"] == 0 and s["value_ratio"] == pytest.approx(1) and s["value_cv"] == pytest.approx(0)
    assert s["mean_travel_km"] == pytest.approx((4 + 3 * math.sqrt(2) + 6) / 18 * KM_PER_CELL, rel=1e-3)
    assert s["all_contiguous"]


def test_split_and_fragments(balanced):
    geo, vals, _ = balanced
    # group A is cut: r1c0 and r1c1 go south
    plan = Plan({u: ("Y" if u.startswith("r2") or u in ("r1c0", "r1c1") else "X") for u in geo.codes})
    card = scorecard(plan, geo, vals)
    assert card.summary["pfas_split"] == 1 and card.summary["pfa_fragments"] == 1
    assert card.summary["value_share_in_split_pfas"] == pytest.approx(5 / 18)
    assert card.areas.loc["X", "pfas_cut"] == 1 and card.areas.loc["X", "pfas_whole"] == 1
    assert group_splits(plan, geo.pfa_of) == {"PA": 2}


def test_noncontiguous_reported_not_raised(balanced):
    geo, vals, _ = balanced
    plan = Plan({u: ("X" if u in ("r0c0", "r2c2") else "Y") for u in geo.codes})
    card = scorecard(plan, geo, vals)
    assert components(plan, geo) == {"X": 2, "Y": 1}
    assert not card.summary["all_contiguous"] and card.summary["noncontiguous_areas"] == ["X"]
    assert "2 pieces" in render_scorecard(card, "table")


def test_ferry_makes_island_contiguous(island_grid):
    geo, vals = island_grid
    plan = Plan({u: "all" for u in geo.codes})
    assert components(plan, geo) == {"all": 1}
    assert scorecard(plan, geo, vals).summary["all_contiguous"]


def test_floor_and_cap_flags(balanced):
    geo, vals, plan = balanced
    card = scorecard(plan, geo, vals, min_value_m=9.5e-6, max_share_pct=40)
    assert card.summary["areas_under_floor"] == ["X", "Y"] and card.summary["areas_over_cap"] == ["X", "Y"]


def test_trusts35_splits_no_pfa(geo, values):
    s = scorecard(reference_plan(geo, "trusts35"), geo, values).summary
    assert s["areas"] == 35 and s["pfas_split"] == 0 and s["trusts_split"] == 0 and s["all_contiguous"]


def test_crc21_contiguous_london_largest(geo, values):
    card = scorecard(reference_plan(geo, "crc21"), geo, values)
    assert card.summary["areas"] == 21 and card.summary["all_contiguous"]
    assert card.summary["largest_area"] == "C17" and card.areas.loc["C17", "area_name"] == "London"
    assert card.areas["share"].sum() == pytest.approx(1)
    assert card.areas["lads"].sum() == 318


def test_pfa43_hubs_inside_their_area(geo, values):
    plan = reference_plan(geo, "pfa43")
    for area, hub in hubs(plan, geo, values).items():
        assert plan.assignment[hub] == area


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown"])
def test_render_formats(geo, values, fmt):
    text = render_scorecard(scorecard(reference_plan(geo, "crc21"), geo, values), fmt)
    assert "London" in text
