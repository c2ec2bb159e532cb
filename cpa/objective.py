r"""The objective, once: what a plan costs, area by area.

The objective is a sum over areas. An area :math:`S` (a set of units, with
value :math:`A_S` in £ a year) costs

.. math::

    c_S = w_T\,\frac{1}{V}\min_{h\in S}\sum_{l\in S} v_l\,\mathrm{dist}(l,h)
        \;+\; g(A_S) \;+\; w_S\,|\mathrm{PFAs}(S)|

and a plan costs :math:`\sum_S c_S - w_S|P|` (the constant makes the split
term count *extra* PFA fragments; :math:`w_S = 0` unless coterminosity is
``soft``). :math:`V` is the national total and :math:`m = V/K` the mean area
value. The first term is the value-weighted mean km from each unit to its
area's hub (the value-weighted 1-median of the area, ties to the lowest
index); the second is the *value-dependent* part

.. math::

    g(A) = \sum_j g_j(A), \qquad g_{\mathrm{balance}}(A) = w_B\,\frac{100}{V}\,|A - m| ,

a list of :class:`ValueTerm` objects, one per weighted term. The market terms
(:mod:`cpa.market`; each only when its weight is positive) are

.. math::

    g_{\mathrm{pbr}}(A) = w_D\,\mathrm{MDC}(A), \qquad
    g_{\mathrm{thin}}(A) = w_R\,R(A), \qquad
    g_{\mathrm{small}}(A) = w_V\,(A - A_V)^+ ,

the minimum detectable change in points, the risk of at most one bid and the
value above the small-lot threshold in £m. Each term gives, besides its value,
a convex piecewise-linear *lower envelope* (a list of lines whose maximum never
exceeds the term on :math:`[0, V]`): pricing and bounds use the envelope, so
they stay valid for non-convex terms. For convex PWL terms (balance, the value
above the threshold) it is exact. MDC and :math:`R` are non-increasing in
:math:`A`; :math:`R` is concave below about £3.4m and MDC is flat (nothing is
detectable) for tiny cohorts, so neither is convex on :math:`[0, V]`. Their
envelopes (:func:`decreasing_envelope`) are lines of the lower convex hull of
the term on a fine grid, each lowered by the most the term can fall below it
inside one grid step: on :math:`[x_i, x_{i+1}]` a non-increasing term is at
least its value at :math:`x_{i+1}` and a non-increasing line at most its value
at :math:`x_i`, so a line with :math:`\ell(x_i) \le f(x_{i+1})` for every
step is below the term *everywhere* on :math:`[0, V]`, not only at the grid
points.

Every evaluator uses this module: the optimisation engine's column costs
(:class:`cpa.optimise.costs.AreaCosts`), the heuristics, and
:func:`plan_terms` (the terms reported in ``run.json``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .geography import Geography
from .market import MarketModel, market_model
from .values import ContractValues


class ValueTerm:
    """A per-area cost that depends on the area's value only (£ a year)."""

    name = "value term"

    def __call__(self, value):  # float or ndarray -> same
        raise NotImplementedError

    def envelope(self) -> list[tuple[float, float]]:
        """Lines ``(slope, intercept)`` whose maximum is a convex lower bound of the term on [0, V]."""
        raise NotImplementedError

    @property
    def exact_envelope(self) -> bool:
        """True when the envelope equals the term (so pricing with it is exact, not only a bound)."""
        return False


@dataclass(frozen=True)
class Balance(ValueTerm):
    """``scale * |A - mean|``: value away from the mean, in percentage points of the national total."""

    scale: float
    mean: float
    name = "balance"

    def __call__(self, value):
        return self.scale * np.abs(np.asarray(value, dtype=float) - self.mean) if np.ndim(value) \
            else self.scale * abs(float(value) - self.mean)

    def envelope(self) -> list[tuple[float, float]]:
        return [(self.scale, -self.scale * self.mean), (-self.scale, self.scale * self.mean)]

    @property
    def exact_envelope(self) -> bool:
        return True


