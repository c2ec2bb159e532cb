"""Solve a request end to end with the one engine (:mod:`.engine`).

``solve`` builds the blocks and checks the request against every rule
(:mod:`cpa.rules`), gathers seed plans and columns (heuristics, reference
plans, a ``--start`` plan, and at block level a cheap enumeration of promising
areas), runs column generation with its bound and integer plans, and fills one
:class:`.report.SolveReport`.

What is reported is what was proven: ``optimal`` only when the plan's objective
is within :data:`.engine.OPTIMALITY_TOLERANCE` (relative) of a valid bound;
``feasible`` with the best bound and gap otherwise; ``interrupted`` when the
caller's ``stop`` event ended the run (with the best plan, bound and gap so
far). With no plan: :class:`NoPlanFound` (time ran out), :class:`Interrupted`
(stopped), or :class:`~cpa.errors.InfeasibleRequest` naming the binding rule.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from .. import __version__
from ..errors import CpaError, InfeasibleRequest, NoPlanFound
from ..geography import Geography
from ..io.plans import read_plan
from ..metrics import Scorecard, scorecard
from ..naming import name_areas
from ..options import SolveOptions
from ..plan import Plan
from ..rules import ValueFloor, area_rules, plan_rules
from ..values import ContractValues
from . import sketch as sk
from .blocks import build_blocks, check_feasibility
from .columns import TooManyColumns, enumerate_columns
from .costs import AreaCosts
from .engine import OPTIMALITY_TOLERANCE, Engine, EngineResult, Interrupted, relative_gap
from .heuristics import Partition, chain_search, greedy, local_search, recombine
from .report import SolveReport
from .solvers import solver_version

__all__ = ["solve", "SolveResult", "NoPlanFound", "Interrupted", "status_line"]

FORMULATION = "set partitioning over contiguous areas by column generation"
#: Block-level requests (up to this many blocks) also enumerate promising areas as seeds.
ENUMERATE_BLOCKS = 80
#: Seconds a seed plan that breaks a plan rule (--small-lots) gets to be repaired, past the seeds' share.
RULE_REPAIR_SECONDS = 10.0
#: Areas kept from an enumeration that ran out of budget (cheapest first) as first columns.
PARTIAL_COLUMNS = 20_000
#: The seed enumeration stops beyond this many sets visited (a budget in work, not seconds, so that a
#: solve takes the same path on a busy machine: about a second here), or beyond this share of the
#: time limit. It finishes from strict K=19 up (and then proves the plan: Engine.enumeration_proof);
#: at small K it could not finish in any sensible time, and column generation finds the LP's
#: columns in seconds.
ENUM_VISITS, ENUM_SHARE = 20_000, 0.1
#: Share of the time limit (and cap in seconds) for LAD-level seed heuristics.
SEED_SHARE, SEED_SECONDS = 0.15, 30.0
#: Seconds kept back from the time limit for naming and scoring the plan (at most 4% of the limit).
FINISH_RESERVE = 4.0
#: Sketch settings tried for LAD-level seeds: (split PFAs above this x mean, pieces of this x mean).
SKETCHES = ((0.75, 0.5), (0.75, 1.0), (1.0, 0.25), (0.75, 0.34))


@dataclass
class SolveResult:
    """The plan (None if none was found), its scorecard and the solve report."""

    plan: Plan | None
    scorecard: Scorecard | None
    report: SolveReport

    @property
    def status(self) -> str:
        return self.report.status


def input_hash(geo: Geography, values: ContractValues, options: SolveOptions) -> str:
    """Hash of the geography, the values and the options that change the answer."""
    opts = options.to_dict()
    for k in ("time_limit", "threads"):
        opts.pop(k, None)
    text = json.dumps({"geo": geo.fingerprint, "values": values.fingerprint, "options": opts}, sort_keys=True,
                      default=lambda o: o.item() if hasattr(o, "item") else str(o))  # numpy scalars
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def status_line(report: SolveReport) -> str:
    return report.status_line()


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


# ------------------------------------------------------------------ seeds
def _start_seed(options: SolveOptions, geo, ac: AreaCosts, engine: Engine) -> str | None:
    if not options.start:
        return None
    plan = read_plan(options.start, geo)
    what = f"start plan {options.start}"
    areas, why = plan_blocks(plan, ac.blocks, what)
    if areas is None:
        return why
    note = f"{what} ({plan.k} areas)"
    if not engine.plan_ok([tuple(sorted(a)) for a in areas.values()]):
        return note + "; it breaks a rule of this request (areas, bounds, locks or contiguity), so it was not used"
    engine.offer(list(areas.values()), "start plan")
    return note


def _reference_columns(geo, ac: AreaCosts, engine: Engine) -> None:
    """Areas of the embedded reference plans that respect the blocks and the rules, as columns;
    a reference with K areas is offered as a plan too."""
    block_of = ac.blocks.block_of()
    for name in sorted(geo.references):
        ref = geo.references[name]
        areas = {}
        for lad, area in zip(ref["lad_code"], ref["area"]):
            areas.setdefault(area, set()).add(block_of[lad])
        owners: dict[int, int] = {}
        for i, bs in enumerate(areas.values()):
            for b in bs:
                owners[b] = owners.get(b, 0) + 1
        if any(c > 1 for c in owners.values()):
            continue  # splits a block
        good = [sorted(bs) for bs in areas.values()
                if nx.is_connected(ac.blocks.graph.subgraph(bs)) and ac.area_ok(bs)]
        engine.master.add([engine.pricer.column(a) for a in good])
        if len(areas) == ac.options.k:
            engine.offer(list(areas.values()), f"reference plan {name}")


def rule_seeking(ac: AreaCosts) -> AreaCosts:
    """``ac`` with each plan rule's areas rewarded (``--small-lots``: every small lot earns more than
    any area costs), so that greedy merging keeps as many of them as it can: seeds that meet the rule."""
    reward = ac.objective.max_area_cost(len(ac.pfa_ids)) + 1.0
    objective = copy.copy(ac.objective)
    objective.value_terms = list(ac.objective.value_terms) + [
        t for t in (r.dual_term(reward if r.sense == ">=" else -reward, ac.total) for r in ac.plan_rules)
        if t is not None]
    objective.__dict__.pop("_env_arrays", None)
    return AreaCosts(ac.blocks, ac.geo, None, ac.options, rules=ac.rules, objective=objective)


def _greedy_seed(ac: AreaCosts, engine: Engine, deadline: float, history: list) -> Partition | None:
    """Greedy merge + local search; with plan rules, greedy on :func:`rule_seeking` costs first, so
    that the seed meets them (the local search then keeps them). When that seed breaks an area rule
    (small lots kept under a value floor), plain greedy: its plan may break the plan rule, which the
    callers' recombination then seeks."""
    if not ac.plan_rules:
        return greedy(ac, history)
    part = greedy(rule_seeking(ac), history) or greedy(ac, history)
    return None if part is None else Partition(ac, part.areas)


