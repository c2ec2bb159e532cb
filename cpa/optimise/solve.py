"""Solve a request end to end, by the first path that applies:

1. Block-level requests (strict coterminosity: 43 PFAs): set partitioning over
   enumerated contiguous areas (:mod:`.columns`), exact, thresholded by a
   greedy + local-search plan (:mod:`.heuristics`).
2. LAD-level requests (soft / off): heuristic plans (:mod:`.sketch`,
   :mod:`.heuristics`) and a valid bound from the LP relaxation of the full
   LAD-level model.
3. Otherwise (enumeration too large, a PuLP solver object, negative weights):
   the compact model (:mod:`.model`) in a solve-check-cut loop: solve the MIP;
   split every area into its connected pieces; if all are contiguous the
   solution is feasible (and optimal if proven optimal for the relaxation);
   otherwise add separator cuts for every detached piece and solve again,
   warm-started from the best contiguous plan known. Detached pieces are also
   *repaired* (moved to a neighbouring area) to get contiguous incumbents early.

What is reported is what was proven: ``optimal`` only when the best contiguous
plan's objective meets the best bound of a valid relaxation within 0.01%;
otherwise ``feasible`` with bound and gap; ``no_solution`` when no contiguous
plan was found in time (with the bound if there is one).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from .. import __version__
from ..errors import CpaError, InfeasibleRequest, NoPlanFound
from ..geography import Geography
from ..metrics import Scorecard, scorecard
from ..io.plans import read_plan
from ..plan import Plan
from ..values import ContractValues
from .blocks import build_blocks, check_feasibility
from .model import AreaModel
from .naming import name_areas
from ..options import SolveOptions
from .solvers import PROVEN_GAP, relative_gap, run_solver, solver_version


@dataclass
class SolveResult:
    """The plan (None if none was found), its scorecard and the solve report."""

    plan: Plan | None
    scorecard: Scorecard | None
    report: dict

    @property
    def status(self) -> str:
        return self.report["status"]


def input_hash(geo: Geography, values: ContractValues, options: SolveOptions) -> str:
    """Hash of the geography, the values and the options that change the answer."""
    opts = options.to_dict()
    for k in ("time_limit", "threads", "max_rounds"):
        opts.pop(k)
    text = json.dumps({"geo": geo.fingerprint, "values": values.fingerprint, "options": opts}, sort_keys=True,
                      default=lambda o: o.item() if hasattr(o, "item") else str(o))  # numpy scalars
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def report_header(geo: Geography, values: ContractValues, options: SolveOptions, solver) -> dict:
    """What every run report starts with: tool, solver and version, options, input hash, inputs."""
    name = solver if isinstance(solver, str) else type(solver).__name__
    return {"tool": f"cpa {__version__}", "solver": name, "solver_version": solver_version(name),
            "options": options.to_dict(), "input_hash": input_hash(geo, values, options),
            "geography": geo.source, "value_model": values.label}


def _finish(geo: Geography, values: ContractValues, options: SolveOptions, blocks, assignment: dict[int, int],
            report: dict) -> SolveResult:
    """Name the areas, score the plan and stamp the report with the plan's hash."""
    plan = name_areas(geo, values, blocks, assignment, label=f"solved K={options.k}")
    card = scorecard(plan, geo, values, min_value_m=options.min_value_m, max_share_pct=options.max_share_pct,
                     max_value_m=options.max_value_m)
    report["plan_hash"] = hashlib.sha256(plan.to_frame().to_csv(index=False).encode()).hexdigest()[:16]
    return SolveResult(plan, card, report)


