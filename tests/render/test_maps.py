"""Maps: area colouring, the folium HTML (parsed back), the static PNG, `cpa map`, and a real browser."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cpa.cli import main
from cpa.errors import CpaError
from cpa.render.maps import (COLOR_BY, area_colours, area_graph, area_numbers, interactive_map, label_points,
                             metric_classes, render_html, write_map_html)
from cpa.render.png import draw_plan, static_png
from cpa.render.styles import PALETTE, PALETTE_LIGHT, SOURCE_LINE
from cpa.metrics import group_splits, scorecard
from cpa.io import read_plan
from cpa.plan import Plan

AREA_PROPS = {"area", "number", "area_name", "description", "value_m", "share", "lads", "pfas", "hub_name",
              "mean_travel_km", "max_travel_km", "polsby_popper", "contiguous"}


@pytest.fixture(scope="module")
def layers(geo, values):
    """crc21 then trusts35, as (label, plan, scorecard)."""
    out = []
    for name in ("crc21", "trusts35"):
        plan = read_plan(name, geo)
        out.append((name, plan, scorecard(plan, geo, values)))
    return out


@pytest.fixture(scope="module")
def two_layer_html(layers, geo, values):
    return render_html(interactive_map(layers, geo, values))


def collections(page: str) -> list[dict]:
    """Every GeoJSON FeatureCollection folium embedded in the page, in page order."""
    found = re.findall(r"_add\((\{\"features\": .*?\})\);\n", page)
    return [json.loads(text) for text in found]


def area_collections(page: str) -> list[dict]:
    return [c for c in collections(page) if c["features"] and "polsby_popper" in c["features"][0]["properties"]]


# ------------------------------------------------------------------ colouring
@pytest.mark.parametrize("name", ["crc21", "trusts35", "pfa43", "regions12"])
def test_neighbouring_areas_never_share_a_colour(geo, name):
    plan = read_plan(name, geo)
    colours = area_colours(plan, geo)
    assert set(colours) == set(plan.areas) and set(colours.values()) <= set(PALETTE)
    crossings = 0
    for a, b, kind in geo.graph().edges(data="link_type"):  # borders, bridges and ferries
        area_a, area_b = plan.assignment[a], plan.assignment[b]
        if area_a != area_b:
            crossings += 1
            assert colours[area_a] != colours[area_b], (name, a, b, kind)
    assert crossings > 0
    assert area_colours(plan, geo) == colours  # deterministic
    assert set(colours.values()) <= set(PALETTE_LIGHT)  # the eight "light" colours suffice
    assert len(set(colours.values())) >= min(len(PALETTE_LIGHT), plan.k) - 1  # and are spread, not 4 colours


def test_colouring_never_runs_out_on_the_finest_plan(geo):
    """Every LAD its own area (318 areas, up to 15 neighbours each): still a proper colouring."""
    plan = Plan({u: u for u in geo.units.index}, label="lads")
    colours = area_colours(plan, geo)
    g = area_graph(plan, geo)
    assert max(d for _, d in g.degree()) + 1 <= len(PALETTE)  # greedy can never run out here
    assert all(colours[a] != colours[b] for a, b in g.edges)


def test_numbers_and_label_points(geo, values, layers):
    _, plan, card = layers[0]
    numbers = area_numbers(card)
    assert sorted(numbers.values()) == list(range(1, plan.k + 1))
    assert numbers[card.areas["value_m"].idxmax()] == 1 and numbers[card.areas["value_m"].idxmin()] == plan.k
    from cpa.io.plans import plan_geodataframe
    import shapely.geometry

    shapes = plan_geodataframe(plan, geo).set_index("area").geometry
    for area, (lat, lon) in label_points(plan, geo).items():
        assert shapes[area].contains(shapely.geometry.Point(lon, lat)), area


@pytest.mark.parametrize("method", ["quantile", "log", "linear"])
def test_choropleth_classes(layers, method):
    cards = [card for _, _, card in layers]
    classes = metric_classes(cards, "value", method)
    v = sorted(float(x) for c in cards for x in c.areas["value_m"])
    assert len(classes.bins) == len(classes.colours) == 5 and classes.bins[-1] >= v[-1]
    assert classes.low == pytest.approx(v[0])
    assert classes.colour(v[0]) == classes.colours[0] and classes.colour(v[-1]) == classes.colours[-1]
    counts = [sum(classes.colour(x) == c for x in v) for c in classes.colours]
    if method == "quantile":  # equal counts: London alone cannot wash out the scale
        assert max(counts) - min(counts) <= 3, counts
    elif method == "linear":  # equal steps: London alone at the top, most areas at the bottom
        assert counts[-1] == 2 and counts[0] > len(v) / 2
    else:
        steps = np.diff(np.log10([classes.low] + classes.bins))
        assert np.allclose(steps, steps[0])
    assert len(classes.ranges()) == 5 and classes.ranges()[0].startswith("£")


def test_log_classes_need_positive_values(grid3):
    geo, values = grid3
    plan = Plan({u: u for u in geo.units.index})
    card = scorecard(plan, geo, values)
    with pytest.raises(CpaError, match="--classes log needs positive values"):
        metric_classes([card], "travel", "log")  # one-unit areas travel 0 km


def test_ferry_link_counts_as_neighbour(island_grid):
    geo, _ = island_grid
    # Left block and the island touch only by the ferry r0c1 ~ r0c3.
    plan = Plan({"r0c0": "L", "r1c0": "L", "r0c1": "L", "r1c1": "L", "r0c3": "I", "r1c3": "I"})
    colours = area_colours(plan, geo)
    assert colours["L"] != colours["I"]


# ---------------------------------------------------------------- HTML content
def test_html_has_one_area_feature_per_area_with_its_scorecard(two_layer_html, layers, geo):
    found = area_collections(two_layer_html)
    assert [len(c["features"]) for c in found] == [21, 35]
    for coll, (label, plan, card) in zip(found, layers):
        colours = area_colours(plan, geo)
        props = {f["properties"]["area"]: f["properties"] for f in coll["features"]}
        assert set(props) == set(plan.areas)
        for area, p in props.items():
            assert AREA_PROPS <= set(p)
            row = card.areas.loc[area]
            assert p["area_name"] == plan.name(area) and p["lads"] == row["lads"]
            assert p["value_m"] == pytest.approx(row["value_m"], abs=1e-3)
            assert p["share"] == pytest.approx(row["share"], abs=1e-5)
            assert p["mean_travel_km"] == pytest.approx(row["mean_travel_km"], abs=0.01)
            assert p["hub_name"] == row["hub_name"] and p["contiguous"] == bool(row["contiguous"])
            assert p["pfas"] == row["pfa_names"]
            assert p["fill"] == colours[area]
            assert p["number"] == area_numbers(card)[area] and p["description"] == row["description"]
            assert plan.name(area).replace("&", "&amp;") in p["popup_html"]
        assert sum(p["value_m"] for p in props.values()) == pytest.approx(450.0, abs=0.05)


def test_html_lad_layer_and_outlines(two_layer_html, layers, geo):
    colls = collections(two_layer_html)
    lads = [c for c in colls if c["features"] and "lad_code" in c["features"][0]["properties"]]
    assert len(lads) == 1 and len(lads[0]["features"]) == geo.n  # one LAD layer shared by both plans
    for f in lads[0]["features"]:
        p = f["properties"]
        for i, (_, plan, _) in enumerate(layers):
            assert p[f"area_{i}"] == plan.assignment[p["lad_code"]]
            assert p[f"area_name_{i}"] == html.escape(plan.name(plan.assignment[p["lad_code"]]))
    pfas = [c for c in colls if c["features"] and set(c["features"][0]["properties"]) == {"pfa"}]
    assert [len(c["features"]) for c in pfas] == [len(geo.pfa_members)]  # neither plan splits a PFA
    coords = re.findall(r"-?\d+\.(\d+)", json.dumps(lads[0]["features"][0]["geometry"]))
    assert coords and max(len(d) for d in coords) <= 5


def test_html_is_offline_and_carries_titles(two_layer_html, layers, values):
    page = two_layer_html
    # Nothing is loaded from a CDN (the one remote link left is Leaflet's attribution <a href>).
    assert not re.findall(r"""<(?:script|link|img)[^>]*(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert page.count("<script src") == 0 and page.count("<link") == 0
    assert "Leaflet 1.9.4" in page and "tile_layer_" not in page  # Leaflet inlined; no tiles by default
    assert page.count("class='cpa-plan-info'") == 4  # a title and a legend per plan
    assert page.count("Values: " + html.escape(values.label)) == 2
    for label, plan, card in layers:
        s = card.summary
        assert f"{s['areas']} areas; value £{s['value_min_m']:,.1f}m – £{s['value_max_m']:,.1f}m" in page
        assert f"Mean travel to hub: {s['mean_travel_km']:.1f} km" in page
        assert f'"{label}" : feature_group_' in page  # a base layer (radio button) per plan
    assert len(page) < 3_000_000


def test_split_pfas_are_outlined(grid3):
    """Only the PFA a plan splits gets the split outline (group B of the grid, cut between rows)."""
    geo, values = grid3
    plan = Plan({u: ("N" if geo.pfa_of[u] == "PA" or u == "r0c2" else "S") for u in geo.units.index}, label="cut")
    assert set(group_splits(plan, geo.pfa_of)) == {"PB"}
    page = render_html(interactive_map([("cut", plan, scorecard(plan, geo, values))], geo, values))
    split = [c for c in collections(page) if c["features"] and set(c["features"][0]["properties"]) == {"pfa"}
             and len(c["features"]) < len(geo.pfa_members)]
    assert [f["properties"]["pfa"] for c in split for f in c["features"]] == [geo.pfa_name("PB")]
    assert "PFAs split: 1</div>" in page


@pytest.mark.slow  # renders real-data maps
@pytest.mark.parametrize("color_by", ["value", "travel", "share"])
def test_choropleth_fills_follow_the_metric(layers, geo, values, color_by):
    column, caption = COLOR_BY[color_by]
    page = render_html(interactive_map(layers, geo, values, color_by=color_by))
    both = [f["properties"] for c in area_collections(page) for f in c["features"]]
    classes = metric_classes([card for _, _, card in layers], color_by)  # one scale over both plans
    for coll, (_, plan, card) in zip(area_collections(page), layers):
        for f in coll["features"]:
            assert f["properties"]["fill"] == classes.colour(card.areas.at[f["properties"]["area"], column])
    ranked = sorted(both, key=lambda p: p[column])
    assert ranked[0]["fill"] == classes.colours[0] and ranked[-1]["fill"] == classes.colours[-1]
    darkness = [sum(int(p["fill"][i:i + 2], 16) for i in (1, 3, 5)) for p in ranked]
    assert darkness == sorted(darkness, reverse=True)  # YlGnBu darkens as the metric grows
    assert html.escape(classes.title) in page
    assert all(html.escape(r) in page for r in classes.ranges())  # the scale is shown


def test_legend_lists_number_name_and_value(two_layer_html, layers):
    for i, (_, plan, card) in enumerate(layers):
        block = re.search(rf"<div class='cpa-plan-info' data-plan='{i}'[^>]*><table class='areas'>(.*?)</table>",
                          two_layer_html).group(1)
        rows = re.findall(r"<td class='n'>(\d+)</td>.*?<td class='name'>(.*?)</td><td class='v'>(.*?)</td>", block)
        numbers = area_numbers(card)
        assert [int(n) for n, _, _ in rows] == list(range(1, plan.k + 1))
        by_number = {n: a for a, n in numbers.items()}
        for n, name, value in rows:
            area = by_number[int(n)]
            assert name == html.escape(plan.name(area))
            assert value == f"£{card.areas.at[area, 'value_m']:,.1f}m"


def test_labels_are_data_for_every_area(two_layer_html, layers):
    found = re.findall(r"new CpaLabels\((\[.*?\])\)\.addTo", two_layer_html)
    assert len(found) == 2
    for text, (_, plan, card) in zip(found, layers):
        items = json.loads(text)
        assert [it["n"] for it in items] == list(range(1, plan.k + 1))
        assert {it["area"]: it["name"] for it in items} == {a: plan.name(a) for a in plan.areas}


def test_unknown_colour_scheme_is_a_clear_error(layers, geo, values):
    with pytest.raises(CpaError, match="unknown colour scheme 'colour'"):
        interactive_map(layers[:1], geo, values, color_by="colour")


def test_user_geography_without_references(grid3):
    geo, values = grid3
    plan = Plan({u: ("W" if u.endswith("c0") else "E") for u in geo.units.index}, label="halves")
    page = render_html(interactive_map([("halves", plan, scorecard(plan, geo, values))], geo, values))
    [areas] = area_collections(page)
    assert sorted(f["properties"]["area"] for f in areas["features"]) == ["E", "W"]
    assert "PFAs split: 2</div>" in page  # groups A and C are cut; no trusts in a user geography


# ----------------------------------------------------------------- files, PNG
def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow  # renders PNG maps
@pytest.mark.parametrize("name", ["crc21", "trusts35"])
def test_png_labels_do_not_overlap(geo, values, name):
    from cpa.render.figures import new_figure

    plan = read_plan(name, geo)
    card = scorecard(plan, geo, values)
    fig = new_figure(8, 8)
    ax = fig.add_subplot()
    texts = draw_plan(ax, plan, card, geo, area_colours(plan, geo), names=plan.k <= 21)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in texts]
    assert len(boxes) == plan.k
    assert {t.get_text().split(" ")[0] for t in texts} == {str(n) for n in range(1, plan.k + 1)}
    overlaps = [(texts[i].get_text(), texts[j].get_text()) for i in range(len(boxes)) for j in range(i)
                if boxes[i].overlaps(boxes[j])]
    assert not overlaps


