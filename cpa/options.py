"""What a commissioner asks for: the options of one solve, in the units people use.

Money is in £m a year and shares in percent, in the Python API exactly as on
the command line; the field names say so (``min_value_m``, ``max_share_pct``).
Every option is checked here, once, whether it comes from the CLI, a scenario
file or Python: a value that is out of range, or looks like the wrong unit
(``max_share_pct=0.25``, ``min_value_m=15e6``), is refused with a
:class:`~cpa.errors.CpaError` that says what was probably meant.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from dataclasses import asdict, dataclass, field, fields

from .errors import CpaError

COTERMINOUS_MODES = ("strict", "soft", "off")
SOLVERS = ("highs", "cbc")
#: Payment-by-results test designs (see :mod:`cpa.market`).
PBR_DESIGNS = ("two-sample", "baseline", "one-sided")
#: More offenders a year than live in England and Wales, or bidders than any procurement sees: a typo.
MAX_PBR_COHORT = 60_000_000
MAX_BIDDERS = 1_000

#: A floor or ceiling at or above this many £m a year is probably given in £, not £m.
POUNDS_NOT_MILLIONS_M = 100_000.0

#: Largest weight: the objective's terms are tens of km or percentage points, and the solvers lose
#: precision (then fail) with coefficients many orders of magnitude apart.
MAX_WEIGHT = 1e6
#: Solver threads: more than any machine has; HiGHS aborts the whole process on a huge number.
MAX_THREADS = 1024
#: Most solves at once, one process each (each holds a copy of the geography and a solver).
MAX_JOBS = 256
#: Seeds the solvers accept (HiGHS random_seed is a 32-bit int; CBC gets seed + 1).
MAX_SEED = 2**31 - 2
#: Most K values one sweep may solve (each a full solve).
MAX_SWEEP_KS = 1000

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


def _shown(x) -> str:
    """A number for a message: whole numbers in full (up to 16 digits), others as %g."""
    if isinstance(x, int) or (isinstance(x, float) and math.isfinite(x) and x.is_integer()):
        return str(int(x)) if abs(x) < 1e16 else format(decimal.Decimal(int(x)), ".3e")
    return f"{x:g}"


def check_number(name: str, value, *, minimum: float | None = None, above: float | None = None,
                 maximum: float | None = None, integer: bool = False, hint: str | None = None):
    """``value`` as a finite number within bounds, or a CpaError naming the option ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise CpaError(f"{name} must be a number, got {value!r}", hint) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise CpaError(f"{name} must be a finite number, got {value}", hint)
    if integer and value != int(value):
        raise CpaError(f"{name} must be a whole number, got {value}", hint)
    # Python ints may exceed any float: compare them as they are.
    if minimum is not None and value < minimum:
        raise CpaError(f"{name} must be at least {_shown(minimum)}, got {_shown(value)}", hint)
    if above is not None and not value > above:
        what = "a positive number" if above == 0 else f"more than {_shown(above)}"
        raise CpaError(f"{name} must be {what}, got {_shown(value)}", hint)
    if maximum is not None and value > maximum:
        raise CpaError(f"{name} must be at most {_shown(maximum)}, got {_shown(value)}", hint)
    if not integer and isinstance(value, int) and abs(value) > 1e300:
        raise CpaError(f"{name} must be a finite number, got {_shown(value)}", hint)
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
class MarketParameters:
    """The parameters of the three market-attractiveness measures (:mod:`cpa.market` computes them).

    ``pbr_cohort`` the national payment-by-results cohort N (offenders a year, 108,000 in the first
    year of the 2014 scheme); ``pbr_baseline`` the one-year reoffending rate p (a fraction, 0.45);
    ``pbr_design`` the test: ``two-sample`` (against a comparison cohort of the same size),
    ``baseline`` (against a fixed, known rate) or ``one-sided``; ``bidders_max``, ``bidders_scale``,
    ``bidders_offset`` N_max, kappa (£m) and A0 (£m) of the expected-bidders curve;
    ``small_lot_value_m`` the size (£m a year) at or below which an area is a small lot.
    """

    pbr_cohort: float = 108_000.0
    pbr_baseline: float = 0.45
    pbr_design: str = "two-sample"
    bidders_max: float = 6.0
    bidders_scale: float = 19.0
    bidders_offset: float = 0.54
    small_lot_value_m: float = 12.0

    def __post_init__(self):
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen dataclass)
        put("pbr_cohort", check_number("--pbr-cohort", self.pbr_cohort, above=0.0, maximum=MAX_PBR_COHORT,
                                       hint="offenders a year in the national payment-by-results cohort, "
                                            "e.g. --pbr-cohort 108000"))
        base = check_number("--pbr-baseline", self.pbr_baseline, above=0.0,
                            hint="the reoffending rate as a fraction, e.g. --pbr-baseline 0.45")
        if base >= 1.0:
            raise CpaError(f"--pbr-baseline {base:g} is not a rate below 1",
                           f"the unit is a fraction: did you mean --pbr-baseline {base / 100:g}?"
                           if 1.0 < base < 100.0 else "e.g. --pbr-baseline 0.45")
        put("pbr_baseline", base)
        if self.pbr_design not in PBR_DESIGNS:
            raise CpaError(f"unknown --pbr-design {self.pbr_design!r}", f"choose one of: {', '.join(PBR_DESIGNS)}")
        put("bidders_max", check_number("--bidders-max", self.bidders_max, above=0.0, maximum=MAX_BIDDERS,
                                        hint="the most bidders a very large lot attracts, e.g. --bidders-max 6"))
        put("bidders_scale", check_number("--bidders-scale", self.bidders_scale, above=0.0,
                                          maximum=POUNDS_NOT_MILLIONS_M,
                                          hint="£m a year over which bidders approach the maximum, e.g. 19"))
        put("bidders_offset", check_number("--bidders-offset", self.bidders_offset, minimum=0.0,
                                           maximum=POUNDS_NOT_MILLIONS_M,
                                           hint="£m a year below which no one bids, e.g. 0.54"))
        value = check_number("--small-lot-value", self.small_lot_value_m, above=0.0,
                             hint="£m a year, e.g. --small-lot-value 12")
        if value >= POUNDS_NOT_MILLIONS_M:
            raise CpaError(f"--small-lot-value {value:g} is £m a year, so that is £{value / 1e6:,.0f} trillion",
                           f"did you mean --small-lot-value {value / 1e6:g}? (the unit is £m)")
        put("small_lot_value_m", value)


