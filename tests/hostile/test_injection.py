"""Injection into every output format: markup into HTML (maps, report), formulas into CSV, pipes into
Markdown, anything into JSON and the PNG pictures. The hostile strings come in through every door a
user has: file names, plan labels and area names, unit and PFA names, lock labels, scenario option
names, titles and descriptions.

The HTML pages are opened in headless Chromium: every layer switched on in turn, every shape hovered
and clicked, hubs included; a payload that sets an attribute on ``body`` must never run, and the
hostile text must show as text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpa.io import read_plan
from cpa.io.plans import plan_csv_text
from cpa.io.safe import FORMULA_STARTS, csv_cell, escape_html, markdown_cell, read_cell
from cpa.plan import Plan
from tests.conftest import grid_geography
from tests.hostile.conftest import CODES, GRID, PLAN_CSV, check_clean, cli, grid_frame, values_csv
from tests.render.test_maps import browser  # noqa: F401 (fixture)


def pwn(tag: str) -> str:
    return f"document.body.setAttribute('data-pwned','{tag}')"


#: Markup that runs script if it reaches HTML unescaped, in the shapes that matter: an element with a
#: handler, attribute break-out, script-block break-out, and a JS template literal (folium's tooltips).
HTML_PAYLOADS = {
    "img": f"<img src=x onerror=\"{pwn('img')}\">",
    "svg": f"'\"><svg onload={pwn('svg')}>",
    "script": f"</script><script>{pwn('script')}</script>",
    "template": f"`+{pwn('template')}+`${{{pwn('template2')}}}\\u0041",
}
FORMULAS = ['=HYPERLINK("http://evil.example/x","click")', "+1+1", "-2+3", "@SUM(1)", "=1|2", "'=quoted", "＝1+1"]

#: Unit names and PFA codes of the hostile geography (the rest keep their grid names).
UNIT_NAMES = {"U00": HTML_PAYLOADS["img"], "U01": HTML_PAYLOADS["template"], "U02": HTML_PAYLOADS["script"],
              "U03": HTML_PAYLOADS["svg"], "U13": FORMULAS[0], "U20": "a|b <c> & d", "U21": "$$ \\frac{1}{0}"}
PFA_CODES = {c: f"<b onmouseover={pwn('pfa')}>PA</b>" for c in ("U00", "U01", "U10", "U11")}
PLAN_FILES = {  # file name -> (label of areas a, b, c; name of areas a, b, c)
    f"<img src=x onerror={pwn('file1')}>.csv": (HTML_PAYLOADS["svg"], FORMULAS[0], "c", HTML_PAYLOADS["img"],
                                                 HTML_PAYLOADS["template"], "$$"),
    f"`${{{pwn('file2')}}}`.csv": (FORMULAS[3], HTML_PAYLOADS["script"], "a|b", FORMULAS[1], "x | y",
                                   HTML_PAYLOADS["svg"]),
}
VALUES_FILE = f"v'><img src=x onerror={pwn('values')}>.csv"
HOSTILE = ["--boundaries", "hostile.gpkg", "--code-column", "code", "--name-column", "name", "--pfa-column", "pfa",
           "--values", VALUES_FILE]


def hostile_plan(labels: tuple) -> str:
    la, lb, lc, na, nb, nc = labels
    rows = pd.read_csv(io.StringIO(PLAN_CSV), dtype=str)
    rows["area"] = rows["area"].map({"a": la, "b": lb, "c": lc})
    rows["area_name"] = rows["area"].map({la: na, lb: nb, lc: nc})
    return plan_csv_text(Plan(dict(zip(rows["lad_code"], rows["area"])), dict(zip(rows["area"], rows["area_name"]))))


@pytest.fixture
def hostile(work) -> Path:
    """The work folder plus a geography, value table and plans full of hostile strings."""
    grid_frame(UNIT_NAMES, PFA_CODES).to_crs(27700).to_file(work / "hostile.gpkg", driver="GPKG")
    (work / VALUES_FILE).write_text(values_csv())
    for name, labels in PLAN_FILES.items():
        (work / name).write_text(hostile_plan(labels))
    return work


def csv_cells(text: str):
    for row in csv.reader(io.StringIO(text)):
        yield from row


def assert_no_formula(text: str, where: str) -> None:
    """No cell of a CSV text would run in a spreadsheet (plain numbers aside)."""
    for cell in csv_cells(text):
        if cell.startswith(FORMULA_STARTS):
            assert re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", cell), f"{where}: formula cell {cell!r}"


# ------------------------------------------------------------------ CSV, Markdown, JSON, PNG
def test_solve_outputs_guard_formulas_and_read_back(hostile):
    locks = ["--lock", f"U00={FORMULAS[0]}", "--lock", f"U23={FORMULAS[4]}"]
    r = cli(["solve", "--areas", "2", *HOSTILE, "--out", "out", "--format", "json", *locks])
    check_clean(r, 0)
    doc = json.loads(r.stdout)  # one JSON document, whatever the names hold
    text = (hostile / "out" / "plan.csv").read_text()
    assert_no_formula(text, "plan.csv")
    plan = read_plan(hostile / "out" / "plan.csv", _hostile_geo(hostile))
    names = {plan.name(a) for a in plan.areas}
    assert any(n.startswith(FORMULAS[0]) for n in names) and any(n.startswith(FORMULAS[4]) for n in names)
    assert {a["area_name"] for a in doc["scorecard"]["areas"]} == names


def _hostile_geo(folder: Path):
    from cpa.io import read_geography
    return read_geography(folder / "hostile.gpkg", "code", "name", "pfa")


@pytest.mark.parametrize("plan_file", list(PLAN_FILES), ids=["file1", "file2"])
def test_evaluate_every_format(hostile, plan_file):
    labels = PLAN_FILES[plan_file]
    shown_names = set(labels[3:])
    r = cli(["evaluate", plan_file, *HOSTILE, "--format", "csv"])
    check_clean(r, 0)
    assert_no_formula(r.stdout, "card.csv")
    frame = pd.read_csv(io.StringIO(r.stdout), dtype=str, keep_default_na=False)
    assert {read_cell(n) for n in frame["area_name"]} == shown_names

    r = cli(["evaluate", plan_file, *HOSTILE, "--format", "json"])
    check_clean(r, 0)
    doc = json.loads(r.stdout)
    assert {a["area_name"] for a in doc["areas"]} == shown_names  # JSON carries the text as it is

    r = cli(["evaluate", plan_file, *HOSTILE, "--format", "markdown"])
    check_clean(r, 0)
    table = [line for line in r.stdout.splitlines() if line.startswith("|")]
    cells = [len(re.findall(r"(?<!\\)\|", line)) for line in table]
    assert len(set(cells)) == 1, table  # no name added or broke a column
    assert "<img" not in r.stdout and "<svg" not in r.stdout and "<script" not in r.stdout


@pytest.mark.slow  # renders PNG maps
def test_map_and_png_with_hostile_names(hostile):
    plans = list(PLAN_FILES)
    r = cli(["map", *plans, *HOSTILE, "-o", "map.html", "--png", "map.png"])
    check_clean(r, 0)
    page = (hostile / "map.html").read_text()
    assert (hostile / "map.png").read_bytes().startswith(b"\x89PNG")
    for raw in ("<img src=x", "<svg onload", "</script><script>", "<b onmouseover"):
        assert raw not in page, raw


@pytest.fixture
def scenario(hostile) -> Path:
    plan1 = list(PLAN_FILES)[0]
    text = "\n".join([
        f"title = {json.dumps(HTML_PAYLOADS['img'] + ' | ' + FORMULAS[0])}",
        f"description = {json.dumps(HTML_PAYLOADS['script'] + ' ' + HTML_PAYLOADS['template'])}",
        "[[option]]", f"name = {json.dumps(HTML_PAYLOADS['svg'])}", f"reference = {json.dumps(plan1)}",
        "[[option]]", f"name = {json.dumps(FORMULAS[0])}", "areas = 2",
        "[[option]]", f"name = {json.dumps(HTML_PAYLOADS['template'] + '|x')}", "areas = 3",
        "[[option]]", f"name = {json.dumps('../../escape')}", "reference = \"plan.csv\"",
    ]) + "\n"
    (hostile / "s.toml").write_text(text)
    (hostile / "plan.csv").write_text(PLAN_CSV)
    return hostile / "s.toml"


@pytest.mark.slow  # the full comparison set with figures and report
def test_compare_outputs_with_hostile_option_names(hostile, scenario):
    r = cli(["compare", "--scenario", "s.toml", *HOSTILE, "--out", "c", "--format", "json"])
    check_clean(r, 0)
    json.loads(r.stdout)
    out = hostile / "c"
    assert_no_formula((out / "comparison.csv").read_text(), "comparison.csv")
    for f in out.rglob("plan.csv"):
        assert_no_formula(f.read_text(), str(f))
    md = (out / "comparison.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len({len(re.findall(r"(?<!\\)\|", line)) for line in table}) == 1, table
    for page in ("report.html", "map.html"):
        text = (out / page).read_text()
        for raw in ("<img src=x", "<svg onload", "</script><script>"):
            assert raw not in text, (page, raw)
    # option folders stay inside the output folder
    assert all(out in p.resolve().parents for p in out.rglob("*"))
    assert not (hostile.parent / "escape").exists()


@pytest.mark.slow  # a sweep with its figures
def test_sweep_csv_has_no_formula(hostile):
    r = cli(["sweep", "--areas", "1-3", *HOSTILE, "--jobs", "1", "--out", "s", "--lock", f"U00={FORMULAS[0]}",
             "--format", "csv"])
    check_clean(r, 0)
    assert_no_formula((hostile / "s" / "sweep.csv").read_text(), "sweep.csv")
    assert_no_formula(r.stdout, "sweep --format csv")


# ------------------------------------------------------------------ the round trip, and the helpers
ROUND_TRIP_LABELS = ["=x", "'=x", "''", "'", "'hello", "-3", "+1", "-2+3", "@a", "a,b", 'q"q', "x|y", "ü ñ",
                     "=HYPERLINK(\"h\",\"c\")", "＝1", "'＋1", "1e5", "-.5", "--", "NaN", "None", ""]


def test_plan_file_round_trip_keeps_every_label(tmp_path):
    geo, _ = grid_geography(["AAB", "AAB", "CCC"])
    codes = list(geo.units.index)
    labels = [lab for lab in ROUND_TRIP_LABELS if lab]
    assignment = {c: labels[i % len(labels)] for i, c in enumerate(codes)}
    names = {lab: f"name {lab}" if i % 2 else lab for i, lab in enumerate(labels)}
    plan = Plan(assignment, {a: names[a] for a in set(assignment.values())}, label="rt")
    (tmp_path / "rt.csv").write_text(plan_csv_text(plan))
    back = read_plan(tmp_path / "rt.csv", geo)
    assert dict(back.assignment) == assignment
    assert {a: back.name(a) for a in back.areas} == {a: plan.name(a) for a in plan.areas}
    assert_no_formula((tmp_path / "rt.csv").read_text(), "round trip")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12))
def test_csv_cell_round_trip_any_text(text):
    written = csv_cell(text)
    assert read_cell(written) == text
    if written.startswith(FORMULA_STARTS):
        assert re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", written)


@given(st.text(max_size=20))
def test_escape_html_leaves_no_markup_or_template_syntax(text):
    out = escape_html(text)
    assert not set(out) & set("<>\"'`$\\")
    assert "&" not in out.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").replace("&quot;", "") \
        .replace("&#x27;", "").replace("&#96;", "").replace("&#36;", "").replace("&#92;", "")


@given(st.text(max_size=20))
def test_markdown_cell_never_breaks_a_table(text):
    out = markdown_cell(text)
    assert "\n" not in out and "\r" not in out and "<" not in out
    assert not re.search(r"(?<!\\)\|", out.replace("\\\\", ""))


# ------------------------------------------------------------------ headless Chromium
EXERCISE = """
var done = arguments[arguments.length - 1];
var errors = [], count = 0;
var maps = Object.keys(window).filter(function (k) { try { return window[k] instanceof L.Map; } catch (e) { return false; } });
var map = window[maps[0]];
function centre(l) { return l.getLatLng ? l.getLatLng() : l.getBounds().getCenter(); }
map.eachLayer(function (l) {
    if (!(l.feature || l instanceof L.CircleMarker)) { return; }
    try {
        var at = {latlng: centre(l)};
        l.fire('mouseover', at, true); l.fire('mousemove', at, true);
        if (l.getTooltip && l.getTooltip()) { l.openTooltip(at.latlng); }
        l.fire('click', at, true);
        if (l.getPopup && l.getPopup()) { l.openPopup(at.latlng); }
        l.fire('mouseout', at, true);
        count += 1;
    } catch (e) { errors.push(String(e)); }
});
map.closePopup();
setTimeout(function () { done([count, errors]); }, 50);
"""


def exercise_page(d, tmp_path, pointer: bool = True):
    """Switch every layer on in turn; hover and click every shape of each (and really move the mouse over
    and click one); return what the page shows. Fails if a payload ran or the page logged an error."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, 15).until(lambda drv: drv.execute_script(
        "return typeof L !== 'undefined' && document.querySelectorAll('path.cpa-area').length > 0"))
    radios = d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base input")
    overlays = d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays input")
    shapes = 0
    for i in range(len(radios)):
        d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base input")[i].click()
        count, errors = d.execute_async_script(EXERCISE)
        assert not errors, errors
        shapes += count
        if pointer:  # a real pointer over a few LADs too
            for path in d.find_elements(By.CSS_SELECTOR, "path.cpa-lad")[:3]:
                ActionChains(d).move_to_element(path).click().perform()
        assert d.execute_script("return document.body.getAttribute('data-pwned')") is None
    for box in overlays:  # overlays off and on again
        box.click()
        box.click()
    labels = [e.text.strip() for e in d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base label")]
    pwned = d.execute_script("return document.body.getAttribute('data-pwned')")
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
              and "ERR_FILE_NOT_FOUND" not in e["message"]]
    if pwned or severe:
        d.save_screenshot(str(tmp_path / "pwned.png"))
    assert pwned is None, f"payload ran: {pwned}"
    assert not severe, severe
    return shapes, labels, d.find_element(By.TAG_NAME, "body").text


