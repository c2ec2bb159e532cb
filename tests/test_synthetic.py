"""Synthetic geographies: shape, adjacency, groups, values, islands, files for the CLI."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from cpa.cli import main
from cpa.errors import CpaError
from cpa.io import read_geography, values_from_table
from cpa.synthetic import ENGLAND_KM2, KINDS, synthetic_geography


@pytest.mark.parametrize("kind", KINDS)
def test_any_size_is_a_clean_connected_coverage(kind):
    s = synthetic_geography(37, kind, seed=3)
    geo = s.geo
    assert geo.n == 37 and len(set(geo.codes)) == 37
    assert geo.repair is None  # clean by construction: nothing to snap
    assert shapely.coverage_is_valid(np.asarray(geo.geometry_projected.values))
    assert nx.is_connected(geo.graph())
    assert geo.units["area_sqkm"].sum() == pytest.approx(ENGLAND_KM2, rel=1e-6)
    # Near England, so kilometres and maps mean something.
    assert geo.units["lat"].between(50.0, 55.0).all() and geo.units["lon"].between(-5.5, 2.5).all()
    assert set(geo.links["link_type"]) == {"shared_border"}


def test_square_grid_has_rook_adjacency_only():
    geo = synthetic_geography(36, "square").geo  # 6 x 6
    assert len(geo.links) == 2 * 6 * 5
    degree = dict(geo.graph().degree())
    assert sorted(set(degree.values())) == [2, 3, 4]  # corners, edges, inside: no diagonal neighbours
    assert geo.links["border_km"].round(6).nunique() == 1


def test_hex_grid_cells_have_six_neighbours_inside():
    geo = synthetic_geography(100, "hex").geo
    assert max(dict(geo.graph().degree()).values()) == 6
    assert geo.units["area_sqkm"].round(6).nunique() == 1


def test_voronoi_cells_are_irregular():
    geo = synthetic_geography(120, "voronoi").geo
    degrees = set(dict(geo.graph().degree()).values())
    assert len(degrees) >= 4
    assert geo.units["area_sqkm"].std() > 0.1 * geo.units["area_sqkm"].mean()


@pytest.mark.parametrize("kind", KINDS)
def test_groups_are_contiguous_and_about_the_size_asked(kind):
    geo = synthetic_geography(240, kind, group_size=10, seed=1).geo
    graph = geo.graph()
    sizes = []
    for members in geo.pfa_members.values():
        assert nx.is_connected(graph.subgraph(members))
        sizes.append(len(members))
    assert len(sizes) == 24
    assert 0.5 * 10 <= np.median(sizes) <= 1.5 * 10 and max(sizes) <= 3 * 10


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_geography_other_seed_other_values(kind):
    a, b = synthetic_geography(50, kind, seed=7), synthetic_geography(50, kind, seed=7)
    assert a.boundaries.geometry.geom_equals_exact(b.boundaries.geometry, tolerance=0).all()
    assert a.values.by_unit.equals(b.values.by_unit)
    assert a.geo.fingerprint == b.geo.fingerprint and a.geo.units["pfa_code"].equals(b.geo.units["pfa_code"])
    c = synthetic_geography(50, kind, seed=8)
    assert not np.allclose(a.values.by_unit.to_numpy(), c.values.by_unit.to_numpy())


def test_values_sum_to_the_total_and_have_a_london():
    s = synthetic_geography(225, "square", total_m=300, hotspots=1, distribution="equal")
    v = s.values.by_unit
    assert v.sum() == pytest.approx(300e6) and (v > 0).all()
    # Equal cells, no noise: the value per unit is the hot-spot surface, at most 1 + 12 at the peak.
    assert 8 < v.max() / v.min() <= 13
    top = v.sort_values(ascending=False)
    assert 0.08 < top.iloc[: len(v) // 50].sum() / v.sum() < 0.25  # 2% of units, about a sixth of the value
    flat = synthetic_geography(225, "square", hotspots=0, distribution="equal").values.by_unit
    assert flat.max() / flat.min() == pytest.approx(1.0)


@pytest.mark.parametrize("distribution", ["lognormal", "uniform"])
def test_distributions_add_noise(distribution):
    v = synthetic_geography(100, "square", hotspots=0, distribution=distribution).values.by_unit
    assert v.std() > 0.1 * v.mean()


def test_islands_with_named_ferries():
    s = synthetic_geography(30, "square", islands=2)
    geo = s.geo
    islands = geo.codes[-2:]
    ferries = geo.links[geo.links["link_type"] == "ferry"]
    assert len(ferries) == 2 and set(ferries["b"]) | set(ferries["a"]) >= set(islands)
    assert all(name.endswith("ferry") for name in ferries["name"])
    assert nx.is_connected(geo.graph())
    assert not nx.is_connected(geo.graph(("shared_border",)))
    for isle in islands:  # in the group of the unit its ferry lands on
        ferry = ferries[(ferries["a"] == isle) | (ferries["b"] == isle)].iloc[0]
        other = ferry["a"] if ferry["b"] == isle else ferry["b"]
        assert geo.pfa_of[isle] == geo.pfa_of[other]


@pytest.mark.parametrize("kwargs,fragment", [
    ({"kind": "triangle"}, "unknown synthetic grid 'triangle'"),
    ({"distribution": "normal"}, "unknown value distribution 'normal'"),
    ({"islands": 10}, "0 <= islands < n"),
])
def test_bad_arguments(kwargs, fragment):
    with pytest.raises(CpaError, match=fragment):
        synthetic_geography(10, **kwargs)


def test_files_load_back_as_the_same_geography(tmp_path):
    s = synthetic_geography(40, "voronoi", islands=1, seed=2)
    paths = s.write(tmp_path)
    geo = read_geography(paths["boundaries"], "lad_code", "name", "pfa_code", links=paths["links"])
    assert geo.repair is None and geo.codes == s.geo.codes
    assert geo.projected_crs.to_epsg() == 27700
    key = ["a", "b", "link_type"]
    assert geo.links[key].sort_values(key).reset_index(drop=True).equals(
        s.geo.links[key].sort_values(key).reset_index(drop=True))
    assert geo.units["pfa_code"].equals(s.geo.units["pfa_code"])
    assert np.allclose(geo.units["area_sqkm"], s.geo.units["area_sqkm"])
    table = values_from_table(geo, paths["values"])
    assert np.allclose(table.by_unit.reindex(geo.codes), s.values.by_unit.reindex(geo.codes), rtol=1e-9)


def test_cli_scores_and_solves_a_synthetic_geography(tmp_path):
    s = synthetic_geography(9, "hex", group_size=3, islands=1)
    paths = s.write(tmp_path / "in")
    geo_args = s.cli_args(paths)
    runner = CliRunner()
    groups = s.geo.units["pfa_code"].rename("area").rename_axis("lad_code").reset_index()
    groups.to_csv(tmp_path / "groups.csv", index=False)
    result = runner.invoke(main, ["evaluate", str(tmp_path / "groups.csv"), *geo_args])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "Contiguous: all areas" in result.output
    result = runner.invoke(main, ["solve", "--areas", "2", "--coterminous", "soft", "--time-limit", "20",
                                  "--out", str(tmp_path / "out"), *geo_args])
    assert result.exit_code == 0 and result.exception is None, result.output
    report = json.loads((tmp_path / "out" / "run.json").read_text())
    assert report["status"] in ("optimal", "feasible")
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    assert sorted(plan["lad_code"]) == sorted(s.geo.codes)
