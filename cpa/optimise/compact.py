r"""Dual prices for the Lagrangian bound from a compact LP (LAD level).

The engine's Lagrangian bound :math:`L(\pi) = \sum_b\pi_b + K\mu + (\text{the } K \text{ smallest
per-block hub minima})` is valid for *any* cover duals :math:`\pi`; how good it is depends only
on them. Column generation at LAD level reaches good duals slowly (the restricted master is very
degenerate), so this module gives a good :math:`\pi` at once: the cover-row duals of the LP
relaxation of a compact hub-assignment model,

.. math::

    \min \sum_{b,h} c_{bh}x_{bh} + \sum_{j,h} t_{jh} + w_S\sum_{p,h} z_{ph}
    \;\text{ s.t. }\; \sum_h x_{bh} = 1\ \forall b,\quad \sum_h y_h = K,\quad
    x_{bh}\le y_h,\quad x_{\beta(h)h} = y_h,

    t_{jh} \ge s\,\textstyle\sum_b v_b x_{bh} + c\,y_h \text{ for each envelope line } (s, c)
    \text{ of value term } j,\quad z_{ph}\ge x_{bh}\ (b \text{ touches } p),

    x_{bh} \le \textstyle\sum_{c\in N(b)} x_{ch}\ (b\ne\beta(h))
    \quad\text{(a block other than the hub's needs a neighbour in the area)},

    \text{floor } y_h \le \textstyle\sum_b v_b x_{bh} \le \text{cap } y_h .

Relaxing the cover rows with :math:`\pi` splits this LP into one problem per hub, a relaxation
of the hub's pricing problem, so the LP's optimum equals :math:`\max_\pi` of a Lagrangian bound
weaker than the engine's (whose hub problems keep every separator cut, :mod:`.separator`);
at the LP's duals the engine's bound is therefore at least the LP's value. To keep the LP small,
each block may join only its :math:`M` nearest hubs (:func:`hub_reach`): a restriction, so the
LP's value is *not* itself a bound and is never reported as one; only its duals are used, and
the bound computed from them is valid whatever they are.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from .master import new_highs

INF = highspy.kHighsInf


def hub_reach(ac, k: int) -> int:
    """How many nearest hubs each block may join in the compact LP: a few times the mean number
    of LADs per area, so an area of the LP can reach as far as a real one."""
    H = ac.geo.n
    return int(min(H, max(30, 2 * H // max(k, 1) + 20)))


def compact_duals(ac, k: int, *, time_limit: float, threads=None, seed: int = 0, stop=None):
    """(cover duals pi, seconds, LP value of the restricted compact LP) or None if not solved in time."""
    t0 = time.perf_counter()
    n, H = ac.n, ac.geo.n
    hb = ac.hub_block
    cost = np.asarray(ac.cost, dtype=float)  # n x H
    dist = ac.geo.distance_km
    # block-to-hub distance: the least over the block's LADs
    bdist = np.vstack([dist[idx].min(axis=0) for idx in ac.member_idx])  # n x H
    M = hub_reach(ac, k)
    allowed = np.zeros((n, H), dtype=bool)
    near = np.argsort(bdist, axis=1, kind="stable")[:, :M]
    allowed[np.repeat(np.arange(n), M), near.ravel()] = True
    allowed[hb, np.arange(H)] = True
    bs, hs = np.nonzero(allowed)  # x variables, sorted by block then hub
    nx_ = len(bs)
    xid = -np.ones((n, H), dtype=np.int64)
    xid[bs, hs] = np.arange(nx_)
    strict = ac.options.coterminous == "strict"
    split_linear = np.zeros(n)
    if ac.ws and strict:
        split_linear = ac.ws * np.array([len(p) for p in ac.block_pfas], dtype=float)
    col_cost = [cost[bs, hs] + split_linear[bs]]
    lower = [np.zeros(nx_)]
    upper = [np.ones(nx_)]
    y0 = nx_
    col_cost.append(np.zeros(H))
    lower.append(np.zeros(H))
    upper.append(np.ones(H))
    ncol = y0 + H
    lines = ac.objective.value_envelope()
    t_start = []
    for _ in lines:
        t_start.append(ncol)
        col_cost.append(np.ones(H))
        lower.append(np.full(H, -INF))
        upper.append(np.full(H, INF))
        ncol += H
    # PFA indicators (soft): one per (PFA, hub) pair that some allowed x touches
    zpairs: dict[tuple[int, int], int] = {}
    z_rows_x, z_rows_z = [], []
    if ac.ws and not strict:
        for j in range(nx_):
            b, h = int(bs[j]), int(hs[j])
            for p in ac.block_pfas[b]:
                key = (p, h)
                if key not in zpairs:
                    zpairs[key] = ncol + len(zpairs)
                z_rows_x.append(j)
                z_rows_z.append(zpairs[key])
        nz = len(zpairs)
        col_cost.append(np.full(nz, float(ac.ws)))
        lower.append(np.zeros(nz))
        upper.append(np.ones(nz))
        ncol += nz

    hp = new_highs(threads=threads, seed=seed, stop=stop)
    cc = np.concatenate(col_cost)
    hp.addCols(ncol, cc, np.concatenate(lower), np.concatenate(upper), 0, np.zeros(0, dtype=np.int32),
               np.zeros(0, dtype=np.int32), np.zeros(0))

    rows_lo, rows_up, starts, idx, val = [], [], [], [], []
    nnz = 0

    def add(lo, up, i, v):
        nonlocal nnz
        rows_lo.append(lo)
        rows_up.append(up)
        starts.append(nnz)
        idx.append(np.asarray(i, dtype=np.int32))
        val.append(np.asarray(v, dtype=float))
        nnz += len(i)

    # cover rows first (their duals are the answer)
    order = np.argsort(bs, kind="stable")
    bounds_b = np.searchsorted(bs[order], np.arange(n + 1))
    for b in range(n):
        js = order[bounds_b[b]:bounds_b[b + 1]]
        add(1.0, 1.0, js, np.ones(len(js)))
    add(float(k), float(k), y0 + np.arange(H), np.ones(H))
    # x_bh <= y_h (= for the hub's own block)
    for j in range(nx_):
        b, h = int(bs[j]), int(hs[j])
        if b == hb[h]:
            add(0.0, 0.0, [j, y0 + h], [1.0, -1.0])
        else:
            add(-INF, 0.0, [j, y0 + h], [1.0, -1.0])
    # value per hub: sum_b v_b x_bh
    by_hub = np.argsort(hs, kind="stable")
    bounds_h = np.searchsorted(hs[by_hub], np.arange(H + 1))
    v = ac.value
    for h in range(H):
        js = by_hub[bounds_h[h]:bounds_h[h + 1]]
        vals = v[bs[js]]
        for j_term, term_lines in enumerate(lines):
            tcol = t_start[j_term] + h
            for s, c in term_lines:
                add(0.0, INF, np.concatenate([[tcol, y0 + h], js]), np.concatenate([[1.0, -c], -s * vals]))
        if ac.floor is not None:
            add(0.0, INF, np.concatenate([[y0 + h], js]), np.concatenate([[-float(ac.floor)], vals]))
        if ac.cap is not None:
            add(-INF, 0.0, np.concatenate([[y0 + h], js]), np.concatenate([[-float(ac.cap)], vals]))
    for jx, jz in zip(z_rows_x, z_rows_z):
        add(0.0, INF, [jz, jx], [1.0, -1.0])
    # single-block separators
    nbrs = ac.neighbours
    for j in range(nx_):
        b, h = int(bs[j]), int(hs[j])
        if b == hb[h]:
            continue
        others = [int(xid[c, h]) for c in nbrs[b] if xid[c, h] >= 0]
        add(-INF, 0.0, [j] + others, [1.0] + [-1.0] * len(others))
    hp.addRows(len(rows_lo), np.array(rows_lo), np.array(rows_up), nnz, np.array(starts, dtype=np.int32),
               np.concatenate(idx).astype(np.int32), np.concatenate(val))
    hp.setOptionValue("solver", "ipm")
    hp.setOptionValue("run_crossover", "off")
    # only the duals' direction matters (the bound is computed from them exactly): loose tolerances
    hp.setOptionValue("ipm_optimality_tolerance", 1e-5)
    left = time_limit - (time.perf_counter() - t0)
    if left <= 0:
        return None
    hp.setOptionValue("time_limit", float(left))
    hp.run()
    ms = hp.getModelStatus()
    if ms != highspy.HighsModelStatus.kOptimal:
        return None
    pi = np.asarray(hp.getSolution().row_dual)[:n].copy()
    return pi, time.perf_counter() - t0, float(hp.getInfo().objective_function_value)
