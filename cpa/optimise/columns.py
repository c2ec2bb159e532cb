r"""Exact solving of block-level requests by set partitioning over enumerated areas.

The objective is a sum over areas: each area :math:`S` (a connected set of
blocks) costs

.. math::

    c_S = w_T \frac{1}{V}\min_{h\in S}\sum_{l\in S} v_l\,\mathrm{dist}(l,h)
        + w_B \frac{100}{V}|A_S - m| + w_S\,|\mathrm{PFAs}(S)|

(the constant :math:`-w_S|P|` of the fragment term aside). So the problem is
the set partitioning programme :math:`\min \sum_S c_S z_S` subject to every
block being in exactly one chosen area and exactly :math:`K` areas, over the
connected areas that meet the per-area rules (value floor and cap, PFAs per
area, locks). Contiguity and the hub choice are inside the columns, so there
are no separator cuts and the LP relaxation is much tighter than the compact
model's (a Dantzig-Wolfe reformulation of it).

Only areas that could be part of a plan costing at most a threshold
:math:`\theta` (an incumbent's objective) are enumerated. The lower bound of
any plan containing :math:`S` is

.. math::

    LB(S) = c^T_S + w_T\big(\textstyle\sum_{b\notin S} t_b + \delta(S)\big)
            + w_B \frac{100}{V}\big(|A_S-m| + \max(|m-A_S|,\; 2E(S) + A_S - m)\big)

with :math:`t_b=\min_h c_{bh}` (block :math:`b`'s travel to the best hub
anywhere), :math:`\delta(S)` the sum of the :math:`(n-|S|-K+1)^+` smallest
:math:`\min_{h\notin b}c_{bh}-t_b` outside :math:`S` (that many other blocks
do not hold their area's hub), and :math:`E(S)=\sum_{b\notin S, v_b>m}(v_b-m)`
(blocks above the mean force that much surplus elsewhere, and the surplus
equals the deficit). Areas are enumerated by growing connected sets (ESU
order: each set once), pruning a branch when a bound that can only grow for
supersets, :math:`w_T(\sum_b t_b + \min_h C_S(h) - \sum_{b\in S}t_b) +
w_B\frac{100}{V}(2(A_S-m)^+ + 2E(S))`, exceeds :math:`\theta`. Every plan
costing at most :math:`\theta` uses only enumerated areas, so if the set
partitioning optimum is at most :math:`\theta` it is optimal for the full
problem; if it is above :math:`\theta` it is a better incumbent than nothing
and the enumeration is repeated with that threshold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pulp

from ..geography import Geography
from ..values import ContractValues
from .blocks import Blocks
from ..options import SolveOptions

#: Give up (fall back to the compact model) beyond this many enumerated sets.
MAX_VISITS = 1_500_000
MAX_COLUMNS = 300_000
#: Share of the time limit the enumeration may use before giving up.
ENUM_SHARE = 0.4


class TooManyColumns(Exception):
    """The enumeration grew beyond its budget."""


@dataclass
class Column:
    blocks: tuple[int, ...]
    hub: int  # LAD index
    cost: float


class AreaCosts:
    """Per-block data for area costs: travel to every LAD, values, PFAs, rules."""

    def __init__(self, blocks: Blocks, geo: Geography, values: ContractValues, options: SolveOptions):
        self.blocks, self.geo, self.options = blocks, geo, options
        v = values.array(geo)
        self.total = values.total
        self.mean = self.total / options.k
        n = blocks.n
        member = np.zeros((n, geo.n), dtype=bool)
        for b, m in enumerate(blocks.members):
            member[b, [geo.index_of[u] for u in m]] = True
        self.member = member
        w = options.weights
        self.wt, self.wb = float(w.travel), float(w.balance)
        self.ws = float(w.split) if options.coterminous == "soft" else 0.0
        # weighted, normalised travel of block b to hub LAD h
        self.raw_cost = (member * v[None, :]) @ geo.distance_km
        self.cost = self.wt * self.raw_cost / self.total
        self.t = self.cost.min(axis=1)
        outside = np.where(member, np.inf, self.cost)
        self.delta = np.maximum(outside.min(axis=1) - self.t, 0.0)
        self.value = blocks.value.astype(float)
        caps = [c for c in (options.max_value_gbp, None if options.max_share_fraction is None else options.max_share_fraction * self.total)
                if c is not None]
        self.cap = min(caps) if caps else None
        self.big = [b for b in range(n) if self.value[b] > self.mean]
        self.bal_scale = self.wb * 100.0 / self.total
        self.pfa_ids = {p: i for i, p in enumerate(sorted(geo.pfa_members))}
        self.block_pfas = [frozenset(self.pfa_ids[p] for p in blocks.pfas[b]) for b in range(n)]

    def area_cost(self, area: list[int] | tuple[int, ...]) -> tuple[float, int]:
        """(cost, hub LAD) of one area, the hub the cheapest LAD inside it (ties: lowest index)."""
        cvec = self.cost[list(area)].sum(axis=0)
        mask = self.member[list(area)].any(axis=0)
        hub = int(np.argmin(np.where(mask, cvec, np.inf)))
        val = float(self.value[list(area)].sum())
        pf = len(frozenset().union(*(self.block_pfas[b] for b in area)))
        return float(cvec[hub]) + self.bal_scale * abs(val - self.mean) + self.ws * pf, hub

    def term_values(self, assignment: dict[int, int]) -> dict[str, float]:
        """The objective terms of block -> hub LAD, exactly as the compact model scores them."""
        from .model import objective_terms

        return objective_terms(assignment, self.raw_cost, self.blocks, self.geo, self.options, self.total)

    def offset(self) -> float:
        return -self.ws * len(self.pfa_ids)


def enumerate_columns(ac: AreaCosts, threshold: float, deadline: float | None = None) -> tuple[list[Column], int]:
    """All connected areas meeting the per-area rules whose LB(S) <= threshold."""
    bl, o = ac.blocks, ac.options
    n, k, m = bl.n, o.k, ac.mean
    nbrs = [sorted(bl.graph.neighbors(b)) for b in range(n)]
    t, delta, value, cost, member = ac.t, ac.delta, ac.value, ac.cost, ac.member
    T0 = float(t.sum())
    big_excess = {b: value[b] - m for b in ac.big}
    e_all = sum(big_excess.values())
    delta_order = [int(b) for b in np.argsort(delta, kind="stable")]
    cap, floor, max_pfas = ac.cap, o.min_value_gbp, o.max_pfas
    lock = bl.lock
    tol = 1e-9 * max(1.0, abs(threshold))
    cols: list[Column] = []
    visits = 0
    scale = ac.bal_scale

    def rest_delta(sset: set[int], size: int) -> float:
        need = n - size - (k - 1)
        if need <= 0:
            return 0.0
        s = 0.0
        for b in delta_order:
            if b not in sset:
                s += delta[b]
                need -= 1
                if need == 0:
                    break
        return s

    def visit(S, sset, ext, cvec, A, tsum, E, pf, lab):
        nonlocal visits
        visits += 1
        if visits > MAX_VISITS or (deadline is not None and visits % 1000 == 0 and time.perf_counter() > deadline):
            raise TooManyColumns()
        if floor is None or A >= floor - 1e-6:
            hmask = member[S].any(axis=0)
            masked = np.where(hmask, cvec, np.inf)
            hub = int(np.argmin(masked))
            trav = float(masked[hub])
            bal = abs(A - m) + max(abs(m - A), 2 * E + A - m)
            lb = T0 - tsum + trav + rest_delta(sset, len(S)) + scale * bal
            if lb <= threshold + tol:
                cols.append(Column(tuple(sorted(S)), hub, trav + scale * abs(A - m) + ac.ws * len(pf)))
                if len(cols) > MAX_COLUMNS:
                    raise TooManyColumns()
        mono = T0 - tsum + float(cvec.min()) + scale * (2 * max(A - m, 0.0) + 2 * E)
        if mono > threshold + tol:
            return
        root = S[0]
        for i, c in enumerate(ext):
            A2 = A + value[c]
            if cap is not None and A2 > cap + 1e-6:
                continue
            pf2 = pf | ac.block_pfas[c]
            if max_pfas is not None and len(pf2) > max_pfas:
                continue
            lab2 = lab
            if lock[c] is not None:
                if lab is not None and lock[c] != lab:
                    continue
                lab2 = lock[c]
            closed = sset.union(*(nbrs[s] for s in S))
            new_ext = ext[i + 1:] + [d for d in nbrs[c] if d > root and d not in closed]
            S.append(c)
            sset.add(c)
            visit(S, sset, new_ext, cvec + cost[c], A2, tsum + t[c], E - big_excess.get(c, 0.0), pf2, lab2)
            S.pop()
            sset.discard(c)

    for r in range(n):
        if cap is not None and value[r] > cap + 1e-6:
            continue
        visit([r], {r}, [d for d in nbrs[r] if d > r], cost[r].copy(), float(value[r]), float(t[r]),
              e_all - big_excess.get(r, 0.0), ac.block_pfas[r], lock[r])
    return cols, visits


@dataclass
class PartitionOutcome:
    assignment: dict[int, int] | None  # block -> hub LAD
    objective: float | None
    bound: float | None
    proven: bool
    rounds: list[dict]
    columns: int
    visits: int
    seconds: float


def solve_partition(ac: AreaCosts, threshold: float, *, run_solver, time_limit: float, threads, seed: int,
                    start: dict[int, int] | None = None, max_passes: int = 3) -> PartitionOutcome:
    """Enumerate areas under ``threshold`` and solve the set partitioning MIP (repeating with a
    raised threshold when its optimum is above it). Plans outside the enumerated areas cost more
    than the threshold, so min(MIP bound, threshold) bounds every plan of the full problem."""
    t0 = time.perf_counter()
    rounds: list[dict] = []
    best = None
    best_obj = float("inf")
    bound = None
    proven = False
    cols: list[Column] = []
    visits = 0
    n = ac.blocks.n
    for _ in range(max_passes):
        te = time.perf_counter()
        cols, visits = enumerate_columns(ac, threshold, deadline=t0 + ENUM_SHARE * time_limit)
        enum_s = time.perf_counter() - te
        remaining = time_limit - (time.perf_counter() - t0)
        if remaining <= 0.05:
            break
        prob = pulp.LpProblem("set_partitioning", pulp.LpMinimize)
        z = [pulp.LpVariable(f"z_{i}", cat=pulp.LpBinary) for i in range(len(cols))]
        covers: list[list[int]] = [[] for _ in range(n)]
        for i, col in enumerate(cols):
            for b in col.blocks:
                covers[b].append(i)
        prob += pulp.LpAffineExpression([(z[i], col.cost) for i, col in enumerate(cols)])
        for b in range(n):
            prob += pulp.LpAffineExpression([(z[i], 1.0) for i in covers[b]]) == 1, f"cover_{b}"
        prob += pulp.LpAffineExpression([(zi, 1.0) for zi in z]) == ac.options.k, "k_areas"
        st = None
        if start is not None:
            st = _start_values(start, cols, z)
        out = run_solver(prob, time_limit=remaining, gap=None, threads=threads, seed=seed, start=st)
        consistent = True
        row = {"round": len(rounds) + 1, "stage": "set partitioning", "threshold": threshold,
               "columns": len(cols), "enumerated_sets": visits, "enumerate_seconds": round(enum_s, 3),
               "status": out.status, "detail": out.detail,
               "objective": None if out.objective is None else out.objective + ac.offset(),
               "bound": None if out.bound is None else out.bound + ac.offset(),
               "seconds": round(out.seconds, 3)}
        rounds.append(row)
        if out.has_solution:
            chosen = [cols[i] for i in range(len(cols)) if (z[i].varValue or 0.0) > 0.5]
            assignment = {b: col.hub for col in chosen for b in col.blocks}
            obj = sum(col.cost for col in chosen) + ac.offset()
            # the plan read back must be the one the solver scored, or its verdict is not used
            consistent = (len(assignment) == n and len(chosen) == ac.options.k and row["objective"] is not None
                          and abs(obj - row["objective"]) <= 1e-6 * max(1.0, abs(obj)))
            row["consistent"] = consistent
            if len(assignment) == n and len(chosen) == ac.options.k and obj < best_obj:
                best, best_obj = assignment, obj
        if not consistent:
            break
        if out.bound is not None and out.status in ("optimal", "feasible", "no_solution"):
            # plans outside the enumerated areas cost more than the threshold
            b_valid = min(row["bound"], threshold)
            bound = b_valid if bound is None else max(bound, b_valid)
        if out.status == "optimal":
            # every plan costing <= threshold is in the MIP, so min(opt, threshold) bounds all plans
            b_valid = min(row["bound"] if row["bound"] is not None else row["objective"], threshold)
            bound = b_valid if bound is None else max(bound, b_valid)
            if best_obj <= threshold + 1e-9 * max(1.0, abs(threshold)):
                proven = True
                break
            threshold = best_obj
            start = best
            continue
        if out.status == "infeasible":
            # no plan costs <= threshold
            bound = threshold if bound is None else max(bound, threshold)
            threshold = threshold * 1.05 + 1.0
            continue
        break
    return PartitionOutcome(best, None if best is None else best_obj, bound, proven, rounds, len(cols), visits,
                            time.perf_counter() - t0)


def _start_values(assignment: dict[int, int], cols: list[Column], z) -> dict[str, float] | None:
    areas: dict[int, list[int]] = {}
    for b, h in assignment.items():
        areas.setdefault(h, []).append(b)
    index = {col.blocks: i for i, col in enumerate(cols)}
    start = {v.name: 0.0 for v in z}
    for blocks in areas.values():
        i = index.get(tuple(sorted(blocks)))
        if i is None:
            return None
        start[z[i].name] = 1.0
    return start