def _block_seeds(ac: AreaCosts, engine: Engine, deadline: float) -> None:
    """Greedy merge (every area it makes is a column) + local search; single blocks as columns."""
    history: list = []
    part = _greedy_seed(ac, engine, deadline, history)
    engine.master.add([engine.pricer.column(a) for a in history + [[b] for b in range(ac.n)] if ac.area_ok(a)])
    if part is not None:
        engine.offer([sorted(a) for a in part.areas], "greedy merge")
        part = local_search(part, deadline=deadline, stop=engine.stop)
        engine.offer([sorted(a) for a in part.areas], "greedy merge + local search")
        if part.rule_deficit() > 0:  # a plan rule fails: recombination seeks it (issue 13)
            until = min(engine.deadline, max(deadline, time.perf_counter() + RULE_REPAIR_SECONDS))
            part = recombine(part, deadline=until, seed=ac.options.seed, stop=engine.stop)
            engine.offer([sorted(a) for a in part.areas], "greedy merge + recombination for the plan rules")


def _lad_seeds(geo, values, options: SolveOptions, ac: AreaCosts, engine: Engine, deadline: float) -> None:
    """LAD-level seeds: the PFA-level greedy plan (a valid plan at once), refined by chained LAD
    moves; greedy + local search on coarse sketch blocks (big PFAs cut into pieces), refined the same way."""
    blocks = ac.blocks
    engine.master.add([engine.pricer.column([b]) for b in range(ac.n) if ac.area_ok([b])])

    def refine(areas: list[set[int]], label: str) -> None:
        engine.offer([sorted(a) for a in areas], label)  # a plan at once, before refining
        if time.perf_counter() > deadline:
            return
        part = Partition(ac, areas)
        part = chain_search(part, deadline=deadline, stop=engine.stop)
        part = local_search(part, deadline=deadline, stop=engine.stop)
        engine.offer([sorted(a) for a in part.areas], label + " + chained LAD moves")
        if part.rule_deficit() > 0:  # a plan rule fails: recombination seeks it (issue 13)
            until = min(engine.deadline, max(deadline, time.perf_counter() + RULE_REPAIR_SECONDS))
            part = recombine(part, deadline=until, seed=options.seed, stop=engine.stop)
            engine.offer([sorted(a) for a in part.areas], label + " + recombination for the plan rules")

    strict_opts = replace(options, coterminous="strict")
    try:
        sblocks = build_blocks(geo, values, strict_opts)
        check_feasibility(sblocks, geo, values, strict_opts)
    except (InfeasibleRequest, CpaError):
        sblocks = None
    if sblocks is not None:
        sac = AreaCosts(sblocks, geo, values, strict_opts)
        history: list = []
        part = _greedy_seed(sac, engine, deadline, history)
        block_of = blocks.block_of()
        to_fine = lambda area: sorted({block_of[u] for b in area for u in sblocks.members[b]})  # noqa: E731
        if part is not None:
            engine.offer([to_fine(a) for a in part.areas], "PFA-level greedy")  # a first plan, at once
        engine.master.add([engine.pricer.column(to_fine(a)) for a in history if ac.area_ok(to_fine(a))])
        if part is not None and not engine.stopped():
            part = local_search(part, deadline=deadline, stop=engine.stop)
            refine([set(to_fine(a)) for a in part.areas], "PFA-level greedy + local search")
    for above, piece in SKETCHES:
        if engine.stopped() or (time.perf_counter() > deadline and engine.incumbent is not None):
            break
        coarse, groups = sk.sketch_blocks(blocks, ac.mean, split_above=above, piece=piece)
        if coarse.n > 150:
            continue
        cac = AreaCosts(coarse, geo, values, options, rules=ac.rules)
        history = []
        part = _greedy_seed(cac, engine, deadline, history)
        to_fine = lambda area: sorted(b for g in area for b in groups[g])  # noqa: E731
        engine.master.add([engine.pricer.column(to_fine(a)) for a in history if ac.area_ok(to_fine(a))])
        if part is None:
            continue
        part = local_search(part, deadline=deadline, stop=engine.stop)
        part = chain_search(part, deadline=deadline, stop=engine.stop)
        refine([set(to_fine(a)) for a in part.areas],
               f"sketch blocks (PFAs above {above:g} x mean cut into {piece:g} x mean pieces)")


