"""Scenario grids: reading and refusing scenarios, the result store, the fronts and robustness, and whole
grids on a local Dask cluster (one of whose workers is killed mid-solve)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cpa.cli import main
from cpa.compare.grid import (MAX_SOLVES, ResultStore, expand_grid, load_values, needs_solve, read_grid_scenario,
                              results_table, run_grid, solve_key)
from cpa.compare.tradeoffs import mark_dominated, never_dominated, non_dominated, robustness
from cpa.errors import CpaError
from cpa.io import read_plan
from cpa.metrics import scorecard
from cpa.options import SolveOptions
from cpa.values import ContractValues
from tests.conftest import grid_geography

CORPUS = Path(__file__).resolve().parent.parent / "bad_inputs"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "grid_value_models.toml"


def scenario(tmp_path: Path, text: str, name: str = "grid.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ reading
def test_example_scenario_reads_and_expands(geo):
    sc = read_grid_scenario(EXAMPLE)
    assert sc.ks == list(range(6, 44))
    assert sc.value_sources == ["crime", "adults", "population", "males18_49", "budget2003"]
    assert sc.axes == {"coterminous": ["strict", "soft"]}
    assert set(sc.sets) == {"even", "travel-first"} and sc.sets["travel-first"] == {"w_travel": 2.0}
    with pytest.raises(CpaError, match=r"asks for 760 solves .*more than 500") as exc:
        expand_grid(sc, geo, load_values(geo, sc.value_sources, None))
    assert "--yes" in exc.value.hint


def test_axes_expand_to_the_product_with_labels(tmp_path, geo, values):
    path = scenario(tmp_path, """
        [defaults]
        time-limit = 30
        [axes]
        areas = ["12", "16-17"]
        min-value = ["none", 10]
        keep-whole = [[], ["Wales", "London"]]
        [sets.plain]
        [sets.near]
        w-travel = 2
    """)
    sc = read_grid_scenario(path)
    grid = expand_grid(sc, geo, {"crime": values}, to_codes=_with_codes)
    assert grid.axes == ["K", "values", "min_value", "keep_whole", "set"]
    assert len(grid.points) == 3 * 2 * 2 * 2 == math_prod(grid.sizes)
    first = grid.points[0]
    assert first.labels == {"K": 12, "values": "crime", "min_value": "none", "keep_whole": "none", "set": "plain"}
    assert first.options.min_value_m is None and first.options.time_limit == 30
    last = grid.points[-1]
    assert last.labels["keep_whole"] == "Wales+London" and last.options.min_value_m == 10
    assert last.options.weights.travel == 2.0 and len(last.options.keep_whole) == 2
    assert last.options.keep_whole == ("Wales", "London")  # looked up: unknown names are refused (below)
    assert len({p.key for p in grid.points}) == len(grid.points)


def math_prod(sizes: dict) -> int:
    return int(np.prod(list(sizes.values())))


@pytest.mark.parametrize("text, message", [
    ("[axes]\nareas = [16]\ncolour = ['red']", "unknown key 'colour' in [axes]"),
    ("[axes]\nareas = [16]\ntime-limt = [10]", "did you mean 'time-limit'"),
    ("[axes]\nareas = [16]\nmin-value = [-3]", "[axes] min-value = -3: --min-value must be a positive number"),
    ("[axes]\nareas = [16]\nmax-share = [25, 0.25]", "[axes] max-share = 0.25: --max-share 0.25 means 0.25%"),
    ("[axes]\nareas = [16]\ncoterminous = ['strict', 'loose']", "[axes] coterminous = 'loose': unknown coterm"),
    ("[axes]\nareas = [16]\nmin-value = [20]\nmax-value = [10]", "min-value = 20, max-value = 10: --min-value 20"),
    ("[axes]\nareas = [16]\ncoterminous = []", "[axes] coterminous is empty, so the grid has no solves"),
    ("[axes]\nareas = []", "[axes] areas is empty"),
    ("[axes]\nareas = '9-6'", "[axes] areas: '9-6' is not a range"),
    ("[axes]\ncoterminous = ['strict']", "[axes] needs areas"),
    ("[axes]\nareas = [16]\nvalue-model = ['crme']", "unknown value model 'crme'"),
    ("[axes]\nareas = [16]\nvalues = ['missing.csv']", "value file not found: missing.csv"),
    ("[axes]\nareas = [16]\nkeep-whole = [['Walse']]", "[axes] keep-whole = 'Walse'"),
    ("[axes]\nareas = [16]\nseed = ['none']", "seed cannot be \"none\""),
    ("[axes]\nareas = [16]\nseed = [1, 1]", "lists 1 more than once"),
    ("[axes]\nareas = [16]\ncoterminous = ['strict']\n[sets.a]\ncoterminous = 'soft'",
     "[sets.a] sets coterminous, which is also an axis"),
    ("[axes]\nareas = [16]\n[sets.a]\nw-travel = -1", "[sets.a]: --w-travel must be at least 0"),
    ("[[option]]\nname = 'x'\nareas = 16", "a grid scenario lists [axes]"),
    ("[defaults]\ngap = 2\n[axes]\nareas = [16]\nseed = [1]", "[defaults] (with the command line's flags): --gap"),
])
def test_bad_scenarios_are_refused_naming_the_key(tmp_path, geo, values, text, message):
    path = scenario(tmp_path, text)
    with pytest.raises(CpaError) as exc:
        sc = read_grid_scenario(path)
        expand_grid(sc, geo, load_values(geo, sc.value_sources, None) if sc.value_sources else {"crime": values},
                    to_codes=_with_codes)
    assert message in str(exc.value), str(exc.value)
    assert str(path) in str(exc.value) or "[axes]" not in message


def _with_codes(options, geo):
    from cpa.cli.common import with_codes

    return with_codes(options, geo)


@pytest.mark.slow  # starts a grid
def test_a_large_grid_needs_yes(tmp_path, geo, values):
    sc = read_grid_scenario(scenario(tmp_path, "[axes]\nareas = '1-43'\nseed = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"))
    assert 43 * 12 > MAX_SOLVES
    with pytest.raises(CpaError, match="asks for 516 solves"):
        expand_grid(sc, geo, {"crime": values})
    assert len(expand_grid(sc, geo, {"crime": values}, allow_large=True).points) == 516


def test_cli_refuses_a_bad_scenario_before_solving(tmp_path):
    path = scenario(tmp_path, "[axes]\nareas = [16]\nmin-value = [15e6]")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["grid", str(path), "--out", str(out)])
    assert r.exit_code == 2
    assert "[axes] min-value = 1.5e+07" in r.output and "did you mean --min-value 15" in r.output
    assert "Traceback" not in r.output and not out.exists()
    r = CliRunner().invoke(main, ["grid", str(scenario(tmp_path, "[axes]\nareas = [16]\ncoterminous = ['strict']",
                                                       "b.toml")), "--coterminous", "soft", "--out", str(out)])
    assert r.exit_code == 2 and "--coterminous on the command line would override the axis" in r.output


# ------------------------------------------------------------------------------------------ keys, store
def test_solve_key_follows_what_changes_the_answer(grid3):
    geo, vals = grid3
    base = SolveOptions(k=2, time_limit=10)
    key = solve_key(geo, vals, base)
    assert solve_key(geo, vals, SolveOptions(k=2, time_limit=10, threads=4)) == key
    assert solve_key(geo, vals, SolveOptions(k=2, time_limit=20)) != key
    assert solve_key(geo, vals, SolveOptions(k=3, time_limit=10)) != key
    other = ContractValues(vals.by_unit * 2, "grid", "doubled")
    assert solve_key(geo, other, base) != key


@pytest.mark.parametrize("status, retry, again", [
    (None, False, True), ("error", False, True), ("optimal", False, False), ("optimal", True, False),
    ("infeasible", True, False), ("feasible", False, False), ("feasible", True, True),
    ("no_solution", False, False), ("no_solution", True, True),
])
def test_what_is_solved_again(status, retry, again):
    assert needs_solve(None if status is None else {"status": status}, retry) is again


def test_a_failed_solve_is_a_row_with_its_reason(grid3):
    from distributed import KilledWorker

    from cpa.compare.grid import GridPoint, _failure_row

    point = GridPoint({"K": 2, "values": "grid"}, "grid", SolveOptions(k=2), "key")
    worker = type("Worker", (), {"address": "tcp://127.0.0.1:1"})()
    row = _failure_row(point, KilledWorker("cpa-solve-key", worker, allowed_failures=3))
    assert row["status"] == "error" and row["K"] == 2 and "every worker that ran it died" in row["reason"]
    assert needs_solve(row)  # tried again on the next run
    row = _failure_row(point, ZeroDivisionError("division by zero"))
    assert row["reason"] == "ZeroDivisionError: division by zero"


def test_store_writes_the_plan_then_the_row(tmp_path):
    store = ResultStore(tmp_path)
    row = store.put("abc", {"status": "optimal", "K": 2}, "lad_code,area,area_name\nr0c0,A,A\n")
    assert row["plan_file"] == "solves/abc/plan.csv"
    assert store.row("abc")["status"] == "optimal" and store.plan_path("abc").exists()
    (tmp_path / "solves" / "abc" / "row.json").write_text("{trunc")
    assert store.row("abc") is None  # an unreadable row is solved again, not trusted
    assert store.row("nothing") is None


# ------------------------------------------------------------------------------------------ fronts
def test_non_dominated_points():
    pts = np.array([[1, 5], [2, 2], [3, 3], [5, 1], [2, 2], [1, 6]])
    assert non_dominated(pts).tolist() == [True, True, False, True, True, False]


def _table(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["K", "values", "coterminous", "status", "mean_travel_km", "term_balance_pct",
                                     "key"])
    return df


def test_fronts_are_per_value_model_and_never_dominated_needs_every_model():
    table = _table([
        (10, "a", "strict", "optimal", 30.0, 10.0, "k1"), (20, "a", "strict", "optimal", 20.0, 20.0, "k2"),
        (30, "a", "strict", "feasible", 25.0, 25.0, "k3"), (40, "a", "strict", "infeasible", None, None, "k4"),
        (10, "b", "strict", "optimal", 30.0, 10.0, "k5"), (20, "b", "strict", "optimal", 31.0, 20.0, "k6"),
        (30, "b", "strict", "optimal", 15.0, 30.0, "k7"), (40, "b", "strict", "infeasible", None, None, "k8"),
    ])
    dom = mark_dominated(table)
    assert dom.tolist()[:3] == [False, False, True] and pd.isna(dom[3])
    assert dom.tolist()[4:7] == [False, True, False] and pd.isna(dom[7])
    nd = never_dominated(table, ["K", "values", "coterminous"])
    assert nd["options"] == [{"K": 10, "coterminous": "strict"}]
    assert nd["ks"] == [10]
    assert [o["K"] for o in nd["per_values"]["a"]] == [10, 20]
    assert [o["K"] for o in nd["per_values"]["b"]] == [10, 30]


def test_coassignment_and_stability_across_value_models():
    geo, _ = grid_geography(["AB", "CD"])  # r0c0 r0c1 / r1c0 r1c1, four links
    split_rows = pd.Series({"r0c0": "1", "r0c1": "1", "r1c0": "2", "r1c1": "2"})
    split_cols = pd.Series({"r0c0": "1", "r0c1": "2", "r1c0": "1", "r1c1": "2"})
    table = _table([
        (2, "a", "strict", "optimal", 1.0, 1.0, "p1"), (2, "b", "strict", "optimal", 1.0, 1.0, "p2"),
        (3, "a", "strict", "optimal", 1.0, 1.0, "p3"), (3, "b", "strict", "optimal", 1.0, 1.0, "p4"),
    ])
    three = pd.Series({"r0c0": "1", "r0c1": "1", "r1c0": "2", "r1c1": "3"})
    plans = {"p1": split_rows, "p2": split_cols, "p3": three, "p4": three}
    co, stab = robustness(table, plans, geo, ["K", "values", "coterminous"])
    co = co.set_index(["lad_a", "lad_b"])
    top = co.loc[("r0c0", "r0c1")]
    assert top["together_share"] == 0.75 and top["together_share_a"] == 1.0 and top["together_share_b"] == 0.5
    assert top["agreement"] == 0.5 and top["groups"] == 2  # K=2: models disagree; K=3: agree
    assert co.loc[("r1c0", "r1c1"), "agreement"] == 0.5   # K=2: together under a only; K=3: apart under both
    assert co.loc[("r0c1", "r1c1"), "together_share"] == 0.25  # only the column split joins them
    s = stab.set_index("lad_code")["stability"]
    # K=2: every LAD's area differs between a and b (modal share 1/2); K=3: the same under both (2/2).
    assert s.to_dict() == {"r0c0": 0.75, "r0c1": 0.75, "r1c0": 0.75, "r1c1": 0.75}


def test_robustness_needs_two_value_models():
    geo, _ = grid_geography(["AB"])
    table = _table([(1, "a", "strict", "optimal", 1.0, 1.0, "p1")])
    co, stab = robustness(table, {"p1": pd.Series({"r0c0": "1", "r0c1": "1"})}, geo, ["K", "values"])
    assert co["together_share"].tolist() == [1.0] and co["agreement"].isna().all()
    assert stab["stability"].isna().all()


# ------------------------------------------------------------------------------------------ on Dask
@pytest.fixture(scope="module")
def cluster():
    """One local Dask cluster of two worker processes for the tests below (it takes seconds to start); a
    worker killed by a test is restarted by its nanny. ``cpa sweep`` tests start their own (tests/compare/
    test_compare.py), which covers the default local cluster."""
    import dask
    from distributed import LocalCluster

    from cpa.compare.cluster import ALLOWED_FAILURES

    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=40) as c:
            yield c


def _check_plan_file(path: Path, geo, values, k: int) -> None:
    plan = read_plan(path, geo)          # validates: every LAD in exactly one area
    card = scorecard(plan, geo, values)
    assert plan.k == k and card.summary["all_contiguous"]
    assert card.summary["pfas_split"] == 0  # strict: no police force area split


@pytest.mark.slow
def test_grid_survives_a_killed_worker_then_resumes_from_the_store(tmp_path, geo, monkeypatch, cluster):
    from distributed import Client

    path = scenario(tmp_path, '[defaults]\ntime-limit = 60\n[axes]\nareas = [40, 42]\n'
                              'value-model = ["crime", "adults"]\n')
    sc = read_grid_scenario(path)
    vals = load_values(geo, sc.value_sources, None)
    grid = expand_grid(sc, geo, vals)
    store = ResultStore(tmp_path / "out")
    hold = tmp_path / "hold"
    hold.mkdir()
    killed = []

    def killer():  # waits for the held task to report its worker's pid, then kills that worker outright
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (hold / "pid").exists():
            time.sleep(0.05)
        if (hold / "pid").exists():
            pid = int((hold / "pid").read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    seen = []
    with Client(cluster) as client:
        rows, counts = run_grid(grid, geo, store, client=client, hold=hold,
                                progress=lambda c, p, r: seen.append((c.done, c.failed, c.cached, p is not None)))
    thread.join(timeout=5)
    assert killed, "the held task never reported its worker"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)  # that worker is gone; its solve was retried elsewhere (the hold fails otherwise)
    assert counts.done == 4 and counts.failed == 0 and counts.cached == 0
    table = results_table(grid, rows)
    assert table["status"].tolist() == ["optimal"] * 4
    assert table[["K", "values"]].values.tolist() == [[40, "crime"], [42, "crime"], [40, "adults"], [42, "adults"]]
    assert (table["gap"] <= 1e-4).all() and table["bound"].notna().all()
    for _, r in table.iterrows():
        _check_plan_file(tmp_path / "out" / r["plan_file"], geo, vals[r["values"]], int(r["K"]))
        assert json.loads((tmp_path / "out" / "solves" / r["key"] / "row.json").read_text())["key"] == r["key"]
    assert seen[-1] == (4, 0, 0, True) and sum(1 for s in seen if s[3]) == 4

    # Second run: everything is served from the store; no cluster is even started.
    monkeypatch.setattr("cpa.compare.cluster.dask_client", lambda *a, **k: pytest.fail("a cluster was started"))
    rows2, counts2 = run_grid(grid, geo, store, workers=2, retry_unproven=True)
    assert (counts2.cached, counts2.done, counts2.failed) == (4, 0, 0)
    assert results_table(grid, rows2).equals(table)


@pytest.mark.slow
def test_cli_grid_on_a_scheduler_writes_the_table_and_pictures_then_reruns_from_the_store(tmp_path, cluster):
    (tmp_path / "even.csv").write_text("code,value\nU00,25000000\nU01,25000000\nU10,25000000\nU11,25000000\n")
    path = scenario(tmp_path, f"""
        title = "tiny"
        [defaults]
        time-limit = 30
        [axes]
        areas = [1, 2]
        values = ["{CORPUS / 'values.csv'}", "even.csv"]
        coterminous = ["strict", "soft"]
    """)
    out = tmp_path / "out"
    geo_args = ["--boundaries", str(CORPUS / "grid.geojson"), "--code-column", "code", "--pfa-column", "pfa"]
    r = CliRunner().invoke(main, ["grid", str(path), "--out", str(out), "--scheduler", cluster.scheduler_address,
                                  "--format", "json", *geo_args])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["kind"] == "grid" and doc["solves"] == {"total": 8, "solved": 8, "cached": 0, "failed": 0}
    assert doc["axes"] == {"areas": 2, "values": 2, "coterminous": 2}
    table = pd.read_parquet(out / "grid.parquet")
    csv = pd.read_csv(out / "grid.csv")
    assert len(table) == len(csv) == 8 and list(table["status"]) == list(csv["status"])
    assert set(table["status"]) == {"optimal"}
    assert {"K", "values", "coterminous", "status", "objective", "bound", "gap", "seconds", "mean_travel_km",
            "term_balance_pct", "value_min_m", "pfas_split", "dominated", "key"} <= set(table.columns)
    from tests.cli.test_contract import schema, validator

    check = validator("grid")
    for row in doc["rows"]:
        check.validate(row)
    assert list(csv.columns) == ["K", "values", "coterminous"] + schema("grid")["x-column-order"]
    for name in ("curves_values.png", "curves_even.png", "pareto.png", "pareto_fragments.png", "stability.png",
                 "coassignment.csv", "stability.csv", "grid.md"):
        assert (out / name).stat().st_size > 0, name
    md = (out / "grid.md").read_text()
    assert "## Never dominated" in md and "Never dominated, under each of the 2 value models" in md
    # Second run: nothing solved again.
    r = CliRunner().invoke(main, ["grid", str(path), "--out", str(out), "--format", "json", *geo_args])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["solves"] == {"total": 8, "solved": 0, "cached": 8, "failed": 0}


@pytest.mark.slow
def test_cli_sweep_runs_on_the_same_cluster(tmp_path, cluster):
    out = tmp_path / "sw"
    r = CliRunner().invoke(main, ["sweep", "--areas", "1-3", "--boundaries", str(CORPUS / "grid.geojson"),
                                  "--code-column", "code", "--pfa-column", "pfa", "--values",
                                  str(CORPUS / "values.csv"), "--scheduler", cluster.scheduler_address,
                                  "--time-limit", "20", "--out", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["rows"]
    assert [(row["K"], row["status"]) for row in rows] == [(1, "optimal"), (2, "optimal"), (3, "infeasible")]


@pytest.mark.slow  # waits for a connection timeout
def test_an_unreachable_scheduler_is_one_message(tmp_path, monkeypatch):
    monkeypatch.setattr("cpa.compare.cluster.CONNECT_TIMEOUT_S", 1)
    path = scenario(tmp_path, "[axes]\nareas = [1]\n")
    r = CliRunner().invoke(main, ["grid", str(path), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1",
                                  "--boundaries", str(CORPUS / "grid.geojson"), "--code-column", "code",
                                  "--pfa-column", "pfa", "--values", str(CORPUS / "values.csv"), "--quiet"])
    assert r.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in r.output and "dask scheduler" in r.output
    assert "Traceback" not in r.output
