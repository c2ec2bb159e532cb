"""The commissioner's rules, once: each rule is one class, and everything else loops over them.

A rule owns

* its **pre-check** (:meth:`Rule.precheck`): reject a request that cannot hold before any model
  is built, naming the rule ("Metropolitan Police alone is 17.4% of value, above the 12% cap");
* its **effect on blocks** (:meth:`Rule.merge`): strict coterminosity and keep-whole groups merge
  units into blocks that are never split;
* its **column check** (:meth:`Rule.area_ok`) on an area's facts (value, PFAs touched, lock labels);
* its **monotone pruning test** (:meth:`Rule.can_grow`): False when no *superset* of the area can
  pass (a cap, a PFA limit and a lock conflict only get worse as an area grows; a floor does not);
* its **rows in the pricing model** (:meth:`Rule.pricing_rows`), through the small interface of
  :class:`cpa.optimise.pricing.PricingModel`;
* its **scorecard flag** (:meth:`Rule.flag`), which :func:`cpa.metrics.scorecard` calls;
* how to drop it (:meth:`Rule.relax`), used to name the binding rule of an infeasible request.

A new per-area constraint is one class here and one option in :class:`cpa.optimise.SolveOptions`.
Plan-level rules (a row over the columns of the set-partitioning master, such as "at least M areas
at or below £12m", :class:`SmallLots`) are :class:`PlanRule` subclasses: a coefficient per area and
a sense and right-hand side; the engine adds the row to its master and passes the row's dual to
pricing, where it is one more value term (:meth:`PlanRule.dual_term`).

The market rules (:mod:`cpa.market`): :class:`PbrDetect` (``--pbr-detect D``: every area's cohort
detects a fall of D points, i.e. a value floor from :meth:`cpa.market.MarketModel.value_to_detect`)
and :class:`SmallLots` (``--small-lots M``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from .errors import CpaError, InfeasibleRequest
from .market import MarketModel, market_model
from .objective import ValueTerm

TOL = 1e-6


def _m(x: float) -> str:
    """£ a year as people read it: £40.3m."""
    return f"£{x / 1e6:,.1f}m"


def areas_reaching(values, floor: float) -> int:
    """At most how many disjoint areas made of blocks with these values (£) can each reach ``floor``:
    a block at or above the floor makes one area however large it is; the others must pool. A
    necessary condition (contiguity can only lower the number)."""
    values = np.asarray(values, dtype=float)
    big = values >= floor - TOL
    return int(big.sum()) + int(math.floor((float(values[~big].sum()) + TOL) / floor))


def _whole_what(req) -> str:
    """What keeps blocks whole in words: 'whole PFAs', 'the groups kept whole'."""
    return "whole PFAs" if req.coterminous == "strict" else "the groups kept whole and the locks"


def floor_precheck(req, floor: float, what: str, hint: str) -> None:
    """Raise InfeasibleRequest when K areas cannot all reach ``floor`` (£): first by value alone
    (K x floor above the total: "16 areas cannot all reach £40.3m of £450.0m; at most 11 can"),
    then with the blocks that must stay whole (a block above the floor makes one area however large:
    whole PFAs or London make it fail earlier)."""
    total, k, bl = req.total, req.k, req.blocks
    by_value = int(math.floor((total + TOL) / floor))
    if k > by_value:
        raise InfeasibleRequest(f"{k} areas cannot all reach {_m(floor)} of {_m(total)}; at most {by_value} "
                                f"can ({what})", hint)
    by_blocks = areas_reaching(bl.value, floor)
    if k > by_blocks:
        big = sorted((b for b in range(bl.n) if bl.value[b] >= 2 * floor - TOL), key=lambda b: -bl.value[b])
        named = "; ".join(f"{bl.names[b]} ({_m(bl.value[b])})" for b in big[:3]) + ("; ..." if len(big) > 3 else "")
        why = (f": {named} {'each makes' if len(big) > 1 else 'makes'} one area however large"
               if big else "")
        raise InfeasibleRequest(
            f"{k} areas cannot all reach {_m(floor)}: {_m(total)} would allow {by_value}, but with "
            f"{_whole_what(req)} at most {by_blocks} can{why} ({what})",
            hint + ("; or let PFAs be split (--coterminous soft)" if req.coterminous == "strict" else ""))


@dataclass(frozen=True)
class AreaFacts:
    """What per-area rules look at: value (£/yr), PFAs touched, lock labels inside."""

    value: float
    n_pfas: int
    labels: frozenset = frozenset()


@dataclass
class Request:
    """What a pre-check sees: the blocks, the geography, the national total and K."""

    blocks: object  # cpa.optimise.blocks.Blocks
    geo: object
    total: float
    k: int
    coterminous: str

    @property
    def unit_word(self) -> str:
        return "PFAs" if self.coterminous == "strict" else "LADs"


class Rule:
    """A per-area rule (see the module docstring). Defaults: no effect."""

    #: Words for diagnosis: "it becomes feasible without the value floor".
    label = "a rule"

    def precheck(self, req: Request) -> None:
        pass

    def merge(self, geo, union, reasons: dict) -> None:
        """Merge units that must share an area: ``union(a, b)``; ``reasons[unit]`` collects why."""

    def area_ok(self, facts: AreaFacts) -> bool:
        return True

    def can_grow(self, facts: AreaFacts) -> bool:
        """False when no area containing this one can pass (monotone rules only)."""
        return True

    def pricing_rows(self, pm) -> None:
        """Add this rule's rows to a pricing model (see cpa.optimise.pricing.PricingModel)."""

    def flag(self, summary: dict, areas, area_values: dict, total: float) -> None:
        """Add this rule's flags to a scorecard: summary keys and a per-area column of ``areas``
        (a DataFrame indexed by area); ``area_values``: area -> value in £."""

    def relax(self, options):
        """``options`` without this rule (None if it cannot be dropped)."""
        return None