class _Search:
    """State of one solve: the model, the incumbent and the rounds."""

    def __init__(self, model: AreaModel, solver, options: SolveOptions, deadline: float):
        self.model = model
        self.solver = solver
        self.options = options
        self.deadline = deadline
        self.incumbent: dict[int, int] | None = None
        self.incumbent_obj = float("inf")
        self.incumbent_source = None
        self.best_bound = -float("inf")
        self.rounds: list[dict] = []

    # ---------------------------------------------------------- checks
    def pieces(self, assignment: dict[int, int]) -> list[tuple[int, set[int]]]:
        """(hub, detached piece) for every piece not holding its area's hub block."""
        g = self.model.blocks.graph
        out = []
        areas: dict[int, list[int]] = {}
        for b, h in assignment.items():
            areas.setdefault(h, []).append(b)
        for h, blocks in sorted(areas.items()):
            q = int(self.model.hub_block[h])
            for comp in nx.connected_components(g.subgraph(blocks)):
                if q not in comp:
                    out.append((h, set(comp)))
        return out

    def violations(self, assignment: dict[int, int]) -> list[str]:
        m, o = self.model, self.options
        areas: dict[int, list[int]] = {}
        for b, h in assignment.items():
            areas.setdefault(h, []).append(b)
        out = []
        if len(areas) != o.k:
            out.append(f"{len(areas)} areas, not {o.k}")
        for h, blocks in areas.items():
            val = m.blocks.value[blocks].sum()
            if o.min_value_gbp is not None and val < o.min_value_gbp - 1e-6:
                out.append("floor")
            if m.cap is not None and val > m.cap + 1e-6:
                out.append("cap")
            labels = {m.blocks.lock[b] for b in blocks} - {None}
            if len(labels) > 1:
                out.append("locks")
            if o.max_pfas is not None and len(set().union(*(m.blocks.pfas[b] for b in blocks))) > o.max_pfas:
                out.append("max_pfas")
            if int(m.hub_block[h]) not in blocks:
                out.append("hub")
        return out

    def offer(self, assignment: dict[int, int], source: str) -> bool:
        """Keep ``assignment`` as incumbent if it is feasible, contiguous and better."""
        assignment = self.best_hubs(assignment)
        if self.pieces(assignment) or self.violations(assignment):
            return False
        obj = self.model.term_values(assignment)["objective"]
        if obj < self.incumbent_obj - 1e-9:
            self.incumbent, self.incumbent_obj, self.incumbent_source = dict(assignment), obj, source
            return True
        return False

    def best_hubs(self, assignment: dict[int, int]) -> dict[int, int]:
        """Re-pick each area's hub as its cheapest candidate (the 1-median over allowed hubs)."""
        m = self.model
        areas: dict[int, list[int]] = {}
        for b, h in assignment.items():
            areas.setdefault(h, []).append(b)
        out = {}
        for h, blocks in areas.items():
            cands = [hh for q in blocks for hh in m.hubs_of_block.get(q, [])
                     if q in m.y and all(m.allows(b, hh) for b in blocks)]
            best = min(cands, key=lambda hh: (m.cost[blocks, hh].sum(), hh)) if cands else h
            for b in blocks:
                out[b] = best
        return out

    def repair(self, assignment: dict[int, int]) -> dict[int, int]:
        """Move each detached piece to the neighbouring area it costs least to join."""
        m = self.model
        a = dict(assignment)
        for _ in range(4 * m.blocks.n):
            bad = self.pieces(a)
            if not bad:
                break
            h, piece = bad[0]
            nbrs = {a[c] for b in piece for c in m.blocks.graph.neighbors(b) if c not in piece}
            options = [hh for hh in nbrs if all(m.allows(b, hh) for b in piece)]
            if not options:
                break
            best = min(options, key=lambda hh: (sum(m.cost[b, hh] for b in piece), hh))
            for b in piece:
                a[b] = best
        return a

    # ---------------------------------------------------------- loop
    def run(self) -> None:
        m = self.model
        while len(self.rounds) < self.options.max_rounds:
            remaining = self.deadline - time.perf_counter()
            if remaining <= 0.05:
                break
            start = m.start_values(self.incumbent) if self.incumbent else None
            out = run_solver(m.problem, self.solver, time_limit=remaining, gap=self.options.gap,
                             threads=self.options.threads, seed=self.options.seed, start=start)
            offset = m.objective_offset
            row = {"round": len(self.rounds) + 1, "status": out.status, "detail": out.detail,
                   "objective": None if out.objective is None else out.objective + offset,
                   "bound": None if out.bound is None else out.bound + offset,
                   "seconds": round(out.seconds, 3), "pieces": 0, "cuts_added": 0}
            self.rounds.append(row)
            if out.status == "infeasible":
                if self.incumbent is None:
                    raise _Infeasible()
                break
            if out.bound is not None and (out.status in ("optimal", "feasible", "no_solution")):
                self.best_bound = max(self.best_bound, out.bound + offset)
            if not out.has_solution:
                break
            assignment = m.assignment_from_solution()
            pieces = self.pieces(assignment)
            row["pieces"] = len(pieces)
            if not pieces:
                self.offer(assignment, f"MIP round {row['round']}")
                if out.status == "optimal":
                    # a relaxation's optimum that is feasible is optimal
                    self.best_bound = max(self.best_bound, out.objective + offset)
                break
            self.offer(self.repair(assignment), f"repair after round {row['round']}")
            for h, piece in pieces:
                row["cuts_added"] += m.add_separator_cuts(piece, int(m.hub_block[h]))


