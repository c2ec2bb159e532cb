"""Heuristic plans: greedy merging, local search over block moves, chained moves, recombination.

Used for incumbents (thresholds for the exact set partitioning, warm starts,
LAD-level improvement). Deterministic: fixed scan orders, ties broken by index.
Every plan returned is contiguous and meets the per-area rules of
:class:`.costs.AreaCosts` (every rule of :mod:`cpa.rules`). Moves keep a
plan-level rule (``--small-lots``) that holds, and never take one that fails
further from holding (:meth:`.costs.AreaCosts.plan_move_ok`).
"""

from __future__ import annotations

import random
import time

import networkx as nx
import numpy as np

from ..rules import AreaFacts
from .costs import AreaCosts


def area_within_rules(ac: AreaCosts, area: set[int]) -> bool:
    """The area passes the monotone rules (cap, PFAs per area, locks): it may still grow or shrink."""
    return ac.can_grow(ac.facts(area))


def area_above_floor(ac: AreaCosts, area: set[int]) -> bool:
    fl = ac.floor
    return fl is None or float(ac.value[list(area)].sum()) >= fl - 1e-6


class Partition:
    """Areas as sets of blocks, with cached costs."""

    def __init__(self, ac: AreaCosts, areas: list[set[int]]):
        self.ac = ac
        self.areas = [set(a) for a in areas]
        self.area_of = {b: i for i, a in enumerate(self.areas) for b in a}
        self.costs = [ac.area_cost(sorted(a))[0] for a in self.areas]

    def objective(self) -> float:
        return sum(self.costs) + self.ac.offset()

    def assignment(self) -> dict[int, int]:
        out = {}
        for a in self.areas:
            hub = self.ac.area_cost(sorted(a))[1]
            for b in a:
                out[b] = hub
        return out

    def feasible_area(self, area: set[int]) -> bool:
        return area_within_rules(self.ac, area)

    def floor_ok(self, area: set[int]) -> bool:
        return area_above_floor(self.ac, area)

    def value_of(self, i: int) -> float:
        return float(self.ac.value[list(self.areas[i])].sum())

    def rule_deficit(self, changed: dict[int, float] | None = None) -> float:
        """How far the plan-level rules are from holding (0 when they hold), with areas ``i`` at values
        ``changed[i]`` (£) if given: the sum over rules of the shortfall of their totals."""
        ac = self.ac
        if not ac.plan_rules:
            return 0.0
        values = [self.value_of(i) for i in range(len(self.areas))]
        for i, v in (changed or {}).items():
            values[i] = v
        out = 0.0
        for r, t in zip(ac.plan_rules, ac.plan_totals_of_values(values)):
            out += max(r.rhs - t, 0.0) if r.sense == ">=" else max(t - r.rhs, 0.0)
        return out

    def move_ok(self, changed: dict[int, float]) -> bool:
        """Areas ``i`` taking new values ``changed[i]`` (£) keep the plan rules (see the module docstring)."""
        ac = self.ac
        if not ac.plan_rules:
            return True
        values = [self.value_of(i) for i in range(len(self.areas))]
        old = tuple(values[i] for i in changed)
        return ac.plan_move_ok(old, tuple(changed.values()), ac.plan_totals_of_values(values))


def greedy(ac: AreaCosts, history: list | None = None) -> Partition | None:
    """Start from one area per block; merge the adjacent pair that costs least until K areas.
    ``history`` (a list) receives every area the merges make (good first columns for the master)."""
    g = ac.blocks.graph
    areas = {b: {b} for b in range(ac.blocks.n)}
    cost = {b: ac.area_cost([b])[0] for b in areas}
    owner = {b: b for b in areas}
    pair_cost: dict[tuple[int, int], float] = {}

    def merged_cost(i, j):
        key = (min(i, j), max(i, j))
        if key not in pair_cost:
            u = areas[i] | areas[j]
            pair_cost[key] = (ac.area_cost(sorted(u))[0] - cost[i] - cost[j]
                              if area_within_rules(ac, u) else float("inf"))
        return pair_cost[key]

    while len(areas) > ac.options.k:
        best = None
        for a, c in g.edges:
            i, j = owner[a], owner[c]
            if i == j:
                continue
            d = merged_cost(i, j)
            key = (d, min(i, j), max(i, j))
            if best is None or key < best:
                best = key
        if best is None or best[0] == float("inf"):
            return None
        _, i, j = best
        areas[i] |= areas.pop(j)
        if history is not None:
            history.append(sorted(areas[i]))
        for b in areas[i]:
            owner[b] = i
        cost[i] = ac.area_cost(sorted(areas[i]))[0]
        cost.pop(j)
        pair_cost = {k: v for k, v in pair_cost.items() if i not in k and j not in k}
    part = Partition(ac, [areas[i] for i in sorted(areas)])
    if not all(part.floor_ok(a) for a in part.areas):
        return None
    return part