# ------------------------------------------------------------------ block rules
class StrictCoterminosity(Rule):
    """PFAs are never split: each PFA is one block."""

    label = "strict coterminosity"

    def merge(self, geo, union, reasons):
        for pfa, members in geo.pfa_members.items():
            for u in members:
                union(members[0], u)
                reasons[u].append(f"PFA {geo.pfa_name(pfa)} (kept whole by strict coterminosity)")


@dataclass
class KeepWhole(Rule):
    """A named group (PFA, region, country, London) in one area."""

    names: tuple[str, ...]
    label = "the keep-whole groups"

    def merge(self, geo, union, reasons):
        graph = geo.graph()
        for name in self.names:
            label, members = geo.group(name)
            if not nx.is_connected(graph.subgraph(members)):
                raise InfeasibleRequest(f"keep-whole group {label!r} is not connected, so it cannot be one "
                                        "contiguous area", "drop it or add the missing links")
            for u in members:
                union(members[0], u)
                reasons[u].append(f"keep-whole group {label}")

    def relax(self, options):
        return replace(options, keep_whole=())


@dataclass
class Locks(Rule):
    """LAD -> area label: one label per area, the same label in one area."""

    pairs: tuple[tuple[str, str], ...]
    label = "the locks"

    def labels_by_lad(self, geo) -> dict[str, str]:
        locks: dict[str, str] = {}
        for lad, label in self.pairs:
            if lad not in geo.index_of:
                raise CpaError(f"--lock {lad}={label}: unknown LAD code {lad!r}",
                               "use a 2023 LAD code such as E06000001 (see boundaries/units.csv)")
            if lad in locks and locks[lad] != label:
                raise InfeasibleRequest(f"LAD {lad} is locked to two areas: {locks[lad]!r} and {label!r}")
            locks[lad] = label
        return locks

    def merge(self, geo, union, reasons):
        # done by build_blocks after the other merges: it must see the blocks they made
        pass

    def precheck(self, req):
        labels = {lab for lab in req.blocks.lock if lab is not None}
        if len(labels) > req.k:
            raise InfeasibleRequest(f"{len(labels)} different locked area labels but only {req.k} areas",
                                    "use at most K distinct labels in --lock")

    def area_ok(self, facts):
        return len(facts.labels) <= 1

    can_grow = area_ok

    def pricing_rows(self, pm):
        pm.at_most_one_label()

    def relax(self, options):
        return replace(options, locks=())