@pytest.mark.slow  # renders PNG maps
def test_png_has_a_source_line_and_legend(tmp_path, layers, geo, monkeypatch):
    import matplotlib.figure

    drawn = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda self, *a, **k: drawn.append(self))
    _, plan, card = layers[0]
    static_png(plan, card, geo, tmp_path / "x.png", title="Contract package areas 2014", color_by="share")
    texts = [t.get_text() for t in drawn[0].findobj(matplotlib.text.Text)]
    assert "Contract package areas 2014" in texts and any(SOURCE_LINE in t for t in texts)
    scale = metric_classes([card], "share")
    assert scale.title in texts and all(r in texts for r in scale.ranges())
    for area, n in area_numbers(card).items():  # the legend: number, name, value
        name = textwrap.shorten(plan.name(area), 60, placeholder="…")  # the longest CRC name is 62 characters
        assert str(n) in texts and name in texts and f"£{card.areas.at[area, 'value_m']:,.1f}m" in texts


def test_write_map_html_is_whole(tmp_path, grid3):
    geo, values = grid3
    plan = Plan({u: geo.pfa_of[u] for u in geo.units.index}, label="groups")
    out = write_map_html(interactive_map([("groups", plan, scorecard(plan, geo, values))], geo, values),
                         tmp_path / "sub" / "map.html")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert [p.name for p in out.parent.iterdir()] == ["map.html"]


