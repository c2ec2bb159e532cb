"""The embedded files are what the build script makes from ../shared/data, and hold the known facts."""

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
FILES = ["units.csv", "pfas.csv", "adjacency.csv", "reference_plans.csv", "lad23.geojson"]


@pytest.mark.slow  # rebuilds the embedded data from ../shared
@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not beside the checkout")
def test_rebuild_matches_committed_files(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "boundaries" / "build.py"), "--source", str(SHARED),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (ROOT / "cpa" / "data" / name).read_bytes(), name


def test_counts(geo):
    assert geo.n == 318
    assert (geo.units["country"] == "England").sum() == 296
    assert (geo.units["country"] == "Wales").sum() == 22
    assert len(geo.pfa_members) == 43
    assert int(geo.units["population"].sum()) == 60_854_727


def test_links(geo):
    kinds = geo.links["link_type"].value_counts().to_dict()
    assert kinds == {"shared_border": 821, "fixed_crossing": 5, "ferry": 4}
    assert set(geo.links.query("link_type != 'shared_border'")["name"].str.len() > 0) == {True}


def test_graph_and_every_pfa_connected_with_named_links(geo):
    g = geo.graph()
    assert nx.is_connected(g)
    for pfa, members in geo.pfa_members.items():
        assert nx.is_connected(g.subgraph(members)), pfa


def test_islands_without_named_links(geo):
    land = geo.graph(("shared_border",))
    parts = sorted(nx.connected_components(land), key=len)
    assert len(parts) == 4
    assert {next(iter(p)) for p in parts[:3]} == {"E06000046", "E06000053", "W06000001"}
    broken = {p for p, m in geo.pfa_members.items() if not nx.is_connected(land.subgraph(m))}
    assert {geo.pfa_name(p) for p in broken} == {"Merseyside", "Hampshire", "Devon & Cornwall", "North Wales"}


@pytest.mark.parametrize("name,k", [("pfa43", 43), ("trusts35", 35), ("crc21", 21), ("regions12", 12)])
def test_reference_plans_are_unions_of_whole_pfas(geo, name, k):
    from cpa.plan import reference_plan
    plan = reference_plan(geo, name)
    assert plan.k == k
    assert set(plan.assignment) == set(geo.units.index)
    for pfa, members in geo.pfa_members.items():
        assert len({plan.assignment[u] for u in members}) == 1, (name, pfa)


def test_crc21_codes_and_london(geo):
    from cpa.plan import reference_plan
    plan = reference_plan(geo, "crc21")
    assert plan.areas == [f"C{i:02d}" for i in range(1, 22)]
    assert plan.name("C17") == "London"