# ------------------------------------------------------------------ value rules
@dataclass
class ValueFloor(Rule):
    """No area under ``value`` (£/yr): the market floor."""

    value: float
    label = "the value floor"

    def precheck(self, req):
        if self.value > req.total + TOL:
            raise CpaError(f"--min-value £{self.value / 1e6:,.1f}m is above the national total "
                           f"£{req.total / 1e6:,.1f}m, so no area can reach it",
                           "the floor is in £m a year per area, e.g. --min-value 15")
        if req.k * self.value > req.total + TOL:
            raise InfeasibleRequest(
                f"{req.k} areas x £{self.value / 1e6:,.1f}m floor = £{req.k * self.value / 1e6:,.1f}m, "
                f"above the national total £{req.total / 1e6:,.1f}m", "lower --min-value or use fewer areas")
        floor_precheck(req, self.value, f"--min-value {self.value / 1e6:g}", "lower --min-value or use fewer areas")

    def area_ok(self, facts):
        return facts.value >= self.value - TOL

    def pricing_rows(self, pm):
        pm.value_at_least(self.value)

    def flag(self, summary, areas, area_values, total):
        summary["min_value_m"] = self.value / 1e6
        areas["under_floor"] = [bool(area_values[a] < self.value - TOL) for a in areas.index]
        summary["areas_under_floor"] = [a for a in areas.index if areas.at[a, "under_floor"]]

    def relax(self, options):
        return replace(options, min_value_m=None)


class PbrDetect(ValueFloor):
    """``--pbr-detect D``: every area's payment-by-results cohort can detect a fall of D points in the
    reoffending rate under the chosen design; a value floor of ``model.value_to_detect(D)``."""

    label = "the payment-by-results rule (--pbr-detect)"

    def __init__(self, points: float, model: MarketModel, total: float):
        self.points = float(points)
        self.model = market_model(model)
        self.cohort = self.model.required_cohort(self.points)
        self.value = self.model.value_to_detect(self.points, total / 1e6) * 1e6

    @property
    def what(self) -> str:
        return (f"--pbr-detect {self.points:g}: a {self.model.pbr_design} test needs a cohort of "
                f"{self.cohort:,.0f} of the {self.model.pbr_cohort:,.0f}, i.e. {_m(self.value)} a year per area")

    def precheck(self, req):
        floor_precheck(req, self.value, self.what,
                       "use fewer areas, a larger --pbr-detect, --pbr-design baseline, or a larger --pbr-cohort "
                       "(cohorts pooled over years)")

    def flag(self, summary, areas, area_values, total):
        summary["pbr_detect_pts"] = self.points
        summary["pbr_detect_value_m"] = self.value / 1e6
        areas["below_pbr_detect"] = [bool(area_values[a] < self.value - TOL) for a in areas.index]
        summary["areas_below_pbr_detect"] = [a for a in areas.index if areas.at[a, "below_pbr_detect"]]
        summary["pbr_detect_holds"] = not summary["areas_below_pbr_detect"]

    def relax(self, options):
        return replace(options, pbr_detect=None)


class _Cap(Rule):
    """Common to the value ceiling and the share cap: no area above ``cap`` £/yr."""

    cap: float
    what: str

    def precheck(self, req):
        total, k, bl = req.total, req.k, req.blocks
        if k * self.cap < total - TOL:
            raise InfeasibleRequest(f"{k} areas can hold at most £{k * self.cap / 1e6:,.1f}m under {self.what}, "
                                    f"less than the national total £{total / 1e6:,.1f}m",
                                    "raise the cap or use more areas")
        big = max(range(bl.n), key=lambda b: bl.value[b])
        if bl.value[big] > self.cap + TOL:
            why = f" ({bl.why_merged[big]})" if bl.why_merged[big] else ""
            raise InfeasibleRequest(
                f"{bl.names[big]} alone is {bl.value[big] / total:.1%} of value "
                f"(£{bl.value[big] / 1e6:,.1f}m), above {self.what}{why}",
                "raise the cap, or allow it to be split (--coterminous soft, fewer --keep-whole groups)")

    def area_ok(self, facts):
        return facts.value <= self.cap + TOL

    can_grow = area_ok

    def pricing_rows(self, pm):
        pm.value_at_most(self.cap)