def _over(deadline: float | None, stop) -> bool:
    """Past the deadline, or the caller's stop event is set."""
    return (deadline is not None and time.perf_counter() > deadline) or (stop is not None and stop.is_set())


def local_search(part: Partition, deadline: float | None = None, max_passes: int = 200, stop=None) -> Partition:
    """Move single blocks to adjacent areas while that lowers the objective (first improvement,
    fixed scan order), keeping every area connected, non-empty and within the rules."""
    ac = part.ac
    g = ac.blocks.graph
    eps = 1e-9
    for _ in range(max_passes):
        improved = False
        for b in range(ac.blocks.n):
            if _over(deadline, stop):
                return part
            i = part.area_of[b]
            src = part.areas[i]
            if len(src) == 1:
                continue
            targets = sorted({part.area_of[c] for c in g.neighbors(b)} - {i})
            if not targets:
                continue
            rest = src - {b}
            if not part.floor_ok(rest) or not nx.is_connected(g.subgraph(rest)):
                continue
            c_rest = ac.area_cost(sorted(rest))[0]
            best = None
            for j in targets:
                dst = part.areas[j] | {b}
                if not part.feasible_area(dst):
                    continue
                c_dst = ac.area_cost(sorted(dst))[0]
                d = c_rest + c_dst - part.costs[i] - part.costs[j]
                if d < -eps and (best is None or d < best[0]) and (not ac.plan_rules or part.move_ok(
                        {i: part.value_of(i) - float(ac.value[b]), j: part.value_of(j) + float(ac.value[b])})):
                    best = (d, j, c_dst)
            if best is not None:
                _, j, c_dst = best
                part.areas[i] = rest
                part.areas[j].add(b)
                part.area_of[b] = j
                part.costs[i], part.costs[j] = c_rest, c_dst
                improved = True
        if not improved:
            break
    return part


class _AreaState:
    """Incremental cost of one area: travel vector to every LAD, hub mask, value, PFA counts."""

    __slots__ = ("blocks", "cvec", "mask", "value", "pfa_count")

    def __init__(self, ac: AreaCosts, blocks: set[int]):
        idx = sorted(blocks)
        self.blocks = set(blocks)
        self.cvec = ac.cost[idx].sum(axis=0)
        self.mask = ac.member[idx].any(axis=0)
        self.value = float(ac.value[idx].sum())
        self.pfa_count: dict[int, int] = {}
        for b in idx:
            for p in ac.block_pfas[b]:
                self.pfa_count[p] = self.pfa_count.get(p, 0) + 1


def _cost(ac: AreaCosts, cvec, mask, value: float, npfas: int) -> float:
    return ac.cost_at(np.where(mask, cvec, np.inf).min(), value, npfas)


