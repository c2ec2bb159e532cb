"""Load-time checks and repair of user boundaries, in a projected CRS (metres).

Real boundary files are rarely a clean polygonal coverage: neighbours' shared edges differ by
float noise or digitising error, leave slivers of no-man's-land between them or overlap a
little. Left alone, contiguity misses real neighbours and dissolves fail or come out wrong.
:func:`repair_boundaries` makes the units a valid coverage (neighbours share edges vertex for
vertex, nothing overlaps) or refuses, naming the units, when a repair would change the map
more than a tolerance can explain:

1. **Check.** ``shapely.coverage_is_valid`` with ``gap_width = snap``: matched edges, no
   overlap, no gap narrower than the snap tolerance. A valid coverage is kept exactly as given.
2. **Refuse big overlaps.** Pairs of units whose interiors overlap by more than
   :data:`MAX_OVERLAP_SHARE` of the smaller unit are two claims on the same ground, not noise.
3. **Clean.** ``shapely.coverage_clean`` (GEOS CoverageCleaner): snaps vertices within
   ``snap`` metres, nodes T-junctions, gives each small overlap to the unit that shares the
   longest border with it and closes gaps narrower than ``snap``.
4. **Close small gaps.** Holes in the union of all units smaller than ``sliver`` m² (pin-holes
   where several units meet, digitising slivers) go to the unit with the longest border on
   them. Larger holes are real (a lake, a unit left out) and stay.
5. **Verify.** Every unit still a valid, non-empty (multi)polygon and the whole a valid
   coverage; otherwise a :class:`~cpa.errors.CpaError` names the units.

The caller gets the repaired polygons and a :class:`RepairSummary` whose :meth:`~RepairSummary.line`
says in one line what changed; the CLI prints it on stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.errors import GEOSException

from ..errors import CpaError, list_items
from ..options import check_tolerances  # noqa: F401  (checked with every other option)

#: Vertices closer than this (metres) are snapped together, and gaps narrower than it closed.
DEFAULT_SNAP_M = 1.0
#: Enclosed gaps smaller than this (m²) are closed, given to a neighbour.
DEFAULT_SLIVER_M2 = 100.0
#: Overlaps up to this share of the smaller unit's area are repaired; larger ones are refused.
MAX_OVERLAP_SHARE = 0.01

FIX_HINT = ("fix the boundaries in a GIS (QGIS: Vector > Geometry Tools > Check Validity, or the "
            "Topology Checker plugin) so that units do not overlap")


@dataclass(frozen=True)
class RepairSummary:
    """What :func:`repair_boundaries` changed."""

    #: Codes of the units whose polygons changed (sorted).
    units: tuple[str, ...]
    #: The largest symmetric-difference area of one unit, before vs after (m²), and its unit.
    largest_change_m2: float
    largest_change_unit: str
    #: Overlapping pairs trimmed, and enclosed gaps under the sliver size closed.
    overlaps: int
    gaps: int
    snap_m: float
    sliver_m2: float
    #: Whether the coverage was cleaned (snapped and noded), or only had small gaps closed.
    cleaned: bool

    def line(self) -> str:
        """One line for people: how many units, what was done, the largest change."""
        done = []
        if self.cleaned:
            done.append(f"snapped within {self.snap_m:g} m" if self.snap_m > 0 else "noded shared edges")
        if self.overlaps:
            done.append(f"trimmed {self.overlaps} small overlap{'s' * (self.overlaps != 1)}")
        if self.gaps:
            done.append(f"closed {self.gaps} gap{'s' * (self.gaps != 1)} under {self.sliver_m2:g} m²")
        n = len(self.units)
        return (f"repaired the boundaries of {n} unit{'s' * (n != 1)} ({', '.join(done)}); largest change "
                f"{self.largest_change_m2:,.1f} m² ({self.largest_change_unit})")

    def to_dict(self) -> dict:
        return {"units_changed": len(self.units), "largest_change_m2": self.largest_change_m2,
                "largest_change_unit": self.largest_change_unit, "overlaps_trimmed": self.overlaps,
                "gaps_closed": self.gaps, "snapped": self.cleaned, "snap_m": self.snap_m,
                "sliver_m2": self.sliver_m2, "line": self.line()}


@dataclass(frozen=True)
class RepairedBoundaries:
    """Unit polygons in the metric CRS (index = unit codes) and what was repaired (None: nothing)."""

    geometry: gpd.GeoSeries
    summary: RepairSummary | None


def interior_overlaps(geoms: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j, at least one in ``among``) whose interiors overlap, with the overlap area (m²)."""
    tree = shapely.STRtree(geoms)
    src, dst = tree.query(geoms[among], predicate="intersects")
    i, j = np.minimum(among[src], dst), np.maximum(among[src], dst)
    pairs = np.unique(np.stack([i, j], axis=1)[i != j], axis=0)
    if not len(pairs):
        return pairs[:, 0], pairs[:, 1], np.zeros(0)
    i, j = pairs[:, 0], pairs[:, 1]
    inside = shapely.relate_pattern(geoms[i], geoms[j], "T********")  # interiors meet: more than a border
    i, j = i[inside], j[inside]
    try:
        area = shapely.area(shapely.intersection(geoms[i], geoms[j]))
    except GEOSException:  # near-coincident edges can defeat the exact overlay: snap-round to 1 mm
        area = shapely.area(shapely.intersection(geoms[i], geoms[j], grid_size=1e-3))
    return i, j, area


