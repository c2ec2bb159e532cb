"""Scenario files (TOML) that describe a comparison for ``cpa compare --scenario``.

See ``examples/compare_16_vs_35.toml`` and :func:`read_scenario`.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..errors import CpaError
from ..options import SolveOptions
from .options import Option


#: Solve settings a scenario may give, with the CLI's units (£m, percent) and the type each takes.
SCENARIO_SETTINGS = {
    "coterminous": str, "min_value": float, "max_value": float, "max_share": float, "max_pfas": int,
    "keep_whole": list, "lock": list, "start": str, "w_travel": float, "w_balance": float, "w_split": float,
    "w_pbr": float, "w_thin": float, "w_small": float, "pbr_detect": float, "small_lots": int,
    "pbr_cohort": float, "pbr_baseline": float, "pbr_design": str, "bidders_max": float, "bidders_scale": float,
    "bidders_offset": float, "small_lot_value": float,
    "solver": str, "time_limit": float, "gap": float, "seed": int, "threads": int,
}
SCENARIO_TOP = ("title", "description", "out", "defaults", "option")
SCENARIO_OPTION = ("name", "areas", "reference", "names", "description")
SCENARIO_HINT = "see examples/compare_16_vs_35.toml for the format"


@dataclass
class ScenarioOption:
    """One ``[[option]]`` of a scenario: a reference plan or K, with its own settings (CLI units)."""

    name: str
    reference: str | None = None
    areas: int | None = None
    settings: dict = field(default_factory=dict)
    names: str | None = None


@dataclass
class Scenario:
    """A comparison described in a TOML file; settings use the CLI's names and units (£m, percent)."""

    path: Path
    options: list[ScenarioOption]
    defaults: dict = field(default_factory=dict)
    title: str | None = None
    description: str | None = None
    out: str | None = None

    def build(self, build_options: Callable[..., SolveOptions], base: dict | None = None,
              override: dict | None = None) -> list[Option]:
        """The options to compare. ``build_options(k, **settings)`` turns settings into SolveOptions
        (the CLI passes ``build_solve_options``). Later wins: ``base`` (every setting, e.g. the CLI's
        defaults), the scenario's ``[defaults]``, the option's own settings, then ``override``."""
        out = []
        for opt in self.options:
            if opt.reference is not None:
                out.append(Option.reference(opt.reference, opt.name, opt.names))
                continue
            settings = {**(base or {}), **self.defaults, **opt.settings, **(override or {})}
            try:
                out.append(Option.solved(build_options(opt.areas, **settings), opt.name))
            except CpaError as exc:
                raise CpaError(f"scenario {self.path}, option {opt.name!r}: {exc.message}", exc.hint) from None
        return out

    def score_rules(self, build_options: Callable[..., SolveOptions], base: dict | None = None,
                    override: dict | None = None) -> dict:
        """The ``[defaults]``' rules and market parameters, to score existing plans: min_value_m,
        max_share_pct, max_value_m, market, pbr_detect, small_lots."""
        o = build_options(1, **{**(base or {}), **self.defaults, **(override or {})})
        return {"min_value_m": o.min_value_m, "max_share_pct": o.max_share_pct, "max_value_m": o.max_value_m,
                "market": o.market, "pbr_detect": o.pbr_detect, "small_lots": o.small_lots}


