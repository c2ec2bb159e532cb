r"""Pricing: areas of negative reduced cost, and lower bounds on the least reduced cost.

With master duals :math:`\pi_b` (cover rows) and :math:`\mu` (the K row), an
area :math:`S` has reduced cost :math:`c_S - \sum_{b\in S}\pi_b - \mu`. Fix a
hub :math:`h` (any LAD; its block :math:`\beta(h)` must be in the area): the
*hub-h pricing problem* is

.. math::

    r_h = \min_{S\ni\beta(h),\ S\text{ connected, within the rules}}
          \sum_{b\in S}(c_{bh}-\pi_b) + g(A_S) + w_S|\mathrm{PFAs}(S)| - \mu .

Fixing the hub over-estimates an area's true cost (which takes the best hub
inside it), so :math:`\min_h r_h` is exactly the least reduced cost over all
areas. Three tools, from cheap to exact:

* **Heuristic pricing** (:meth:`Pricer.heuristic`): grow a connected area from
  :math:`\beta(h)`, adding the neighbouring block that lowers the reduced cost
  most (uphill steps allowed while the floor is not met), keeping the best
  prefix. It gives columns, never bounds.
* **Cheap bound** (:meth:`Pricer.cheap_bounds`): drop connectivity, integrality,
  the floor, PFA limits and locks, and replace the split term by its value-share
  relaxation :math:`w_S|\mathrm{PFAs}(S)| \ge w_S|\mathrm{PFAs}(\beta(h))| +
  w_S\sum_{b}\sum_{p\in P(b)\setminus P(\beta(h))} v_{bp}/V_p` (a PFA touched at all
  costs :math:`w_S`, at least its value share). What is left is a continuous
  knapsack with a convex cost :math:`\hat g` of the value (the lower envelope
  of :math:`g`, :mod:`cpa.objective`), solved exactly by sorting blocks by
  cost per £ and scanning the breakpoints, for every hub at once. Its minimum
  :math:`\ell_h \le r_h`.
* **Exact pricing**, on the blocks that can matter (see below): when the split
  term is linear in the blocks (strict mode, or no split weight) and at most
  :data:`SEARCH_MAX_BLOCKS` blocks are kept, a branch and bound over connected
  sets (:class:`ConnectedSearch`, bounded by the knapsack over the blocks a
  branch can still reach); otherwise a small MIP (:class:`PricingModel`) with
  binary :math:`x_b`, PFA indicators :math:`z_p\ge x_b`, an epigraph
  :math:`t \ge` each envelope line of :math:`g`, the rules' rows, and
  connectivity by a single-commodity flow from the hub plus the single-block
  separator cuts :math:`x_b \le \sum_{c\in N(b)} x_c`; a solution with a
  detached piece (not expected) gets separator cuts for it and is solved again.
  HiGHS's dual bound of this MIP is a valid lower bound of :math:`r_h` even when
  it stops early.

**Plan-level rows** (:class:`cpa.rules.PlanRule`, e.g. ``--small-lots``): with row duals
:math:`\sigma_r` an area's reduced cost is also :math:`-\sum_r\sigma_r a^r_S`. For a coefficient
that depends on the area's value only, that is one more value term (:meth:`PlanRule.dual_term`):
exact in the heuristic, in the branch and bound's leaves and in the MIP (the rule's own rows,
:meth:`PricingModel.reward_if_value_at_most`), its valid lower envelope in the knapsack bounds.

**Safe restriction.** For hub :math:`h` and block :math:`b`, with
:math:`a_u` the relaxed per-block costs above, every connected :math:`S`
containing :math:`\beta(h)` and :math:`b` holds a path :math:`P` between them,
so its reduced cost is at least :math:`\mathrm{const}_h + \mathrm{SP}^+_h(b) +
\mathrm{KN}^-_h`: the shortest path with node weights :math:`a_u^+`, plus the
continuous knapsack over the negative parts :math:`a_u^-` with :math:`\hat g`.
A block whose bound exceeds a threshold :math:`\theta` is left out of hub
:math:`h`'s MIP; the restricted minimum :math:`r'` then gives
:math:`r_h \ge \min(r', \theta)`.
"""

from __future__ import annotations

import time
from bisect import bisect_right

import highspy
import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ..objective import envelope_value, line_arrays
from .costs import AreaCosts
from .master import Column, new_highs

EPS_RC = 1e-7
#: The knapsack bounds scan at most this many (hub, block) pairs at once (memory: ~10 arrays of that size).
KNAPSACK_CHUNK = 2_000_000
INF = highspy.kHighsInf


class Duals:
    """Duals of the master: cover rows ``pi``, the K row ``mu``, the plan rules' rows ``rule``
    (each of the sign its row's sense allows: the Lagrangian bound needs it)."""

    def __init__(self, pi: np.ndarray, mu: float, rule=None):
        self.pi = np.asarray(pi, dtype=float)
        self.mu = float(mu)
        self.rule = np.zeros(0) if rule is None else np.asarray(rule, dtype=float)


def plan_rule_duals(plan_rules, raw) -> np.ndarray:
    """The LP's row duals of the plan rules, each clipped to the sign of its sense (>= 0 for >=,
    <= 0 for <=): any such duals give a valid Lagrangian bound."""
    raw = np.asarray(raw, dtype=float)
    if not len(plan_rules):
        return np.zeros(0)
    return np.array([max(float(y), 0.0) if r.sense == ">=" else min(float(y), 0.0) for r, y in zip(plan_rules, raw)])


