r"""The integer programme: assign blocks to hubs (a Hess / p-median model).

Sets: blocks :math:`B` (PFAs or LADs, see :mod:`.blocks`), candidate hubs
:math:`H` (LADs), :math:`\beta(h)` the block holding hub :math:`h`, PFAs :math:`P`.

An area is identified by the block holding its hub (its *hub block* :math:`q`).

Variables: :math:`r_{bq}\in\{0,1\}` block :math:`b` is in the area of hub
block :math:`q` (:math:`y_q = r_{qq}` opens it); :math:`w_h\in\{0,1\}` LAD
:math:`h` is the hub; :math:`x_{bh}\in[0,1]` block :math:`b` travels to hub
:math:`h` (only when a block holds several LADs; otherwise :math:`x=r`,
:math:`w=y`); :math:`d^+_q, d^-_q \ge 0` the area's value above / below the
mean :math:`m=V/K`; :math:`z_{pq}\in[0,1]` PFA :math:`p` touches area
:math:`q` (soft mode, or with a PFA cap).

.. math::

    \min\; w_T \frac{1}{V}\sum_{b,h} c_{bh} x_{bh}
         + w_B \frac{100}{V}\sum_q (d^+_q + d^-_q) + w_S \Big(\sum_{p,q} z_{pq} - |P|\Big)

    \sum_q r_{bq} = 1, \quad r_{bq} \le y_q, \quad \sum_q y_q = K, \quad
    \sum_{h\in q} w_h = y_q, \quad \sum_{h\in q} x_{bh} = r_{bq}, \quad x_{bh} \le w_h

    L\,y_q \le \textstyle\sum_b v_b r_{bq} \le U\,y_q, \qquad
    d^+_q - d^-_q = \textstyle\sum_b v_b r_{bq} - m\,y_q, \qquad
    d^+_q \ge (v_b - m)\, r_{bq} \;\text{ for } v_b > m

    z_{pq} \ge r_{bq}\;(b \cap p \ne \emptyset), \qquad \textstyle\sum_p z_{pq} \le N y_q

where :math:`c_{bh}=\sum_{l\in b} v_l\,\mathrm{dist}(l,h)`: the first term is
the value-weighted mean travel in km. Splitting the deviation into
:math:`d^\pm` with an equality makes the LP see that an area above the mean
(London) forces equal deficits elsewhere (:math:`\sum d^+ = \sum d^-`); this
and the big-block cut roughly halved the root gap against a single
:math:`|d|` variable. Blocks with different lock labels never share an area.

Contiguity uses separator ("CUT") constraints on the aggregated variables
:math:`r_{bq}=\sum_{h\in q} x_{bh}` (block :math:`b` lies in the area hubbed in
block :math:`q`): for a set :math:`C` of blocks not containing :math:`q`,
:math:`r_{bq} \le \sum_{c\in N(C)} r_{cq}` for :math:`b\in C`. The
single-block cuts (:math:`C=\{b\}`) go in up front when the model is small;
the rest are added by the solve-check-cut loop in :mod:`.solve`. Each cut is
valid for every contiguous plan, so a bound proved with some cuts is a bound
for the full problem.

Safe variable fixing: with a value cap :math:`U`, :math:`r_{bq}` is dropped
when every path from :math:`q` to :math:`b` carries more than :math:`U` (the
area would have to contain such a path).
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pulp

from ..geography import Geography
from ..values import ContractValues
from .blocks import Blocks
from ..options import SolveOptions

#: Up-front single-block contiguity cuts only below this many (block, hub-block) pairs.
NEIGHBOUR_CUTS_LIMIT = 20_000


def objective_terms(assignment: dict[int, int], cost: np.ndarray, blocks: Blocks, geo: Geography,
                    options: SolveOptions, total: float) -> dict[str, float]:
    """The objective and its terms for an assignment block -> hub LAD, with ``cost[b, h]`` the
    value-weighted km of block ``b`` to LAD ``h``. The one definition every solver path scores by."""
    travel = sum(cost[b, h] for b, h in assignment.items()) / total
    mean = total / options.k
    area_val: dict[int, float] = {}
    for b, h in assignment.items():
        area_val[h] = area_val.get(h, 0.0) + blocks.value[b]
    balance = 100.0 * sum(abs(v - mean) for v in area_val.values()) / total
    touched = {(p, h) for b, h in assignment.items() for p in blocks.pfas[b]}
    frags = len(touched) - len(geo.pfa_members)
    w = options.weights
    split_cost = w.split * frags if options.coterminous == "soft" else 0.0
    return {"travel_km": float(travel), "balance_pct": float(balance), "pfa_fragments": int(frags),
            "objective": float(w.travel * travel + w.balance * balance + split_cost)}


class AreaModel:
    """The PuLP model of one request, plus the data to read a plan back.

    Plans are exchanged as *assignments*: block index -> hub LAD index.
    """

    def __init__(self, blocks: Blocks, geo: Geography, values: ContractValues, options: SolveOptions,
                 hub_candidates: set[int] | None = None, radius_km: float | None = None):
        """``hub_candidates`` (LAD indices) and ``radius_km`` restrict the model (not safe:
        a bound proved on a restricted model is not a bound for the full problem)."""
        self.blocks = blocks
        self.hub_candidates = hub_candidates
        self.radius_km = radius_km
        self.restricted = hub_candidates is not None or radius_km is not None
        self.geo = geo
        self.values = values
        self.options = options
        self.total = values.total
        self.mean = self.total / options.k
        t0 = time.perf_counter()
        self._prepare()
        self.problem = pulp.LpProblem("contract_package_areas", pulp.LpMinimize)
        self._add_variables()
        self._add_assignment()
        self._add_hub_choice()
        self._add_value_bounds()
        self._add_balance()
        self._add_pfa_fragments()
        self._add_lock_separation()
        self._add_neighbour_cuts()
        self._set_objective()
        self.build_seconds = time.perf_counter() - t0
        self.cuts = 0

    @classmethod
    def from_geography(cls, geo: Geography, values: ContractValues, options: SolveOptions) -> "AreaModel":
        from .blocks import build_blocks, check_feasibility

        blocks = build_blocks(geo, values, options)
        check_feasibility(blocks, geo, values, options)
        return cls(blocks, geo, values, options)

    # ------------------------------------------------------------ data prep
    def _prepare(self) -> None:
        geo, bl = self.geo, self.blocks
        v = self.values.array(geo)
        self.hubs = list(geo.codes)
        block_of = bl.block_of()
        self.hub_block = np.array([block_of[h] for h in self.hubs])
        member = np.zeros((bl.n, geo.n))
        for b, m in enumerate(bl.members):
            member[b, [geo.index_of[u] for u in m]] = 1.0
        # c[b, h] = sum over LADs l in b of v_l * dist(l, h)
        self.cost = (member * v[None, :]) @ geo.distance_km
        self.hubs_of_block: dict[int, list[int]] = {}
        for hi, b in enumerate(self.hub_block):
            if self.hub_candidates is None or hi in self.hub_candidates:
                self.hubs_of_block.setdefault(int(b), []).append(hi)
        if self.radius_km is not None:
            # block-to-block distance: closest pair of their LADs
            d = geo.distance_km
            to_lad = np.vstack([d[[geo.index_of[u] for u in m]].min(axis=0) for m in bl.members])
            self.block_km = np.vstack([to_lad[:, [geo.index_of[u] for u in m]].min(axis=1)
                                       for m in bl.members]).T
        self.cap = self._cap()
        self.allowed = self._allowed_pairs()

    def _cap(self) -> float | None:
        caps = [c for c in (self.options.max_value_gbp,
                            None if self.options.max_share_fraction is None else self.options.max_share_fraction * self.total)
                if c is not None]
        return min(caps) if caps else None

    def _allowed_pairs(self) -> list[tuple[int, int]]:
        """(block, hub block) pairs that survive safe path-value fixing."""
        bl = self.blocks
        hub_blocks = [q for q in range(bl.n) if q in self.hubs_of_block]

        def near(b, q):
            return self.radius_km is None or b == q or self.block_km[b, q] <= self.radius_km

        if self.cap is None:
            return [(b, q) for q in hub_blocks for b in range(bl.n) if near(b, q)]
        pairs = []
        for q in hub_blocks:
            if bl.value[q] > self.cap + 1e-6:
                continue
            reach = nx.single_source_dijkstra_path_length(self._value_digraph(), q,
                                                          cutoff=self.cap - bl.value[q] + 1e-6, weight="w")
            pairs += [(b, q) for b in sorted(reach) if near(b, q)]
        return pairs

    # ------------------------------------------------------------ builders
    def _add_variables(self) -> None:
        self.r = {(b, q): pulp.LpVariable(f"r_{b}_{q}", cat=pulp.LpBinary) for b, q in self.allowed}
        self.members_of: dict[int, list[int]] = {}
        self.areas_of: dict[int, list[int]] = {}
        for b, q in self.allowed:
            self.members_of.setdefault(q, []).append(b)
            self.areas_of.setdefault(b, []).append(q)
        self.hub_blocks = sorted(q for q in self.members_of if (q, q) in self.r)
        self.y = {q: self.r[(q, q)] for q in self.hub_blocks}
        # hub choice inside a block only matters when the block holds several LADs
        self.w: dict[int, pulp.LpVariable] = {}
        self.x: dict[tuple[int, int], pulp.LpVariable | None] = {}
        for q in self.hub_blocks:
            hubs = self.hubs_of_block[q]
            if len(hubs) == 1:
                continue
            for h in hubs:
                self.w[h] = pulp.LpVariable(f"w_{h}", cat=pulp.LpBinary)
            for b in self.members_of[q]:
                for h in hubs:
                    self.x[(b, h)] = pulp.LpVariable(f"x_{b}_{h}", lowBound=0, upBound=1)

    def _add_assignment(self) -> None:
        for b in range(self.blocks.n):
            self.problem += pulp.lpSum(self.r[(b, q)] for q in self.areas_of.get(b, [])
                                       if q in self.y) == 1, f"assign_{b}"
        for (b, q), var in self.r.items():
            if b != q and q in self.y:
                self.problem += var <= self.y[q], f"open_{b}_{q}"
            elif q not in self.y:
                var.upBound = 0  # hub block cannot hold an area (its own value breaks the cap)
        self.problem += pulp.lpSum(self.y.values()) == self.options.k, "k_areas"

    def _add_hub_choice(self) -> None:
        for q in self.hub_blocks:
            hubs = self.hubs_of_block[q]
            if len(hubs) == 1:
                continue
            self.problem += pulp.lpSum(self.w[h] for h in hubs) == self.y[q], f"one_hub_{q}"
            for b in self.members_of[q]:
                self.problem += pulp.lpSum(self.x[(b, h)] for h in hubs) == self.r[(b, q)], f"travel_{b}_{q}"
                for h in hubs:
                    self.problem += self.x[(b, h)] <= self.w[h], f"via_{b}_{h}"

    def area_value(self, q: int) -> pulp.LpAffineExpression:
        return pulp.LpAffineExpression([(self.r[(b, q)], float(self.blocks.value[b])) for b in self.members_of[q]])

    def _add_value_bounds(self) -> None:
        lo = self.options.min_value_gbp
        for q in self.hub_blocks:
            if lo is not None:
                self.problem += self.area_value(q) >= lo * self.y[q], f"floor_{q}"
            if self.cap is not None:
                self.problem += self.area_value(q) <= self.cap * self.y[q], f"cap_{q}"

    def _value_digraph(self) -> nx.DiGraph:
        """Block graph whose arc a -> c weighs c's value: path lengths are path values minus the start."""
        if not hasattr(self, "_path_graph"):
            bl = self.blocks
            dg = nx.DiGraph()
            dg.add_nodes_from(range(bl.n))
            for a, c in bl.graph.edges:
                dg.add_edge(a, c, w=bl.value[c])
                dg.add_edge(c, a, w=bl.value[a])
            self._path_graph = dg
        return self._path_graph

    def path_values(self, q: int) -> dict[int, float]:
        """Least value of a connected path from block q to each block (both ends included)."""
        dist = nx.single_source_dijkstra_path_length(self._value_digraph(), q, weight="w")
        return {b: self.blocks.value[q] + d for b, d in dist.items()}

    def _add_balance(self) -> None:
        self.dev_up = {q: pulp.LpVariable(f"devup_{q}", lowBound=0) for q in self.hub_blocks}
        self.dev_down = {q: pulp.LpVariable(f"devdown_{q}", lowBound=0) for q in self.hub_blocks}
        for q in self.hub_blocks:
            self.problem += self.dev_up[q] - self.dev_down[q] == self.area_value(q) - self.mean * self.y[q], \
                f"dev_{q}"
        # Path-value cuts: if b joins q's area, the area holds a connected path from q to b,
        # so its value is at least the lightest such path. Only worth it on small block graphs.
        if len(self.r) > NEIGHBOUR_CUTS_LIMIT:
            return
        for q in self.hub_blocks:
            pv = self.path_values(q)
            for b in self.members_of[q]:
                if pv.get(b, 0.0) > self.mean:
                    self.problem += self.dev_up[q] >= (pv[b] - self.mean) * self.r[(b, q)], f"devpath_{b}_{q}"

    def _add_pfa_fragments(self) -> None:
        """PFA-touches-area indicators, needed for the soft split penalty or a PFA cap."""
        self.z: dict[tuple[str, int], pulp.LpVariable] = {}
        o = self.options
        if o.coterminous == "strict" or (o.coterminous == "off" and o.max_pfas is None):
            if o.max_pfas is not None:
                # blocks are unions of whole PFAs: count them directly
                for q in self.hub_blocks:
                    self.problem += pulp.LpAffineExpression(
                        [(self.r[(b, q)], len(self.blocks.pfas[b])) for b in self.members_of[q]]
                    ) <= o.max_pfas * self.y[q], f"max_pfas_{q}"
            return
        for (b, q), var in self.r.items():
            if q not in self.y:
                continue
            for p in sorted(self.blocks.pfas[b]):
                key = (p, q)
                if key not in self.z:
                    self.z[key] = pulp.LpVariable(f"z_{p}_{q}", lowBound=0, upBound=1)
                self.problem += self.z[key] >= var, f"touch_{p}_{b}_{q}"
        if o.max_pfas is not None:
            by_area: dict[int, list] = {}
            for (p, q), var in self.z.items():
                by_area.setdefault(q, []).append(var)
            for q, zs in by_area.items():
                self.problem += pulp.lpSum(zs) <= o.max_pfas * self.y[q], f"max_pfas_{q}"

    def add_split_balance_cuts(self) -> int:
        r"""Soft mode: :math:`\sum_{b\subseteq p} v_b r_{bq} \le m z_{pq} + d^+_q` for PFAs :math:`p`
        worth more than half the mean. Valid (an area touching :math:`p` holds at most
        :math:`m + d^+_q`); summed over areas it says a PFA worth :math:`v_p` touches at least
        :math:`(v_p - \sum_q d^+_q)/m` areas, which the LP otherwise ignores by spreading the PFA
        fractionally (soft K=16: the LP bound rises from 32.7 to 39.9). Used for the LAD-level
        LP bound; returns how many were added."""
        if not self.z or self.options.coterminous != "soft":
            return 0
        added = 0
        bl = self.blocks
        single: dict[str, list[int]] = {}
        for b in range(bl.n):
            if len(bl.pfas[b]) == 1:
                single.setdefault(next(iter(bl.pfas[b])), []).append(b)
        for p in sorted(single):
            if float(bl.value[single[p]].sum()) <= 0.5 * self.mean:
                continue
            for q in self.hub_blocks:
                key = (p, q)
                if key not in self.z:
                    continue
                terms = [(self.r[(b, q)], float(bl.value[b])) for b in single[p] if (b, q) in self.r]
                if not terms:
                    continue
                self.problem += (pulp.LpAffineExpression(terms) <= self.mean * self.z[key] + self.dev_up[q],
                                 f"splitbal_{p}_{q}")
                added += 1
        return added

    def _add_lock_separation(self) -> None:
        locked = [(b, lab) for b, lab in enumerate(self.blocks.lock) if lab is not None]
        for i, (b1, l1) in enumerate(locked):
            for b2, l2 in locked[i + 1:]:
                if l1 == l2:
                    continue
                for q in sorted(set(self.areas_of.get(b1, [])) & set(self.areas_of.get(b2, []))):
                    self.problem += self.r[(b1, q)] + self.r[(b2, q)] <= 1, f"apart_{b1}_{b2}_{q}"

    def _r(self, b: int, q: int):
        return self.r.get((b, q))

    def _add_neighbour_cuts(self) -> None:
        bl = self.blocks
        if len(self.r) > NEIGHBOUR_CUTS_LIMIT:
            self.neighbour_cuts = False
            return
        self.neighbour_cuts = True
        for (b, q), var in self.r.items():
            if b == q:
                continue
            nbrs = [self.r[(c, q)] for c in bl.graph.neighbors(b) if (c, q) in self.r]
            self.problem += var <= pulp.lpSum(nbrs), f"nb_{b}_{q}"

    def add_separator_cuts(self, component: set[int], q: int) -> int:
        """Cuts for a piece ``component`` cut off from hub block ``q``; returns how many were added."""
        boundary = set()
        for b in component:
            boundary.update(self.blocks.graph.neighbors(b))
        boundary -= component
        rhs = pulp.lpSum(self.r[(c, q)] for c in sorted(boundary) if (c, q) in self.r)
        added = 0
        for b in sorted(component):
            if (b, q) not in self.r:
                continue
            self.cuts += 1
            self.problem += self.r[(b, q)] <= rhs, f"cut_{self.cuts}"
            added += 1
        return added

    def _set_objective(self) -> None:
        w = self.options.weights
        terms = []
        for (b, q), var in self.r.items():
            hubs = self.hubs_of_block[q]
            if len(hubs) == 1:
                terms.append((var, float(self.cost[b, hubs[0]]) / self.total))
        for (b, h), var in self.x.items():
            terms.append((var, float(self.cost[b, h]) / self.total))
        travel = pulp.LpAffineExpression(terms)
        balance = pulp.LpAffineExpression([(d, 100.0 / self.total)
                                           for d in list(self.dev_up.values()) + list(self.dev_down.values())])
        soft = bool(self.z) and self.options.coterminous == "soft"
        touches = pulp.lpSum(self.z.values()) if soft else pulp.LpAffineExpression()
        # fragments = touches - |P|; the constant stays out of the model (PuLP's HiGHS
        # interface drops objective constants) and is added back by ``objective_offset``.
        self.objective_offset = -w.split * len(self.geo.pfa_members) if soft else 0.0
        self.problem += w.travel * travel + w.balance * balance + w.split * touches

    # ------------------------------------------------------------ reading back
    def term_values(self, assignment: dict[int, int]) -> dict[str, float]:
        """Objective terms of an assignment block -> hub LAD index (computed, not read from the LP)."""
        return objective_terms(assignment, self.cost, self.blocks, self.geo, self.options, self.total)

    def assignment_from_solution(self) -> dict[int, int]:
        hub_of_area = {}
        for q in self.hub_blocks:
            hubs = self.hubs_of_block[q]
            if len(hubs) == 1:
                hub_of_area[q] = hubs[0]
            else:
                hub_of_area[q] = max(hubs, key=lambda h: (self.w[h].varValue or 0.0, -h))
        out = {}
        for (b, q), var in self.r.items():
            if var.varValue is not None and var.varValue > 0.5 and q in hub_of_area:
                out[b] = hub_of_area[q]
        return out

    def start_values(self, assignment: dict[int, int]) -> dict[str, float]:
        """Variable values (by name) for a warm start from an assignment block -> hub LAD."""
        start = {var.name: 0.0 for var in self.problem.variables()}
        area_val: dict[int, float] = {}
        for b, h in assignment.items():
            q = int(self.hub_block[h])
            start[self.r[(b, q)].name] = 1.0
            if h in self.w:
                start[self.w[h].name] = 1.0
                start[self.x[(b, h)].name] = 1.0
            area_val[q] = area_val.get(q, 0.0) + self.blocks.value[b]
        for q in self.hub_blocks:
            dev = area_val[q] - self.mean if q in area_val else 0.0
            start[self.dev_up[q].name] = max(dev, 0.0)
            start[self.dev_down[q].name] = max(-dev, 0.0)
        touched = {(p, int(self.hub_block[h])) for b, h in assignment.items() for p in self.blocks.pfas[b]}
        for key, var in self.z.items():
            start[var.name] = 1.0 if key in touched else 0.0
        return start

    def allows(self, b: int, h: int) -> bool:
        """May block ``b`` be in the area hubbed at LAD ``h``?"""
        return (b, int(self.hub_block[h])) in self.r

    def size(self) -> dict[str, int]:
        return {"variables": len(self.problem.variables()), "constraints": len(self.problem.constraints),
                "restricted": self.restricted, "radius_km": self.radius_km,
                "binaries": len(self.r) + len(self.w), "blocks": self.blocks.n,
                "candidate_hubs": sum(len(self.hubs_of_block[q]) for q in self.hub_blocks)}
