"""Sweep the number of areas K: solve each K and return one row per K.

Infeasible Ks are rows with their reason, not errors.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import os
import re
import signal
import time
from dataclasses import replace
from typing import Callable, Iterable, Sequence

import pandas as pd

from ..errors import CpaError, InfeasibleRequest, NoPlanFound
from ..geography import Geography
from ..io.plans import read_plan
from ..metrics import scorecard
from ..optimise import SolveOptions, solve
from ..optimise.solve import SolveResult
from ..optimise.blocks import build_blocks
from ..progress import highs_banner_to_stderr
from ..values import ContractValues
from .table import SUMMARY_COLUMNS, SWEEP_COLUMNS


#: Where the curves of a sweep get vertical markers: the CRC, trust and region eras' numbers of areas.
SWEEP_MARKERS = (16, 21, 35)
#: The Ks drawn as small maps beside the curves, when the sweep has them.
SWEEP_MAPS = (12, 16, 21, 35)
#: Reference plans drawn as labelled points on the sweep curves.
SWEEP_REFERENCES = ("trusts35", "crc21", "regions12")


def parse_k_values(specs: str | Iterable[str]) -> list[int]:
    """K values from ``"6-43"``, ``"6,12,16"``, ``"6-10,16,21-23"`` (or several such strings), sorted, unique."""
    if isinstance(specs, str):
        specs = [specs]
    out = set()
    for spec in specs:
        for part in str(spec).split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
            if not m:
                raise CpaError(f"--areas {spec!r}: {part!r} is not K or a range A-B",
                               "e.g. --areas 6-43, --areas 12,16,21 or --areas 6-10,35")
            a, b = (int(m.group(1)), int(m.group(2))) if m.group(3) is None else (int(m.group(3)),) * 2
            if a < 1 or b < a:
                raise CpaError(f"--areas {spec!r}: {part!r} is not a range of K >= 1 (low-high)", "e.g. --areas 6-43")
            out.update(range(a, b + 1))
    if not out:
        raise CpaError("no K values given", "e.g. --areas 6-43")
    return sorted(out)


def _one_line(exc: CpaError) -> str:
    return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")


def sweep_row(geo: Geography, values: ContractValues, options: SolveOptions) -> dict:
    """Solve one K and return its sweep row; an infeasible K or no plan in time is a row, not an error."""
    return sweep_solve(geo, values, options)[0]


def sweep_solve(geo: Geography, values: ContractValues, options: SolveOptions) -> tuple[dict, SolveResult | None]:
    """Solve one K: its sweep row and the solve's result (None when the K has no plan)."""
    result = None
    row = dict.fromkeys(SWEEP_COLUMNS)
    row["K"] = options.k
    t0 = time.perf_counter()
    try:
        result = solve(geo, values, options)
    except InfeasibleRequest as exc:
        row.update(status="infeasible", reason=_one_line(exc))
    except NoPlanFound as exc:
        row.update(status="no_solution", reason=_one_line(exc))
    except CpaError as exc:  # e.g. an unusable start plan: say so in the row rather than lose the other Ks
        row.update(status="error", reason=_one_line(exc))
    else:
        r, s = result.report, result.scorecard.summary
        if result.plan is None:
            result = None
        row.update(status=r["status"], gap=r["gap"], objective=r["objective"], bound=r["bound"],
                   plan_hash=r.get("plan_hash"), seconds=r["wall_seconds"],
                   **{f"term_{k}": v for k, v in r["terms"].items()},
                   **{c: s.get(c) for c in SUMMARY_COLUMNS + ("pfa_fragments",)})
    if row["seconds"] is None:
        row["seconds"] = round(time.perf_counter() - t0, 3)
    return row, result


def _init_worker() -> None:
    # Ctrl-C is handled by the parent, which then stops the workers; a worker must not die half-way on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker shares the parent's stdout, which may be carrying a JSON document: no solver banner there.
    highs_banner_to_stderr(quiet=True)


