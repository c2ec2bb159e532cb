"""Hostile input files: encodings and delimiters, silently ambiguous tables, numeric edge values.

Each case is a plan, value or links file (or a scenario) given to ``cpa evaluate`` on the grid; see
``conftest.py`` for what every case checks.
"""

from __future__ import annotations

import codecs

from tests.hostile.conftest import CODES, GRID, PLAN_CSV, Case, params, run_case

#: The grid's options without its value table (cases bring their own).
GRID_NO_VALUES = GRID[:-2]
EVAL = ["evaluate", "p.csv", *GRID]


def plan_lines(*edits: tuple[int, str], header: str | None = None, end: str = "\n") -> str:
    """PLAN_CSV with line ``n`` (1 = header) replaced by text (None deletes it); lines joined by ``end``."""
    lines = PLAN_CSV.splitlines()
    if header is not None:
        lines[0] = header
    for n, text in edits:
        lines[n - 1] = text
    return end.join(line for line in lines if line is not None) + end


def values_lines(*rows: str, header: str = "code,value") -> str:
    given = {r.split(",")[0] for r in rows}
    rest = [f"{c},{(i + 1) * 1e6:g}" for i, c in enumerate(CODES) if c not in given]
    return "\n".join([header, *rows, *rest]) + "\n"


def value_case(id_: str, rows: list[str], code: int, fragment: str, header: str = "code,value",
               extra: tuple = ()) -> Case:
    return Case(id_, ["evaluate", "plan.csv", *GRID_NO_VALUES, "--values", "v.csv", *extra], code, fragment,
                files={"v.csv": values_lines(*rows, header=header)})


