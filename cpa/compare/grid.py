"""Scenario grids: the cross product of a scenario's axes, solved on Dask and stored as each solve finishes.

A grid scenario is a TOML file (see ``examples/grid_value_models.toml``)::

    title = "Is 16 the right number?"
    [defaults]                        # settings every solve shares: the `cpa solve` flags without dashes
    time-limit = 120
    [axes]                            # every combination of these lists is one solve
    areas = "12-21"                   # K: a range, a list, or a list of ranges
    value-model = ["crime", "adults"] # and/or values = ["caseload.csv"]: together the axis `values`
    coterminous = ["strict", "soft"]
    min-value = ["none", 10]          # "none": the setting left out
    keep-whole = [[], ["Wales"]]      # groups kept whole, by name
    [sets.plain]                      # named option sets: one more axis, `set`
    [sets.travel-first]
    w-travel = 2

Any solve setting can be an axis. A solve's settings are, later winning: the
command line's defaults, ``[defaults]``, its option set, its axis values, then
the flags typed on the command line (which may not name an axis).

Every point of the product is one solve, keyed by a hash of the geography,
the values, the options (time limit included; solver threads, which only
change the speed, not) and the solver and cpa versions (:func:`solve_key`).
:class:`ResultStore` keeps each result under ``OUT/solves/<key>/`` (the plan
and one row) as soon as it comes back, written by the client, so an
interrupted grid resumes where it stopped and a re-run of an unchanged
scenario solves nothing: failed solves are tried again, finished ones (proven,
time-limited or infeasible) only with ``retry_unproven`` for those not proven.

Bad scenarios (unknown axis, a value the solve would reject, an empty product,
more than :data:`MAX_SOLVES` solves without ``allow_large``) are refused by
:func:`expand_grid` before any solve starts, naming the key.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from .. import __version__
from ..errors import CpaError, InfeasibleRequest
from ..geography import Geography
from ..io import atomic, values_from_table
from ..io.plans import plan_csv_text, read_plan
from ..io.serialise import dumps, plain
from ..optimise.blocks import build_blocks
from ..optimise.solvers import solver_version
from ..options import SolveOptions, options_from_settings
from ..progress import highs_banner_to_stderr
from ..values import DEFAULT_TOTAL_M, MODELS, ContractValues, contract_values
from .scenario import SCENARIO_SETTINGS, _resolve, _setting, _settings, _unknown, load_toml
from .sweep import parse_k_values, solve_row
from .table import INT_COLUMNS, SWEEP_COLUMNS
from .tradeoffs import mark_dominated

#: A product larger than this needs an explicit yes (``--yes``).
MAX_SOLVES = 500
GRID_TOP = ("title", "description", "out", "defaults", "axes", "sets")
#: Axes that are not solve settings: the number of areas and the value source (a model or a value file).
SPECIAL_AXES = ("areas", "value_model", "values")
#: Settings an axis may leave out with "none".
OPTIONAL_SETTINGS = ("min_value", "max_value", "max_share", "max_pfas", "start", "gap", "threads")
GRID_HINT = "see examples/grid_value_models.toml for the format"

#: Statuses of a finished solve, proven (not tried again) or not (tried again with ``retry_unproven``).
PROVEN = ("optimal", "infeasible")
UNPROVEN = ("feasible", "no_solution")
#: Columns of the results table besides the axes.
RESULT_COLUMNS = tuple(c for c in SWEEP_COLUMNS if c != "K") + ("solver_version", "key", "plan_file")


# ---------------------------------------------------------------------------------------------- scenario
@dataclass
class GridScenario:
    """A grid as read from TOML; settings in the CLI's names and units (£m, percent)."""
    path: Path
    ks: list[int]
    axes: dict[str, list]                      # setting -> its values (None: left out), in file order
    value_sources: list[str] = field(default_factory=list)  # model names and value files, in file order
    defaults: dict = field(default_factory=dict)
    sets: dict[str, dict] = field(default_factory=dict)
    title: str | None = None
    description: str | None = None
    out: str | None = None

    def axis_sizes(self, default_values: int = 1) -> dict[str, int]:
        """Axis name -> number of values (``values`` counts ``default_values`` when the file gives none)."""
        sizes = {"areas": len(self.ks), "values": len(self.value_sources) or default_values}
        sizes.update({k: len(v) for k, v in self.axes.items()})
        if self.sets:
            sizes["set"] = len(self.sets)
        return sizes