class _Infeasible(Exception):
    pass


def plan_blocks(plan: Plan, blocks, what: str) -> tuple[dict[str, set[int]] | None, str | None]:
    """A plan's areas as sets of blocks, or None and why not (it splits a block the request keeps whole)."""
    block_of = blocks.block_of()
    areas: dict[str, set[int]] = {}
    for lad, area in plan.assignment.items():
        areas.setdefault(area, set()).add(block_of[lad])
    seen: dict[int, str] = {}
    for area, members in areas.items():
        for b in members:
            if b in seen:
                return None, f"{what} splits {blocks.names[b]}, which this request keeps whole; it was not used"
            seen[b] = area
    return areas, None


def plan_assignment(plan: Plan, model: AreaModel, what: str) -> tuple[dict[int, int] | None, str]:
    """A plan as block -> hub LAD for ``model`` (hubs re-picked later), or None and why not."""
    areas, why = plan_blocks(plan, model.blocks, what)
    if areas is None:
        return None, why
    assignment = {}
    for area, blocks in sorted(areas.items()):
        hub_block = next((q for q in sorted(blocks) if q in model.y), None)
        if hub_block is None:
            return None, f"{what}: area {plan.name(area)} has no candidate hub in this model; it was not used"
        for b in blocks:
            assignment[b] = model.hubs_of_block[hub_block][0]
    return assignment, f"{what} ({plan.k} areas)"


def diagnose(geo, values, options: SolveOptions, solver) -> str:
    """Which family of constraints makes the request infeasible (each dropped in turn)."""
    families = []
    if options.min_value_gbp is not None:
        families.append(("the value floor", replace(options, min_value_m=None)))
    if options.max_value_gbp is not None or options.max_share_fraction is not None:
        families.append(("the value cap", replace(options, max_value_m=None, max_share_pct=None)))
    if options.max_pfas is not None:
        families.append(("the PFAs-per-area limit", replace(options, max_pfas=None)))
    if options.locks:
        families.append(("the locks", replace(options, locks=())))
    if options.keep_whole:
        families.append(("the keep-whole groups", replace(options, keep_whole=())))
    binding = []
    for label, relaxed in families:
        try:
            r = solve(geo, values, replace(relaxed, time_limit=min(60.0, options.time_limit), start=None),
                      solver=solver, _diagnose=False)
            if r.plan is not None:
                binding.append(label)
        except (InfeasibleRequest, NoPlanFound):
            continue
    if binding:
        return ("no contiguous plan meets all the rules; it becomes feasible without "
                + " or without ".join(binding))
    return "no contiguous plan meets all the rules together (no single rule family is to blame)"


#: Above this many blocks (LAD-level requests) the full model is too big to solve
#: directly: solve the PFA-level problem first, then a restricted LAD-level model.
DIRECT_BLOCKS = 80
#: Restricted LAD-level model: hub candidates per PFA, and the assignment radius.
HUBS_PER_PFA = 3
MIN_RADIUS_KM = 120.0


def _strict_seed(geo, values, options: SolveOptions, solver, budget: float) -> tuple[Plan | None, dict]:
    """Solve the same request with PFAs kept whole: a contiguous plan to start from."""
    strict = replace(options, coterminous="strict", time_limit=budget, start=None, max_rounds=options.max_rounds)
    try:
        r = solve(geo, values, strict, solver=solver, _diagnose=False)
        return r.plan, {"stage": "PFA-level seed (strict coterminosity)", "status": r.report["status"],
                        "objective_strict": r.report["objective"], "gap": r.report["gap"],
                        "seconds": r.report["wall_seconds"]}
    except (InfeasibleRequest, NoPlanFound) as exc:
        return None, {"stage": "PFA-level seed (strict coterminosity)", "status": "none", "why": exc.message}


