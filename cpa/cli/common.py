"""Options shared by several commands, and turning them into the library's objects."""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import replace
from typing import Iterator

import click
from click.core import ParameterSource

from ..errors import EXIT_SIGINT, EXIT_SIGTERM, CpaError, Terminated
from ..io import atomic


def with_options(f, opts):
    """``f`` decorated with the click options ``opts``, shown in ``--help`` in that order."""
    for opt in reversed(opts):
        f = opt(f)
    return f


def geography_options(f):
    """Options to load a user geography and value table instead of the embedded default."""
    opts = [
        click.option("--boundaries", "boundaries_file", type=click.Path(dir_okay=False),
                     help="Your own unit polygons (GeoJSON, GeoPackage or shapefile) instead of the embedded LADs."),
        click.option("--code-column", default="lad_code", show_default=True, help="Unit code column in --boundaries."),
        click.option("--name-column", default=None, help="Unit name column in --boundaries."),
        click.option("--pfa-column", default=None, help="Group (PFA) code column in --boundaries."),
        click.option("--links", "links_file", type=click.Path(dir_okay=False),
                     help="CSV a,b[,link_type,name] of extra links (bridges, ferries) for --boundaries."),
        click.option("--snap", type=float, default=1.0, show_default=True,
                     help="Metres: --boundaries vertices this close are snapped together so that neighbours "
                          "share edges (0: off)."),
        click.option("--sliver", type=float, default=100.0, show_default=True,
                     help="Square metres: gaps between --boundaries units smaller than this are closed (0: off)."),
        click.option("--value-model", default="crime", show_default=True,
                     help="Demand model for contract value: crime, adults, population, males18_49, budget2003."),
        click.option("--values", "values_file", type=click.Path(dir_okay=False),
                     help="CSV lad_code,value (£/yr) or lad_code,caseload; replaces --value-model."),
        click.option("--total", type=float, default=None,
                     help="National total in £m a year to scale values to [default: 450]."),
    ]
    return with_options(f, opts)


def load_geography(boundaries_file, code_column, name_column, pfa_column, links_file, snap, sliver, quiet=False):
    """The user's geography (``--boundaries``), or the embedded one; says on stderr what boundary repair
    changed."""
    # imported here, not at the top: keeps `cpa --help` fast
    from ..geography import Geography
    from ..io import read_geography

    if boundaries_file:
        geo = read_geography(boundaries_file, code_column, name_column, pfa_column, links=links_file,
                             snap=snap, sliver=sliver)
        if geo.repair is not None:
            note(quiet, f"cpa: {geo.repair.line()}")
        return geo
    return Geography.default()


def load_inputs(boundaries_file, code_column, name_column, pfa_column, links_file, snap, sliver, value_model,
                values_file, total, quiet=False):
    """(geography, contract values) from the shared options; says on stderr what boundary repair changed."""
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io import values_from_table
    from ..values import DEFAULT_TOTAL_M, contract_values

    geo = load_geography(boundaries_file, code_column, name_column, pfa_column, links_file, snap, sliver, quiet)
    if values_file:
        values = values_from_table(geo, values_file, total)
    else:
        values = contract_values(geo, value_model, DEFAULT_TOTAL_M if total is None else total)
    return geo, values


def emit(text: str, out: str | None, quiet: bool = False) -> None:
    """Print ``text``, or write it whole to ``out`` and say so on stderr."""
    if out:
        try:
            atomic.write_text(out, text)
        except OSError as exc:
            culprit = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
            raise CpaError(f"cannot write {out}: {exc.strerror or exc}{culprit}",
                           "check that the folder is a folder, is writable and has space") from None
        note(quiet, f"wrote {out}")
    else:
        click.echo(text, nl=False)


def market_options(f):
    """The parameters of the market measures (every command that scores a plan: they shape the
    scorecard, and a solve's objective and rules). See the README, "Market attractiveness"."""
    opts = [
        click.option("--pbr-cohort", type=float, default=108_000.0, show_default=True,
                     help="National payment-by-results cohort, offenders a year (the first year of the 2014 "
                          "scheme); an area's cohort is its share by value (by caseload with --values "
                          "lad_code,caseload)."),
        click.option("--pbr-baseline", type=float, default=0.45, show_default=True,
                     help="One-year reoffending rate the change is measured from (a fraction)."),
        click.option("--pbr-design", type=click.Choice(["two-sample", "baseline", "one-sided"]),
                     default="two-sample", show_default=True,
                     help="Test of a fall in reoffending (alpha 0.05, power 0.8): against a comparison cohort "
                          "of the same size, against a fixed baseline rate, or one-sided."),
        click.option("--bidders-max", type=float, default=6.0, show_default=True,
                     help="N_max, the most bidders a very large lot attracts: expected bidders are "
                          "N_max (1 - exp(-(A - A0)/kappa)). A choice near the EU average of 5.7 bidders per "
                          "procedure (2011)."),
        click.option("--bidders-scale", type=float, default=19.0, show_default=True,
                     help="kappa, £m a year (fitted with A0 to two points: 4 bidders at £21.4m, 1 at £4m)."),
        click.option("--bidders-offset", type=float, default=0.54, show_default=True,
                     help="A0, £m a year: no bids below it."),
        click.option("--small-lot-value", type=float, default=12.0, show_default=True,
                     help="Areas at or below this value (£m a year) are small lots that smaller and voluntary-"
                          "sector providers can lead (the one 2014 area not won by a private company)."),
    ]
    return with_options(f, opts)


