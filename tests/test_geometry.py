"""cpa.geometry: the dissolve that never fails, and edge-symmetric densification."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import box

from cpa.geometry import dissolve, segmentize_shared


def test_dissolve_of_a_valid_coverage_is_its_coverage_union():
    cells = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)]
    assert shapely.equals(dissolve(cells), box(0, 0, 2, 2))
    assert dissolve([cells[0]]) is cells[0]


def test_dissolve_closes_float_noise_between_neighbours():
    # Edges a float's width apart: not a valid coverage, and a plain union would keep a
    # zero-width sliver whose two sides count in the perimeter.
    cells = [box(0, 0, 0.1 + 0.2, 1), box(0.3, 0, 1, 1), box(0, 1, 1, 2)]
    assert not shapely.coverage_is_valid(cells)
    whole = dissolve(cells)
    assert whole.geom_type == "Polygon" and shapely.get_num_interior_rings(whole) == 0
    assert whole.length == pytest.approx(6.0)


def test_dissolve_of_overlapping_polygons_counts_the_overlap_once():
    whole = dissolve([box(0, 0, 2, 1), box(1, 0, 3, 1)])
    assert whole.area == pytest.approx(3.0)


def test_dissolve_keeps_separate_pieces_and_real_holes():
    ring = box(0, 0, 3, 3).difference(box(1, 1, 2, 2))
    pieces = dissolve([ring, box(10, 0, 11, 1)])
    assert pieces.geom_type == "MultiPolygon" and pieces.area == pytest.approx(9.0)
    assert max(shapely.get_num_interior_rings(shapely.get_parts(pieces))) == 1


def test_segmentize_shared_keeps_a_valid_coverage_valid():
    # Two polygons share the long edge x = -0.3 .. 0.7 (y = 0.1), run in opposite directions.
    a = shapely.Polygon([(-0.3, 0.1), (0.7, 0.1), (0.7, 1.3), (-0.3, 1.3)])
    b = shapely.Polygon([(0.7, 0.1), (-0.3, 0.1), (-0.3, -1.1), (0.7, -1.1)])
    assert shapely.coverage_is_valid([a, b])
    ours = segmentize_shared([a, b], 0.07)
    assert shapely.coverage_is_valid(ours)
    # 1.0 / 0.07 -> 15 pieces, 1.2 / 0.07 -> 18 pieces, plus the closing vertex
    assert shapely.get_num_coordinates(ours).tolist() == [2 * 15 + 2 * 18 + 1] * 2
    assert np.allclose(shapely.area(ours), [1.2, 1.2])
    assert (shapely.get_type_id(ours) == shapely.GeometryType.POLYGON).all()


def test_segmentize_shared_where_shapely_segmentize_breaks_the_coverage():
    a = shapely.Polygon([(-0.3, 0.1), (0.7, 0.1), (0.7, 1.3), (-0.3, 1.3)])
    b = shapely.Polygon([(0.7, 0.1), (-0.3, 0.1), (-0.3, -1.1), (0.7, -1.1)])
    if shapely.coverage_is_valid(shapely.segmentize([a, b], 0.07)):
        pytest.skip("this GEOS happens to step both directions to the same points here")
    assert shapely.coverage_is_valid(segmentize_shared([a, b], 0.07))


def test_segmentize_shared_keeps_multipolygons_and_holes():
    multi = shapely.MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1).difference(box(2.4, 0.4, 2.6, 0.6))])
    (dense,) = segmentize_shared([multi], 0.25)
    assert dense.geom_type == "MultiPolygon" and shapely.get_num_geometries(dense) == 2
    assert dense.area == pytest.approx(multi.area) and shapely.equals(dense, multi)
    assert shapely.get_num_coordinates(dense) > shapely.get_num_coordinates(multi)
