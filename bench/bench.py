"""Benchmark the optimiser on the embedded England & Wales data.

Usage::

    python bench/bench.py                 # the issue's cases: strict K=16/21/35, soft K=16/21
    python bench/bench.py --quick         # strict cases only
    python bench/bench.py --case strict:16 --case soft:21 --time-limit 600 --out bench/results.csv

Prints one row per case (K, mode, variables, constraints, build and solve
seconds, status, objective, bound, gap, time to the first contiguous plan) and
writes the rows to a CSV. The status is the solver's proven status, never
PuLP's label.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpa import Geography, contract_values  # noqa: E402
from cpa.errors import CpaError  # noqa: E402
from cpa.optimise import SolveOptions, solve  # noqa: E402

DEFAULT_CASES = ["strict:16", "strict:21", "strict:35", "soft:16", "soft:21"]
COLUMNS = ["k", "mode", "formulation", "variables", "constraints", "binaries", "build_s", "solve_s", "wall_s", "status",
           "objective", "bound", "gap", "first_plan_s", "rounds", "restricted"]


def first_plan_seconds(report: dict) -> float | None:
    """Seconds until a contiguous plan was in hand (as reported, else seed stage or first contiguous round)."""
    if report.get("first_plan_seconds") is not None:
        return round(report["first_plan_seconds"], 2)
    for stage in report.get("stages", []):
        if stage.get("heuristic_seconds") is not None:  # greedy + local search plan before any MIP
            return round(stage["heuristic_seconds"], 2)
        if stage.get("used") and stage.get("seconds") is not None:
            return round(stage["seconds"], 2)
    t = report.get("build_seconds", 0.0)
    for r in report.get("rounds", []):
        t += r["seconds"]
        if r.get("objective") is not None and r.get("pieces", 0) == 0:
            return round(t, 2)
    return None


def run_case(geo, values, case: str, time_limit: float) -> dict:
    mode, k = case.split(":")
    t0 = time.perf_counter()
    try:
        r = solve(geo, values, SolveOptions(k=int(k), coterminous=mode, time_limit=time_limit))
    except CpaError as exc:
        return {"k": k, "mode": mode, "status": f"{type(exc).__name__}: {exc.message}",
                "wall_s": round(time.perf_counter() - t0, 2)}
    rep = r.report
    fmt = lambda x, d=4: None if x is None else round(float(x), d)  # noqa: E731
    return {
        "k": int(k), "mode": mode, "formulation": rep["model"].get("formulation", "compact MIP"),
        "variables": rep["model"]["variables"],
        "constraints": rep["model"]["constraints"], "binaries": rep["model"]["binaries"],
        "build_s": fmt(rep["build_seconds"], 2), "solve_s": fmt(rep["solve_seconds"], 2),
        "wall_s": fmt(rep["wall_seconds"], 2), "status": rep["status"], "objective": fmt(rep["objective"]),
        "bound": fmt(rep["bound"]), "gap": None if rep["gap"] is None else f"{rep['gap']:.4%}",
        "first_plan_s": first_plan_seconds(rep), "rounds": len(rep["rounds"]),
        "restricted": rep["model"].get("restricted", False),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", action="append", help="MODE:K, e.g. strict:16 (repeatable)")
    ap.add_argument("--quick", action="store_true", help="strict cases only")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.csv")
    args = ap.parse_args()
    cases = args.case or ([c for c in DEFAULT_CASES if c.startswith("strict")] if args.quick else DEFAULT_CASES)
    geo = Geography.default()
    values = contract_values(geo)
    print(f"# cpa bench on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}), "
          f"time limit {args.time_limit:g} s per case", flush=True)
    print(" | ".join(COLUMNS), flush=True)
    rows = []
    for case in cases:
        row = run_case(geo, values, case, args.time_limit)
        rows.append(row)
        print(" | ".join("" if row.get(c) is None else str(row.get(c)) for c in COLUMNS), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".part")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, args.out)
    print(f"# wrote {args.out}")


if __name__ == "__main__":
    main()
