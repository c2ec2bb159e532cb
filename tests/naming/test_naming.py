"""Area names: the rule on the real geography and on user files, precedence, uniqueness, renames."""

from __future__ import annotations

import random
import re

import pytest

from cpa.naming import (MAX_CHARS, MAX_LIST_CHARS, compass_point, join_names, name_areas, named_plan, rule_names,
                        solve_label)
from cpa.io import read_plan
from cpa.optimise import SolveOptions
from cpa.optimise.blocks import build_blocks
from cpa.plan import Plan
from tests.conftest import grid_geography

BAD = re.compile(r"part of|\d+ more|\(\d+\)$")


def pfa_code(geo, name: str) -> str:
    return next(p for p in geo.pfa_members if geo.pfa_name(p) == name)


def plan_of_pfas(geo, groups: dict[str, list[str]]) -> Plan:
    """A plan whose areas are the given PFAs (by name); every other PFA is its own area."""
    area_of = {}
    for area, names in groups.items():
        for n in names:
            area_of[pfa_code(geo, n)] = area
    assignment = {u: area_of.get(geo.pfa_of[u], geo.pfa_of[u]) for u in geo.units.index}
    return Plan(assignment, label="test")


def grown_plan(geo, k: int, seed: int) -> Plan:
    """A contiguous plan of k areas grown from random seeds over the LAD graph (PFAs ignored)."""
    rnd = random.Random(seed)
    g = geo.graph()
    seeds = rnd.sample(sorted(g.nodes), k)
    area = {s: f"X{i:02d}" for i, s in enumerate(seeds)}
    frontier = list(seeds)
    while frontier:
        u = frontier.pop(rnd.randrange(len(frontier)))
        for nb in sorted(g.neighbors(u)):
            if nb not in area:
                area[nb] = area[u]
                frontier.append(nb)
    return Plan(area, label=f"grown{k}")


def test_join_and_compass():
    assert join_names(["Kent"]) == "Kent"
    assert join_names(["Thames Valley", "Hampshire"]) == "Thames Valley & Hampshire"
    assert join_names(["Hampshire", "Sussex", "Dorset"]) == "Hampshire, Sussex & Dorset"
    assert join_names(["Wiltshire", "Devon & Cornwall"]) == "Wiltshire and Devon & Cornwall"
    assert [compass_point(dx, dy) for dx, dy in ((1, 0), (1, 1), (0, 1), (-1, 0), (0, -1), (1, -1))] == \
        ["East", "North East", "North", "West", "South", "South East"]


def test_solve_label_is_short_words():
    assert solve_label(SolveOptions(k=16, min_value_m=15)) == "16 areas, strict, floor £15m"
    label = solve_label(SolveOptions(k=21, coterminous="soft", max_share_pct=25, keep_whole=("Wales",),
                                     locks=(("E06000046", "South"),)))
    assert label == "21 areas, soft, cap 25%, Wales whole, 1 lock"
    assert solve_label(SolveOptions(k=16).to_dict()) == "16 areas, strict"


@pytest.mark.parametrize("groups,expected", [
    ({"a": ["Thames Valley", "Hampshire"]}, "Thames Valley & Hampshire"),
    ({"a": ["Metropolitan Police", "City of London"]}, "London"),
    ({"a": ["North Wales", "South Wales", "Gwent", "Dyfed-Powys"]}, "Wales"),
    ({"a": ["Durham", "Cleveland"]}, "Durham Tees Valley"),
    ({"a": ["Hampshire", "Sussex", "Dorset", "Devon & Cornwall"]}, "South West Peninsula, Hampshire & Sussex"),
    ({"a": ["Derbyshire", "Leicestershire", "Nottinghamshire", "Warwickshire"]}, "Notts, Leics, Derbys & Warks"),
    ({"a": ["Northumbria", "Durham", "Cleveland", "Cumbria"]}, "North East & Cumbria"),
    ({"a": ["Avon and Somerset", "Gloucestershire", "Wiltshire", "Devon & Cornwall", "Dorset"]}, "South West"),
])
def test_rule_names_recognisable_groups(geo, values, groups, expected):
    plan = plan_of_pfas(geo, groups)
    assert rule_names(plan, geo, values, ["a"]) == {"a": expected}


@pytest.mark.parametrize("name", ["pfa43", "trusts35", "crc21", "regions12"])
def test_rule_names_for_the_reference_partitions(geo, values, name):
    ref = read_plan(name, geo)
    plan = named_plan(Plan(ref.assignment, label=name), geo, values)  # names stripped: the rule names all
    names = [plan.name(a) for a in plan.areas]
    assert len({n.casefold() for n in names}) == len(names)
    assert not [n for n in names if BAD.search(n)]
    assert max(map(len, names)) <= MAX_LIST_CHARS
    for area, units in plan.members().items():
        pfas = {geo.pfa_of[u] for u in units}
        if len(pfas) == 1:  # one PFA: its name (short form)
            p = pfas.pop()
            assert plan.name(area) in (geo.pfa_name(p), "Avon & Somerset", "London"), (area, plan.name(area))