class ValueCeiling(_Cap):
    """No area over ``value`` £/yr (a contract ceiling)."""

    label = "the value cap"

    def __init__(self, value: float):
        self.cap = float(value)
        self.what = f"the £{value / 1e6:,.1f}m maximum"

    def flag(self, summary, areas, area_values, total):
        summary["max_value_m"] = self.cap / 1e6
        areas["over_max_value"] = [bool(area_values[a] > self.cap + TOL) for a in areas.index]
        summary["areas_over_max_value"] = [a for a in areas.index if areas.at[a, "over_max_value"]]

    def relax(self, options):
        return replace(options, max_value_m=None, max_share_pct=None)


class ShareCap(_Cap):
    """No area over ``share`` of national value (a fraction)."""

    label = "the value cap"

    def __init__(self, share: float, total: float):
        self.share = float(share)
        self.cap = self.share * float(total)
        self.what = f"the {share:.0%} cap"

    def flag(self, summary, areas, area_values, total):
        summary["max_share_pct"] = self.share * 100.0
        areas["over_share_cap"] = [bool(area_values[a] / total > self.share + 1e-9) for a in areas.index]
        summary["areas_over_cap"] = [a for a in areas.index if areas.at[a, "over_share_cap"]]

    def relax(self, options):
        return replace(options, max_value_m=None, max_share_pct=None)


@dataclass
class MaxPfas(Rule):
    """At most ``n`` PFAs (whole or part) per area."""

    n: int
    label = "the PFAs-per-area limit"

    def precheck(self, req):
        bl = req.blocks
        if self.n < 1:
            raise InfeasibleRequest(f"--max-pfas must be at least 1, got {self.n}")
        worst = max(range(bl.n), key=lambda b: len(bl.pfas[b]))
        if len(bl.pfas[worst]) > self.n:
            raise InfeasibleRequest(
                f"{bl.names[worst]} must stay in one area but spans {len(bl.pfas[worst])} PFAs, "
                f"more than --max-pfas {self.n}", "raise --max-pfas or drop the keep-whole group")
        n_pfas = len(req.geo.pfa_members)
        if req.k * self.n < n_pfas:
            raise InfeasibleRequest(f"{req.k} areas x at most {self.n} PFAs each cover at most "
                                    f"{req.k * self.n} PFAs, fewer than the {n_pfas} there are",
                                    "raise --max-pfas or use more areas")

    def area_ok(self, facts):
        return facts.n_pfas <= self.n

    can_grow = area_ok

    def pricing_rows(self, pm):
        pm.pfas_at_most(self.n)

    def relax(self, options):
        return replace(options, max_pfas=None)


class PlanRule:
    r"""A plan-level rule: ``sum over chosen areas of coefficient(area) (sense) rhs``.

    The master (:class:`cpa.optimise.master.Master`) adds one row per plan rule and returns its
    dual :math:`\sigma` (:math:`\ge 0` for ``>=``, :math:`\le 0` for ``<=``); a column's coefficient
    is ``coefficient(facts)``. Pricing adds :math:`-\sigma a_S` to each candidate area's reduced cost;
    for a coefficient that depends on the value only, :meth:`dual_term` gives it as one more value
    term with a valid lower envelope, and the Lagrangian bound gains :math:`\sigma\,\mathrm{rhs}`.
    """

    label = "a plan-level rule"
    sense = ">="  # or "<="
    rhs = 0.0

    def coefficient(self, facts: AreaFacts) -> float:
        raise NotImplementedError

    def dual_term(self, sigma: float, total: float) -> ValueTerm | None:
        """``-sigma * coefficient`` as a value term of the area's value (None when it is zero)."""
        raise NotImplementedError

    def pricing_rows(self, pm, sigma: float) -> None:
        """``-sigma * coefficient`` in a hub's pricing MIP, exactly (rows and variables of its own)."""
        raise NotImplementedError

    def precheck(self, req: Request) -> None:
        pass

    def holds(self, total_coefficient: float) -> bool:
        if self.sense == ">=":
            return total_coefficient >= self.rhs - TOL
        return total_coefficient <= self.rhs + TOL

    def flag(self, summary: dict, areas, area_values: dict, total: float) -> None:
        pass

    def relax(self, options):
        return None


