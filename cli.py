"""Run the ``cpa`` command from a checkout: ``python cli.py ...`` (installed, it is ``cpa``)."""
from cpa.cli import main

if __name__ == "__main__":
    main(prog_name="cpa")
