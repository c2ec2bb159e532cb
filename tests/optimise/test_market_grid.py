"""The market terms and rules in the engine against brute force on small grids (issue 13).

``--small-lots M`` is a plan-level row of the master whose dual enters pricing: the engine's
proven optimum must equal the best of every contiguous partition that meets the rules, and no
bound it reports may be above it. The market weights enter as value terms whose envelopes must
stay below the terms everywhere on [0, V] (R is concave below about £3.4m, MDC flat for tiny
cohorts), which the same comparison checks; the rules' own prechecks are tested in
``tests/cli/test_market_cli.py``.

Grid values are a few £ a year, so the market parameters are scaled to them (the measures
depend on an area's share of the total and on its value relative to kappa, A0 and the threshold).
"""

from __future__ import annotations

import numpy as np
import pytest

from cpa.market import MarketModel
from cpa.objective import MarketTerm, decreasing_envelope
from cpa.optimise import SolveOptions, Weights, solve
from cpa.options import MarketParameters
from tests.conftest import grid_geography
from tests.optimise.test_exact_grid import GRID34, check_against_brute_force, random_values

#: Market parameters at grid scale (£, not £m): small lots at most £12, kappa £8, A0 £0.5.
GRID_MARKET = MarketParameters(small_lot_value_m=12e-6, bidders_scale=8e-6, bidders_offset=0.5e-6,
                               pbr_cohort=2_000.0)


def small_lots_of(result, threshold: float) -> int:
    """Areas of the plan at or below ``threshold`` £ a year, counted from its values (not its scorecard)."""
    return sum(v * 1e6 <= threshold + 1e-9 for v in result.scorecard.areas["value_m"])


CASES = [
    # (value seed, options): the small-lots row binding, with and without market weights
    (31, dict(k=3, coterminous="off", small_lots=2)),
    (32, dict(k=4, coterminous="soft", small_lots=3, weights=Weights(thin=20.0))),
    (33, dict(k=3, coterminous="off", small_lots=1, weights=Weights(travel=0.5, pbr=1.0, small=2.0))),
    (34, dict(k=2, coterminous="strict", small_lots=1)),
    (35, dict(k=4, coterminous="off", small_lots=2, min_value_m=6e-6, weights=Weights(thin=5.0, small=1.0))),
    (36, dict(k=5, coterminous="off", weights=Weights(balance=0.2, pbr=3.0, thin=10.0))),
]
FAST = {33}  # 31 runs in the fast suite as test_small_lots_row_binds_and_its_dual_is_priced


@pytest.mark.parametrize("seed,kwargs", [pytest.param(*c, marks=() if c[0] in FAST else pytest.mark.slow)
                                         for c in CASES])
def test_market_optimum_equals_brute_force(seed, kwargs):
    geo, values = grid_geography(GRID34, random_values(3, 4, seed))
    opts = SolveOptions(time_limit=60, market=GRID_MARKET, **kwargs)
    r = check_against_brute_force(geo, values, opts)
    if opts.small_lots:
        assert small_lots_of(r, 12.0) >= opts.small_lots
        assert r.scorecard.summary["small_lots"] >= opts.small_lots


def test_small_lots_row_binds_and_its_dual_is_priced(monkeypatch):
    """The row changes the optimum (so it binds: without it the best plan has fewer small lots), its
    dual reaches pricing positive, and the engine still proves the brute-force optimum with it."""
    import cpa.rules

    sigmas = []
    original = cpa.rules.SmallLots.dual_term

    def spy(self, sigma, total):
        sigmas.append(sigma)
        return original(self, sigma, total)

    monkeypatch.setattr(cpa.rules.SmallLots, "dual_term", spy)
    geo, values = grid_geography(GRID34, random_values(3, 4, 31))
    free = solve(geo, values, SolveOptions(k=3, coterminous="off", time_limit=60, market=GRID_MARKET))
    assert free.report.status == "optimal"
    assert small_lots_of(free, 12.0) < 2
    ruled = SolveOptions(k=3, coterminous="off", small_lots=2, time_limit=60, market=GRID_MARKET)
    r = check_against_brute_force(geo, values, ruled)
    assert r.report.objective > free.report.objective + 1e-9
    assert max(sigmas) > 0


@pytest.mark.parametrize("kind", ["pbr", "thin"])
@pytest.mark.parametrize("total_m, mean_m", [(450.0, 450.0 / 16), (450.0, 450.0 / 40), (30.0, 3.0)])
def test_market_envelopes_stay_below_the_terms_everywhere(kind, total_m, mean_m):
    """On a grid 50 times finer than the envelope's own and at random points, including the concave
    part of R below about £3.4m and the flat part of MDC."""
    term = MarketTerm(kind, 2.0, MarketModel(), total_m * 1e6, mean_m * 1e6)
    lines = term.envelope()
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(0, total_m * 1e6, 200_001), rng.uniform(0, 5e6, 50_000),
                        rng.uniform(0, total_m * 1e6, 50_000)])
    env = np.max([s * x + c for s, c in lines], axis=0)
    assert np.all(env <= term(x) + 1e-9)
    if mean_m < 5:
        return  # R is concave there: no convex envelope can be close to it
    # and it is a useful envelope: close to the term near the mean area value, where the term is convex
    near = np.linspace(mean_m * 0.5e6, mean_m * 2e6, 101)
    gap = term(near) - np.max([s * near + c for s, c in lines], axis=0)
    assert gap.max() < 0.05 * term(near).max()


def test_decreasing_envelope_refuses_an_increasing_function():
    with pytest.raises(ValueError):
        decreasing_envelope(lambda x: np.asarray(x, dtype=float), 10.0, 1.0)