#: Sketch settings tried for LAD-level incumbents: (split PFAs above this x mean, pieces of this x mean).
SKETCHES = ((0.75, 0.5), (0.75, 1.0), (1.0, 0.25), (0.75, 0.34))


def _lad_heuristic(geo, values, options: SolveOptions, blocks, seed: Plan | None, deadline: float,
                   stages: list) -> tuple[dict[int, int] | None, float, str | None]:
    """LAD-level incumbents: the strict seed refined by chained LAD moves, and greedy + local
    search on coarse 'sketch' blocks (big PFAs cut into pieces) refined the same way. All
    deterministic; the best contiguous plan within the rules is returned (block -> hub LAD)."""
    from . import sketch as sk
    from .columns import AreaCosts
    from .heuristics import Partition, chain_search, greedy, local_search

    ac = AreaCosts(blocks, geo, values, options)
    best, best_obj, best_src = None, float("inf"), None

    def refine(areas: list[set[int]], label: str, ts: float) -> None:
        nonlocal best, best_obj, best_src
        part = Partition(ac, areas)
        part = chain_search(part, deadline=deadline)
        part = local_search(part, deadline=deadline)
        a = part.assignment()
        obj = ac.term_values(a)["objective"]
        ok = _contiguous_plan_ok(ac, a)
        stages.append({"stage": f"LAD-level heuristic: {label}", "objective": obj, "valid": ok,
                       "seconds": round(time.perf_counter() - ts, 3)})
        if ok and obj < best_obj - 1e-9:
            best, best_obj, best_src = a, obj, label

    if seed is not None:
        ts = time.perf_counter()
        block_of = blocks.block_of()
        areas: dict[str, set[int]] = {}
        for lad, area in seed.assignment.items():
            areas.setdefault(area, set()).add(block_of[lad])
        refine([areas[a] for a in sorted(areas)], "PFA-level seed + chained LAD moves", ts)
    for above, piece in SKETCHES:
        if time.perf_counter() > deadline:
            break
        ts = time.perf_counter()
        coarse, groups = sk.sketch_blocks(blocks, ac.mean, split_above=above, piece=piece)
        if coarse.n > 150:
            continue
        cac = AreaCosts(coarse, geo, values, options)
        part = greedy(cac)
        if part is None:
            continue
        part = local_search(part, deadline=deadline)
        part = chain_search(part, deadline=deadline)
        refine([set(b for g in a for b in groups[g]) for a in part.areas],
               f"sketch blocks (PFAs above {above:g} x mean cut into {piece:g} x mean pieces)", ts)
    return best, best_obj, best_src


#: Below this many seconds left, a LAD-level run skips building and solving its bound LP.
LP_BOUND_MIN_SECONDS = 15.0


def _heuristic_result(geo, values, options: SolveOptions, solver, blocks, incumbent, source, t0: float,
                      stages: list) -> SolveResult | None:
    """The best heuristic (or --start) plan, with no bound: what a LAD-level run has when time is short."""
    from .columns import AreaCosts

    ac = AreaCosts(blocks, geo, values, options)
    best, best_obj = incumbent, (ac.term_values(incumbent)["objective"] if incumbent is not None else float("inf"))
    start, start_note = _partition_start(options, geo, blocks, ac)
    if start is not None and ac.term_values(start)["objective"] < best_obj - 1e-9:
        best, source = start, "start plan"
    if best is None:
        return None
    terms = ac.term_values(best)
    obj = terms.pop("objective")
    report = {
        **report_header(geo, values, options, solver),
        "model": {"formulation": "heuristics only (no time left for the LAD-level bound)", "variables": 0,
                  "constraints": 0, "binaries": 0, "blocks": blocks.n, "restricted": False, "radius_km": None,
                  "candidate_hubs": geo.n},
        "stages": stages, "neighbour_cuts_up_front": False, "separator_cuts": 0, "rounds": [],
        "build_seconds": 0.0, "solve_seconds": 0.0,
        "first_plan_seconds": round(time.perf_counter() - t0, 3),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "start": start_note, "restricted_bound": None,
        "status": "feasible", "proven_optimal": False, "objective": obj, "bound": None, "gap": None,
        "terms": terms, "weights": options.weights.__dict__, "incumbent_from": source,
    }
    return _finish(geo, values, options, blocks, best, report)