def _enumeration_seed(ac: AreaCosts, engine: Engine, deadline: float) -> dict:
    """Block level: every connected area that could be in a plan costing at most the incumbent
    (:mod:`.columns`), when that list is small enough to build in time. A complete list is an exact
    device: the restricted master MIP over it is exact up to the threshold (see .engine)."""
    if engine.incumbent is None or ac.objective.value_terms_are_balance_only() is False:
        return {"enumeration": "skipped"}
    threshold = engine.incumbent_obj - ac.offset()
    t0 = time.perf_counter()
    try:
        cols, visits = enumerate_columns(ac, engine.incumbent_obj, deadline=deadline, max_visits=ENUM_VISITS)
    except TooManyColumns as stopped:
        # not a complete list (no proof from it), but good first columns for the master
        best = sorted(stopped.columns, key=lambda c: c.cost)[:PARTIAL_COLUMNS]
        engine.master.add([engine.pricer.column(c.blocks) for c in best])
        return {"enumeration": "stopped (too many areas or out of its time share)", "areas_kept": len(best),
                "seconds": round(time.perf_counter() - t0, 3)}
    engine.master.add([engine.pricer.column(c.blocks) for c in cols])
    engine.enumerated_threshold = engine.incumbent_obj
    return {"enumeration": "complete", "areas": len(cols), "visits": visits, "threshold": threshold + ac.offset(),
            "seconds": round(time.perf_counter() - t0, 3)}


