"""Run in every local Dask worker process as it starts (a Dask preload module).

The worker leaves the terminal's process group, so a Ctrl-C (or a SIGTERM sent
to the group) reaches only the ``cpa`` process, which then stops the running
solves through a Dask event and keeps their best plans (:mod:`.sweep`), and
closes the cluster. Without this the workers would die half-way with their own
tracebacks and lose those plans.
"""

from __future__ import annotations

import contextlib
import os
import signal


def dask_setup(worker) -> None:  # the name Dask looks for in a preload module
    with contextlib.suppress(OSError):
        os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
