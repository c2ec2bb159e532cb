"""Where the solves of a sweep or a grid run: a Dask cluster, local or remote.

By default a local cluster of worker *processes* (one solve each at a time)
starts with the run and stops with it. ``scheduler="tcp://host:8786"`` uses a
cluster that already runs instead (``dask scheduler`` on one machine, ``dask
worker tcp://host:8786`` on each of the others, every one with ``cpa``
installed); nothing else changes. Tasks carry their inputs as data and results
come back to the client, so the machines share no file system.

A worker that dies (killed, out of memory, its machine lost) loses only the
solve it was running: the scheduler gives that solve to another worker, up to
:data:`ALLOWED_FAILURES` times, after which the solve fails with
``KilledWorker`` and the run reports it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator

from ..errors import CpaError
from ..io.atomic import signals_deferred
from ..options import check_jobs

#: How many workers may die while running the same solve before the solve is reported as failed.
ALLOWED_FAILURES = 3
#: Seconds to wait for a remote scheduler to answer.
CONNECT_TIMEOUT_S = 20

SCHEDULER_HINT = ("start one with `dask scheduler` and `dask worker ADDRESS` on each machine (each with cpa "
                  "installed), or leave out --scheduler to run on this machine")


def local_workers(workers: int | None) -> int:
    """The number of local worker processes: ``workers``, or one per CPU."""
    return check_jobs(workers, "--workers") or os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator:
    """A ``distributed.Client`` on a new local cluster of ``workers`` processes (default: one per CPU),
    or on the running cluster at ``scheduler``; closed (and a local cluster stopped) on exit."""
    # Dask is imported only when a cluster is used (about a second)
    import dask
    from distributed import Client, LocalCluster

    # Dask's own log lines (a worker restarted, a task rescheduled) are not for the person at the
    # terminal: what failed is reported by the run itself.
    quiet = logging.ERROR
    if scheduler:
        logging.getLogger("distributed").setLevel(quiet)
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise CpaError(f"cannot reach the Dask scheduler at {scheduler}: {exc}", SCHEDULER_HINT) from None
        with client:
            yield client
        return
    n = local_workers(workers)
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        # Ctrl-C or SIGTERM while the cluster starts would leave it half-made (Dask's tracebacks at exit):
        # hold them until it is up, then act on them, with the cluster stopped cleanly below.
        with signals_deferred():
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=quiet, preload=["cpa.compare.worker_setup"])
        try:
            with Client(cluster) as client:
                yield client
        finally:
            with signals_deferred():
                cluster.close()


def threads_per_solve(workers: int) -> int:
    """Solver threads for each of ``workers`` solves running at once on this machine."""
    return max(1, (os.cpu_count() or 1) // max(workers, 1))