def check_pbr_detect(points, baseline: float):
    """``--pbr-detect``: a fall in the reoffending rate, in percentage points, in (0, 100 x baseline)."""
    if points is None:
        return None
    points = check_number("--pbr-detect", points, above=0.0,
                          hint="percentage points of the reoffending rate, e.g. --pbr-detect 2")
    if points >= baseline * 100.0:
        raise CpaError(f"--pbr-detect {points:g} points is a fall at least as large as the baseline rate "
                       f"({baseline * 100:g}%)", "the change is in percentage points, e.g. --pbr-detect 2"
                       + (f" (did you mean --pbr-detect {points / 100:g}?)" if points >= 100 else ""))
    if points < 0.05:
        raise CpaError(f"--pbr-detect {points:g} points is below a twentieth of a point; no cohort detects that",
                       f"the unit is percentage points: did you mean --pbr-detect {points * 100:g}?")
    return points


@dataclass(frozen=True)
class Weights:
    """Objective weights. The objective is

    ``travel * T + balance * B + split * F + pbr * D + thin * R + small * S``

    with T the value-weighted mean km from each LAD to its area's hub, B the
    sum over areas of |value - mean| as a percentage of the national total, F
    the number of extra PFA fragments (soft coterminosity only), D the sum over
    areas of the minimum detectable change in the reoffending rate (percentage
    points), R the sum over areas of the risk of at most one bid (the expected
    number of lots with at most one bid) and S the sum over areas of the value
    above the small-lot threshold (£m a year); see :mod:`cpa.market`. With the
    defaults one km of mean travel costs the same as one percentage point of
    value away from the mean, each PFA fragment costs 5 km of mean travel, and
    the market terms are reported but cost nothing.
    """

    travel: float = 1.0
    balance: float = 1.0
    split: float = 5.0
    pbr: float = 0.0
    thin: float = 0.0
    small: float = 0.0

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, check_number(
                f"--w-{f.name}", getattr(self, f.name), minimum=0.0, maximum=MAX_WEIGHT,
                hint=f"weights are relative, from 0 to {MAX_WEIGHT:g}: e.g. --w-travel 1 --w-balance 2"))