def chain_search(part: Partition, deadline: float | None = None, max_chain: int = 12,
                 max_passes: int = 50, stop=None) -> Partition:
    """Local search with chained moves: move block b from its area to a neighbouring area, then
    keep moving blocks of the same PFAs that border the moved set, as long as that lowers the
    cost; apply the best prefix of the chain if it improves. A single move that opens a new PFA
    fragment pays the split penalty at once, so chains are what let soft plans split a PFA."""
    ac = part.ac
    g = ac.blocks.graph
    eps = 1e-9
    states = [_AreaState(ac, a) for a in part.areas]

    def npfas_after(st: _AreaState, remove: list[int], add: list[int]) -> int:
        cnt = dict(st.pfa_count)
        for b in remove:
            for p in ac.block_pfas[b]:
                cnt[p] -= 1
        for b in add:
            for p in ac.block_pfas[b]:
                cnt[p] = cnt.get(p, 0) + 1
        return sum(1 for c in cnt.values() if c > 0)


    for _ in range(max_passes):
        improved = False
        for b in range(ac.blocks.n):
            if _over(deadline, stop):
                part.costs = [_cost(ac, s.cvec, s.mask, s.value, len([c for c in s.pfa_count.values() if c]))
                              for s in states]
                return part
            i = part.area_of[b]
            src = states[i]
            if len(src.blocks) == 1:
                continue
            targets = sorted({part.area_of[c] for c in g.neighbors(b)} - {i})
            best = None
            for j in targets:
                dst = states[j]
                moved: list[int] = []
                cur_src_c, cur_dst_c = src.cvec.copy(), dst.cvec.copy()
                src_mask, dst_mask = src.mask.copy(), dst.mask.copy()
                sv, dv = src.value, dst.value
                base = part.costs[i] + part.costs[j]
                nxt = b
                pfas_of_chain = set(ac.block_pfas[b])
                for _step in range(max_chain):
                    moved.append(nxt)
                    cur_src_c = cur_src_c - ac.cost[nxt]
                    cur_dst_c = cur_dst_c + ac.cost[nxt]
                    src_mask = src_mask & ~ac.member[nxt]
                    dst_mask = dst_mask | ac.member[nxt]
                    sv -= ac.value[nxt]
                    dv += ac.value[nxt]
                    rest = src.blocks - set(moved)
                    if not rest:
                        break
                    fl = ac.floor
                    if fl is not None and sv < fl - 1e-6:
                        break
                    labels = frozenset({ac.blocks.lock[x] for x in dst.blocks | set(moved)} - {None})
                    pf_d = npfas_after(dst, [], moved)
                    if not ac.can_grow(AreaFacts(dv, pf_d, labels)):
                        break
                    if nx.is_connected(g.subgraph(rest)):
                        c_s = _cost(ac, cur_src_c, src_mask, sv, npfas_after(src, moved, []))
                        c_d = _cost(ac, cur_dst_c, dst_mask, dv, pf_d)
                        d = c_s + c_d - base
                        if d < -eps and (best is None or d < best[0] - eps) and (
                                not ac.plan_rules or part.move_ok({i: sv, j: dv})):
                            best = (d, j, list(moved))
                    # extend the chain: the neighbour in the source area, in the chain's PFAs, that
                    # keeps the source cheapest (fixed order on ties)
                    moved_set = set(moved)
                    cands = sorted({c for x in moved for c in g.neighbors(x)
                                    if c in src.blocks and c not in moved_set and ac.block_pfas[c] & pfas_of_chain})
                    if not cands:
                        break
                    nxt = min(cands, key=lambda c: (float(ac.cost[c][dst_mask].min())
                                                   - float(ac.cost[c][src_mask].min()), c))
            if best is not None:
                _, j, moved = best
                for x in moved:
                    part.areas[i].discard(x)
                    part.areas[j].add(x)
                    part.area_of[x] = j
                states[i] = _AreaState(ac, part.areas[i])
                states[j] = _AreaState(ac, part.areas[j])
                for s in (i, j):
                    part.costs[s] = _cost(ac, states[s].cvec, states[s].mask, states[s].value,
                                          len([c for c in states[s].pfa_count.values() if c]))
                improved = True
        if not improved:
            break
    return part


