r"""Hub pricing with connectivity by node-separator cuts: an LP bound that keeps connectivity, and
the exact MIP on the same model.

For hub :math:`h` (its block :math:`\beta(h)`), duals :math:`(\pi,\mu)` and the candidate blocks
:math:`B_h`, the hub-h pricing problem (:mod:`.pricing`) is modelled with binary :math:`x_b`
(:math:`x_{\beta(h)} = 1`), one epigraph variable :math:`t_j` per value term
(:math:`t_j \ge s A + c` for each line of its convex lower envelope, :math:`A=\sum_b v_b x_b`),
PFA indicators :math:`z_p \ge x_b` (:math:`b` touches :math:`p`) for the split term, the rules'
rows (:meth:`cpa.rules.Rule.pricing_rows`), and connectivity by **node-separator cuts**: for
every block :math:`b` and every set :math:`N` of blocks that separates :math:`b` from
:math:`\beta(h)` in the block graph,

.. math:: x_b \le \sum_{u\in N} x_u .

A connected area holding the hub meets every such cut, so the LP relaxation over any subset of
them is a valid lower bound of the hub's least reduced cost. Unlike the connectivity-free
knapsack bound (where a unit 200 km away is "profitable" once the balance term pays for its
value), the cuts make a far unit's weight in the LP pay for a whole path of units to the hub,
which is what makes the bound close to the integer optimum (typically within a few tenths).

Cuts are separated from the LP solution :math:`x^*`: first the boundary of every component of
the support not holding the hub (cheap, exact for integer points), then, for the blocks with
the largest :math:`x^*_b`, a minimum node cut between :math:`\beta(h)` and :math:`b` under node
capacities :math:`x^*` (maximum flow on the node-split graph). Cuts do not depend on the duals,
so a :class:`HubModel` is kept between pricing rounds: only its objective changes, and every
re-solve starts from the previous basis with every cut found so far.

The exact hub minimum (:meth:`HubModel.exact`) is the same model with :math:`x` integer: HiGHS
solves it, every component of the solution that misses the hub gets its boundary cut, and it
is solved again (a cut loop instead of lazy constraints); HiGHS's dual bound is valid when it
stops early.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

from .master import Column, new_highs
from .pricing import AreaRows, ExactResult

INF = highspy.kHighsInf
#: Node capacities are scaled to integers for scipy's maximum flow.
FLOW_SCALE = 10**6
#: A cut is added when it is violated by more than this.
CUT_EPS = 1e-4
#: LP bounds are lowered by this much (HiGHS solves to tolerances of about 1e-7).
BOUND_SAFETY = 1e-6


class HubModel(AreaRows):
    """Hub ``h``'s pricing problem over the blocks ``blocks`` (connected, holding the hub's block),
    kept between rounds. :meth:`set_duals`, then :meth:`lp_bound` and/or :meth:`exact`.

    Rules add rows through :meth:`value_at_least`, :meth:`value_at_most`, :meth:`pfas_at_most`
    and :meth:`at_most_one_label` (the interface of :class:`cpa.rules.Rule.pricing_rows`).
    A plan-level row's dual enters the same way a value term does: one more epigraph variable
    (or an indicator of "value at most a threshold") with that dual as its cost.
    """

    def __init__(self, pricer, h: int, blocks, *, threads=None, seed: int = 0, stop=None):
        ac = pricer.ac
        self.pricer, self.ac, self.h = pricer, ac, int(h)
        self.hb = int(pricer.hub_block[h])
        self.blocks = np.array(sorted(blocks), dtype=int)
        self.col = {int(b): i for i, b in enumerate(self.blocks)}
        n = len(self.blocks)
        self.nb = n
        self.root = self.col[self.hb]
        self.nbrs = [np.array([self.col[c] for c in ac.neighbours[b] if c in self.col], dtype=np.int32)
                     for b in self.blocks.tolist()]
        hp = new_highs(threads=threads, seed=seed, stop=stop, small_mip=True)
        hp.setOptionValue("mip_rel_gap", 1e-9)
        hp.setOptionValue("mip_abs_gap", 1e-9)
        hp.setOptionValue("simplex_strategy", 1)
        self.hp = hp
        lower = np.zeros(n)
        lower[self.root] = 1.0
        hp.addCols(n, np.zeros(n), lower, np.ones(n), 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32),
                   np.zeros(0))
        self.ncols = n
        self.value_coef = ac.value[self.blocks]
        self.t_cols: dict[int, float] = {}  # epigraph column -> a bound T on |t| at any optimum
        vmax = float(ac.value.sum())
        for lines in pricer.lines_by_term:
            t = self._new_col(1.0, -INF, INF)
            # t is the envelope at some A in [0, V] at an optimum, and a line's |value| peaks at an end
            self.t_cols[t] = max(abs(s * a + c) for s, c in lines for a in (0.0, vmax)) if lines else 0.0
            for s, c in lines:
                self._row(np.concatenate([[t], np.arange(n)]), np.concatenate([[1.0], -s * self.value_coef]), c, INF)
        # the split term: PFA indicators unless every block lies in PFAs no other block touches (strict)
        self.z: dict[int, int] = {}
        self.pfas_disjoint = ac.options.coterminous == "strict"
        self.split_linear = np.zeros(n)
        if ac.ws and not self.pfas_disjoint:
            self._pfa_indicators(ac.ws)
        elif ac.ws:
            self.split_linear = ac.ws * np.array([len(ac.block_pfas[b]) for b in self.blocks.tolist()], dtype=float)
        for rule in ac.rules:
            rule.pricing_rows(self)
        # single-block separators: a block other than the hub's needs a chosen neighbour
        for i in range(n):
            if i != self.root:
                nb = self.nbrs[i]
                self._row(np.concatenate([[i], nb]), np.concatenate([[1.0], -np.ones(len(nb))]), -INF, 0.0)
        self.const = 0.0
        self.duals = None
        self.warm = None  # the last LP's dual bound, to bound the hub under other duals (warm_bound)
        self.cuts = 0
        self.integer = False
        # node-split graph for minimum node cuts: node i -> (in i, out n+i)
        rows, cols = [], []
        for i in range(n):
            rows.append(i)
            cols.append(n + i)
            for j in self.nbrs[i].tolist():
                rows.append(n + i)
                cols.append(j)
        self._fr = np.array(rows, dtype=np.int32)
        self._fc = np.array(cols, dtype=np.int32)
        self._node_arc = self._fc == self._fr + n
        # adjacency of the blocks (for components of the support)
        ar = np.concatenate([np.full(len(nb), i) for i, nb in enumerate(self.nbrs)]) if n else np.zeros(0)
        ac_ = np.concatenate(self.nbrs) if n else np.zeros(0)
        self._adj = csr_matrix((np.ones(len(ar)), (ar.astype(np.int32), ac_.astype(np.int32))), shape=(n, n))

    # ------------------------------------------------------------ duals
    def set_duals(self, duals) -> None:
        """The objective of the hub problem under ``duals``: c_bh - pi_b (+ the split term when linear)."""
        cost = self.ac.cost[self.blocks, self.h] - duals.pi[self.blocks] + self.split_linear
        self.hp.changeColsCost(self.nb, np.arange(self.nb, dtype=np.int32), cost)
        self.const = -float(duals.mu)
        self.duals = duals

    # ------------------------------------------------------------ cuts
    def _cut(self, t: int, sep) -> None:
        sep = np.asarray(sorted(sep), dtype=np.int32)
        self._row(np.concatenate([[t], sep]), np.concatenate([[1.0], -np.ones(len(sep))]), -INF, 0.0)
        self.cuts += 1

    def component_cuts(self, x: np.ndarray, eps: float = CUT_EPS) -> int:
        """Cuts for the components of the support {x > eps} that miss the hub: each of their blocks
        needs one of the component's boundary blocks (all outside the support)."""
        support = np.flatnonzero(x > eps)
        if len(support) <= 1:
            return 0
        sub = self._adj[support][:, support]
        ncomp, labels = connected_components(sub, directed=False)
        if ncomp == 1:
            return 0
        root_label = labels[np.searchsorted(support, self.root)]
        added = 0
        for c in range(ncomp):
            if c == root_label:
                continue
            members = support[labels == c]
            mset = set(members.tolist())
            border = sorted({int(j) for i in members.tolist() for j in self.nbrs[i].tolist()} - mset)
            for i in members.tolist():
                self._cut(i, border)
                added += 1
        return added

    def _flow_graph(self):
        """The node-split graph with every arc and its reverse (capacity 0), built once; the node arcs'
        capacities are filled in per target."""
        if getattr(self, "_fg", None) is None:
            n = self.nb
            m = len(self._fr)
            rows = np.concatenate([self._fr, self._fc])
            cols = np.concatenate([self._fc, self._fr])
            g = csr_matrix((np.arange(1, 2 * m + 1, dtype=np.int64), (rows, cols)), shape=(2 * n, 2 * n))
            g.sort_indices()
            pos = g.data - 1  # position in the csr data of arc k (k < m forward, k >= m reverse)
            where = np.empty(2 * m, dtype=np.int64)
            where[pos] = np.arange(2 * m)
            self._fg_where = where[:m]  # csr slot of forward arc k
            self._fg = g
        return self._fg

    def flow_cuts(self, x: np.ndarray, max_targets: int = 12) -> int:
        """Minimum node cuts between the hub and the blocks of largest x (max flow with node capacities x)."""
        n = self.nb
        order = [int(i) for i in np.argsort(-x, kind="stable") if x[i] > CUT_EPS and i != self.root][:max_targets]
        if not order:
            return 0
        g = self._flow_graph()
        big = np.int64(FLOW_SCALE) * 4 * max(n, 1)
        nodecap = np.round(np.clip(x, 0.0, 1.0) * FLOW_SCALE).astype(np.int64)
        forward = np.full(len(self._fr), big, dtype=np.int64)
        added = 0
        for t in order:
            nc = nodecap.copy()
            nc[self.root] = big
            nc[t] = big
            forward[self._node_arc] = nc[self._fr[self._node_arc]]
            data = np.zeros(len(g.data), dtype=np.int64)
            data[self._fg_where] = forward
            cap = csr_matrix((data, g.indices, g.indptr), shape=g.shape)
            res = maximum_flow(cap, n + self.root, t)
            if res.flow_value >= x[t] * FLOW_SCALE - CUT_EPS * FLOW_SCALE:
                continue
            # the source side of a minimum cut: reachable from the source in the residual graph
            flow = res.flow.tocsr()
            flow.sort_indices()
            resid = cap - flow
            resid.data[resid.data < 0] = 0
            resid.eliminate_zeros()
            reach = np.zeros(2 * n, dtype=bool)
            reach[breadth_first_order(resid, n + self.root, directed=True, return_predecessors=False)] = True
            sep = np.flatnonzero(reach[:n] & ~reach[n:])
            if len(sep):
                self._cut(t, sep.tolist())
                added += 1
                # blocks beyond the same separator need no flow of their own this round
                nodecap[t] = 0
        return added

    # ------------------------------------------------------------ solve
    def _run(self, time_limit: float | None = None):
        hp = self.hp
        hp.setOptionValue("time_limit", max(float(time_limit), 0.01) if time_limit else INF)
        hp.run()
        return hp.getModelStatus()

    def lp_bound(self, deadline: float | None = None, max_rounds: int = 6) -> tuple[float, np.ndarray | None]:
        """(a valid lower bound of the hub's least reduced cost over these blocks, the last LP point).
        -inf if the LP could not be solved in time; +inf if it is infeasible (no area meets the rules)."""
        if self.integer:
            self._set_integer(False)
        best = -np.inf
        x = None
        S = highspy.HighsModelStatus
        for _ in range(max_rounds):
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                break
            ms = self._run(left)
            if ms == S.kInfeasible:
                return np.inf, None
            if ms != S.kOptimal:
                break
            objective = float(self.hp.getInfo().objective_function_value)
            value = objective + self.const - BOUND_SAFETY
            if value > best:
                self._remember_dual(objective)
            best = max(best, value)
            x = np.asarray(self.hp.getSolution().col_value)[:self.nb]
            added = self.component_cuts(x)
            if not added:
                added = self.flow_cuts(x)
            if not added:
                break
        return best, x

    def _remember_dual(self, objective: float) -> None:
        r"""Keep the LP's row duals :math:`y` as a bound for other duals. For any :math:`y`, with
        :math:`d = c - A^\top y` and every feasible :math:`x`,
        :math:`c^\top x \ge \sum_j \min_{x_j\in[l_j,u_j]} d_j x_j + \sum_i \min_{r\in[L_i,U_i]} y_i r`
        (weak duality). New master duals change only the blocks' costs (by :math:`-\Delta\pi`), so
        the bound under them is the kept constant plus the blocks' terms with :math:`d + \Delta c`
        (:meth:`warm_bound`), an O(n) sum instead of an LP. An epigraph column :math:`t` is free,
        but at an optimum :math:`|t|\le T` (its envelope's largest |value| on [0, V]). Kept only if the
        bound at the same duals gives back the LP's objective (any sign slip is caught there)."""
        self.warm = None
        lp = self.hp.getLp()
        sol = self.hp.getSolution()
        y = np.asarray(sol.row_dual, dtype=float)
        a = lp.a_matrix_
        ncol = lp.num_col_
        A = csr_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
                       shape=(ncol, lp.num_row_))  # CSC of A read as CSR of A^T
        d = np.asarray(lp.col_cost_, dtype=float) - A @ y
        lo, up = np.asarray(lp.col_lower_, dtype=float), np.asarray(lp.col_upper_, dtype=float)
        for t, T in self.t_cols.items():
            lo[t], up[t] = -T, T
        L, U = np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float)

        def best_end(coef, low, high):  # sum of min over [low, high] of coef * value; -inf if unbounded
            with np.errstate(invalid="ignore"):
                term = np.where(coef > 0, coef * low, np.where(coef < 0, coef * high, 0.0))
            return float(term.sum())

        rows = best_end(y, L, U)
        others = best_end(d[self.nb:], lo[self.nb:], up[self.nb:])
        if not np.isfinite(rows + others):
            return
        kept = rows + others
        dx, lx, ux = d[:self.nb].copy(), lo[:self.nb].copy(), up[:self.nb].copy()
        check = kept + best_end(dx, lx, ux)
        if abs(check - objective) > 1e-6 * max(1.0, abs(objective)):
            return
        self.warm = (kept, dx, lx, ux, self.duals.pi[self.blocks].copy())

    def warm_bound(self, duals) -> float:
        """A lower bound of the hub's least reduced cost under ``duals`` from the last LP's duals
        (:meth:`_remember_dual`), or -inf."""
        if self.warm is None:
            return -np.inf
        kept, dx, lx, ux, pi_then = self.warm
        coef = dx - (duals.pi[self.blocks] - pi_then)
        cols = np.where(coef > 0, coef * lx, coef * ux).sum()
        return float(kept + cols) - float(duals.mu) - 10 * BOUND_SAFETY

    def area_from(self, x: np.ndarray) -> tuple[int, ...]:
        """The blocks of the hub's component of {x >= 1/2}: an area near an LP or MIP point."""
        chosen = np.flatnonzero(x >= 0.5)
        if self.root not in set(chosen.tolist()):
            chosen = np.concatenate([chosen, [self.root]])
        sub = self._adj[chosen][:, chosen]
        _, labels = connected_components(sub, directed=False)
        root_label = labels[int(np.flatnonzero(chosen == self.root)[0])]
        return tuple(sorted(self.blocks[chosen[labels == root_label]].tolist()))

    def _set_integer(self, on: bool) -> None:
        kind = highspy.HighsVarType.kInteger if on else highspy.HighsVarType.kContinuous
        self.hp.changeColsIntegrality(self.nb, np.arange(self.nb, dtype=np.int32), np.full(self.nb, kind))
        self.integer = on

    def exact(self, time_limit: float):
        """The hub's least reduced cost (MIP with the cuts so far, plus the boundary cut of every
        detached component, re-solved); an :class:`.pricing.ExactResult`."""
        t0 = time.perf_counter()
        deadline = t0 + time_limit
        self.lp_bound(deadline=t0 + 0.3 * time_limit, max_rounds=30)  # a tight LP first: fewer MIP rounds
        self._set_integer(True)
        S = highspy.HighsModelStatus
        rounds = 0
        cols: list[Column] = []
        best_val = None
        pr = self.pricer
        try:
            while True:
                rounds += 1
                ms = self._run(max(deadline - time.perf_counter(), 0.01))
                info = self.hp.getInfo()
                if ms == S.kInfeasible:
                    return ExactResult("infeasible", cols, best_val, np.inf, time.perf_counter() - t0, rounds)
                b = info.mip_dual_bound
                bound = float(b) + self.const - BOUND_SAFETY if abs(b) < 1e30 else -np.inf
                if info.primal_solution_status != 2:
                    return ExactResult("stopped", cols, best_val, bound, time.perf_counter() - t0, rounds)
                x = np.asarray(self.hp.getSolution().col_value)[:self.nb]
                area = self.area_from(x)
                if self.ac.area_ok(area):
                    col = pr.column(area)
                    cols.append(col)
                    rc = pr.reduced_cost(col, self.duals)
                    best_val = rc if best_val is None else min(best_val, rc)
                if not self.component_cuts(np.where(x > 0.5, 1.0, 0.0), eps=0.5):
                    status = "optimal" if ms == S.kOptimal else "stopped"
                    return ExactResult(status, cols, best_val, bound, time.perf_counter() - t0, rounds)
                if ms != S.kOptimal or time.perf_counter() > deadline:
                    return ExactResult("stopped", cols, best_val, bound, time.perf_counter() - t0, rounds)
        finally:
            self._set_integer(False)

    def price(self, duals, deadline: float | None = None):
        """Set the duals and bound the hub by the LP (:meth:`exact` solves it exactly). Returns
        (lower bound, columns: the area of the LP point's rounding, if it meets the rules)."""
        self.set_duals(duals)
        bound, x = self.lp_bound(deadline)
        cols = []
        if x is not None:
            area = self.area_from(x)
            if self.ac.area_ok(area):
                cols.append(self.pricer.column(area))
        return bound, cols
