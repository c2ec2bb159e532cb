"""Sweep the number of areas K: solve each K and return one row per K.

Infeasible Ks are rows with their reason, not errors. A sweep that is stopped
(``stop`` set, e.g. by Ctrl-C) keeps what finished: the running solves return
their best plans (status ``interrupted``) and the Ks not started are rows with
status ``not_run``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import math
import threading
import time
import uuid
import warnings
from dataclasses import replace
from typing import Callable, Iterable, Sequence

import pandas as pd

from ..errors import CpaError, InfeasibleRequest, NoPlanFound, show_warning_line
from ..geography import Geography
from ..io.plans import read_plan
from ..metrics import scorecard
from ..optimise import SolveOptions, SolveResult, solve
from ..optimise.engine import Interrupted
from ..options import check_jobs, parse_k_values  # noqa: F401  (parse_k_values re-exported)
from ..optimise.blocks import build_blocks
from ..progress import highs_banner_to_stderr
from ..values import ContractValues
from .cluster import dask_client, local_workers, threads_per_solve
from .table import INT_COLUMNS, SUMMARY_COLUMNS, SWEEP_COLUMNS


#: Where the curves of a sweep get vertical markers: the CRC, trust and region eras' numbers of areas.
SWEEP_MARKERS = (16, 21, 35)
#: The Ks drawn as small maps beside the curves, when the sweep has them.
SWEEP_MAPS = (12, 16, 21, 35)
#: Reference plans drawn as labelled points on the sweep curves.
SWEEP_REFERENCES = ("trusts35", "crc21", "regions12")


def _one_line(exc: CpaError) -> str:
    return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")


#: A K that a stopped sweep did not get to (or stopped before it had a plan).
NOT_RUN = "not_run"


def solve_row(geo: Geography, values: ContractValues, options: SolveOptions,
              stop=None) -> tuple[dict, SolveResult | None]:
    """Solve one request and return (its sweep row, the result or None); an infeasible request or no plan in
    time is a row, not an error. With ``stop`` set the solve returns its best plan (status ``interrupted``),
    or the row says ``not_run``."""
    row = dict.fromkeys(SWEEP_COLUMNS)
    row["K"] = options.k
    t0 = time.perf_counter()
    result = None
    if stop is not None and stop.is_set():
        row.update(status=NOT_RUN, reason="the sweep was stopped before this K started", seconds=0.0)
        return row, None
    try:
        result = solve(geo, values, options, stop=stop)
    except Interrupted:
        row.update(status=NOT_RUN, reason="the sweep was stopped before this K had a plan")
    except InfeasibleRequest as exc:
        row.update(status="infeasible", reason=_one_line(exc))
    except NoPlanFound as exc:
        row.update(status="no_solution", reason=_one_line(exc))
    except CpaError as exc:  # e.g. an unusable start plan: say so in the row rather than lose the other Ks
        row.update(status="error", reason=_one_line(exc))
    else:
        r, s = result.report, result.scorecard.summary
        row.update(status=r.status, gap=r.gap, objective=r.objective, bound=r.bound,
                   plan_hash=r.plan_hash, seconds=r.wall_seconds,
                   **{f"term_{k}": v for k, v in r.terms.items()},
                   **{c: s.get(c) for c in SUMMARY_COLUMNS + ("pfa_fragments",)})
    if row["seconds"] is None:
        row["seconds"] = round(time.perf_counter() - t0, 3)
    return row, result


def sweep_row(geo: Geography, values: ContractValues, options: SolveOptions) -> dict:
    """Solve one K and return its sweep row; an infeasible K or no plan in time is a row, not an error."""
    return solve_row(geo, values, options)[0]



def sweep(k_values: Iterable[int], base_options: SolveOptions, geo: Geography, values: ContractValues,
          jobs: int | None = None, progress: Callable[[dict, int, int], None] | None = None,
          executor: concurrent.futures.Executor | None = None, scheduler: str | None = None,
          stop=None) -> pd.DataFrame:
    """The sweep table of :func:`sweep_results` alone."""
    return sweep_results(k_values, base_options, geo, values, jobs, progress, executor, scheduler, stop)[0]


def sweep_results(k_values: Iterable[int], base_options: SolveOptions, geo: Geography, values: ContractValues,
                  jobs: int | None = None, progress: Callable[[dict, int, int], None] | None = None,
                  executor: concurrent.futures.Executor | None = None, scheduler: str | None = None,
                  stop=None) -> tuple[pd.DataFrame, dict[int, SolveResult]]:
    """Solve each K with ``base_options`` (its ``k`` is replaced; its time limit applies to each K);
    returns the sweep table and the solve result (plan, scorecard, report) of every K that has a plan.

    Each K is one task, ``sweep_row(geo, values, options)``, that carries all
    its inputs as data, so any ``concurrent.futures.Executor`` can run it.
    Without one, ``jobs`` solves run at once on a local Dask cluster of worker
    processes (default: CPU count; one job solves in this process), or on the
    Dask cluster at ``scheduler`` (see :mod:`.cluster`), the executor ``cpa
    grid`` uses. With several local jobs and no ``threads`` set, each solve
    gets cpu_count // jobs threads so the machine is not oversubscribed.
    ``progress(row, done, total)`` is called as each K finishes, in finishing
    order. Returns one row per K in K order; infeasible Ks have status
    ``infeasible`` and the reason. Time-limited solves depend on machine
    speed, so their plans may differ between runs; proven optimal ones do not
    (up to ties). ``stop`` (a ``threading.Event``) stops the sweep and keeps what
    finished (see the module docstring); on the local or ``scheduler`` cluster it
    reaches the workers through a Dask event.
    """
    ks = sorted(set(int(k) for k in k_values))
    jobs = check_jobs(jobs)
    if not ks:
        raise CpaError("no K values given", "e.g. --areas 6-43")
    # Rules that are wrong for every K (unknown keep-whole group, bad lock code, unreadable start plan)
    # fail once, here, instead of once per K.
    build_blocks(geo, values, base_options)
    if base_options.start:
        read_plan(base_options.start, geo)
    jobs = max(1, min(local_workers(jobs), len(ks)))
    opts = base_options
    if jobs > 1 and opts.threads is None and scheduler is None:
        opts = replace(opts, threads=threads_per_solve(jobs))
    rows: dict[int, dict] = {}
    results: dict[int, SolveResult] = {}

    def done(outcome):
        row, result = outcome
        rows[row["K"]] = row
        if result is not None and result.plan is not None:
            results[row["K"]] = result
        if progress:
            progress(row, len(rows), len(ks))

    if executor is None and scheduler is None and jobs == 1:
        for k in ks:
            done(solve_row(geo, values, replace(opts, k=k), stop))
    else:
        with contextlib.ExitStack() as stack:
            stop_name = None
            if executor is None:
                client = stack.enter_context(dask_client(jobs, scheduler))
                executor = client.get_executor(pure=False)
                if stop is not None:
                    stop_name = _relay_stop(stop, client, stack)
            futures = [executor.submit(_sweep_task, geo, values, replace(opts, k=k), stop_name) for k in ks]
            try:
                for fut in concurrent.futures.as_completed(futures):
                    done(fut.result())
            except BaseException:
                # Aborted (a second Ctrl-C) or a solve failed: drop the queued solves; a local cluster stops
                # with the stack.
                for fut in futures:
                    fut.cancel()
                raise
    df = pd.DataFrame([rows[k] for k in ks], columns=list(SWEEP_COLUMNS))
    for col in INT_COLUMNS:
        df[col] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(round(v))
                            for v in df[col]], dtype="Int64")
    return df, {k: results[k] for k in sorted(results)}


def _relay_stop(stop, client, stack) -> str:
    """A Dask event that follows ``stop``, so solves on the cluster's workers stop too; its name."""
    # Dask is imported only when a cluster is used (about a second)
    from distributed import Event

    name = f"cpa-stop-{uuid.uuid4().hex}"
    event = Event(name, client=client)
    done = threading.Event()

    def relay():
        while not done.is_set():
            if stop.wait(0.2):
                event.set()
                return

    thread = threading.Thread(target=relay, name="cpa-stop-relay", daemon=True)
    thread.start()
    stack.callback(done.set)
    return name