def _unknown(path, where: str, key: str, known: Iterable[str]) -> CpaError:
    known = [k.replace("_", "-") for k in known]
    close = difflib.get_close_matches(key.replace("_", "-"), known, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return CpaError(f"scenario {path}: unknown key {key!r} in {where}", f"{guess}known keys: {', '.join(known)}")


def _setting(path, where: str, key: str, value, base_dir: Path):
    name = key.replace("-", "_")
    if name not in SCENARIO_SETTINGS:
        raise _unknown(path, where, key, list(SCENARIO_SETTINGS) + (list(SCENARIO_OPTION) if "option" in where
                                                                     else []))
    want = SCENARIO_SETTINGS[name]
    bad = CpaError(f"scenario {path}: {key} in {where} should be "
                   f"{ {str: 'text', float: 'a number', int: 'a whole number', list: 'a list of text'}[want] }, "
                   f"got {value!r}", SCENARIO_HINT)
    if want is list:
        if name == "lock" and isinstance(value, dict):  # lock = { E06000046 = "South" }
            value = [f"{k}={v}" for k, v in value.items()]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
        return name, tuple(value)
    if want is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return name, float(value)
    if want is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return name, value
    if not isinstance(value, str):
        raise bad
    if name == "start":
        value = _resolve(value, base_dir)
    return name, value


def _resolve(plan: str, base_dir: Path) -> str:
    """A plan file named in a scenario is relative to the scenario's folder; reference names stay as they are."""
    p = Path(plan)
    if p.suffix and not p.is_absolute() and (base_dir / p).exists():
        return str(base_dir / p)
    return plan


def _resolve_file(name: str, base_dir: Path) -> Path:
    """A file named in a scenario, relative to the scenario's folder."""
    p = Path(name)
    return p if p.is_absolute() else base_dir / p


def _settings(path, where: str, table: dict, base_dir: Path, skip: Iterable[str] = ()) -> dict:
    out = {}
    for key, value in table.items():
        if key in skip:
            continue
        name, value = _setting(path, where, key, value, base_dir)
        out[name] = value
    return out


def load_toml(path: str | os.PathLike, hint: str) -> tuple[Path, dict]:
    """(path, document) of a scenario file; a missing, unreadable or invalid file is one CpaError."""
    p = Path(path)
    if not p.exists():
        raise CpaError(f"scenario file not found: {p}", "check the path (it is relative to the current directory)")
    if p.is_dir():
        raise CpaError(f"scenario file is a directory, not a file: {p}")
    try:
        return p, tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CpaError(f"scenario {p} is not UTF-8 text ({exc.reason} at byte {exc.start})", hint) from None
    except tomllib.TOMLDecodeError as exc:
        raise CpaError(f"scenario {p} is not valid TOML: {exc}", hint) from None


def read_scenario(path: str | os.PathLike) -> Scenario:
    """Read and check a scenario TOML file; any problem is one :class:`CpaError` naming file and key.

    Top level: ``title``, ``description``, ``out`` (default output folder),
    ``[defaults]`` (solve settings for every solved option) and one or more
    ``[[option]]`` tables with ``name`` and either ``areas = K`` (plus any solve
    settings, overriding the defaults) or ``reference = "crc21"`` / a plan file
    (relative to the scenario's folder). Settings are the ``cpa solve`` flags
    without dashes: ``time-limit``, ``keep-whole``, ``min-value`` (£m),
    ``max-share`` (percent), ...
    """
    p, doc = load_toml(path, SCENARIO_HINT)
    for key in doc:
        if key not in SCENARIO_TOP:
            raise _unknown(p, "the top level", key, SCENARIO_TOP)
    for key in ("title", "description", "out"):
        if key in doc and not isinstance(doc[key], str):
            raise CpaError(f"scenario {p}: {key} should be text, got {doc[key]!r}", SCENARIO_HINT)
    base_dir = p.parent
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise CpaError(f"scenario {p}: defaults should be a table ([defaults])", SCENARIO_HINT)
    defaults = _settings(p, "[defaults]", defaults, base_dir)
    raw = doc.get("option")
    if not isinstance(raw, list) or not raw or not all(isinstance(o, dict) for o in raw):
        raise CpaError(f"scenario {p} has no options", "add [[option]] tables, each with areas = K or "
                       "reference = \"crc21\"; " + SCENARIO_HINT)
    options = []
    for i, o in enumerate(raw, 1):
        where = f"option {i}" + (f" ({o['name']!r})" if isinstance(o.get("name"), str) else "")
        if "name" in o and (not isinstance(o["name"], str) or not o["name"].strip()):
            raise CpaError(f"scenario {p}: {where} has an empty or non-text name", SCENARIO_HINT)
        has_k, has_ref = "areas" in o, "reference" in o
        if has_k == has_ref:
            raise CpaError(f"scenario {p}: {where} needs exactly one of areas = K or reference = PLAN, "
                           f"it has {'both' if has_k else 'neither'}", SCENARIO_HINT)
        if has_ref:
            if not isinstance(o["reference"], str) or not o["reference"].strip():
                raise CpaError(f"scenario {p}: {where}: reference should be a plan name or file", SCENARIO_HINT)
            extra = [k for k in o if k not in SCENARIO_OPTION]
            if extra:
                if all(k.replace("-", "_") in SCENARIO_SETTINGS for k in extra):
                    raise CpaError(f"scenario {p}: {where} is an existing plan, so solve settings "
                                   f"({', '.join(extra)}) do not apply", "remove them, or use areas = K")
                raise _unknown(p, where, next(k for k in extra if k.replace("-", "_") not in SCENARIO_SETTINGS),
                               list(SCENARIO_OPTION))
            ref = _resolve(o["reference"].strip(), base_dir)
            names = o.get("names")
            if names is not None and (not isinstance(names, str) or not names.strip()):
                raise CpaError(f"scenario {p}: {where}: names should be the path of a CSV area,name file",
                               SCENARIO_HINT)
            names = None if names is None else str(_resolve_file(names.strip(), base_dir))
            options.append(ScenarioOption(o.get("name") or Option.reference(ref).name, reference=ref, names=names))
        else:
            k = o["areas"]
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise CpaError(f"scenario {p}: {where}: areas should be a whole number of at least 1, got {k!r}",
                               SCENARIO_HINT)
            if "names" in o:
                raise CpaError(f"scenario {p}: {where} is a solve, so names (a file renaming an existing "
                               "plan's areas) does not apply",
                               "a solve names its areas from lock labels (lock = { E06000046 = \"South\" }) "
                               "and the naming rule; rename afterwards with cpa rename")
            settings = _settings(p, where, o, base_dir, skip=SCENARIO_OPTION)
            options.append(ScenarioOption(o.get("name") or f"K={k}", areas=k, settings=settings))
    names = [o.name for o in options]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CpaError(f"scenario {p}: option names must be unique; repeated: {', '.join(dupes)}",
                       "give each [[option]] its own name")
    return Scenario(p, options, defaults, doc.get("title"), doc.get("description"), doc.get("out"))