class Pricer:
    """Pricing for one request: per-hub data that does not change between iterations."""

    def __init__(self, ac: AreaCosts, *, threads=None, seed: int = 0, stop=None):
        self.ac = ac
        self.threads, self.seed, self.stop = threads, seed, stop
        geo = ac.geo
        self.H = geo.n
        self.hub_block = ac.hub_block  # LAD -> block
        n = ac.n
        self.n = n
        self.value = ac.value
        # split-term relaxation: per block, the value share of its PFAs (w_S sum v_bp / V_p)
        self.split_share = np.zeros((n, len(ac.pfa_ids)))
        for b in range(n):
            for p, vbp in ac.block_pfa_value[b].items():
                if ac.pfa_value[p] > 0:
                    self.split_share[b, p] = vbp / ac.pfa_value[p]
        self.base_lines_by_term = ac.objective.value_envelope()
        self.lines_by_term = list(self.base_lines_by_term)
        # plan rules' duals as value terms (see the module docstring); set per duals by _use
        self.dual_terms: list = []
        self._dual_arrays: list = []
        self.pieces = [(np.inf, 0.0)]  # (value cap, constant) of the step terms (see _use)
        self._rule_duals = np.zeros(len(ac.plan_rules))
        self.n_pfas_block = np.array([len(p) for p in ac.block_pfas])
        single = np.full(n, -1)
        for b in range(n):
            if len(ac.block_pfas[b]) == 1:
                single[b] = next(iter(ac.block_pfas[b]))
        self.single_pfa = single
        # directed block graph for node-weighted shortest paths (arc u -> v carries v's weight)
        rows, cols = [], []
        for u in range(n):
            for v in ac.neighbours[u]:
                rows.append(u)
                cols.append(v)
        self.arc_rows = np.array(rows, dtype=int)
        self.arc_cols = np.array(cols, dtype=int)
        self.locks = [ac.blocks.lock[b] for b in range(n)]

    # ------------------------------------------------------------------ plan rules' duals (issue 13)
    def _use(self, duals: Duals) -> None:
        """Price with ``duals``' plan-rule part. Its value terms join g exactly (:meth:`g_cost`). In the
        knapsack bounds a piecewise-constant term (a reward for areas at most a value: ``pieces()``)
        is exact too, as a disjunction: the bound is the least over its pieces of the knapsack with
        the value capped at the piece's top, plus the piece's constant; any other term enters by its
        envelope."""
        rule = duals.rule if len(duals.rule) else np.zeros(len(self.ac.plan_rules))
        if np.array_equal(rule, self._rule_duals):
            return
        self._rule_duals = np.array(rule, dtype=float)
        terms = [r.dual_term(float(y), self.ac.total) for r, y in zip(self.ac.plan_rules, rule)]
        self.dual_terms = [t for t in terms if t is not None]
        smooth = [t for t in self.dual_terms if not hasattr(t, "pieces")]
        self.lines_by_term = list(self.base_lines_by_term) + [t.envelope() for t in smooth]
        self._dual_arrays = line_arrays([t.envelope() for t in smooth])
        # every combination of the step terms' pieces: (value cap, constant)
        pieces = [(np.inf, 0.0)]
        for t in self.dual_terms:
            if hasattr(t, "pieces"):
                pieces = [(min(c1, c2), k1 + k2) for c1, k1 in pieces for c2, k2 in t.pieces()]
        self.pieces = pieces
        for cached in ("_kinks", "_pwl"):
            self.__dict__.pop(cached, None)

    def rule_reward(self, col: Column) -> float:
        """sum_r sigma_r a^r_S of a column under the duals in use."""
        if not self.ac.plan_rules:
            return 0.0
        facts = self.ac.facts(col.blocks)
        return float(sum(y * r.coefficient(facts) for r, y in zip(self.ac.plan_rules, self._rule_duals)))

    # ------------------------------------------------------------------ helpers
    def hub_costs(self, duals: Duals) -> np.ndarray:
        """a[h, b] = c_bh - pi_b for every hub LAD h and block b."""
        return self.ac.cost.T - duals.pi[None, :]

    def g_lower(self, value):
        """The convex lower envelope of g (sum over terms of the max of its lines), with the plan
        rules' dual terms that are not steps (the steps are :attr:`pieces`)."""
        out = self.ac.objective.value_cost_lower(value)
        if self._dual_arrays:
            out = out + envelope_value(self._dual_arrays, value)
        return out

    def column(self, blocks) -> Column:
        cost, hub = self.ac.area_cost(sorted(blocks))
        return Column(tuple(sorted(blocks)), hub, cost)

    def reduced_cost(self, col: Column, duals: Duals) -> float:
        self._use(duals)
        return col.cost - float(duals.pi[list(col.blocks)].sum()) - duals.mu - self.rule_reward(col)

    # ------------------------------------------------------------------ heuristic
    def heuristic(self, duals: Duals, hubs=None, max_uphill: int = 8,
                  deadline: float | None = None) -> list[tuple[float, Column]]:
        """Greedy growth from each hub on reduced costs; (rc, column) with rc < -EPS_RC, best per hub.
        Stops at ``deadline`` (columns only, never a bound, so a partial pass is still sound)."""
        ac = self.ac
        self._use(duals)
        a = self.hub_costs(duals)
        hubs = range(self.H) if hubs is None else hubs
        out: dict[int, tuple[float, Column]] = {}
        floor, ws = ac.floor, ac.ws
        nb = ac.neighbours
        for h in hubs:
            if deadline is not None and time.perf_counter() > deadline:
                break
            ah = a[h]
            hb = int(self.hub_block[h])
            S = [hb]
            inS = {hb}
            A = float(self.value[hb])
            pfas = set(ac.block_pfas[hb])
            labels = {self.locks[hb]} - {None}
            partial = float(ah[hb]) - duals.mu
            facts = ac.facts(S)
            if not ac.can_grow(facts):
                continue
            best = None
            if ac.facts_ok(facts):
                best = (partial + float(self.g_cost(A)) + ws * len(pfas), tuple(S))
            frontier = set(nb[hb])
            uphill = 0
            while frontier:
                cand = np.array(sorted(frontier), dtype=int)
                newA = A + self.value[cand]
                delta = ah[cand] + self.g_cost(newA) - self.g_cost(A)
                if ws:
                    sp = self.single_pfa[cand]
                    newp = np.array([0 if (p >= 0 and p in pfas) else
                                     (1 if p >= 0 else len(ac.block_pfas[c] - pfas)) for c, p in zip(cand, sp)])
                    delta = delta + ws * newp
                order = np.argsort(delta, kind="stable")
                chosen = None
                for i in order:
                    c = int(cand[i])
                    f = ac.facts_for(A + self.value[c], len(pfas | ac.block_pfas[c]),
                                     labels | ({self.locks[c]} - {None}))
                    if ac.can_grow(f):
                        chosen = (c, float(delta[i]), f)
                        break
                    frontier.discard(c)
                if chosen is None:
                    break
                c, d, f = chosen
                S.append(c)
                inS.add(c)
                frontier.discard(c)
                frontier.update(x for x in nb[c] if x not in inS)
                A += float(self.value[c])
                pfas |= ac.block_pfas[c]
                if self.locks[c] is not None:
                    labels.add(self.locks[c])
                partial += float(ah[c])
                val = partial + float(self.g_cost(A)) + ws * len(pfas)
                if ac.facts_ok(f) and (best is None or val < best[0] - 1e-12):
                    best = (val, tuple(S))
                    uphill = 0
                elif d > 0 and (floor is None or A >= floor):
                    uphill += 1
                    if uphill > max_uphill:
                        break
            if best is not None and best[0] < -EPS_RC:
                col = self.column(best[1])
                rc = self.reduced_cost(col, duals)
                if rc < -EPS_RC:
                    key = col.mask
                    if key not in out or rc < out[key][0]:
                        out[key] = (rc, col)
        return sorted(out.values(), key=lambda t: (t[0], t[1].blocks))

    def neighbours_of(self, area) -> list[tuple[int, ...]]:
        """Areas one block away from ``area``: plus a bordering block, or minus a block that leaves
        it connected; only those within the rules."""
        ac = self.ac
        S = set(area)
        out = []
        border = sorted({c for b in S for c in ac.neighbours[b]} - S)
        for c in border:
            new = tuple(sorted(S | {c}))
            if ac.area_ok(new):
                out.append(new)
        if len(S) > 1:
            for b in sorted(S):
                rest = S - {b}
                if self.connected(rest) and ac.area_ok(rest):
                    out.append(tuple(sorted(rest)))
        return out

    def connected(self, nodes: set) -> bool:
        if not nodes:
            return False
        nb = self.ac.neighbours
        start = next(iter(nodes))
        seen = {start}
        stack = [start]
        while stack:
            u = stack.pop()
            for v in nb[u]:
                if v in nodes and v not in seen:
                    seen.add(v)
                    stack.append(v)
        return len(seen) == len(nodes)

    def improve(self, areas, duals: Duals, rounds: int = 3,
                deadline: float | None = None) -> list[tuple[float, Column]]:
        """Local search on reduced cost from given areas (e.g. the LP's basis columns): repeatedly
        move to the best neighbouring area while that lowers the reduced cost; stops at ``deadline``."""
        found: dict[int, tuple[float, Column]] = {}
        pi = duals.pi
        self._use(duals)
        for area in areas:
            if deadline is not None and time.perf_counter() > deadline:
                break
            cur = tuple(area)
            cur_rc = self.reduced_cost(self.column(cur), duals)
            for _ in range(rounds):
                best = None
                for nb_area in self.neighbours_of(cur):
                    col = self.column(nb_area)
                    rc = col.cost - float(pi[list(nb_area)].sum()) - duals.mu - self.rule_reward(col)
                    if rc < -EPS_RC and (col.mask not in found or rc < found[col.mask][0]):
                        found[col.mask] = (rc, col)
                    if rc < cur_rc - 1e-9 and (best is None or rc < best[0]):
                        best = (rc, nb_area)
                if best is None:
                    break
                cur_rc, cur = best
        return sorted(found.values(), key=lambda t: (t[0], t[1].blocks))

    def g_cost(self, value):
        """The value part of an area's reduced cost: g(A) and the plan rules' dual terms."""
        out = self.ac.objective.value_cost(value)
        for t in self.dual_terms:
            out = out + t(value)
        return out

    # ------------------------------------------------------------------ cheap bounds
    def relaxed_costs(self, duals: Duals) -> tuple[np.ndarray, np.ndarray]:
        """(a, const): relaxed per-block costs a[h, b] (0 for the hub's own block) and const[h]."""
        ac = self.ac
        a = self.hub_costs(duals)
        hb = self.hub_block
        const = a[np.arange(self.H), hb] + ac.ws * self.n_pfas_block[hb] - duals.mu
        if ac.ws:
            share = self.split_share  # n x P
            hub_pfas = np.zeros((self.H, share.shape[1]), dtype=bool)
            for h in range(self.H):
                for p in ac.block_pfas[hb[h]]:
                    hub_pfas[h, p] = True
            # sum over PFAs not the hub's of the block's value share
            a = a + ac.ws * (share.sum(axis=1)[None, :] - (hub_pfas.astype(float) @ share.T))
        a[np.arange(self.H), hb] = 0.0
        return a, const

    def knapsack_bounds(self, a: np.ndarray, hubs: np.ndarray | None = None,
                        items: np.ndarray | None = None) -> np.ndarray:
        """Per row i (hub ``hubs[i]``, default every hub): min over x in [0,1] of
        sum_b a[i,b] x_b + g_lower(A0 + sum_b v_b x_b) with A0 + sum_b v_b x_b <= cap, the hub's own
        block not an item (it is in the area already, with value A0); with plan-rule steps, the
        least over their pieces (see :meth:`_use`)."""
        cap = np.inf if self.ac.cap is None else self.ac.cap
        R, n = a.shape
        if R > 1 and R * n > KNAPSACK_CHUNK:
            # rows in chunks: each row's scan builds several R x n arrays (gigabytes at 6,400 blocks)
            hubs = np.arange(self.H) if hubs is None else np.asarray(hubs, dtype=int)
            step = max(1, KNAPSACK_CHUNK // n)
            return np.concatenate([
                self.knapsack_bounds(a[i:i + step], hubs[i:i + step], None if items is None else items[i:i + step])
                for i in range(0, R, step)])
        out = None
        for top, const in self.pieces:
            b = self._knapsack_bounds(a, hubs, items, min(cap, top)) + const
            out = b if out is None else np.minimum(out, b)
        return out

    def _knapsack_bounds(self, a: np.ndarray, hubs, items, cap: float) -> np.ndarray:
        v = self.value
        hubs = np.arange(self.H) if hubs is None else np.asarray(hubs, dtype=int)
        R, n = a.shape
        hb = self.hub_block[hubs]
        A0 = v[hb]
        items = np.ones((R, n), dtype=bool) if items is None else np.array(items, dtype=bool).reshape(R, n)
        items[np.arange(R), hb] = False
        if np.isfinite(cap):  # a block that alone overflows the cap is in no area of this hub
            items &= v[None, :] <= (cap - A0)[:, None] + 1e-3
        free = (v <= 0)[None, :] & items
        base = np.where(free & (a < 0), a, 0.0).sum(axis=1)
        pos = items & (v > 0)[None, :]
        ratio = np.where(pos, a / np.where(v > 0, v, 1.0)[None, :], np.inf)
        order = np.argsort(ratio, axis=1, kind="stable")
        taken = np.take_along_axis(pos, order, axis=1)
        vs = np.where(taken, v[order], 0.0)
        cs = np.where(taken, np.take_along_axis(a, order, axis=1), 0.0)
        cumv = np.concatenate([np.zeros((R, 1)), np.cumsum(vs, axis=1)], axis=1)
        cumc = np.concatenate([np.zeros((R, 1)), np.cumsum(cs, axis=1)], axis=1)
        room = np.maximum(cap - A0, 0.0)
        vals = cumc + self.g_lower(A0[:, None] + cumv)
        vals = np.where(cumv <= room[:, None] + 1e-9, vals, np.inf)
        best = np.where(A0 <= cap + 1e-3, vals.min(axis=1), np.inf)  # the hub's block alone above the cap
        # the envelope's kinks and the cap, inside each row's curve (the minimum of a convex
        # piecewise-linear function is at a breakpoint of one of its two parts)
        kinks = np.array(self.g_kinks())
        for i in range(R):
            top = min(room[i], cumv[i, -1])
            pts = np.concatenate([kinks - A0[i], [top] if np.isfinite(top) else []])
            pts = pts[(pts > 0.0) & (pts <= top)]
            if len(pts):  # every point at once (market terms bring many kinks: issue 13)
                vals = np.interp(pts, cumv[i], cumc[i]) + self.g_lower(A0[i] + pts)
                best[i] = min(best[i], float(vals.min()))
        return base + best

    def g_kinks(self) -> list[float]:
        """Values where the envelope of g may change slope (pairwise line intersections per term)."""
        if not hasattr(self, "_kinks"):
            pts = set()
            for lines in self.lines_by_term:
                arr = np.array(lines, dtype=float).reshape(-1, 2)
                for i, (s1, c1) in enumerate(lines):
                    for s2, c2 in lines[i + 1:]:
                        if abs(s1 - s2) > 1e-15:
                            x = (c2 - c1) / (s1 - s2)
                            # only where the term's envelope bends: both lines on its maximum there
                            # (issue 13: market terms have many lines, most pairs meet below it)
                            top = float(np.max(arr[:, 0] * x + arr[:, 1])) if np.isfinite(x) else np.inf
                            if np.isfinite(x) and s1 * x + c1 >= top - 1e-9 * max(1.0, abs(top)):
                                pts.add(x)
            self._kinks = sorted(pts)
        return self._kinks

    def g_pwl(self) -> "ConvexPWL":
        """:meth:`g_lower` as one convex piecewise-linear function of the value (for scalar use)."""
        if not hasattr(self, "_pwl"):
            self._pwl = ConvexPWL(self.lines_by_term, self.g_kinks())
        return self._pwl

    def cheap_bounds(self, duals: Duals) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lb, a, const): lb[h] <= r_h for every hub, with the relaxed costs used (read-only arrays).
        The last answer is kept: the dual ascent's check of its best duals and the first hub round
        at them ask for the same (11 s at 6,400 blocks)."""
        self._use(duals)
        key = (duals.pi.tobytes(), duals.mu, np.asarray(duals.rule, dtype=float).tobytes())
        if getattr(self, "_cheap", (None,))[0] != key:
            a, const = self.relaxed_costs(duals)
            out = (const + self.knapsack_bounds(a), a, const)
            for arr in out:
                arr.setflags(write=False)
            self._cheap = (key, out)
        return self._cheap[1]

    def safe_blocks(self, h: int, a_h: np.ndarray, const_h: float, theta: float) -> np.ndarray:
        """Blocks that may be in an area of hub h with reduced cost <= theta (boolean mask):
        const_h + SP+_h(b) + KN-_h <= theta (see the module docstring)."""
        return self.blocks_within(h, self.block_margins(h, a_h, const_h), theta)

    def blocks_within(self, h: int, margins: np.ndarray, theta: float) -> np.ndarray:
        """:meth:`safe_blocks` from hub h's :meth:`block_margins` computed already."""
        keep = margins <= theta + 1e-9
        keep[int(self.hub_block[h])] = True
        return keep

    def block_margins(self, h: int, a_h: np.ndarray, const_h: float) -> np.ndarray:
        """Per block b, a lower bound on the hub-h reduced cost of every area holding b:
        const_h + SP+_h(b) + KN-_h (:meth:`safe_blocks` compares it with a threshold; it does not
        depend on the threshold, so a caller trying several keeps it)."""
        hb = int(self.hub_block[h])
        tiny = 1e-12  # csgraph drops explicit zeros: keep every arc
        w = np.maximum(a_h, 0.0)[self.arc_cols] + tiny
        g = csr_matrix((w, (self.arc_rows, self.arc_cols)), shape=(self.n, self.n))
        sp = dijkstra(g, directed=True, indices=hb) - tiny * self.n
        if len(self.pieces) == 1:
            kn = float(self.knapsack_bounds(np.minimum(a_h, 0.0)[None, :], np.array([h]))[0])
            return const_h + sp + kn
        # plan-rule steps (issue 13): the least over pieces, each with its own knapsack, a piece
        # counting for a block only if a path from the hub to it fits under the piece's cap
        cap = np.inf if self.ac.cap is None else self.ac.cap
        vw = self.value[self.arc_cols] + tiny
        vg = csr_matrix((vw, (self.arc_rows, self.arc_cols)), shape=(self.n, self.n))
        path_value = self.value[hb] + dijkstra(vg, directed=True, indices=hb) - tiny * self.n
        out = np.full(self.n, np.inf)
        for top, const in self.pieces:
            top = min(cap, top)
            kn = float(self._knapsack_bounds(np.minimum(a_h, 0.0)[None, :], np.array([h]), None, top)[0]) + const
            out = np.minimum(out, np.where(path_value <= top + 1e-3, const_h + sp + kn, np.inf))
        return out

    # ------------------------------------------------------------------ exact
    def exact(self, h: int, duals: Duals, keep: np.ndarray, time_limit: float,
              a_row: np.ndarray | None = None) -> "ExactResult":
        """Hub h's least reduced cost over the kept blocks: by branch and bound over connected sets
        when the split term is linear in the blocks and the kept set is small, else by the MIP."""
        self._use(duals)
        linear_split = self.ac.ws == 0 or self.ac.options.coterminous == "strict"
        if linear_split and int(keep.sum()) <= SEARCH_MAX_BLOCKS:
            res = ConnectedSearch(self, h, duals, keep).solve(time_limit)
            if res.status != "stopped":
                return res
        pm = PricingModel(self, h, duals, keep, threads=self.threads, seed=self.seed, stop=self.stop)
        return pm.solve(time_limit)