@_reject_old_names
@dataclass(frozen=True)
class SolveOptions:
    """Options of a solve. Money in £m a year, shares in percent (as on the command line).

    ``k`` areas; ``coterminous`` strict (PFAs whole), soft (each extra PFA
    fragment costs ``weights.split``) or off; ``min_value_m`` / ``max_value_m``
    hard floor and ceiling on any area's value; ``max_share_pct`` no area above
    this share of national value (the 2014 competition's 25% capped what one
    *bidder* could win across all lots, not what one lot could be worth; a
    per-area cap is necessary for that, not the same rule); ``max_pfas`` PFAs
    (whole or part) per area; ``keep_whole`` group names; ``locks`` (LAD, area
    label) pairs; ``start`` a plan to start from; ``market`` the parameters of
    the market measures; ``pbr_detect`` every area must be able to detect a fall
    of this many points in the reoffending rate (a value floor); ``small_lots``
    at least this many areas at or below the small-lot value (a plan-level
    rule); solver settings.
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
    market: MarketParameters = field(default_factory=MarketParameters)
    pbr_detect: float | None = None
    small_lots: int | None = None
    solver: str = "highs"
    time_limit: float = 120.0
    gap: float | None = None
    seed: int = 0
    threads: int | None = None

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
        put("seed", check_number("--seed", self.seed, minimum=0, maximum=MAX_SEED, integer=True))
        if self.threads is not None:
            put("threads", check_number("--threads", self.threads, minimum=1, maximum=MAX_THREADS, integer=True,
                                        hint="leave it out for the solver's choice"))
        if not isinstance(self.weights, Weights):
            raise CpaError(f"weights must be a Weights object, got {type(self.weights).__name__}")
        if not isinstance(self.market, MarketParameters):
            raise CpaError(f"market must be a MarketParameters object, got {type(self.market).__name__}",
                           "e.g. SolveOptions(k=16, market=MarketParameters(pbr_design='baseline'))")
        put("pbr_detect", check_pbr_detect(self.pbr_detect, self.market.pbr_baseline))
        if self.small_lots is not None:
            put("small_lots", check_number("--small-lots", self.small_lots, minimum=0, integer=True,
                                           hint="a number of areas, e.g. --small-lots 3"))
        w = self.weights
        if (w.travel == 0 and w.balance == 0 and w.pbr == 0 and w.thin == 0 and w.small == 0
                and (w.split == 0 or self.coterminous != "soft")):
            raise CpaError("with --w-travel 0 and --w-balance 0" + (" and --w-split 0" if w.split == 0 else "")
                           + " (and no market weight) every plan scores the same",
                           "give travel, balance or a market term a positive weight")
        put("keep_whole", tuple(self.keep_whole))
        put("locks", tuple((str(a), str(b)) for a, b in self.locks))
        first: dict[str, str] = {}
        for lad, label in self.locks:  # contradictory input, not an infeasible request: exit 2, not 3
            if first.setdefault(lad, label) != label:
                raise CpaError(f"--lock puts {lad} in two areas: {first[lad]!r} and {label!r}",
                               "lock each LAD to one area label")

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


def market_from_settings(*, pbr_cohort: float = 108_000.0, pbr_baseline: float = 0.45,
                         pbr_design: str = "two-sample", bidders_max: float = 6.0, bidders_scale: float = 19.0,
                         bidders_offset: float = 0.54, small_lot_value: float = 12.0) -> MarketParameters:
    """MarketParameters from settings named as on the command line (``small_lot_value`` in £m)."""
    return MarketParameters(pbr_cohort=pbr_cohort, pbr_baseline=pbr_baseline, pbr_design=pbr_design,
                            bidders_max=bidders_max, bidders_scale=bidders_scale, bidders_offset=bidders_offset,
                            small_lot_value_m=small_lot_value)


#: The settings of :func:`market_from_settings` (command line and scenario names, underscores).
MARKET_SETTINGS = ("pbr_cohort", "pbr_baseline", "pbr_design", "bidders_max", "bidders_scale", "bidders_offset",
                   "small_lot_value")


def options_from_settings(k: int, *, coterminous: str = "strict", min_value=None, max_value=None, max_share=None,
                          max_pfas=None, keep_whole=(), lock=(), start=None, w_travel: float = 1.0,
                          w_balance: float = 1.0, w_split: float = 5.0, w_pbr: float = 0.0, w_thin: float = 0.0,
                          w_small: float = 0.0, pbr_detect=None, small_lots=None, solver: str = "highs",
                          time_limit: float = 120.0, gap=None, seed: int = 0, threads=None,
                          **market) -> SolveOptions:
    """SolveOptions from settings named and measured as on the command line and in scenario files
    (``min_value`` in £m, ``max_share`` in percent, ``lock`` as ``LAD=AREA`` texts; the market
    parameters of :func:`market_from_settings`); a setting left out takes the command line's default."""
    unknown = sorted(set(market) - set(MARKET_SETTINGS))
    if unknown:
        raise CpaError(f"unknown setting {unknown[0]!r}", "see cpa solve --help for the settings")
    locks = []
    for item in lock:
        lad, sep, area = item.partition("=")
        if not sep or not lad.strip() or not area.strip():
            raise CpaError(f"--lock {item!r} is not LAD=AREA", "e.g. --lock E06000046=South")
        locks.append((lad.strip(), area.strip()))
    return SolveOptions(
        k=k, coterminous=coterminous, min_value_m=min_value, max_value_m=max_value, max_share_pct=max_share,
        max_pfas=max_pfas, keep_whole=tuple(keep_whole), locks=tuple(locks), start=start,
        weights=Weights(travel=w_travel, balance=w_balance, split=w_split, pbr=w_pbr, thin=w_thin, small=w_small),
        market=market_from_settings(**market), pbr_detect=pbr_detect, small_lots=small_lots, solver=solver,
        time_limit=time_limit, gap=gap, seed=seed, threads=threads)


