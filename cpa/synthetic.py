"""Synthetic geographies of any size, for tests and benchmarks.

:func:`synthetic_geography` draws ``n`` units as a square, hexagonal or irregular (Voronoi)
grid over an England-sized square (130,000 km² by default) in British National Grid metres,
centred on the English Midlands, so distances, areas and maps read as they would for real
units: 318 units are LAD-sized, 7,000 are ward- or MSOA-sized. On top of the grid:

* **values** (£ a year, summing to ``total_m`` £m): unit area x a hot-spot surface x noise from
  ``distribution``. The first hot spot is "a London", tight and high (about a sixth of the
  national value, as London has about a sixth of recorded crime); the others are smaller
  cities.
* **groups** (the PFA column): contiguous groups of about ``group_size`` units, grown on the
  adjacency graph from well-spread seeds, smallest group first.
* **islands**: the last ``islands`` units are squares off the east coast, each joined to the
  nearest mainland unit by a named ferry link (an island without one would be refused at
  load, as :func:`cpa.io.read_geography` refuses a geography in pieces).

Everything follows from the arguments and ``seed`` (numpy's PCG64), so the same call gives
the same geography. The result holds a :class:`~cpa.geography.Geography` built by the same
code as a user file (checks, repair, shared borders), its :class:`~cpa.values.ContractValues`,
and can write ``boundaries.geojson``, ``values.csv`` and ``links.csv`` to drive the CLI.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .errors import CpaError
from .geography import BNG, Geography
from .io.boundaries import geography_from_frame, shared_borders
from .values import DEFAULT_TOTAL_M, ContractValues

KINDS = ("square", "hex", "voronoi")
DISTRIBUTIONS = ("lognormal", "uniform", "equal")
#: England's land area, km²: the default extent, so that more units means smaller units.
ENGLAND_KM2 = 130_000.0
#: Centre of the grid in British National Grid (near Birmingham), metres.
CENTRE_BNG = (410_000.0, 290_000.0)
#: Hot spots: (peak multiplier over the base density, width as a share of the grid's side).
#: The first, "London", holds about 16% of the value with one hot spot, 14% with three.
LONDON = (12.0, 0.05)
CITY = (3.0, 0.03)
#: Lloyd relaxation steps for the Voronoi grid: irregular cells, but no slivers.
LLOYD_STEPS = 3


@dataclass(frozen=True, eq=False)
class SyntheticGeography:
    """A synthetic geography, its values, and the files that describe it to the CLI."""

    geo: Geography
    values: ContractValues
    #: lad_code, name, pfa_code, pfa_name, population, value and geometry (EPSG:27700).
    boundaries: gpd.GeoDataFrame
    #: The named links (island ferries): a, b, link_type, name.
    links: pd.DataFrame

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write boundaries.geojson (British National Grid), values.csv and links.csv into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"boundaries": folder / "boundaries.geojson", "values": folder / "values.csv",
                 "links": folder / "links.csv"}
        # GDAL writes a "crs" member for a non-WGS84 GeoJSON, and reads it back.
        self.boundaries.drop(columns="value").to_file(paths["boundaries"], driver="GeoJSON")
        self.values.by_unit.rename("value").rename_axis("lad_code").to_csv(paths["values"], lineterminator="\n")
        self.links.to_csv(paths["links"], index=False, lineterminator="\n")
        return paths

    @staticmethod
    def cli_args(paths: dict[str, Path]) -> list[str]:
        """The geography options that load files written by :meth:`write`."""
        return ["--boundaries", str(paths["boundaries"]), "--code-column", "lad_code", "--name-column", "name",
                "--pfa-column", "pfa_code", "--values", str(paths["values"]), "--links", str(paths["links"])]


# ------------------------------------------------------------------ grids
def _square_cells(n: int, unit_m2: float, centre) -> list:
    side = math.sqrt(unit_m2)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    x0, y0 = centre[0] - cols * side / 2, centre[1] + rows * side / 2
    # Each corner from its integer grid position, so neighbours share corners bit for bit.
    xs = [x0 + c * side for c in range(cols + 1)]
    ys = [y0 - r * side for r in range(rows + 1)]
    return [shapely.box(xs[c], ys[r + 1], xs[c + 1], ys[r]) for r in range(rows) for c in range(cols)][:n]


def _hex_cells(n: int, unit_m2: float, centre) -> list:
    """Pointy-top hexagons in offset rows. Vertices are integer multiples of half a cell's width
    (x) and of half its circumradius (y), so neighbours share them exactly."""
    radius = math.sqrt(unit_m2 / (1.5 * math.sqrt(3)))
    half_w, half_r = math.sqrt(3) * radius / 2, radius / 2
    cols = max(1, math.ceil(math.sqrt(n * 1.5 / math.sqrt(3))))
    rows = math.ceil(n / cols)
    x0 = centre[0] - (2 * cols + 1) * half_w / 2
    y0 = centre[1] + (3 * rows + 1) * half_r / 2
    cells = []
    for r in range(rows):
        for c in range(cols):
            cx, cy = 2 * c + (r & 1) + 1, 3 * r + 2
            ring = [(cx, cy - 2), (cx + 1, cy - 1), (cx + 1, cy + 1), (cx, cy + 2), (cx - 1, cy + 1), (cx - 1, cy - 1)]
            cells.append(shapely.Polygon([(x0 + kx * half_w, y0 - ky * half_r) for kx, ky in ring]))
    return cells[:n]


def _voronoi_cells(n: int, unit_m2: float, centre, rng: np.random.Generator) -> list:
    side = math.sqrt(n * unit_m2)
    frame = shapely.box(centre[0] - side / 2, centre[1] - side / 2, centre[0] + side / 2, centre[1] + side / 2)
    pts = rng.uniform([frame.bounds[0], frame.bounds[1]], [frame.bounds[2], frame.bounds[3]], size=(n, 2))
    for _ in range(LLOYD_STEPS + 1):
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame, ordered=True))
        cells = shapely.intersection(cells, frame)
        pts = shapely.get_coordinates(shapely.centroid(cells))
    order = np.lexsort((pts[:, 0], -np.round(pts[:, 1], 3)))  # north to south, then west to east
    return list(cells[order])


def _islands(count: int, unit_m2: float, mainland: list) -> list:
    """Squares of one unit's area, a cell's width off the east coast, spread north to south."""
    side = math.sqrt(unit_m2)
    x_min, y_min, x_max, y_max = shapely.total_bounds(np.asarray(mainland, dtype=object))
    x = x_max + 1.5 * side
    step = (y_max - y_min) / (count + 1)
    return [shapely.box(x, y_max - (i + 1) * step - side / 2, x + side, y_max - (i + 1) * step + side / 2)
            for i in range(count)]


# ----------------------------------------------------------------- groups
def _groups(graph: nx.Graph, xy: np.ndarray, codes: list[str], group_size: int,
            rng: np.random.Generator) -> dict[str, int]:
    """Contiguous groups of about ``group_size`` units in each connected piece of ``graph``."""
    index = {c: i for i, c in enumerate(codes)}
    group_of: dict[str, int] = {}
    next_group = 0
    for piece in sorted((sorted(p) for p in nx.connected_components(graph)), key=lambda p: p[0]):
        k = max(1, round(len(piece) / group_size))
        idx = np.array([index[c] for c in piece])
        # Seeds spread out: farthest-point sampling from a random start.
        seeds = [int(idx[rng.integers(len(idx))])]
        dist = np.hypot(*(xy[idx] - xy[seeds[0]]).T)
        while len(seeds) < k:
            seeds.append(int(idx[int(np.argmax(dist))]))
            dist = np.minimum(dist, np.hypot(*(xy[idx] - xy[seeds[-1]]).T))
        size = [1] * k
        frontier: list[list] = [[] for _ in range(k)]
        for g, s in enumerate(seeds):
            group_of[codes[s]] = next_group + g
        for g, s in enumerate(seeds):
            for nb in graph[codes[s]]:
                heapq.heappush(frontier[g], (float(np.hypot(*(xy[index[nb]] - xy[s]))), nb))
        growing = [(1, g) for g in range(k)]
        heapq.heapify(growing)
        while growing:  # the smallest group takes its unclaimed neighbour nearest its seed
            _, g = heapq.heappop(growing)
            while frontier[g] and frontier[g][0][1] in group_of:
                heapq.heappop(frontier[g])
            if not frontier[g]:
                continue  # enclosed: it stops growing
            _, unit = heapq.heappop(frontier[g])
            group_of[unit] = next_group + g
            size[g] += 1
            for nb in graph[unit]:
                if nb not in group_of:
                    heapq.heappush(frontier[g], (float(np.hypot(*(xy[index[nb]] - xy[seeds[g]]))), nb))
            heapq.heappush(growing, (size[g], g))
        next_group += k
    return group_of


# ----------------------------------------------------------------- values
def _density(xy: np.ndarray, side: float, hotspots: int, rng: np.random.Generator) -> np.ndarray:
    """1 + a sum of Gaussian hot spots; "London" first, then smaller cities, all inland."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    centres = rng.uniform(lo + 0.15 * (hi - lo), hi - 0.15 * (hi - lo), size=(hotspots, 2))
    density = np.ones(len(xy))
    for h, c in enumerate(centres):
        peak, width = LONDON if h == 0 else CITY
        density += peak * np.exp(-((xy - c) ** 2).sum(axis=1) / (2 * (width * side) ** 2))
    return density