# ------------------------------------------------------------------------ CLI
@pytest.mark.slow  # renders PNG maps
def test_cli_map_writes_html_and_png(tmp_path):
    out, png = tmp_path / "m.html", tmp_path / "m.png"
    r = CliRunner().invoke(main, ["map", "crc21", "trusts35", "-o", str(out), "--color-by", "travel",
                                  "--png", str(png)])
    assert r.exit_code == 0, r.output
    assert [len(c["features"]) for c in area_collections(out.read_text(encoding="utf-8"))] == [21, 35]
    w, h = png_size(png)
    assert w > 1800 and abs(w / h - 16 / 9) < 0.01  # a slide
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html", "m.png"]  # no .part left
    assert f"wrote {out}" in r.output


@pytest.mark.slow  # renders real-data maps
def test_cli_map_plan_file_and_tiles(tmp_path, geo):
    plan_csv = tmp_path / "my_plan.csv"
    read_plan("regions12", geo).to_frame().to_csv(plan_csv, index=False)
    out = tmp_path / "m.html"
    r = CliRunner().invoke(main, ["map", str(plan_csv), "-o", str(out), "--tiles", "OpenStreetMap"])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert [len(c["features"]) for c in area_collections(page)] == [12]
    assert '"my_plan" : feature_group_' in page and "tile.openstreetmap.org" in page


