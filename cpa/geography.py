"""Geography: the atomic units (LADs), their grouping into PFAs, the contiguity
graph with its named links, and distances between units.

The default is the embedded England & Wales data, shipped as package data in
``cpa/data/`` (built by ``boundaries/build.py`` from ONS and Home Office open
data). Users load their own polygons with :func:`cpa.io.read_geography`.

Distances are great-circle kilometres between *population-weighted centroids*
(approximated from ONS MSOA 2021 population-weighted centroids for the default
data; plain polygon centroids for user files, which carry no population points).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from .errors import CpaError, list_items

if TYPE_CHECKING:
    from .io.repair import RepairSummary

#: The embedded geography's files, found through the installed package (never the checkout).
EMBEDDED_FILES = ("units.csv", "pfas.csv", "adjacency.csv", "reference_plans.csv", "lad23.geojson")
EARTH_RADIUS_KM = 6371.0088
LINK_TYPES = ("shared_border", "fixed_crossing", "ferry")
BNG = 27700

#: PFA codes that make up "London" (Metropolitan Police + City of London).
LONDON_PFAS = ("E23000001", "E23000034")

#: Kinds of place a user can name, in order of preference when one set of units has several names.
PLACE_KINDS = ("lad", "pfa", "group", "country", "region", "trust", "crc")
#: Kinds that can be kept whole (a single LAD is always whole).
GROUP_KINDS = ("pfa", "group", "country", "region", "trust", "crc")


@dataclass(frozen=True)
class Place:
    """A LAD, a PFA or a named group of LADs: what ``cpa units`` lists and options accept by name."""

    kind: str
    code: str
    name: str
    units: tuple[str, ...]


def haversine_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances (km) between points given in degrees."""
    phi = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lon, dtype=float))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(eq=False)
