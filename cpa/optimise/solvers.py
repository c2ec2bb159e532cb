"""Solver adapters (through PuLP) that report what the solver actually proved: used for the
restricted master MIP with ``--solver cbc`` (the engine drives HiGHS through highspy directly).

PuLP's own status can say "Optimal" after a time limit (coin-or/pulp #383,
#711). These adapters read the solver's model status, best bound and gap
instead:

* HiGHS (default): through the ``highspy.Highs`` object PuLP keeps on
  ``lp.solverModel``; a warm start is passed with ``Highs.setSolution`` (PuLP
  3.3's HiGHS interface has none).
* CBC: PuLP's bundled ``cbc`` binary with ``warmStart``; status, objective and
  bound are parsed from CBC's own log.
* Any other PuLP solver: solved as given; it is never labelled proven optimal
  because its bound cannot be read.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pulp

from ..errors import CpaError

#: Relative gap at or under which a PuLP-driven MIP counts as solved to optimality (HiGHS's default
#: tolerance). Plans are called optimal only by the engine (gap <= 1e-6 against its own bound).
PROVEN_GAP = 1e-4


@dataclass
class SolverOutcome:
    """The solver's own verdict on one MIP solve."""

    status: str  # optimal | feasible | infeasible | no_solution | error
    has_solution: bool
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    detail: str

    @property
    def proven_optimal(self) -> bool:
        return self.status == "optimal"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def solver_version(name: str) -> str:
    if name == "highs":
        h = highspy.Highs()
        return f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()} (highspy), PuLP {pulp.__version__}"
    if name == "cbc":
        return f"CBC (PuLP {pulp.__version__} bundled)"
    return f"{name} via PuLP {pulp.__version__}"


class HighsWithStart(pulp.HiGHS):
    """PuLP's HiGHS interface plus a warm start passed straight to highspy."""

    def __init__(self, start: dict[str, float] | None = None, seed: int = 0,
                 highs_options: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.start = start or {}
        self.highs_options = dict(highs_options or {})
        self.seed = seed
        self.start_accepted: bool | None = None

    def callSolver(self, lp):
        h = lp.solverModel
        h.setOptionValue("random_seed", int(self.seed))
        for key, value in sorted(self.highs_options.items()):
            h.setOptionValue(key, value)
        if self.start:
            index = {v.name: v.index for v in lp.variables()}
            cols = [index[n] for n in self.start if n in index]
            vals = [float(self.start[n]) for n in self.start if n in index]
            status = h.setSolution(len(cols), np.array(cols, dtype=np.int32), np.array(vals, dtype=float))
            self.start_accepted = status == highspy.HighsStatus.kOk
        h.run()


def solve_highs(problem: pulp.LpProblem, *, time_limit: float, gap: float | None, threads: int | None,
                seed: int, start: dict[str, float] | None = None, msg: bool = False,
                highs_options: dict | None = None) -> SolverOutcome:
    solver = HighsWithStart(start=start, seed=seed, highs_options=highs_options, msg=msg, timeLimit=max(float(time_limit), 0.1),
                            gapRel=gap, threads=threads)
    t0 = time.perf_counter()
    problem.solve(solver)
    seconds = time.perf_counter() - t0
    h = problem.solverModel
    info = h.getInfo()
    ms = h.getModelStatus()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = info.objective_function_value if has_sol else None
    bound = info.mip_dual_bound
    bound = None if bound is None or not abs(bound) < 1e30 else bound
    g = relative_gap(objective, bound)
    S = highspy.HighsModelStatus
    if ms == S.kInfeasible:
        status = "infeasible"
    elif ms == S.kOptimal and has_sol and g is not None and g <= PROVEN_GAP + 1e-12:
        status = "optimal"
    elif has_sol:
        status = "feasible"
    elif ms in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt, S.kHighsInterrupt):
        status = "no_solution"
    else:
        status = "error"
    detail = f"HiGHS model status: {h.modelStatusToString(ms)}"
    if start:
        detail += f"; warm start {'accepted' if solver.start_accepted else 'rejected'}"
    return SolverOutcome(status, has_sol, objective, bound, g, seconds, detail)


_CBC_RESULT = re.compile(r"Result - (.+)")
_CBC_OBJ = re.compile(r"Objective value:\s+(-?[\d.eE+-]+)")
_CBC_BOUND = re.compile(r"Lower bound:\s+(-?[\d.eE+-]+)")


def solve_cbc(problem: pulp.LpProblem, *, time_limit: float, gap: float | None, threads: int | None,
              seed: int, start: dict[str, float] | None = None, msg: bool = False) -> SolverOutcome:
    if start:
        for v in problem.variables():
            if v.name in start:
                v.setInitialValue(start[v.name])
    fd, log = tempfile.mkstemp(prefix="cpa-cbc-", suffix=".log")
    os.close(fd)
    try:
        solver = pulp.PULP_CBC_CMD(msg=msg, timeLimit=max(int(round(time_limit)), 1), gapRel=gap,
                                   threads=threads, warmStart=bool(start), logPath=log,
                                   options=[f"randomCbcSeed {seed + 1}", f"randomSeed {seed + 1}"])
        t0 = time.perf_counter()
        problem.solve(solver)
        seconds = time.perf_counter() - t0
        text = open(log, encoding="utf-8", errors="replace").read()
    finally:
        os.unlink(log)
    result = (_CBC_RESULT.findall(text) or ["unknown"])[-1].strip()
    objs = _CBC_OBJ.findall(text)
    bounds = _CBC_BOUND.findall(text)
    has_sol = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) and objs != []
    objective = float(objs[-1]) if has_sol else None
    # Without a printed bound, CBC's own "Optimal" proves the objective only when no gap tolerance
    # was asked for (with one, "Optimal ... within gap tolerance" proves nothing exact).
    exact = result == "Optimal solution found" and not gap
    bound = float(bounds[-1]) if bounds else (objective if exact else None)
    g = relative_gap(objective, bound)
    if result.startswith("Optimal") and has_sol:
        status = "optimal" if (g is not None and g <= PROVEN_GAP) else "feasible"
    elif "infeasible" in result.lower():
        status = "infeasible"
    elif has_sol:
        status = "feasible"
    elif "time" in result.lower() or "stopped" in result.lower():
        status = "no_solution"
    else:
        status = "error"
    return SolverOutcome(status, has_sol, objective, bound, relative_gap(objective, bound), seconds,
                         f"CBC result: {result}")


def solve_other(problem: pulp.LpProblem, solver: pulp.LpSolver) -> SolverOutcome:
    """Any PuLP solver object: solved, but never claimed proven (its bound is unknown)."""
    t0 = time.perf_counter()
    problem.solve(solver)
    seconds = time.perf_counter() - t0
    has_sol = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    obj = pulp.value(problem.objective) if has_sol else None
    if problem.status == pulp.LpStatusInfeasible:
        status = "infeasible"
    else:
        status = "feasible" if has_sol else "no_solution"
    return SolverOutcome(status, has_sol, obj, None, None, seconds,
                         f"{type(solver).__name__}: PuLP status {pulp.LpStatus[problem.status]} (bound unknown)")


def run_solver(problem: pulp.LpProblem, solver, **kw) -> SolverOutcome:
    """Dispatch on ``solver``: 'highs', 'cbc' or a PuLP solver object."""
    if solver == "highs":
        return solve_highs(problem, **kw)
    if solver == "cbc":
        return solve_cbc(problem, **kw)
    if isinstance(solver, pulp.LpSolver):
        return solve_other(problem, solver)
    raise CpaError(f"unknown solver {solver!r}", "use --solver highs or --solver cbc")
