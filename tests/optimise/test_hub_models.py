"""The LAD-level hub models (:mod:`cpa.optimise.separator`) against brute force on a small grid.

For random duals, every bound a hub model gives (its LP with separator cuts, its exact MIP, and the
warm bound carried from the LP of *other* duals) must be at most the hub's true least reduced cost,
listed by brute force over every connected area holding the hub; the MIP must reach it.
"""

from __future__ import annotations

import numpy as np
import pytest

from cpa.optimise import SolveOptions
from cpa.optimise.blocks import build_blocks
from cpa.optimise.costs import AreaCosts
from cpa.optimise.pricing import Duals, Pricer
from cpa.optimise.separator import HubModel
from cpa.rules import area_rules
from tests.conftest import grid_geography
from tests.optimise.test_exact_grid import GRID34, random_values, rule_areas


def hub_minimum(ac: AreaCosts, h: int, duals: Duals, areas: list[tuple[int, ...]]) -> float:
    """The hub's least reduced cost with its travel measured to hub h, over every area of ``areas``
    (:func:`rule_areas`: every connected area that meets the rules) holding its block (brute force)."""
    hb = int(ac.hub_block[h])
    best = np.inf
    for area in areas:
        if hb not in area:
            continue
        cost = ac.cost_at(ac.cost[list(area), h].sum(), ac.value[list(area)].sum(), len(ac.area_pfas(area)))
        best = min(best, cost - float(duals.pi[list(area)].sum()) - duals.mu)
    return best


@pytest.mark.parametrize("mode,seed", [("soft", 3), ("off", 6), ("soft", 9)])
def test_hub_bounds_never_exceed_the_hub_minimum(mode, seed):
    geo, values = grid_geography(GRID34, random_values(3, 4, seed))
    opts = SolveOptions(k=3, coterminous=mode, time_limit=5)
    rules = area_rules(opts, values.total)
    ac = AreaCosts(build_blocks(geo, values, opts, rules), geo, values, opts, rules)
    pr = Pricer(ac)
    areas = rule_areas(ac)
    rng = np.random.default_rng(seed)
    scale = float(ac.cost.max())
    for h in range(0, ac.n, 3):
        model = HubModel(pr, h, list(range(ac.n)))
        before = Duals(rng.uniform(0, scale, ac.n), 0.0)
        model.set_duals(before)
        lp, _ = model.lp_bound()
        assert model.warm is not None  # the dual bound checked itself against the LP's objective
        assert abs(model.warm_bound(before) - lp) <= 1e-5 * max(1.0, abs(lp))
        for _ in range(3):
            after = Duals(before.pi + rng.normal(0, 0.3 * scale, ac.n), float(rng.normal(0, scale)))
            truth = hub_minimum(ac, h, after, areas)
            assert model.warm_bound(after) <= truth + 1e-7
            model.set_duals(after)
            lp_after, _ = model.lp_bound()
            res = model.exact(5.0)
            assert lp_after <= truth + 1e-7 and res.bound <= truth + 1e-7
            assert res.status == "optimal" and res.bound >= truth - 1e-5
            model.set_duals(before)
            model.lp_bound()