#: Lines kept per non-convex market term, and the grid their validity is checked on.
ENVELOPE_LINES = 24
ENVELOPE_POINTS = 20_001


def _lower_hull(x: np.ndarray, y: np.ndarray) -> list[int]:
    """Indices of the lower convex hull of points sorted by x (Andrew's monotone chain)."""
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b when it is on or above the segment a -> i
            if (y[b] - y[a]) * (x[i] - x[a]) >= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return hull


def decreasing_envelope(f, upper: float, around: float, lines: int = ENVELOPE_LINES,
                        points: int = ENVELOPE_POINTS) -> list[tuple[float, float]]:
    """Lines ``(slope, intercept)`` whose maximum is at most ``f`` everywhere on ``[0, upper]``, for a
    non-increasing ``f`` (vectorised). They are segments of the lower convex hull of ``f`` on a grid
    (dense near 0, geometric), chosen to touch ``f`` near ``around`` (the mean area value) and spread
    over a factor 6 either side, plus the first and last segments; each is lowered by
    ``max_i (l(x_i) - f(x_{i+1}))^+`` (see the module docstring), so the guarantee does not depend on
    the grid."""
    x = np.unique(np.concatenate([[0.0], np.geomspace(upper * 1e-7, upper, points - 1)]))
    y = np.asarray(f(x), dtype=float)
    if np.any(np.diff(y) > 1e-12 * max(1.0, float(np.abs(y).max()))):
        raise ValueError("decreasing_envelope needs a non-increasing function")
    hull = _lower_hull(x, y)
    segs = [(hull[j], hull[j + 1]) for j in range(len(hull) - 1)]
    if not segs:
        return [(0.0, float(y.min()))]
    # segments touching f nearest to the target values (and the two ends)
    lo, hi = max(around / 6.0, x[1]), min(around * 6.0, upper)
    targets = np.geomspace(lo, hi, max(lines - 2, 1)) if hi > lo else np.array([around])
    left = np.array([x[a] for a, _ in segs])
    chosen = {0, len(segs) - 1}
    for t in targets:
        chosen.add(int(np.clip(np.searchsorted(left, t), 0, len(segs) - 1)))
    scale = max(1.0, float(np.abs(y).max()))
    out = []
    for j in sorted(chosen):
        a, b = segs[j]
        slope = (y[b] - y[a]) / (x[b] - x[a])
        icpt = y[a] - slope * x[a]
        line = slope * x + icpt
        margin = max(0.0, float(np.max(line[:-1] - y[1:])))
        out.append((float(slope), float(icpt - margin - 1e-12 * scale)))
    return out


@functools.lru_cache(maxsize=64)
def _market_envelope(kind: str, model: MarketModel, weight: float, total: float, mean: float):
    term = MarketTerm(kind, weight, model, total)
    return tuple(decreasing_envelope(term, total, mean))


@dataclass(frozen=True)
class MarketTerm(ValueTerm):
    """``weight * MDC(A)`` (``kind`` pbr, points) or ``weight * R(A)`` (``kind`` thin): non-increasing
    and not convex on [0, V], so their envelope is built by :func:`decreasing_envelope`."""

    kind: str
    weight: float
    model: MarketModel
    total: float
    mean: float = 0.0

    @property
    def name(self) -> str:
        return {"pbr": "PbR detectability", "thin": "thin competition"}[self.kind]

    def __call__(self, value):
        a = np.asarray(value, dtype=float) / 1e6 if np.ndim(value) else float(value) / 1e6
        if self.kind == "pbr":
            return self.weight * self.model.detectable_change_of_value(a, self.total / 1e6)
        return self.weight * self.model.thin_risk(a)

    def envelope(self) -> list[tuple[float, float]]:
        return list(_market_envelope(self.kind, self.model, self.weight, self.total,
                                     self.mean or self.total / 10.0))