def test_cli_map_unknown_plan_is_one_clear_message(tmp_path):
    out = tmp_path / "m.html"
    r = CliRunner().invoke(main, ["map", "crc21", "crc22", "-o", str(out)])
    assert r.exit_code == 2
    assert "'crc22' is neither a reference plan nor a file" in r.output and "Traceback" not in r.output
    assert not out.exists()


# -------------------------------------------------------------------- browser
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"headless browser test needs {CHROMIUM} and {CHROMEDRIVER} (Debian: chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cpa-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--window-size=1200,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _click_point(geo, layers) -> tuple[str, float, float]:
    """A large LAD, no plan's hub, whose areas differ in name between the plans; a point inside it (lat, lon)."""
    hubs = {h for _, _, card in layers for h in card.areas["hub"]}
    (_, a, _), (_, b, _) = layers
    ok = [u for u in geo.units.index
          if u not in hubs and a.name(a.assignment[u]) not in b.name(b.assignment[u])
          and b.name(b.assignment[u]) not in a.name(a.assignment[u])]
    code = geo.units.loc[ok, "area_sqkm"].idxmax()
    pt = geo.units.geometry[code].representative_point()
    return code, pt.y, pt.x


@pytest.mark.browser
def test_map_renders_and_works_in_headless_chromium(browser, tmp_path, layers, geo, values):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    m = interactive_map(layers, geo, values)
    page = write_map_html(m, tmp_path / "map.html")
    d = browser
    d.get(page.resolve().as_uri())
    count = "return document.querySelectorAll(arguments[0]).length"
    try:
        WebDriverWait(d, 15).until(lambda drv: drv.execute_script(count, "path.cpa-area") == 21)
    except Exception:
        d.save_screenshot(str(tmp_path / "failed.png"))
        raise AssertionError(f"crc21 areas not drawn; Leaflet: {d.execute_script('return typeof L')}, "
                             f"log: {d.get_log('browser')}") from None
    assert d.execute_script("return L.version") == "1.9.4"
    assert d.execute_script(count, "path.cpa-lad") == geo.n
    assert d.execute_script(count, "path.cpa-hub") == 21
    assert d.execute_script(count, "path.cpa-pfa") == len(geo.pfa_members)

    # Hover a LAD: its tooltip; click it: the popup of its crc21 area (the LADs lie over the areas).
    code, lat, lon = _click_point(geo, layers)
    box = d.find_element(By.CSS_SELECTOR, ".folium-map")

    def hover_lad():
        d.execute_script(f"{m.get_name()}.closePopup();")  # an open popup may pan the map or cover the LAD
        x, y = d.execute_script(f"var p = {m.get_name()}.latLngToContainerPoint([arguments[0], arguments[1]]);"
                                "return [p.x, p.y];", lat, lon)
        size = box.size
        ActionChains(d).move_to_element_with_offset(box, int(x - size["width"] / 2),
                                                    int(y - size["height"] / 2)).perform()

    def visible_text(css):
        return " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed())

    hover_lad()
    name = geo.units.at[code, "name"]
    WebDriverWait(d, 5).until(lambda drv: name in visible_text(".leaflet-tooltip"))
    ActionChains(d).click().perform()
    crc, trusts = layers[0][1], layers[1][1]
    WebDriverWait(d, 5).until(lambda drv: crc.name(crc.assignment[code]) in visible_text(".cpa-popup"))
    assert "mean travel to hub" in visible_text(".cpa-popup")

    # Switch to trusts35: its 35 areas replace the 21, with its own title; the click now opens a trust.
    title = d.find_elements(By.CSS_SELECTOR, ".cpa-title .cpa-plan-info")
    assert [t.is_displayed() for t in title] == [True, False]
    d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base input")[1].click()
    WebDriverWait(d, 5).until(lambda drv: drv.execute_script(count, "path.cpa-area") == 35)
    assert [t.is_displayed() for t in title] == [False, True]
    assert d.execute_script(count, "path.cpa-hub") == 35
    hover_lad()
    ActionChains(d).click().perform()
    WebDriverWait(d, 5).until(lambda drv: trusts.name(trusts.assignment[code]) in visible_text(".cpa-popup"))
    d.save_screenshot(str(tmp_path / "map.png"))

    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def test_tooltip_names_are_escaped(geo, values):
    """Names from user files reach an HTML tooltip: markup in them must show as text."""
    from cpa.render.maps import lad_geojson
    from cpa.plan import reference_plan

    crc = reference_plan(geo, "crc21")
    hostile = Plan(dict(crc.assignment), {a: f"<img src=x onerror=alert(1)> {a}" for a in crc.areas}, label="x")
    props = [f["properties"] for f in lad_geojson([("x", hostile, None)], geo, values)["features"]]
    assert all("<img" not in p["area_name_0"] and "&lt;img" in p["area_name_0"] for p in props)


