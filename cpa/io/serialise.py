"""Strict JSON for scorecards and run reports: numpy scalars as numbers, non-finite numbers as null."""

from __future__ import annotations

import json
import math

import numpy as np


def json_default(obj):
    """JSON encoder for numpy scalars and paths in scorecards and run reports."""
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return str(obj)


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj) -> str:
    """Strict JSON (non-finite numbers become null)."""
    return json.dumps(_finite(obj), indent=2, default=json_default, allow_nan=False)
