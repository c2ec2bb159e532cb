r"""Cheap enumeration of promising areas: seed columns, and an exact device at block level.

Each area :math:`S` (a connected set of blocks) costs :math:`c_S` (:mod:`cpa.objective`). Only
areas that could be part of a plan costing at most a threshold :math:`\theta` (the seed plan's
objective) are listed. With balance as the only value term, the lower bound of any plan
containing :math:`S` is

.. math::

    LB(S) = c^T_S + w_T\big(\textstyle\sum_{b\notin S} t_b + \delta(S)\big)
            + w_B \frac{100}{V}\big(|A_S-m| + \max(|m-A_S|,\; 2E(S) + A_S - m)\big)

with :math:`t_b=\min_h c_{bh}` (block :math:`b`'s travel to the best hub anywhere),
:math:`\delta(S)` the sum of the :math:`(n-|S|-K+1)^+` smallest :math:`\min_{h\notin b}c_{bh}-t_b`
outside :math:`S` (that many other blocks do not hold their area's hub), and
:math:`E(S)=\sum_{b\notin S, v_b>m}(v_b-m)` (blocks above the mean force that much surplus
elsewhere, and the surplus equals the deficit). Areas are grown as connected sets (ESU order:
each set once), pruning a branch when a bound that can only grow for supersets,
:math:`w_T(\sum_b t_b + \min_h C_S(h) - \sum_{b\in S}t_b) + w_B\frac{100}{V}(2(A_S-m)^+ + 2E(S))`,
exceeds :math:`\theta`, and stopping (:class:`TooManyColumns`) beyond a budget. When the list is
complete, every plan costing at most :math:`\theta` uses only listed areas, so the engine's
restricted master MIP over them is exact up to :math:`\theta` (:meth:`.engine.Engine.enumeration_proof`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .costs import AreaCosts

#: Give up (leave the rest to column generation) beyond this many enumerated sets or areas.
MAX_VISITS = 1_500_000
MAX_COLUMNS = 300_000


class TooManyColumns(Exception):
    """The enumeration grew beyond its budget; ``columns`` holds the areas listed until then."""

    def __init__(self, columns=()):
        super().__init__("enumeration budget exhausted")
        self.columns = list(columns)


@dataclass
class Column:
    blocks: tuple[int, ...]
    hub: int  # LAD index
    cost: float


def enumerate_columns(ac: AreaCosts, threshold: float, deadline: float | None = None,
                      max_visits: int = MAX_VISITS) -> tuple[list[Column], int]:
    """All connected areas meeting the per-area rules whose LB(S) <= threshold (balance as the only
    value term: with other value terms the bound is not used as a proof, only to seed the master)."""
    bl, o = ac.blocks, ac.options
    n, k, m = bl.n, o.k, ac.mean
    nbrs = [sorted(bl.graph.neighbors(b)) for b in range(n)]
    t, value, cost, member = ac.t, ac.value, ac.cost, ac.member
    outside = np.where(member, np.inf, cost)
    delta = np.maximum(outside.min(axis=1) - t, 0.0)
    T0 = float(t.sum())
    big_excess = {b: value[b] - m for b in range(n) if value[b] > m}
    e_all = sum(big_excess.values())
    delta_order = [int(b) for b in np.argsort(delta, kind="stable")]
    cap, floor, max_pfas = ac.cap, ac.floor, ac.max_pfas
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
        if visits > max_visits or (deadline is not None and visits % 1000 == 0 and time.perf_counter() > deadline):
            raise TooManyColumns(cols)
        if floor is None or A >= floor - 1e-6:
            hmask = member[S].any(axis=0)
            masked = np.where(hmask, cvec, np.inf)
            hub = int(np.argmin(masked))
            trav = float(masked[hub])
            bal = abs(A - m) + max(abs(m - A), 2 * E + A - m)
            lb = T0 - tsum + trav + rest_delta(sset, len(S)) + scale * bal
            if lb <= threshold + tol:
                cols.append(Column(tuple(sorted(S)), hub, ac.cost_at(trav, A, len(pf))))
                if len(cols) > MAX_COLUMNS:
                    raise TooManyColumns(cols)
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