def _where(key: str) -> str:
    return f"[axes] {key.replace('_', '-')}"


def _axis_values(path: Path, key: str, raw, base_dir: Path) -> list:
    name = key.replace("-", "_")
    entries = raw if isinstance(raw, list) else [raw]
    # keep-whole and lock take lists: an axis of them is a list of lists (a plain list is one value).
    if SCENARIO_SETTINGS[name] is list and isinstance(raw, list) and not any(isinstance(e, list) for e in raw):
        entries = [raw]
    if not entries:
        raise CpaError(f"scenario {path}: {_where(key)} is empty, so the grid has no solves",
                       "give the axis at least one value, or remove it")
    out = []
    for entry in entries:
        if isinstance(entry, str) and entry.strip().lower() == "none":
            if name not in OPTIONAL_SETTINGS + ("keep_whole", "lock"):
                raise CpaError(f"scenario {path}: {_where(key)}: {name.replace('_', '-')} cannot be \"none\"",
                               f"\"none\" leaves out one of: {', '.join(OPTIONAL_SETTINGS)}")
            out.append(() if SCENARIO_SETTINGS[name] is list else None)
            continue
        out.append(_setting(path, _where(key), key, entry, base_dir)[1])
    dupes = sorted({repr(v) for v in out if out.count(v) > 1})
    if dupes:
        raise CpaError(f"scenario {path}: {_where(key)} lists {', '.join(dupes)} more than once",
                       "list each value once")
    return out


