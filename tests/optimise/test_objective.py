"""The objective once: engine column costs, heuristic costs, cpa.objective and a direct
scorecard-style evaluation agree on random contiguous grid plans."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from cpa.metrics import area_values, scorecard
from cpa.objective import objective_for
from cpa.optimise import SolveOptions, Weights
from cpa.optimise.blocks import build_blocks
from cpa.optimise.costs import AreaCosts
from cpa.optimise.heuristics import Partition
from cpa.optimise.pricing import Pricer
from cpa.plan import Plan
from tests.conftest import grid_geography


def random_plan(geo, k: int, rng: random.Random) -> list[list[str]]:
    """K connected areas: cut k-1 edges of a random spanning tree of the unit graph."""
    g = geo.graph()
    for a, b in g.edges:
        g.edges[a, b]["w"] = rng.random()
    tree = nx.minimum_spanning_tree(g, weight="w")
    edges = sorted(tree.edges)
    tree.remove_edges_from(rng.sample(edges, k - 1))
    return [sorted(c) for c in nx.connected_components(tree)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["soft", "off"])
def test_every_evaluator_agrees(seed, mode):
    rng = random.Random(seed)
    layout = ["AABBC", "AABBC", "DDEEC", "DDEEF"]
    vals = [[rng.randint(1, 9) * 1e6 for _ in range(5)] for _ in range(4)]
    geo, values = grid_geography(layout, vals)
    k = rng.randint(2, 6)
    weights = Weights(travel=rng.uniform(0.5, 2), balance=rng.uniform(0.5, 2), split=rng.uniform(0, 6))
    opts = SolveOptions(k=k, coterminous=mode, weights=weights)
    areas = random_plan(geo, k, rng)
    plan = Plan({u: f"A{i}" for i, a in enumerate(areas) for u in a})

    ob = objective_for(geo, values, opts)
    direct = ob.plan_objective(plan)["objective"]

    blocks = build_blocks(geo, values, opts)
    ac = AreaCosts(blocks, geo, values, opts)
    block_of = blocks.block_of()
    block_areas = [sorted({block_of[u] for u in a}) for a in areas]
    pricer = Pricer(ac)
    columns = sum(pricer.column(a).cost for a in block_areas) + ac.offset()
    heuristic = Partition(ac, [set(a) for a in block_areas]).objective()

    card = scorecard(plan, geo, values)
    s = card.summary
    mean = values.total / k
    balance = 100 * sum(abs(v - mean) for v in area_values(plan, values)) / values.total
    split = weights.split * s["pfa_fragments"] if mode == "soft" else 0.0
    scorecard_style = weights.travel * s["mean_travel_km"] + weights.balance * balance + split

    assert columns == pytest.approx(direct, rel=1e-9)
    assert heuristic == pytest.approx(direct, rel=1e-9)
    assert scorecard_style == pytest.approx(direct, rel=1e-9)