def _solve_lad_level(geo, values, options: SolveOptions, solver, blocks, seed_plan: Plan | None, t0: float,
                     stages: list) -> SolveResult | None:
    """LAD-level requests: heuristic incumbents, then the LP relaxation of the full LAD-level model
    (every hub, no contiguity, with valid split-balance cuts) for a bound on the whole problem.
    Returns None when no heuristic plan was found (the compact search is used instead)."""
    from .solvers import solve_lp_bound

    deadline = t0 + options.time_limit
    heur_deadline = t0 + min(0.3 * options.time_limit, 60.0)
    incumbent, inc_obj, source = _lad_heuristic(geo, values, options, blocks, seed_plan, heur_deadline, stages)
    if deadline - time.perf_counter() < LP_BOUND_MIN_SECONDS:
        # no time to build (~5 s) and solve the full LAD-level LP: keep the limit, report no bound
        return _heuristic_result(geo, values, options, solver, blocks, incumbent, source, t0, stages)
    start_note = None
    model = AreaModel(blocks, geo, values, options)
    search = _Search(model, solver, options, deadline=deadline)
    if incumbent is not None:
        search.offer(incumbent, source)
    if options.start:
        start, start_note = plan_assignment(read_plan(options.start, geo), model, f"start plan {options.start}")
        if start is not None and not search.offer(start, "start plan"):
            start_note += "; it breaks a rule of this request (areas, bounds, locks or contiguity), so it was not used"
    if search.incumbent is None:
        return None
    first_plan_s = time.perf_counter() - t0
    rounds = []
    bound = None
    remaining = deadline - time.perf_counter()
    split_cuts = model.add_split_balance_cuts()
    if remaining > 1.0:
        out = solve_lp_bound(model.problem, time_limit=remaining, threads=options.threads, seed=options.seed)
        rounds.append({"round": 1, "stage": "LP relaxation of the full LAD-level model (bound only)",
                       "split_balance_cuts": split_cuts,
                       "status": out.status, "detail": out.detail,
                       "bound": None if out.bound is None else out.bound + model.objective_offset,
                       "seconds": round(out.seconds, 3)})
        if out.status == "optimal" and out.bound is not None:
            bound = out.bound + model.objective_offset
    terms = model.term_values(search.incumbent)
    obj = terms.pop("objective")
    gap = relative_gap(obj, bound)
    proven = gap is not None and gap <= PROVEN_GAP
    report = {
        **report_header(geo, values, options, solver),
        "model": {"formulation": "LAD-level heuristics + LP relaxation of the full model (bound)",
                  **model.size()},
        "stages": stages,
        "neighbour_cuts_up_front": model.neighbour_cuts,
        "separator_cuts": 0,
        "rounds": rounds,
        "build_seconds": round(model.build_seconds, 3),
        "solve_seconds": round(sum(r["seconds"] for r in rounds), 3),
        "first_plan_seconds": round(first_plan_s, 3),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "start": start_note,
        "restricted_bound": None,
        "status": "optimal" if proven else "feasible", "proven_optimal": proven, "objective": obj,
        "bound": bound, "gap": gap, "terms": terms, "weights": options.weights.__dict__,
        "incumbent_from": search.incumbent_source,
    }
    return _finish(geo, values, options, model.blocks, search.incumbent, report)


