"""Reading a user's per-unit value or caseload table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CpaError, list_items
from ..geography import Geography
from ..values import DEFAULT_TOTAL_M, ContractValues, check_total_m, scaled
from .tables import blank_rows, read_csv


#: A value table (£ a year, not scaled by --total) adding up to less than this is in the wrong unit (£m?).
MIN_TOTAL_GBP = 1000.0
#: ... or to more than this (£1,000 trillion a year; pence?). Above it, squares of values lose precision.
MAX_TOTAL_GBP = 1e15


def read_value_table(path, geo) -> tuple[pd.Series, str]:
    """A per-unit value (£/yr) or caseload table; returns (series, 'value'|'caseload')."""
    df = read_csv(path, "value table")
    code_col = next((c for c in ("lad_code", "LAD23CD", "code") if c in df.columns), None)
    kind = next((c for c in ("value", "caseload") if c in df.columns), None)
    if code_col is None or kind is None:
        raise CpaError(f"value table {path} needs a 'lad_code' column and a 'value' (£/yr) or "
                       f"'caseload' column", f"its columns are: {list_items(df.columns)}")
    codes = df[code_col].str.strip()
    blank = blank_rows(codes)
    if blank:
        raise CpaError(f"value table {path}: empty {code_col!r} on line {list_items(blank)}",
                       "give every row a unit code, or delete the row")
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise CpaError(f"value table {path}: codes listed more than once: {list_items(dupes)}",
                       "give each unit one row")
    unknown = sorted(set(codes) - set(geo.units.index))
    if unknown:
        raise CpaError(f"value table {path}: unknown unit codes {list_items(unknown)}", geo.code_hint())
    missing = sorted(set(geo.units.index) - set(codes))
    if missing:
        raise CpaError(f"value table {path} has no row for {len(missing)} units: {list_items(missing)}",
                       "every unit needs a value (use 0 for none)")
    raw = df[kind].str.strip()
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = codes[numbers.isna()]
    if len(bad):
        examples = [f"{c}={raw[i]!r}" for i, c in bad.items()]
        raise CpaError(f"value table {path}: {kind} is not a number for {list_items(examples)}",
                       "fill every cell with a number (no blanks, NaN or text)")
    if not np.isfinite(numbers).all():
        raise CpaError(f"value table {path}: {kind} is infinite for {list_items(codes[~np.isfinite(numbers)])}")
    neg = codes[numbers < 0]
    if len(neg):
        raise CpaError(f"value table {path}: negative {kind} for {list_items(neg)}", "values must be 0 or more")
    with np.errstate(over="ignore"):  # a sum past 1.8e308 is inf: say so in the tool's words, not numpy's
        total = float(numbers.sum())
    if not np.isfinite(total) or (kind == "value" and total > MAX_TOTAL_GBP):
        size = f"{total:.3g}, more than any budget" if np.isfinite(total) else "more than a computer can hold"
        raise CpaError(f"value table {path}: the {kind}s add up to {size}",
                       "give values in £ a year (e.g. 1500000), or a caseload column")
    if total <= 0:
        raise CpaError(f"value table {path}: every {kind} is zero", "at least one unit needs a positive value")
    series = pd.Series(numbers.to_numpy(float), index=codes.to_numpy()).reindex(geo.units.index)
    return series, kind


def values_from_table(geo: Geography, path, total_m: float | None = None, *, total=None) -> ContractValues:
    """Per-unit values from a user CSV (``lad_code`` + ``value`` in £ a year, or ``caseload``).

    A caseload is scaled to ``total_m`` £m a year (default £450m); values are
    taken as given unless ``total_m`` is set."""
    if total_m is not None or total is not None:
        total_m = check_total_m(total_m, total)
    series, kind = read_value_table(path, geo)
    if kind == "caseload":
        scale_to = DEFAULT_TOTAL_M if total_m is None else total_m
        values = scaled(series, scale_to)
        desc = f"user caseload table {path}; scaled to £{scale_to:,.0f}m/yr"
    else:
        if total_m is None and series.sum() < MIN_TOTAL_GBP:
            raise CpaError(f"value table {path}: the values add up to £{series.sum():.3g} a year, which looks like "
                           f"the wrong unit", "value is £ a year (e.g. 1500000 for £1.5m); or keep the numbers "
                           "and give --total in £m a year to scale them to it")
        values = series if total_m is None else scaled(series, total_m)
        desc = f"user value table {path}" + ("" if total_m is None else f"; scaled to £{total_m:,.0f}m/yr")
    return ContractValues(values.rename("value"), "table", desc)
