"""Compare options side by side: solve or load each, score each with the same scorecard.

:func:`compare` gathers one row per option; :func:`cpa.render.outputs.write_comparison`
writes the table, each option's plan, one map with every option as a layer,
pictures and an HTML report with a commentary computed from the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import pandas as pd

from ..errors import CpaError, InfeasibleRequest, NoPlanFound
from ..geography import Geography
from ..io.names import read_names
from ..io.plans import read_plan
from ..metrics import Scorecard, scorecard
from ..naming import named_plan
from ..optimise import solve
from ..optimise.engine import Interrupted
from ..options import MarketParameters
from ..plan import Plan
from ..values import ContractValues
from .options import Option
from .table import comparison_table


@dataclass
class ComparisonResult:
    """One row per option in ``table``; plans, scorecards and solve reports (None for plans) by name."""

    options: list[Option]
    table: pd.DataFrame
    plans: dict[str, Plan]
    cards: dict[str, Scorecard]
    reports: dict[str, dict | None]
    #: Options not run because the comparison was stopped (Ctrl-C) before them.
    not_run: list[str] = field(default_factory=list)

    @property
    def interrupted(self) -> bool:
        """True when the comparison was stopped: an option ended early or was not run."""
        return bool(self.not_run) or any(r is not None and r.status == "interrupted" for r in self.reports.values())


def _relabel(card: Scorecard, name: str) -> Scorecard:
    return Scorecard(areas=card.areas, summary={**card.summary, "plan": name}, notes=list(card.notes))


def compare(options: Sequence[Option], geo: Geography, values: ContractValues, *,
            min_value_m: float | None = None, max_share_pct: float | None = None, max_value_m: float | None = None,
            market: MarketParameters | None = None, pbr_detect: float | None = None, small_lots: int | None = None,
            progress: Callable[[str], None] | None = None, solve_progress=None,
            stop=None) -> ComparisonResult:
    """Solve or load every option, score it, and tabulate one row per option (in the given order).

    ``min_value_m``/``max_value_m`` (£m a year), ``max_share_pct`` (percent),
    ``pbr_detect`` (points) and ``small_lots`` flag areas in the *existing*
    plans' scorecards, whose market measures take the parameters ``market``;
    solved options are scored against their own rules and parameters. A solve that is infeasible or finds no plan raises
    (:class:`InfeasibleRequest` / :class:`NoPlanFound`) naming the option, so
    a comparison is never silently missing one. ``progress`` gets one line of
    text as each option starts and ends; ``solve_progress`` the engine's
    events during each solve. When ``stop`` (a ``threading.Event``) is set, the
    running solve returns its best plan (status ``interrupted``) and the
    options after it are not run: the result keeps what finished and says
    which were not run (``not_run``, ``interrupted``).
    """
    options = list(options)
    if not options:
        raise CpaError("nothing to compare", "give at least one option: --areas K or --reference PLAN")
    names = [o.name for o in options]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CpaError(f"option names must be unique; repeated: {', '.join(dupes)}", "give each option its own name")
    say = progress or (lambda text: None)
    plans, cards, reports = {}, {}, {}
    # Existing plans first: a bad plan file should fail in a second, not after an hour of solving.
    for i, opt in enumerate(options, 1):
        if opt.plan is not None:
            plan = read_plan(opt.plan, geo)
            user = read_names(opt.names, plan) if opt.names else None
            plans[opt.name] = named_plan(plan, geo, values, user, label=opt.name)
            cards[opt.name] = scorecard(plans[opt.name], geo, values, min_value_m=min_value_m,
                                        max_share_pct=max_share_pct, max_value_m=max_value_m, market=market,
                                        pbr_detect=pbr_detect, small_lots=small_lots)
            reports[opt.name] = None
            say(f"[{i}/{len(options)}] {opt.name}: scored {opt.plan} ({plan.k} areas)")
    not_run = []
    for i, opt in enumerate(options, 1):
        if opt.solve is None:
            continue
        if stop is not None and stop.is_set():
            not_run.append(opt.name)
            continue
        tag = f"[{i}/{len(options)}] {opt.name}"
        say(f"{tag}: solving K={opt.solve.k} (time limit {opt.solve.time_limit:g} s)...")
        try:
            result = solve(geo, values, opt.solve, progress=solve_progress, stop=stop)
        except Interrupted:
            not_run.append(opt.name)
            continue
        except (InfeasibleRequest, NoPlanFound) as exc:
            raise type(exc)(f"option {opt.name!r}: {exc.message}", exc.hint) from None
        plans[opt.name] = Plan(result.plan.assignment, result.plan.names, label=opt.name)
        cards[opt.name] = _relabel(result.scorecard, opt.name)
        reports[opt.name] = result.report
        r = result.report
        gap = "" if r.gap is None else f", gap {r.gap:.2%}"
        say(f"{tag}: {r.status}{gap} in {r.wall_seconds:.1f} s")
    done = [o for o in options if o.name not in not_run]
    plans, cards, reports = ({o.name: d[o.name] for o in done} for d in (plans, cards, reports))  # given order
    table = comparison_table(done, cards, reports)
    return ComparisonResult(done, table, plans, cards, reports, not_run)