class Geography:
    """Units, groups, links and distances.

    ``units`` is a GeoDataFrame indexed by unit code (str) with columns
    ``name, pfa_code, pfa_name, country, population, adults, males_18_49,
    area_sqkm, lat, lon`` and ``geometry`` (EPSG:4326). Columns a user file
    cannot supply are NaN. ``links`` has ``a, b, link_type, border_km, name``.
    ``pfas`` is indexed by PFA code with ``pfa_name`` and the PFA-level demand
    inputs. ``references`` maps plan name to a DataFrame ``lad_code, area,
    area_name``.
    """

    units: gpd.GeoDataFrame
    links: pd.DataFrame
    pfas: pd.DataFrame
    references: dict[str, pd.DataFrame] = field(default_factory=dict)
    source: str = "embedded England & Wales LAD 2023"
    distance_note: str = "great-circle km between population-weighted centroids (LAD means of ONS MSOA 2021 PWCs)"
    #: CRS for areas and perimeters; None picks the UTM zone of the data.
    projected_crs: str | int | None = None
    #: What the load-time boundary repair changed (a ``cpa.io.repair.RepairSummary``); None: nothing.
    repair: "RepairSummary | None" = None

    # ----------------------------------------------------------- constructors
    @classmethod
    def default(cls) -> "Geography":
        """The embedded England & Wales geography (318 LADs, 43 PFAs)."""
        with importlib.resources.as_file(importlib.resources.files("cpa") / "data") as folder:
            return _load_embedded(str(folder))

    # ------------------------------------------------------------- basic facts
    @property
    def codes(self) -> list[str]:
        return list(self.units.index)

    @property
    def n(self) -> int:
        return len(self.units)

    @functools.cached_property
    def index_of(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.units.index)}

    @property
    def pfa_of(self) -> pd.Series:
        return self.units["pfa_code"]

    def code_hint(self) -> str:
        """Where valid unit codes come from, for messages about unknown codes."""
        if self.references:  # only the embedded England & Wales geography has reference plans
            return "use 2023 LAD codes (e.g. E06000001); `cpa units` lists them with their names"
        return f"use the unit codes of {self.source}, e.g. {list_items(self.codes, 3)}"

    def pfa_name(self, code: str) -> str:
        return str(self.pfas.loc[code, "pfa_name"]) if code in self.pfas.index else code

    @functools.cached_property
    def pfa_members(self) -> dict[str, list[str]]:
        """PFA code -> sorted unit codes."""
        return {p: sorted(g.index) for p, g in self.units.groupby("pfa_code", sort=True)}

    # ------------------------------------------------------------------- graph
    def graph(self, link_types: tuple[str, ...] = LINK_TYPES) -> nx.Graph:
        """The unit adjacency graph using the given link types (default: all)."""
        return self._graph(tuple(sorted(link_types)))

    @functools.lru_cache(maxsize=4)
    def _graph(self, link_types: tuple[str, ...]) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(self.units.index)
        for row in self.links.itertuples(index=False):
            if row.link_type in link_types:
                g.add_edge(row.a, row.b, link_type=row.link_type, name=row.name,
                           border_km=row.border_km)
        return g

    def pfa_graph(self) -> nx.Graph:
        """PFAs as nodes, adjacent when any of their units are linked."""
        g = nx.Graph()
        g.add_nodes_from(self.pfa_members)
        pfa = self.pfa_of
        for a, b in self.graph().edges:
            if pfa[a] != pfa[b]:
                g.add_edge(pfa[a], pfa[b])
        return g

    # --------------------------------------------------------------- distances
    @functools.cached_property
    def distance_km(self) -> np.ndarray:
        """n x n great-circle distances between unit centroids, in km."""
        return haversine_km(self.units["lat"].to_numpy(), self.units["lon"].to_numpy())

    @functools.cached_property
    def geometry_projected(self) -> gpd.GeoSeries:
        """Unit polygons in a metric CRS (BNG for the embedded data) for areas and perimeters."""
        crs = self.projected_crs or self.units.estimate_utm_crs()
        return self.units.geometry.to_crs(crs)

    # ------------------------------------------------------------ lookup by name
    @functools.cached_property
    def places(self) -> list[Place]:
        """Everything a user may name: LADs, PFAs, and the groups kept whole (London, countries,
        2021 regions, trusts, CRC areas), each with its kind, code, name and units."""
        places = [Place("lad", code, str(name), (code,)) for code, name in self.units["name"].items()]
        places += [Place("pfa", code, self.pfa_name(code), tuple(members))
                   for code, members in self.pfa_members.items()]
        if set(LONDON_PFAS) <= set(self.pfa_members):
            places.append(Place("group", "London", "London", tuple(sorted(
                self.units.index[self.units["pfa_code"].isin(LONDON_PFAS)]))))
        if self.units["country"].notna().any():
            for country, grp in self.units.groupby("country", sort=True):
                places.append(Place("country", str(country), str(country), tuple(sorted(grp.index))))
        for plan_name, kind in (("regions12", "region"), ("trusts35", "trust"), ("crc21", "crc")):
            ref = self.references.get(plan_name)
            if ref is None:
                continue
            for area, grp in ref.groupby("area", sort=True):
                places.append(Place(kind, str(area), str(grp["area_name"].iloc[0]), tuple(sorted(grp["lad_code"]))))
        return places

    def find(self, query: str, kinds: tuple[str, ...] = PLACE_KINDS, what: str = "name") -> Place:
        """The LAD, PFA or group a user means by ``query``: a code, a name, or part of a name.

        Precedence: a code; then an exact name (a prefix such as ``lad:`` or
        ``pfa:`` settles a clash like the district County Durham and the force
        Durham); then a unique partial match. Otherwise a :class:`CpaError`
        lists the candidates, or says what was probably meant.
        """
        text = str(query).strip()
        prefix, sep, rest = text.partition(":")
        if sep and prefix.strip().casefold() in PLACE_KINDS:
            kinds = (prefix.strip().casefold(),)
            text = rest.strip()
        key = text.casefold()
        pool = [p for p in self.places if p.kind in kinds]
        if not key:
            raise CpaError(f"empty {what}", "give a code or a name, e.g. E06000046 or 'Isle of Wight'")
        for matches in ([p for p in pool if p.code.casefold() == key],
                        [p for p in pool if p.name.casefold() == key],
                        [p for p in pool if key in p.name.casefold()]):
            if len(matches) == 1:
                return matches[0]
            distinct = {p.units for p in matches}
            if len(distinct) == 1 and matches:  # the same units under several names (a PFA that is a trust)
                return sorted(matches, key=lambda p: PLACE_KINDS.index(p.kind))[0]
            if len(matches) > 1:
                shown = [f"{p.kind}:{p.name} ({p.code})" for p in sorted(matches, key=lambda p: (p.kind, p.name))]
                raise CpaError(f"{what} {query!r} is ambiguous: it matches {list_items(shown, 6)}",
                               "give the code, or the full name with a prefix such as lad: or pfa:")
        names = {p.name.casefold(): p for p in pool}
        close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
        guess = ("did you mean " + " or ".join(repr(names[c].name) for c in close) + "? ") if close else ""
        listing = ("`cpa units QUERY` lists LADs and PFAs by name and code" if "lad" in kinds else
                   "a PFA (e.g. Kent), a 2021 region (e.g. North West), England, Wales or London; "
                   "`cpa units --kind pfa --kind region` lists them")
        raise CpaError(f"unknown {what} {query!r}", guess + listing)

    def group(self, name: str) -> tuple[str, list[str]]:
        """Resolve a keep-whole group to (label, unit codes): a PFA, a 2021 region, a country
        ("England", "Wales"), "London" (Metropolitan Police + City of London), or an area of a
        reference plan (a trust, a CRC area); by code or name, as :meth:`find` says."""
        place = self.find(name, kinds=GROUP_KINDS, what="group")
        return place.name, list(place.units)

    # ------------------------------------------------------------------- hash
    @functools.cached_property
    def fingerprint(self) -> str:
        """Hash of everything a result depends on in the geography."""
        h = hashlib.sha256()
        cols = ["pfa_code", "lat", "lon"]
        h.update(self.units[cols].to_csv(lineterminator="\n").encode())
        h.update(self.links[["a", "b", "link_type"]].to_csv(index=False, lineterminator="\n").encode())
        return h.hexdigest()[:16]

    def summary(self) -> dict:
        g = self.graph()
        return {
            "source": self.source,
            "units": self.n,
            "pfas": len(self.pfa_members),
            "links": {t: int((self.links["link_type"] == t).sum()) for t in LINK_TYPES},
            "connected": nx.is_connected(g) if self.n else False,
            "boundary_repair": None if self.repair is None else self.repair.to_dict(),
        }


