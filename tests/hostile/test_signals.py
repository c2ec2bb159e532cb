"""Signals: Ctrl-C (SIGINT) and SIGTERM during a solve, while an output set is staged, while it is
committed, and to a sweep's whole process group. These run ``cpa`` as a real process (signals cannot
be sent to click's in-process runner), through a small wrapper that drops a marker file when the
phase under test begins and, for the writing phases, slows them down so the signal lands inside."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cpa.io import atomic
from tests.hostile.conftest import GRID, LEAKS, snapshot

pytestmark = pytest.mark.slow  # real processes, signals and sleeps

ROOT = Path(__file__).resolve().parents[2]

WRAPPER = """
import sys, time, pathlib
marker, phase = pathlib.Path(sys.argv[1]), sys.argv[2]
import cpa.optimise, cpa.compare, cpa.compare.sweep
from cpa.io import atomic

def mark():
    if not marker.exists():
        marker.write_text(phase)

if phase == "solve":
    real_solve = cpa.optimise.solve
    def solve(*a, **k):
        mark()
        return real_solve(*a, **k)
    cpa.optimise.solve = solve
elif phase == "sweep":  # the local Dask cluster is up and its workers are solving
    import contextlib
    sweep_module = sys.modules["cpa.compare.sweep"]  # (cpa.compare.sweep is also the function's name)
    real_client = sweep_module.dask_client
    @contextlib.contextmanager
    def dask_client(*a, **k):
        with real_client(*a, **k) as client:
            mark()
            yield client
    sweep_module.dask_client = dask_client
elif phase == "stage":
    real_stage = atomic._stage
    def stage(target, part, data):
        real_stage(target, part, data)
        mark()
        time.sleep(0.7)  # the signal lands here, with some of the set staged
    atomic._stage = stage
elif phase == "commit":
    real_replace = atomic.os.replace
    def replace(src, dst):
        mark()
        time.sleep(0.7)  # the signal lands between two renames
        return real_replace(src, dst)
    atomic.os.replace = replace

from cpa.cli import main
sys.argv = ["cpa", *sys.argv[3:]]
main()
"""


def start(tmp_path: Path, phase: str, args: list[str], new_session: bool = False) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / f"{phase}.marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(marker), phase, *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=new_session)
    return proc, marker


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"cpa ended before the phase began:\n{proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the phase under test never began")
        time.sleep(0.05)


def finish(proc: subprocess.Popen, timeout: float = 60.0) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"cpa did not stop within {timeout} s of the signal:\n{err}")
    return proc.returncode, out, err


def assert_one_line(err: str, code: int) -> None:
    assert not LEAKS.findall(err), err
    expected = "terminated (SIGTERM)" if code == 143 else "interrupted"
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"cpa: {expected}"), err


def assert_whole_set(out: Path) -> None:
    manifest = json.loads((out / atomic.MANIFEST).read_text())["files"]
    for rel, digest in manifest.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, rel


def no_temporaries(folder: Path) -> None:
    left = [p for p in folder.rglob("*") if p.name.endswith((".part", ".old"))]
    assert not left, left


@pytest.fixture
def grid_folder(world, tmp_path) -> Path:
    for f in world.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "plan.csv").write_text("old plan\n")
    (tmp_path / "out" / "run.json").write_text("{}\n")
    return tmp_path


@pytest.mark.slow  # a real LAD-level solve of England and Wales
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "sigint"])
def test_signal_during_solve(tmp_path, sig, code):
    proc, marker = start(tmp_path, "solve", ["solve", "--areas", "16", "--coterminous", "off", "--time-limit", "60",
                                             "--out", "out"])
    wait_for(marker, proc)
    time.sleep(0.5)
    proc.send_signal(sig)
    rc, _, err = finish(proc)
    if rc == 0 or (tmp_path / "out").exists():
        # The engine may write the best plan found on an interrupt: then it is a whole set.
        assert_whole_set(tmp_path / "out")
    else:
        assert rc == code, err
        assert_one_line(err, code)
        assert not (tmp_path / "out").exists()
    no_temporaries(tmp_path)


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "sigint"])
def test_signal_while_staging_leaves_the_old_set(grid_folder, sig, code):
    before = snapshot(grid_folder)
    proc, marker = start(grid_folder, "stage", ["solve", "--areas", "2", *GRID, "--out", "out", "--map"])
    wait_for(marker, proc)
    proc.send_signal(sig)
    rc, out, err = finish(proc)
    assert rc == code, err
    assert_one_line(err, code)
    assert out == ""  # no scorecard for a run that wrote nothing
    assert snapshot(grid_folder) == before | {marker.name: b"stage"}


def test_sigterm_while_committing_finishes_the_set_first(grid_folder):
    proc, marker = start(grid_folder, "commit", ["solve", "--areas", "2", *GRID, "--out", "out"])
    wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    rc, _, err = finish(proc)
    assert rc == 143, err
    assert_one_line(err, 143)
    out = grid_folder / "out"
    assert_whole_set(out)
    assert (out / "plan.csv").read_text() != "old plan\n"
    no_temporaries(grid_folder)


@pytest.mark.slow  # real LAD-level solves of England and Wales in two worker processes
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "sigint"])
def test_signal_to_a_sweeps_process_group(tmp_path, sig, code):
    proc, marker = start(tmp_path, "sweep", ["sweep", "--areas", "14-17", "--coterminous", "off", "--jobs", "2",
                                             "--time-limit", "60", "--out", "s"], new_session=True)
    wait_for(marker, proc)
    time.sleep(2.0)  # the workers are solving
    os.killpg(proc.pid, sig)  # as a terminal's Ctrl-C, or a service manager's stop, reaches every process
    rc, _, err = finish(proc, timeout=30)  # the running solves stop within seconds, not at their 60 s limit
    assert rc == code, err
    assert_one_line(err, code)
    out = tmp_path / "s"
    if out.exists():  # what finished is kept, as one whole set; the rest is marked, never left out
        assert_whole_set(out)
        table = (out / "sweep.csv").read_text()
        assert table.count("\n") == 1 + 4, table  # header and K = 14..17
        assert "optimal" in table or "interrupted" in table or "not_run" in table
    no_temporaries(tmp_path)
    deadline = time.monotonic() + 15
    while True:  # every worker is gone too
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "sweep workers outlived the sweep"
        time.sleep(0.1)
