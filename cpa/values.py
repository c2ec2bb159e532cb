"""Contract value model: annual contract value in £ for every unit.

No public per-LAD probation caseload exists, so value is *modelled* from a
named demand proxy and scaled to a national total (default £450m a year, the
2014 award value). Every place that shows values also shows
:attr:`ContractValues.description`.

Models (``MODELS``):

``crime`` (default)
    Police recorded crime 2023/24 excluding fraud, per PFA (Home Office; Devon &
    Cornwall gap-filled from its latest four quarters), shared to the PFA's LADs
    by adult (18+) population. Keeps the real differences in demand between
    forces (Cleveland 130 crimes per 1,000 people, Wiltshire 54); within a PFA it
    is proportional to adults.
``adults`` / ``population`` / ``males18_49``
    ONS mid-2023 population estimates: 18+, all ages, males aged 18-49.
``budget2003``
    2003-04 probation area budgets per PFA, shared to LADs by adults. The
    London budget (Metropolitan Police row) is shared over Met and City LADs.

A user table (:func:`cpa.io.values_from_table`) replaces the model: a
``value`` column is taken as £ a year as given; a ``caseload`` column is
scaled to the national total. Totals are given in £m a year, as on the
command line.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import CpaError
from .options import check_total_m  # noqa: F401  (re-exported: cpa.values.check_total_m)
from .geography import LONDON_PFAS, Geography

#: National total contract value, £m a year (the 2014 award value).
DEFAULT_TOTAL_M = 450.0

MODELS = {
    "crime": "police recorded crime 2023/24 (excl. fraud) per PFA, shared to LADs by adult population",
    "adults": "adult (18+) population, ONS mid-2023",
    "population": "total population, ONS mid-2023",
    "males18_49": "males aged 18-49, ONS mid-2023",
    "budget2003": "2003-04 probation area budgets per PFA, shared to LADs by adult population",
}


@dataclass(frozen=True, eq=False)
class ContractValues:
    """Annual contract value (£) per unit, and how it was made."""

    by_unit: pd.Series
    model: str
    description: str

    @property
    def total(self) -> float:
        return float(self.by_unit.sum())

    @property
    def label(self) -> str:
        return f"{self.model}: {self.description}; total £{self.total / 1e6:,.1f}m/yr"

    def array(self, geo: Geography) -> np.ndarray:
        return self.by_unit.reindex(geo.units.index).to_numpy(dtype=float)

    @property
    def fingerprint(self) -> str:
        text = self.by_unit.sort_index().round(2).to_csv(lineterminator="\n")
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _need(geo: Geography, column: str, model: str) -> pd.Series:
    col = geo.units.get(column)
    if col is None or col.isna().any():
        raise CpaError(
            f"value model {model!r} needs the unit column {column!r}, which this geography lacks",
            "pass --values FILE with a per-unit value or caseload table, or use a model your data supports",
        )
    return col.astype(float)


def _share_within_pfa(geo: Geography, pfa_amount: pd.Series, weight: pd.Series) -> pd.Series:
    pfa = geo.units["pfa_code"]
    pfa_weight = weight.groupby(pfa).transform("sum")
    return pfa.map(pfa_amount).astype(float) * weight / pfa_weight


def demand(geo: Geography, model: str) -> pd.Series:
    """Unscaled demand per unit for a named model."""
    if model not in MODELS:
        close = difflib.get_close_matches(str(model).lower(), list(MODELS), n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise CpaError(f"unknown value model {model!r}", f"{guess}choose one of: {', '.join(MODELS)}")
    if model == "population":
        return _need(geo, "population", model)
    if model in ("adults", "crime", "budget2003"):
        adults = _need(geo, "adults", model)
        if model == "adults":
            return adults
        column = "recorded_crime_2023_24" if model == "crime" else "budget_2003_04_gbp000"
        if column not in geo.pfas.columns:
            raise CpaError(f"value model {model!r} needs PFA-level {column}, which this geography lacks",
                           "use --value-model adults or supply --values FILE")
        amount = geo.pfas[column].astype(float).copy()
        if model == "budget2003":
            # The Met row holds the whole London budget (City = 0): pool it over both PFAs.
            london = [p for p in LONDON_PFAS if p in amount.index]
            pooled = amount.loc[london].sum()
            lw = adults[geo.units["pfa_code"].isin(london)].sum()
            out = _share_within_pfa(geo, amount, adults)
            in_london = geo.units["pfa_code"].isin(london)
            out[in_london] = pooled * adults[in_london] / lw
            return out
        return _share_within_pfa(geo, amount, adults)
    return _need(geo, "males_18_49", model)


def scaled(series: pd.Series, total_m: float) -> pd.Series:
    """``series`` scaled so that it sums to ``total_m`` £m, in £ a year."""
    return series / series.sum() * (total_m * 1e6)


def contract_values(geo: Geography, model: str = "crime", total_m: float = DEFAULT_TOTAL_M, *,
                    total=None) -> ContractValues:
    """Per-unit annual contract value (£ a year) from a named demand model, scaled to ``total_m`` £m a year."""
    total_m = check_total_m(total_m, total)
    d = demand(geo, model)
    desc = f"{MODELS[model]}; scaled to £{total_m:,.0f}m/yr"
    return ContractValues(scaled(d, total_m).rename("value"), model, desc)
