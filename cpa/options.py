"""What a commissioner asks for: the options of one solve, in the units people use.

Money is in £m a year and shares in percent, in the Python API exactly as on
the command line; the field names say so (``min_value_m``, ``max_share_pct``).
Every option is checked here, once, whether it comes from the CLI, a scenario
file or Python: a value that is out of range, or looks like the wrong unit
(``max_share_pct=0.25``, ``min_value_m=15e6``), is refused with a
:class:`~cpa.errors.CpaError` that says what was probably meant.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field, fields

from .errors import CpaError

COTERMINOUS_MODES = ("strict", "soft", "off")
SOLVERS = ("highs", "cbc")

#: A floor or ceiling at or above this many £m a year is probably given in £, not £m.
POUNDS_NOT_MILLIONS_M = 100_000.0

#: Old keyword -> the name that replaced it (the units moved into the names).
RENAMED = {
    "min_value": "min_value_m (£m a year, e.g. 15)",
    "max_value": "max_value_m (£m a year)",
    "max_share": "max_share_pct (percent, e.g. 25)",
}


def _reject_old_names(cls):
    """Make ``cls(min_value=...)`` fail with a message naming the new keyword."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        for old, new in RENAMED.items():
            if old in kwargs:
                raise CpaError(f"{cls.__name__}({old}=...) is now {new}",
                               "money is in £m a year and shares in percent, as on the command line")
        init(self, *args, **kwargs)

    cls.__init__ = __init__
    return cls


