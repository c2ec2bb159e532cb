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

a list of :class:`ValueTerm` objects. A new per-area term that depends only on
an area's value (e.g. a market-attractiveness term such as
:math:`w\cdot 12.7/\sqrt{A}`, :math:`w\,(A-12)^+` or a non-convex bid-risk
curve) is one more :class:`ValueTerm`. Each term gives, besides its value, a
convex piecewise-linear *lower envelope* (a list of lines whose maximum never
exceeds the term on :math:`[0, V]`): pricing and bounds use the envelope, so
they stay valid for non-convex terms; for convex PWL terms (balance) it is
exact.

Every evaluator uses this module: the optimisation engine's column costs
(:class:`cpa.optimise.costs.AreaCosts`), the heuristics, and
:func:`plan_terms` (the terms reported in ``run.json``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geography import Geography
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


class Objective:
    """The objective of one request: weights, mean, value terms and the travel matrix.

    ``unit_travel[l, h]`` is unit ``l``'s weighted travel to hub ``h`` in objective units
    (``w_T * v_l * dist(l, h) / V``), so an area's travel term is the column sum over its units,
    minimised over hubs inside the area.
    """

    def __init__(self, geo: Geography, values: ContractValues, k: int, coterminous: str, weights):
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
        self.value_terms: list[ValueTerm] = [Balance(self.w_balance * 100.0 / self.total, self.mean)]
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
        out = 0.0
        for lines in self.value_envelope():
            out = out + np.max([s * np.asarray(value, dtype=float) + c for s, c in lines], axis=0)
        return out

    def value_terms_are_balance_only(self) -> bool:
        return all(isinstance(t, Balance) for t in self.value_terms)

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
        hub of each area unless given). The one definition every report is scored by."""
        travel_w = 0.0
        value_part = 0.0
        balance = 0.0
        touched = 0
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
        travel_km = travel_w / self.total
        fragments = touched - len(self.pfa_codes)
        objective = self.w_travel * travel_km + value_part + self.w_split * fragments
        return {"travel_km": float(travel_km), "balance_pct": float(100.0 * balance / self.total),
                "pfa_fragments": int(fragments), "objective": float(objective)}

    def plan_objective(self, plan) -> dict[str, float]:
        """:meth:`plan_terms` for a :class:`cpa.plan.Plan`."""
        idx = self.geo.index_of
        return self.plan_terms([[idx[u] for u in units] for units in plan.members().values()])


def objective_for(geo: Geography, values: ContractValues, options) -> Objective:
    """The objective of a request (``options``: a SolveOptions)."""
    return Objective(geo, values, options.k, options.coterminous, options.weights)
