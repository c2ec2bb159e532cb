"""Shared fixtures: the real embedded geography and tiny hand-drawn grids."""

from __future__ import annotations

import functools
import gc
import math
from typing import TYPE_CHECKING

import pytest

# geopandas, PROJ and cpa are imported where they are used: the xdist controller loads this file
# too, and never needs them (~1.5 s of a 2-core machine while the workers start).
if TYPE_CHECKING:
    from cpa.geography import Geography
    from cpa.values import ContractValues


@pytest.fixture(scope="session", autouse=True)
def remembered_utm_zones():
    """Each worker asks PROJ's database for a point's UTM zone once, not once per geography.

    ``estimate_utm_crs`` (geopandas) queries the projection database afresh every time, ~0.15 s
    each: 130 such queries were a tenth of the fast suite's time. The answer depends only on the
    arguments (a point and a datum), so remembering it changes no result; ``cpa`` still asks.
    """
    import pyproj.database

    query = pyproj.database.query_utm_crs_info
    remembered = functools.lru_cache(maxsize=None)(lambda *args: tuple(query(*args)))

    def query_utm_crs_info(datum_name=None, area_of_interest=None, contains=False):
        return list(remembered(datum_name, area_of_interest, contains))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pyproj.database, "query_utm_crs_info", query_utm_crs_info)
        yield


def pytest_collection_finish(session):
    """What the imports and collection built lives for the whole run: out of the collector's sight,
    every full collection skips it (the libraries' objects made them ~2 s a worker)."""
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    """A test that drives a real browser is slow too: ``pytest -m 'not slow'`` stays under a minute."""
    for item in items:
        if item.get_closest_marker("browser") is not None and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


#: Degrees per grid cell. At the equator 0.01 deg is ~1.112 km.
CELL_DEG = 0.01
KM_PER_CELL = 2 * math.pi * 6371.0088 / 360 * CELL_DEG


def grid_geography(layout: list[str], values: list[list[float]] | None = None,
                   extra_links: list[tuple[str, str, str]] = ()) -> tuple[Geography, ContractValues]:
    """Build a geography from a picture.

    ``layout`` is a list of rows; each character is the unit's group (its "PFA"),
    and ``.`` is sea (no unit). Unit codes are ``r{row}c{col}``. Cells are
    CELL_DEG squares on the equator; rook adjacency (shared edges) only, plus
    ``extra_links`` ``(a, b, link_type)``. Values default to 1 per unit.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from cpa.geography import Geography
    from cpa.values import ContractValues

    rows = []
    for r, line in enumerate(layout):
        for c, ch in enumerate(line):
            if ch == ".":
                continue
            x0, y0 = c * CELL_DEG, -r * CELL_DEG
            rows.append({
                "lad_code": f"r{r}c{c}", "name": f"cell {r},{c}", "pfa_code": f"P{ch}", "pfa_name": f"Group {ch}",
                "country": "England", "population": 1000.0, "adults": 800.0, "males_18_49": 200.0,
                "area_sqkm": KM_PER_CELL ** 2, "lat": y0 - CELL_DEG / 2, "lon": x0 + CELL_DEG / 2,
                "value": 1.0 if values is None else float(values[r][c]),
                "geometry": shapely.box(x0, y0 - CELL_DEG, x0 + CELL_DEG, y0),
            })
    df = pd.DataFrame(rows).set_index("lad_code")
    units = gpd.GeoDataFrame(df.drop(columns="value"), geometry="geometry", crs=4326)
    links = []
    codes = set(df.index)
    for code in sorted(codes):
        r, c = (int(x) for x in code[1:].split("c"))
        for nb in (f"r{r}c{c + 1}", f"r{r + 1}c{c}"):
            if nb in codes:
                links.append((code, nb, "shared_border", KM_PER_CELL, ""))
    for a, b, kind in extra_links:
        links.append((min(a, b), max(a, b), kind, 0.0, f"{kind} {a}-{b}"))
    pfas = pd.DataFrame({"pfa_name": units.groupby("pfa_code")["pfa_name"].first()})
    geo = Geography(units=units, links=pd.DataFrame(links, columns=["a", "b", "link_type", "border_km", "name"]),
                    pfas=pfas, references={}, source="test grid", distance_note="grid test distances")
    return geo, ContractValues(df["value"].rename("value"), "grid", "test values")


@pytest.fixture
def grid3():
    """A 3x3 grid in three groups, values chosen so sums are easy::

        A A B        values  1 1 2
        A A B                1 1 2
        C C C                3 3 3

    Groups: A = 4 cells (value 4), B = 2 cells (value 4), C = 3 cells (value 9); total 17.
    """
    return grid_geography(["AAB", "AAB", "CCC"], values=[[1, 1, 2], [1, 1, 2], [3, 3, 3]])


@pytest.fixture
def island_grid():
    """Two land masses joined only by a ferry (``~``)::

        A A . B          r0c1 ~ r0c3 is a ferry link
        A A . B

    Without the ferry, group B is an island.
    """
    return grid_geography(["AA.B", "AA.B"], extra_links=[("r0c1", "r0c3", "ferry")])


@pytest.fixture(scope="session")
def geo():
    from cpa.geography import Geography

    return Geography.default()


@pytest.fixture(scope="session")
def values(geo):
    from cpa.values import contract_values

    return contract_values(geo)