def _candidate_hubs(geo: Geography, values: ContractValues, seed: Plan | None) -> set[int]:
    """The HUBS_PER_PFA best 1-median LADs of each PFA, plus the seed plan's hubs."""
    from ..metrics import hubs as plan_hubs

    v = values.array(geo)
    d = geo.distance_km
    out = set()
    for members in geo.pfa_members.values():
        idx = np.array([geo.index_of[u] for u in members])
        own = (v[idx][:, None] * d[np.ix_(idx, idx)]).sum(axis=0)
        out.update(int(idx[i]) for i in np.argsort(own, kind="stable")[:HUBS_PER_PFA])
    if seed is not None:
        out.update(geo.index_of[h] for h in plan_hubs(seed, geo, values).values())
    return out


def solve(geo: Geography, values: ContractValues, options: SolveOptions, solver=None,
          _diagnose: bool = True) -> SolveResult:
    """Draw ``options.k`` areas. ``solver``: 'highs' (default), 'cbc' or any PuLP solver object.

    Block-level requests (strict coterminosity: 43 PFAs) are solved exactly by set
    partitioning over enumerated contiguous areas (:mod:`.columns`), with a greedy + local
    search plan as the enumeration threshold; if the enumeration is too large, the compact
    r/w model with the solve-check-cut loop is used instead (warm-started from that plan).

    LAD-level requests (soft / off) with many units: incumbents from the PFA-level optimum
    and from coarse "sketch" blocks (big PFAs cut into pieces), refined by chained LAD moves
    (:mod:`.heuristics`); the bound is the LP relaxation of the full LAD-level model (every
    hub, no contiguity, plus valid split-balance cuts), valid for the whole problem. With
    negative weights or a solver object, the older LAD-level model restricted to candidate
    hubs and a radius is used, and reported with no bound (``restricted_bound`` says what the
    restricted model proved about itself).

    Raises :class:`InfeasibleRequest` with the binding rule when no plan can
    exist, and :class:`NoPlanFound` when the time limit ends with no plan.
    """
    solver = solver or options.solver
    t0 = time.perf_counter()
    blocks = build_blocks(geo, values, options)
    check_feasibility(blocks, geo, values, options)
    stages = []
    if blocks.n <= DIRECT_BLOCKS and isinstance(solver, str) and _weights_ok(options):
        result = _solve_by_partition(geo, values, options, solver, blocks, t0, stages)
        if result is not None:
            return result
    seed_plan = hub_candidates = radius = None
    if blocks.n > DIRECT_BLOCKS:
        seed_plan, stage = _strict_seed(geo, values, options, solver, budget=min(0.25 * options.time_limit, 60.0))
        stages.append(stage)
        seed_stage = stage
        if _weights_ok(options) and isinstance(solver, str):
            result = _solve_lad_level(geo, values, options, solver, blocks, seed_plan, t0, stages)
            if result is not None:
                return result
        # otherwise: a LAD-level model restricted to candidate hubs and a radius (no bound)
        hub_candidates = _candidate_hubs(geo, values, seed_plan)
        radius = MIN_RADIUS_KM
        if seed_plan is not None:
            from ..metrics import hubs as plan_hubs, travel

            seed_travel = travel(seed_plan, geo, values, plan_hubs(seed_plan, geo, values))
            radius = max(MIN_RADIUS_KM, float(seed_travel["max_travel_km"].max()) * 1.1)
    model = AreaModel(blocks, geo, values, options, hub_candidates=hub_candidates, radius_km=radius)
    search = _Search(model, solver, options, deadline=t0 + options.time_limit)
    if seed_plan is not None:
        seed, note = plan_assignment(seed_plan, model, "PFA-level seed plan")
        seed_stage["used"] = seed is not None and search.offer(seed, "PFA-level seed plan")
    for stage in stages:
        if stage.get("fallback_assignment"):
            stage["used"] = search.offer(stage.pop("fallback_assignment"), stage["stage"])
    start_note = None
    if options.start:
        start, start_note = plan_assignment(read_plan(options.start, geo), model, f"start plan {options.start}")
        if start is not None and not search.offer(start, "start plan"):
            start_note += "; it breaks a rule of this request (areas, bounds, locks or contiguity), so it was not used"
    try:
        search.run()
    except _Infeasible:
        if model.restricted:
            raise NoPlanFound("the restricted LAD-level model has no plan and the PFA-level seed failed "
                              f"({stages[0].get('why', 'no plan')})",
                              "relax the rules, raise --time-limit, or give --start") from None
        why = diagnose(geo, values, options, solver) if _diagnose else "the rules cannot all hold"
        raise InfeasibleRequest(why, "relax the named rule (see cpa solve --help)") from None
    total_s = time.perf_counter() - t0
    bound = search.best_bound if search.best_bound > -float("inf") else None
    restricted_bound = None
    if model.restricted:
        restricted_bound, bound = bound, None
    report = {
        **report_header(geo, values, options, solver),
        "model": {"formulation": "compact MIP with contiguity cuts", **model.size()},
        "stages": stages,
        "neighbour_cuts_up_front": model.neighbour_cuts,
        "separator_cuts": model.cuts,
        "rounds": search.rounds,
        "build_seconds": round(model.build_seconds, 3),
        "solve_seconds": round(sum(r["seconds"] for r in search.rounds), 3),
        "wall_seconds": round(total_s, 3),
        "start": start_note,
        "restricted_bound": restricted_bound,
    }
    if search.incumbent is None:
        report.update(status="no_solution", proven_optimal=False, objective=None, bound=bound, gap=None)
        msg = f"no plan found in {options.time_limit:g} s"
        if bound is not None:
            msg += f"; best bound on the objective {bound:.3f}"
        raise NoPlanFound(msg, "raise --time-limit, or give a starting plan with --start") from None
    terms = model.term_values(search.incumbent)
    obj = terms.pop("objective")
    gap = relative_gap(obj, bound)
    proven = gap is not None and gap <= PROVEN_GAP and isinstance(solver, str)
    report.update(status="optimal" if proven else "feasible", proven_optimal=proven, objective=obj,
                  bound=bound, gap=gap, terms=terms, weights=options.weights.__dict__,
                  incumbent_from=search.incumbent_source)
    return _finish(geo, values, options, model.blocks, search.incumbent, report)


