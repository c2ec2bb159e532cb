"""Plans: a plain mapping unit -> area, with optional area names.

Reference plans (``pfa43``, ``trusts35``, ``crc21``, ``regions12``) come with the
embedded geography. Plan files are read and written by :mod:`cpa.io.plans`.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from .errors import CpaError, list_items
from .geography import Geography

REFERENCE_DESCRIPTIONS = {
    "pfa43": "the 43 police force areas (PCC areas)",
    "trusts35": "the 35 Probation Trusts, 2010-2014",
    "crc21": "the 21 contract package areas (CRCs), 2014-2021",
    "regions12": "the 12 Probation Service regions, 2021-",
}
#: Short titles of the reference plans, for map layers and picture titles.
REFERENCE_TITLES = {
    "pfa43": "Police force areas (43)",
    "trusts35": "Probation Trusts 2010–2014 (35)",
    "crc21": "CRC contract package areas 2014–2021 (21)",
    "regions12": "Probation regions 2021– (12)",
}


@dataclass(frozen=True, eq=False)
class Plan:
    """A partition of the units: ``assignment[unit] = area`` and ``names[area]``."""

    assignment: Mapping[str, str]
    names: Mapping[str, str] = field(default_factory=dict)
    label: str = "plan"

    @property
    def areas(self) -> list[str]:
        return sorted(set(self.assignment.values()))

    @property
    def k(self) -> int:
        return len(set(self.assignment.values()))

    def name(self, area: str) -> str:
        return self.names.get(area, area)

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for unit, area in sorted(self.assignment.items()):
            out.setdefault(area, []).append(unit)
        return out

    def series(self) -> pd.Series:
        return pd.Series(dict(self.assignment), name="area").sort_index()

    def to_frame(self) -> pd.DataFrame:
        s = self.series()
        return pd.DataFrame({"lad_code": s.index, "area": s.values,
                             "area_name": [self.name(a) for a in s.values]})

    def groups(self) -> list[tuple[str, ...]]:
        """The areas as sorted tuples of unit codes, in sorted order: the partition without labels."""
        return sorted(map(tuple, self.members().values()))

    def same_partition(self, other: "Plan") -> bool:
        """True when both plans group the units identically (labels ignored)."""
        return self.groups() == other.groups()

    def partition_hash(self) -> str:
        """A short hash of the partition alone: renaming or relabelling areas keeps it."""
        text = "\n".join(",".join(g) for g in self.groups())
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def validate(self, geo: Geography, source: str | None = None) -> "Plan":
        """Every unit of ``geo`` in exactly one area, and no unknown unit."""
        where = source or self.label
        known = set(geo.units.index)
        unknown = sorted(set(self.assignment) - known)
        if unknown:
            raise CpaError(f"plan {where} names {len(unknown)} unknown unit codes: {list_items(unknown)}",
                           geo.code_hint())
        missing = sorted(known - set(self.assignment))
        if missing:
            raise CpaError(f"plan {where} leaves {len(missing)} units without an area: {list_items(missing)}",
                           "every LAD must be assigned to exactly one area")
        empty = [u for u, a in self.assignment.items() if cell_text(a) == ""]
        if empty:
            raise CpaError(f"plan {where} has an empty area for {list_items(sorted(empty))}",
                           "give every unit an area label")
        return self


def cell_text(x) -> str:
    """A cell as stripped text; None and NaN (JSON null, missing CSV cells) become ''."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def reference_hint(geo: Geography, name: str) -> str:
    if not geo.references:
        return "reference plans exist only for the embedded England & Wales LADs; give a plan file (CSV or GeoJSON)"
    lower = {r.lower(): r for r in geo.references}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1)
    guess = f"did you mean {lower[close[0]]!r}? " if close else ""
    return f"{guess}references: {', '.join(sorted(geo.references))}; or give a path to a plan CSV/GeoJSON"


def reference_plan(geo: Geography, name: str) -> Plan:
    ref = geo.references.get(name)
    if ref is None:
        raise CpaError(f"unknown reference plan {name!r}", reference_hint(geo, name))
    names = dict(zip(ref["area"], ref["area_name"]))
    return Plan(dict(zip(ref["lad_code"], ref["area"])), names, label=name).validate(geo)