def market_settings(settings: dict) -> dict:
    """The market parameters among a command's settings (popped from ``settings``)."""
    # imported here, not at the top: keeps `cpa --help` fast
    from ..options import MARKET_SETTINGS

    return {k: settings.pop(k) for k in MARKET_SETTINGS if k in settings}


#: The market rules as options: hard rules for a solve, flags for a scorecard.
PBR_DETECT_HELP = ("every area's cohort must detect a fall of this many percentage points in the reoffending "
                   "rate under --pbr-design (a value floor: 2 points two-sample needs about £40.3m a year)")
SMALL_LOTS_HELP = "at least this many areas at or below --small-lot-value"


def score_flag_options(f):
    """The thresholds the scorecard flags areas against (evaluate, edit)."""
    opts = [
        click.option("--min-value", type=float, help="Flag areas under this value (£m a year)."),
        click.option("--max-share", type=float, help="Flag areas over this share of national value (percent)."),
        click.option("--max-value", type=float, help="Flag areas over this value (£m a year)."),
        click.option("--pbr-detect", type=float, help=f"Flag whether {PBR_DETECT_HELP}."),
        click.option("--small-lots", type=int, help=f"Flag whether there are {SMALL_LOTS_HELP}."),
    ]
    return with_options(f, opts)


#: The objective's mode and weights (solve, compare, sweep, edit).
OBJECTIVE_OPTIONS = [
    click.option("--coterminous", type=click.Choice(["strict", "soft", "off"]), default="strict",
                 show_default=True, help="strict: never split a PFA; soft: splits cost --w-split each; "
                 "off: PFAs ignored."),
    click.option("--w-travel", type=float, default=1.0, show_default=True,
                 help="Weight per km of value-weighted mean travel to the hub."),
    click.option("--w-balance", type=float, default=1.0, show_default=True,
                 help="Weight per percentage point of national value away from the mean, summed over areas."),
    click.option("--w-split", type=float, default=5.0, show_default=True,
                 help="Weight per extra PFA fragment (--coterminous soft)."),
    click.option("--w-pbr", type=float, default=0.0, show_default=True,
                 help="Weight per percentage point of minimum detectable change in reoffending, summed over areas "
                      "(payment by results wants large areas)."),
    click.option("--w-thin", type=float, default=0.0, show_default=True,
                 help="Weight per expected lot with at most one bid (sum over areas of the thin-competition risk; "
                      "competition wants areas above about £20m)."),
    click.option("--w-small", type=float, default=0.0, show_default=True,
                 help="Weight per £m a year of each area's value above --small-lot-value (smaller providers want "
                      "areas under about £12m)."),
]


def objective_options(f):
    """The objective's mode and weights as options (edit; solve_options lists them among its own)."""
    return with_options(f, OBJECTIVE_OPTIONS)


def solve_options(f):
    """The commissioner's rules, the objective's weights, the solver settings and the market parameters,
    shared by solve, compare, sweep and grid."""
    opts = [
        OBJECTIVE_OPTIONS[0],
        click.option("--min-value", type=float, help="Market floor: no area under this value (£m a year)."),
        click.option("--max-value", type=float, help="No area over this value (£m a year)."),
        click.option("--max-share", type=float,
                     help="No area over this share of national value (percent). The 2014 competition's 25% was a "
                          "cap on what any one bidder could win across all lots, not a cap per lot; a per-area cap "
                          "is necessary for that, not the same rule."),
        click.option("--max-pfas", type=int, help="At most this many PFAs (whole or part) per area."),
        click.option("--pbr-detect", type=float, help=f"Payment-by-results rule: {PBR_DETECT_HELP}."),
        click.option("--small-lots", type=int, help=f"Small-lots rule: {SMALL_LOTS_HELP}."),
        click.option("--keep-whole", multiple=True, metavar="NAME",
                     help="Keep a PFA, 2021 region, 'Wales', 'England' or 'London' in one area (repeatable)."),
        click.option("--lock", multiple=True, metavar="LAD=AREA",
                     help="Put a LAD in the area labelled AREA (repeatable; same label = same area)."),
        click.option("--start", metavar="PLAN", help="Warm start from a reference (e.g. trusts35) or plan file."),
        *OBJECTIVE_OPTIONS[1:],
        click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True,
                     help="MIP solver for the restricted master (choosing K of the generated areas). The master "
                     "LP and the pricing MIPs always use HiGHS (highspy): they change incrementally."),
        click.option("--time-limit", type=float, default=120.0, show_default=True,
                     help="Seconds for the whole solve, building included; it ends within max(5%, 5 s) of this "
                          "with the best plan and the best bound found."),
        click.option("--gap", type=float, default=None, help="Stop at this relative gap (e.g. 0.01); the plan "
                     "is then reported as feasible with its gap. 'Optimal' means a relative gap of at most 1e-6."),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--threads", type=int, default=None,
                     help="Solver threads; at LAD level also hubs priced at a time "
                          "[default: solver's choice; hubs on every core, at most 4]."),
    ]
    return with_options(market_options(f), opts)  # the market options come after these in --help