@pytest.mark.browser
def test_map_is_safe_in_a_browser(browser, hostile, tmp_path):  # noqa: F811 (fixture)
    plans = list(PLAN_FILES)
    check_clean(cli(["map", *plans, *HOSTILE, "-o", "map.html"]), 0)
    browser.get((hostile / "map.html").as_uri())
    shapes, labels, text = exercise_page(browser, tmp_path)
    # 12 LADs + 3 areas + 3 hubs per plan shown, the LADs of both layers, every time a layer is on
    assert shapes >= 2 * (12 + 3 + 3)
    assert labels == [Path(p).stem for p in plans]  # the file names shown as text, not run, not mangled
    assert HTML_PAYLOADS["svg"] in text or "$$" in text  # a legend shows a hostile area name as text


@pytest.mark.browser
def test_report_is_safe_in_a_browser(browser, hostile, scenario, tmp_path):  # noqa: F811 (fixture)
    check_clean(cli(["compare", "--scenario", "s.toml", *HOSTILE, "--out", "c"]), 0)
    d = browser
    d.get((hostile / "c" / "report.html").as_uri())
    assert d.execute_script("return document.body.getAttribute('data-pwned')") is None
    assert d.title.startswith("<img src=x")  # the title shown as text
    shapes, labels, _ = exercise_page(d, tmp_path, pointer=False)  # the map is in the page itself
    assert shapes > 0
    assert labels[0] == HTML_PAYLOADS["svg"] and labels[1] == FORMULAS[0]
    assert d.execute_script("return document.body.getAttribute('data-pwned')") is None


