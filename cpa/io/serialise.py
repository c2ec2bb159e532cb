"""Strict JSON for every machine-readable output: scorecards, run reports, comparisons, sweeps.

Numbers are plain JSON numbers: numpy scalars become Python numbers, NaN and
infinities become ``null``, and figures are rounded to what is meaningful
(money in £m to £100, km to metres, shares to 1e-6, changes in the
reoffending rate to 1e-4 points, risks to 1e-6). Every document carries
``schema_version``; the schemas are published in ``cpa/data/schemas/`` and
their history is in CHANGELOG.md: a minor bump adds fields, a major bump
removes or renames one.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

#: Version of the JSON documents and CSV tables the tool writes (see cpa/data/schemas/).
SCHEMA_VERSION = "1.2"

#: Decimal places by the end of a field's name.
_ROUNDING = (("_m", 4), ("_km", 3), ("_sqkm", 3), ("share", 6), ("deviation", 6), ("_cv", 6), ("_ratio", 6),
             ("polsby_popper", 6), ("_pts", 4), ("pbr_cohort", 1), ("expected_bidders", 4), ("thin_risk", 6),
             ("thin_risk_sum", 6))


def json_default(obj):
    """JSON encoder for numpy scalars and paths in scorecards and run reports."""
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return str(obj)


def _places(key: str | None) -> int | None:
    if key is None:
        return None
    for suffix, places in _ROUNDING:
        if key.endswith(suffix):
            return places
    return None


def plain(obj, key: str | None = None):
    """``obj`` with numpy scalars as Python numbers, non-finite numbers as None, figures rounded by name."""
    if isinstance(obj, dict):
        return {k: plain(v, k if isinstance(k, str) else None) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v, key) for v in obj]
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        if not math.isfinite(x):
            return None
        places = _places(key)
        return round(x, places) if places is not None else x
    return obj


def dumps(obj) -> str:
    """Strict JSON (non-finite numbers become null, figures rounded as :func:`plain` says)."""
    return json.dumps(plain(obj), indent=2, default=json_default, allow_nan=False)


def document(kind: str, body: dict) -> str:
    """One versioned JSON document, as every ``--format json`` prints it."""
    return dumps({"schema_version": SCHEMA_VERSION, "kind": kind, **body}) + "\n"