def read_grid_scenario(path: str | os.PathLike) -> GridScenario:
    """Read and check a grid scenario (TOML); any problem is one :class:`CpaError` naming the file and key."""
    p, doc = load_toml(path, GRID_HINT)
    for key in doc:
        if key not in GRID_TOP:
            hint = "a grid scenario lists [axes], not [[option]]s (that is `cpa compare --scenario`)" \
                if key == "option" else None
            err = _unknown(p, "the top level", key, GRID_TOP)
            raise CpaError(err.message, hint or err.hint)
    for key in ("title", "description", "out"):
        if key in doc and not isinstance(doc[key], str):
            raise CpaError(f"scenario {p}: {key} should be text, got {doc[key]!r}", GRID_HINT)
    base_dir = p.parent
    for key in ("defaults", "axes", "sets"):
        if key in doc and not isinstance(doc[key], dict):
            raise CpaError(f"scenario {p}: {key} should be a table ([{key}])", GRID_HINT)
    defaults = _settings(p, "[defaults]", doc.get("defaults", {}), base_dir)
    axes_doc = doc.get("axes", {})
    if not any(k.replace("-", "_") == "areas" for k in axes_doc):
        raise CpaError(f"scenario {p}: [axes] needs areas (the numbers of areas K to solve)",
                       'e.g. areas = "6-43" or areas = [12, 16, 21]; ' + GRID_HINT)
    ks: list[int] = []
    sources: list[str] = []
    axes: dict[str, list] = {}
    for key, raw in axes_doc.items():
        name = key.replace("-", "_")
        if name == "areas":
            specs = raw if isinstance(raw, list) else [raw]
            if not specs:
                raise CpaError(f"scenario {p}: {_where(key)} is empty, so the grid has no solves",
                               'e.g. areas = "6-43"')
            if not all(isinstance(s, (int, str)) and not isinstance(s, bool) for s in specs):
                raise CpaError(f"scenario {p}: {_where(key)} should be K, a range \"A-B\" or a list of them, "
                               f"got {raw!r}", 'e.g. areas = "6-43" or areas = [12, 16, 21]')
            try:
                ks = parse_k_values([str(s) for s in specs])
            except CpaError as exc:  # its message names --areas: say which key instead
                raise CpaError(f"scenario {p}: {_where(key)}: {exc.message.split(': ', 1)[-1]}",
                               'e.g. areas = "6-43" or areas = [12, 16, 21]') from None
        elif name in ("value_model", "values"):
            entries = raw if isinstance(raw, list) else [raw]
            if not entries:
                raise CpaError(f"scenario {p}: {_where(key)} is empty, so the grid has no solves",
                               "list at least one value model or value file, or remove the axis")
            for e in entries:
                if not isinstance(e, str) or not e.strip():
                    raise CpaError(f"scenario {p}: {_where(key)} should list "
                                   f"{'model names' if name == 'value_model' else 'value files'}, got {e!r}",
                                   f"value models: {', '.join(MODELS)}")
                e = e.strip()
                if name == "value_model" and e not in MODELS:
                    err = _unknown(p, _where(key), e, MODELS)
                    raise CpaError(f"scenario {p}: {_where(key)}: unknown value model {e!r}", err.hint)
                source = e if name == "value_model" else _resolve(e, base_dir)
                if name == "values" and not Path(source).is_file():
                    raise CpaError(f"scenario {p}: {_where(key)}: value file not found: {e}",
                                   "value files are relative to the scenario's folder")
                if source in sources:
                    raise CpaError(f"scenario {p}: {_where(key)} lists {e!r} more than once", "list each once")
                sources.append(source)
        elif name in SCENARIO_SETTINGS:
            axes[name] = _axis_values(p, key, raw, base_dir)
        else:
            err = _unknown(p, "[axes]", key, SPECIAL_AXES + tuple(SCENARIO_SETTINGS))
            raise CpaError(err.message, err.hint)
    sets = {}
    for set_name, table in doc.get("sets", {}).items():
        if not isinstance(table, dict):
            raise CpaError(f"scenario {p}: sets.{set_name} should be a table ([sets.{set_name}])", GRID_HINT)
        settings = _settings(p, f"[sets.{set_name}]", table, base_dir)
        clash = sorted(set(settings) & set(axes))
        if clash:
            raise CpaError(f"scenario {p}: [sets.{set_name}] sets {', '.join(clash)}, which is also an axis",
                           "give that setting either in the sets or as an axis, not both")
        sets[set_name] = settings
    return GridScenario(p, ks, axes, sources, defaults, sets, doc.get("title"), doc.get("description"),
                        doc.get("out"))


# ------------------------------------------------------------------------------------------ expansion
@dataclass(frozen=True)
class GridPoint:
    """One solve of the grid: its axis labels (table column -> value), value source, options and key."""
    labels: dict
    values: str
    options: SolveOptions
    key: str


@dataclass
class Grid:
    """A scenario expanded against a geography: the value tables and every point of the product."""
    scenario: GridScenario
    values: dict[str, ContractValues]
    points: list[GridPoint]
    axes: list[str]             # the table's axis columns, in order

    @property
    def sizes(self) -> dict[str, int]:
        return self.scenario.axis_sizes(len(self.values))


@functools.lru_cache(maxsize=None)
def _solver_version(name: str) -> str:
    return solver_version(name)