def recombine(part: Partition, deadline: float, seed: int = 0, trees: int = 6, max_passes: int = 20,
              stop=None) -> Partition:
    """Recombination (as ReCom does, but greedy): merge two adjacent areas, draw spanning trees of the
    merged region (minimum spanning trees under random edge weights, seeded), and cut the tree edge
    that gives the cheapest pair of areas within the rules; keep the split if it lowers the cost.
    While a plan-level rule fails (``--small-lots``: no seed plan need meet it), a split is kept
    instead when it brings the plan closer to the rule, the cheapest such, whatever it costs.
    Deterministic given ``seed``; stops at ``deadline`` or when a pass improves nothing."""
    ac = part.ac
    g = ac.blocks.graph
    rng = random.Random(seed)
    n_pfa = len(ac.pfa_ids)
    pfa_rows = np.zeros((ac.n, n_pfa))
    for b in range(ac.n):
        for p in ac.block_pfas[b]:
            pfa_rows[b, p] = 1.0
    eps = 1e-9
    for _ in range(max_passes):
        improved = False
        pairs = sorted({(min(part.area_of[a], part.area_of[c]), max(part.area_of[a], part.area_of[c]))
                        for a, c in g.edges if part.area_of[a] != part.area_of[c]})
        rng.shuffle(pairs)
        for i, j in pairs:
            if _over(deadline, stop):
                return part
            deficit = part.rule_deficit()  # > 0: repair the plan rules first (see the docstring)
            if not (part.areas[i] and part.areas[j]) or not any(
                    part.area_of[c] == j for b in part.areas[i] for c in g.neighbors(b)):
                continue
            union = sorted(part.areas[i] | part.areas[j])
            base = part.costs[i] + part.costs[j]
            best = None
            sub = g.subgraph(union)
            total_c = ac.cost[union].sum(axis=0)
            total_m = ac.member[union].sum(axis=0)
            total_v = float(ac.value[union].sum())
            total_p = pfa_rows[union].sum(axis=0)
            for _t in range(trees):
                for a, c in sub.edges:
                    sub.edges[a, c]["w"] = rng.random()  # noqa: B023
                tree = nx.minimum_spanning_tree(sub, weight="w")
                root = union[0]
                order = list(nx.dfs_preorder_nodes(tree, root))
                parent = {root: None}
                for u in order:
                    for v in tree.neighbors(u):
                        if v not in parent:
                            parent[v] = u
                sub_c = {u: ac.cost[u].copy() for u in order}
                sub_m = {u: ac.member[u].astype(int) for u in order}
                sub_v = {u: float(ac.value[u]) for u in order}
                sub_p = {u: pfa_rows[u].copy() for u in order}
                for u in reversed(order):
                    p = parent[u]
                    if p is not None:
                        sub_c[p] = sub_c[p] + sub_c[u]
                        sub_m[p] = sub_m[p] + sub_m[u]
                        sub_v[p] += sub_v[u]
                        sub_p[p] = sub_p[p] + sub_p[u]
                for u in order[1:]:
                    va, vb = sub_v[u], total_v - sub_v[u]
                    pa, pb = int((sub_p[u] > 0).sum()), int((total_p - sub_p[u] > 0).sum())
                    ca = ac.cost_at(np.where(sub_m[u] > 0, sub_c[u], np.inf).min(), va, pa)
                    cb = ac.cost_at(np.where(total_m - sub_m[u] > 0, total_c - sub_c[u], np.inf).min(), vb, pb)
                    if best is not None and ca + cb >= best[0] - eps:
                        continue
                    if deficit > 0:
                        if part.rule_deficit({i: va, j: vb}) >= deficit - eps:
                            continue
                    elif ca + cb >= base - eps:
                        continue
                    side = set(nx.dfs_preorder_nodes(tree.subgraph(
                        [x for x in order if _below(x, u, parent)]), u))
                    other = set(union) - side
                    if ac.area_ok(side) and ac.area_ok(other) and (
                            deficit > 0 or not ac.plan_rules or part.move_ok({i: va, j: vb})):
                        best = (ca + cb, side, other, ca, cb)
            if best is not None:
                _, side, other, ca, cb = best
                part.areas[i], part.areas[j] = side, other
                for b in side:
                    part.area_of[b] = i
                for b in other:
                    part.area_of[b] = j
                part.costs[i], part.costs[j] = ca, cb
                improved = True
        if not improved:
            break
    return part


def _below(x: int, u: int, parent: dict) -> bool:
    """True when ``x`` is ``u`` or a descendant of ``u`` in the rooted tree given by ``parent``."""
    while x is not None:
        if x == u:
            return True
        x = parent[x]
    return False
