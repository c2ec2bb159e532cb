"""Block-level area costs and rule checks: :mod:`cpa.objective` and :mod:`cpa.rules` over blocks.

``cost[b, h]`` is block ``b``'s weighted travel to hub LAD ``h`` in objective units, so an area's
(set of blocks) travel to hub ``h`` is a column sum; its cost is the minimum over hubs inside it
plus :math:`g(A)` and the split term (see :mod:`cpa.objective`). Every engine part (master columns,
pricing, heuristics, enumeration) costs and checks areas through :class:`AreaCosts`.
"""

from __future__ import annotations

import numpy as np

from ..geography import Geography
from ..objective import Objective, objective_for
from ..rules import AreaFacts, Locks, Rule, area_rules, caps, floor, max_pfas, plan_rules
from ..values import ContractValues
from .blocks import Blocks
from ..options import SolveOptions


class AreaCosts:
    """Per-block data for area costs: travel to every LAD, values, PFAs, locks, and the rules."""

    def __init__(self, blocks: Blocks, geo: Geography, values: ContractValues, options: SolveOptions,
                 rules: list[Rule] | None = None, objective: Objective | None = None):
        self.blocks, self.geo, self.options = blocks, geo, options
        self.objective = objective or objective_for(geo, values, options)
        self.rules = area_rules(options, self.objective.total) if rules is None else rules
        self.plan_rules = plan_rules(options, self.objective.total)
        self.check_rules = [r for r in self.rules if type(r).area_ok is not Rule.area_ok]
        self.grow_rules = [r for r in self.rules if type(r).can_grow is not Rule.can_grow]
        ob = self.objective
        self.total = ob.total
        self.mean = ob.mean
        n = blocks.n
        self.n = n
        index = geo.index_of
        self.member_idx = [np.array([index[u] for u in m], dtype=int) for m in blocks.members]
        member = np.zeros((n, geo.n), dtype=bool)
        for b, idx in enumerate(self.member_idx):
            member[b, idx] = True
        self.member = member
        self.hub_block = np.empty(geo.n, dtype=int)
        for b, idx in enumerate(self.member_idx):
            self.hub_block[idx] = b
        self.wt, self.ws = ob.w_travel, ob.w_split
        self.bal_scale = ob.w_balance * 100.0 / self.total
        ut = ob.unit_travel
        self.cost = np.vstack([ut[idx].sum(axis=0) for idx in self.member_idx])
        self.t = self.cost.min(axis=1)
        self.value = blocks.value.astype(float)
        self.cap = caps(self.rules)
        self.floor = floor(self.rules)
        self.max_pfas = max_pfas(self.rules)
        self.pfa_ids = ob.pfa_id
        self.block_pfas = [frozenset(self.pfa_ids[p] for p in blocks.pfas[b]) for b in range(n)]
        # value of each block inside each of its PFAs (for the split term's relaxations)
        v = ob.v
        self.pfa_value = np.zeros(len(self.pfa_ids))
        np.add.at(self.pfa_value, ob.unit_pfa, v)
        self.block_pfa_value = [{p: float(v[idx][ob.unit_pfa[idx] == p].sum()) for p in self.block_pfas[b]}
                                for b, idx in enumerate(self.member_idx)]
        self.neighbours = [sorted(blocks.graph.neighbors(b)) for b in range(n)]
        self.has_locks = any(isinstance(r, Locks) for r in self.rules)

    # ------------------------------------------------------------ costs
    def value_cost(self, value):
        return self.objective.value_cost(value)

    def cost_at(self, travel: float, value: float, n_pfas: int) -> float:
        return float(travel) + float(self.objective.value_cost(value)) + self.ws * n_pfas

    def area_pfas(self, area) -> frozenset:
        return frozenset().union(*(self.block_pfas[b] for b in area))

    def area_cost(self, area) -> tuple[float, int]:
        """(cost, hub LAD) of one area, the hub the cheapest LAD inside it (ties: lowest index)."""
        area = list(area)
        cvec = self.cost[area].sum(axis=0)
        mask = self.member[area].any(axis=0)
        hub = int(np.argmin(np.where(mask, cvec, np.inf)))
        val = float(self.value[area].sum())
        return self.cost_at(cvec[hub], val, len(self.area_pfas(area))), hub

    def offset(self) -> float:
        return self.objective.constant

    def term_values(self, assignment: dict[int, int]) -> dict[str, float]:
        """The objective terms of block -> hub LAD (the hubs given), as :mod:`cpa.objective` scores them."""
        areas: dict[int, list[int]] = {}
        for b, h in assignment.items():
            areas.setdefault(h, []).extend(self.member_idx[b].tolist())
        hubs = sorted(areas)
        return self.objective.plan_terms([areas[h] for h in hubs], hubs)

    # ------------------------------------------------------------ rules
    def facts(self, area) -> AreaFacts:
        area = list(area)
        labels = frozenset(self.blocks.lock[b] for b in area) - {None} if self.has_locks else frozenset()
        return AreaFacts(float(self.value[area].sum()), len(self.area_pfas(area)), labels)

    def facts_for(self, value: float, n_pfas: int, labels) -> AreaFacts:
        return AreaFacts(float(value), int(n_pfas), frozenset(labels))

    def area_ok(self, area) -> bool:
        f = self.facts(area)
        return all(r.area_ok(f) for r in self.check_rules)

    def facts_ok(self, f: AreaFacts) -> bool:
        return all(r.area_ok(f) for r in self.check_rules)

    def can_grow(self, f: AreaFacts) -> bool:
        """False when no area containing one with these facts can pass a (monotone) rule."""
        return all(r.can_grow(f) for r in self.grow_rules)

    # ------------------------------------------------------------ plan rules
    def plan_rule_totals(self, areas) -> list[float]:
        """Per plan rule, the sum of its coefficients over the areas (lists of blocks)."""
        facts = [self.facts(a) for a in areas]
        return [sum(r.coefficient(f) for f in facts) for r in self.plan_rules]

    def plan_totals_of_values(self, values) -> list[float]:
        """Per (value-only) plan rule, the sum of its coefficients over areas of these values (£)."""
        return [sum(r.coefficient(AreaFacts(float(v), 0)) for v in values) for r in self.plan_rules]

    def plan_rules_ok(self, areas) -> bool:
        """Every plan-level rule holds for a plan given as lists of blocks."""
        if not self.plan_rules:
            return True
        return all(r.holds(t) for r, t in zip(self.plan_rules, self.plan_rule_totals(areas)))

    def plan_move_ok(self, old_values: tuple[float, ...], new_values: tuple[float, ...], totals: list[float]) -> bool:
        """A change of some areas' values (old -> new) keeps every value-only plan rule that holds
        (``totals``: each rule's current sum), and does not take one that fails further from holding."""
        for r, t in zip(self.plan_rules, totals):
            after = (t + sum(r.coefficient(AreaFacts(v, 0)) for v in new_values)
                     - sum(r.coefficient(AreaFacts(v, 0)) for v in old_values))
            if r.holds(t):
                if not r.holds(after):
                    return False
            elif (after < t) if r.sense == ">=" else (after > t):
                return False
        return True
