"""Scaling benchmark: the engine on synthetic geographies of n units, K ~ n/25.

Usage::

    python bench/scale.py                                        # n = 100, 400; soft and off; 60 s
    python bench/scale.py --sizes 100,400,1600,6400 --time-limits 60,600   # the full run (hours)
    python bench/scale.py --sizes 100 --modes off --time-limits 10         # a CI-sized smoke run

Each case (n, coterminosity mode, time limit) runs in its own child process, which builds the
synthetic geography (:mod:`cpa.synthetic`; ``--kind``, default Voronoi), calls the public
``cpa.optimise.solve`` and prints one JSON line. The parent waits for it with ``os.wait4``,
whose resource usage is that child's alone, its own children included (the kernel's
``RUSAGE_CHILDREN`` view of one child), so ``peak_mb`` is the case's maximum resident set
size; ``resource.getrusage(RUSAGE_CHILDREN)`` after all cases is printed as a cross-check.

"Gap at 60 s" and "at 600 s" are the proven gaps of separate solves with those time limits
(the solver's own status; no bound means no gap). Prints a table, then how each measure
grows with n (the exponent b of a least-squares fit ``measure ~ n^b``), and writes
``bench/scale.csv`` and the log-log picture ``bench/scale.png``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

COLUMNS = ["n", "kind", "k", "mode", "time_limit", "geography_s", "first_plan_s", "status", "objective", "bound",
           "gap", "solve_s", "peak_mb", "load_avg", "error"]
#: Child processes get the time limit plus this long to build, write and exit before being killed.
GRACE_S = 300.0


# ----------------------------------------------------------------- the child
def worker(case: dict) -> dict:
    """Build the synthetic geography and solve it; the row of the table (no peak memory)."""
    from cpa.errors import CpaError
    from cpa.optimise import SolveOptions, solve
    from cpa.synthetic import synthetic_geography

    row = {k: case[k] for k in ("n", "kind", "k", "mode", "time_limit")}
    t0 = time.perf_counter()
    s = synthetic_geography(case["n"], case["kind"], seed=case["seed"])
    row["geography_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    try:
        r = solve(s.geo, s.values, SolveOptions(k=case["k"], coterminous=case["mode"],
                                                time_limit=case["time_limit"], seed=case["seed"]))
    except CpaError as exc:  # infeasible or no plan in time: a row, not a crash
        row.update(status=type(exc).__name__, error=exc.message, solve_s=round(time.perf_counter() - t0, 2))
        return row
    rep = r.report
    row.update(first_plan_s=rep.first_plan_seconds, status=rep.status, objective=rep.objective,
               bound=rep.bound, gap=rep.gap, solve_s=round(time.perf_counter() - t0, 2))
    return row


# ---------------------------------------------------------------- the parent
def run_case(case: dict) -> dict:
    """One case in a child process; its row with ``peak_mb`` from the child's own rusage and the
    machine's 1-minute load average at the start (other work on the machine slows every number)."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out:  # a file, not a pipe: solver logs can never fill it and block
        proc = subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(case)],
                                stdout=out, stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + case["time_limit"] + GRACE_S
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        last = (out.read().strip().splitlines() or [""])[-1]
    row = json.loads(last) if last.startswith("{") else {
        **{k: case[k] for k in ("n", "kind", "k", "mode", "time_limit")},
        "status": "crashed" if proc.returncode else "no output",
        "error": f"exit code {proc.returncode}" + (" (killed at the deadline)" if proc.returncode < 0 else "")}
    row["peak_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
    row["load_avg"] = round(load, 1)
    return row


def growth(rows: list[dict], key: str) -> dict[tuple, float]:
    """Per (mode, time limit): b in ``key ~ n^b`` (least squares in log-log), where 2+ sizes have values."""
    out = {}
    for group in sorted({(r["mode"], r["time_limit"]) for r in rows}):
        pts = [(math.log(r["n"]), math.log(r[key])) for r in rows
               if (r["mode"], r["time_limit"]) == group and isinstance(r.get(key), (int, float)) and r[key] > 0]
        if len({x for x, _ in pts}) >= 2:
            mx = sum(x for x, _ in pts) / len(pts)
            my = sum(y for _, y in pts) / len(pts)
            out[group] = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    return out


def fmt(value, key: str) -> str:
    if value is None:
        return "-"
    if key == "gap":
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.2f}" if key not in ("objective", "bound") else f"{value:.4f}"
    return str(value)