def refuse_large_overlaps(geoms: np.ndarray, codes: np.ndarray, among: np.ndarray, where: str) -> int:
    """Raise for overlaps over :data:`MAX_OVERLAP_SHARE` of the smaller unit; return how many pairs overlap."""
    i, j, area = interior_overlaps(geoms, among)
    smaller = np.minimum(shapely.area(geoms[i]), shapely.area(geoms[j]))
    share = np.divide(area, smaller, out=np.ones_like(area), where=smaller > 0)
    big = np.flatnonzero(share > MAX_OVERLAP_SHARE)
    if len(big):
        big = big[np.argsort(-share[big], kind="stable")]
        pairs = [f"{codes[i[k]]} and {codes[j[k]]} ({share[k]:.0%} of the smaller, {area[k]:,.0f} m²)"
                 for k in big]
        raise CpaError(f"{where}: {len(big)} pair{'s' * (len(big) != 1)} of units overlap by more than "
                       f"{MAX_OVERLAP_SHARE:.0%} of the smaller unit, too much to repair: {list_items(pairs, 5)}",
                       f"{FIX_HINT}; overlaps up to {MAX_OVERLAP_SHARE:.0%} are trimmed automatically")
    return int((area > 0).sum())


def small_gaps(geoms: np.ndarray, sliver_m2: float) -> np.ndarray:
    """Holes in the union of a valid coverage smaller than ``sliver_m2``, as polygons."""
    union = shapely.coverage_union_all(geoms)
    parts = shapely.get_parts(union)
    rings = [shapely.get_interior_ring(p, k) for p in parts for k in range(shapely.get_num_interior_rings(p))]
    if not rings:
        return np.empty(0, dtype=object)
    holes = shapely.polygons(np.asarray(rings, dtype=object))
    return holes[shapely.area(holes) < sliver_m2]


def close_small_gaps(geoms: np.ndarray, codes: np.ndarray, sliver_m2: float) -> tuple[np.ndarray, int]:
    """Give every hole of the coverage smaller than ``sliver_m2`` to the unit with most border on it."""
    holes = small_gaps(geoms, sliver_m2)
    if not len(holes):
        return geoms, 0
    tree = shapely.STRtree(geoms)
    given: dict[int, list] = {}
    for hole in holes:
        near = tree.query(hole, predicate="intersects")
        border = shapely.length(shapely.intersection(shapely.boundary(geoms[near]), hole.boundary))
        # longest shared border; ties to the lowest code, so the result does not depend on file order
        best = min(range(len(near)), key=lambda k: (-round(border[k], 6), codes[near[k]]))
        given.setdefault(int(near[best]), []).append(hole)
    out = geoms.copy()
    for k, extra in given.items():
        out[k] = shapely.union_all([geoms[k], *extra])
    return out, len(holes)