# ------------------------------------------------------------------ solve
def solve(geo: Geography, values: ContractValues, options: SolveOptions, solver=None, *, progress=None,
          stop=None, _diagnose: bool = True) -> SolveResult:
    """Draw ``options.k`` areas (see the module docstring).

    ``solver``: 'highs' (default) or 'cbc' for the restricted master MIP (the master LP and the
    pricing MIPs are always HiGHS, through highspy). ``progress``: called with an
    :class:`.engine.Progress` at least every ~2 s in long phases. ``stop``: a
    ``threading.Event``; when set, the solve returns soon with the best plan so far (status
    ``interrupted``) or raises :class:`Interrupted` if there is none.
    """
    solver = solver or options.solver
    if not isinstance(solver, str) and not hasattr(solver, "actualSolve"):
        raise CpaError(f"unknown solver {solver!r}", "use --solver highs or --solver cbc")
    if isinstance(solver, str) and solver not in ("highs", "cbc"):
        raise CpaError(f"unknown solver {solver!r}", "use --solver highs or --solver cbc")
    t0 = time.perf_counter()
    # the engine stops a little early: naming and scoring the plan come after it, inside the limit
    deadline = t0 + options.time_limit - min(FINISH_RESERVE, 0.04 * options.time_limit)
    rules = area_rules(options, values.total)
    blocks = build_blocks(geo, values, options, rules)
    check_feasibility(blocks, geo, values, options, rules)
    ac = AreaCosts(blocks, geo, values, options, rules)
    if stop is not None and stop.is_set():
        raise Interrupted("interrupted before any plan was found")
    engine = Engine(ac, solver=solver, t0=t0, deadline=deadline, stop=stop, progress=progress,
                    threads=options.threads, seed=options.seed, gap=options.gap)
    with engine.heartbeat():
        start_note = _start_seed(options, geo, ac, engine)
        _reference_columns(geo, ac, engine)
        seed_info: dict = {}
        if blocks.n <= ENUMERATE_BLOCKS:
            _block_seeds(ac, engine, deadline)
            if not engine.stopped():
                seed_info = _enumeration_seed(ac, engine, min(deadline, time.perf_counter()
                                                              + ENUM_SHARE * options.time_limit))
        else:
            _lad_seeds(geo, values, options, ac, engine, min(deadline, t0 + min(SEED_SHARE * options.time_limit,
                                                                               SEED_SECONDS)))
        engine.log.append({"event": "seeds", "columns": len(engine.master), **seed_info,
                           "seconds": round(engine.elapsed(), 3)})
        try:
            out = engine.run([])
        except Interrupted:
            raise Interrupted("interrupted before any plan was found") from None
        if out.areas is None:
            if out.infeasible:
                why = diagnose(geo, values, options, solver) if _diagnose else "the rules cannot all hold"
                raise InfeasibleRequest(why, "relax the named rule (see cpa solve --help)")
            msg = f"no plan found in {options.time_limit:g} s"
            if out.bound is not None:
                msg += f"; best bound on the objective {out.bound:.3f}"
            raise NoPlanFound(msg, "raise --time-limit, or give a starting plan with --start" + _tight_rules_hint(
                options, rules, ac, values.total))
    return _finish(geo, values, options, solver, ac, engine, out, start_note, t0)


#: A value floor leaving less than this share of the total to spare may be what leaves no plan.
TIGHT_FLOOR_SLACK = 0.2


