"""Blocks: the units the integer programme assigns, and the pre-solve checks.

A block is a set of LADs that must end up in the same area:

* under ``strict`` coterminosity each PFA is a block (the 43-node problem);
  otherwise each LAD starts as its own block;
* every ``keep_whole`` group (a PFA, a region, "Wales", "London") merges its
  blocks into one;
* LADs locked to the same area label are merged; LADs locked to different
  labels may never share an area.

The merges are the rules' own (:meth:`cpa.rules.Rule.merge`). Before any model
is built, :func:`check_feasibility` runs every rule's pre-check, which rejects
requests that cannot hold, naming the binding rule (e.g. "Metropolitan Police
alone is 17.4% of value, above the 12% cap").
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..errors import CpaError, InfeasibleRequest
from ..geography import Geography
from ..rules import Locks, Request, Rule, area_rules, plan_rules
from ..values import ContractValues
from ..options import COTERMINOUS_MODES, SolveOptions


@dataclass
class Blocks:
    """Blocks of LADs with their values, PFAs, adjacency and lock labels."""

    members: list[list[str]]
    names: list[str]
    value: np.ndarray
    pfas: list[frozenset[str]]
    lock: list[str | None]
    graph: nx.Graph
    why_merged: list[str]

    @property
    def n(self) -> int:
        return len(self.members)

    def block_of(self) -> dict[str, int]:
        return {u: b for b, m in enumerate(self.members) for u in m}


class _UnionFind:
    def __init__(self, items):
        self.parent = {i: i for i in items}

    def find(self, i):
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # keep the smaller code as root so the result does not depend on order
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def build_blocks(geo: Geography, values: ContractValues, options: SolveOptions,
                 rules: list[Rule] | None = None) -> Blocks:
    if options.coterminous not in COTERMINOUS_MODES:
        raise CpaError(f"unknown coterminosity mode {options.coterminous!r}",
                       f"choose one of: {', '.join(COTERMINOUS_MODES)}")
    rules = area_rules(options, values.total) if rules is None else rules
    pfa_of = geo.pfa_of
    uf = _UnionFind(geo.codes)
    container: dict[str, list[str]] = {u: [] for u in geo.codes}  # reasons LADs were merged
    for rule in rules:
        rule.merge(geo, uf.union, container)
    graph = geo.graph()
    locks: dict[str, str] = {}
    for rule in rules:
        if isinstance(rule, Locks):
            locks = rule.labels_by_lad(geo)
    # before merging locks: two different labels inside one block is a contradiction
    by_root: dict[str, dict[str, str]] = {}
    for lad, label in sorted(locks.items()):
        by_root.setdefault(uf.find(lad), {})
        seen = by_root[uf.find(lad)]
        other = next((l for l, lab in seen.items() if lab != label), None)
        if other is not None:
            shared = [r for r in container[lad] if r in container[other]]
            why = shared[0] if shared else "the same block"
            raise InfeasibleRequest(
                f"--lock {other}={seen[other]} and --lock {lad}={label} contradict: both LADs are in {why}",
                "lock them to the same area, or relax the rule that keeps them together")
        seen[lad] = label
    by_label: dict[str, list[str]] = {}
    for lad, label in locks.items():
        by_label.setdefault(label, []).append(lad)
    for label, lads in by_label.items():
        for u in lads:
            uf.union(lads[0], u)

    groups: dict[str, list[str]] = {}
    for u in geo.codes:
        groups.setdefault(uf.find(u), []).append(u)
    members = sorted((sorted(m) for m in groups.values()), key=lambda m: m[0])
    block_of = {u: b for b, m in enumerate(members) for u in m}
    # plain dicts: per-block pandas lookups cost seconds on thousands of units
    v = values.by_unit.to_dict()
    pfa_of = pfa_of.to_dict()
    unit_name = geo.units["name"].to_dict()
    pfa_value = {p: sum(v[u] for u in lads) for p, lads in geo.pfa_members.items()}
    lock_of = [next((locks[u] for u in m if u in locks), None) for m in members]
    names, pfas, why = [], [], []
    for m in members:
        ps = frozenset(pfa_of[u] for u in m)
        pfas.append(ps)
        if len(m) == 1:
            names.append(str(unit_name[m[0]]))
        elif all(set(geo.pfa_members[p]) <= set(m) for p in ps):
            names.append(" + ".join(geo.pfa_name(p) for p in sorted(ps, key=lambda p: -pfa_value[p])))
        else:
            names.append(f"{unit_name[m[0]]} + {len(m) - 1} LADs")
        reasons = sorted({r for u in m for r in container[u]})
        why.append("; ".join(reasons))
    bg = nx.Graph()
    bg.add_nodes_from(range(len(members)))
    for a, b in graph.edges:
        ba, bb = block_of[a], block_of[b]
        if ba != bb:
            bg.add_edge(ba, bb)
    value = np.array([sum(v[u] for u in m) for m in members], dtype=float)
    return Blocks(members, names, value, pfas, lock_of, bg, why)


def check_feasibility(blocks: Blocks, geo: Geography, values: ContractValues, options: SolveOptions,
                      rules: list[Rule] | None = None) -> None:
    """Reject requests that cannot hold, naming the rule that binds (each rule's own pre-check)."""
    k = options.k
    rules = area_rules(options, values.total) if rules is None else rules
    unit_word = {"strict": "PFAs", "soft": "LADs", "off": "LADs"}[options.coterminous]
    if k < 1:
        raise InfeasibleRequest(f"--areas must be at least 1, got {k}")
    if k > blocks.n:
        extra = "" if blocks.n in (geo.n, len(geo.pfa_members)) else " after keeping groups whole and locks"
        hint = ("use --coterminous soft or off to split PFAs" if options.coterminous == "strict"
                else "use fewer areas")
        raise InfeasibleRequest(f"{k} areas asked for, but there are only {blocks.n} blocks to assign "
                                f"({unit_word}{extra}): each area needs at least one", hint)
    req = Request(blocks, geo, values.total, k, options.coterminous)
    for rule in rules:
        rule.precheck(req)
    for plan_rule in plan_rules(options, values.total):
        plan_rule.precheck(req)
    # (a floor above a cap needs no check of its own: K x floor <= total <= K x cap already fails)