class ConvexPWL:
    """A sum over terms of the max of each term's lines (the envelope of g), held as breakpoints
    ``xs`` (the terms' kinks, and 0), its values there and the slope after each, so that one value
    costs a bisection and :meth:`knapsack` walks it in pure Python (the branch and bound calls it at
    every node: numpy's per-call overhead dominated there)."""

    def __init__(self, lines_by_term, kinks):
        terms = [[(float(s), float(c)) for s, c in lines] for lines in lines_by_term if len(lines)]
        self.terms = terms
        self.xs = sorted(set(float(x) for x in kinks) | {0.0})
        self.ys = [self._direct(x) for x in self.xs]
        # the slope on [xs[j], xs[j+1]) from the lines active inside it (not by differences)
        mids = [(a + b) / 2.0 for a, b in zip(self.xs, self.xs[1:])]
        self.slopes = [self._slope_at(m) for m in mids] + [sum(max(s for s, _ in t) for t in terms)]
        self.left = sum(min(s for s, _ in t) for t in terms)

    def _direct(self, x: float) -> float:
        return sum(max(s * x + c for s, c in t) for t in self.terms)

    def _slope_at(self, x: float) -> float:
        return sum(max(t, key=lambda line: line[0] * x + line[1])[0] for t in self.terms)

    def __call__(self, x: float) -> float:
        j = bisect_right(self.xs, x) - 1
        if j < 0:
            return self.ys[0] + self.left * (x - self.xs[0])
        return self.ys[j] + self.slopes[j] * (x - self.xs[j])

    def knapsack(self, items, A0: float, room: float) -> float:
        r"""min over :math:`t\in[0, room]` of :math:`C(t) + G(A_0 + t)`, :math:`C` the least cost of
        taking value :math:`t` from ``items`` ((cost, value) pairs, value > 0, sorted by cost per
        value; fractions allowed) and :math:`G` this function. Both are convex and piecewise linear,
        so walk their breakpoints from :math:`t = 0` and stop where the right slope turns >= 0."""
        xs, slopes = self.xs, self.slopes
        j = bisect_right(xs, A0) - 1
        best = self(A0)
        if room <= 0.0:
            return best
        nxt_kink = xs[j + 1] - A0 if j + 1 < len(xs) else np.inf
        t = c = 0.0
        for a, v in items:
            r = a / v
            seg_end = min(t + v, room)
            while t < seg_end:
                if r + (self.left if j < 0 else slopes[j]) >= 0.0:
                    return best
                if nxt_kink <= seg_end:
                    c += r * (nxt_kink - t)
                    t = nxt_kink
                    j += 1
                    nxt_kink = xs[j + 1] - A0 if j + 1 < len(xs) else np.inf
                    val = c + self.ys[j]
                else:
                    c += r * (seg_end - t)
                    t = seg_end
                    val = c + (self.ys[0] + self.left * (A0 + t - xs[0]) if j < 0
                               else self.ys[j] + slopes[j] * (A0 + t - xs[j]))
                if val < best:
                    best = val
            if t >= room:
                break
        return best