def _tight_rules_hint(options: SolveOptions, rules, ac: AreaCosts, total: float) -> str:
    """When no plan was found in time under a tight value floor or a plan rule, say that the rule may
    leave none (the checks before the solve are necessary conditions only) or is hard to meet (the
    heuristics keep a plan rule but do not seek it; issue 13)."""
    floors = [r for r in rules if isinstance(r, ValueFloor)]
    out = ""
    floor = max(floors, key=lambda r: r.value) if floors else None
    if floor is not None and total - options.k * floor.value < TIGHT_FLOOR_SLACK * total:
        what = getattr(floor, "what", None) or f"--min-value {floor.value / 1e6:g}"
        out += (f"; or relax {floor.label}: {options.k} contiguous areas of at least £{floor.value / 1e6:,.1f}m "
                f"each ({what}) leave £{(total - options.k * floor.value) / 1e6:,.1f}m of £{total / 1e6:,.1f}m "
                f"to spare, and such a plan may not exist")
    if ac.plan_rules:
        out += ("; or relax " + ", ".join(r.label for r in ac.plan_rules)
                + ", or --start from a plan that meets it (e.g. a strict solve's)")
    return out


def _finish(geo, values, options: SolveOptions, solver, ac: AreaCosts, engine: Engine, out: EngineResult,
            start_note, t0: float) -> SolveResult:
    """Name the areas, score the plan and fill the one SolveReport."""
    assignment = {}
    for area in out.areas:
        _, hub = ac.area_cost(area)
        for b in area:
            assignment[b] = hub
    terms = ac.term_values(assignment)
    objective = terms.pop("objective")
    gap = relative_gap(objective, out.bound)
    proven = out.status == "optimal" and gap is not None and gap <= OPTIMALITY_TOLERANCE
    plan = name_areas(geo, values, ac.blocks, assignment, label=f"solved K={options.k}")
    card = scorecard(plan, geo, values, min_value_m=options.min_value_m, max_share_pct=options.max_share_pct,
                     max_value_m=options.max_value_m, market=options.market, pbr_detect=options.pbr_detect,
                     small_lots=options.small_lots)
    name = solver if isinstance(solver, str) else type(solver).__name__
    report = SolveReport(
        tool=f"cpa {__version__}", solver=name, solver_version=solver_version(name),
        options=options.to_dict(), input_hash=input_hash(geo, values, options), geography=geo.source,
        value_model=values.label, formulation=FORMULATION,
        status="optimal" if proven else ("interrupted" if out.status == "interrupted" else "feasible"),
        proven_optimal=proven, optimality_tolerance=OPTIMALITY_TOLERANCE, objective=objective,
        bound=out.bound, gap=gap, terms=terms, weights=dict(options.weights.__dict__),
        wall_seconds=round(time.perf_counter() - t0, 3),
        first_plan_seconds=None if out.first_plan_seconds is None else round(out.first_plan_seconds, 3),
        sizes={"blocks": ac.n, "columns": out.columns, "master_rows": ac.n + 1 + len(ac.plan_rules),
               "candidate_hubs": geo.n},
        lp_bound=out.lp_bound, iterations=out.log, incumbent_from=out.incumbent_from, start=start_note,
        plan_hash=plan.partition_hash())
    return SolveResult(plan, card, report)


def diagnose(geo, values, options: SolveOptions, solver) -> str:
    """Which rule makes the request infeasible: each droppable rule is dropped in turn."""
    binding = []
    seen = set()
    for rule in [*area_rules(options, values.total), *plan_rules(options, values.total)]:
        relaxed = rule.relax(options)
        if relaxed is None or rule.label in seen:
            continue
        seen.add(rule.label)
        try:
            r = solve(geo, values, replace(relaxed, time_limit=min(60.0, options.time_limit), start=None),
                      solver=solver, _diagnose=False)
            if r.plan is not None:
                binding.append(rule.label)
        except (InfeasibleRequest, NoPlanFound):
            continue
    if binding:
        return ("no contiguous plan meets all the rules; it becomes feasible without "
                + " or without ".join(binding))
    return "no contiguous plan meets all the rules together (no single rule family is to blame)"
