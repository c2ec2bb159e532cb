"""``python -m cpa``: the same as the ``cpa`` command."""

from .cli import main

# Guarded: the worker processes of a local Dask cluster are spawned and import the main module again.
if __name__ == "__main__":
    main(prog_name="cpa")
