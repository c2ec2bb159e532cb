"""The adversarial suite's tools: a small user geography on disk, an in-process CLI runner, and the
checks every case makes.

Every case runs ``cpa`` in a fresh folder holding a 3 x 4 grid of user
polygons (``grid.gpkg``, British National Grid, so no UTM zone is looked up),
its value table and a plan, plus whatever the case adds. :func:`run_case`
runs the command in-process (click's runner) and checks:

* the exit code, and that the message holds the expected fragment;
* no traceback, no "internal error", no library warning or source line;
* on an error exit (2, 3, 4): nothing on stdout (a JSON reader never gets half
  a document), one ``cpa: error:`` / ``cpa: infeasible:`` message (or click's
  usage error), and the folder byte-identical to before: nothing written,
  replaced, created or left behind.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner, Result

from cpa.cli import main

#: The grid: 3 rows x 4 columns of 0.1 degree cells near 1W 52N; PFA "PA" the top-left 2 x 2 block,
#: "PB" the two right columns, "PC" the bottom-left pair. Codes U{row}{col}; values 1..12 £m.
ROWS, COLS = 3, 4
CODES = [f"U{r}{c}" for r in range(ROWS) for c in range(COLS)]
#: Options that load the grid (every case that does not test the loading itself).
GRID = ["--boundaries", "grid.gpkg", "--code-column", "code", "--name-column", "name", "--pfa-column", "pfa",
        "--values", "values.csv"]
#: Three whole-PFA areas: a plan that breaks no rule.
PLAN_CSV = "lad_code,area,area_name\n" + "".join(
    f"U{r}{c},{'a' if c < 2 and r < 2 else ('b' if c >= 2 else 'c')},{'Area ' + ('A' if c < 2 and r < 2 else ('B' if c >= 2 else 'C'))}\n"
    for r in range(ROWS) for c in range(COLS))
#: The messages of a clean failure: ours, or click's usage error.
ERROR_LINE = re.compile(r"^(cpa: (error|infeasible): |Error: )", re.M)
#: What a leaked library warning or traceback looks like on stderr.
LEAKS = re.compile(r"Traceback \(most recent call last\)|\.py:\d+: \w*Warning|^\s+File \".*\", line \d+"
                   r"|internal error|RuntimeWarning|UserWarning|FutureWarning", re.M)


def pfa_of(r: int, c: int) -> str:
    return "PA" if c < 2 and r < 2 else ("PB" if c >= 2 else "PC")


def grid_frame(names: dict[str, str] | None = None, pfas: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """The grid as a GeoDataFrame in WGS84 with columns code, name, pfa (names and PFAs overridable)."""
    rows = []
    for r in range(ROWS):
        for c in range(COLS):
            code = f"U{r}{c}"
            x0, y0 = -1.0 + c * 0.1, 52.0 - r * 0.1
            rows.append({"code": code, "name": (names or {}).get(code, f"Unit {r}{c}"),
                         "pfa": (pfas or {}).get(code, pfa_of(r, c)),
                         "geometry": shapely.box(x0, y0 - 0.1, x0 + 0.1, y0)})
    return gpd.GeoDataFrame(rows, crs=4326)


def values_csv(scale: float = 1e6) -> str:
    return "code,value\n" + "".join(f"{code},{(i + 1) * scale:g}\n" for i, code in enumerate(CODES))


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Path:
    """The input files every case starts from (written once)."""
    d = tmp_path_factory.mktemp("world")
    g = grid_frame()
    g.to_crs(27700).to_file(d / "grid.gpkg", driver="GPKG")
    g.to_file(d / "grid.geojson", driver="GeoJSON")
    (d / "values.csv").write_text(values_csv())
    (d / "plan.csv").write_text(PLAN_CSV)
    return d


@pytest.fixture
def work(world, tmp_path, monkeypatch) -> Path:
    """A fresh folder with the world's files; the current directory while the test runs."""
    for f in world.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file (bytes) and folder under ``folder``, hidden ones too."""
    out: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), folder)] = "<dir>"
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = "<link>" if os.path.islink(p) else Path(p).read_bytes()
    return out


def cli(args: list[str]) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def check_clean(result: Result, code: int, *fragments: str) -> None:
    """Exit code, message fragments, no traceback or leaked warning, one message on an error."""
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    assert escaped is None, f"uncaught {type(escaped).__name__}: {escaped}\n{result.output}"
    leaks = LEAKS.findall(result.output)
    assert not leaks, f"leaked {leaks}:\n{result.output}"
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}:\n{result.output}"
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
    if code in (2, 3, 4):
        assert result.stdout == "", f"an error exit printed on stdout:\n{result.stdout}"
        messages = ERROR_LINE.findall(result.stderr)
        assert len(messages) == 1, f"expected one message:\n{result.stderr}"


@dataclass
class Case:
    """One hostile input: command-line ``args`` run in a fresh folder holding the world's files plus
    ``files`` (name -> text or bytes), after ``setup(folder)``; expects exit ``code`` and every
    fragment in the output."""

    id: str
    args: list
    code: int
    fragments: tuple = ()
    files: dict = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None

    def __post_init__(self):
        if isinstance(self.fragments, str):
            self.fragments = (self.fragments,)


def params(cases: list[Case]):
    """``pytest.mark.parametrize`` arguments for a table of cases (ids must be unique)."""
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, dupes
    return pytest.mark.parametrize("case", cases, ids=ids)


def run_case(case: Case, folder: Path) -> Result:
    """Run ``case`` in ``folder`` and check it (see the module docstring)."""
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup:
        case.setup(folder)
    before = snapshot(folder)
    result = cli(case.args)
    check_clean(result, case.code, *case.fragments)
    if case.code in (2, 3, 4):
        after = snapshot(folder)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        assert not changed, f"an error exit changed the folder: {changed}"
    return result