def needs_repair(geoms: gpd.GeoSeries, snap_m: float = DEFAULT_SNAP_M, sliver_m2: float = DEFAULT_SLIVER_M2) -> bool:
    """Whether :func:`repair_boundaries` would change anything: not a valid coverage, or small gaps."""
    arr = np.asarray(geoms.values, dtype=object)
    if not shapely.coverage_is_valid(arr, gap_width=snap_m):
        return True
    return sliver_m2 > 0 and len(small_gaps(arr, sliver_m2)) > 0


def _invalid_units(geoms: np.ndarray, gap_width: float) -> np.ndarray:
    edges = shapely.coverage_invalid_edges(geoms, gap_width=gap_width)
    return np.flatnonzero(~shapely.is_empty(edges))


def _refuse_unrepaired(geoms: np.ndarray, codes: np.ndarray, snap_m: float, where: str) -> None:
    """Raise naming the units that did not come out as valid, non-empty polygons of a valid coverage."""
    lost = codes[shapely.is_empty(geoms) | ~np.isin(shapely.get_type_id(geoms), (3, 6))]  # Polygon, MultiPolygon
    if len(lost):
        raise CpaError(f"{where}: units that vanish when snapped within {snap_m:g} m: {list_items(lost)}",
                       f"{FIX_HINT}; or lower --snap if these units are genuinely that small")
    broken = codes[~shapely.is_valid(geoms)]
    if len(broken) == 0 and not shapely.coverage_is_valid(geoms):
        broken = codes[_invalid_units(geoms, 0.0)]
    if len(broken):
        raise CpaError(f"{where}: cannot repair the boundaries of {list_items(broken)} into non-overlapping "
                       f"units that share edges", FIX_HINT)


def repair_boundaries(geoms: gpd.GeoSeries, *, snap_m: float = DEFAULT_SNAP_M,
                      sliver_m2: float = DEFAULT_SLIVER_M2, where: str = "boundary file") -> RepairedBoundaries:
    """Make unit polygons (valid, in a metric CRS, indexed by code) a valid coverage, or refuse.

    ``where`` starts every message (e.g. ``"boundary file units.gpkg"``). See the module
    docstring for the steps. Returns the polygons as given, and no summary, when nothing changed.
    """
    check_tolerances(snap_m, sliver_m2)
    codes = np.asarray(geoms.index.astype(str))
    before = np.asarray(geoms.values, dtype=object)
    after, overlaps = before, 0
    cleaned = not shapely.coverage_is_valid(before, gap_width=snap_m)
    if cleaned:
        overlaps = refuse_large_overlaps(before, codes, _invalid_units(before, snap_m), where)
        after = shapely.coverage_clean(before, gap_width=snap_m, snapping_distance=snap_m)
        _refuse_unrepaired(after, codes, snap_m, where)
    gaps = 0
    if sliver_m2 > 0:
        after, gaps = close_small_gaps(after, codes, sliver_m2)
        if gaps:
            _refuse_unrepaired(after, codes, snap_m, where)
    if after is before:
        return RepairedBoundaries(geoms, None)

    changed = ~shapely.equals_exact(shapely.normalize(before), shapely.normalize(after), tolerance=0.0)
    if not changed.any():
        return RepairedBoundaries(geoms, None)
    idx = np.flatnonzero(changed)
    change = np.full(len(codes), -1.0)
    try:
        change[idx] = shapely.area(shapely.symmetric_difference(before[idx], after[idx]))
    except GEOSException:  # near-coincident edges can defeat the exact overlay: snap-round to 1 mm
        change[idx] = shapely.area(shapely.symmetric_difference(before[idx], after[idx], grid_size=1e-3))
    worst = int(np.argmax(change))
    summary = RepairSummary(units=tuple(sorted(codes[changed])), largest_change_m2=float(change[worst]),
                            largest_change_unit=str(codes[worst]), overlaps=overlaps, gaps=gaps,
                            snap_m=float(snap_m), sliver_m2=float(sliver_m2), cleaned=cleaned)
    return RepairedBoundaries(gpd.GeoSeries(after, index=geoms.index, crs=geoms.crs), summary)