@functools.lru_cache(maxsize=2)
def _load_embedded(folder: str) -> Geography:
    folder_path = Path(folder)
    missing = [n for n in EMBEDDED_FILES if not (folder_path / n).exists()]
    if missing:
        raise CpaError(
            f"the embedded geography is incomplete in {folder_path}: missing {', '.join(missing)}",
            "reinstall cpa; in a checkout, rebuild it with `python boundaries/build.py` (needs ../shared/data)",
        )
    units = pd.read_csv(folder_path / "units.csv", dtype={"lad_code": str}).rename(
        columns={"lad_name": "name"}).set_index("lad_code")
    shapes = gpd.read_file(folder_path / "lad23.geojson").set_index("lad_code")
    units = gpd.GeoDataFrame(units, geometry=shapes.geometry.reindex(units.index), crs=4326)
    pfas = pd.read_csv(folder_path / "pfas.csv", dtype={"pfa_code": str}).set_index("pfa_code")
    links = pd.read_csv(folder_path / "adjacency.csv", dtype=str, keep_default_na=False).rename(
        columns={"lad_a": "a", "lad_b": "b"})
    links["border_km"] = pd.to_numeric(links["border_km"])
    refs_long = pd.read_csv(folder_path / "reference_plans.csv", dtype=str, keep_default_na=False)
    references = {name: grp.drop(columns="plan").reset_index(drop=True)
                  for name, grp in refs_long.groupby("plan", sort=True)}
    return Geography(units=units, links=links, pfas=pfas, references=references, projected_crs=BNG)
