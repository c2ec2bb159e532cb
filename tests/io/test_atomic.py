"""Whole-or-nothing writes: a failure mid-write never leaves a half file or clobbers a good one."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpa.cli import main
from cpa.errors import CpaError
from cpa.io import atomic

GOOD = "lad_code,area\nE06000001,north\n"


def crash_half_way(monkeypatch, exc: BaseException) -> None:
    """Make the staging of an output file fail after its bytes are written (a crash, Ctrl-C or full disk)."""
    def fail(fd):
        raise exc

    monkeypatch.setattr(atomic.os, "fsync", fail)


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt(),
                                 OSError(errno.ENOSPC, "No space left on device")],
                         ids=["error", "ctrl-c", "disk-full"])
def test_failed_write_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch, exc):
    target = tmp_path / "plan.csv"
    atomic.write_text(target, GOOD)
    crash_half_way(monkeypatch, exc)
    # An OSError (full disk) becomes one message naming the user's file, never the temporary one.
    with pytest.raises(CpaError if isinstance(exc, OSError) else type(exc)) as caught:
        atomic.write_text(target, "lad_code,area\n" + "E06000001,south\n" * 1000)
    if isinstance(exc, OSError):
        assert str(caught.value).startswith(f"cannot write {target}: No space left") and ".part" not in str(caught.value)
    monkeypatch.undo()
    assert target.read_text() == GOOD
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_failure_inside_atomic_path_block(tmp_path, exc):
    # The context manager form, as used by writers that need a path (maps, GeoPackages).
    target = tmp_path / "map.html"
    target.write_text("old map")
    with pytest.raises(type(exc)):
        with atomic.atomic_path(target) as tmp:
            assert tmp.parent == target.parent  # same folder, so the final rename is atomic
            assert tmp.exists() and tmp != target
            tmp.write_text("<html>half")
            raise exc
    assert target.read_text() == "old map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    crash_half_way(monkeypatch, RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        atomic.write_text(tmp_path / "new.csv", GOOD)
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_whole_file_and_keeps_its_mode(tmp_path):
    target = tmp_path / "card.txt"
    target.write_text("x" * 100_000)  # a longer old file must not leave a tail behind
    target.chmod(0o640)
    atomic.write_text(target, "short\n")
    assert target.read_text() == "short\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["card.txt"]


def test_new_file_gets_umask_mode_not_mkstemp_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "new.txt", "hi")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_evaluate_out_writes_a_complete_file(tmp_path):
    out = tmp_path / "card.json"
    out.write_text("stale " * 50_000)
    result = CliRunner().invoke(main, ["evaluate", "crc21", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())  # parses: complete, and nothing of the stale text left
    assert doc["summary"]["areas"] == 21 and len(doc["areas"]) == 21
    assert [p.name for p in tmp_path.iterdir()] == ["card.json"]
    # The same scorecard on stdout is byte-identical to the file.
    shown = CliRunner().invoke(main, ["evaluate", "crc21", "--format", "json"])
    assert shown.output == out.read_text()


def test_evaluate_interrupted_while_writing_keeps_old_output(tmp_path, monkeypatch):
    out = tmp_path / "card.csv"
    out.write_text("previous good scorecard\n")
    crash_half_way(monkeypatch, KeyboardInterrupt())
    result = CliRunner().invoke(main, ["evaluate", "crc21", "--format", "csv", "--out", str(out)])
    monkeypatch.undo()
    assert result.exit_code == 130, result.output
    assert "interrupted; no partial output was written" in result.output
    assert out.read_text() == "previous good scorecard\n"
    assert [p.name for p in tmp_path.iterdir()] == ["card.csv"]
