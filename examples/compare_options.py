"""Compare a solved plan with the plans probation has actually used, from Python.

Solves 35 areas (police force areas kept whole; seconds on two cores),
scores it beside the 35 Probation Trusts and the 21 CRC areas, prints the
table and the commentary, and writes the full comparison (report.html,
map.html, comparison.csv, each plan) to the folder given (default
``compare_example``)::

    python examples/compare_options.py [OUT_DIR]
"""

from __future__ import annotations

import sys

from cpa import Geography, SolveOptions, contract_values
from cpa.compare import Option, commentary, compare, render_table
from cpa.render.outputs import write_comparison


def main(out_dir: str = "compare_example") -> None:
    geo = Geography.default()
    values = contract_values(geo)  # police recorded crime, shared to LADs by adults; £450m a year in all
    options = [
        Option.solved(SolveOptions(k=35, time_limit=120), name="solved 35"),
        Option.reference("trusts35"),
        Option.reference("crc21"),
    ]
    result = compare(options, geo, values, progress=lambda line: print(line, file=sys.stderr))
    print(render_table(result.table))
    for line in commentary(result, n_trusts=35):
        print("-", line)
    paths = write_comparison(result, geo, values, out_dir, title="A solved 35 against the trusts and the CRCs")
    print(f"\nwrote {len(paths)} files; open {out_dir}/report.html", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:2])
