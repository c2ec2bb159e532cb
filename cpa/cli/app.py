"""The ``cpa`` command group and how it turns errors into one message and an exit code.

Every command meets bad input with one message (what, where, how to fix) and
exit code 2; infeasible requests exit 3; a solve that found no plan exits 4;
Ctrl-C exits 130 and SIGTERM 143, each after the same clean-up (no ``.part``
file, no half-written output set is ever left). Library warnings become one
``cpa: warning:`` line each, never a source line. Command modules import the
heavy libraries inside their functions, so that ``cpa --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import warnings
from typing import Iterator

import click

from ..errors import EXIT_BAD_INPUT, EXIT_SIGINT, EXIT_SIGTERM, CpaError, Terminated, show_warning_line

#: Set to 1 to let unexpected errors through with their traceback (for debugging cpa itself).
DEBUG_ENV = "CPA_DEBUG"
#: Exit code of an unexpected error (a bug in cpa or a library): one line, never a traceback.
EXIT_INTERNAL = 1


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`~cpa.errors.Terminated` (a KeyboardInterrupt) while the block runs.

    Only the main thread can set signal handlers; elsewhere (a test runner's
    thread, an embedding application) the handlers stay as they are.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Warnings on stderr as one ``cpa: warning:`` line each (no library path or source line);
    deprecation notices, which only a developer can act on, not at all."""
    with warnings.catch_warnings():
        warnings.showwarning = show_warning_line
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        yield


class CpaGroup(click.Group):
    """Turns CpaError (and a few library errors) into one clear message and an exit code."""

    def invoke(self, ctx):
        with sigterm_as_interrupt(), warnings_as_lines():
            try:
                return super().invoke(ctx)
            except CpaError as exc:
                label = "infeasible" if exc.exit_code == 3 else "error"
                click.echo(f"cpa: {label}: {exc}", err=True)
                sys.exit(exc.exit_code)
            except OSError as exc:
                # Input paths the OS refuses (no permission, a device): say which, no traceback.
                where = f" {exc.filename}" if exc.filename else ""
                click.echo(f"cpa: error: cannot write or read{where}: {exc.strerror or exc}\n"
                           "  hint: check the folder exists, is writable and has space", err=True)
                sys.exit(EXIT_BAD_INPUT)
            except Terminated:
                click.echo("cpa: terminated (SIGTERM); no partial output was written", err=True)
                sys.exit(EXIT_SIGTERM)
            except KeyboardInterrupt:
                click.echo("cpa: interrupted; no partial output was written", err=True)
                sys.exit(EXIT_SIGINT)
            except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
                raise
            except Exception as exc:
                if os.environ.get(DEBUG_ENV):
                    raise
                first = (str(exc).strip().splitlines() or [""])[0]
                click.echo(f"cpa: internal error: {type(exc).__name__}: {first}\n"
                           f"  hint: this is a bug in cpa; please report it with the command line "
                           f"(set {DEBUG_ENV}=1 for the traceback)", err=True)
                sys.exit(EXIT_INTERNAL)


@click.group(cls=CpaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cpa")
def main():
    """Contract package areas for probation in England and Wales.

    Partition the 318 local authority districts into K contiguous areas that
    balance contract value, coterminosity with police force areas, offender
    travel and market attractiveness; score any plan; draw maps.
    """