@dataclass(frozen=True)
class AboveSmallLot(ValueTerm):
    """``weight * (A / 1e6 - threshold_m)^+``: £m a year above the small-lot value (convex, exact envelope)."""

    weight: float
    threshold_m: float
    name = "value above small lot"

    def __call__(self, value):
        if np.ndim(value):
            return self.weight * np.maximum(np.asarray(value, dtype=float) / 1e6 - self.threshold_m, 0.0)
        return self.weight * max(float(value) / 1e6 - self.threshold_m, 0.0)

    def envelope(self) -> list[tuple[float, float]]:
        return [(0.0, 0.0), (self.weight / 1e6, -self.weight * self.threshold_m)]

    @property
    def exact_envelope(self) -> bool:
        return True


def line_arrays(envelopes) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per term, its envelope's slopes and intercepts as arrays."""
    return [(np.array([l[0] for l in lines], dtype=float), np.array([l[1] for l in lines], dtype=float))
            for lines in envelopes]


def envelope_value(arrays, value):
    """Sum over terms of the max of its lines at ``value`` (a float or an array of any shape)."""
    v = np.asarray(value, dtype=float)
    out = 0.0
    for slopes, icpts in arrays:
        out = out + np.max(np.multiply.outer(v, slopes) + icpts, axis=-1)
    return out if np.ndim(value) else float(out)


