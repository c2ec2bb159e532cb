"""Properties of the scorecard and plan files on random plans over small grids.

Each example draws a grid of 2-5 rows x 2-5 columns whose cells carry a random
group letter (or, rarely, sea), random non-negative values with at least one
positive, and a random assignment of the land cells to areas. The expected
numbers are computed here straight from the drawing, not through the library.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpa.metrics import scorecard
from cpa.io import read_plan, write_plan_csv, write_plan_geojson
from cpa.plan import Plan
from tests.conftest import grid_geography

pytestmark = pytest.mark.slow  # hypothesis draws hundreds of plans

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Area names exercise CSV quoting and UTF-8: commas, quotes, accents, inner spaces.
NAME_CHARS = "abcXYZ019 ,'\"&-ôŵ"


@st.composite
def grid_plans(draw):
    rows, cols = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    # Sea ('.') is rare so most grids are whole; a few test areas split by water.
    cell = st.sampled_from("AAAABBBCC.")
    layout = ["".join(draw(st.lists(cell, min_size=cols, max_size=cols))) for _ in range(rows)]
    land = [(r, c) for r in range(rows) for c in range(cols) if layout[r][c] != "."]
    if not land:
        layout[0] = "A" + layout[0][1:]
        land = [(0, 0)]
    amount = st.one_of(st.just(0.0), st.integers(1, 10**7).map(float), st.floats(0.01, 1e6))
    values = [[draw(amount) for _ in range(cols)] for _ in range(rows)]
    if all(values[r][c] == 0 for r, c in land):
        r, c = land[draw(st.integers(0, len(land) - 1))]
        values[r][c] = draw(st.floats(1.0, 1e6))
    k = draw(st.integers(1, len(land)))
    labels = [f"area{i}" for i in range(k)]
    assignment = {f"r{r}c{c}": labels[draw(st.integers(0, k - 1))] for r, c in land}
    text = st.text(NAME_CHARS, min_size=1, max_size=12).map(str.strip).filter(bool)
    names = {a: draw(text) for a in sorted(set(assignment.values())) if draw(st.booleans())}
    return layout, values, Plan(assignment, names, label="random")


def grid(layout, values):
    geo, cv = grid_geography(layout, values)
    # The grid sits just south of the equator at 0E; naming its UTM zone skips
    # estimate_utm_crs, a ~0.1 s projection-database query per example.
    geo.projected_crs = "EPSG:32731"
    return geo, cv


def direct_groups(layout, plan):
    """Group letter -> set of areas it touches, from the drawing."""
    touched = defaultdict(set)
    for unit, area in plan.assignment.items():
        r, c = (int(x) for x in unit[1:].split("c"))
        touched[layout[r][c]].add(area)
    return touched


def grid_graph(layout) -> nx.Graph:
    """Rook adjacency of the land cells, built independently of the library's link table."""
    rows, cols = len(layout), len(layout[0])
    g = nx.grid_2d_graph(rows, cols)
    g.remove_nodes_from([(r, c) for r in range(rows) for c in range(cols) if layout[r][c] == "."])
    return nx.relabel_nodes(g, {(r, c): f"r{r}c{c}" for r, c in g.nodes})


@SETTINGS
@given(grid_plans())
def test_scorecard_counts_every_unit_once(drawn):
    layout, values, plan = drawn
    geo, cv = grid(layout, values)
    card = scorecard(plan, geo, cv)
    areas = card.areas
    expected_total = sum(values[int(u[1:].split("c")[0])][int(u.split("c")[1])] for u in plan.assignment)
    assert cv.total == pytest.approx(expected_total)
    assert card.summary["total_value_m"] * 1e6 == pytest.approx(expected_total)
    assert areas["share"].sum() == pytest.approx(1.0)
    assert int(areas["lads"].sum()) == geo.n == len(plan.assignment)
    assert areas["value_m"].sum() * 1e6 == pytest.approx(expected_total)
    assert card.summary["areas"] == len(areas) == plan.k
    for area, members in plan.members().items():
        assert areas.loc[area, "lads"] == len(members)
        assert areas.loc[area, "value_m"] * 1e6 == pytest.approx(float(cv.by_unit[members].sum()), abs=1e-6)
        assert areas.loc[area, "hub"] in members
    assert card.summary["largest_share"] == pytest.approx(areas["share"].max())


@SETTINGS
@given(grid_plans())
def test_pfa_splits_match_direct_count(drawn):
    layout, values, plan = drawn
    geo, cv = grid(layout, values)
    card = scorecard(plan, geo, cv)
    touched = direct_groups(layout, plan)
    split = {g for g, areas in touched.items() if len(areas) > 1}
    assert card.summary["pfas_split"] == len(split)
    assert card.summary["pfa_fragments"] == sum(len(a) - 1 for a in touched.values())
    assert card.summary["trusts_split"] is None  # grids have no Probation Trusts
    for area in plan.areas:
        mine = {g for g, areas in touched.items() if area in areas}
        assert card.areas.loc[area, "pfas_cut"] == len(mine & split)
        assert card.areas.loc[area, "pfas_whole"] == len(mine - split)
    in_split = sum(cv.by_unit[u] for u in plan.assignment
                   if layout[int(u[1:].split("c")[0])][int(u.split("c")[1])] in split)
    assert card.summary["value_share_in_split_pfas"] == pytest.approx(in_split / cv.total, abs=1e-12)


@SETTINGS
@given(grid_plans())
def test_contiguity_agrees_with_networkx(drawn):
    layout, values, plan = drawn
    geo, cv = grid(layout, values)
    card = scorecard(plan, geo, cv)
    g = grid_graph(layout)
    for area, members in plan.members().items():
        pieces = nx.number_connected_components(g.subgraph(members))
        assert card.areas.loc[area, "pieces"] == pieces
        assert bool(card.areas.loc[area, "contiguous"]) == (pieces == 1)
    broken = sorted(a for a, m in plan.members().items() if not nx.is_connected(g.subgraph(m)))
    assert sorted(card.summary["noncontiguous_areas"]) == broken
    assert card.summary["all_contiguous"] == (not broken)
    assert any("pieces" in n for n in card.notes) == bool(broken)


@SETTINGS
@given(grid_plans())
def test_plan_files_round_trip(drawn):
    layout, values, plan = drawn
    geo, _ = grid(layout, values)
    with tempfile.TemporaryDirectory() as tmp:
        for path in (write_plan_csv(plan, Path(tmp) / "plan.csv"),
                     write_plan_geojson(plan, geo, Path(tmp) / "plan.geojson")):
            back = read_plan(path, geo)
            assert dict(back.assignment) == dict(plan.assignment), path.suffix
            assert {a: back.name(a) for a in back.areas} == {a: plan.name(a) for a in plan.areas}, path.suffix
            assert back.same_partition(plan)


def test_grid_strategy_draws_what_the_properties_need():
    # Guard against a strategy that silently stopped producing the interesting cases.
    seen = {"noncontiguous": False, "split": False, "sea": False, "one_area": False}

    @settings(max_examples=60, deadline=None, database=None)
    @given(grid_plans())
    def look(drawn):
        layout, _, plan = drawn
        g = grid_graph(layout)
        seen["noncontiguous"] |= any(not nx.is_connected(g.subgraph(m)) for m in plan.members().values())
        seen["split"] |= any(len(a) > 1 for a in direct_groups(layout, plan).values())
        seen["sea"] |= any("." in row for row in layout)
        seen["one_area"] |= plan.k == 1

    look()
    assert all(seen.values()), seen