ENCODINGS = [
    Case("utf8-bom", EVAL, 0, "3 areas over 12 LADs", files={"p.csv": codecs.BOM_UTF8 + PLAN_CSV.encode()}),
    Case("utf16-le-bom", EVAL, 0, "3 areas over 12 LADs", files={"p.csv": PLAN_CSV.encode("utf-16")}),
    Case("utf16-be-bom", EVAL, 0, "3 areas over 12 LADs",
         files={"p.csv": codecs.BOM_UTF16_BE + PLAN_CSV.encode("utf-16-be")}),
    Case("utf32-bom", EVAL, 0, "3 areas over 12 LADs", files={"p.csv": PLAN_CSV.encode("utf-32")}),
    Case("utf16-without-bom", EVAL, 2, "holds a NUL byte on line 1", files={"p.csv": PLAN_CSV.encode("utf-16-le")}),
    Case("latin1-name", EVAL, 2, "is not UTF-8 text (byte 0xe9 on line 3)",
         files={"p.csv": plan_lines((3, "U01,a,Area \xe9")).encode("latin-1")}),
    Case("windows-1252-quote", EVAL, 2, "is not UTF-8 text (byte 0x92 on line 2)",
         files={"p.csv": plan_lines((2, "U00,a,Area A")).encode() .replace(b"Area A", b"Area\x92s", 1)}),
    Case("bom-says-utf16-but-is-not", EVAL, 2, "starts like UTF-16 text but is not",
         files={"p.csv": codecs.BOM_UTF16_LE + b"lad_code,area\nU\x00"[:-1] + b"\xd8\x00"}),
    Case("png-renamed-csv", EVAL, 2, "is not UTF-8 text", files={"p.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}),
    Case("crlf-line-ends", EVAL, 0, "3 areas over 12 LADs", files={"p.csv": plan_lines(end="\r\n")}),
    Case("cr-only-line-ends", EVAL, 0, "3 areas over 12 LADs", files={"p.csv": plan_lines(end="\r")}),
    Case("no-final-newline", EVAL, 0, "3 areas over 12 LADs", files={"p.csv": PLAN_CSV.rstrip("\n")}),
    Case("blank-lines-between-rows", EVAL, 0, "3 areas over 12 LADs",
         files={"p.csv": PLAN_CSV.replace("\nU10", "\n\n\nU10")}),
    Case("line-number-after-blank-lines", EVAL, 2, "empty unit code on line 8",
         files={"p.csv": PLAN_CSV.replace("\nU10,a,Area A", "\n\n\n,a,Area A")}),
    Case("spaces-around-cells", EVAL, 0, "3 areas over 12 LADs",
         files={"p.csv": PLAN_CSV.replace(",", " , ").replace("lad_code , area , area_name", "lad_code, area ,area_name ")}),
    Case("semicolons", EVAL, 2, "separates its columns with semicolons", files={"p.csv": PLAN_CSV.replace(",", ";")}),
    Case("tabs", EVAL, 2, "separates its columns with tabs", files={"p.csv": PLAN_CSV.replace(",", "\t")}),
    Case("pipes", EVAL, 2, "separates its columns with pipes", files={"p.csv": PLAN_CSV.replace(",", "|")}),
    Case("quoted-comma-in-name", EVAL, 0, "Area A, North", files={"p.csv": PLAN_CSV.replace("Area A", '"Area A, North"')}),
    Case("quoted-quote-in-name", EVAL, 0, 'Area "A"', files={"p.csv": PLAN_CSV.replace("Area A", '"Area ""A"""')}),
    Case("newline-inside-quoted-name", EVAL, 0, "3 areas", files={"p.csv": PLAN_CSV.replace("Area C", '"Area\nC"')}),
    Case("unterminated-quote", EVAL, 2, "is not a readable CSV: unexpected end of data",
         files={"p.csv": PLAN_CSV.replace("U23,b,Area B", 'U23,b,"Area B')}),
    Case("text-after-closing-quote", EVAL, 2, "',' expected after '\"' (line 3)",
         files={"p.csv": plan_lines((3, 'U01,a,"Area"x'))}),
    Case("empty-file", EVAL, 2, "is not a readable CSV: it is empty", files={"p.csv": ""}),
    Case("only-blank-lines", EVAL, 2, "is not a readable CSV: it is empty", files={"p.csv": "\n\n\r\n"}),
    Case("header-only", EVAL, 2, "leaves 12 units without an area", files={"p.csv": "lad_code,area\n"}),
    Case("huge-cell", EVAL, 2, "is not a readable CSV: field larger than field limit",
         files={"p.csv": plan_lines((2, "U00,a," + "x" * 200_000))}),
    Case("scenario-utf16", ["compare", "--scenario", "s.toml", *GRID], 2, "is not UTF-8 text",
         files={"s.toml": '[[option]]\nareas = 2\n'.encode("utf-16")}),
]

AMBIGUOUS = [
    Case("plan-duplicate-column", EVAL, 2, "has the column 'area' twice (columns 2 and 3)",
         files={"p.csv": PLAN_CSV.replace("lad_code,area,area_name", "lad_code,area,area")}),
    Case("plan-duplicate-column-after-trim", EVAL, 2, "has the column 'area' twice",
         files={"p.csv": PLAN_CSV.replace("lad_code,area,area_name", "lad_code, area,area ")}),
    Case("plan-duplicate-code-column", EVAL, 2, "has the column 'lad_code' twice",
         files={"p.csv": "lad_code,lad_code,area\n" + "".join(f"{c},{c},x\n" for c in CODES)}),
    Case("plan-row-with-extra-field", EVAL, 2, "line 4 has 4 fields but the header has 3",
         files={"p.csv": plan_lines((4, "U02,b,Area B,oops"))}),
    Case("plan-every-row-one-field-more", EVAL, 2, "line 2 has 4 fields but the header has 3",
         files={"p.csv": "\n".join([PLAN_CSV.splitlines()[0]] + [r + ",x" for r in PLAN_CSV.splitlines()[1:]]) + "\n"}),
    Case("plan-row-with-missing-area", EVAL, 2, "has an empty area for U02", files={"p.csv": plan_lines((4, "U02"))}),
    Case("plan-two-unnamed-columns", EVAL, 0, "3 areas over 12 LADs",
         files={"p.csv": "\n".join(r + ",," for r in PLAN_CSV.splitlines()) + "\n"}),
    Case("plan-geojson-duplicate-property", ["evaluate", "p.geojson", *GRID], 2,
         "gives the key 'area' twice in one object",
         files={"p.geojson": '{"type": "FeatureCollection", "features": [' + ",".join(
             f'{{"type": "Feature", "geometry": null, "properties": {{"lad_code": "{c}", "area": "a", "area": "b"}}}}'
             for c in CODES) + "]}"}),
    Case("plan-geojson-duplicate-features-key", ["evaluate", "p.geojson", *GRID], 2, "gives the key 'features' twice",
         files={"p.geojson": '{"type": "FeatureCollection", "features": [], "features": []}'}),
    value_case("values-duplicate-column", [], 2, "has the column 'value' twice", header="code,value,value"),
    value_case("values-value-and-caseload", [], 0, "3 areas", header="code,value,caseload"),
    value_case("values-row-with-extra-field", ["U00,1000000,2"], 2, "line 2 has 3 fields but the header has 2"),
    Case("links-row-with-extra-field", ["evaluate", "plan.csv", *GRID, "--links", "l.csv"], 2,
         "links file l.csv: line 3 has 5 fields but the header has 4",
         files={"l.csv": "a,b,link_type,name\nU00,U23,ferry,Far ferry\nU01,U22,ferry,A, B crossing\n"}),
    Case("links-every-row-shifted", ["evaluate", "plan.csv", *GRID, "--links", "l.csv"], 2,
         "line 2 has 3 fields but the header has 2", files={"l.csv": "a,b\nU00,U23,ferry\n"}),
    Case("links-duplicate-column", ["evaluate", "plan.csv", *GRID, "--links", "l.csv"], 2,
         "has the column 'a' twice", files={"l.csv": "a,a,b\nU00,U01,U23\n"}),
    Case("links-quoted-comma-in-name", ["evaluate", "plan.csv", *GRID, "--links", "l.csv"], 0, "3 areas",
         files={"l.csv": 'a,b,link_type,name\nU00,U23,ferry,"A, B crossing"\n'}),
]

NAMES = [
    Case("names-duplicate-column", ["map", "plan.csv", *GRID, "--names", "n.csv", "-o", "m.html"], 2,
         "has the column 'name' twice", files={"n.csv": "area,name,name\na,North,South\n"}),
    Case("names-row-with-extra-field", ["rename", "plan.csv", "n.csv", "-o", "r.csv", *GRID], 2,
         "line 3 has 3 fields but the header has 2", files={"n.csv": "area,name\na,North\nb,South,East\n"}),
    Case("names-unknown-area", ["rename", "plan.csv", "n.csv", "-o", "r.csv", *GRID], 2,
         "names areas that plan plan does not have: zz", files={"n.csv": "area,name\nzz,North\n"}),
    Case("names-latin1", ["rename", "plan.csv", "n.csv", "-o", "r.csv", *GRID], 2, "is not UTF-8 text",
         files={"n.csv": "area,name\na,Caf\xe9\n".encode("latin-1")}),
    Case("rename-out-is-a-directory", ["rename", "plan.csv", "n.csv", "-o", "sub", *GRID], 2, "is a directory",
         files={"n.csv": "area,name\na,North\n", "sub/keep.txt": "x"}),
    Case("rename-formula-names", ["rename", "plan.csv", "n.csv", "-o", "r.csv", *GRID], 0, "wrote r.csv",
         files={"n.csv": 'area,name\na,"=HYPERLINK(""http://x"",""y"")"\nb,@SUM(1)\nc,\'=quoted\n'}),
]

NUMBERS_IN_FILES = [
    value_case("value-inf", ["U00,inf"], 2, "value is infinite for U00"),
    value_case("value-minus-inf", ["U00,-inf"], 2, "value is infinite for U00"),
    value_case("value-overflows-to-inf", ["U00,1e309"], 2, "value is infinite for U00"),
    value_case("value-nan", ["U00,nan"], 2, "value is not a number for U00='nan'"),
    value_case("value-hex", ["U00,0x10"], 2, "value is not a number for U00='0x10'"),
    value_case("value-thousands-separator", ['U00,"1,000,000"'], 2, "value is not a number for U00='1,000,000'"),
    value_case("value-currency-sign", ["U00,£1000000"], 2, "value is not a number for U00='£1000000'"),
    value_case("value-negative", ["U00,-1"], 2, "negative value for U00"),
    value_case("value-minus-zero", ["U00,-0"], 0, "3 areas"),
    value_case("values-sum-past-float-range", [f"{c},1e308" for c in CODES], 2,
               "the values add up to more than a computer can hold"),
    value_case("values-sum-past-any-budget", [f"{c},1e15" for c in CODES], 2, "more than any budget"),
    value_case("values-in-millions-not-pounds", [f"{c},{i + 1}" for i, c in enumerate(CODES)], 2,
               "looks like the wrong unit"),
    value_case("values-in-millions-with-total", [f"{c},{i + 1}" for i, c in enumerate(CODES)], 0,
               "£78.0m/yr", extra=("--total", "78")),
    value_case("values-all-zero", [f"{c},0" for c in CODES], 2, "every value is zero"),
    value_case("one-area-worth-nothing", ["U20,0", "U21,0"], 0, "max/min inf"),
    value_case("caseload-subnormal", [f"{c},1e-320" for c in CODES], 0, "£450.0m/yr", header="code,caseload"),
    value_case("caseload-huge", [f"{c},1e300" for c in CODES], 0, "£450.0m/yr", header="code,caseload"),
    value_case("caseload-sum-past-float-range", [f"{c},1e308" for c in CODES], 2,
               "the caseloads add up to more than a computer can hold", header="code,caseload"),
    value_case("value-with-spaces", ["U00,  5000000  "], 0, "3 areas"),
    value_case("value-formula-guarded", ["U00,'=1+1"], 2, "value is not a number for U00='=1+1'"),
]


@params(ENCODINGS)
def test_encodings_and_delimiters(case, work):
    run_case(case, work)


@params(AMBIGUOUS)
def test_ambiguous_files(case, work):
    run_case(case, work)


@params(NUMBERS_IN_FILES)
def test_numeric_edge_values_in_files(case, work):
    run_case(case, work)


@params(NAMES)
def test_names_files(case, work):
    run_case(case, work)
    if case.id == "rename-formula-names":
        from cpa.io import read_geography, read_plan

        text = (work / "r.csv").read_text()
        assert "\"'=HYPERLINK(" in text and ",'@SUM(1)\n" in text and ",'=quoted\n" in text  # guarded
        plan = read_plan(work / "r.csv", read_geography(work / "grid.gpkg", "code", "name", "pfa"))
        assert {plan.name(a) for a in plan.areas} == {'=HYPERLINK("http://x","y")', "@SUM(1)", "=quoted"}