@dataclass(frozen=True)
class SmallLotReward(ValueTerm):
    """``-sigma`` for an area at or below the small-lot value, 0 above it: the small-lots row's dual in
    pricing. A step, so not convex: its envelope is ``max(-sigma, -sigma + sigma (A - T) / (V - T))``
    (flat to the threshold, then the chord to (V, 0)), which is below the step everywhere on [0, V]."""

    sigma: float
    threshold: float  # £ a year
    total: float
    model: MarketModel
    name = "small-lots dual"

    def __call__(self, value):
        small = self.model.is_small_lot(np.asarray(value, dtype=float) / 1e6 if np.ndim(value) else float(value) / 1e6)
        return np.where(small, -self.sigma, 0.0) if np.ndim(value) else (-self.sigma if small else 0.0)

    def pieces(self) -> list[tuple[float, float]]:
        """(value cap, constant): -sigma for areas up to the threshold, 0 for any area (pricing's
        knapsack bounds take the least over them, which is exact for the step)."""
        return [(self.threshold, -self.sigma), (np.inf, 0.0)]

    def envelope(self) -> list[tuple[float, float]]:
        lines = [(0.0, -self.sigma)]
        if self.total > self.threshold:
            slope = self.sigma / (self.total - self.threshold)
            lines.append((slope, -self.sigma - slope * self.threshold))
        return lines


class SmallLots(PlanRule):
    """``--small-lots M``: at least M areas at or below the small-lot value (smaller and voluntary-sector
    providers can lead them). One row over the master's columns: coefficient 1 for a small lot."""

    label = "the small-lots rule (--small-lots)"
    sense = ">="

    def __init__(self, m: int, model: MarketModel, floor: float | None = None, floor_what: str = "",
                 cap: float | None = None):
        self.m = int(m)
        self.rhs = float(m)
        self.model = market_model(model)
        self.threshold = self.model.small_lot_value_m * 1e6
        self.floor, self.floor_what, self.cap = floor, floor_what, cap

    def is_small(self, value: float) -> bool:
        return bool(self.model.is_small_lot(value / 1e6))

    def coefficient(self, facts: AreaFacts) -> float:
        return 1.0 if self.is_small(facts.value) else 0.0

    def dual_term(self, sigma, total):
        if not sigma > 0:
            return None
        return SmallLotReward(float(sigma), self.threshold, float(total), self.model)

    def pricing_rows(self, pm, sigma):
        if sigma > 0:
            pm.reward_if_value_at_most(self.threshold, sigma)

    def precheck(self, req):
        k, total, bl, m, t = req.k, req.total, req.blocks, self.m, self.threshold
        flag = f"--small-lots {m}"
        if m > k:
            raise InfeasibleRequest(f"{flag} asks for more small lots than the {k} areas", "use at most K")
        if self.floor is not None and self.floor > t + TOL:
            raise InfeasibleRequest(
                f"{flag} cannot hold together with {self.floor_what}: every area must reach {_m(self.floor)}, "
                f"above the {_m(t)} small-lot value, so no area can be a small lot",
                "drop one of the two rules, or raise --small-lot-value")
        if m == k and k * t < total - TOL:
            raise InfeasibleRequest(f"{flag}: {k} small lots of at most {_m(t)} hold at most {_m(k * t)}, less than "
                                    f"the national total {_m(total)}", "ask for fewer small lots or more areas")
        if self.cap is not None and m * t + (k - m) * self.cap < total - TOL:
            raise InfeasibleRequest(
                f"{flag}: {m} small lots (at most {_m(t)} each) and {k - m} other areas (at most {_m(self.cap)} "
                f"each) hold at most {_m(m * t + (k - m) * self.cap)}, less than the national total {_m(total)}",
                "ask for fewer small lots, more areas or a higher cap")
        small = [float(v) for v in bl.value if self.is_small(float(v))]
        floor = self.floor if self.floor is not None and self.floor > TOL else None
        possible = len(small) if floor is None else areas_reaching(small, floor)
        if m > possible:
            unit = "PFAs" if req.coterminous == "strict" else "blocks (LADs, or groups kept whole)"
            also = "" if floor is None else f", and each must still reach {_m(floor)} ({self.floor_what})"
            raise InfeasibleRequest(
                f"{flag}: at most {possible} areas can be at or below {_m(t)}: only {len(small)} {unit} are "
                f"worth {_m(t)} or less and a small lot is made of them{also}",
                "ask for fewer small lots, raise --small-lot-value"
                + (", or let PFAs be split (--coterminous soft)" if req.coterminous == "strict" else ""))

    def flag(self, summary, areas, area_values, total):
        summary["small_lots_required"] = self.m
        summary["small_lots_holds"] = self.holds(sum(self.is_small(area_values[a]) for a in areas.index))

    def relax(self, options):
        return replace(options, small_lots=None)