@pytest.mark.parametrize("k,seed", [(12, 1), (30, 2), (60, 3)])
def test_rule_names_for_plans_that_cut_pfas(geo, values, k, seed):
    plan = named_plan(grown_plan(geo, k, seed), geo, values)
    names = [plan.name(a) for a in plan.areas]
    assert len({n.casefold() for n in names}) == k
    assert not [n for n in names if BAD.search(n)], names
    assert max(map(len, names)) <= MAX_LIST_CHARS + 25  # a suffix may be added to tell two apart
    assert sum(len(n) <= MAX_CHARS for n in names) >= 0.85 * k, names


def test_pieces_of_london_are_named_by_compass(geo, values):
    met, city = pfa_code(geo, "Metropolitan Police"), pfa_code(geo, "City of London")
    london = geo.units.loc[geo.pfa_members[met] + geo.pfa_members[city]]
    north = london[london["lat"] > london["lat"].median()].index
    assignment = {u: ("N" if u in north else "S") if geo.pfa_of[u] in (met, city) else geo.pfa_of[u]
                  for u in geo.units.index}
    names = rule_names(Plan(assignment), geo, values, ["N", "S"])
    assert names == {"N": "North London", "S": "South London"}


def test_small_pieces_are_named_by_their_lads(geo, values):
    surrey = pfa_code(geo, "Surrey")
    kingston = geo.units.index[geo.units["name"] == "Kingston upon Thames"][0]
    assignment = {u: ("S" if geo.pfa_of[u] == surrey or u == kingston else "rest") for u in geo.units.index}
    assert rule_names(Plan(assignment), geo, values, ["S"]) == {"S": "Surrey & Kingston upon Thames"}


def test_precedence_user_then_file_then_rule(geo, values):
    crc = read_plan("crc21", geo)
    names = dict(crc.names)
    del names["C17"]  # London: the rule names it
    user = {"C10": "Cymru"}
    plan = named_plan(Plan(crc.assignment, names, label="crc21"), geo, values, user)
    assert plan.name("C10") == "Cymru" and plan.name("C17") == "London"
    assert plan.name("C01") == crc.name("C01")


def test_duplicates_get_the_largest_pfa_not_a_number(geo, values):
    crc = read_plan("crc21", geo)
    lancs = next(a for a in crc.areas if crc.name(a) == "Cumbria & Lancashire")
    north = next(a for a in crc.areas if crc.name(a) == "Northumbria")
    plan = named_plan(crc, geo, values, {lancs: "North", north: "North"})
    assert plan.name(lancs) == "North (Lancashire)" and plan.name(north) == "North (Northumbria)"
    # a name that already says the largest PFA takes the next one
    durham = next(a for a in crc.areas if crc.name(a) == "Durham Tees Valley")
    plan = named_plan(crc, geo, values, {north: "Northumbria", durham: "Northumbria"})
    assert sorted(plan.name(a) for a in (north, durham)) == sorted(["Northumbria (Cleveland)",
                                                                   "Northumbria (Northumberland)"]) or \
        len({plan.name(north), plan.name(durham)}) == 2


def test_name_areas_takes_lock_labels(geo, values):
    opts = SolveOptions(k=43, locks=(("E06000046", "Island"),))
    blocks = build_blocks(geo, values, opts)
    hub_of = {b: geo.index_of[m[0]] for b, m in enumerate(blocks.members)}
    plan = name_areas(geo, values, blocks, hub_of, label="x")
    island = plan.assignment["E06000046"]
    assert plan.name(island) == "Island" and plan.label == "x"
    assert sorted(plan.areas)[0] == "A01" and plan.k == 43
    assert plan.name(plan.assignment["E09000001"]) == "City of London"
    assert len({plan.name(a) for a in plan.areas}) == 43


def test_engine_import_path_is_kept():
    from cpa.naming import name_areas as direct
    from cpa.optimise.naming import name_areas as via_engine

    assert via_engine is direct


def test_user_geography_with_and_without_group_names():
    geo, values = grid_geography(["AABBC", "AABBC", "DDEEC", "DDEEF"])
    cols = {u: int(u.split("c")[1]) for u in geo.units.index}
    thirds = Plan({u: "W" if c < 2 else ("M" if c < 4 else "E") for u, c in cols.items()})
    assert named_plan(thirds, geo, values).names == {"W": "Group A & Group D", "M": "Group B & Group E",
                                                     "E": "Group C & Group F"}
    geo.pfas["pfa_name"] = geo.pfas.index  # groups known by code only: the map's compass points
    geo.units["pfa_name"] = geo.units["pfa_code"]
    halves = Plan({u: "W" if c < 2 else "E" for u, c in cols.items()})
    assert named_plan(halves, geo, values).names == {"W": "West", "E": "East"}
    rows = named_plan(Plan({u: u.split("c")[0] for u in geo.units.index}), geo, values).names
    assert rows["r0"] == "North" and rows["r3"] == "South"
    assert rows["r1"] != rows["r2"] and all("Central" in rows[r] for r in ("r1", "r2"))
    pair = Plan({u: ("P" if u in ("r0c0", "r0c1") else "Q") for u in geo.units.index})
    assert named_plan(pair, geo, values).name("P") == "cell 0,0 & cell 0,1"