class _WorkerStop:
    """On a worker: a local event set when the client's Dask event is (polled twice a second)."""

    def __init__(self, name: str):
        # Dask is imported only when a cluster is used (about a second)
        from distributed import Event, get_client

        self.local = threading.Event()
        self.finished = threading.Event()
        # The task's client, given explicitly: the poll thread has no Dask context of its own.
        remote = Event(name, client=get_client())

        def poll():
            while not self.finished.is_set() and not self.local.is_set():
                with contextlib.suppress(Exception):  # the scheduler gone: the solve's own limits apply
                    if remote.is_set():
                        self.local.set()
                self.finished.wait(0.5)

        threading.Thread(target=poll, name="cpa-stop-poll", daemon=True).start()

    def is_set(self) -> bool:
        return self.local.is_set()


def _sweep_task(geo: Geography, values: ContractValues, options: SolveOptions,
                stop_name: str | None = None) -> tuple[dict, SolveResult | None]:
    # A worker shares the client's stdout (a local one) or a log: no solver banner there, and warnings
    # one line each, as in the client.
    highs_banner_to_stderr(quiet=True)
    warnings.showwarning = show_warning_line
    if stop_name is None:
        return solve_row(geo, values, options)
    stop = _WorkerStop(stop_name)
    try:
        return solve_row(geo, values, options, stop)
    finally:
        stop.finished.set()


def reference_points(geo: Geography, values: ContractValues,
                     names: Sequence[str] = SWEEP_REFERENCES, market=None) -> pd.DataFrame:
    """Scorecard summary rows (with ``K``) of the named reference plans the geography has (the market
    measures with the parameters ``market``)."""
    rows = []
    for name in names:
        if name in geo.references:
            s = scorecard(read_plan(name, geo), geo, values, market=market).summary
            rows.append({"name": name, "K": s["areas"], **{c: s.get(c) for c in SUMMARY_COLUMNS}})
    return pd.DataFrame(rows, columns=["name", "K"] + list(SUMMARY_COLUMNS))
