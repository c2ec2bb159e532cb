"""Write a solve's outputs as one consistent set, whole or not at all.

Everything is rendered in memory first; only then is each file written
atomically (temporary file + rename), so an error or Ctrl-C before the end
leaves any earlier outputs in ``DIR`` untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import atomic
from .geography import Geography
from .metrics import dumps
from .optimise.solve import SolveResult
from .plan import plan_geodataframe
from .values import ContractValues


def solve_output_texts(result: SolveResult, geo: Geography, values: ContractValues,
                       with_map: bool = False) -> dict[str, str]:
    """File name -> contents for ``plan.csv``, ``plan.geojson``, ``run.json`` (and ``map.html``)."""
    plan, card = result.plan, result.scorecard
    texts = {
        "plan.csv": plan.to_frame().to_csv(index=False, lineterminator="\n"),
        "plan.geojson": plan_geodataframe(plan, geo, card.areas).to_json(drop_id=True, to_wgs84=True),
        "run.json": dumps({**result.report.to_dict(), "scorecard": card.summary}) + "\n",
    }
    if with_map:
        from .maps import interactive_map, render_html

        m = interactive_map([(plan.label, plan, card)], geo, values)
        texts["map.html"] = render_html(m)
    return texts


def write_solve_outputs(result: SolveResult, geo: Geography, values: ContractValues,
                        out_dir: str | os.PathLike, with_map: bool = False) -> list[Path]:
    return atomic.write_files(out_dir, solve_output_texts(result, geo, values, with_map))
