"""The cheap Lagrangian of :mod:`cpa.optimise.ascent`: its sparse evaluation equals the engine's
dense knapsack bounds (:meth:`.Pricer.cheap_bounds` through :meth:`.Engine.lagrangian_bound`), its
subgradient is one, and the ascent climbs from the incumbent's duals."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cpa.optimise import SolveOptions
from cpa.optimise.ascent import CheapAscent
from cpa.optimise.blocks import build_blocks
from cpa.optimise.costs import AreaCosts
from cpa.optimise.engine import Engine
from cpa.optimise.pricing import Duals
from cpa.rules import area_rules
from tests.conftest import grid_geography
from tests.optimise.test_exact_grid import random_values

LAYOUT = ["AAABB", "AACBB", "CCCDD", "CEEDD"]


def engine_for(mode: str, seed: int, **kwargs) -> Engine:
    geo, values = grid_geography(LAYOUT, random_values(4, 5, seed))
    opts = SolveOptions(k=4, coterminous=mode, time_limit=5, **kwargs)
    rules = area_rules(opts, values.total)
    ac = AreaCosts(build_blocks(geo, values, opts, rules), geo, values, opts, rules)
    t = time.perf_counter()
    return Engine(ac, t0=t, deadline=t + 5)


def dense_value(engine: Engine, pi: np.ndarray) -> float:
    duals = Duals(pi, 0.0)
    return engine.lagrangian_bound(duals, engine.pricer.cheap_bounds(duals)[0])


@pytest.mark.parametrize("mode,seed,kwargs", [("soft", 1, {}), ("off", 2, {}), ("soft", 3, {"max_share_pct": 40}),
                                              ("off", 4, {"min_value_m": 1e-6})])
def test_sparse_value_equals_the_dense_knapsack_bounds(mode, seed, kwargs):
    engine = engine_for(mode, seed, **kwargs)
    ac = engine.ac
    ascent = CheapAscent(engine.pricer, engine.k, engine.k_smallest_hubs, ac.offset())
    rng = np.random.default_rng(seed)
    scale = float(np.abs(ac.cost).max())
    for _ in range(6):
        pi = rng.uniform(-0.2, 1.0, ac.n) * scale
        value, sub = ascent.evaluate(pi)
        assert value == pytest.approx(dense_value(engine, pi), rel=1e-9, abs=1e-9)
        # a subgradient of a concave function: L(pi') <= L(pi) + sub . (pi' - pi)
        for _ in range(3):
            other = pi + rng.normal(0, 0.2 * scale, ac.n)
            assert dense_value(engine, other) <= value + float(sub @ (other - pi)) + 1e-7 * max(1.0, abs(value))


@pytest.mark.parametrize("mode,seed", [("soft", 5), ("off", 6)])
def test_ascent_climbs_from_the_local_duals(mode, seed):
    engine = engine_for(mode, seed)
    ac = engine.ac
    areas = [[b for b in range(ac.n) if b % 4 == i] for i in range(4)]  # any plan: only its duals are used
    start = engine.local_duals(areas)
    ascent = CheapAscent(engine.pricer, engine.k, engine.k_smallest_hubs, ac.offset())
    pi, value, steps = ascent.run(start, target=float(dense_value(engine, start)) + 10.0,
                                  until=time.perf_counter() + 2.0)
    assert steps > 1
    assert value == pytest.approx(dense_value(engine, pi), rel=1e-9, abs=1e-9)
    assert value >= dense_value(engine, start) - 1e-12