def _noise(distribution: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if distribution == "lognormal":
        return rng.lognormal(0.0, 0.5, n)
    if distribution == "uniform":
        return rng.uniform(0.5, 1.5, n)
    return np.ones(n)


def synthetic_geography(n: int, kind: str = "square", *, seed: int = 0, group_size: int = 8,
                        distribution: str = "lognormal", hotspots: int = 3, islands: int = 0,
                        area_km2: float = ENGLAND_KM2, total_m: float = DEFAULT_TOTAL_M) -> SyntheticGeography:
    """``n`` units (``islands`` of them offshore) on a ``kind`` grid; see the module docstring.

    ``group_size`` is the PFA-like group size in units; ``hotspots`` (0 or more) the number of
    value hot spots, the first one London-like; ``area_km2`` the mainland's total area.
    """
    if kind not in KINDS:
        raise CpaError(f"unknown synthetic grid {kind!r}", f"use one of: {', '.join(KINDS)}")
    if distribution not in DISTRIBUTIONS:
        raise CpaError(f"unknown value distribution {distribution!r}", f"use one of: {', '.join(DISTRIBUTIONS)}")
    if not (isinstance(n, (int, np.integer)) and n >= 1) or not (0 <= islands < n):
        raise CpaError(f"a synthetic geography needs n >= 1 units and 0 <= islands < n, got n={n}, "
                       f"islands={islands}")
    if group_size < 1 or hotspots < 0 or not (area_km2 > 0) or not (total_m > 0):
        raise CpaError("group_size must be >= 1, hotspots >= 0, area_km2 and total_m > 0")
    rng = np.random.default_rng(seed)
    mainland_n = n - islands
    unit_m2 = area_km2 * 1e6 / mainland_n
    if kind == "square":
        cells = _square_cells(mainland_n, unit_m2, CENTRE_BNG)
    elif kind == "hex":
        cells = _hex_cells(mainland_n, unit_m2, CENTRE_BNG)
    else:
        cells = _voronoi_cells(mainland_n, unit_m2, CENTRE_BNG, rng)
    cells += _islands(islands, unit_m2, cells)
    width = len(str(n - 1))
    codes = [f"S{i:0{width}d}" for i in range(n)]
    geoms = gpd.GeoSeries(cells, index=pd.Index(codes, name="lad_code"), crs=BNG)
    xy = shapely.get_coordinates(geoms.centroid.values)

    links = []
    for i in range(mainland_n, n):
        nearest = int(np.argmin(np.hypot(*(xy[:mainland_n] - xy[i]).T)))
        links.append((codes[nearest], codes[i], "ferry", f"{codes[i]} ferry"))
    links = pd.DataFrame(links, columns=["a", "b", "link_type", "name"])
    graph = nx.Graph()
    graph.add_nodes_from(codes)
    borders = shared_borders(geoms)
    graph.add_edges_from(zip(borders["a"], borders["b"]))
    graph.add_edges_from(zip(links["a"], links["b"]))
    # An island joins the group of the unit its ferry lands on (as the Isle of Wight is in Hampshire).
    group_of = _groups(graph.subgraph(codes[:mainland_n]), xy, codes, group_size, rng)
    for a, b in zip(links["a"], links["b"]):
        group_of[b] = group_of[a]

    side = math.sqrt(area_km2 * 1e6)
    value = shapely.area(geoms.values) * _density(xy, side, hotspots, rng) * _noise(distribution, n, rng)
    value = value / value.sum() * total_m * 1e6
    groups = [f"G{group_of[c]:03d}" for c in codes]
    frame = gpd.GeoDataFrame({
        "lad_code": codes, "name": [f"Unit {c[1:]}" for c in codes], "pfa_code": groups,
        "pfa_name": [f"Group {g[1:]}" for g in groups],
        # People in proportion to value: the population value model then reproduces the values.
        "population": np.round(value / value.sum() * 60e6).astype(int), "value": value,
    }, geometry=geoms.values, crs=BNG)
    geo = geography_from_frame(frame, "lad_code", "name", "pfa_code", "pfa_name", "population",
                               links=links, where=f"synthetic {kind} grid",
                               source=f"synthetic {kind} grid, n={n}, seed={seed}")
    label = f"synthetic {distribution} values, {hotspots} hot spot{'s' * (hotspots != 1)}, seed {seed}"
    values = ContractValues(pd.Series(value, index=codes, name="value").reindex(geo.units.index),
                            "synthetic", label)
    return SyntheticGeography(geo=geo, values=values, boundaries=frame, links=links)