def solve_key(geo: Geography, values: ContractValues, options: SolveOptions) -> str:
    """The key a result is stored under: a hash of the geography, the values, the options (time limit
    included, solver threads not) and the solver and cpa versions."""
    opts = options.to_dict()
    opts.pop("threads")  # changes how fast, not what a proven answer is; a cluster may use other counts
    text = json.dumps({"geo": geo.fingerprint, "values": values.fingerprint, "options": opts,
                       "solver": _solver_version(options.solver), "cpa": __version__}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def label(value):
    """How an axis value reads in the table: numbers stay numbers, lists are joined, nothing is "none"."""
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return "+".join(str(v) for v in value) if value else "none"
    return value


def _source_labels(sources: list[str]) -> dict[str, str]:
    """Value source -> its label: a model's name, a file's stem (its path if two stems clash)."""
    stems = [s if s in MODELS else Path(s).stem for s in sources]
    return {s: (stem if stems.count(stem) == 1 else s) for s, stem in zip(sources, stems)}


def load_values(geo: Geography, sources: list[str], total_m: float | None) -> dict[str, ContractValues]:
    """Label -> contract values of each value model or value file (read here, on the client)."""
    out = {}
    for source, name in _source_labels(sources).items():
        if source in MODELS:
            out[name] = contract_values(geo, source, DEFAULT_TOTAL_M if total_m is None else total_m)
        else:
            out[name] = values_from_table(geo, source, total_m)
    return out


def expand_grid(scenario: GridScenario, geo: Geography, values: dict[str, ContractValues],
                build_options: Callable[..., SolveOptions] = options_from_settings, base: dict | None = None,
                override: dict | None = None, to_codes: Callable | None = None,
                allow_large: bool = False) -> Grid:
    """Every point of the scenario's product, checked before anything is solved.

    ``values`` maps a label to contract values (:func:`load_values`); when the
    scenario has no value axis, pass the one table the command line gives.
    ``build_options(k, **settings)`` turns settings into SolveOptions
    (default :func:`~cpa.options.options_from_settings`); ``base`` holds the
    command line's settings and ``override`` the flags typed on it; ``to_codes(options,
    geo)`` turns names of keep-whole groups and locks into codes. A product
    larger than :data:`MAX_SOLVES` needs ``allow_large``.
    """
    p = scenario.path
    clash = sorted(set(override or {}) & set(scenario.axes))
    if clash:
        flags = ", ".join("--" + c.replace("_", "-") for c in clash)
        raise CpaError(f"{flags} on the command line would override the axis {clash[0]} of scenario {p}",
                       "change the axis in the scenario, or leave the flag out")
    sizes = scenario.axis_sizes(len(values))
    total = math.prod(sizes.values())
    if total > MAX_SOLVES and not allow_large:
        shown = " x ".join(f"{k} {n}" for k, n in sizes.items())
        raise CpaError(f"scenario {p} asks for {total:,} solves ({shown}), more than {MAX_SOLVES}",
                       "add --yes to run them all, or shorten an axis")
    sets = scenario.sets or {None: {}}
    axis_names = list(scenario.axes)
    axis_columns = ["K", "values"] + axis_names + (["set"] if scenario.sets else [])
    start_checked: set[str] = set()

    def settings_of(set_settings: dict, chosen: dict) -> dict:
        return {**(base or {}), **scenario.defaults, **set_settings, **chosen, **(override or {})}

    def build(k: int, settings: dict, what: str) -> SolveOptions:
        try:
            opts = build_options(k, **settings)
            if to_codes is not None:
                opts = to_codes(opts, geo)
            if opts.start and opts.start not in start_checked:
                read_plan(opts.start, geo)
                start_checked.add(opts.start)
        except CpaError as exc:
            raise CpaError(f"scenario {p}: {what}: {exc.message}", exc.hint) from None
        return opts

    # The defaults, then each axis value and each set alone, so that an error names one key; then every combination.
    build(scenario.ks[0], settings_of({}, {}), "[defaults] (with the command line's flags)")
    for name, vals in scenario.axes.items():
        for v in vals:
            build(scenario.ks[0], settings_of({}, {name: v}), f"{_where(name)} = {_shown(v)}")
    for set_name, set_settings in sets.items():
        if set_name is not None:
            build(scenario.ks[0], settings_of(set_settings, {}), f"[sets.{set_name}]")

    points = []
    checked_blocks: set = set()
    combos = _product(scenario.axes)
    for vlabel, vals in values.items():
        for set_name, set_settings in sets.items():
            for chosen in combos:
                what = ", ".join(f"{k.replace('_', '-')} = {_shown(v)}" for k, v in chosen.items())
                what = f"[axes] {what}" + (f" with [sets.{set_name}]" if set_name else "")
                for k in scenario.ks:
                    opts = build(k, settings_of(set_settings, chosen), what or "[defaults]")
                    _check_rules(geo, vals, opts, checked_blocks, f"scenario {p}: {what or '[defaults]'}")
                    labels = {"K": k, "values": vlabel, **{n: label(chosen[n]) for n in axis_names}}
                    if scenario.sets:
                        labels["set"] = set_name
                    points.append(GridPoint(labels, vlabel, opts, solve_key(geo, vals, opts)))
    return Grid(scenario, values, points, axis_columns)


def _shown(value) -> str:
    """An axis value as the scenario file writes it, for messages."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return repr("+".join(map(str, value))) if value else "[]"
    return "none" if value is None else repr(value)


def _product(axes: dict[str, list]) -> list[dict]:
    combos: list[dict] = [{}]
    for name, vals in axes.items():
        combos = [{**c, name: v} for c in combos for v in vals]
    return combos


def _check_rules(geo: Geography, values: ContractValues, options: SolveOptions, seen: set, where: str) -> None:
    """Groups kept whole and locks that no K can satisfy (e.g. two labels in one PFA) are refused now."""
    if not options.keep_whole and not options.locks:
        return
    key = (options.coterminous, options.keep_whole, options.locks)  # what the blocks are made of
    if key in seen:
        return
    seen.add(key)

    try:
        build_blocks(geo, values, replace(options, k=1))
    except InfeasibleRequest:
        return  # depends on K and the values: a row with its reason, as in a sweep
    except CpaError as exc:
        raise CpaError(f"{where}: {exc.message}", exc.hint) from None


# ---------------------------------------------------------------------------------------------- store
class ResultStore:
    """One folder per solve key under ``OUT/solves``: ``plan.csv`` (if a plan was found), then ``row.json``.

    ``row.json`` is written last, each file whole or not at all, so a row on
    disk always has its plan beside it.
    """

    def __init__(self, out_dir: str | os.PathLike):
        self.out = Path(out_dir)
        self.root = self.out / "solves"

    def row(self, key: str) -> dict | None:
        try:
            return json.loads((self.root / key / "row.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or unreadable (a disk problem): solve it again

    def plan_path(self, key: str) -> Path:
        return self.root / key / "plan.csv"

    def plans(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        """Key -> plan (LAD code -> area) of every row of ``table`` whose plan is stored."""
        out = {}
        for key in table.loc[table["plan_file"].notna(), "key"].unique():
            try:
                df = pd.read_csv(self.plan_path(key), dtype=str, keep_default_na=False)
            except (OSError, ValueError):
                continue  # a plan file lost since: the row stays, the robustness figures do without it
            out[key] = pd.Series(df["area"].to_numpy(), index=df["lad_code"].to_numpy())
        return out

    def put(self, key: str, row: dict, plan_csv: str | None) -> dict:
        if self.out.exists() and not self.out.is_dir():
            raise CpaError(f"output folder {self.out} is a file", "give a folder name with --out")
        if plan_csv is not None:
            atomic.write_text(self.plan_path(key), plan_csv)
        row = {**row, "plan_file": f"solves/{key}/plan.csv" if plan_csv is not None else None}

        row = plain(row)  # as stored (figures rounded), so a table is the same from memory or from the store
        atomic.write_text(self.root / key / "row.json", dumps(row) + "\n")
        return row


def needs_solve(row: dict | None, retry_unproven: bool = False) -> bool:
    """A stored row is reused unless it failed (or, with ``retry_unproven``, it was not proven)."""
    if row is None:
        return True
    status = row.get("status")
    return status not in PROVEN + UNPROVEN or (retry_unproven and status in UNPROVEN)


# ---------------------------------------------------------------------------------------------- running
@dataclass
class GridProgress:
    """Counts for the live line: solves done (this run), running, failed, served from the store."""
    total: int
    cached: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def remaining(self) -> int:
        return self.total - self.cached - self.done - self.failed

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def eta_seconds(self) -> float | None:
        """Seconds left at the pace so far (None before the first solve of this run finishes)."""
        finished = self.done + self.failed
        if not finished:
            return None
        return self.elapsed / finished * self.remaining


def solve_task(geo: Geography, values: ContractValues, options: SolveOptions, hold: str | None = None) -> dict:
    """One solve on a worker: its row and the plan as CSV text, returned as data."""
    # A local worker shares the client's stdout, which may carry a JSON document: no solver banner there.
    highs_banner_to_stderr(quiet=True)
    if hold:
        _hold_once(Path(hold))
    row, result = solve_row(geo, values, options)
    plan = result.plan if result is not None else None
    row["solver_version"] = result.report.solver_version if result is not None else None
    return {"row": row, "plan": None if plan is None else plan_csv_text(plan)}


#: Longest a held task waits for the test to kill its worker before going on.
HOLD_TIMEOUT_S = 120.0


def _hold_once(folder: Path) -> None:
    """Test hook: the first time, write this worker's process id to ``folder/pid`` and wait to be killed
    (if nobody does, the solve fails, so a test cannot pass without the retry)."""
    marker = folder / "held"
    if marker.exists():
        return  # the retry, on a worker that lives
    marker.touch()
    atomic.write_text(folder / "pid", str(os.getpid()))
    deadline = time.monotonic() + HOLD_TIMEOUT_S
    while time.monotonic() < deadline:
        time.sleep(0.05)
    raise RuntimeError(f"test hold: worker {os.getpid()} was not killed within {HOLD_TIMEOUT_S:g} s")


def _data(x):
    return x


def _failure_row(point: GridPoint, exc: BaseException) -> dict:
    # Dask is imported only when a cluster is used (about a second)
    from distributed import KilledWorker

    row = dict.fromkeys(SWEEP_COLUMNS)
    row.update(K=point.options.k, status="error")
    if isinstance(exc, KilledWorker):
        last = getattr(getattr(exc, "last_worker", None), "address", "?")
        tries = getattr(exc, "allowed_failures", None)
        row["reason"] = (f"every worker that ran it died (out of memory, or killed; "
                         f"{'' if tries is None else f'{tries + 1} tries, '}the last on {last}) "
                         "(hint: run the grid again to retry it)")
    else:
        row["reason"] = f"{type(exc).__name__}: {exc}".strip()
    return row


def run_grid(grid: Grid, geo: Geography, store: ResultStore, *, workers: int | None = None,
             scheduler: str | None = None, retry_unproven: bool = False,
             progress: Callable[[GridProgress, GridPoint | None, dict | None], None] | None = None,
             client=None, hold: str | os.PathLike | None = None) -> tuple[dict[str, dict], GridProgress]:
    """Solve every point the store cannot serve, on Dask, storing each result as it comes back.

    Local by default (``workers`` processes, one per CPU if None), or on the
    cluster at ``scheduler``, or with a ``distributed.Client`` already open
    (``client``, left open). A script that runs a local cluster needs the
    ``if __name__ == "__main__":`` guard, as for any multiprocessing. The geography and value tables go to the cluster
    once as data; each task then carries its options. Returns key -> row for
    every point (stored or new) and the final counts. ``progress(counts,
    point, row)`` is called at the start (point None) and as each solve
    finishes. ``hold`` is a test hook: the first task waits, once, to have its
    worker killed, with its process id in ``hold/pid``.
    """
    # Dask is imported only when a cluster is used (about a second)
    from .cluster import dask_client, local_workers, threads_per_solve

    rows: dict[str, dict] = {}
    todo: dict[str, GridPoint] = {}
    for point in grid.points:
        if point.key in rows or point.key in todo:
            continue  # two labels, one solve (e.g. two sets with the same settings)
        stored = store.row(point.key)
        if needs_solve(stored, retry_unproven):
            todo[point.key] = point
        else:
            rows[point.key] = stored
    counts = GridProgress(total=len(rows) + len(todo), cached=len(rows))
    if progress:
        progress(counts, None, None)
    if not todo:
        return rows, counts
    n = min(local_workers(workers), len(todo)) if scheduler is None and client is None else None
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(n, scheduler))
        # The inputs go to the cluster once, as tasks that return them: a worker that dies holding a copy
        # only means another copy is made (scattered data would be lost with it).
        geo_f = client.submit(_data, geo, key=f"cpa-geography-{geo.fingerprint}", pure=False)
        values_f = {name: client.submit(_data, v, key=f"cpa-values-{v.fingerprint}", pure=False)
                    for name, v in grid.values.items()}
        futures = {}
        for i, (key, point) in enumerate(todo.items()):
            opts = point.options
            if n is not None and opts.threads is None:
                opts = replace(opts, threads=threads_per_solve(n))
            futures[client.submit(solve_task, geo_f, values_f[point.values], opts,
                                  str(hold) if hold is not None and i == 0 else None,
                                  key=f"cpa-solve-{key}", pure=False)] = point
        counts.running = min(len(todo), sum(client.nthreads().values()) or len(todo))
        if progress:
            progress(counts, None, None)
        # Dask is imported only when a cluster is used (about a second)
        from distributed import as_completed

        try:
            for fut in as_completed(futures):
                point = futures[fut]
                try:
                    out = fut.result()
                except Exception as exc:  # a worker died too often, or a bug: this solve's row says so
                    row, plan_csv = _failure_row(point, exc), None
                else:
                    row, plan_csv = out["row"], out["plan"]
                fut.release()
                rows[point.key] = store.put(point.key, {**row, "key": point.key}, plan_csv)
                if row["status"] == "error":
                    counts.failed += 1
                else:
                    counts.done += 1
                counts.running = min(counts.remaining, sum(client.nthreads().values()))
                if progress:
                    progress(counts, point, rows[point.key])
        except BaseException:
            client.cancel(list(futures))
            raise
    return rows, counts


# ---------------------------------------------------------------------------------------------- table
def results_table(grid: Grid, rows: dict[str, dict]) -> pd.DataFrame:
    """One row per point: the axes, then status, objective, bound, gap, time, objective terms and the
    plan-level scorecard, the solver version, the key, the stored plan file and whether another plan under
    the same value model has less travel and better balance (``dominated``; see
    ``cpa/data/schemas/grid.schema.json``)."""
    records = []
    for point in grid.points:
        row = rows.get(point.key) or {}
        records.append({**point.labels, **{c: row.get(c) for c in RESULT_COLUMNS}, "key": point.key})
    df = pd.DataFrame(records, columns=grid.axes + list(RESULT_COLUMNS))
    for col in INT_COLUMNS:
        df[col] = pd.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else int(round(v))
                            for v in df[col]], dtype="Int64")
    floats = ("gap", "objective", "bound", "term_travel_km", "term_balance_pct", "term_pbr_detectable_pts",
              "term_thin_risk_sum", "term_value_above_small_m", "value_min_m", "value_max_m", "value_ratio",
              "value_cv", "largest_share", "mean_travel_km", "max_travel_km", "pbr_detectable_max_pts",
              "thin_risk_sum", "seconds")
    for col in floats:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["all_contiguous"] = pd.array(df["all_contiguous"].tolist(), dtype="boolean")
    for col in grid.axes[1:]:
        if df[col].map(lambda v: isinstance(v, str)).any():  # a text column ("none", names): numbers as text too
            df[col] = df[col].map(lambda v: f"{v:g}" if isinstance(v, float) else str(v))
    df["dominated"] = mark_dominated(df)
    return df


def failures(table: pd.DataFrame, axes: Iterable[str]) -> list[dict]:
    """The points that failed: their axes and the reason."""
    bad = table[table["status"] == "error"]
    return [{**{a: r[a] for a in axes}, "reason": r["reason"]} for _, r in bad.iterrows()]
