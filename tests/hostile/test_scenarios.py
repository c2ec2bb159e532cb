"""Hostile scenario files for ``cpa compare --scenario``: broken TOML, wrong types, values past every
limit (checked by the same validator as the command line), odd option names."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import GRID, Case, params, run_case
from tests.hostile.test_injection import assert_no_formula

COMPARE = ["compare", "--scenario", "s.toml", *GRID, "--out", "c"]


def scenario(id_: str, text: str, code: int, fragment: str, extra: tuple = ()) -> Case:
    return Case(id_, [*COMPARE, *extra], code, fragment, files={"s.toml": text})


REF = '[[option]]\nname = "now"\nreference = "plan.csv"\n'
SOLVE2 = '[[option]]\nareas = 2\n'

SCENARIOS = [
    scenario("not-toml", "[[option]\nareas = 2\n", 2, "is not valid TOML: Expected ']]' at the end of an array "
             "declaration (at line 1, column 9)"),
    scenario("no-options", 'title = "x"\n', 2, "has no options"),
    scenario("option-not-table", "option = 3\n", 2, "has no options"),
    scenario("unknown-top-key", 'titel = "x"\n' + REF, 2, "unknown key 'titel' in the top level"),
    scenario("unknown-option-key", '[[option]]\nareas = 2\ntime-limt = 5\n', 2, "did you mean 'time-limit'?"),
    scenario("areas-zero", "[[option]]\nareas = 0\n", 2, "areas should be a whole number of at least 1, got 0"),
    scenario("areas-text", '[[option]]\nareas = "3"\n', 2, "areas should be a whole number of at least 1, got '3'"),
    scenario("areas-bool", "[[option]]\nareas = true\n", 2, "areas should be a whole number of at least 1, got True"),
    scenario("areas-float", "[[option]]\nareas = 2.5\n", 2, "got 2.5"),
    scenario("areas-past-64-bit", "[[option]]\nareas = 99999999999999999999\n", 3, "areas asked for"),
    scenario("neither-areas-nor-reference", '[[option]]\nname = "x"\n', 2, "needs exactly one of areas = K or "
             "reference = PLAN, it has neither"),
    scenario("both-areas-and-reference", '[[option]]\nareas = 2\nreference = "crc21"\n', 2, "it has both"),
    scenario("empty-name", '[[option]]\nname = " "\nareas = 2\n', 2, "has an empty or non-text name"),
    scenario("duplicate-names", REF + REF, 2, "option names must be unique; repeated: now"),
    scenario("reference-missing-file", '[[option]]\nreference = "gone.csv"\n', 2, "plan file not found"),
    scenario("reference-with-solve-settings", REF + 'time-limit = 5\n', 2, "so solve settings (time-limit) do not apply"),
    scenario("time-limit-negative", SOLVE2 + "time-limit = -1\n", 2,
             "option 'K=2': --time-limit must be a positive number, got -1"),
    scenario("time-limit-text", SOLVE2 + 'time-limit = "10"\n', 2, "time-limit in option 1 should be a number, got '10'"),
    scenario("time-limit-inf", SOLVE2 + "time-limit = inf\n", 2, "--time-limit must be a finite number, got inf"),
    scenario("time-limit-nan", SOLVE2 + "time-limit = nan\n", 2, "--time-limit must be a finite number, got nan"),
    scenario("defaults-weight-overflow", "[defaults]\nw-travel = 1e400\n" + SOLVE2, 2,
             "--w-travel must be a finite number, got inf"),
    scenario("defaults-weight-negative", "[defaults]\nw-balance = -1\n" + SOLVE2, 2, "--w-balance must be at least 0"),
    scenario("threads-absurd", SOLVE2 + "threads = 1000000000\n", 2, "--threads must be at most 1024"),
    scenario("seed-negative", SOLVE2 + "seed = -5\n", 2, "--seed must be at least 0"),
    scenario("max-share-fraction", SOLVE2 + "max-share = 0.25\n", 2, "did you mean --max-share 25?"),
    scenario("min-value-in-pounds", "[defaults]\nmin-value = 15000000\n" + SOLVE2, 2, "did you mean --min-value 15?"),
    scenario("gap-one", SOLVE2 + "gap = 1.0\n", 2, "--gap is a fraction in [0, 1)"),
    scenario("lock-not-text", SOLVE2 + "lock = [1, 2]\n", 2, "lock in option 1 should be a list of text"),
    scenario("lock-table-unknown-unit", SOLVE2 + 'lock = { U99 = "x" }\n', 2, "U99"),
    scenario("keep-whole-unknown", SOLVE2 + 'keep-whole = ["Atlantis"]\n', 2, "Atlantis"),
    scenario("coterminous-unknown", SOLVE2 + 'coterminous = "loose"\n', 2, "unknown coterminosity mode 'loose'"),
    scenario("title-not-text", "title = 3\n" + REF, 2, "title should be text, got 3"),
    Case("out-is-a-file", ["compare", "--scenario", "s.toml", *GRID], 2, "output folder plan.csv is a file",
         files={"s.toml": 'out = "plan.csv"\n' + REF}),
    scenario("cli-areas-with-scenario", REF, 2, "give either --scenario or --areas/--reference/--names, not both",
             extra=("--areas", "2")),
    # one comparison (its maps and figures are the dear part) for every awkward name: names whose
    # file names come out alike, a 400-character name and a Windows device name; a file each
    scenario("names-that-slug-alike-long-or-reserved", "".join(REF.replace("now", name) for name in
                                                               ("a/b", "a_b", "..", "x" * 400, "CON")),
             0, "wrote 16 files to c"),
    Case("scenario-missing", [*COMPARE], 2, "scenario file not found", files={}),
    Case("scenario-is-a-directory", ["compare", "--scenario", "d", *GRID], 2, "is a directory",
         setup=lambda f: (f / "d").mkdir()),
]


GRID_RUN = ["grid", "g.toml", *GRID, "--out", "gr"]
GRID_AXES = '[axes]\nareas = "2-3"\n'


def grid_case(id_: str, text: str, code: int, fragment: str, extra: tuple = ()) -> Case:
    return Case(id_, [*GRID_RUN, *extra], code, fragment, files={"g.toml": text})


GRIDS = [
    grid_case("grid-not-toml", "[axes\n", 2, "is not valid TOML"),
    grid_case("grid-workers-zero", GRID_AXES, 2, "--workers must be at least 1, got 0", extra=("--workers", "0")),
    grid_case("grid-workers-absurd", GRID_AXES, 2, "--workers must be at most 256", extra=("--workers", "100000")),
    grid_case("grid-k-million", '[axes]\nareas = "1-1000000"\n', 2, "1,000,000 values of K"),
    grid_case("grid-time-limit-inf", "[defaults]\ntime-limit = inf\n" + GRID_AXES, 2, "--time-limit must be a finite"),
    grid_case("grid-weight-axis-nan", GRID_AXES + "w-travel = [1.0, nan]\n", 2, "--w-travel must be a finite number"),
    grid_case("grid-max-share-fraction", GRID_AXES + "max-share = [0.25]\n", 2, "did you mean --max-share 25?"),
    Case("grid-out-is-a-file", ["grid", "g.toml", *GRID, "--out", "plan.csv"], 2, "Directory 'plan.csv' is a file",
         files={"g.toml": GRID_AXES}),
    grid_case("grid-hostile-set-names", GRID_AXES + '[sets."$$ =HYPERLINK(1) <img src=x>"]\n[sets."a|b"]\nw-travel = 2.0\n',
              0, "4 solved", extra=("--workers", "1", "--time-limit", "20")),
]


@pytest.mark.slow  # grids on a local Dask cluster
@params(GRIDS)
def test_grid_scenarios(case, work):
    result = run_case(case, work)
    if case.code == 0:
        assert_no_formula((work / "gr" / "grid.csv").read_text(), "grid.csv")
        table = [line for line in (work / "gr" / "grid.md").read_text().splitlines() if line.startswith("|")]
        assert table and all("<img" not in line for line in table)
        assert result.exit_code == 0


@params(SCENARIOS)
def test_scenarios(case, work):
    if case.id == "scenario-missing":
        case.args = [a if a != "s.toml" else "missing.toml" for a in case.args]
    run_case(case, work)