def _weights_ok(options: SolveOptions) -> bool:
    w = options.weights
    return min(w.travel, w.balance, w.split) >= 0


def _contiguous_plan_ok(ac, assignment: dict[int, int]) -> bool:
    """Independent check of a block -> hub plan: K connected areas within the rules."""
    from .heuristics import area_above_floor, area_within_rules

    areas: dict[int, set[int]] = {}
    for b, h in assignment.items():
        areas.setdefault(h, set()).add(b)
    if len(areas) != ac.options.k or len(assignment) != ac.blocks.n:
        return False
    g = ac.blocks.graph
    return all(nx.is_connected(g.subgraph(a)) and area_within_rules(ac, a) and area_above_floor(ac, a)
               and ac.member[sorted(a)].any(axis=0)[h] for h, a in areas.items())


def _partition_start(options, geo, blocks, ac) -> tuple[dict[int, int] | None, str | None]:
    """A --start plan as block -> hub for the partition solver (None if it does not fit)."""
    if not options.start:
        return None, None
    plan = read_plan(options.start, geo)
    what = f"start plan {options.start}"
    areas, why = plan_blocks(plan, blocks, what)
    if areas is None:
        return None, why
    assignment = {}
    for bs in areas.values():
        hub = ac.area_cost(sorted(bs))[1]
        for b in bs:
            assignment[b] = hub
    if not _contiguous_plan_ok(ac, assignment):
        return None, (f"{what} ({plan.k} areas); it breaks a rule of this request (areas, bounds, locks or "
                      "contiguity), so it was not used")
    return assignment, f"{what} ({plan.k} areas)"


