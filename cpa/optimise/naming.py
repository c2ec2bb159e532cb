"""Meaningful, deterministic names for solved areas.

Areas are numbered A01, A02, ... by value, largest first. An area that matches
a historical area exactly takes its name ("London", "Wales", "Kent, Surrey &
Sussex"); otherwise it is named by its PFAs, largest first ("part of" for a
PFA it shares with another area).
"""

from __future__ import annotations

from ..geography import Geography
from ..plan import Plan
from ..values import ContractValues

REFERENCE_ORDER = ("trusts35", "crc21", "regions12")


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 3:
        return f"{names[0]}, {names[1]} & {len(names) - 2} more"
    return ", ".join(names[:-1]) + " & " + names[-1]


def area_name(geo: Geography, values: ContractValues, lads: list[str], split_pfas: set[str]) -> str:
    lad_set = set(lads)
    for ref_name in REFERENCE_ORDER:
        ref = geo.references.get(ref_name)
        if ref is None:
            continue
        for area, grp in ref.groupby("area"):
            if set(grp["lad_code"]) == lad_set:
                return str(grp["area_name"].iloc[0])
    v = values.by_unit
    pfas = geo.pfa_of.loc[lads]
    by_value = v.loc[lads].groupby(pfas).sum().sort_values(ascending=False)
    parts = [("part of " if p in split_pfas else "") + geo.pfa_name(p) for p in by_value.index]
    return _join(parts)


def name_areas(geo: Geography, values: ContractValues, blocks, assignment: dict[int, int], label: str) -> Plan:
    """Turn block -> hub LAD index into a Plan LAD -> A01.. with names."""
    lad_hub = {lad: h for b, h in assignment.items() for lad in blocks.members[b]}
    groups: dict[int, list[str]] = {}
    for lad, h in lad_hub.items():
        groups.setdefault(h, []).append(lad)
    v = values.by_unit
    order = sorted(groups, key=lambda h: (-v.loc[groups[h]].sum(), geo.codes[h]))
    pfa = geo.pfa_of
    touched: dict[str, set[int]] = {}
    for lad, h in lad_hub.items():
        touched.setdefault(pfa[lad], set()).add(h)
    split = {p for p, hs in touched.items() if len(hs) > 1}
    width = max(2, len(str(len(order))))
    ids = {h: f"A{i + 1:0{width}d}" for i, h in enumerate(order)}
    names = {ids[h]: area_name(geo, values, sorted(groups[h]), split) for h in order}
    lock_names = {}
    for b, h in assignment.items():
        if blocks.lock[b] is not None:
            lock_names[ids[h]] = blocks.lock[b]
    names.update({a: f"{lab} ({names[a]})" for a, lab in lock_names.items()})
    return Plan({lad: ids[h] for lad, h in lad_hub.items()}, names, label=label)
