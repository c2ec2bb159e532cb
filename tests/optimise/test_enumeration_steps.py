"""Block level, exact devices: the hub branch and bound's lists, and the reduced-cost enumeration in
steps (iterative Delta), against brute force on small grids."""

from __future__ import annotations

import importlib
import random

import numpy as np
import pytest

from cpa.optimise import SolveOptions
from cpa.optimise.blocks import build_blocks
from cpa.optimise.costs import AreaCosts
from cpa.optimise.pricing import ConnectedSearch, Duals, Pricer
from cpa.rules import area_rules
from tests.conftest import grid_geography
from tests.optimise.test_exact_grid import GRID34, check_against_brute_force, random_values, rule_areas

engine_mod = importlib.import_module("cpa.optimise.engine")
solve_mod = importlib.import_module("cpa.optimise.solve")

GRID35 = ["AABBC", "ADBCC", "DDEEC"]
GRID44B = ["AABB", "ACBB", "CCDD", "CEDD"]


def hub_reduced_costs(ac: AreaCosts, pr: Pricer, h: int, duals: Duals,
                      areas: list[tuple[int, ...]]) -> dict[tuple[int, ...], float]:
    """Every area of ``areas`` (:func:`rule_areas`) holding hub h's block, with its hub-h reduced cost
    (by definition: travel to h, g of its value, w_S per PFA touched, minus the duals)."""
    hb = int(pr.hub_block[h])
    out = {}
    for area in areas:
        if hb not in area:
            continue
        value = float(ac.value[list(area)].sum())
        cost = float(ac.cost[list(area), h].sum()) + float(ac.objective.value_cost(value)) + ac.ws * len(ac.area_pfas(area))
        out[area] = cost - float(duals.pi[list(area)].sum()) - duals.mu
    return out


@pytest.mark.parametrize("mode", ["strict", "soft", "off"])
def test_hub_search_lists_exactly_the_areas_below_the_threshold(mode):
    """ConnectedSearch with ``collect_below=d`` lists every area of hub-h reduced cost <= d and no
    other, and without it finds the least (soft: the split term counted per PFA, not per block)."""
    geo, values = grid_geography(GRID34, random_values(3, 4, 5))
    opts = SolveOptions(k=3, coterminous=mode)
    rules = area_rules(opts, values.total)
    ac = AreaCosts(build_blocks(geo, values, opts, rules), geo, values, opts, rules)
    pr = Pricer(ac)
    areas = rule_areas(ac)
    rng = random.Random(7)
    for _ in range(6):
        duals = Duals(np.array([rng.uniform(0.0, 1.5) for _ in range(ac.n)]), rng.uniform(-1.0, 0.5))
        h = rng.randrange(pr.H)
        truth = hub_reduced_costs(ac, pr, h, duals, areas)
        least = min(truth.values())
        assert ConnectedSearch(pr, h, duals, np.ones(ac.n, bool)).solve(10.0).value == pytest.approx(least)
        d = float(np.quantile(list(truth.values()), 0.4))
        res = ConnectedSearch(pr, h, duals, np.ones(ac.n, bool)).solve(10.0, collect_below=d, known=set())
        assert res.status == "optimal"
        assert sorted(c.blocks for c in res.columns) == sorted(a for a, rc in truth.items() if rc <= d + 1e-9)


@pytest.mark.parametrize("layout,seed,k", [
    (GRID35, 19, 2),
    (GRID34, 8, 3),  # the 4x4 case's kind (K=3, new areas in the steps, LP gap ~40%) at 12 cells
    pytest.param(GRID44B, 4, 3, marks=pytest.mark.slow),  # 16 cells: brute force and solve ~4x dearer
])
def test_reduced_cost_enumeration_in_steps(monkeypatch, layout, seed, k):
    """With the seed enumeration and the local search off, the proof comes from the reduced-cost
    enumeration's steps: the proven optimum equals brute force, every bound logged on the way (each
    step's LP + (K-1) rho + d among them) is at most it, and more than one step ran."""
    monkeypatch.setattr(solve_mod, "ENUM_VISITS", 0)
    monkeypatch.setattr(engine_mod.Engine, "improve_incumbent", lambda self, *args, **kwargs: None)
    geo, values = grid_geography(layout, random_values(len(layout), len(layout[0]), seed))
    r = check_against_brute_force(geo, values, SolveOptions(k=k, coterminous="off", time_limit=60))
    steps = [e for e in r.report.iterations if e["event"] == "reduced-cost enumeration"]
    assert len(steps) >= 2 and all(s["complete"] for s in steps)
    assert [s["d"] for s in steps] == sorted(s["d"] for s in steps)
    step_bounds = [e for e in r.report.iterations if e["event"] == "bound" and "reduced cost <= d" in e["how"]]
    assert len(step_bounds) >= 2  # a rising bound before the last step, not only the final proof