def build_solve_options(k, **settings):
    """SolveOptions from the CLI's values (£m, percent; the solve options, the objective's weights and the
    market parameters); SolveOptions checks every one of them."""
    # imported here, not at the top: keeps `cpa --help` fast
    from ..options import options_from_settings

    return options_from_settings(k, **settings)


def explicit(ctx, params: dict) -> dict:
    """The options actually typed on the command line (not click's defaults)."""
    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    return {k: v for k, v in params.items() if ctx.get_parameter_source(k) in given}


def with_codes(options, geo):
    """``options`` with ``--lock`` targets and ``--keep-whole`` groups given by name turned into codes.

    A lock may name a LAD or a whole PFA (every LAD of the PFA is locked to the
    label); a keep-whole group may be a PFA, region, country, London, a trust or
    a CRC area. A miss says what was probably meant; an ambiguous name lists the
    candidates.
    """
    # imported here, not at the top: keeps `cpa --help` fast
    from ..geography import GROUP_KINDS

    locks = []
    for target, label in options.locks:
        place = geo.find(target, kinds=("lad", "pfa"), what=f"--lock {target}={label}: LAD or PFA")
        locks += [(unit, label) for unit in place.units]
    keep = [geo.find(name, kinds=GROUP_KINDS, what="--keep-whole group").code for name in options.keep_whole]
    return replace(options, locks=tuple(locks), keep_whole=tuple(keep))


def output_options(*formats: str, default: str = "table"):
    """``--format`` (the result on stdout; ``json`` is one JSON document and nothing else) and ``--quiet``."""
    def deco(f):
        f = click.option("--quiet", "-q", is_flag=True,
                         help="Nothing on stderr but errors: no progress, banners or 'wrote' lines.")(f)
        f = click.option("--format", "fmt", type=click.Choice(list(formats)), default=default, show_default=True,
                         help="How to print the result on stdout; json is one JSON document and nothing else.")(f)
        return f
    return deco


def note(quiet: bool, text: str) -> None:
    """A line for the person at the terminal, on stderr (never stdout), unless ``--quiet``."""
    if not quiet:
        click.echo(text, err=True)


def print_document(kind: str, body: dict) -> None:
    """The one JSON document of ``--format json`` on stdout."""
    # imported here, not at the top: keeps `cpa --help` fast
    from ..io.serialise import document

    click.echo(document(kind, body), nl=False)


class StopRequest(threading.Event):
    """Set by the first Ctrl-C or SIGTERM during a long run; ``signum`` says which."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_SIGTERM if self.signum == signal.SIGTERM else EXIT_SIGINT

    @property
    def what(self) -> str:
        """How the run ended, in the words of every other interrupt's last line."""
        return "terminated (SIGTERM)" if self.signum == signal.SIGTERM else "interrupted"

    def exit_keeping(self, kept: str):
        """End a stopped run that kept something: one line on stderr saying what, and the interrupt's exit
        code (not a failure, not a success)."""
        click.echo(f"cpa: {self.what}; kept {kept}", err=True)
        raise SystemExit(self.exit_code)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """While the block runs, the first Ctrl-C or SIGTERM asks the run to stop and keep its best plan
    (the engine polls the event) instead of raising; a second one aborts at once, writing nothing."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def ask(signum, frame):
        if stop.is_set():
            raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        stop.signum = signum
        stop.set()

    previous = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def raise_interrupt(stop: StopRequest):
    """After a run that stopped with nothing to keep: the same exit as an interrupt anywhere else."""
    raise Terminated() if stop.signum == signal.SIGTERM else KeyboardInterrupt()


def live_progress(live):
    """A progress callback for the engine's events that updates a :class:`~cpa.progress.LiveStatus`."""
    def update(event) -> None:
        live.update(phase=event.phase, objective=event.objective, bound=event.bound, gap=event.gap)
    return update
