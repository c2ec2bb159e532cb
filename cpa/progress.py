"""What a person at a terminal sees while a long run works: one live line on stderr.

:class:`LiveStatus` shows the phase, the elapsed time, the best objective, the
best bound and the gap (and how many solves are done, for sweeps and
comparisons). On a terminal it redraws one line (``rich``); when stderr is not
a terminal (a log file, CI) it prints a plain line at most every few seconds
instead of redrawing; with ``quiet`` it shows nothing. Nothing here ever writes
to stdout, which belongs to the command's result (``--format json`` is JSON
alone).

:func:`highs_banner_to_stderr` keeps the HiGHS banner, which the solver library
prints once per process on its own stdout, off the command's stdout.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

#: A plain (non-terminal) status line is printed at most this often, and at least this often while running.
PLAIN_INTERVAL_S = 5.0


@dataclass
class Status:
    """The state shown on the live line."""

    phase: str = "starting"
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    done: int | None = None
    total: int | None = None
    note: str = ""
    started: float = field(default_factory=time.perf_counter)

    def line(self) -> str:
        parts = []
        if self.total is not None:
            parts.append(f"[{self.done or 0}/{self.total}]")
        parts.append(self.phase)
        parts.append(f"{time.perf_counter() - self.started:6.1f} s")
        if self.objective is not None:
            parts.append(f"best {self.objective:.4f}")
        if self.bound is not None:
            parts.append(f"bound {self.bound:.4f}")
        if self.gap is not None:
            parts.append(f"gap {self.gap:.2%}")
        if self.note:
            parts.append(self.note)
        return "  ".join(parts)


class LiveStatus:
    """A live status line on stderr; use as a context manager and call :meth:`update`.

    ``update(**fields)`` changes any :class:`Status` field (``phase``,
    ``objective``, ``bound``, ``gap``, ``done``, ``total``, ``note``);
    :meth:`log` prints a permanent line above it (e.g. one per finished K).
    """

    def __init__(self, quiet: bool = False, stream: TextIO | None = None, interval: float = PLAIN_INTERVAL_S):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.interval = interval
        self.status = Status()
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_plain = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    # -------------------------------------------------------------- context
    def __enter__(self) -> "LiveStatus":
        if self.quiet:
            return self
        if self.tty:
            console = Console(file=self.stream, stderr=True)
            self._live = Live(_Line(self.status), console=console, refresh_per_second=2, transient=True)
            self._live.__enter__()
        else:
            self._ticker = threading.Thread(target=self._tick, name="cpa-status", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None
        if self._ticker is not None:
            self._ticker.join(timeout=1.0)

    # -------------------------------------------------------------- updates
    def update(self, **fields) -> None:
        with self._lock:
            for key, value in fields.items():
                setattr(self.status, key, value)

    def log(self, text: str) -> None:
        """A permanent line on stderr (above the live line on a terminal)."""
        if self.quiet:
            return
        if self._live is not None:
            self._live.console.print(Text(text))
        else:
            print(text, file=self.stream, flush=True)

    def _tick(self) -> None:
        # Plain output: a line now and then, so a log shows the run is alive without being flooded.
        while not self._stop.wait(self.interval):
            with self._lock:
                line = self.status.line()
            print(line, file=self.stream, flush=True)


class _Line:
    """Renders the current status each time rich refreshes (so the elapsed time moves)."""

    def __init__(self, status: Status):
        self.status = status

    def __rich__(self) -> Text:
        return Text(self.status.line())


_BANNER_DONE = False


def _flush_c_stdio() -> None:
    # The banner sits in the C library's stdout buffer until flushed: flush it while fd 1 is redirected.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


def highs_banner_to_stderr(quiet: bool = False) -> None:
    """Let HiGHS print its once-per-process banner on stderr (nowhere if ``quiet``), not stdout.

    The banner comes from the C++ library when the first ``Highs`` object is
    made, straight to file descriptor 1; a Python-level redirect cannot catch it.
    """
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    import highspy  # only the commands that solve pay for importing the solver

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
        else:
            os.dup2(2, 1)
        with contextlib.suppress(Exception):
            highspy.Highs()
        _flush_c_stdio()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True