# ------------------------------------------------------------------ from options
def area_rules(options, total: float) -> list[Rule]:
    """The per-area and block rules of a request (``options``: SolveOptions), in a fixed order."""
    rules: list[Rule] = []
    if options.coterminous == "strict":
        rules.append(StrictCoterminosity())
    if options.keep_whole:
        rules.append(KeepWhole(tuple(options.keep_whole)))
    if options.locks:
        rules.append(Locks(tuple(options.locks)))
    if options.min_value_gbp is not None:
        rules.append(ValueFloor(float(options.min_value_gbp)))
    if options.max_value_gbp is not None:
        rules.append(ValueCeiling(float(options.max_value_gbp)))
    if options.max_share_fraction is not None:
        rules.append(ShareCap(float(options.max_share_fraction), total))
    if options.max_pfas is not None:
        rules.append(MaxPfas(int(options.max_pfas)))
    if options.pbr_detect is not None:
        rules.append(PbrDetect(float(options.pbr_detect), options.market, total))
    return rules


def plan_rules(options, total: float) -> list[PlanRule]:
    """Plan-level rules of a request: ``--small-lots M`` (none when M is 0 or not given)."""
    if not options.small_lots:
        return []
    floors = []
    if options.min_value_gbp is not None:
        floors.append((float(options.min_value_gbp), f"--min-value {options.min_value_m:g}"))
    if options.pbr_detect is not None:
        pbr = PbrDetect(float(options.pbr_detect), options.market, total)
        floors.append((pbr.value, f"--pbr-detect {pbr.points:g} ({_m(pbr.value)} per area)"))
    floor, floor_what = max(floors) if floors else (None, "")
    found = [c for c in (options.max_value_gbp,
                         None if options.max_share_fraction is None else options.max_share_fraction * total)
             if c is not None]
    return [SmallLots(int(options.small_lots), options.market, floor, floor_what, min(found) if found else None)]


def scorecard_rules(min_value: float | None, max_share: float | None, max_value: float | None,
                    total: float, *, pbr_detect: float | None = None, small_lots: int | None = None,
                    market=None) -> list:
    """The rules a scorecard flags (floor, share cap, ceiling, the market rules), in the order the
    scorecard lists them."""
    rules: list = []
    if min_value is not None:
        rules.append(ValueFloor(float(min_value)))
    if max_value is not None:
        rules.append(ValueCeiling(float(max_value)))
    if max_share is not None:
        rules.append(ShareCap(float(max_share), total))
    if pbr_detect is not None:
        rules.append(PbrDetect(float(pbr_detect), market_model(market), total))
    if small_lots is not None:
        rules.append(SmallLots(int(small_lots), market_model(market)))
    return rules


def caps(rules: list[Rule]) -> float | None:
    """The tightest value cap among the rules, or None."""
    found = [r.cap for r in rules if isinstance(r, _Cap)]
    return min(found) if found else None


def floor(rules: list[Rule]) -> float | None:
    found = [r.value for r in rules if isinstance(r, ValueFloor)]
    return max(found) if found else None


def max_pfas(rules: list[Rule]) -> int | None:
    found = [r.n for r in rules if isinstance(r, MaxPfas)]
    return min(found) if found else None
