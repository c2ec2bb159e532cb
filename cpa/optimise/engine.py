r"""The engine: set partitioning over contiguous areas by column generation.

One engine for every mode (strict: PFAs are the blocks; soft / off: LADs are;
keep-whole groups and locks merge blocks). The problem is

.. math::

    \min \sum_S c_S\lambda_S \;\text{ s.t. }\; \sum_{S\ni b}\lambda_S = 1\ \forall b,\;
    \sum_S\lambda_S = K,\; \lambda_S\in\{0,1\}

over every connected area :math:`S` that meets the per-area rules, with
:math:`c_S` from :mod:`cpa.objective`. The run (:meth:`Engine.run`):

1. **Seeds** (:mod:`.solve`): greedy merge + local search on the blocks (and, at
   LAD level, on the PFA blocks and on coarse "sketch" blocks, refined by
   chained LAD moves), the reference plans that fit the request, a ``--start``
   plan and, at block level, a cheap enumeration of promising areas
   (:mod:`.columns`). Their areas are the first columns of the master
   (:mod:`.master`); the best plan is the first incumbent.
2. **Column generation** (:meth:`Engine.column_generation`): solve the master LP,
   price (:mod:`.pricing`): heuristic growth and local improvement from the basis
   columns first; when they find nothing (or every :data:`BOUND_EVERY` seconds)
   an *exact round* (:meth:`Engine.exact_round`) computes, for every hub, the
   least reduced cost or a lower bound on it (cheap bounds in a priority queue;
   exact search or MIP only for hubs whose cheap bound is below the best found,
   each time-sliced). This is the block level (at most :data:`HUB_MODELS_ABOVE`
   blocks). At LAD level the restricted master is too degenerate for its duals
   to give a bound; there the bound comes from :meth:`Engine.lad_bound`: from
   the duals of a compact LP (:mod:`.compact`, solved right after the seeds,
   before recombination, when it is expected to fit its share of the time;
   else from the incumbent, :meth:`Engine.local_duals`), each hub's pricing
   problem is bounded lazily (a cheap bound, the LP with node-separator cuts,
   the exact MIP: :mod:`.separator`, raised only where the bound needs it; above
   :data:`FULL_HUB_MODELS_AT_MOST` blocks over the blocks whose margin can
   matter, the others bounding the hub by their margin) and the duals move by
   box steps over the master's columns.
3. **Bound** (one definition): with duals :math:`(\pi,\mu)` and, for every
   hub :math:`h`, a lower bound :math:`\rho_h` of its least reduced cost,

   .. math:: LB = \sum_b \pi_b + K\mu + \sum_r \sigma_r\,\mathrm{rhs}_r
             + \sum_{K \text{ smallest}} \min_{h:\beta(h)=b}\rho_h

   (the K smallest per-block minima: a plan's K areas hold their hubs in K
   distinct blocks; :math:`\sigma_r` the duals of plan-level rows such as
   ``--small-lots``, each of its row's sign, and the reduced cost then includes
   :math:`-\sum_r\sigma_r a^r_S`) is a Lagrangian bound: valid for any duals, so
   at every iteration; it is not monotone, so the best so far is kept. Two exact
   devices give bounds too:
   after a complete seed enumeration up to :math:`\theta` the restricted master
   MIP's optimum :math:`z` is optimal if :math:`z\le\theta`
   (:meth:`Engine.enumeration_proof`), and after the LP is solved at block
   level every area that can be in a plan cheaper than the incumbent has
   reduced cost at most :math:`\Delta = UB - \sum\pi - K\mu - (K-1)\rho`, so
   listing them all (branch and bound per hub) makes the MIP over them exact
   (:meth:`Engine.reduced_cost_enumeration`); it goes in steps :math:`d <
   \Delta` first, each giving the bound :math:`\min(z_d, LP + (K-1)\rho + d)`
   and often a better plan. With every weight non-negative, 0 is a bound as well.
4. **Integer plans** (:meth:`Engine.integer_plan`): the restricted master MIP over
   the columns so far (time-sliced), then recombination of adjacent areas
   (seeded spanning-tree splits, as ReCom, but keeping only improvements) and
   block moves from the incumbent (:meth:`Engine.improve_incumbent`); at LAD
   level first from each of the best seed plans (:meth:`Engine.diversify`).
   Every plan offered is checked (K areas, a partition, connected, every rule)
   and its areas and their one-block neighbours join the master.

A plan is called optimal only when its objective is within
:data:`OPTIMALITY_TOLERANCE` (relative) of a valid bound. Branching
(Ryan-Foster on pairs of blocks) is not implemented: where the LP gap is large
and the reduced-cost enumeration does not finish in time, the plan is reported
``feasible`` with its gap (the bound of the last step that finished).
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..errors import CpaError
from .ascent import CheapAscent
from .compact import compact_duals, hub_reach
from .costs import AreaCosts
from .heuristics import Partition, chain_search, local_search, recombine
from .master import Column, Master, solve_restricted_mip
from .pricing import EPS_RC, SEARCH_MAX_BLOCKS, ConnectedSearch, Duals, Pricer, plan_rule_duals
from .separator import HubModel

#: A plan is optimal when (objective - bound) / |objective| is at most this.
OPTIMALITY_TOLERANCE = 1e-6
#: Progress is reported at least this often (seconds) while a solve runs.
HEARTBEAT = 1.5
#: Seconds between exact pricing rounds (bound updates) while heuristic pricing still finds columns.
BOUND_EVERY = 20.0
#: Seconds between restricted-master MIPs during column generation.
MIP_EVERY = 15.0
#: Time slice of one hub's exact pricing MIP (its dual bound is used if it stops).
EXACT_HUB_SECONDS = 3.0
#: Above HUB_MODELS_ABOVE blocks (LAD level), the bound comes from the hub models with separator cuts
#: (:meth:`Engine.lad_bound`). Up to FULL_HUB_MODELS_AT_MOST blocks each model holds the hub's whole
#: component; above, one model per hub over every block would grow as n^2 in time and memory, so a
#: model holds only the blocks that can be in an area of reduced cost at most the K-th smallest hub
#: bound + RESTRICT_PAD x (mean area cost) under the duals it is built for (their margins,
#: :meth:`.pricing.Pricer.block_margins`), and the hub's bound is capped by the least margin of a
#: block it leaves out (:meth:`Engine.hub_round`), so the bound stays valid under any duals.
HUB_MODELS_ABOVE, FULL_HUB_MODELS_AT_MOST = 80, 600
RESTRICT_PAD = 0.05
#: A restricted hub model holds at most this many blocks (those of least margin), and the models kept
#: at once at most HUB_MODEL_BLOCKS_BUDGET blocks in all (about 4 MB per 800-block model measured).
RESTRICTED_MODEL_BLOCKS, HUB_MODEL_BLOCKS_BUDGET = 1000, 400_000
#: The compact LP (starting duals) is used only when its expected time, COMPACT_SECONDS x (pairs /
#: COMPACT_PAIRS)^2 for its (block, hub) pairs, fits in COMPACT_SHARE of the time left (measured on a
#: 2-core machine: 6.6 s at 12,000 pairs, 25.5 s at 18,800 (LADs, K=16), 42 s at 28,000 (n = 400);
#: n = 1,600 has 112,000). Otherwise the duals start from the incumbent (:meth:`Engine.local_duals`)
#: and the box steps do the rest.
COMPACT_SECONDS, COMPACT_PAIRS = 42.0, 28_000
#: LAD level, where the compact LP does not fit: the subgradient ascent for the starting duals
#: (:meth:`Engine.ascent_duals`, :mod:`.ascent`) gets at most this share of the time left.
ASCENT_SHARE = 0.15
#: Above FULL_HUB_MODELS_AT_MOST blocks an exact round takes minutes (n = 1,600: 88 s for +0.17 over
#: the ascent's bound): the ascent gets up to this share there (it stops earlier when its step is spent).
ASCENT_SHARE_LARGE = 0.4
#: An exact pricing round takes at most this share of the time left (at least EXACT_ROUND_MIN s).
EXACT_ROUND_SHARE, EXACT_ROUND_MIN = 0.3, 5.0
#: LAD level: the compact LP (duals for the bound) gets at most this share of the time left.
COMPACT_SHARE = 0.5
#: LAD level box step (:meth:`Engine.lad_bound`): first relative box half-width, its factor after a better
#: bound and after a round without one, and the width at which it stops.
BOX_START, BOX_GROW, BOX_SHRINK, BOX_MIN = 0.03, 1.5, 0.7, 1e-4
#: The first box when the duals start from the incumbent (:meth:`Engine.local_duals`), not the compact LP.
BOX_START_LOCAL = 0.3
#: LAD level: share of the time left given to recombination right after the seeds.
IMPROVE_FIRST_SHARE = 0.35
#: Recombination draws up to this many spanning trees per pair of areas.
MAX_TREES = 48
#: Before the reduced-cost enumeration, the restricted master MIP (for the incumbent) gets at most
#: UB_MIP_SHARE of the time left, and at most UB_MIP_SECONDS.
UB_MIP_SHARE, UB_MIP_SECONDS = 0.3, 20.0
#: Reduced-cost enumeration gives up beyond this many areas; one hub's search beyond this many nodes.
MAX_ENUMERATED, ENUMERATION_MAX_NODES = 300_000, 2_000_000
#: The reduced-cost enumeration's first step lists areas of reduced cost up to this share of Delta,
#: each next step up to RC_GROWTH times as far (at most Delta). Doubling: a step's MIP often finds a
#: better plan well before d reaches Delta (each area of a plan has rc below the plan's total; strict
#: K=7: the optimum at d = 1.12 with Delta = 2.24), and the next step stops at the new, smaller
#: Delta; growing by 4 jumped to d = 2.24, whose list and MIP did not finish in 60 s.
RC_FIRST_SHARE, RC_GROWTH = 0.125, 2.0
#: Local search before the reduced-cost enumeration: recombination with at most this many spanning
#: trees per pair of areas (a budget in work, so the path does not depend on the machine's speed).
UB_SEARCH_TREES = 12
#: Hub models priced at a time when --threads is not given: one per core, at most this many.
HUB_WORKERS_AT_MOST = 4
#: Columns added per iteration at most.
MAX_NEW_COLUMNS = 600


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def least_outside(margins: np.ndarray, blocks) -> float:
    """The least of ``margins`` over the blocks not in ``blocks`` (inf if none): a lower bound of the
    reduced cost of every area of the hub that is not inside those blocks."""
    out = np.ones(len(margins), dtype=bool)
    out[np.asarray(blocks, dtype=int)] = False
    return float(margins[out].min()) if out.any() else np.inf


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


@dataclass
class Progress:
    """What ``progress`` callbacks receive, at least every ~2 s in long phases."""

    phase: str
    elapsed: float
    objective: float | None
    bound: float | None
    gap: float | None
    columns: int = 0


class Interrupted(CpaError):
    """``stop`` was set before any plan was found."""

    exit_code = 130


@dataclass
class EngineResult:
    areas: list[tuple[int, ...]] | None  # blocks of each area
    objective: float | None
    bound: float | None
    status: str  # optimal | feasible | interrupted
    incumbent_from: str | None
    first_plan_seconds: float | None
    log: list[dict] = field(default_factory=list)
    columns: int = 0
    lp_bound: float | None = None
    infeasible: bool = False


class Engine:
    """One run of column generation for a request (see the module docstring)."""

    def __init__(self, ac: AreaCosts, *, solver="highs", t0: float, deadline: float, stop=None, progress=None,
                 threads=None, seed: int = 0, gap: float | None = None):
        self.ac = ac
        self.k = ac.options.k
        self.solver = solver
        self.t0, self.deadline = t0, deadline
        self.stop = stop
        self.progress_cb = progress
        self.threads, self.seed = threads, seed
        self.gap_target = gap
        # no real plan costs more than K x the largest area cost: artificial columns cost far more, so a
        # Lagrangian bound above that ceiling proves that no plan exists
        self.cost_ceiling = self.k * ac.objective.max_area_cost(len(ac.pfa_ids)) + abs(ac.offset())
        self.master = Master(ac.n, self.k, ac.plan_rules, threads=threads, seed=seed, stop=stop,
                             artificial_cost=100.0 * self.cost_ceiling + 1.0,
                             facts_of=lambda col: ac.facts(col.blocks))
        self.enumerated_threshold: float | None = None
        self.lp_duals = None
        self._recombinations = 0
        self.pool: list[tuple[float, list, str]] = []  # every valid plan offered: (objective, areas, source)
        self.infeasible = False
        self.pricer = Pricer(ac, threads=threads, seed=seed, stop=stop)
        self._compact = None  # LAD level: (thread, result box) of the compact LP
        self._ascent_pi = None  # LAD level: starting duals from the subgradient ascent (ascent_duals)
        self.hub_models: dict = {}  # LAD level: hub -> separator.HubModel, kept between rounds
        self._hub_pool: ThreadPoolExecutor | None = None
        self.incumbent: list[tuple[int, ...]] | None = None
        self.incumbent_obj = np.inf
        self.incumbent_from: str | None = None
        self.first_plan_s: float | None = None
        self.bound = -np.inf
        self.lp_value: float | None = None
        self.lp_solved = False
        self.log: list[dict] = []
        self.phase = "start"
        self._last_progress = 0.0
        self._progress_lock = threading.Lock()

    # ------------------------------------------------------------ time and progress
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def stopped(self) -> bool:
        return (self.stop is not None and self.stop.is_set()) or self.left() <= 0

    def report(self, phase: str | None = None, force: bool = False) -> None:
        if phase:
            self.phase = phase
        if self.progress_cb is None:
            return
        with self._progress_lock:
            now = time.perf_counter()
            if force or now - self._last_progress >= 1.0:
                self._last_progress = now
                obj = None if self.incumbent is None else self.incumbent_obj
                bnd = None if not np.isfinite(self.bound) else self.bound
                self.progress_cb(Progress(self.phase, self.elapsed(), obj, bnd, relative_gap(obj, bnd),
                                          len(self.master)))

    def heartbeat(self):
        """A context manager: while it is open, a daemon thread reports progress at least every
        HEARTBEAT seconds, so long phases (seeds, local search, a long MIP) are never silent."""
        engine = self

        class _Beat:
            def __enter__(self):
                self.done = threading.Event()
                if engine.progress_cb is not None:
                    def beat():
                        while not self.done.wait(HEARTBEAT):
                            if time.perf_counter() - engine._last_progress >= HEARTBEAT:
                                engine.report()
                    self.thread = threading.Thread(target=beat, name="cpa-progress", daemon=True)
                    self.thread.start()
                return engine

            def __exit__(self, *exc):
                self.done.set()
                return False

        return _Beat()

    def gap(self) -> float | None:
        if self.incumbent is None or not np.isfinite(self.bound):
            return None
        return relative_gap(self.incumbent_obj, self.bound)

    def closed(self) -> bool:
        g = self.gap()
        if g is None:
            return False
        return g <= max(OPTIMALITY_TOLERANCE, self.gap_target or 0.0)

    # ------------------------------------------------------------ plans
    def plan_ok(self, areas: list) -> bool:
        ac = self.ac
        if len(areas) != self.k:
            return False
        seen = set()
        for a in areas:
            if not a or seen & set(a):
                return False
            seen |= set(a)
        if len(seen) != ac.n:
            return False
        g = ac.blocks.graph
        return all(nx.is_connected(g.subgraph(a)) and ac.area_ok(a) for a in areas) and ac.plan_rules_ok(areas)

    def offer(self, areas: list, source: str) -> bool:
        """Take ``areas`` (lists of blocks) as incumbent if valid and better; add them as columns."""
        areas = [tuple(sorted(a)) for a in areas]
        if not self.plan_ok(areas):
            return False
        cols = [self.pricer.column(a) for a in areas]
        for c in cols:
            c.source = source
        self.master.add(cols)
        obj = sum(c.cost for c in cols) + self.ac.offset()
        self.pool.append((obj, sorted(areas), source))
        if obj < self.incumbent_obj - 1e-9:
            # areas one block away from the new plan's: the LP can then move between plans
            self.master.add([self.pricer.column(nb) for a in areas for nb in self.pricer.neighbours_of(a)])
            self.incumbent = sorted(areas)
            self.incumbent_obj = obj
            self.incumbent_from = source
            if self.first_plan_s is None:
                self.first_plan_s = self.elapsed()
            self.log.append({"event": "incumbent", "source": source, "objective": obj,
                             "seconds": round(self.elapsed(), 3)})
            self.report(force=True)
            return True
        return False

    def set_bound(self, value: float, how: str) -> None:
        if value > self.bound + 1e-12:
            self.bound = value
            self.log.append({"event": "bound", "how": how, "bound": value, "seconds": round(self.elapsed(), 3)})
            self.report(force=True)

    def rule_bound(self, duals: Duals) -> float:
        """sum_r sigma_r rhs_r: the plan rules' part of the Lagrangian bound (issue 13)."""
        return float(sum(y * r.rhs for r, y in zip(self.ac.plan_rules, duals.rule)))

    # ------------------------------------------------------------ column generation
    def exact_round(self, duals: Duals, theta: float, lp_value: float, max_seconds: float) -> tuple[float, list]:
        """Least reduced cost over every hub, or a lower bound on it: (rho, columns found)."""
        pr = self.pricer
        lb, a, const = pr.cheap_bounds(duals)
        found: list[tuple[float, Column]] = []
        self.last_round_complete = False
        heap = [(float(lb[h]), h) for h in range(pr.H)]
        heapq.heapify(heap)
        lower = np.inf  # lower bound over hubs solved or bounded so far
        hub_bounds = np.asarray(lb, dtype=float).copy()  # a valid lower bound of each hub's minimum
        end = min(self.deadline, time.perf_counter() + max_seconds)
        solved = 0
        stats = []
        exact_ok = True
        while heap:
            lbh, h = heap[0]
            if lbh >= theta - 1e-9:
                break  # every remaining hub's minimum is at least theta, which a known column achieves
            if self.stopped() or time.perf_counter() > end:
                break
            heapq.heappop(heap)
            theta_used = theta
            keep = pr.safe_blocks(h, a[h], float(const[h]), theta)
            # the knapsack over the kept blocks only is a valid bound on min(r_h, theta): tighter
            tight = float(const[h] + pr.knapsack_bounds(a[h][None, :], np.array([h]), keep[None, :])[0])
            if tight >= theta - 1e-9:
                lower = min(lower, theta)
                hub_bounds[h] = max(hub_bounds[h], theta)
                continue
            res = pr.exact(h, duals, keep, time_limit=max(min(end - time.perf_counter(), EXACT_HUB_SECONDS), 0.05))
            solved += 1
            stats.append((res.seconds, res.rounds, res.status, int(keep.sum())))
            if res.status not in ("optimal", "infeasible"):
                exact_ok = False
            for c in res.columns:
                rc = pr.reduced_cost(c, duals)
                found.append((rc, c))
                theta = min(theta, rc)
            # the blocks kept were those that can be in an area of reduced cost <= theta (before the
            # columns found here lowered it): the hub's minimum is at least min(bound, that theta)
            hub_lower = min(res.bound, theta_used) if res.status != "infeasible" else theta_used
            hub_bounds[h] = max(hub_bounds[h], hub_lower)
            lower = min(lower, min(hub_lower, theta))
            self.report()
        rest = min((l for l, _ in heap), default=np.inf)
        rho = min(lower, rest, theta)
        self.last_round_complete = exact_ok and (not heap or heap[0][0] >= theta - 1e-9)
        self.last_hub_bounds = hub_bounds
        st = np.array([s[:2] for s in stats]) if stats else np.zeros((0, 2))
        self.log.append({"event": "exact pricing", "hubs_solved": solved, "rho": rho,
                         "complete": self.last_round_complete,
                         "mip_seconds": round(float(st[:, 0].sum()), 3) if len(st) else 0.0,
                         "max_mip_seconds": round(float(st[:, 0].max()), 3) if len(st) else 0.0,
                         "cut_rounds": int(st[:, 1].sum()) if len(st) else 0,
                         "mean_blocks": round(float(np.mean([s[3] for s in stats])), 1) if stats else 0.0,
                         "seconds": round(self.elapsed(), 3)})
        return rho, found

    def lagrangian_bound(self, duals: Duals, hub_bounds: np.ndarray) -> float:
        """sum(pi) + K mu + sum_r sigma_r rhs_r + the K smallest per-block hub bounds (+ the plan constant).

        A plan's K areas are disjoint and each holds its best hub, so their hubs lie in K distinct
        blocks; an area's reduced cost is at least its hub's minimum, so the plan costs at least
        sum(pi) + K mu + the sum of K per-block minima, the smallest K of them in the worst case.
        (K times the least one, the textbook bound, is never larger.)"""
        smallest = np.asarray(hub_bounds, dtype=float)[self.k_smallest_hubs(hub_bounds)]
        if np.any(np.isneginf(smallest)):
            return -np.inf
        # +inf (fewer than K blocks hold a hub of any feasible area) proves that no plan exists
        return self.dual_constant(duals) + float(smallest.sum())

    def textbook_bound(self, duals: Duals, hub_bounds: np.ndarray) -> float:
        """sum(pi) + K mu + sum_r sigma_r rhs_r + K x the least hub bound (+ the plan constant): the
        bound the restricted master's dual model approximates (:meth:`lagrangian_bound` is at least this)."""
        return self.dual_constant(duals) + self.k * float(np.min(hub_bounds))

    def dual_constant(self, duals: Duals) -> float:
        """The part of the Lagrangian bound that does not depend on pricing: sum(pi) + K mu + sum_r
        sigma_r rhs_r + the plan constant (:meth:`.costs.AreaCosts.offset`)."""
        return float(duals.pi.sum() + self.k * duals.mu) + self.rule_bound(duals) + self.ac.offset()

    def k_smallest_hubs(self, hub_bounds: np.ndarray) -> np.ndarray:
        """The hubs of the K smallest per-block minima of ``hub_bounds`` (one hub per block)."""
        hb = self.pricer.hub_block
        hub_bounds = np.asarray(hub_bounds, dtype=float)
        order = np.lexsort((np.arange(len(hub_bounds)), hub_bounds))
        chosen, seen = [], set()
        for h in order.tolist():
            if hb[h] not in seen:
                seen.add(hb[h])
                chosen.append(h)
                if len(chosen) == self.k:
                    break
        return np.array(chosen, dtype=int)

    def _start_compact(self) -> None:
        """Solve the compact LP (:mod:`.compact`) in a daemon thread (so that progress and Ctrl-C stay live)."""

        box: dict = {}
        limit = max(COMPACT_SHARE * self.left(), 0.05)
        done = threading.Event()  # set when the engine no longer waits for it: the LP stops
        outer = self.stop

        class _Either:
            def is_set(self):
                return done.is_set() or (outer is not None and outer.is_set())

        def work():
            try:
                box["out"] = compact_duals(self.ac, self.k, time_limit=limit, threads=self.threads, seed=self.seed,
                                           stop=_Either())
            except Exception as exc:  # noqa: BLE001 - the bound then starts from other duals
                box["error"] = repr(exc)

        thread = threading.Thread(target=work, name="cpa-compact-lp", daemon=True)
        thread.start()
        self._compact = (thread, box)
        self._compact_done = done

    def local_duals(self, areas) -> np.ndarray:
        r"""Starting duals from a plan when there are no compact LP duals: each block pays what it
        costs where it is, as the cheap bound prices it, :math:`\pi_b = c_{b,h(S)} + g(A_S)v_b/A_S +
        w_S\sum_{p\ni b} v_{bp}/V_p` (travel to its area's hub, its value's share of the area's value
        terms, its value share of its PFAs). Then a block's relaxed cost for a farther hub is positive,
        so hub models restricted by margins stay local; an even share of the area's cost instead
        charged the split term's full fragment cost to every block, above what the relaxation charges,
        and every block of the map looked profitable to every hub (measured at 1,600 units)."""
        ac, pr = self.ac, self.pricer
        pi = np.zeros(ac.n)
        split = ac.ws * pr.split_share.sum(axis=1) if ac.ws else np.zeros(ac.n)
        for area in areas:
            col = pr.column(area)
            idx = np.array(col.blocks, dtype=int)
            value = float(ac.value[idx].sum())
            share = ac.value[idx] / value if value > 0 else np.full(len(idx), 1.0 / len(idx))
            pi[idx] = ac.cost[idx, col.hub] + float(ac.value_cost(value)) * share + split[idx]
        return pi

    def ascent_duals(self, until: float) -> None:
        """Starting duals for :meth:`lad_bound` by subgradient ascent on the cheap relaxation of the
        Lagrangian bound (:mod:`.ascent`) from the incumbent's :meth:`local_duals`; the bound at the
        best duals (cheap hub bounds, valid) is recorded at once."""
        if self.incumbent is None or self.stopped():
            return
        self.report("bound: dual ascent")
        t = time.perf_counter()
        ascent = CheapAscent(self.pricer, self.k, self.k_smallest_hubs, self.ac.offset())
        pi, value, steps = ascent.run(self.local_duals(self.incumbent), float(self.incumbent_obj), until, self.stop)
        duals = Duals(pi, 0.0)
        self._ascent_pi = pi
        self._bound_step(self.lagrangian_bound(duals, self.pricer.cheap_bounds(duals)[0]),
                         "Lagrangian bound (knapsack hub bounds, subgradient duals)")
        self.log.append({"event": "dual ascent", "steps": steps, "value": value,
                         "seconds_taken": round(time.perf_counter() - t, 3), "seconds": round(self.elapsed(), 3)})

    def compact_fits(self) -> bool:
        """Whether the compact LP is expected to finish in its share of the time left (see COMPACT_SECONDS)."""
        pairs = self.ac.n * hub_reach(self.ac, self.k)
        return COMPACT_SECONDS * (pairs / COMPACT_PAIRS) ** 2 <= COMPACT_SHARE * self.left()

    def lad_bound(self, until: float) -> None:
        r"""LAD level: the Lagrangian bound :meth:`lagrangian_bound` with exact hub pricing
        (:meth:`hub_round`), maximised over the duals by the box step method from the duals of a
        compact LP (:mod:`.compact`).

        With :math:`r_h(\pi)` hub h's least reduced cost, the bound is
        :math:`L(\pi) = \sum_b\pi_b + \sum_{K\text{ smallest}}\min_{h:\beta(h)=b} r_h(\pi)` (the K row's
        dual cancels out, so it is 0 here); every evaluation is valid whatever the duals, so the
        duals need no care, only a good direction. The columns of the master are a cutting-plane
        model of :math:`L`: the restricted master LP's dual, restricted to a box
        :math:`|\pi_b - \bar\pi_b| \le \delta_b` around the stability centre :math:`\bar\pi` (the
        duals of the best bound so far), gives the next duals (boxstep: Marsten, Hogan and
        Blankenship 1975, a trust-region bundle method). Each round's exact pricing adds the areas
        that cut that point off (its MIP solutions and LP points of negative reduced cost). A
        round that improves the bound moves the centre and widens the box by
        :data:`BOX_GROW`; one that does not narrows it by :data:`BOX_SHRINK`. Box half-widths are
        relative: :math:`\delta_b = \rho\max(|\bar\pi_b|, \mathrm{mean}|\bar\pi|)`, starting at
        :data:`BOX_START`. The restricted master MIP runs every :data:`MIP_EVERY` s."""
        pr = self.pricer
        out, box = None, {}
        if self._compact is not None:
            self.report("bound: compact LP duals")
            thread, box = self._compact
            while thread.is_alive() and not self.stopped() and time.perf_counter() < until:
                thread.join(min(0.2, max(until - time.perf_counter(), 0.0)))
            self._compact_done.set()
            out = box.get("out")
        if self.stopped():
            return
        if out is None and self._ascent_pi is not None:
            pi = self._ascent_pi
        elif out is None:
            self.log.append({"event": "compact LP",
                             "status": box.get("error", "not solved in time") if self._compact else "skipped",
                             "seconds": round(self.elapsed(), 3)})
            if self.incumbent is None:
                return
            pi = self.local_duals(self.incumbent)
        else:
            pi = out[0]
            self.log.append({"event": "compact LP", "seconds_taken": round(out[1], 3),
                             "seconds": round(self.elapsed(), 3)})
        # duals from a plan are far from the best ones: a wider first box lets the first steps move
        near_best = out is not None or self._ascent_pi is not None
        best_lb, center, rho, rounds = -np.inf, pi.copy(), BOX_START if near_best else BOX_START_LOCAL, 0
        center_plain = -np.inf  # the textbook bound (K x the least hub bound) at the centre
        last_mip = time.perf_counter()
        while not self.stopped() and time.perf_counter() < until and not self.closed():
            # plan-level rows (--small-lots) get the multiplier 0, i.e. are dropped: still a valid bound
            duals = Duals(pi, 0.0)
            self.report("bound: hub pricing")
            bounds, cols = self.hub_round(duals, end=until)
            rounds += 1
            lb = self.lagrangian_bound(duals, bounds)  # valid even when the round was cut short
            self.master.add([c for _, c in cols])
            if self._bound_step(lb, "Lagrangian bound (exact hub pricing, box-step duals)"):
                return
            if not self.last_round_complete:
                break
            if lb > best_lb + 1e-9:
                if rounds > 1:
                    rho = min(rho * BOX_GROW, 1.0)
                best_lb, center = lb, pi.copy()
                center_plain = self.textbook_bound(duals, bounds)
            else:
                rho = max(rho * BOX_SHRINK, BOX_MIN)
            self.log.append({"event": "Lagrangian round", "round": rounds, "bound": lb, "box": rho,
                             "seconds": round(self.elapsed(), 3)})
            if time.perf_counter() - last_mip >= MIP_EVERY:
                self.integer_plan(max_seconds=min(10.0, max(self.left() * 0.1, 1.0)))
                last_mip = time.perf_counter()
            self.master.set_box(center, rho * np.maximum(np.abs(center), np.mean(np.abs(center))))
            try:
                sol = self.master.solve(max(until - time.perf_counter(), 0.05))
            finally:
                self.master.set_box(None)  # the restricted master MIP needs the plain master
            if sol.status != "optimal":
                break
            model = sol.objective + self.ac.offset()
            if model <= center_plain + 1e-7 * max(1.0, abs(center_plain)) or rho <= BOX_MIN:
                # the master's model sees no better duals near the centre (at the master LP's
                # optimum with every hub priced out, that is the set-partitioning LP bound). The
                # model is an outer approximation of the textbook bound sum(pi) + K min_h r_h, not of
                # the K-smallest-blocks bound recorded, which can be above it: compare like with like
                self.log.append({"event": "Lagrangian converged", "model": model, "bound": best_lb, "box": rho,
                                 "seconds": round(self.elapsed(), 3)})
                break
            pi = sol.cover_duals.copy()

    def hub_round(self, duals: Duals, end: float) -> tuple[np.ndarray, list]:
        """LAD level: a valid lower bound of every hub's least reduced cost under ``duals``, raised
        lazily where the bound uses it. Three levels, each a valid lower bound: the cheap knapsack
        bound and the last LP's dual bound (:meth:`.separator.HubModel.warm_bound`), both for every
        hub at once; the hub model's LP with separator cuts; its exact MIP (:mod:`.separator`).
        The Lagrangian bound uses only the K smallest per-block minima, so only hubs among those
        are raised, one level at a time, until every one of them is at its LP (that bound is
        recorded at once: a short run gets it early) and then at the exact level
        (``last_round_complete``), or ``end``. Stopping early still leaves valid bounds
        (weaker ones). Returns (bounds, the (rc, column) pairs of negative reduced cost found: the
        areas of the LP points and MIP solutions)."""

        pr = self.pricer
        bounds, a, const = pr.cheap_bounds(duals)
        bounds = np.asarray(bounds, dtype=float).copy()
        restricted = self.ac.n > FULL_HUB_MODELS_AT_MOST
        outside = np.full(pr.H, np.inf)  # restricted models: least margin of a block the model leaves out
        margins: dict[int, np.ndarray] = {}  # per hub, Pricer.block_margins under these duals (one Dijkstra)

        def margins_of(h: int) -> np.ndarray:
            if h not in margins:
                margins[h] = pr.block_margins(h, a[h], float(const[h]))
            return margins[h]

        if restricted:
            for h, model in self.hub_models.items():
                outside[h] = least_outside(margins_of(h), model.blocks)
        for h, model in self.hub_models.items():  # the last LP's duals bound the hub under these duals too
            bounds[h] = max(bounds[h], min(model.warm_bound(duals), outside[h]))
        level = np.zeros(pr.H, dtype=int)  # 0 cheap or warm, 1 LP, 2 exact
        found: dict[int, tuple[float, Column]] = {}
        graph_blocks = self._hub_blocks()
        pad = RESTRICT_PAD * max(abs(float(self.incumbent_obj)) if np.isfinite(self.incumbent_obj) else 1.0,
                                 1e-9) / self.k

        def take(cols):
            for c in cols:
                rc = pr.reduced_cost(c, duals)
                if rc < -EPS_RC and (c.mask not in found or rc < found[c.mask][0]):
                    found[c.mask] = (rc, c)

        t0 = time.perf_counter()
        complete = False
        lps = mips = 0

        def raise_level(h: int):
            """One level up for hub h: its LP (level 0 -> 1) or its exact MIP (1 -> 2)."""
            if time.perf_counter() > end or self.stopped():
                return None
            model = self.hub_models[h]
            if level[h] == 0:
                return model.price(duals, deadline=end)
            res = model.exact(max(min(end - time.perf_counter(), EXACT_HUB_SECONDS), 0.05))
            return (np.inf if res.status == "infeasible" else res.bound), res.columns

        target = 1  # every selected hub at its LP first (a bound worth recording early), then exact
        while not self.stopped() and time.perf_counter() < end:
            chosen = self.k_smallest_hubs(bounds)
            todo = [int(h) for h in chosen if level[h] < target and np.isfinite(bounds[h])]
            if not todo and target == 1:
                target = 2
                if self._bound_step(self.lagrangian_bound(duals, bounds),
                                    "Lagrangian bound (hub LPs with separator cuts, box-step duals)"):
                    break
                continue
            if not todo:
                complete = True
                break
            # restricted models are built (or rebuilt, when their blocks no longer cover what the bound
            # needs) over the blocks that can be in an area of reduced cost up to the K-th smallest
            # bound + pad (chosen is in increasing order of bound)
            theta = max(float(bounds[chosen[-1]]), 0.0) + pad
            for h in todo:
                if h not in self.hub_models:
                    level[h] = 0  # a model dropped to keep memory in bounds: built and priced again
                if restricted and level[h] == 0 and (h not in self.hub_models or outside[h] < theta):
                    blocks = self._restricted_blocks(h, margins_of(h), theta)
                    outside[h] = least_outside(margins_of(h), blocks)
                elif h not in self.hub_models:
                    blocks = graph_blocks(h)
                else:
                    continue
                self._keep_model(h, HubModel(pr, h, blocks, threads=self.threads, seed=self.seed, stop=self.stop),
                                 protect=set(todo))
            # the hubs of a batch are independent models (HiGHS releases the GIL while it solves);
            # their results are applied in the batch's order, so the run stays deterministic
            for h, out in zip(todo, self.hub_pool().map(raise_level, todo)):
                self.hub_models[h] = self.hub_models.pop(h)  # most recently used last
                if out is None:
                    continue
                b, cols = out
                lps, mips = lps + int(level[h] == 0), mips + int(level[h] == 1)
                # a restricted model bounds the areas inside its blocks; every other area holds a
                # block left out, so its reduced cost is at least that block's margin
                bounds[h] = max(bounds[h], min(b, outside[h]))
                level[h] += 1
                take(cols)
            self.report()
        self.last_round_complete = complete
        self.log.append({"event": "hub round", "lps": lps, "mips": mips, "complete": complete,
                         "seconds_taken": round(time.perf_counter() - t0, 3), "seconds": round(self.elapsed(), 3)})
        return bounds, sorted(found.values(), key=lambda t: (t[0], t[1].blocks))

    def _keep_model(self, h: int, model: HubModel, protect=()) -> None:
        """Keep hub h's model; the models kept hold at most HUB_MODEL_BLOCKS_BUDGET blocks in all, the
        least recently built or used going first (a hub without a model falls back to its cheap bound),
        never one of ``protect`` (the batch being priced)."""
        self.hub_models.pop(h, None)
        self.hub_models[h] = model
        total = sum(m.nb for m in self.hub_models.values())
        for old in list(self.hub_models):
            if total <= HUB_MODEL_BLOCKS_BUDGET:
                break
            if old != h and old not in protect:
                total -= self.hub_models.pop(old).nb

    def _restricted_blocks(self, h: int, margins: np.ndarray, theta: float) -> np.ndarray:
        """The blocks of hub h's restricted model: those within ``theta`` (:meth:`.pricing.Pricer.blocks_within`),
        or the RESTRICTED_MODEL_BLOCKS of least margin when there are more (still connected: a block's
        shortest-path predecessor has a strictly smaller margin; the hub's bound is then capped lower)."""
        keep = self.pricer.blocks_within(h, margins, theta)
        if keep.sum() > RESTRICTED_MODEL_BLOCKS:
            keep[:] = False
            keep[np.argsort(margins, kind="stable")[:RESTRICTED_MODEL_BLOCKS]] = True
            keep[int(self.pricer.hub_block[h])] = True
        return np.flatnonzero(keep)

    def hub_pool(self) -> ThreadPoolExecutor:
        """Threads for the hub models of a round: ``threads`` (--threads) if given, else one per core
        this process may use, at most HUB_WORKERS_AT_MOST (HiGHS's own threads inside each model stay
        at its default). Sweeps and grids that run several solves at once pass ``threads``."""
        if self._hub_pool is None:
            workers = self.threads or max(1, min(usable_cores(), HUB_WORKERS_AT_MOST))
            self._hub_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cpa-hub")
        return self._hub_pool

    def _hub_blocks(self):
        """Blocks a hub's model holds: the blocks of its component of the block graph (every area
        holding the hub lies there, so the model's bound is valid with no safety argument)."""
        if not hasattr(self, "_components"):
            comp = {}
            for i, c in enumerate(nx.connected_components(self.ac.blocks.graph)):
                for b in c:
                    comp[b] = i
            members: dict[int, list[int]] = {}
            for b, i in comp.items():
                members.setdefault(i, []).append(b)
            self._components = (comp, members)
        comp, members = self._components
        return lambda h: members[comp[int(self.pricer.hub_block[h])]]

    def column_generation(self, until: float) -> None:
        """Column generation until the LP is solved, the gap is closed, or ``until`` (block level, at
        most :data:`HUB_MODELS_ABOVE` blocks; LAD level: :meth:`lad_bound`): dual simplex on the
        master, heuristic pricing, and an exact round (:meth:`exact_round`) when the heuristics find
        nothing or every :data:`BOUND_EVERY` seconds."""
        last_bound = last_mip = time.perf_counter()
        it = 0
        while not self.stopped() and time.perf_counter() < until:
            it += 1
            sol = self.master.solve(max(self.left(), 0.05))
            if sol.status != "optimal":
                break
            if sol.artificial < 1e-9:
                self.lp_value = sol.objective
            duals = Duals(sol.cover_duals, sol.k_dual, plan_rule_duals(self.ac.plan_rules, sol.rule_duals))
            self.report("column generation")
            # heuristic pricing gives columns, not bounds: cut short at ``until`` (at thousands of
            # units one pass over every hub takes longer than a short time limit)
            hubs = None
            if self.ac.n <= HUB_MODELS_ABOVE:
                # block level: a hub whose cheap bound is >= 0 has no area of negative reduced cost, so
                # heuristic growth from it is wasted (most hubs, near the LP optimum)
                lb = self.pricer.cheap_bounds(duals)[0]
                hubs = np.flatnonzero(lb < -EPS_RC).tolist()
            cols = self.pricer.heuristic(duals, hubs=hubs, deadline=until)
            basis = [c.blocks for c, x in zip(self.master.columns, sol.values) if x > 1e-9]
            cols = cols + self.pricer.improve(basis, duals, rounds=2, deadline=until)
            now = time.perf_counter()
            need_bound = not cols or now - last_bound >= BOUND_EVERY
            if need_bound:
                theta = min([0.0] + [rc for rc, _ in cols])
                budget = max(EXACT_ROUND_MIN, EXACT_ROUND_SHARE * (until - now))
                rho, more = self.exact_round(duals, theta, sol.objective, max_seconds=min(budget, until - now))
                last_bound = time.perf_counter()
                lb = self.lagrangian_bound(duals, self.last_hub_bounds)
                if self._bound_step(lb, "Lagrangian bound after exact pricing"):
                    break
                cols = cols + [(rc, c) for rc, c in more if rc < -EPS_RC]
                if self.last_round_complete and not cols:
                    self._lp_solved(sol, duals, rho, it)
                    break
            cols.sort(key=lambda t: (t[0], t[1].blocks))
            added = self.master.add([c for _, c in cols[:MAX_NEW_COLUMNS]])
            if self.closed():
                break
            if time.perf_counter() - last_mip >= MIP_EVERY:
                self.integer_plan(max_seconds=min(10.0, max(self.left() * 0.1, 1.0)))
                last_mip = time.perf_counter()
            if added == 0 and not need_bound:
                # every column found was present already: a full (exact) round next
                last_bound = -np.inf

    def _bound_step(self, lb: float, how: str) -> bool:
        """Record a Lagrangian bound; True when it proves that no plan exists."""
        if lb > self.cost_ceiling:
            self.infeasible = True  # every plan would cost more than the most any plan can cost
            self.log.append({"event": "infeasible", "bound": lb, "ceiling": self.cost_ceiling})
            return True
        self.set_bound(lb, how)
        return False

    def _lp_solved(self, sol, duals: Duals, rho: float, it: int) -> None:
        self.lp_solved = True
        self.lp_duals = (duals, rho)
        self.log.append({"event": "LP solved", "lp": sol.objective + self.ac.offset(), "columns": len(self.master),
                         "iterations": it, "seconds": round(self.elapsed(), 3)})

    def integer_plan(self, max_seconds: float, improve: bool = True):
        """The restricted master MIP over the columns so far, then local search from the best plan."""
        out = self.restricted_mip(max_seconds)
        if out is not None and improve:
            self.improve_incumbent(max_seconds=max_seconds)
        return out

    def restricted_mip(self, max_seconds: float, only: list[int] | None = None,
                       label: str = "restricted master MIP", presolve: bool = False):
        """The restricted master MIP over the columns so far (or the columns ``only``); its plan is offered."""
        if self.stopped() or not len(self.master):
            return None
        start = None
        if self.incumbent is not None:
            start = [self.master.keys[Column(a, 0, 0.0).mask] for a in self.incumbent]
        self.report("restricted master MIP")
        out = solve_restricted_mip(self.master, time_limit=min(max_seconds, max(self.left(), 0.05)),
                                   solver=self.solver, threads=self.threads, seed=self.seed, start=start,
                                   stop=self.stop, only=only, presolve=presolve)
        self.log.append({"event": label, "status": out.status,
                         "columns": len(self.master) if only is None else len(only),
                         "objective": None if out.objective is None else out.objective + self.ac.offset(),
                         "seconds": round(out.seconds, 3), "detail": out.detail})
        if out.chosen:
            self.offer([self.master.columns[j].blocks for j in out.chosen], "restricted master MIP")
        return out

    def improve_incumbent(self, max_seconds: float, start: list | None = None, label: str = "",
                          max_trees: int = MAX_TREES) -> None:
        """Local search from the incumbent (or ``start``): recombination of adjacent areas
        (spanning-tree splits, seeded, more trees when a pass finds nothing), single-block moves and
        (LAD level) chained moves; the result is offered as a plan (its areas become columns)."""
        if self.incumbent is None or self.stopped() or self.closed():
            return
        self.report("local search")
        end = min(self.deadline, time.perf_counter() + max_seconds)
        part = Partition(self.ac, [set(a) for a in (start or self.incumbent)])
        trees = 6
        while time.perf_counter() < end and not self.stopped():
            before = part.objective()
            self._recombinations += 1
            part = recombine(part, deadline=end, seed=self.seed * 100_003 + self._recombinations, trees=trees,
                             stop=self.stop)
            part = local_search(part, deadline=end, stop=self.stop)
            if part.objective() >= before - 1e-9:
                if trees >= max_trees:
                    break
                trees *= 2  # nothing found: look harder (more spanning trees per pair)
        if self.ac.n > HUB_MODELS_ABOVE:
            part = chain_search(part, deadline=end, stop=self.stop)
        self.offer([sorted(a) for a in part.areas], "recombination + local search" + label)

    def diversify(self, max_seconds: float, plans: int = 4) -> None:
        """Recombination from the best few distinct seed plans in turn (different local optima give the
        master different areas to combine), then the restricted master MIP over all of them."""
        end = min(self.deadline, time.perf_counter() + max_seconds)
        starts, seen = [], set()
        for obj, areas, source in sorted(self.pool, key=lambda t: t[0]):
            key = tuple(areas)
            if key not in seen:
                seen.add(key)
                starts.append((areas, source))
            if len(starts) == plans:
                break
        for i, (areas, source) in enumerate(starts):
            left = end - time.perf_counter()
            if left <= 0 or self.stopped():
                break
            self.improve_incumbent(left / (len(starts) - i), start=areas, label=f" (from {source})")

    # ------------------------------------------------------------ run
    def enumeration_proof(self) -> None:
        """After a complete enumeration up to threshold theta (every area of every plan costing at most
        theta is a column): the restricted master MIP's optimum z is optimal if z <= theta, and
        min(MIP bound, theta) bounds every plan."""
        theta = self.enumerated_threshold
        out = self.integer_plan(max_seconds=max(self.left(), 0.05), improve=False)
        if out is not None and out.status == "optimal" and out.objective is not None:
            z = out.objective + self.ac.offset()
            b = z if out.bound is None else min(z, out.bound + self.ac.offset())
            self.set_bound(min(b, theta), "restricted master MIP over every area of cost-threshold plans")

    def reduced_cost_enumeration(self) -> None:
        r"""Block level, after the LP: list the areas of small reduced cost, step by step, and solve
        the restricted master MIP over them; the last step is exact.

        With the LP's duals :math:`(\pi, \mu, \sigma)` and :math:`\rho` at most every reduced
        cost, a plan :math:`P` within the rules costs

        .. math:: z(P) \ge L + \sum_{S\in P} rc_S \ge L + (K-1)\rho + rc_S \quad(S \in P),
                  \qquad L = \textstyle\sum\pi + K\mu + \sum_r\sigma_r\,\mathrm{rhs}_r ,

        so a plan costing at most :math:`T(d) = L + (K-1)\rho + d` uses only areas of reduced cost
        at most :math:`d`. Step by step (:data:`RC_FIRST_SHARE` of :math:`\Delta = UB - L -
        (K-1)\rho` first, then twice as much, at most :math:`\Delta`): list every area of reduced
        cost at most :math:`d` (hub by hub, a branch and bound: :meth:`list_areas`) and solve the MIP
        over the master's columns of reduced cost at most :math:`d` (every such area is one). Its
        optimum :math:`z` (or its dual bound) gives the bound :math:`\min(z, T(d))`: a plan outside
        the MIP costs more than :math:`T(d)` (the incumbent's columns join the MIP too: a start, and
        a plan in any case). So :math:`z \le T(d)` proves :math:`z` optimal; else
        :math:`T(d)` is a bound and :math:`d` grows. A better plan lowers :math:`UB` and
        :math:`\Delta`; at :math:`d = \Delta`, :math:`T = UB` and the step is exact. The lists grow
        steeply with :math:`d`, so the first steps cost little, often prove the plan (when the
        optimum is near the LP bound), and otherwise leave a bound that rises while time runs."""
        if self.lp_duals is None or self.stopped():
            return
        pr = self.pricer
        duals, rho = self.lp_duals
        # the best UB first: Delta shrinks with it, and the enumeration's size grows fast with Delta
        # (strict K=7: the MIP over the LP's columns takes UB from 57.86 to 54.88 and Delta from 4.7
        # to 1.7), so this MIP gets a real share of the time; with a plan rule (--small-lots) no seed
        # may meet it, so this can also be the first plan (issue 13)
        mip_seconds = min(UB_MIP_SECONDS, max(self.left() * UB_MIP_SHARE, 0.05))
        self.restricted_mip(mip_seconds)
        # local search: worth a second at small K (strict K=7: 55.23 -> 54.81, Delta 2.08 -> 1.65), where
        # the enumeration takes tens of seconds; at large K the enumeration costs less than many passes
        self.improve_incumbent(max_seconds=mip_seconds, max_trees=UB_SEARCH_TREES)
        if self.incumbent is None or self.closed():
            return
        base = (float(duals.pi.sum()) + self.k * duals.mu + self.rule_bound(duals)
                + (self.k - 1) * min(rho, 0.0))
        offset = self.ac.offset()
        self.report("reduced-cost enumeration")
        lb, a, const = pr.cheap_bounds(duals)
        known: set[int] = set(self.master.keys)
        margins: dict[int, np.ndarray] = {}  # per hub, Pricer.block_margins (the same at every step)
        d = RC_FIRST_SHARE * (self.incumbent_obj - offset - base)
        while not self.stopped() and not self.closed():
            delta = self.incumbent_obj - offset - base
            d = min(d, delta)
            listed = self.list_areas(duals, d, lb, a, const, known, margins)
            self.log.append({"event": "reduced-cost enumeration", "complete": listed is not None, "d": d,
                             "delta": delta, "new_areas": listed, "seconds": round(self.elapsed(), 3)})
            if listed is None:
                return
            rc = np.array([pr.reduced_cost(c, duals) for c in self.master.columns])
            # the incumbent's columns too: the MIP then always has a plan (CBC reports no infeasibility)
            # and a start, and min(z, LP + (K-1) rho + d) stays a bound (more columns only lower z, and
            # a plan cheaper than the threshold is in the MIP either way)
            only = np.flatnonzero(rc <= d + 1e-9).tolist() + [
                self.master.keys[Column(a, 0, 0.0).mask] for a in self.incumbent]
            # presolve below Delta, where the step's MIP seeks a better plan; at Delta it proves the
            # incumbent, faster without (see solve_restricted_mip)
            out = self.restricted_mip(max(self.left(), 0.05), only=only, presolve=d < delta - 1e-12,
                                      label=f"restricted master MIP over the areas of reduced cost <= {d:.4g}")
            threshold = base + d
            if out is None:
                return
            if out.status == "infeasible":
                cut = threshold
            elif out.status == "optimal" and out.objective is not None:
                cut = min(out.objective, threshold)
            elif out.bound is not None:
                cut = min(out.bound, threshold)
            else:
                return
            self.set_bound(cut + offset, f"restricted master MIP over every area of reduced cost <= d = {d:.4g} "
                                         "(a plan using any other costs more than LP bound + d)")
            if out.status not in ("optimal", "infeasible"):
                return  # out of time
            if d >= delta - 1e-12:
                return
            d = RC_GROWTH * d

    def list_areas(self, duals: Duals, d: float, lb, a, const, known: set[int],
                   margins: dict[int, np.ndarray]) -> int | None:
        """Every area of reduced cost at most ``d`` not in ``known`` (block masks) joins the master
        (and ``known``): per hub, the branch and bound over the blocks that can be in such an area
        (``margins``: each hub's :meth:`Pricer.block_margins`, filled here).
        Returns how many were new, or None when the list could not be completed (time, size)."""
        pr = self.pricer
        count = 0
        for h in np.argsort(lb, kind="stable").tolist():
            if lb[h] > d + 1e-9:
                break
            if self.stopped() or count > MAX_ENUMERATED:
                return None
            if h not in margins:
                margins[h] = pr.block_margins(int(h), a[h], float(const[h]))
            keep = pr.blocks_within(int(h), margins[h], d)
            if int(keep.sum()) > SEARCH_MAX_BLOCKS:
                self.log.append({"event": "reduced-cost enumeration", "why": "too many blocks for the search"})
                return None
            res = ConnectedSearch(pr, int(h), duals, keep).solve(max(self.left(), 0.01), collect_below=d,
                                                                  max_nodes=ENUMERATION_MAX_NODES, known=known)
            count += len(res.columns)
            self.master.add(res.columns)
            if res.status == "stopped":
                return None
            self.report()
        return count

    def run(self, seeds: list[tuple[list, str]]) -> EngineResult:
        self.report("seeds", force=True)
        if min(self.ac.objective.w_travel, self.ac.objective.w_balance, self.ac.objective.w_split) >= 0:
            self.set_bound(0.0, "every objective term is non-negative")
        for areas, source in seeds:
            self.offer(areas, source)
        if self.enumerated_threshold is not None and not self.stopped():
            self.enumeration_proof()
        if self.ac.n > HUB_MODELS_ABOVE and not self.stopped():
            # LAD level: the compact LP for the bound's duals first, waited for here: HiGHS calls its
            # interrupt check (a Python callback) so often that beside recombination, which holds
            # Python's lock, the LP ran 3x slower, and without the check a Ctrl-C could not stop it
            # (the compact LP's duals where it fits: soft K=16 at 600 s reached 41.89 from them, 39.05
            # from the ascent's; where it does not fit, the ascent: n = 1,600 soft 21.19 against 3.56)
            if self.compact_fits():
                self._start_compact()
                thread = self._compact[0]
                while thread.is_alive() and not self.stopped():
                    thread.join(0.2)
            else:
                share = ASCENT_SHARE_LARGE if self.ac.n > FULL_HUB_MODELS_AT_MOST else ASCENT_SHARE
                self.ascent_duals(until=min(self.deadline, time.perf_counter() + share * self.left()))
            self.diversify(max_seconds=min(IMPROVE_FIRST_SHARE * self.left(), 90.0))
            self.integer_plan(max_seconds=min(10.0, max(self.left() * 0.1, 1.0)))
        if not self.closed():
            if self.ac.n > HUB_MODELS_ABOVE:
                self.lad_bound(self.deadline)
            else:
                self.column_generation(self.deadline)
        if self.lp_solved and not self.closed() and self.ac.n <= HUB_MODELS_ABOVE:
            self.reduced_cost_enumeration()
        if not self.stopped() and not self.closed() and not self.infeasible:
            self.integer_plan(max_seconds=max(self.left(), 0.05))
        if self._compact is not None:
            self._compact_done.set()  # a compact LP still running stops (its thread ends soon)
        if self._hub_pool is not None:
            self._hub_pool.shutdown(wait=True)
        status = "optimal" if self.closed() and (self.gap() or 0.0) <= OPTIMALITY_TOLERANCE else "feasible"
        if self.stop is not None and self.stop.is_set() and status != "optimal":
            status = "interrupted"
        if self.incumbent is None and self.stop is not None and self.stop.is_set():
            raise Interrupted()
        return EngineResult(self.incumbent, None if self.incumbent is None else self.incumbent_obj,
                            None if not np.isfinite(self.bound) else self.bound, status, self.incumbent_from,
                            self.first_plan_s, self.log, len(self.master),
                            None if self.lp_value is None else self.lp_value + self.ac.offset(),
                            self.infeasible and self.incumbent is None)
