"""The file sets each command writes: a solve, a comparison, a sweep.

Everything is rendered in memory first; only then is each file written
atomically (temporary file + rename), so an error or Ctrl-C before the end
leaves any earlier outputs in ``DIR`` untouched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..compare.commentary import commentary
from ..compare.comparison import ComparisonResult
from ..compare.sweep import SWEEP_MAPS, SWEEP_MARKERS
from ..compare.table import display_rows
from ..geography import Geography
from ..io import atomic
from ..io.safe import csv_text, markdown_cell
from ..io.plans import plan_csv_text, plan_geojson_text
from ..io.serialise import SCHEMA_VERSION, dumps
from ..naming import solve_label
from ..optimise.solve import SolveResult
from ..values import ContractValues
from .figures import sweep_figures, travel_figure, value_figure
from .maps import interactive_map, render_html
from .png import sweep_maps_png
from .report import report_html
from .text import markdown_table


def repair_record(geo: Geography) -> dict:
    """``{"boundary_repair": ...}`` when loading changed the user's boundaries, for run.json; else nothing."""
    return {} if geo.repair is None else {"boundary_repair": geo.repair.to_dict()}


def solve_output_texts(result: SolveResult, geo: Geography, values: ContractValues,
                       with_map: bool = False) -> dict[str, str]:
    """File name -> contents for ``plan.csv``, ``plan.geojson``, ``run.json`` (and ``map.html``)."""
    plan, card = result.plan, result.scorecard
    report = result.report.to_dict()
    areas = [{"area": a, "name": plan.name(a), "description": str(card.areas.at[a, "description"])}
             for a in sorted(card.areas.index)]
    texts = {
        "plan.csv": plan_csv_text(plan),
        "plan.geojson": plan_geojson_text(plan, geo, card.areas),
        "run.json": dumps({"schema_version": SCHEMA_VERSION, **report, **repair_record(geo),
                           "label": solve_label(report["options"]), "areas": areas,
                           "scorecard": card.summary}) + "\n",
    }
    if with_map:
        m = interactive_map([(solve_label(report["options"]), plan, card)], geo, values)
        texts["map.html"] = render_html(m)
    return texts


def write_solve_outputs(result: SolveResult, geo: Geography, values: ContractValues,
                        out_dir: str | os.PathLike, with_map: bool = False) -> list[Path]:
    return atomic.write_files(out_dir, solve_output_texts(result, geo, values, with_map))


#: Longest option folder name (the option's name is in comparison.csv and the report in full).
MAX_DIR_CHARS = 60
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def option_dirs(names: Iterable[str]) -> dict[str, str]:
    """Option name -> a safe, unique folder name (``K=16`` -> ``K_16``): letters, digits and ``._-`` only,
    at most :data:`MAX_DIR_CHARS` long (file systems refuse names over 255 bytes), never a name Windows
    reserves (``CON``, ``NUL``, ...)."""
    out, used = {}, set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:MAX_DIR_CHARS].strip("._") or "option"
        if base.split(".")[0].upper() in WINDOWS_RESERVED:
            base = f"{base}_"
        slug, i = base, 2
        while slug.lower() in used:
            slug, i = f"{base}_{i}", i + 1
        used.add(slug.lower())
        out[name] = slug
    return out