def table(rows: list[dict]) -> str:
    cols = [c for c in COLUMNS if c != "error"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r.get(c), c) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def picture(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("first_plan_s", "time to the first plan (s)"), ("gap", "proven gap at the time limit"),
              ("peak_mb", "peak memory (MB, max RSS)")]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    groups = sorted({(r["mode"], r["time_limit"]) for r in rows})
    # One colour per (mode, limit); markers of different sizes, so equal values stay visible.
    style = {g: (f"C{i}", 9 - 3 * (i % 2)) for i, g in enumerate(groups)}
    for ax, (key, title) in zip(axes, panels):
        for mode, limit in groups:
            colour, size = style[(mode, limit)]
            pts = sorted((r["n"], r[key]) for r in rows if (r["mode"], r["time_limit"]) == (mode, limit)
                         and isinstance(r.get(key), (int, float)) and r[key] > 0)
            if pts:
                ax.plot(*zip(*pts), marker="o", markersize=size, color=colour, label=f"{mode}, {limit:g} s")
            if key == "gap":  # a plan but no bound: an unbounded gap, drawn as x at 100%
                unbounded = [r["n"] for r in rows if (r["mode"], r["time_limit"]) == (mode, limit)
                             and r.get("objective") is not None and r.get("gap") is None]
                if unbounded:
                    ax.plot(unbounded, [1.0] * len(unbounded), "x", markersize=size + 2, color=colour,
                            label=f"{mode}, {limit:g} s: no bound")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("units n (K = n/25)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("cpa scaling on synthetic geographies (no point: no plan, or a zero gap)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_csv(rows: list[dict], path: Path) -> None:
    tmp = path.with_suffix(".part")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def numbers(text: str, kind=int) -> list:
    return [kind(x) for x in text.split(",") if x.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,400", help="units n, comma-separated [100,400]")
    ap.add_argument("--modes", default="soft,off", help="coterminosity modes [soft,off]")
    ap.add_argument("--time-limits", default="60", help="seconds per solve, comma-separated [60]; e.g. 60,600")
    ap.add_argument("--kind", default="voronoi", choices=["square", "hex", "voronoi"])
    ap.add_argument("--units-per-area", type=float, default=25.0, help="K = round(n / this) [25]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "scale.csv", help="CSV [bench/scale.csv]; PNG beside it")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker)), default=float), flush=True)
        return

    cases = [{"n": n, "kind": args.kind, "k": max(2, round(n / args.units_per_area)), "mode": mode,
              "time_limit": limit, "seed": args.seed}
             for limit in numbers(args.time_limits, float) for n in numbers(args.sizes)
             for mode in args.modes.split(",")]
    print(f"# cpa scale bench on {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}); "
          f"load average {os.getloadavg()[0]:.1f} at start; {len(cases)} cases", flush=True)
    rows = []
    for case in cases:
        row = run_case(case)
        rows.append(row)
        print(f"n={row['n']} K={row['k']} {row['mode']} {row['time_limit']:g}s: {row.get('status')}, first plan "
              f"{fmt(row.get('first_plan_s'), '')} s, gap {fmt(row.get('gap'), 'gap')}, "
              f"{row['peak_mb']:,.0f} MB{'; ' + row['error'] if row.get('error') else ''}", flush=True)
        write_csv(rows, args.out)  # after every case: a long run stopped early keeps what it measured
    print()
    print(table(rows))
    print()
    for key, label in (("first_plan_s", "time to first plan"), ("solve_s", "solve wall time"),
                       ("peak_mb", "peak memory")):
        for (mode, limit), b in growth(rows, key).items():
            print(f"{label} ({mode}, {limit:g} s) grows as n^{b:.2f}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"# largest child peak (RUSAGE_CHILDREN): {children:,.0f} MB; load average {os.getloadavg()[0]:.1f} at end")
    png = args.out.with_suffix(".png")
    picture(rows, png)
    print(f"# wrote {args.out} and {png}")


if __name__ == "__main__":
    main()
