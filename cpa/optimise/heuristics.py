"""Heuristic plans: greedy merging and local search over block moves.

Used for incumbents (thresholds for the exact set partitioning, warm starts,
LAD-level improvement). Deterministic: fixed scan orders, ties broken by index.
Every plan returned is contiguous and meets the per-area rules of
:class:`.columns.AreaCosts` (value floor and cap, PFAs per area, locks).
"""

from __future__ import annotations

import time

import networkx as nx

from .columns import AreaCosts


def _ok(ac: AreaCosts, area: set[int], value: float, pfas: frozenset, labels: set) -> bool:
    o = ac.options
    if ac.cap is not None and value > ac.cap + 1e-6:
        return False
    if o.max_pfas is not None and len(pfas) > o.max_pfas:
        return False
    return len(labels) <= 1


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
        ac = self.ac
        value = float(ac.value[list(area)].sum())
        pfas = frozenset().union(*(ac.block_pfas[b] for b in area))
        labels = {ac.blocks.lock[b] for b in area} - {None}
        return _ok(ac, area, value, pfas, labels)

    def floor_ok(self, area: set[int]) -> bool:
        fl = self.ac.options.min_value
        return fl is None or float(self.ac.value[list(area)].sum()) >= fl - 1e-6


def greedy(ac: AreaCosts) -> Partition | None:
    """Start from one area per block; merge the adjacent pair that costs least until K areas."""
    g = ac.blocks.graph
    areas = {b: {b} for b in range(ac.blocks.n)}
    cost = {b: ac.area_cost([b])[0] for b in areas}
    owner = {b: b for b in areas}
    pair_cost: dict[tuple[int, int], float] = {}

    def merged_cost(i, j):
        key = (min(i, j), max(i, j))
        if key not in pair_cost:
            u = areas[i] | areas[j]
            p = Partition.__new__(Partition)
            p.ac = ac
            pair_cost[key] = (ac.area_cost(sorted(u))[0] - cost[i] - cost[j]
                              if Partition.feasible_area(p, u) else float("inf"))
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
        for b in areas[i]:
            owner[b] = i
        cost[i] = ac.area_cost(sorted(areas[i]))[0]
        cost.pop(j)
        pair_cost = {k: v for k, v in pair_cost.items() if i not in k and j not in k}
    part = Partition(ac, [areas[i] for i in sorted(areas)])
    if not all(part.floor_ok(a) for a in part.areas):
        return None
    return part


def local_search(part: Partition, deadline: float | None = None, max_passes: int = 200) -> Partition:
    """Move single blocks to adjacent areas while that lowers the objective (first improvement,
    fixed scan order), keeping every area connected, non-empty and within the rules."""
    ac = part.ac
    g = ac.blocks.graph
    eps = 1e-9
    for _ in range(max_passes):
        improved = False
        for b in range(ac.blocks.n):
            if deadline is not None and time.perf_counter() > deadline:
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
                if d < -eps and (best is None or d < best[0]):
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