def check_number(name: str, value, *, minimum: float | None = None, above: float | None = None,
                 maximum: float | None = None, integer: bool = False, hint: str | None = None):
    """``value`` as a finite number within bounds, or a CpaError naming the option ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise CpaError(f"{name} must be a number, got {value!r}", hint) from None
    if not math.isfinite(value):
        raise CpaError(f"{name} must be a finite number, got {value}", hint)
    if integer and value != int(value):
        raise CpaError(f"{name} must be a whole number, got {value}", hint)
    if minimum is not None and value < minimum:
        raise CpaError(f"{name} must be at least {minimum:g}, got {value:g}", hint)
    if above is not None and not value > above:
        what = "a positive number" if above == 0 else f"more than {above:g}"
        raise CpaError(f"{name} must be {what}, got {value:g}", hint)
    if maximum is not None and value > maximum:
        raise CpaError(f"{name} must be at most {maximum:g}, got {value:g}", hint)
    return int(value) if integer else float(value)


def check_value_rules(min_value_m=None, max_value_m=None, max_share_pct=None):
    """The floor, ceiling (£m a year) and share cap (percent), checked: positive, finite, in the right
    unit (a floor of 15e6 was meant in £, a cap of 0.25 as a fraction), floor at most ceiling."""
    out = []
    for value, flag in ((min_value_m, "--min-value"), (max_value_m, "--max-value")):
        if value is not None:
            value = check_number(flag, value, above=0.0, hint=f"{flag} is in £m a year, e.g. {flag} 15")
            if value >= POUNDS_NOT_MILLIONS_M:
                raise CpaError(f"{flag} {value:g} is £m a year, so that is £{value / 1e6:,.0f} trillion",
                               f"did you mean {flag} {value / 1e6:g}? (the unit is £m)")
        out.append(value)
    if out[0] is not None and out[1] is not None and out[0] > out[1]:
        raise CpaError(f"--min-value {out[0]:g} is above --max-value {out[1]:g}", "the floor must be at most the ceiling")
    if max_share_pct is not None:
        max_share_pct = check_number("--max-share", max_share_pct, above=0.0, maximum=100.0,
                                     hint="--max-share is a percentage, e.g. --max-share 25")
        if max_share_pct < 1.0:
            raise CpaError(f"--max-share {max_share_pct:g} means {max_share_pct:g}% of national value, below any "
                           "possible share", f"the unit is percent: did you mean --max-share {max_share_pct * 100:g}?")
    return out[0], out[1], max_share_pct


@dataclass(frozen=True)
class Weights:
    """Objective weights. The objective is

    ``travel * T + balance * B + split * F``

    with T the value-weighted mean km from each LAD to its area's hub, B the
    sum over areas of |value - mean| as a percentage of the national total, and
    F the number of extra PFA fragments (soft coterminosity only). With the
    defaults one km of mean travel costs the same as one percentage point of
    value away from the mean, and each PFA fragment costs 5 km of mean travel.
    """

    travel: float = 1.0
    balance: float = 1.0
    split: float = 5.0

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, check_number(f"--w-{f.name}", getattr(self, f.name), minimum=0.0,
                                                          hint="weights are finite numbers, 0 or more"))


@_reject_old_names
@dataclass(frozen=True)
class SolveOptions:
    """Options of a solve. Money in £m a year, shares in percent (as on the command line).

    ``k`` areas; ``coterminous`` strict (PFAs whole), soft (each extra PFA
    fragment costs ``weights.split``) or off; ``min_value_m`` / ``max_value_m``
    hard floor and ceiling on any area's value; ``max_share_pct`` no area above
    this share of national value (the 2014 competition capped what one *bidder*
    could win across all lots at 25%; a per-area cap is necessary for that, not
    the same rule); ``max_pfas`` PFAs (whole or part) per area; ``keep_whole``
    group names; ``locks`` (LAD, area label) pairs; ``start`` a plan to start
    from; solver settings.
    """

    k: int
    coterminous: str = "strict"
    min_value_m: float | None = None
    max_value_m: float | None = None
    max_share_pct: float | None = None
    max_pfas: int | None = None
    keep_whole: tuple[str, ...] = ()
    locks: tuple[tuple[str, str], ...] = ()
    start: str | None = None
    weights: Weights = field(default_factory=Weights)
    solver: str = "highs"
    time_limit: float = 120.0
    gap: float | None = None
    seed: int = 0
    threads: int | None = None
    max_rounds: int = 50

    def __post_init__(self):
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen dataclass)
        put("k", check_number("--areas", self.k, minimum=1, integer=True,
                              hint="the number of areas is a whole number, 1 or more"))
        if self.coterminous not in COTERMINOUS_MODES:
            raise CpaError(f"unknown coterminosity mode {self.coterminous!r}",
                           f"choose one of: {', '.join(COTERMINOUS_MODES)}")
        floor, ceiling, share = check_value_rules(self.min_value_m, self.max_value_m, self.max_share_pct)
        put("min_value_m", floor)
        put("max_value_m", ceiling)
        put("max_share_pct", share)
        if self.max_pfas is not None:
            put("max_pfas", check_number("--max-pfas", self.max_pfas, minimum=1, integer=True))
        if self.solver not in SOLVERS:
            raise CpaError(f"unknown solver {self.solver!r}", f"choose one of: {', '.join(SOLVERS)}")
        put("time_limit", check_number("--time-limit", self.time_limit, above=0.0,
                                       hint="seconds, e.g. --time-limit 120"))
        if self.gap is not None:
            put("gap", check_number("--gap", self.gap, minimum=0.0, hint="a fraction in [0, 1), e.g. 0.01 for 1%"))
            if self.gap >= 1:
                raise CpaError(f"--gap is a fraction in [0, 1), got {self.gap:g}", "e.g. --gap 0.01 for 1%")
        put("seed", check_number("--seed", self.seed, minimum=0, integer=True))
        if self.threads is not None:
            put("threads", check_number("--threads", self.threads, minimum=1, integer=True,
                                        hint="leave it out for the solver's choice"))
        if not isinstance(self.weights, Weights):
            raise CpaError(f"weights must be a Weights object, got {type(self.weights).__name__}")
        put("keep_whole", tuple(self.keep_whole))
        put("locks", tuple((str(a), str(b)) for a, b in self.locks))

    # Internal units for the engine: £ a year and fractions.
    @property
    def min_value_gbp(self) -> float | None:
        return None if self.min_value_m is None else self.min_value_m * 1e6

    @property
    def max_value_gbp(self) -> float | None:
        return None if self.max_value_m is None else self.max_value_m * 1e6

    @property
    def max_share_fraction(self) -> float | None:
        return None if self.max_share_pct is None else self.max_share_pct / 100.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["keep_whole"] = list(self.keep_whole)
        d["locks"] = [list(x) for x in self.locks]
        return d


def options_from_settings(k: int, *, coterminous: str = "strict", min_value=None, max_value=None, max_share=None,
                          max_pfas=None, keep_whole=(), lock=(), start=None, w_travel: float = 1.0,
                          w_balance: float = 1.0, w_split: float = 5.0, solver: str = "highs",
                          time_limit: float = 120.0, gap=None, seed: int = 0, threads=None) -> SolveOptions:
    """SolveOptions from settings named and measured as on the command line and in scenario files
    (``min_value`` in £m, ``max_share`` in percent, ``lock`` as ``LAD=AREA`` texts); a setting left out
    takes the command line's default."""
    locks = []
    for item in lock:
        lad, sep, area = item.partition("=")
        if not sep or not lad.strip() or not area.strip():
            raise CpaError(f"--lock {item!r} is not LAD=AREA", "e.g. --lock E06000046=South")
        locks.append((lad.strip(), area.strip()))
    return SolveOptions(
        k=k, coterminous=coterminous, min_value_m=min_value, max_value_m=max_value, max_share_pct=max_share,
        max_pfas=max_pfas, keep_whole=tuple(keep_whole), locks=tuple(locks), start=start,
        weights=Weights(travel=w_travel, balance=w_balance, split=w_split),
        solver=solver, time_limit=time_limit, gap=gap, seed=seed, threads=threads)