def _solve_by_partition(geo, values, options: SolveOptions, solver, blocks, t0: float,
                        stages: list) -> SolveResult | None:
    """Exact block-level solve: heuristic threshold, enumerated areas, set partitioning MIP.
    Returns None (after noting why in ``stages``) when the compact model should be used instead."""
    from .columns import AreaCosts, PartitionOutcome, TooManyColumns, solve_partition
    from .heuristics import greedy, local_search

    ac = AreaCosts(blocks, geo, values, options)
    deadline = t0 + options.time_limit
    incumbent, inc_obj, source = None, float("inf"), None
    start, start_note = _partition_start(options, geo, blocks, ac)
    if start is not None:
        incumbent, inc_obj, source = start, ac.term_values(start)["objective"], "start plan"
    part = greedy(ac)
    if part is not None:
        part = local_search(part, deadline=deadline)
        a = part.assignment()
        obj = ac.term_values(a)["objective"]
        if obj < inc_obj - 1e-9 and _contiguous_plan_ok(ac, a):
            incumbent, inc_obj, source = a, obj, "greedy merge + local search"
    heur_s = time.perf_counter() - t0
    stage = {"stage": "set partitioning over enumerated contiguous areas", "heuristic_objective":
             None if incumbent is None else inc_obj, "heuristic_seconds": round(heur_s, 3)}
    stages.append(stage)
    if incumbent is None:
        stage["fallback"] = "no heuristic plan to set the enumeration threshold; compact model used"
        return None
    try:
        # HiGHS's presolve probing crawls on wide set partitioning models (20 s on 20k columns);
        # the LP relaxation is strong, so presolve is not needed
        extra = {"highs_options": {"presolve": "off"}} if solver == "highs" else {}
        out = solve_partition(ac, inc_obj, run_solver=lambda prob, **kw: run_solver(prob, solver, **kw, **extra),
                              time_limit=max(deadline - time.perf_counter(), 0.1), threads=options.threads,
                              seed=options.seed, start=incumbent)
    except TooManyColumns:
        if deadline - time.perf_counter() > 1.0:
            stage["fallback"] = "too many candidate areas to enumerate; compact model used"
            stage["fallback_assignment"] = incumbent
            return None
        stage["fallback"] = "out of time while enumerating areas: heuristic plan, no bound"
        out = PartitionOutcome(None, None, None, False, [], 0, 0, 0.0)
    if out.assignment is not None and out.objective < inc_obj - 1e-9 and _contiguous_plan_ok(ac, out.assignment):
        incumbent, inc_obj, source = out.assignment, out.objective, f"set partitioning round {len(out.rounds)}"
    terms = ac.term_values(incumbent)
    obj = terms.pop("objective")
    bound = out.bound
    gap = relative_gap(obj, bound)
    proven = out.proven and gap is not None and gap <= PROVEN_GAP
    total_s = time.perf_counter() - t0
    stage.update(columns=out.columns, enumerated_sets=out.visits)
    model_info = {"formulation": "set partitioning over enumerated contiguous areas",
                  "variables": out.columns, "constraints": blocks.n + 1, "columns": out.columns,
                  "enumerated_sets": out.visits, "blocks": blocks.n, "restricted": False, "radius_km": None,
                  "binaries": out.columns, "candidate_hubs": geo.n}
    report = {
        **report_header(geo, values, options, solver),
        "model": model_info,
        "stages": stages,
        "neighbour_cuts_up_front": False,
        "separator_cuts": 0,
        "rounds": out.rounds,
        "build_seconds": round(heur_s + sum(r.get("enumerate_seconds", 0.0) for r in out.rounds), 3),
        "solve_seconds": round(sum(r["seconds"] for r in out.rounds), 3),
        "wall_seconds": round(total_s, 3),
        "start": start_note,
        "restricted_bound": None,
        "status": "optimal" if proven else "feasible", "proven_optimal": proven, "objective": obj,
        "bound": bound, "gap": gap, "terms": terms, "weights": options.weights.__dict__,
        "incumbent_from": source,
    }
    return _finish(geo, values, options, blocks, incumbent, report)


def status_line(report: dict) -> str:
    """One honest line: what the solver proved."""
    s = report["status"]
    t = report.get("wall_seconds", 0)
    if s == "optimal":
        return f"Proven optimal: objective {report['objective']:.4f} (bound {report['bound']:.4f}) in {t:.1f} s"
    if s == "feasible":
        gap = report.get("gap")
        g = "unknown (no bound)" if gap is None else f"{gap:.2%}"
        b = "none" if report.get("bound") is None else f"{report['bound']:.4f}"
        line = (f"Feasible, NOT proven optimal: objective {report['objective']:.4f}, best bound {b}, "
                f"gap {g}, after {t:.1f} s")
        if report.get("model", {}).get("restricted"):
            line += " (LAD-level model restricted to candidate hubs and a radius: no bound for the full problem)"
        return line
    return f"{s}: {report}"
