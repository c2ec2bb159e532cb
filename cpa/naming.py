"""Short area names people in the field recognise, and renames.

A plan's areas get names from three sources, in this order of precedence:
names the user gives (``--names FILE``, ``--lock LAD=NAME``), the plan file's
``area_name``, then the rule below. Names that end up equal get a suffix that
tells them apart: the largest PFA the name does not already mention, else the
largest LAD ("North (Lancashire)", never "North (2)").

The rule (:func:`rule_names`) describes an area by what it is made of:

1. the name it had as a historical contract area (a Probation Trust or a CRC
   of several PFAs: "Durham Tees Valley", "London", "Wales");
2. its PFAs by name when few (up to three: "Thames Valley & Hampshire"),
   abbreviated if need be ("Derbys, Leics, Notts & Warks");
3. a cover by named groups of PFAs: the 2021 probation regions and well-known
   compass names ("North West & North Wales", "Midlands", "Hampshire, Sussex
   and South West Peninsula");
4. when nothing exact fits, the named groups that come closest (most of the
   area's value; the full description is always in the scorecard);
5. a compass point of the map ("North East").

A PFA cut by the plan is named as a piece: by its LADs when one or two
("Surrey & Kingston upon Thames"), by its PFA when the piece holds nearly all of
it, else by the compass point of the piece within its PFA ("North London",
"West Yorkshire South"). No name says "part of" or "& N more"; names aim at
:data:`MAX_CHARS` characters.

User geographies whose groups have no names (codes only) are named by unit
names when an area has one or two units, else by compass point.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from .geography import Geography
from .plan import Plan
from .values import ContractValues

#: The length names aim at (a name may run longer only when nothing shorter says what the area is).
MAX_CHARS = 40
#: A complete listing of an area's PFAs may run to this length before an approximate name is used.
MAX_LIST_CHARS = 46
#: A piece holding at least this share of its PFA's value is named as the PFA.
NEARLY_WHOLE = 0.8
#: Pieces of at most this many LADs are named by their LADs.
PIECE_BY_LADS = 2

#: Reference plans whose multi-PFA areas' names are known in the field, most recent first.
HISTORICAL = ("crc21", "trusts35")
#: Short forms of PFA and region names (in names only; the scorecard keeps the official names).
SHORT = {"Metropolitan Police": "London", "Avon and Somerset": "Avon & Somerset"}
#: Abbreviations used when the full names do not fit.
ABBREVIATIONS = {
    "Bedfordshire": "Beds", "Cambridgeshire": "Cambs", "Derbyshire": "Derbys", "Gloucestershire": "Glos",
    "Hampshire": "Hants", "Hertfordshire": "Herts", "Lancashire": "Lancs", "Leicestershire": "Leics",
    "Lincolnshire": "Lincs", "Northamptonshire": "Northants", "Nottinghamshire": "Notts",
    "Staffordshire": "Staffs", "Warwickshire": "Warks", "Wiltshire": "Wilts", "North Yorkshire": "North Yorks",
    "South Yorkshire": "South Yorks", "West Yorkshire": "West Yorks", "Greater Manchester": "Gtr Manchester",
    "Yorkshire & the Humber": "Yorkshire", "West Midlands region": "W Midlands region",
}
#: Well-known names for groups of PFAs beyond the 2021 regions (England & Wales PFA codes).
COMPASS_GROUPS = {
    "North West England": ("E23000002", "E23000003", "E23000004", "E23000005", "E23000006"),
    "North of England": ("E23000002", "E23000003", "E23000004", "E23000005", "E23000006", "E23000007",
                         "E23000008", "E23000013", "E23000009", "E23000010", "E23000011", "E23000012"),
    "Midlands": ("E23000014", "E23000015", "E23000016", "E23000017", "E23000018", "E23000019", "E23000020",
                 "E23000021", "E23000022"),
    "East Anglia": ("E23000023", "E23000024", "E23000025"),
    "South East": ("E23000029", "E23000030", "E23000031", "E23000032", "E23000033"),
    "South West Peninsula": ("E23000035", "E23000039"),
    "South & West Wales": ("W15000002", "W15000003", "W15000004"),
}
#: The 2021 probation regions come from the embedded ``regions12`` reference plan.
REGIONS = "regions12"

COMPASS = ("East", "North East", "North", "North West", "West", "South West", "South", "South East")
_COMPASS_WORDS = ("North", "South", "East", "West", "Greater", "Central")


# ------------------------------------------------------------------ helpers
def join_names(parts: list[str]) -> str:
    """``A``, ``A & B``, ``A, B & C``; ``and`` before the last when a part holds its own ``&``."""
    if len(parts) <= 1:
        return "".join(parts)
    last = " and " if any("&" in p for p in parts) else " & "
    return ", ".join(parts[:-1]) + last + parts[-1]


def compass_point(dx: float, dy: float) -> str:
    """One of the eight compass points for an offset east ``dx`` and north ``dy``."""
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return COMPASS[int(((angle + 22.5) % 360) // 45)]


def _with_compass(point: str, place: str) -> str:
    """"North London", but "West Yorkshire North" (a place named by a compass word takes it after)."""
    return f"{place} {point}" if place.split(" ")[0] in _COMPASS_WORDS else f"{point} {place}"


def solve_label(options) -> str:
    """A solve's short description from its options (a SolveOptions or its ``to_dict()``):
    ``16 areas, strict, floor £15m``."""
    o = options if isinstance(options, Mapping) else options.to_dict()
    parts = [f"{o['k']} area{'s' if o['k'] != 1 else ''}", str(o.get("coterminous", "strict"))]
    if o.get("min_value_m") is not None:
        parts.append(f"floor £{o['min_value_m']:g}m")
    if o.get("max_value_m") is not None:
        parts.append(f"max £{o['max_value_m']:g}m")
    if o.get("max_share_pct") is not None:
        parts.append(f"cap {o['max_share_pct']:g}%")
    if o.get("max_pfas") is not None:
        parts.append(f"≤{o['max_pfas']} PFAs")
    parts += [f"{g} whole" for g in o.get("keep_whole") or ()]
    locks = o.get("locks") or ()
    if locks:
        parts.append(f"{len(locks)} lock{'s' if len(locks) > 1 else ''}")
    return ", ".join(parts)


# ------------------------------------------------------------- vocabulary
@dataclass(frozen=True)
class _Group:
    """A named group of whole PFAs."""

    name: str
    pfas: frozenset[str]


@dataclass(frozen=True)
class _Part:
    """One part of an area's name: a whole group, a whole PFA, or a piece of a PFA.

    ``alt`` is a shorter way to say a piece (its compass point instead of its LADs)."""

    name: str
    value: float
    pfas: frozenset[str]  # whole PFAs it stands for (empty for a piece)
    piece_of: str | None = None
    alt: str | None = None

    def short(self) -> str:
        return ABBREVIATIONS.get(self.name, self.name)

    def shortest(self) -> str:
        return ABBREVIATIONS.get(self.alt, self.alt) if self.alt else self.short()


def _phrasings(parts: list["_Part"]) -> list[str]:
    """Ways to join the parts, longest first: full names, abbreviations, pieces by compass point."""
    out = []
    for words in ([p.name for p in parts], [p.short() for p in parts], [p.shortest() for p in parts]):
        text = join_names(words)
        if text not in out:
            out.append(text)
    return out


class _Namer:
    """The naming rule over one geography and value table."""

    def __init__(self, geo: Geography, values: ContractValues):
        self.geo = geo
        value = values.by_unit.reindex(geo.units.index).fillna(0.0).astype(float)
        # plain dicts: the rule looks units up thousands of times
        self.value = {u: float(v) for u, v in value.items()}
        self.pfa_of = {u: str(p) for u, p in geo.pfa_of.items()}
        self.unit_name = {u: str(n) for u, n in geo.units["name"].items()}
        self.pfa_value = {p: float(v) for p, v in value.groupby(geo.pfa_of).sum().items()}
        named = [p for p in geo.pfa_members if geo.pfa_name(p) not in ("", p)]
        #: PFAs with names worth showing (a user file may give only codes)
        self.pfas_named = len(named) >= max(1, len(geo.pfa_members) // 2)
        self.pfa_short = {p: SHORT.get(geo.pfa_name(p), geo.pfa_name(p)) for p in geo.pfa_members}
        self.historical = self._historical()
        self.groups = self._groups()
        lat, lon = geo.units["lat"].astype(float), geo.units["lon"].astype(float)
        x, y = lon * 111.32 * np.cos(np.radians(lat.mean())), lat * 110.57
        self.xy = {u: (float(a), float(b)) for u, a, b in zip(geo.units.index, x, y)}

    # the vocabulary -------------------------------------------------------
    def _historical(self) -> dict[frozenset[str], str]:
        """Unit sets of multi-PFA historical areas -> their names (when short enough)."""
        out: dict[frozenset[str], str] = {}
        for ref_name in HISTORICAL:
            ref = self.geo.references.get(ref_name)
            if ref is None:
                continue
            for _, grp in ref.groupby("area"):
                units = frozenset(grp["lad_code"])
                name = str(grp["area_name"].iloc[0])
                if len({self.pfa_of[u] for u in units}) > 1 and len(name) <= MAX_CHARS:
                    out.setdefault(units, name)
        return out

    def _groups(self) -> list[_Group]:
        """Named groups of two or more whole PFAs: regions, compass names, historical names."""
        known = set(self.geo.pfa_members)
        out: dict[frozenset[str], str] = {}
        pfa_names = {self.geo.pfa_name(p) for p in known}
        ref = self.geo.references.get(REGIONS)
        if ref is not None:
            for name, grp in ref.groupby("area_name", sort=True):
                pfas = frozenset(self.pfa_of[u] for u in grp["lad_code"])
                listed = all(self.geo.pfa_name(p) in str(name) for p in pfas)  # "Kent, Surrey & Sussex"
                if len(pfas) > 1 and not listed:
                    out.setdefault(pfas, f"{name} region" if name in pfa_names else str(name))
        for name, codes in COMPASS_GROUPS.items():
            if set(codes) <= known:
                out.setdefault(frozenset(codes), name)
        if ref is not None:  # the embedded geography: England and Wales are names too
            country = self.geo.units["country"]
            for c in ("England", "Wales"):
                pfas = frozenset(self.geo.pfa_of[country == c])
                if pfas:
                    out.setdefault(pfas, c)
            out.setdefault(frozenset(known), "England & Wales")
        for units, name in self.historical.items():
            pfas = frozenset(self.pfa_of[u] for u in units)
            listed = all(self.geo.pfa_name(p) in name or self.pfa_short[p] in name for p in pfas)
            if not listed and set().union(*(self.geo.pfa_members[p] for p in pfas)) == set(units):
                out.setdefault(pfas, name)  # "Durham Tees Valley", not a list of its PFAs
        return [_Group(name, pfas) for pfas, name in sorted(out.items(), key=lambda kv: kv[1])]

    def _value_of(self, pfas) -> float:
        return sum(self.pfa_value.get(p, 0.0) for p in pfas)

    # pieces ---------------------------------------------------------------
    def _centre(self, units: list[str]) -> tuple[float, float]:
        w = np.array([self.value[u] for u in units])
        xy = np.array([self.xy[u] for u in units])
        if w.sum() <= 0:
            w = np.ones(len(units))
        return tuple(np.average(xy, axis=0, weights=w))

    def _compass_within(self, units: list[str], whole: list[str]) -> str:
        """Where ``units`` lie within ``whole``: a compass point, or Central."""
        cx, cy = self._centre(units)
        wx, wy = self._centre(whole)
        xy = np.array([self.xy[u] for u in whole])
        spread = float(np.sqrt(((xy - (wx, wy)) ** 2).sum(axis=1).mean())) or 1.0
        dx, dy = cx - wx, cy - wy
        if math.hypot(dx, dy) < 0.3 * spread:
            return "Central"
        return compass_point(dx, dy)

    def _unit_names(self, units: list[str]) -> str | None:
        ordered = sorted(units, key=lambda u: (-self.value[u], u))
        if any(self.unit_name[u] in ("", u) for u in ordered):  # units known by code only
            return None
        names = [self.unit_name[u] for u in ordered]
        text = join_names(names)
        return text if len(text) <= 28 else None

    def _piece(self, pfa: str, units: list[str], within: list[str] | None = None) -> _Part:
        """A PFA's units in one area: the PFA by name if nearly all of it, else by LADs or compass point."""
        value = sum(self.value[u] for u in units)
        total = self.pfa_value.get(pfa, 0.0)
        if total > 0 and value >= NEARLY_WHOLE * total:
            return _Part(self.pfa_short[pfa], value, frozenset([pfa]))
        point = self._compass_within(units, within or self.geo.pfa_members[pfa])
        compass = _with_compass(point, self.pfa_short[pfa])
        by_lads = self._unit_names(units) if len(units) <= PIECE_BY_LADS else None
        return _Part(by_lads or compass, value, frozenset(), piece_of=pfa, alt=compass if by_lads else None)

    # one area -------------------------------------------------------------
    def candidates(self, units: list[str], split: set[str]) -> list[str]:
        """Names for one area, best first (the caller makes them unique)."""
        units = sorted(units)
        if not self.pfas_named:
            return self._map_names(units)
        hist = self.historical.get(frozenset(units))
        out = [hist] if hist else []
        by_pfa: dict[str, list[str]] = {}
        for u in units:
            by_pfa.setdefault(self.pfa_of[u], []).append(u)
        pieces, absorbed = self._pieces(by_pfa, split)
        whole_pfas = ({p for p in by_pfa if p not in split} | {p for part in pieces for p in part.pfas}) - absorbed
        pieces = [part for part in pieces if not part.pfas]
        singles = [_Part(self.pfa_short[p], self.pfa_value[p], frozenset([p])) for p in whole_pfas]
        singles = self._merge_london(singles)
        area_value = sum(self.value[u] for u in units)

        # 2. PFAs (and pieces) by name when few; 3. exact covers by named groups
        listings = []
        for cover in self._exact_covers(frozenset(whole_pfas), singles):
            ordered = sorted(cover + pieces, key=lambda p: (-p.value, p.name))
            only_pfas = all(len(p.pfas) <= 1 or p.name == "London" for p in cover)
            listings.append((0 if only_pfas and len(ordered) <= 3 else 1, len(ordered), ordered))
        listings.sort(key=lambda t: (t[0], t[1]))
        for _, n, ordered in listings:
            if n <= 4:
                out += _phrasings(ordered)
        # minor pieces left out (each under 15% of the area's value)
        minor = [p for p in pieces if p.value < 0.15 * area_value]
        if minor:
            for _, n, ordered in listings:
                kept = [p for p in ordered if p not in minor]
                if kept and len(kept) <= 4:
                    out += _phrasings(kept)
        short = [n for n in out if len(n) <= MAX_CHARS]
        if short:
            return short
        complete = [min(_phrasings(o), key=len) for _, _, o in listings]
        complete = [n for n in complete if len(n) <= MAX_LIST_CHARS]
        if complete:
            return complete[:1]
        # 4. the named groups that come closest
        return self._approximate(units, singles + pieces, area_value) or self._map_names(units)

    def _pieces(self, by_pfa: dict[str, list[str]], split: set[str]) -> tuple[list[_Part], set[str]]:
        """The area's pieces of split PFAs, and the whole PFAs named with them: the City of London
        goes with a piece of London ("North London", not "North London & City of London")."""
        city = next((p for p in by_pfa if self.geo.pfa_name(p) == "City of London"), None)
        met = next((p for p in by_pfa if self.geo.pfa_name(p) == "Metropolitan Police"), None)
        out, absorbed = [], set()
        for p, units in by_pfa.items():
            if p not in split:
                continue
            if p == met and city is not None and city not in split:
                london = self.geo.pfa_members[met] + self.geo.pfa_members[city]
                piece = self._piece(p, units + by_pfa[city], within=london)
                if piece.pfas:  # nearly all of London
                    piece = _Part("London", piece.value, frozenset([met, city]))
                absorbed.add(city)
                out.append(piece)
            else:
                out.append(self._piece(p, units))
        return out, absorbed

    def _merge_london(self, singles: list[_Part]) -> list[_Part]:
        """Metropolitan Police and City of London, both whole, read as "London"."""
        london = [p for p in singles if len(p.pfas) == 1 and self.geo.pfa_name(next(iter(p.pfas))) in
                  ("Metropolitan Police", "City of London")]
        if len(london) == 2:
            merged = _Part("London", sum(p.value for p in london), frozenset().union(*(p.pfas for p in london)))
            return [p for p in singles if p not in london] + [merged]
        return singles

    def _exact_covers(self, whole: frozenset[str], singles: list[_Part]) -> list[list[_Part]]:
        """Every way to write the whole PFAs as disjoint named groups plus single PFAs (up to 6 parts)."""
        inside = [g for g in self.groups if g.pfas <= whole]
        single_of = {p: s for s in singles for p in s.pfas}
        covers: list[list[_Part]] = []

        def rest(chosen: list[_Group], used: frozenset[str]) -> list[_Part]:
            left = whole - used
            seen, parts = set(), []
            for p in sorted(left):
                s = single_of[p]
                if id(s) not in seen and s.pfas <= left:
                    seen.add(id(s))
                    parts.append(s)
                elif id(s) not in seen:  # London partly covered by a group: name its PFAs singly
                    parts.append(_Part(self.pfa_short[p], self.pfa_value[p], frozenset([p])))
            return [_Part(g.name, self._value_of(g.pfas), g.pfas) for g in chosen] + parts

        def search(start: int, chosen: list[_Group], used: frozenset[str]):
            covers.append(rest(chosen, used))
            for i in range(start, len(inside)):
                g = inside[i]
                if not (g.pfas & used) and len(covers) < 5000:
                    search(i + 1, chosen + [g], used | g.pfas)

        search(0, [], frozenset())
        return [c for c in covers if len(c) <= 6]

    def _approximate(self, units: list[str], parts: list[_Part], area_value: float) -> list[str]:
        """Up to three named groups or parts that cover most of the area's value and little beyond it,
        said in :data:`MAX_CHARS`."""
        area_pfa_value: dict[str, float] = {}
        for u in units:
            area_pfa_value[self.pfa_of[u]] = area_pfa_value.get(self.pfa_of[u], 0.0) + self.value[u]
        options = [(p, 0.0) for p in parts]  # (part, its PFAs' value outside the area)
        for p in parts:
            if p.pfas:
                options[parts.index(p)] = (p, self._value_of(p.pfas) - p.value)
        for g in self.groups:
            inside = sum(float(area_pfa_value.get(p, 0.0)) for p in g.pfas)
            total = self._value_of(g.pfas)
            if total > 0 and inside >= 0.5 * total:
                options.append((_Part(g.name, inside, g.pfas), total - inside))
        best = None
        for n in (1, 2, 3):
            for combo in itertools.combinations(options, n):
                parts_n = [p for p, _ in combo]
                pfas = [p.pfas for p in parts_n if p.pfas]
                if pfas and sum(map(len, pfas)) != len(frozenset().union(*pfas)):
                    continue  # overlapping groups
                if any(p.piece_of in q.pfas for p in parts_n for q in parts_n):
                    continue  # a piece of a PFA beside a group holding that PFA
                covered = sum(p.value for p in parts_n)
                beyond = sum(b for _, b in combo)
                error = (area_value - covered + 2 * beyond) / area_value + 0.04 * n
                if best is not None and error >= best[0] - 1e-12:
                    continue
                ordered = sorted(parts_n, key=lambda p: (-p.value, p.name))
                fits = [t for t in _phrasings(ordered) if len(t) <= MAX_CHARS]
                if fits:
                    best = (error, fits)
        if best is None or best[0] > 0.6:
            return []
        return best[1]

    def _map_names(self, units: list[str]) -> list[str]:
        """Unit names for one or two units; else the compass point of the area on the map."""
        out = []
        if len(units) <= PIECE_BY_LADS:
            by_units = self._unit_names(units)
            if by_units:
                out.append(by_units)
        if len(units) == len(self.geo.units):
            out.append("Whole map")
        out.append(self._compass_within(units, list(self.geo.units.index)))
        return out

    # disambiguation -------------------------------------------------------
    def suffixes(self, units: list[str]) -> list[str]:
        """Distinguishing words for an area, best first: its PFAs by value, then its LADs by value."""
        out = []
        if self.pfas_named:
            by_pfa: dict[str, float] = {}
            for u in units:
                by_pfa[self.pfa_of[u]] = by_pfa.get(self.pfa_of[u], 0.0) + self.value[u]
            out += [self.pfa_short[p] for p in sorted(by_pfa, key=lambda p: (-by_pfa[p], p))]
        out += [self.unit_name[u] for u in sorted(units, key=lambda u: (-self.value[u], u))]
        return out


