"""Build the embedded England & Wales geography from the raw open data.

Usage::

    python boundaries/build.py [--source ../shared/data] [--out cpa/data]

Reads the ONS / Home Office files described in ``../shared/data/PROVENANCE.md``
and writes the compact files that :mod:`cpa.geography` loads, into ``cpa/data/`` (package data,
so that an installed wheel carries them):

``lad23.geojson``
    318 LAD polygons (May 2023, BUC), simplified as a *coverage* (shared borders
    stay shared, no slivers) at 200 m in British National Grid, WGS84, 5 decimals.
``units.csv``
    one row per LAD: code, name, PFA, country, mid-2023 population, adults,
    males 18-49, land area, approximate population-weighted centroid.
``pfas.csv``
    one row per police force area: recorded crime 2023/24 (excluding fraud,
    gap-filled for Devon & Cornwall), 2003-04 probation budget.
``adjacency.csv``
    830 LAD pairs with link type (shared_border, fixed_crossing, ferry),
    shared border length and the crossing's name.
``reference_plans.csv``
    the historical plans as LAD -> area: pfa43, trusts35, crc21, regions12.

The output is deterministic: rebuilding from the same sources gives the same
bytes (a test checks the committed files against a fresh build).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "data"
SIMPLIFY_METRES = 200.0
COORD_DECIMALS = 5


def _read(source: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(source / name, dtype=str, keep_default_na=False)


def build_units(source: Path) -> pd.DataFrame:
    lookup = _read(source, "lad23_pfa23.csv")
    pop = pd.read_csv(source / "population_lad23_mid2011_2023.csv")
    pwc = pd.read_csv(source / "lad23_pwc_approx_from_msoa21.csv")
    units = lookup[["LAD23CD", "LAD23NM", "PFA23CD", "PFA23NM"]].merge(
        pop[["LAD23CD", "pop_mid2023", "pop18plus_mid2023", "males18_49_mid2023", "area_sqkm"]],
        on="LAD23CD", how="left", validate="1:1",
    ).merge(
        pwc[["LAD23CD", "lat", "lon", "bng_e", "bng_n"]], on="LAD23CD", how="left", validate="1:1",
    )
    if units.isna().any().any():
        missing = units[units.isna().any(axis=1)]["LAD23CD"].tolist()
        raise SystemExit(f"source tables disagree: no population/centroid for {missing}")
    units = units.rename(columns={
        "LAD23CD": "lad_code", "LAD23NM": "lad_name", "PFA23CD": "pfa_code", "PFA23NM": "pfa_name",
        "pop_mid2023": "population", "pop18plus_mid2023": "adults",
        "males18_49_mid2023": "males_18_49",
    })
    units.insert(4, "country", np.where(units["lad_code"].str.startswith("W"), "Wales", "England"))
    units["area_sqkm"] = units["area_sqkm"].round(3)
    return units.sort_values("lad_code").reset_index(drop=True)


def build_pfas(source: Path) -> pd.DataFrame:
    ref = _read(source, "pfa_reference.csv")
    crime = pd.read_csv(source / "prc_pfa23_summary.csv")
    pfas = ref[["pfa_code", "pfa_name", "area_budget_2003_04_gbp000"]].merge(
        crime[["PFA23CD", "prc_excl_fraud_annual_best", "prc_best_note"]].rename(
            columns={"PFA23CD": "pfa_code"}),
        on="pfa_code", how="left", validate="1:1",
    )
    pfas = pfas.rename(columns={
        "area_budget_2003_04_gbp000": "budget_2003_04_gbp000",
        "prc_excl_fraud_annual_best": "recorded_crime_2023_24",
        "prc_best_note": "recorded_crime_note",
    })
    return pfas.sort_values("pfa_code").reset_index(drop=True)


def _region_code(label: str) -> tuple[str, str]:
    m = re.match(r"^(.*)\s+\((N\d+)\)$", label.strip())
    if not m:
        raise SystemExit(f"cannot parse 2021 region label {label!r}")
    return m.group(2), m.group(1)


def build_reference_plans(source: Path, units: pd.DataFrame) -> pd.DataFrame:
    ref = _read(source, "pfa_reference.csv").set_index("pfa_code")
    rows = []
    for lad, pfa in zip(units["lad_code"], units["pfa_code"]):
        r = ref.loc[pfa]
        region_code, region_name = _region_code(r["probation_region_2021"])
        rows += [
            ("pfa43", lad, pfa, r["pfa_name"]),
            ("trusts35", lad, r["trust_delius_code"], r["probation_trust_2010_2014"]),
            ("crc21", lad, r["cpa_delius_code"], r["cpa_crc_name_2014"]),
            ("regions12", lad, region_code, region_name),
        ]
    plans = pd.DataFrame(rows, columns=["plan", "lad_code", "area", "area_name"])
    return plans.sort_values(["plan", "lad_code"]).reset_index(drop=True)


def build_adjacency(source: Path) -> pd.DataFrame:
    adj = _read(source, "lad23_adjacency_buc.csv")
    adj = adj.rename(columns={
        "LAD23CD_a": "lad_a", "LAD23CD_b": "lad_b", "shared_border_km_buc": "border_km", "note": "name",
    })[["lad_a", "lad_b", "link_type", "border_km", "name"]]
    # canonical order so the file is stable whatever the source order
    swap = adj["lad_a"] > adj["lad_b"]
    adj.loc[swap, ["lad_a", "lad_b"]] = adj.loc[swap, ["lad_b", "lad_a"]].values
    return adj.sort_values(["lad_a", "lad_b"]).reset_index(drop=True)


def build_geometry(source: Path) -> gpd.GeoDataFrame:
    lad = gpd.read_file(source / "lad23_ew_buc.geojson")[["LAD23CD", "geometry"]]
    lad = lad.rename(columns={"LAD23CD": "lad_code"}).sort_values("lad_code").reset_index(drop=True)
    bng = lad.to_crs(27700)
    simplified = shapely.coverage_simplify(bng.geometry.values, SIMPLIFY_METRES)
    out = gpd.GeoDataFrame(lad[["lad_code"]], geometry=gpd.GeoSeries(simplified, crs=27700).to_crs(4326))
    out["geometry"] = shapely.set_precision(out.geometry.values, 10 ** -COORD_DECIMALS)
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out


def geometry_json(gdf: gpd.GeoDataFrame) -> str:
    """Compact, deterministic GeoJSON text (one feature per line)."""
    features = []
    for code, geom in zip(gdf["lad_code"], gdf.geometry):
        features.append(json.dumps({
            "type": "Feature", "properties": {"lad_code": code},
            "geometry": shapely.geometry.mapping(geom),
        }, separators=(",", ":")))
    head = '{"type":"FeatureCollection","features":[\n'
    return head + ",\n".join(features) + "\n]}\n"


def build(source: Path, out: Path) -> list[Path]:
    if not (source / "PROVENANCE.md").exists():
        raise SystemExit(f"{source} does not look like the shared data folder (no PROVENANCE.md)")
    out.mkdir(parents=True, exist_ok=True)
    units = build_units(source)
    written = []
    tables = {
        "units.csv": units,
        "pfas.csv": build_pfas(source),
        "adjacency.csv": build_adjacency(source),
        "reference_plans.csv": build_reference_plans(source, units),
    }
    for name, table in tables.items():
        path = out / name
        table.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    geo_path = out / "lad23.geojson"
    geo_path.write_text(geometry_json(build_geometry(source)))
    written.append(geo_path)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=HERE.parent / "cpa" / "data")
    args = ap.parse_args()
    for path in build(args.source, args.out):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
