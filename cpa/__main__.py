"""``python -m cpa``: the same as the ``cpa`` command."""

from .cli import main

main(prog_name="cpa")