# ------------------------------------------------------------------- public
def unique_names(names: Mapping[str, str], members: Mapping[str, list[str]], namer: "_Namer") -> dict[str, str]:
    """Make equal names (ignoring case) distinct: add the largest PFA, else LAD, the name does not mention."""
    out = dict(names)
    for _ in range(3):
        groups: dict[str, list[str]] = {}
        for area, name in out.items():
            groups.setdefault(name.casefold(), []).append(area)
        clashes = [areas for areas in groups.values() if len(areas) > 1]
        if not clashes:
            return out
        for areas in clashes:
            for area in areas:
                base = out[area]
                words = [w for w in namer.suffixes(members[area]) if w.casefold() not in base.casefold()]
                taken = {out[a].casefold() for a in out if a != area}
                pick = next((w for w in words if f"{base} ({w})".casefold() not in taken), None)
                out[area] = f"{base} ({pick or area})"
    return out


def rule_names(plan: Plan, geo: Geography, values: ContractValues,
               areas: Iterable[str] | None = None, namer: "_Namer | None" = None) -> dict[str, str]:
    """Rule names for the ``areas`` of ``plan`` (default: all), each the best candidate not yet taken."""
    namer = namer or _Namer(geo, values)
    members = plan.members()
    split = {p for p, n in plan.series().groupby(geo.pfa_of.reindex(plan.series().index)).nunique().items()
             if n > 1}
    wanted = list(members) if areas is None else [a for a in members if a in set(areas)]
    area_value = {a: sum(namer.value[u] for u in members[a]) for a in wanted}
    out: dict[str, str] = {}
    taken: set[str] = {plan.names[a].casefold() for a in members if a not in wanted and plan.names.get(a)}
    for area in sorted(wanted, key=lambda a: (-area_value[a], a)):  # the largest area gets first choice
        cands = namer.candidates(members[area], split)
        name = next((c for c in cands if c.casefold() not in taken), cands[0])
        out[area] = name
        taken.add(name.casefold())
    return out


