r"""The restricted master: set partitioning over the areas (columns) found so far.

Blocks :math:`B` (PFAs under strict coterminosity, LADs otherwise, merged by
keep-whole groups and locks), columns :math:`S` (connected areas meeting every
per-area rule) with costs :math:`c_S` (:mod:`cpa.objective`):

.. math::

    \min \sum_S c_S \lambda_S \quad\text{s.t.}\quad
    \sum_{S\ni b} \lambda_S = 1 \;(\pi_b)\;\; \forall b\in B, \qquad
    \sum_S \lambda_S = K \;(\mu), \qquad
    \sum_S a^r_S \lambda_S \gtrless r \;(\sigma_r)\;\; \text{(plan-level rules)}, \qquad
    \lambda \ge 0 .

The LP is solved by HiGHS through ``highspy`` directly: columns are added in
place and every re-solve starts from the previous basis. Artificial columns
(cost :data:`ARTIFICIAL_COST`) keep it feasible before any plan is known; the
duals it returns are used whatever they are (the Lagrangian bound in
:mod:`.engine` is valid for *any* duals). The *restricted master MIP* (the same
rows, :math:`\lambda` binary, no artificials) turns the columns into plans: by
HiGHS, or by CBC through PuLP with ``--solver cbc``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pulp

from .solvers import run_solver

ARTIFICIAL_COST = 1e4
INF = highspy.kHighsInf


def new_highs(*, threads: int | None = None, seed: int = 0, time_limit: float | None = None,
              stop: threading.Event | None = None, small_mip: bool = False) -> highspy.Highs:
    """A quiet HiGHS instance; ``stop`` interrupts its simplex and MIP runs when set."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(seed))
    if threads:
        h.setOptionValue("threads", int(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    if small_mip:
        # tiny pricing MIPs: HiGHS's sub-MIP heuristics and restarts cost more than they save
        h.setOptionValue("mip_heuristic_effort", 0.0)
        h.setOptionValue("mip_allow_restart", False)
    if stop is not None:
        def interrupt(event):
            if stop.is_set():
                event.interrupt()
        h.cbMipInterrupt.subscribe(interrupt)
        h.cbSimplexInterrupt.subscribe(interrupt)
        h.cbIpmInterrupt.subscribe(interrupt)
    return h


@dataclass
class Column:
    """One area: its blocks (sorted), hub LAD, cost and bit mask of blocks."""

    blocks: tuple[int, ...]
    hub: int
    cost: float
    mask: int = 0
    source: str = ""

    def __post_init__(self):
        if not self.mask:
            m = 0
            for b in self.blocks:
                m |= 1 << b
            self.mask = m


@dataclass
class LpSolution:
    status: str  # optimal | interrupted | time_limit | error
    objective: float | None
    values: np.ndarray | None = None  # lambda of the real columns
    cover_duals: np.ndarray | None = None
    k_dual: float = 0.0
    rule_duals: np.ndarray = field(default_factory=lambda: np.zeros(0))
    artificial: float = 0.0  # total value of artificial columns (0 when the LP is a true relaxation)
    seconds: float = 0.0


class Master:
    """The restricted master LP over :class:`Column` objects (see module docstring)."""

    def __init__(self, n_blocks: int, k: int, plan_rules=(), *, threads=None, seed=0, stop=None,
                 artificial_cost: float = ARTIFICIAL_COST, facts_of=None):
        self.n = n_blocks
        self.k = k
        self.plan_rules = list(plan_rules)
        # a column's facts (value, PFAs, labels): the plan rules' coefficients depend on them
        self.facts_of = facts_of
        self.columns: list[Column] = []
        self.keys: dict[int, int] = {}  # mask -> column index
        self.h = new_highs(threads=threads, seed=seed, stop=stop)
        h = self.h
        nr = self.n + 1 + len(self.plan_rules)
        lower = np.ones(nr)
        upper = np.ones(nr)
        lower[self.n] = upper[self.n] = k
        for i, r in enumerate(self.plan_rules):
            lo, up = (r.rhs, INF) if r.sense == ">=" else (-INF, r.rhs)
            lower[self.n + 1 + i], upper[self.n + 1 + i] = lo, up
        h.addRows(nr, lower, upper, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        # artificials: one per cover row (+1), one surplus per cover row (-1, used by the dual box),
        # two for the K row, two per plan row
        art_rows = (list(range(self.n)) + list(range(self.n)) + [self.n, self.n]
                    + [self.n + 1 + i for i in range(len(self.plan_rules)) for _ in (0, 1)])
        signs = [1.0] * self.n + [-1.0] * self.n + [1.0, -1.0] + [s for _ in self.plan_rules for s in (1.0, -1.0)]
        self.artificial_cost = float(artificial_cost)
        na = len(art_rows)
        h.addCols(na, np.full(na, float(artificial_cost)), np.zeros(na), np.full(na, INF), na,
                  np.arange(na, dtype=np.int32), np.array(art_rows, dtype=np.int32), np.array(signs))
        self.n_art = na
        self.boxed = False
        self.h.setOptionValue("simplex_strategy", 1)  # dual simplex: warm re-solves after adding columns

    def set_box(self, center: np.ndarray | None, delta: float = 0.0) -> None:
        """Stabilise the cover duals in [center - delta, center + delta] (boxstep): the cover rows'
        artificials cost center + delta, their surplus columns -(center - delta). ``None`` removes
        the box (the LP is then the plain restricted master again)."""
        n = self.n
        if center is None:
            up = np.full(n, self.artificial_cost)
            down = np.full(n, self.artificial_cost)
            self.boxed = False
        else:
            up = np.minimum(center + delta, self.artificial_cost)
            down = np.minimum(-(center - delta), self.artificial_cost)
            self.boxed = True
        self.h.changeColsCost(2 * n, np.arange(2 * n, dtype=np.int32), np.concatenate([up, down]))

    def __len__(self) -> int:
        return len(self.columns)

    def rows_of(self, col: Column, facts=None) -> tuple[np.ndarray, np.ndarray]:
        idx = list(col.blocks) + [self.n]
        val = [1.0] * (len(col.blocks) + 1)
        for i, r in enumerate(self.plan_rules):
            a = r.coefficient(facts) if facts is not None else 0.0
            if a:
                idx.append(self.n + 1 + i)
                val.append(a)
        return np.array(idx, dtype=np.int32), np.array(val)

    def add(self, cols: list[Column], facts_of=None) -> int:
        """Add the columns not already present; returns how many were added."""
        facts_of = facts_of or self.facts_of
        new = []
        for c in cols:
            if c.mask in self.keys:
                j = self.keys[c.mask]
                if c.cost < self.columns[j].cost - 1e-12:  # same area, cheaper hub: keep the cheaper
                    self.columns[j] = c
                    self.h.changeColCost(self.n_art + j, c.cost)
                continue
            self.keys[c.mask] = len(self.columns)
            self.columns.append(c)
            new.append(c)
        if not new:
            return 0
        starts, idx, val = [], [], []
        for c in new:
            i, v = self.rows_of(c, None if facts_of is None else facts_of(c))
            starts.append(len(idx))
            idx.extend(i.tolist())
            val.extend(v.tolist())
        m = len(new)
        self.h.addCols(m, np.array([c.cost for c in new]), np.zeros(m), np.full(m, INF), len(idx),
                       np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32), np.array(val))
        return m

    def solve(self, time_limit: float) -> LpSolution:
        h = self.h
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        t0 = time.perf_counter()
        h.run()
        secs = time.perf_counter() - t0
        ms = h.getModelStatus()
        S = highspy.HighsModelStatus
        if ms != S.kOptimal:
            status = "interrupted" if ms in (S.kInterrupt,) else ("time_limit" if ms == S.kTimeLimit else "error")
            return LpSolution(status, None, seconds=secs)
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        y = np.asarray(sol.row_dual)
        obj = h.getInfo().objective_function_value
        return LpSolution("optimal", float(obj), x[self.n_art:], y[:self.n].copy(), float(y[self.n]),
                          y[self.n + 1:].copy(), float(x[:self.n_art].sum()), secs)

    def reduced_costs(self, sol: LpSolution) -> np.ndarray:
        """Reduced cost of every column under the LP's duals (plan rows included)."""
        out = np.empty(len(self.columns))
        pi = sol.cover_duals
        for j, c in enumerate(self.columns):
            out[j] = c.cost - pi[list(c.blocks)].sum() - sol.k_dual
            if self.plan_rules and self.facts_of is not None:
                facts = self.facts_of(c)
                out[j] -= sum(float(y) * r.coefficient(facts) for y, r in zip(sol.rule_duals, self.plan_rules))
        return out


@dataclass
class MipOutcome:
    status: str  # optimal | feasible | infeasible | no_solution | interrupted | error
    chosen: list[int] | None  # column indices
    objective: float | None
    bound: float | None
    seconds: float
    detail: str


def solve_restricted_mip(master: Master, *, time_limit: float, solver: str = "highs", threads=None, seed: int = 0,
                         start: list[int] | None = None, stop=None, facts_of=None,
                         only: list[int] | None = None, presolve: bool = False) -> MipOutcome:
    """Choose K of the master's columns covering every block once, at least cost (a MIP); with
    ``only``, of those columns (master indices) only. ``start`` and the chosen columns are master
    indices. ``presolve``: HiGHS's presolve (off by default: see :func:`_solve_mip`)."""
    if only is None:
        return _solve_mip(master, master.columns, time_limit=time_limit, solver=solver, threads=threads, seed=seed,
                          start=start, stop=stop, facts_of=facts_of, presolve=presolve)
    only = sorted(set(only))
    at = {j: i for i, j in enumerate(only)}
    sub_start = None if not start or any(j not in at for j in start) else [at[j] for j in start]
    out = _solve_mip(master, [master.columns[j] for j in only], time_limit=time_limit, solver=solver,
                     threads=threads, seed=seed, start=sub_start, stop=stop, facts_of=facts_of, presolve=presolve)
    if out.chosen is not None:
        out.chosen = [only[i] for i in out.chosen]
    return out


def _solve_mip(master: Master, cols: list[Column], *, time_limit: float, solver, threads, seed, start, stop,
               facts_of, presolve: bool = False) -> MipOutcome:
    n, k = master.n, master.k
    facts_of = facts_of or master.facts_of
    t0 = time.perf_counter()
    if solver == "highs":
        h = new_highs(threads=threads, seed=seed, time_limit=time_limit, stop=stop)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-9)
        nr = n + 1 + len(master.plan_rules)
        lower = np.ones(nr)
        upper = np.ones(nr)
        lower[n] = upper[n] = k
        for i, r in enumerate(master.plan_rules):
            lower[n + 1 + i], upper[n + 1 + i] = (r.rhs, INF) if r.sense == ">=" else (-INF, r.rhs)
        h.addRows(nr, lower, upper, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        starts, idx, val = [], [], []
        for c in cols:
            i, v = master.rows_of(c, None if facts_of is None else facts_of(c))
            starts.append(len(idx))
            idx.extend(i.tolist())
            val.extend(v.tolist())
        m = len(cols)
        h.addCols(m, np.array([c.cost for c in cols]), np.zeros(m), np.ones(m), len(idx),
                  np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32), np.array(val))
        h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.full(m, highspy.HighsVarType.kInteger))
        # HiGHS's presolve probing crawls on wide set partitioning models; the LP is strong without it.
        # On a few thousand columns where a better plan than the start exists, its clique merging
        # finds it far sooner (strict K=7, 2,300 columns: 1 s instead of 7 s); proving a start
        # optimal is faster without it (6,700 columns: 3-6 s instead of 9 s)
        if not presolve:
            h.setOptionValue("presolve", "off")
        if start:
            sol = np.zeros(m)
            sol[start] = 1.0
            h.setSolution(m, np.arange(m, dtype=np.int32), sol)
        h.run()
        secs = time.perf_counter() - t0
        ms = h.getModelStatus()
        S = highspy.HighsModelStatus
        info = h.getInfo()
        has = info.primal_solution_status == 2
        chosen = None
        obj = None
        if has:
            x = np.asarray(h.getSolution().col_value)
            chosen = [j for j in range(m) if x[j] > 0.5]
            obj = float(sum(cols[j].cost for j in chosen))
        bound = info.mip_dual_bound
        bound = None if bound is None or not abs(bound) < 1e30 else float(bound)
        if ms == S.kInfeasible:
            status = "infeasible"
        elif ms == S.kOptimal and has:
            status = "optimal"
        elif ms in (S.kInterrupt,):
            status = "interrupted" if has else "no_solution"
        elif has:
            status = "feasible"
        else:
            status = "no_solution" if ms in (S.kTimeLimit, S.kSolutionLimit, S.kIterationLimit) else "error"
        return MipOutcome(status, chosen, obj, bound, secs, f"HiGHS model status: {h.modelStatusToString(ms)}")
    # CBC (or any PuLP solver object) through PuLP: the master is built once per call

    prob = pulp.LpProblem("restricted_master", pulp.LpMinimize)
    z = [pulp.LpVariable(f"z_{j}", cat=pulp.LpBinary) for j in range(len(cols))]
    covers: list[list[int]] = [[] for _ in range(n)]
    for j, c in enumerate(cols):
        for b in c.blocks:
            covers[b].append(j)
    prob += pulp.LpAffineExpression([(z[j], c.cost) for j, c in enumerate(cols)])
    for b in range(n):
        prob += pulp.LpAffineExpression([(z[j], 1.0) for j in covers[b]]) == 1, f"cover_{b}"
    prob += pulp.LpAffineExpression([(zj, 1.0) for zj in z]) == k, "k_areas"
    for i, r in enumerate(master.plan_rules):
        expr = pulp.LpAffineExpression([(z[j], r.coefficient(facts_of(c))) for j, c in enumerate(cols)])
        prob += (expr >= r.rhs) if r.sense == ">=" else (expr <= r.rhs), f"plan_rule_{i}"
    st = None
    if start:
        st = {zj.name: 0.0 for zj in z}
        for j in start:
            st[z[j].name] = 1.0
    out = run_solver(prob, solver, time_limit=max(time_limit, 1.0), gap=None, threads=threads, seed=seed, start=st)
    chosen = None
    obj = None
    if out.has_solution:
        chosen = [j for j in range(len(cols)) if (z[j].varValue or 0.0) > 0.5]
        obj = float(sum(cols[j].cost for j in chosen))
    return MipOutcome(out.status, chosen, obj, out.bound, time.perf_counter() - t0, out.detail)
