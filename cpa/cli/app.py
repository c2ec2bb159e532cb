"""The ``cpa`` command group and how it turns errors into one message and an exit code.

Every command meets bad input with one message (what, where, how to fix) and
exit code 2; infeasible requests exit 3; a solve that found no plan exits 4;
Ctrl-C exits 130. Command modules import the heavy libraries inside their
functions, so that ``cpa --help`` stays fast.
"""

from __future__ import annotations

import sys

import click

from ..errors import EXIT_BAD_INPUT, EXIT_SIGINT, CpaError


class CpaGroup(click.Group):
    """Turns CpaError (and a few library errors) into one clear message and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CpaError as exc:
            label = "infeasible" if exc.exit_code == 3 else "error"
            click.echo(f"cpa: {label}: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            # Output paths the OS refuses (parent is a file, no permission, disk full): say which, no traceback.
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"cpa: error: cannot write or read{where}: {exc.strerror or exc}\n"
                       "  hint: check the folder exists, is writable and has space", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("cpa: interrupted; no partial output was written", err=True)
            sys.exit(EXIT_SIGINT)


@click.group(cls=CpaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cpa")
def main():
    """Contract package areas for probation in England and Wales.

    Partition the 318 local authority districts into K contiguous areas that
    balance contract value, coterminosity with police force areas, offender
    travel and market attractiveness; score any plan; draw maps.
    """