def named_plan(plan: Plan, geo: Geography, values: ContractValues, user: Mapping[str, str] | None = None,
               label: str | None = None) -> Plan:
    """``plan`` with a unique name for every area: the user's name, else the plan's, else the rule's."""
    user = {a: str(n).strip() for a, n in (user or {}).items() if str(n).strip()}
    given = {a: user.get(a) or str(plan.names.get(a, "")).strip() for a in plan.areas}
    missing = [a for a, n in given.items() if not n]
    names = {a: n for a, n in given.items() if n}
    namer = _Namer(geo, values)
    if missing:
        names.update(rule_names(Plan(plan.assignment, names, plan.label), geo, values, missing, namer))
    names = unique_names(names, plan.members(), namer)
    return Plan(dict(plan.assignment), names, label=label or plan.label)


def name_areas(geo: Geography, values: ContractValues, blocks, assignment: dict[int, int], label: str) -> Plan:
    """Turn block -> hub LAD index into a Plan LAD -> A01.. (largest value first) with names.

    Areas holding a ``--lock LAD=NAME`` take that NAME; the rule names the rest.
    """
    lad_hub = {lad: h for b, h in assignment.items() for lad in blocks.members[b]}
    groups: dict[int, list[str]] = {}
    for lad, h in lad_hub.items():
        groups.setdefault(h, []).append(lad)
    v = values.by_unit
    order = sorted(groups, key=lambda h: (-v.loc[groups[h]].sum(), geo.codes[h]))
    width = max(2, len(str(len(order))))
    ids = {h: f"A{i + 1:0{width}d}" for i, h in enumerate(order)}
    locked = {ids[h]: blocks.lock[b] for b, h in sorted(assignment.items()) if blocks.lock[b] is not None}
    plan = Plan({lad: ids[h] for lad, h in lad_hub.items()}, {}, label=label)
    return named_plan(plan, geo, values, user=locked)
