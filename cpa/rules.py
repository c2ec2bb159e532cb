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
under £12m") are :class:`PlanRule` subclasses: a coefficient per area and a sense and right-hand
side; the engine adds the row to its master and passes the row's dual to pricing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx

from .errors import CpaError, InfeasibleRequest

TOL = 1e-6


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
    """A plan-level rule: ``sum over chosen areas of coefficient(area) (sense) rhs``.

    The master (:class:`cpa.optimise.master.Master`) adds one row per plan rule and returns its
    dual; a column's coefficient is ``coefficient(facts)``. Pricing must then add
    ``-dual * coefficient`` to each candidate area's reduced cost (for a coefficient that depends
    on the value only, as one more value term with a valid lower envelope); that part is written
    with the first plan rule (issue 13), and until then the engine refuses plan rules rather than
    price without them.
    """

    label = "a plan-level rule"
    sense = ">="  # or "<="
    rhs = 0.0

    def coefficient(self, facts: AreaFacts) -> float:
        raise NotImplementedError

    def precheck(self, req: Request) -> None:
        pass


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
    return rules


def plan_rules(options, total: float) -> list[PlanRule]:
    """Plan-level rules of a request (none are offered as options yet)."""
    return []


def scorecard_rules(min_value: float | None, max_share: float | None, max_value: float | None,
                    total: float) -> list[Rule]:
    """The rules a scorecard flags (floor, share cap, ceiling), in the order the scorecard lists them."""
    rules: list[Rule] = []
    if min_value is not None:
        rules.append(ValueFloor(float(min_value)))
    if max_value is not None:
        rules.append(ValueCeiling(float(max_value)))
    if max_share is not None:
        rules.append(ShareCap(float(max_share), total))
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