#: Every label on screen and whether any two overlap (numbers and the names shown), read from the page.
READ_LABELS = """
var els = Array.from(document.querySelectorAll('.cpa-label-num, .cpa-label-name'))
    .filter(function (e) { return e.offsetParent !== null && getComputedStyle(e).display !== 'none'; });
var boxes = els.map(function (e) { var r = e.getBoundingClientRect();
    return {area: e.getAttribute('data-area'), kind: e.className, x: r.left, y: r.top, w: r.width, h: r.height,
            text: e.textContent}; });
var clash = [];
for (var i = 0; i < boxes.length; i++) { for (var j = 0; j < i; j++) {
    var a = boxes[i], b = boxes[j];
    if (a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5) {
        clash.push([a.text, b.text]); } } }
var fills = {};
document.querySelectorAll('path.cpa-area').forEach(function (p) { fills[p.getAttribute('data-area')] = p.getAttribute('fill'); });
return {boxes: boxes, clash: clash, fills: fills};
"""


@pytest.mark.browser
def test_every_area_labelled_and_neighbours_coloured_apart_in_chromium(browser, tmp_path, geo, values):
    """The rendered page, read back: each area has a visible number label, no two labels overlap, and no
    two neighbouring areas (named links included) show the same fill."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    layers = []
    for name in ("trusts35", "pfa43"):
        plan = read_plan(name, geo)
        layers.append((name, plan, scorecard(plan, geo, values)))
    page = write_map_html(interactive_map(layers, geo, values), tmp_path / "map.html")
    d = browser
    d.get_log("browser")
    d.get(page.resolve().as_uri())
    for i, (_, plan, card) in enumerate(layers):
        if i:
            d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base input")[i].click()
        WebDriverWait(d, 15).until(
            lambda drv: len(drv.execute_script(READ_LABELS)["fills"]) == plan.k
            and drv.execute_script("return document.querySelectorAll('.cpa-label-num').length") == plan.k)
        seen = d.execute_script(READ_LABELS)
        numbers = {b["area"]: b["text"] for b in seen["boxes"] if "num" in b["kind"]}
        assert numbers == {a: str(n) for a, n in area_numbers(card).items()}  # every area, visibly numbered
        assert not seen["clash"], seen["clash"]
        assert any("name" in b["kind"] for b in seen["boxes"])  # names are shown where they fit
        fills = seen["fills"]
        assert set(fills) == set(plan.areas)
        for a, b in area_graph(plan, geo).edges:
            assert fills[a] != fills[b], (a, b, fills[a])
    # Zoomed in, the labels are placed again: still one number per area and no overlaps.
    d.execute_script("var k = Object.keys(window).find(function (n) { return /^map_[0-9a-f]+$/.test(n); });"
                     "window[k].setZoom(window[k].getZoom() + 1.5, {animate: false});")
    WebDriverWait(d, 10).until(lambda drv: not drv.execute_script(READ_LABELS)["clash"])
    again = d.execute_script(READ_LABELS)
    assert sorted(b["area"] for b in again["boxes"] if "num" in b["kind"]) == sorted(layers[-1][1].areas)
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


@pytest.mark.browser
def test_markup_in_names_stays_text_in_chromium(browser, tmp_path, geo, values):
    """Plan and area names from files reach the layer control, legend, labels, popups and tooltips: in
    the page they must show as text, never run."""
    from selenium.webdriver.support.ui import WebDriverWait

    crc = read_plan("crc21", geo)
    bad = "<img src=x onerror=\"document.title='owned'\">"
    plan = Plan(crc.assignment, {a: f"{bad} {a}" for a in crc.areas}, label=bad)
    page = write_map_html(interactive_map([(bad, plan, scorecard(plan, geo, values))], geo, values),
                          tmp_path / "map.html")
    assert "<img src=x" not in page.read_text(encoding="utf-8")
    d = browser
    d.get(page.resolve().as_uri())
    WebDriverWait(d, 15).until(lambda drv: drv.execute_script(
        "return document.querySelectorAll('.cpa-label-num').length") == 21)
    assert d.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
    assert d.title != "owned"
    assert bad in d.execute_script("return document.querySelector('.leaflet-control-layers-base').textContent")