def sweep(k_values: Iterable[int], base_options: SolveOptions, geo: Geography, values: ContractValues,
          jobs: int | None = None, progress: Callable[[dict, int, int], None] | None = None,
          executor: concurrent.futures.Executor | None = None) -> pd.DataFrame:
    """The sweep table of :func:`sweep_results` alone."""
    return sweep_results(k_values, base_options, geo, values, jobs, progress, executor)[0]


def sweep_results(k_values: Iterable[int], base_options: SolveOptions, geo: Geography, values: ContractValues,
                  jobs: int | None = None, progress: Callable[[dict, int, int], None] | None = None,
                  executor: concurrent.futures.Executor | None = None
                  ) -> tuple[pd.DataFrame, dict[int, SolveResult]]:
    """Solve each K with ``base_options`` (its ``k`` is replaced; its time limit applies to each K);
    returns the sweep table and every K's solve result (plan, scorecard, report) that found a plan.

    Each K is one task, ``sweep_row(geo, values, options)``, that carries all
    its inputs as data, so any ``concurrent.futures.Executor`` can run it (a
    Dask ``Client.get_executor()`` too). Without one, ``jobs`` solves run at
    once in local processes (default: CPU count). With several jobs and no
    ``threads`` set, each solve gets cpu_count // jobs threads so the machine
    is not oversubscribed. ``progress(row, done, total)`` is called as each K
    finishes, in finishing order. Returns one row per K in K order; infeasible
    Ks have status ``infeasible`` and the reason. Time-limited solves depend on
    machine speed, so their plans may differ between runs; proven optimal ones
    do not (up to ties).
    """
    ks = sorted(set(int(k) for k in k_values))
    if not ks:
        raise CpaError("no K values given", "e.g. --areas 6-43")
    # Rules that are wrong for every K (unknown keep-whole group, bad lock code, unreadable start plan)
    # fail once, here, instead of once per K.
    build_blocks(geo, values, base_options)
    if base_options.start:
        read_plan(base_options.start, geo)
    cpus = os.cpu_count() or 1
    jobs = max(1, min(jobs or cpus, len(ks)))
    opts = base_options
    if jobs > 1 and opts.threads is None:
        opts = replace(opts, threads=max(1, cpus // jobs))
    rows: dict[int, dict] = {}
    results: dict[int, SolveResult] = {}

    def done(outcome):
        row, result = outcome
        rows[row["K"]] = row
        if result is not None:
            results[row["K"]] = result
        if progress:
            progress(row, len(rows), len(ks))

    if executor is None and jobs == 1:
        for k in ks:
            done(sweep_solve(geo, values, replace(opts, k=k)))
    else:
        own = executor is None
        if own:
            # spawn, not fork: the parent may hold solver threads, and forking a threaded process can deadlock.
            executor = concurrent.futures.ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker)
        futures = [executor.submit(sweep_solve, geo, values, replace(opts, k=k)) for k in ks]
        try:
            for fut in concurrent.futures.as_completed(futures):
                done(fut.result())
        except BaseException:
            # Interrupted or a worker failed: stop the running solves now rather than wait out their limits.
            for fut in futures:
                fut.cancel()
            if own:
                executor.shutdown(wait=False, cancel_futures=True)
                for proc in multiprocessing.active_children():
                    proc.terminate()
            raise
        if own:
            executor.shutdown()
    df = pd.DataFrame([rows[k] for k in ks], columns=list(SWEEP_COLUMNS))
    for col in ("K", "areas", "pfas_split", "trusts_split", "pfa_fragments", "term_pfa_fragments"):
        df[col] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(round(v))
                            for v in df[col]], dtype="Int64")
    return df, {k: results[k] for k in sorted(results)}


def reference_points(geo: Geography, values: ContractValues,
                     names: Sequence[str] = SWEEP_REFERENCES) -> pd.DataFrame:
    """Scorecard summary rows (with ``K``) of the named reference plans the geography has."""
    rows = []
    for name in names:
        if name in geo.references:
            s = scorecard(read_plan(name, geo), geo, values).summary
            rows.append({"name": name, "K": s["areas"], **{c: s.get(c) for c in SUMMARY_COLUMNS}})
    return pd.DataFrame(rows, columns=["name", "K"] + list(SUMMARY_COLUMNS))