#: Branch and bound over connected sets for kept sets up to this many blocks (else the MIP).
SEARCH_MAX_BLOCKS = 40
#: Besides the best, up to this many other negative areas a search meets become columns.
SEARCH_EXTRA_COLUMNS = 20
#: Node budget of one branch and bound (beyond it the MIP takes over).
SEARCH_MAX_NODES = 200_000


class ConnectedSearch:
    """Exact hub-h pricing by branch and bound over the connected sets of kept blocks holding the
    hub's block, each visited once (include / exclude the first frontier block). A branch is cut
    when its partial reduced cost plus the continuous knapsack over the blocks it can still reach
    (with the envelope of g) cannot beat the best area found; monotone rules cut growth. When the
    split term is linear in the blocks (strict mode: blocks hold whole PFAs; or no split weight) it
    is a per-block cost; otherwise it is counted exactly for the area so far (``w_S`` per PFA
    touched), which only grows with the area, and left out of the knapsack (a weaker bound)."""

    def __init__(self, pricer: Pricer, h: int, duals: Duals, keep: np.ndarray):
        ac = pricer.ac
        pricer._use(duals)
        self.pricer, self.ac, self.duals, self.h = pricer, ac, duals, h
        self.hb = int(pricer.hub_block[h])
        hub_label = pricer.locks[self.hb]
        self.blocks = [b for b in np.flatnonzero(keep).tolist()
                       if hub_label is None or pricer.locks[b] in (None, hub_label)]
        self.kept = set(self.blocks)
        self.linear_split = ac.ws == 0 or ac.options.coterminous == "strict"
        self.a = ac.cost[:, h] - duals.pi + (ac.ws * pricer.n_pfas_block if self.linear_split else 0.0)
        self.v = ac.value
        self.cap = np.inf if ac.cap is None else ac.cap
        self.pwl = pricer.g_pwl()
        # g at a value: the envelope when it is g itself (no per-call numpy: the search calls it at every node)
        exact = ac.objective.value_envelope_exact and not pricer.dual_terms
        self.g = self.pwl if exact else (lambda value: float(pricer.g_cost(value)))
        # the knapsack's items in cost-per-value order, once per hub (the costs do not change)
        kept_pos = [b for b in self.blocks if self.v[b] > 0]
        ratio = np.array([self.a[b] / self.v[b] for b in kept_pos])
        self.order = [(kept_pos[i], float(self.a[kept_pos[i]]), float(self.v[kept_pos[i]]))
                      for i in np.argsort(ratio, kind="stable")]
        self.free = [(b, float(self.a[b])) for b in self.blocks if self.v[b] <= 0 and self.a[b] < 0]

    def knapsack(self, avail: int, A0: float) -> float:
        """min over x in [0,1] of sum a_b x_b + g_lower(A0 + sum v_b x_b) over the blocks ``avail``
        (a bit mask), value within the cap; with plan-rule steps, the least over their pieces (see
        :meth:`Pricer._use`)."""
        pieces = self.pricer.pieces
        if len(pieces) == 1:
            return self._knapsack(avail, A0, min(self.cap, pieces[0][0])) + pieces[0][1]
        return min(self._knapsack(avail, A0, min(self.cap, top)) + const for top, const in pieces)

    def _knapsack(self, avail: int, A0: float, cap: float) -> float:
        if A0 > cap + 1e-3:
            return np.inf
        room = cap - A0
        base = sum(a for b, a in self.free if avail >> b & 1)
        # items drawn lazily: the walk usually stops after the first few
        if np.isfinite(cap):  # a block that alone overflows the cap is in no area here
            items = ((a, v) for b, a, v in self.order if avail >> b & 1 and v <= room + 1e-3)
        else:
            items = ((a, v) for b, a, v in self.order if avail >> b & 1)
        return base + self.pwl.knapsack(items, A0, room)

    def solve(self, time_limit: float, collect_below: float | None = None,
              max_nodes: int = SEARCH_MAX_NODES, known: set[int] | None = None) -> "ExactResult":
        """The best area (or, with ``collect_below``, every area whose hub-h reduced cost is at most
        that value, as columns; with ``known``, a set of block masks, only areas not in it, which
        are added to it: areas met again from another hub are not costed again). Sets of blocks are
        bit masks."""
        t0 = time.perf_counter()
        deadline = t0 + time_limit
        ac, pr = self.ac, self.pricer
        collected: list[int] = []
        mu = self.duals.mu
        ws = 0.0 if self.linear_split else ac.ws
        best = [np.inf, 0]
        nodes = [0]
        stopped = [False]
        hb = self.hb
        kept = self.kept
        # kept neighbours of each kept block, as lists and as bit masks
        nbk = {b: [c for c in ac.neighbours[b] if c in kept] for b in self.blocks}
        nbk_mask = {b: sum(1 << c for c in nbk[b]) for b in self.blocks}
        a, v_of, g, locks, block_pfas = self.a, self.v, self.g, pr.locks, ac.block_pfas
        facts_for, facts_ok, can_grow = ac.facts_for, ac.facts_ok, ac.can_grow
        collecting = collect_below is not None

        def visit(mask: int, frontier: list[int], fmask: int, excl: int, partial: float, A: float,
                  pfas: frozenset, labels: frozenset, fresh: bool = True, avail: int = -1) -> None:
            # fresh: the area is new here (an "exclude" child holds its parent's area, already costed);
            # avail: the blocks it can still reach, when known (-1: not yet)
            nodes[0] += 1
            if nodes[0] > max_nodes or (nodes[0] % 256 == 0 and time.perf_counter() > deadline):
                stopped[0] = True
                return
            facts = facts_for(A, len(pfas), labels)
            split = ws * len(pfas)
            if fresh and facts_ok(facts):
                val = partial + split + g(A) - mu
                if collecting:
                    if val <= collect_below + 1e-9 and (known is None or mask not in known):
                        collected.append(mask)
                        if known is not None:
                            known.add(mask)
                elif val < -EPS_RC and len(collected) < SEARCH_EXTRA_COLUMNS:
                    collected.append(mask)  # more negative areas than the best: fewer rounds
                if val < best[0] - 1e-12:
                    best[0], best[1] = val, mask
            if not frontier or not can_grow(facts):
                return
            # blocks a superset can still reach: through kept blocks not in the area nor excluded (an
            # "include v" child reaches what its parent reached but v, so only "exclude" children search)
            blocked = mask | excl
            if avail < 0:
                avail = fmask
                stack = frontier[:]
                while stack:
                    for c in nbk[stack.pop()]:
                        if not (avail | blocked) >> c & 1:
                            avail |= 1 << c
                            stack.append(c)
            cut = best[0] - 1e-12 if not collecting else collect_below + 1e-9
            if partial + split + self.knapsack(avail, A) - mu > cut:
                return
            v = frontier[0]
            rest = frontier[1:]
            # include v
            taken = blocked | fmask
            new = [c for c in nbk[v] if not taken >> c & 1]
            lock = locks[v]
            visit(mask | 1 << v, rest + new, (fmask & ~(1 << v)) | (nbk_mask[v] & ~taken), excl,
                  partial + float(a[v]), A + float(v_of[v]), pfas | block_pfas[v],
                  labels if lock is None else labels | {lock}, True, avail & ~(1 << v))
            if stopped[0]:
                return
            # exclude v
            visit(mask, rest, fmask & ~(1 << v), excl | 1 << v, partial, A, pfas, labels, False)

        start = nbk[hb]
        visit(1 << hb, start[:], nbk_mask[hb], 0, float(a[hb]), float(v_of[hb]), block_pfas[hb],
              frozenset({locks[hb]} - {None}))
        secs = time.perf_counter() - t0
        blocks_of = lambda m: tuple(b for b in range(m.bit_length()) if m >> b & 1)  # noqa: E731
        if stopped[0]:  # areas listed so far are columns all the same (and are in ``known`` now)
            cols = [] if not collecting else [pr.column(blocks_of(m)) for m in collected]
            return ExactResult("stopped", cols, None, -np.inf, secs, nodes[0])
        if collecting:
            return ExactResult("optimal", [pr.column(blocks_of(m)) for m in collected], best[0], best[0], secs,
                               nodes[0])
        if not best[1]:
            return ExactResult("infeasible", [], None, np.inf, secs, nodes[0])
        cols = [pr.column(blocks_of(best[1]))] + [pr.column(blocks_of(m)) for m in collected if m != best[1]]
        return ExactResult("optimal", cols, best[0], best[0], secs, nodes[0])


