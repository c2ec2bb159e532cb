"""Each rule once: its pre-check, column check, monotone pruning test, pricing rows and scorecard flag."""

from __future__ import annotations

import numpy as np
import pytest

from cpa.errors import InfeasibleRequest
from cpa.metrics import scorecard
from cpa.optimise import SolveOptions
from cpa.optimise.blocks import build_blocks, check_feasibility
from cpa.optimise.costs import AreaCosts
from cpa.optimise.pricing import Duals, PricingModel, Pricer
from cpa.plan import Plan
from cpa.rules import (AreaFacts, Locks, MaxPfas, ShareCap, ValueCeiling, ValueFloor, area_rules,
                       scorecard_rules)
from tests.conftest import grid_geography

GRID = ["AABB", "AABB", "CCDD", "CCDD"]
VALUES = [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]


@pytest.fixture
def grid():
    return grid_geography(GRID, VALUES)


def test_area_checks_and_monotone_pruning():
    floor, ceiling, share, pfas = ValueFloor(10.0), ValueCeiling(20.0), ShareCap(0.25, 40.0), MaxPfas(2)
    locks = Locks((("a", "x"),))
    small, big = AreaFacts(5.0, 1), AreaFacts(25.0, 3, frozenset({"x", "y"}))
    assert not floor.area_ok(small) and floor.can_grow(small)  # a floor is not monotone
    assert floor.area_ok(big)
    assert ceiling.area_ok(small) and not ceiling.area_ok(big) and not ceiling.can_grow(big)
    assert share.cap == 10.0 and not share.can_grow(AreaFacts(10.5, 1))
    assert pfas.area_ok(small) and not pfas.can_grow(big)
    assert locks.area_ok(small) and not locks.can_grow(big)


def test_rules_from_options_in_one_place(grid):
    geo, values = grid
    opts = SolveOptions(k=2, coterminous="soft", min_value_m=5e-6, max_value_m=30e-6, max_share_pct=60, max_pfas=3,
                        keep_whole=("Group A",), locks=(("r0c0", "n"),))
    names = [type(r).__name__ for r in area_rules(opts, values.total)]
    assert names == ["KeepWhole", "Locks", "ValueFloor", "ValueCeiling", "ShareCap", "MaxPfas"]
    blocks = build_blocks(geo, values, opts)
    assert blocks.n == 16 - 3  # group A merged
    check_feasibility(blocks, geo, values, opts)


@pytest.mark.parametrize("opts,message", [
    (SolveOptions(k=2, min_value_m=25e-6), "floor"),
    (SolveOptions(k=4, max_value_m=12e-6), "Group D alone is 40.0% of value"),
    (SolveOptions(k=3, max_value_m=12e-6), "3 areas can hold at most"),
    (SolveOptions(k=4, max_share_pct=30), "Group D alone is 40.0% of value"),
    (SolveOptions(k=2, max_pfas=1), "cover at most 2 PFAs"),
])
def test_prechecks_name_the_rule(grid, opts, message):
    geo, values = grid
    with pytest.raises(InfeasibleRequest, match=message):
        check_feasibility(build_blocks(geo, values, opts), geo, values, opts)


def test_pricing_rows_keep_areas_within_the_rules(grid):
    """The hub's pricing MIP with duals that reward every block: the area it finds still meets the
    cap and the PFA limit, and it is connected."""
    geo, values = grid
    opts = SolveOptions(k=4, coterminous="off", max_value_m=12e-6, max_pfas=2)
    blocks = build_blocks(geo, values, opts)
    ac = AreaCosts(blocks, geo, values, opts)
    pricer = Pricer(ac)
    duals = Duals(np.full(ac.n, 100.0), 0.0)
    res = PricingModel(pricer, 0, duals, np.ones(ac.n, dtype=bool)).solve(10.0)
    assert res.status == "optimal" and res.columns
    best = min(res.columns, key=lambda c: pricer.reduced_cost(c, duals))
    facts = ac.facts(best.blocks)
    assert facts.value <= 12 + 1e-9 and facts.n_pfas <= 2
    assert pricer.connected(set(best.blocks))


def test_scorecard_flags_come_from_the_rules(grid):
    geo, values = grid
    plan = Plan({u: ("north" if u.startswith(("r0", "r1")) else "south") for u in geo.codes})
    card = scorecard(plan, geo, values, min_value_m=15e-6, max_share_pct=50, max_value_m=25e-6)
    s = card.summary
    assert s["areas_under_floor"] == ["north"] and s["areas_over_max_value"] == ["south"]
    assert s["areas_over_cap"] == ["south"] and s["min_value_m"] == pytest.approx(15e-6)
    flags = {"min_value_m", "areas_under_floor", "max_value_m", "areas_over_max_value", "max_share_pct",
             "areas_over_cap"}
    keys = [k for k in s if k in flags]
    assert keys == ["min_value_m", "areas_under_floor", "max_value_m", "areas_over_max_value", "max_share_pct",
                    "areas_over_cap"]
    assert list(card.areas["under_floor"]) == [True, False]
    assert [type(r).__name__ for r in scorecard_rules(15, 0.5, 25, 40.0)] == ["ValueFloor", "ValueCeiling",
                                                                             "ShareCap"]
