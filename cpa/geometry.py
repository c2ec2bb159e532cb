"""Geometry shared by every part that draws or measures areas: one dissolve that never fails.

``shapely.coverage_union_all`` is fast and exact, but only for a valid polygonal coverage
(no overlaps, neighbours' shared edges vertex for vertex identical). On anything else it can
raise (``found two shells in EdgeRing list``, ``CoverageUnion cannot process incorrectly noded
inputs``) or, worse, return a wrong shape without complaint. Boundaries are repaired at load
(:mod:`cpa.io.repair`), but a reprojection round trip or a hand-built geography can still put
float noise on shared edges, so :func:`dissolve` checks first and falls back to a robust union.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.errors import GEOSException

#: Grid of the fallback union, relative to the largest coordinate: far above float noise
#: (about 1e-16 relative), far below anything a map or a compactness score can see
#: (5 mm in British National Grid, 0.05 mm at 52 degrees).
SNAP_ROUNDING_RELATIVE = 1e-9


def snap_rounding_grid(geoms) -> float:
    """The fallback union's grid size for these geometries (see :data:`SNAP_ROUNDING_RELATIVE`)."""
    bounds = shapely.total_bounds(np.asarray(geoms, dtype=object))
    scale = float(np.nanmax(np.abs(bounds))) if np.isfinite(bounds).all() else 1.0
    return max(scale, 1.0) * SNAP_ROUNDING_RELATIVE


def dissolve(geoms):
    """The union of polygons: a coverage union where the coverage is valid, else a robust union.

    The robust union snap-rounds to :func:`snap_rounding_grid`, which GEOS guarantees to
    succeed, and which also closes the float-noise slivers between near-identical edges
    (left open, each would add its length twice to the perimeter).
    """
    arr = np.asarray(geoms, dtype=object)
    if len(arr) == 1:
        return arr[0]
    if shapely.coverage_is_valid(arr):
        try:
            return shapely.coverage_union_all(arr)
        except GEOSException:  # valid by the check, yet refused: take the robust path
            pass
    return shapely.union_all(arr, grid_size=snap_rounding_grid(arr))


def segmentize_shared(geoms, max_segment_length: float) -> np.ndarray:
    """Add vertices so that no segment is longer than ``max_segment_length``, the same ones on
    both sides of a shared edge.

    ``shapely.segmentize`` steps from each segment's own start, so the two polygons along a
    shared edge, which run it in opposite directions, get points a float's width apart: a valid
    coverage comes out invalid. Here every segment is cut from its lexicographically smaller
    end, so identical edges get identical points. Polygons stay polygons, multipolygons stay
    multipolygons.
    """
    arr = np.asarray(geoms, dtype=object)
    kind, coords, offsets = shapely.to_ragged_array(arr)
    ring_start = offsets[0]
    # Segment i runs from coords[i] to coords[i + 1], except at the closing vertex of a ring.
    starts = np.ones(len(coords), dtype=bool)
    starts[ring_start[1:] - 1] = False
    nxt = coords[np.minimum(np.arange(len(coords)) + 1, len(coords) - 1)]
    length = np.hypot(*(nxt - coords).T)
    pieces = np.where(starts, np.maximum(np.ceil(length / max_segment_length), 1), 1).astype(np.int64)
    src = np.repeat(np.arange(len(coords)), pieces)
    step = np.arange(len(src)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    p, q, k = coords[src], nxt[src], pieces[src]
    flip = (q[:, 0] < p[:, 0]) | ((q[:, 0] == p[:, 0]) & (q[:, 1] < p[:, 1]))
    low, high = np.where(flip[:, None], q, p), np.where(flip[:, None], p, q)
    fraction = np.where(flip, k - step, step) / k
    out = low + (high - low) * fraction[:, None]
    out[step == 0] = p[step == 0]  # the segment's own start, exactly
    new_ring_start = np.concatenate([[0], np.cumsum(pieces)])[ring_start]
    dense = shapely.from_ragged_array(kind, out, (new_ring_start, *offsets[1:]))
    was_polygon = shapely.get_type_id(arr) == shapely.GeometryType.POLYGON
    dense[was_polygon] = shapely.get_geometry(dense[was_polygon], 0)
    return dense