class ExactResult:
    def __init__(self, status: str, columns: list[Column], value: float | None, bound: float, seconds: float,
                 rounds: int):
        self.status = status  # optimal | stopped | infeasible
        self.columns = columns
        self.value = value  # hub-h reduced cost of the best area found (None: none)
        self.bound = bound  # valid lower bound on the restricted hub-h minimum
        self.seconds = seconds
        self.rounds = rounds


class AreaRows:
    """Rows every hub pricing model shares (:class:`PricingModel` here, :class:`.separator.HubModel`):
    the interface of :meth:`cpa.rules.Rule.pricing_rows`. The model has ``hp`` (a HiGHS instance whose
    first columns are the blocks' x), ``ncols``, ``blocks``, ``value_coef``, ``ac``, ``pricer`` and ``z``
    (PFA indicator columns)."""

    def _new_col(self, cost: float, lo: float, up: float) -> int:
        self.hp.addCol(cost, lo, up, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        self.ncols += 1
        return self.ncols - 1

    def _row(self, idx, vals, lo, up) -> None:
        idx = np.asarray(idx, dtype=np.int32)
        self.hp.addRow(lo, up, len(idx), idx, np.asarray(vals, dtype=float))

    def _block_list(self) -> list[int]:
        return [int(b) for b in self.blocks]

    def _pfa_indicators(self, cost: float) -> None:
        ac = self.ac
        for i, b in enumerate(self._block_list()):
            for p in sorted(ac.block_pfas[b]):
                if p not in self.z:
                    self.z[p] = self._new_col(cost, 0.0, 1.0)
                self._row([self.z[p], i], [1.0, -1.0], 0.0, INF)

    def value_at_least(self, floor: float) -> None:
        self._row(np.arange(len(self.blocks)), self.value_coef, floor - 1e-6, INF)

    def value_at_most(self, cap: float) -> None:
        self._row(np.arange(len(self.blocks)), self.value_coef, -INF, cap + 1e-6)

    def pfas_at_most(self, n: int) -> None:
        ac = self.ac
        if self.pfas_disjoint:
            self._row(np.arange(len(self.blocks)), [float(len(ac.block_pfas[b])) for b in self._block_list()], -INF, n)
            return
        if not self.z:
            self._pfa_indicators(0.0)
        zs = sorted(self.z.values())
        self._row(zs, np.ones(len(zs)), -INF, n)

    def at_most_one_label(self) -> None:
        locks = self.pricer.locks
        by_label: dict[str, list[int]] = {}
        for i, b in enumerate(self._block_list()):
            if locks[b] is not None:
                by_label.setdefault(locks[b], []).append(i)
        if len(by_label) <= 1:
            return
        ys = []
        for lab in sorted(by_label):
            y = self._new_col(0.0, 0.0, 1.0)
            ys.append(y)
            for i in by_label[lab]:
                self._row([y, i], [1.0, -1.0], 0.0, INF)
        self._row(ys, np.ones(len(ys)), -INF, 1.0)

class PricingModel(AreaRows):
    """The hub-h pricing MIP over the kept blocks (see the module docstring). Rules add rows through
    :meth:`value_at_least`, :meth:`value_at_most`, :meth:`pfas_at_most`, :meth:`at_most_one_label`."""

    def __init__(self, pricer: Pricer, h: int, duals: Duals, keep: np.ndarray, *, threads=None, seed=0,
                 stop=None):
        self.pricer = pricer
        ac = pricer.ac
        pricer._use(duals)
        self.ac = ac
        self.h = h
        self.hb = int(pricer.hub_block[h])
        hub_label = pricer.locks[self.hb]
        blocks = [b for b in np.flatnonzero(keep).tolist()
                  if hub_label is None or pricer.locks[b] in (None, hub_label)]
        if ac.cap is not None:
            blocks = [b for b in blocks if b == self.hb or self.ac.value[self.hb] + ac.value[b] <= ac.cap + 1e-6]
        # only blocks connected to the hub inside the kept set
        sub = ac.blocks.graph.subgraph(blocks)
        reach = nx.node_connected_component(sub, self.hb)
        self.blocks = sorted(reach)
        self.col_of = {b: i for i, b in enumerate(self.blocks)}
        self.duals = duals
        hp = new_highs(threads=threads, seed=seed, stop=stop, small_mip=True)
        hp.setOptionValue("mip_rel_gap", 1e-9)
        hp.setOptionValue("mip_abs_gap", 1e-9)
        self.hp = hp
        nb = len(self.blocks)
        cost = ac.cost[self.blocks, h] - duals.pi[self.blocks]
        self.const = -duals.mu
        lower = np.zeros(nb)
        upper = np.ones(nb)
        lower[self.col_of[self.hb]] = 1.0
        hp.addCols(nb, cost, lower, upper, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        hp.changeColsIntegrality(nb, np.arange(nb, dtype=np.int32), np.full(nb, highspy.HighsVarType.kInteger))
        self.ncols = nb
        self.value_coef = ac.value[self.blocks]
        # value terms: one epigraph variable per term (the plan rules' dual terms are exact rows below)
        for lines in pricer.base_lines_by_term:
            t = self._new_col(1.0, -INF, INF)
            for s, c in lines:
                # t - s * A >= c
                idx = [t] + list(range(nb))
                vals = [1.0] + list(-s * self.value_coef)
                self._row(idx, vals, c, INF)
        # PFA indicators: needed for the split term and PFA limits when blocks may share a PFA
        self.z: dict[int, int] = {}
        disjoint = all(len(ac.block_pfas[b]) >= 1 for b in self.blocks) and ac.options.coterminous == "strict"
        self.pfas_disjoint = disjoint
        if ac.ws and not disjoint:
            self._pfa_indicators(ac.ws)
        elif ac.ws:
            for i, b in enumerate(self.blocks):
                hp.changeColCost(i, float(cost[i]) + ac.ws * len(ac.block_pfas[b]))
        for rule in ac.rules:
            rule.pricing_rows(self)
        for prule, sigma in zip(ac.plan_rules, pricer._rule_duals):
            if sigma:
                prule.pricing_rows(self, float(sigma))
        # single-block separator cuts: a block other than the hub needs a chosen neighbour
        for b in self.blocks:
            if b == self.hb:
                continue
            nbrs = [self.col_of[c] for c in ac.neighbours[b] if c in self.col_of]
            self._row([self.col_of[b]] + nbrs, [1.0] + [-1.0] * len(nbrs), -INF, 0.0)
        self._flow()

    def _flow(self) -> None:
        """Single-commodity flow from the hub: every chosen block consumes one unit, flow only
        along arcs between chosen blocks. One MIP, no cut rounds (their restarts cost more)."""
        ac = self.ac
        nb = len(self.blocks)
        big = float(nb - 1)
        arcs = [(self.col_of[u], self.col_of[v]) for u in self.blocks for v in ac.neighbours[u] if v in self.col_of]
        first = self.ncols
        m = len(arcs)
        if not m:
            return
        self.hp.addCols(m, np.zeros(m), np.zeros(m), np.full(m, big), 0, np.zeros(0, dtype=np.int32),
                        np.zeros(0, dtype=np.int32), np.zeros(0))
        self.ncols += m
        into: dict[int, list[int]] = {}
        out: dict[int, list[int]] = {}
        for j, (u, v) in enumerate(arcs):
            out.setdefault(u, []).append(first + j)
            into.setdefault(v, []).append(first + j)
            # f_uv <= big * x_v and <= big * x_u
            self._row([first + j, v], [1.0, -big], -INF, 0.0)
            self._row([first + j, u], [1.0, -big], -INF, 0.0)
        root = self.col_of[self.hb]
        for i in range(nb):
            if i == root:
                continue
            idx = into.get(i, []) + out.get(i, []) + [i]
            vals = [1.0] * len(into.get(i, [])) + [-1.0] * len(out.get(i, [])) + [-1.0]
            self._row(idx, vals, 0.0, 0.0)

    def reward_if_value_at_most(self, threshold: float, reward: float) -> None:
        """``-reward`` for an area of value at most ``threshold`` (a plan rule's dual, exactly): binary
        y with cost -reward and sum v_b x_b + big * y <= threshold + big, big = (kept value - threshold)^+."""
        y = self._new_col(-float(reward), 0.0, 1.0)
        self.hp.changeColsIntegrality(1, np.array([y], dtype=np.int32),
                                      np.array([highspy.HighsVarType.kInteger]))
        big = max(float(self.value_coef.sum()) - threshold, 0.0)
        self._row(list(range(len(self.blocks))) + [y], list(self.value_coef) + [big], -INF, threshold + 1e-3 + big)

    # -------------------------------------------------------------- solve
    def solve(self, time_limit: float) -> ExactResult:
        t0 = time.perf_counter()
        deadline = t0 + time_limit
        hp = self.hp
        rounds = 0
        best_cols: list[Column] = []
        best_val = None
        bound = -np.inf
        graph = self.ac.blocks.graph
        while True:
            rounds += 1
            hp.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
            hp.run()
            ms = hp.getModelStatus()
            S = highspy.HighsModelStatus
            info = hp.getInfo()
            if ms == S.kInfeasible:
                return ExactResult("infeasible", best_cols, best_val, np.inf, time.perf_counter() - t0, rounds)
            b = info.mip_dual_bound
            round_bound = float(b) + self.const if abs(b) < 1e30 else -np.inf
            has = info.primal_solution_status == 2
            if not has:
                return ExactResult("stopped", best_cols, best_val, round_bound, time.perf_counter() - t0, rounds)
            x = np.asarray(hp.getSolution().col_value)[:len(self.blocks)]
            chosen = [self.blocks[i] for i in range(len(self.blocks)) if x[i] > 0.5]
            comps = list(nx.connected_components(graph.subgraph(chosen)))
            hub_comp = next(c for c in comps if self.hb in c)
            # the hub's component is itself a connected area: a column in any case
            if self.ac.area_ok(hub_comp):
                col = self.pricer.column(hub_comp)
                best_cols.append(col)
                rc = self.pricer.reduced_cost(col, self.duals)
                best_val = rc if best_val is None else min(best_val, rc)
            if len(comps) == 1:
                status = "optimal" if ms == S.kOptimal else "stopped"
                obj = float(info.objective_function_value) + self.const
                best_val = obj if best_val is None else min(best_val, obj)
                return ExactResult(status, best_cols, best_val, round_bound, time.perf_counter() - t0, rounds)
            if ms != S.kOptimal or time.perf_counter() > deadline:
                return ExactResult("stopped", best_cols, best_val, round_bound, time.perf_counter() - t0, rounds)
            for comp in comps:
                if self.hb in comp:
                    continue
                border = {c for u in comp for c in graph.neighbors(u) if c not in comp and c in self.col_of}
                bidx = [self.col_of[c] for c in sorted(border)]
                for u in sorted(comp):
                    self._row([self.col_of[u]] + bidx, [1.0] + [-1.0] * len(bidx), -INF, 0.0)