@pytest.mark.browser
def test_editor_export_writes_cells_as_csv_cell_does(browser, tmp_path):  # noqa: F811 (fixture)
    """The editor's own CSV export (JavaScript) guards exactly as csv_cell: same cells, same labels back."""
    from cpa.options import SolveOptions
    from cpa.render.editor import write_editor
    from tests.render.test_editor import open_page

    geo, values = grid_geography(["AAB", "AAB", "CCC"])
    labels = [lab for lab in ROUND_TRIP_LABELS if lab]
    assignment = {c: labels[i % len(labels)] for i, c in enumerate(geo.codes)}
    plan = Plan(assignment, {a: ("=" + a if i % 2 else a) for i, a in enumerate(sorted(set(assignment.values())))},
                label="rt")
    page = write_editor(tmp_path / "rt.html", plan, geo, values, SolveOptions(k=1, coterminous="off"))
    open_page(browser, page, geo.n)
    exported = browser.execute_script("return cpaEditor.exportCsv()")
    assert list(csv.reader(io.StringIO(exported))) == list(csv.reader(io.StringIO(plan_csv_text(plan))))
    (tmp_path / "rt.csv").write_text(exported, encoding="utf-8")
    back = read_plan(tmp_path / "rt.csv", geo)
    assert dict(back.assignment) == assignment and {a: back.name(a) for a in back.areas} == dict(plan.names)