def comparison_texts(result: ComparisonResult, geo: Geography, values: ContractValues,
                     title: str | None = None, description: str | None = None) -> dict[str, str | bytes]:
    """Relative path -> contents of every file :func:`write_comparison` writes, all rendered in memory."""
    title = title or "Comparison of contract package area options"
    trusts = geo.references.get("trusts35")
    notes = commentary(result, None if trusts is None else int(trusts["area"].nunique()))
    dirs = option_dirs(result.table["name"])
    files: dict[str, str | bytes] = {}
    for name in result.table["name"]:
        plan, card, report = result.plans[name], result.cards[name], result.reports[name]
        if report is not None:
            texts = solve_output_texts(SolveResult(plan, card, report), geo, values)
        else:
            texts = {"plan.csv": plan_csv_text(plan), "plan.geojson": plan_geojson_text(plan, geo, card.areas)}
        files.update({f"{dirs[name]}/{f}": text for f, text in texts.items()})
    pngs = {"values.png": value_figure(result), "travel.png": travel_figure(result)}
    files.update(pngs)
    layers = [(name, result.plans[name], result.cards[name]) for name in result.table["name"]]
    files["map.html"] = render_html(interactive_map(layers, geo, values))
    files["comparison.csv"] = csv_text(result.table)
    md = [f"# {markdown_cell(title)}", ""] + ([markdown_cell(description), ""] if description else [])
    md += [markdown_table(*display_rows(result.table)), "", "## What the numbers say", ""]
    md += [f"- {markdown_cell(n)}" for n in notes]
    md += ["", f"_Values: {markdown_cell(values.label)}. Travel: {markdown_cell(geo.distance_note)}._", ""]
    files["comparison.md"] = "\n".join(md)
    files["report.html"] = report_html(result, values, geo, notes, pngs, dirs, title, description, files["map.html"])
    return files


def write_comparison(result: ComparisonResult, geo: Geography, values: ContractValues,
                     out_dir: str | os.PathLike, title: str | None = None,
                     description: str | None = None) -> list[Path]:
    """Write DIR/comparison.csv, comparison.md, report.html, map.html, values.png, travel.png and
    DIR/<option>/plan.csv, plan.geojson (+ run.json for solves). Returns the paths written (report.html last)."""
    files = comparison_texts(result, geo, values, title, description)
    report = files.pop("report.html")
    files["report.html"] = report  # written last, so it only ever links to files already in place
    return atomic.write_files(out_dir, files)




def chosen_ks(results: dict, wanted: Sequence[int] = SWEEP_MAPS, most: int = 4) -> list[int]:
    """The Ks to draw as small maps: those of ``wanted`` the sweep solved, else up to ``most`` spread evenly."""
    have = sorted(results)
    picked = [k for k in wanted if k in results]
    if picked or not have:
        return picked
    idx = np.unique(np.linspace(0, len(have) - 1, min(most, len(have))).round().astype(int))
    return [have[i] for i in idx]


def write_sweep(df: pd.DataFrame, out_dir: str | os.PathLike, references: pd.DataFrame | None = None,
                markers: Sequence[int] = SWEEP_MARKERS, results: dict | None = None,
                geo: Geography | None = None, values: ContractValues | None = None,
                map_ks: Sequence[int] = SWEEP_MAPS, notes: Sequence[str] = ()) -> list[Path]:
    """Write DIR/sweep.csv and the PNG curves (see :func:`sweep_figures`); ``references`` from
    :func:`reference_points` are drawn as labelled stars. With the sweep's ``results`` (and ``geo``,
    ``values``), every K's plan files go to DIR/k16/plan.csv, plan.geojson, run.json, ... and the plans
    of ``map_ks`` (those solved) are drawn side by side in sweep_maps.png; ``notes`` (the commentary)
    go to sweep.md."""
    files: dict[str, str | bytes] = dict(sweep_figures(df, references, markers))
    if results:
        for k, result in results.items():
            texts = solve_output_texts(result, geo, values)
            files.update({f"k{k}/{name}": text for name, text in texts.items()})
        ks = chosen_ks(results, map_ks)
        if ks:
            files["sweep_maps.png"] = sweep_maps_png(results, geo, ks)
    if references is not None and len(references):
        files["references.csv"] = csv_text(references)
    files["sweep.csv"] = csv_text(df)
    if notes:
        files["sweep.md"] = "# Sweep\n\n" + "".join(f"- {markdown_cell(n)}\n" for n in notes)
    return atomic.write_files(out_dir, files)