class Objective:
    """The objective of one request: weights, mean, value terms and the travel matrix.

    ``unit_travel[l, h]`` is unit ``l``'s weighted travel to hub ``h`` in objective units
    (``w_T * v_l * dist(l, h) / V``), so an area's travel term is the column sum over its units,
    minimised over hubs inside the area.
    """

    def __init__(self, geo: Geography, values: ContractValues, k: int, coterminous: str, weights,
                 market: MarketModel | None = None):
        self.geo = geo
        self.k = int(k)
        self.coterminous = coterminous
        self.weights = weights
        self.v = values.array(geo)
        self.total = float(values.total)
        self.mean = self.total / self.k
        self.w_travel = float(weights.travel)
        self.w_balance = float(weights.balance)
        self.w_split = float(weights.split) if coterminous == "soft" else 0.0
        self.market = market_model(market)
        self.value_terms: list[ValueTerm] = [Balance(self.w_balance * 100.0 / self.total, self.mean)]
        w_pbr, w_thin, w_small = (float(getattr(weights, w, 0.0)) for w in ("pbr", "thin", "small"))
        if w_pbr > 0:
            self.value_terms.append(MarketTerm("pbr", w_pbr, self.market, self.total, self.mean))
        if w_thin > 0:
            self.value_terms.append(MarketTerm("thin", w_thin, self.market, self.total, self.mean))
        if w_small > 0:
            self.value_terms.append(AboveSmallLot(w_small, self.market.small_lot_value_m))
        self.pfa_codes = sorted(geo.pfa_members)
        self.pfa_id = {p: i for i, p in enumerate(self.pfa_codes)}
        self.unit_pfa = np.array([self.pfa_id[p] for p in geo.pfa_of.loc[geo.codes]], dtype=int)

    # -------------------------------------------------------------- pieces
    @property
    def unit_travel(self) -> np.ndarray:
        if not hasattr(self, "_unit_travel"):
            self._unit_travel = self.w_travel * self.v[:, None] * self.geo.distance_km / self.total
        return self._unit_travel

    def value_cost(self, value):
        """g(A): the value-dependent part of an area's cost."""
        return sum(term(value) for term in self.value_terms)

    def value_envelope(self) -> list[list[tuple[float, float]]]:
        """Per term, the lines of its convex lower envelope (g >= sum over terms of max over lines)."""
        return [term.envelope() for term in self.value_terms]

    @property
    def value_envelope_exact(self) -> bool:
        return all(t.exact_envelope for t in self.value_terms)

    def value_cost_lower(self, value):
        """The envelope of g at ``value`` (a lower bound of g, equal to it for exact terms)."""
        return envelope_value(self._envelope_arrays(), value)

    def _envelope_arrays(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if not hasattr(self, "_env_arrays"):
            self._env_arrays = line_arrays(self.value_envelope())
        return self._env_arrays

    def value_terms_are_balance_only(self) -> bool:
        return all(isinstance(t, Balance) for t in self.value_terms)

    def market_terms(self, value: float) -> dict[str, float]:
        """The market measures of one area of ``value`` (£ a year) that the objective can weigh:
        detectable change (points), risk of at most one bid, £m above the small-lot value."""
        a, total_m = value / 1e6, self.total / 1e6
        m = self.market
        return {"pbr_detectable_pts": m.detectable_change_of_value(a, total_m), "thin_risk_sum": m.thin_risk(a),
                "value_above_small_m": m.value_above_small(a)}

    def max_area_cost(self, n_pfas_total: int) -> float:
        """An upper bound on any one area's cost (travel of every unit to the farthest hub, the
        largest value cost on [0, V], every PFA touched): used to scale artificial columns."""
        travel = float(self.unit_travel.max(axis=1).sum())
        grid = np.linspace(0.0, self.total, 1001)
        value = float(np.max(self.value_cost(grid)))
        return travel + value + self.w_split * n_pfas_total

    def split_cost(self, n_pfas):
        return self.w_split * n_pfas

    @property
    def constant(self) -> float:
        """Plan-level constant: ``-w_S |P|`` (soft), so the split term counts extra fragments."""
        return -self.w_split * len(self.pfa_codes)

    # -------------------------------------------------------------- areas and plans
    def area_cost(self, units) -> tuple[float, int]:
        """(cost, hub unit index) of one area given by unit indices; the hub is the area's cheapest unit."""
        idx = np.asarray(sorted(units), dtype=int)
        travel = self.unit_travel[idx][:, idx].sum(axis=0)
        j = int(np.argmin(travel))
        value = float(self.v[idx].sum())
        n_pfas = len(set(self.unit_pfa[idx].tolist()))
        return float(travel[j]) + float(self.value_cost(value)) + self.split_cost(n_pfas), int(idx[j])

    def plan_terms(self, areas: list, hubs: list[int] | None = None) -> dict[str, float]:
        """The objective and its terms for a plan given as lists of unit indices (hubs: the best
        hub of each area unless given). The one definition every report is scored by. The market
        terms are sums over areas (summed detectable change in points, expected lots with at most
        one bid, £m above the small-lot value), reported whatever their weights."""
        travel_w = 0.0
        value_part = 0.0
        balance = 0.0
        touched = 0
        market = dict.fromkeys(("pbr_detectable_pts", "thin_risk_sum", "value_above_small_m"), 0.0)
        for i, units in enumerate(areas):
            idx = np.asarray(sorted(units), dtype=int)
            if hubs is None:
                col = self.v[idx] @ self.geo.distance_km[np.ix_(idx, idx)]
                h = int(idx[int(np.argmin(col))])
            else:
                h = int(hubs[i])
            travel_w += float(self.v[idx] @ self.geo.distance_km[idx, h])
            value = float(self.v[idx].sum())
            value_part += float(self.value_cost(value))
            balance += abs(value - self.mean)
            touched += len(set(self.unit_pfa[idx].tolist()))
            for key, x in self.market_terms(value).items():
                market[key] += float(x)
        travel_km = travel_w / self.total
        fragments = touched - len(self.pfa_codes)
        objective = self.w_travel * travel_km + value_part + self.w_split * fragments
        return {"travel_km": float(travel_km), "balance_pct": float(100.0 * balance / self.total),
                "pfa_fragments": int(fragments), **market, "objective": float(objective)}

    def plan_objective(self, plan) -> dict[str, float]:
        """:meth:`plan_terms` for a :class:`cpa.plan.Plan`."""
        idx = self.geo.index_of
        return self.plan_terms([[idx[u] for u in units] for units in plan.members().values()])


def objective_for(geo: Geography, values: ContractValues, options) -> Objective:
    """The objective of a request (``options``: a SolveOptions)."""
    return Objective(geo, values, options.k, options.coterminous, options.weights, market_model(options.market))
