"""One exception type for everything a user can get wrong.

A :class:`CpaError` carries a message that says what is wrong and where, and a
hint that says how to fix it. The CLI prints both and exits non-zero; it never
shows a traceback for a ``CpaError``. The subclasses carry their exit codes.
"""

from __future__ import annotations

import sys
from typing import Iterable

#: Exit codes of the CLI, one per kind of outcome.
EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 2, 3, 4
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so the same clean-up runs (exit 143)."""


class CpaError(Exception):
    """A problem with the user's input or request, explained for a person."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InfeasibleRequest(CpaError):
    """The options cannot all hold at once; the message names the binding rule."""

    exit_code = EXIT_INFEASIBLE


class NoPlanFound(CpaError):
    """The time limit ran out before any contiguous plan was found."""

    exit_code = EXIT_NO_PLAN


def show_warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A ``warnings.showwarning`` that prints ``cpa: warning: <first line>`` on stderr: no library
    path, no source line (the CLI and sweep workers install it)."""
    text = str(message).strip().splitlines()
    sys.stderr.write(f"cpa: warning: {text[0] if text else category.__name__}\n")
    sys.stderr.flush()


def list_items(items: Iterable, limit: int = 8) -> str:
    """``a, b, c and 5 more``: a short list of codes or names for a message."""
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
