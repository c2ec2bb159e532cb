"""Blocks: the units the integer programme assigns, and the pre-solve checks.

A block is a set of LADs that must end up in the same area:

* under ``strict`` coterminosity each PFA is a block (the 43-node problem);
  otherwise each LAD starts as its own block;
* every ``keep_whole`` group (a PFA, a region, "Wales", "London") merges its
  blocks into one;
* LADs locked to the same area label are merged; LADs locked to different
  labels may never share an area.

Before any model is built, :func:`check_feasibility` rejects requests that
cannot hold, naming the binding rule (e.g. "Metropolitan Police alone is 17.4%
of value, above the 12% cap").
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..errors import CpaError, InfeasibleRequest
from ..geography import Geography
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


def build_blocks(geo: Geography, values: ContractValues, options: SolveOptions) -> Blocks:
    if options.coterminous not in COTERMINOUS_MODES:
        raise CpaError(f"unknown coterminosity mode {options.coterminous!r}",
                       f"choose one of: {', '.join(COTERMINOUS_MODES)}")
    pfa_of = geo.pfa_of
    uf = _UnionFind(geo.codes)
    container: dict[str, list[str]] = {u: [] for u in geo.codes}  # reasons LADs were merged
    if options.coterminous == "strict":
        for pfa, members in geo.pfa_members.items():
            for u in members:
                uf.union(members[0], u)
                container[u].append(f"PFA {geo.pfa_name(pfa)} (kept whole by strict coterminosity)")
    graph = geo.graph()
    for name in options.keep_whole:
        label, members = geo.group(name)
        if not nx.is_connected(graph.subgraph(members)):
            raise InfeasibleRequest(f"keep-whole group {label!r} is not connected, so it cannot be one "
                                    "contiguous area", "drop it or add the missing links")
        for u in members:
            uf.union(members[0], u)
            container[u].append(f"keep-whole group {label}")
    locks: dict[str, str] = {}
    for lad, label in options.locks:
        if lad not in geo.index_of:
            raise CpaError(f"--lock {lad}={label}: unknown LAD code {lad!r}",
                           "use a 2023 LAD code such as E06000001 (see boundaries/units.csv)")
        if lad in locks and locks[lad] != label:
            raise InfeasibleRequest(f"LAD {lad} is locked to two areas: {locks[lad]!r} and {label!r}")
        locks[lad] = label
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
    v = values.by_unit
    lock_of = [next((locks[u] for u in m if u in locks), None) for m in members]
    names, pfas, why = [], [], []
    for m in members:
        ps = frozenset(pfa_of.loc[m])
        pfas.append(ps)
        if len(m) == 1:
            names.append(str(geo.units.loc[m[0], "name"]))
        elif all(set(geo.pfa_members[p]) <= set(m) for p in ps):
            names.append(" + ".join(geo.pfa_name(p) for p in sorted(ps, key=lambda p: -v[geo.pfa_members[p]].sum())))
        else:
            names.append(f"{geo.units.loc[m[0], 'name']} + {len(m) - 1} LADs")
        reasons = sorted({r for u in m for r in container[u]})
        why.append("; ".join(reasons))
    bg = nx.Graph()
    bg.add_nodes_from(range(len(members)))
    for a, b in graph.edges:
        ba, bb = block_of[a], block_of[b]
        if ba != bb:
            bg.add_edge(ba, bb)
    value = np.array([v[m].sum() for m in members], dtype=float)
    return Blocks(members, names, value, pfas, lock_of, bg, why)


def check_feasibility(blocks: Blocks, geo: Geography, values: ContractValues, options: SolveOptions) -> None:
    """Reject requests that cannot hold, naming the rule that binds."""
    k = options.k
    total = values.total
    unit_word = {"strict": "PFAs", "soft": "LADs", "off": "LADs"}[options.coterminous]
    if k < 1:
        raise InfeasibleRequest(f"--areas must be at least 1, got {k}")
    if k > blocks.n:
        extra = "" if blocks.n in (geo.n, len(geo.pfa_members)) else " after keeping groups whole and locks"
        hint = ("use --coterminous soft or off to split PFAs" if options.coterminous == "strict"
                else "use fewer areas")
        raise InfeasibleRequest(f"{k} areas asked for, but there are only {blocks.n} blocks to assign "
                                f"({unit_word}{extra}): each area needs at least one", hint)
    labels = {l for l in blocks.lock if l is not None}
    if len(labels) > k:
        raise InfeasibleRequest(f"{len(labels)} different locked area labels but only {k} areas",
                                "use at most K distinct labels in --lock")
    if options.min_value_gbp is not None and options.min_value_gbp > total + 1e-6:
        raise CpaError(f"--min-value £{options.min_value_m:,.1f}m is above the national total "
                       f"£{total / 1e6:,.1f}m, so no area can reach it",
                       "the floor is in £m a year per area, e.g. --min-value 15")
    if options.min_value_gbp is not None and k * options.min_value_gbp > total + 1e-6:
        raise InfeasibleRequest(
            f"{k} areas x £{options.min_value_gbp / 1e6:,.1f}m floor = £{k * options.min_value_gbp / 1e6:,.1f}m, "
            f"above the national total £{total / 1e6:,.1f}m", "lower --min-value or use fewer areas")
    caps = []
    if options.max_value_gbp is not None:
        caps.append((options.max_value_gbp, f"the £{options.max_value_gbp / 1e6:,.1f}m maximum"))
    if options.max_share_fraction is not None:
        caps.append((options.max_share_fraction * total, f"the {options.max_share_fraction:.0%} cap"))
    for cap, what in caps:
        if k * cap < total - 1e-6:
            raise InfeasibleRequest(f"{k} areas can hold at most £{k * cap / 1e6:,.1f}m under {what}, "
                                    f"less than the national total £{total / 1e6:,.1f}m",
                                    "raise the cap or use more areas")
        big = int(np.argmax(blocks.value))
        if blocks.value[big] > cap + 1e-6:
            why = f" ({blocks.why_merged[big]})" if blocks.why_merged[big] else ""
            raise InfeasibleRequest(
                f"{blocks.names[big]} alone is {blocks.value[big] / total:.1%} of value "
                f"(£{blocks.value[big] / 1e6:,.1f}m), above {what}{why}",
                "raise the cap, or allow it to be split (--coterminous soft, fewer --keep-whole groups)")
    if options.max_pfas is not None:
        if options.max_pfas < 1:
            raise InfeasibleRequest(f"--max-pfas must be at least 1, got {options.max_pfas}")
        worst = max(range(blocks.n), key=lambda b: len(blocks.pfas[b]))
        if len(blocks.pfas[worst]) > options.max_pfas:
            raise InfeasibleRequest(
                f"{blocks.names[worst]} must stay in one area but spans {len(blocks.pfas[worst])} PFAs, "
                f"more than --max-pfas {options.max_pfas}", "raise --max-pfas or drop the keep-whole group")
        n_pfas = len(geo.pfa_members)
        if k * options.max_pfas < n_pfas:
            raise InfeasibleRequest(f"{k} areas x at most {options.max_pfas} PFAs each cover at most "
                                    f"{k * options.max_pfas} PFAs, fewer than the {n_pfas} there are",
                                    "raise --max-pfas or use more areas")
    if options.min_value_gbp is not None and options.max_value_gbp is not None and options.min_value_gbp > options.max_value_gbp:
        raise InfeasibleRequest(f"--min-value £{options.min_value_gbp / 1e6:,.1f}m is above --max-value "
                                f"£{options.max_value_gbp / 1e6:,.1f}m")