def check_total_m(total_m, old_total=None) -> float:
    """The national total (``--total``) in £m a year, if it is a positive finite number of £m."""
    if old_total is not None:
        raise CpaError("total= is now total_m (£m a year, e.g. 450)", "money is in £m a year, as on the command line")
    total_m = check_number("--total", total_m, hint="£m a year, e.g. --total 450")
    if total_m <= 0:
        raise CpaError(f"--total must be a positive amount, got {total_m:g} (£m a year)", "e.g. --total 450")
    if total_m >= POUNDS_NOT_MILLIONS_M:
        raise CpaError(f"--total {total_m:g} is £m a year, so that is £{total_m / 1e6:,.0f} trillion",
                       f"did you mean --total {total_m / 1e6:g}? (the unit is £m)")
    return total_m


def check_jobs(jobs, flag: str = "--jobs") -> int | None:
    """``--jobs`` (a sweep) or ``--workers`` (a grid): solves run at once, one process each (None: one
    per CPU); at most :data:`MAX_JOBS`."""
    if jobs is None:
        return None
    return check_number(flag, jobs, minimum=1, maximum=MAX_JOBS, integer=True,
                        hint=f"leave it out for one solve per CPU, e.g. {flag} 2")


def parse_k_values(specs) -> list[int]:
    """K values (``--areas`` of a sweep) from ``"6-43"``, ``"6,12,16"``, ``"6-10,16,21-23"`` (or several
    such strings), sorted, unique; at most :data:`MAX_SWEEP_KS` of them."""
    if isinstance(specs, str):
        specs = [specs]
    ranges = []
    for spec in specs:
        for part in str(spec).split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
            if not m:
                raise CpaError(f"--areas {spec!r}: {part!r} is not K or a range A-B",
                               "e.g. --areas 6-43, --areas 12,16,21 or --areas 6-10,35")
            a, b = (int(m.group(1)), int(m.group(2))) if m.group(3) is None else (int(m.group(3)),) * 2
            if a < 1 or b < a:
                raise CpaError(f"--areas {spec!r}: {part!r} is not a range of K >= 1 (low-high)", "e.g. --areas 6-43")
            if b - a + 1 > MAX_SWEEP_KS:
                raise CpaError(f"--areas {spec!r}: {part!r} is {b - a + 1:,} values of K, each a full solve",
                               f"a sweep takes at most {MAX_SWEEP_KS:,} values; e.g. --areas 6-43")
            ranges.append((a, b))
    out = set()
    for a, b in ranges:
        out.update(range(a, b + 1))
        if len(out) > MAX_SWEEP_KS:
            raise CpaError(f"--areas asks for more than {MAX_SWEEP_KS:,} values of K, each a full solve",
                           "e.g. --areas 6-43")
    if not out:
        raise CpaError("no K values given", "e.g. --areas 6-43")
    return sorted(out)


def check_tolerances(snap_m, sliver_m2) -> tuple[float, float]:
    """``--snap`` (metres) and ``--sliver`` (square metres) of the boundary repair: finite, 0 or more."""
    for value, flag, unit, hint in ((snap_m, "--snap", "metres", "e.g. --snap 1 (0 turns snapping off)"),
                                    (sliver_m2, "--sliver", "square metres", "e.g. --sliver 100 (0 leaves every gap open)")):
        bad = CpaError(f"{flag} must be 0 or more {unit}, got {value}", hint)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if not math.isfinite(value) or value < 0:
            raise bad
    return float(snap_m), float(sliver_m2)