# ------------------------------------------------------------------ one payload through every door
PAYLOADS = {**{f"formula-{i}": f for i, f in enumerate(FORMULAS)}, **{f"html-{k}": v for k, v in HTML_PAYLOADS.items()},
            "pipes-and-newline": "a|b\nc", "markdown-link": "[x](javascript:alert(1))", "dollar-math": "$$\\frac$"}


@pytest.mark.slow  # every payload through every command (the fast set keeps evaluate in every format)
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_payload_through_every_door(work, payload):
    """``payload`` as a unit name, a PFA code, an area label and an area name at once, out through the
    scorecard in CSV, JSON and Markdown and the map: guarded, verbatim, escaped, never markup."""
    names = {"U00": payload}
    pfas = {c: payload for c in ("U02", "U03", "U12", "U13", "U22", "U23")}  # PFA "PB"
    grid_frame(names, pfas).to_crs(27700).to_file(work / "h.gpkg", driver="GPKG")
    rows = list(csv.reader(io.StringIO(PLAN_CSV)))
    rows = [rows[0]] + [[c, payload if a == "a" else a, payload if a == "b" else n] for c, a, n in rows[1:]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)  # a raw hostile file, not one cpa guarded
    (work / "h.csv").write_text(buf.getvalue())
    load = ["--boundaries", "h.gpkg", "--code-column", "code", "--name-column", "name", "--pfa-column", "pfa",
            "--values", "values.csv"]
    r = cli(["evaluate", "h.csv", *load, "--format", "csv"])
    check_clean(r, 0)
    assert_no_formula(r.stdout, "card.csv")
    frame = pd.read_csv(io.StringIO(r.stdout), dtype=str, keep_default_na=False)
    shown = set(frame["area"].map(read_cell)) | set(frame["area_name"].map(read_cell))
    clean = read_cell(payload.strip())  # as read from a file: stripped, one guard apostrophe taken off
    assert clean in shown
    r = cli(["evaluate", "h.csv", *load, "--format", "json"])
    check_clean(r, 0)
    doc = json.loads(r.stdout)
    assert clean in {a["area"] for a in doc["areas"]} and clean in {a["area_name"] for a in doc["areas"]}
    assert any(payload in a["pfa_names"] for a in doc["areas"])
    r = cli(["evaluate", "h.csv", *load, "--format", "markdown"])
    check_clean(r, 0)
    rows = [line for line in r.stdout.splitlines() if line.startswith("|")]
    assert len({len(re.findall(r"(?<!\\)\|", line)) for line in rows}) == 1 and "<" not in r.stdout
    r = cli(["map", "h.csv", *load, "-o", "m.html", *(["--png", "m.png"] if "$" in payload else [])])
    check_clean(r, 0)
    page = (work / "m.html").read_text()
    for raw in ("<img src=x", "<svg onload", "</script><script>"):
        assert raw not in page
