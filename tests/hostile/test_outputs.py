"""Output paths and output sets: a directory where a file should go, a file where a folder should be,
unwritable places, full disks, failures and signals while writing, stale files from earlier runs,
hostile manifests, and two writers on one folder. Every error exit leaves the folder byte-identical."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cpa.errors import CpaError, Terminated
from cpa.io import atomic
from tests.hostile.conftest import GRID, Case, check_clean, cli, params, run_case, snapshot

SOLVE = ["solve", "--areas", "2", *GRID, "--time-limit", "20"]
OLD_SET = {"out/plan.csv": "old plan\n", "out/plan.geojson": "old geojson\n"}


def folder(name: str):
    return lambda f: (f / name).mkdir(parents=True)


PATHS = [
    Case("solve-out-is-a-file", [*SOLVE, "--out", "values.csv"], 2, "Directory 'values.csv' is a file"),
    Case("solve-out-under-a-file", [*SOLVE, "--out", "values.csv/run"], 2, "values.csv is a file, not a folder"),
    Case("solve-run-json-is-a-directory", [*SOLVE, "--out", "out"], 2, "cannot write out/run.json: it is a directory",
         files=OLD_SET, setup=folder("out/run.json")),
    Case("solve-map-is-a-directory", [*SOLVE, "--out", "out", "--map"], 2, "cannot write out/map.html: it is a directory",
         files=OLD_SET, setup=folder("out/map.html")),
    Case("solve-manifest-is-a-directory", [*SOLVE, "--out", "out"], 2, "out/.cpa-manifest.json: it is a directory",
         files=OLD_SET, setup=folder("out/.cpa-manifest.json")),
    Case("solve-deep-missing-folders", [*SOLVE, "--out", "a/b/c/d"], 0, "wrote a/b/c/d/plan.csv"),
    Case("evaluate-out-is-a-directory", ["evaluate", "plan.csv", *GRID, "--out", "sub"], 2, "is a directory",
         setup=folder("sub")),
    Case("evaluate-out-under-a-file", ["evaluate", "plan.csv", *GRID, "--out", "values.csv/card.txt"], 2,
         "cannot write values.csv/card.txt: values.csv is a file, not a folder"),
    Case("evaluate-out-deep", ["evaluate", "plan.csv", *GRID, "--format", "json", "--out", "x/y/card.json"], 0,
         "wrote x/y/card.json"),
    Case("map-out-is-a-directory", ["map", "plan.csv", *GRID, "-o", "sub"], 2, "is a directory", setup=folder("sub")),
    Case("map-png-is-a-directory", ["map", "plan.csv", *GRID, "--png", "sub"], 2, "is a directory",
         setup=folder("sub")),
    Case("map-png-same-as-map", ["map", "plan.csv", *GRID, "-o", "m.html", "--png", "m.html"], 2,
         "two outputs would both be written to m.html"),
    Case("map-png-under-a-file", ["map", "plan.csv", *GRID, "-o", "m.html", "--png", "values.csv/m.png"], 2,
         "values.csv is a file, not a folder"),
    Case("edit-out-is-a-directory", ["edit", "plan.csv", *GRID, "-o", "sub"], 2, "is a directory", setup=folder("sub")),
    Case("edit-out-under-a-file", ["edit", "plan.csv", *GRID, "-o", "values.csv/e.html"], 2,
         "values.csv is a file, not a folder"),
    Case("compare-report-is-a-directory", ["compare", "--reference", "plan.csv", *GRID, "--out", "c"], 2,
         "cannot write c/report.html: it is a directory", setup=folder("c/report.html")),
    Case("compare-option-folder-is-a-file", ["compare", "--areas", "2", *GRID, "--out", "c"], 2,
         "c/K_2 is a file, not a folder", files={"c/K_2": "mine\n"}),
    Case("compare-out-is-a-file", ["compare", "--reference", "plan.csv", *GRID, "--out", "plan.csv"], 2,
         "Directory 'plan.csv' is a file"),
    Case("sweep-out-is-a-file", ["sweep", "--areas", "1-2", *GRID, "--out", "plan.csv"], 2,
         "Directory 'plan.csv' is a file"),
    Case("sweep-csv-is-a-directory", ["sweep", "--areas", "1-2", *GRID, "--out", "s"], 2,
         "cannot write s/sweep.csv: it is a directory", setup=folder("s/sweep.csv")),
]


@params(PATHS)
def test_output_paths(case, work):
    run_case(case, work)


# ------------------------------------------------------------------ faults while writing
def fail_on_nth(monkeypatch, name: str, n: int, exc: BaseException) -> None:
    """Make ``atomic.os.<name>`` raise ``exc`` on its n-th call (1-based)."""
    real = getattr(atomic.os, name)
    calls = {"n": 0}

    def patched(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(atomic.os, name, patched)


FAULTS = [
    # (id, os function, which call, exception, exit code, fragment)
    ("disk-full-on-third-file", "fsync", 3, OSError(errno.ENOSPC, "No space left on device"), 2,
     "cannot write out/run.json: No space left on device"),
    ("no-permission", "fsync", 1, PermissionError(errno.EACCES, "Permission denied"), 2,
     "cannot write out/plan.csv: Permission denied"),
    ("read-only-file-system", "fsync", 2, OSError(errno.EROFS, "Read-only file system"), 2,
     "cannot write out/plan.geojson: Read-only file system"),
    ("ctrl-c-while-staging", "fsync", 2, KeyboardInterrupt(), 130, "interrupted; no partial output was written"),
    ("sigterm-while-staging", "fsync", 2, Terminated(), 143, "terminated (SIGTERM)"),
    ("rename-fails-mid-commit", "replace", 2, OSError(errno.EIO, "Input/output error"), 2,
     "cannot write out/plan.geojson: Input/output error"),
]


@pytest.mark.parametrize("fresh", [False, True], ids=["over-an-old-set", "new-folder"])
@pytest.mark.parametrize("name,call,exc,code,fragment", [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_fault_while_writing_leaves_folder_as_it_was(work, monkeypatch, fresh, name, call, exc, code, fragment):
    if not fresh:
        for rel, text in OLD_SET.items():
            (work / rel).parent.mkdir(exist_ok=True)
            (work / rel).write_text(text)
    before = snapshot(work)
    fail_on_nth(monkeypatch, name, call, exc)
    result = cli([*SOLVE, "--out", "out"])
    monkeypatch.undo()
    check_clean(result, code, fragment)
    assert ".part" not in result.output
    assert snapshot(work) == before  # the old set (or no folder at all), no .part, no .old backup


def test_unwritable_folder_for_real(work):
    (work / "ro").mkdir()
    (work / "ro").chmod(0o555)
    try:
        if os.access(work / "ro", os.W_OK):
            pytest.skip("running as root: a mode-555 folder is still writable")
        run_case(Case("unwritable", [*SOLVE, "--out", "ro/out"], 2, "cannot write ro/out/plan.csv"), work)
    finally:
        (work / "ro").chmod(0o755)


def test_signal_during_commit_is_held_until_the_set_is_complete(work, monkeypatch):
    """SIGTERM arriving between two renames: the set is finished first, then the command exits 143."""
    for rel, text in OLD_SET.items():
        (work / rel).parent.mkdir(exist_ok=True)
        (work / rel).write_text(text)
    real = atomic.os.replace
    sent = []

    def replace(src, dst):
        if not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # give the handler every chance to run mid-commit
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    result = cli([*SOLVE, "--out", "out"])
    monkeypatch.undo()
    check_clean(result, 143, "terminated (SIGTERM)")
    assert sent
    out = work / "out"
    manifest = json.loads((out / atomic.MANIFEST).read_text())["files"]
    assert sorted(manifest) == ["plan.csv", "plan.geojson", "run.json"]
    for rel, digest in manifest.items():  # the new set, whole
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    assert not [p for p in out.iterdir() if p.name.endswith((".part", ".old"))]


# ------------------------------------------------------------------ the manifest
def test_rerun_removes_only_the_files_an_earlier_run_wrote(work):
    check_clean(cli([*SOLVE, "--out", "out", "--map"]), 0)
    (work / "out" / "notes.txt").write_text("mine\n")
    check_clean(cli([*SOLVE, "--out", "out"]), 0)
    names = sorted(p.name for p in (work / "out").iterdir())
    assert names == [atomic.MANIFEST, "notes.txt", "plan.csv", "plan.geojson", "run.json"]  # map.html gone


def test_rerun_keeps_a_stale_file_the_user_changed(work):
    check_clean(cli([*SOLVE, "--out", "out", "--map"]), 0)
    (work / "out" / "map.html").write_text("my annotated map\n")
    check_clean(cli([*SOLVE, "--out", "out"]), 0)
    assert (work / "out" / "map.html").read_text() == "my annotated map\n"


@pytest.mark.slow  # two full comparisons
def test_compare_rerun_removes_the_folder_of_a_dropped_option(work):
    check_clean(cli(["compare", "--reference", "plan.csv", "--areas", "2", *GRID, "--out", "c"]), 0)
    assert (work / "c" / "K_2" / "plan.csv").exists()
    (work / "c" / "plan" / "mine.txt").write_text("mine\n")
    check_clean(cli(["compare", "--reference", "plan.csv", *GRID, "--out", "c"]), 0)
    assert not (work / "c" / "K_2").exists()  # emptied by the manifest, then removed
    assert (work / "c" / "plan" / "mine.txt").exists() and (work / "c" / "plan" / "plan.csv").exists()


def test_hostile_manifest_cannot_reach_outside_the_folder(work, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    victim = outside / "victim.txt"
    victim.write_text("precious\n")
    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    out = work / "out"
    out.mkdir()
    (out / "link.txt").symlink_to(victim)
    (out / "linked_dir").symlink_to(outside, target_is_directory=True)
    rel_up = os.path.relpath(victim, out)
    (out / atomic.MANIFEST).write_text(json.dumps({"files": {
        rel_up: digest, str(victim): digest, "link.txt": digest, "linked_dir/victim.txt": digest,
        "sub/../../victim.txt": digest, "": digest, ".": digest, atomic.MANIFEST: digest}}))
    check_clean(cli([*SOLVE, "--out", "out"]), 0)
    assert victim.read_text() == "precious\n"
    assert (out / "link.txt").is_symlink() and (out / "linked_dir").is_symlink()


@pytest.mark.parametrize("text", ["not json", "[]", '{"files": 3}', '{"files": {"plan.csv": 7}}', ""])
def test_unreadable_manifest_counts_as_none(work, text):
    (work / "out").mkdir()
    (work / "out" / atomic.MANIFEST).write_text(text)
    (work / "out" / "keep.txt").write_text("mine\n")
    check_clean(cli([*SOLVE, "--out", "out"]), 0)
    assert (work / "out" / "keep.txt").exists()
    assert sorted(json.loads((work / "out" / atomic.MANIFEST).read_text())["files"]) == [
        "plan.csv", "plan.geojson", "run.json"]


# ------------------------------------------------------------------ two writers
def _set(tag: str, n: int = 6) -> dict[str, str]:
    return {f"f{i}.txt": f"{tag} file {i}\n" * 2000 for i in range(n)} | {"sub/g.txt": f"{tag} g\n"}


def _consistent(folder: Path) -> str:
    """The one writer tag every file of the set in ``folder`` carries (fails on a mix)."""
    manifest = json.loads((folder / atomic.MANIFEST).read_text())["files"]
    tags = set()
    for rel, digest in manifest.items():
        data = (folder / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, rel
        tags.add(data.split(b" ")[0])
    assert len(tags) == 1, f"a mix of sets: {tags}"
    assert not [p for p in folder.rglob("*") if p.name.endswith((".part", ".old"))]
    return tags.pop().decode()


@pytest.mark.slow  # races two writers
def test_two_threads_writing_one_folder_leave_one_whole_set(tmp_path):
    errors = []

    def writer(tag):
        try:
            for i in range(15):
                atomic.write_files(tmp_path / "out", _set(f"{tag}{i}"))
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in ("A", "B", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _consistent(tmp_path / "out") in {f"{t}14" for t in "ABC"}


WRITER = """
import sys
from cpa.io import atomic
tag, out = sys.argv[1], sys.argv[2]
for i in range(6):
    atomic.write_files(out, {f"f{j}.txt": f"{tag}{i} file {j}\\n" * 2000 for j in range(6)} | {"sub/g.txt": f"{tag}{i} g\\n"})
"""


@pytest.mark.slow  # two real processes
def test_two_processes_writing_one_folder_leave_one_whole_set(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, tag, str(tmp_path / "out")], env=env,
                              stderr=subprocess.PIPE) for tag in ("P", "Q")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert _consistent(tmp_path / "out") in {"P5", "Q5"}


def test_a_writer_waits_for_the_folder_lock(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (atomic.write_files(out, {"a.txt": "x"}), done.set()))
    worker.start()
    try:
        assert not done.wait(0.4), "wrote while another writer held the folder"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert done.wait(10)
    worker.join()
    assert (out / "a.txt").read_text() == "x"


def test_writer_gives_up_on_a_folder_held_too_long(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    monkeypatch.setattr(atomic, "LOCK_TIMEOUT_S", 0.2)
    try:
        with pytest.raises(CpaError, match="another cpa has been writing to"):
            atomic.write_files(out, {"a.txt": "x"})
    finally:
        os.close(fd)
    assert sorted(p.name for p in out.iterdir()) == []


@pytest.mark.parametrize("name", ["../x", "/etc/x", "a/../../x", "", "."])
def test_output_names_stay_inside_the_folder(tmp_path, name):
    with pytest.raises(ValueError, match="plain relative path"):
        atomic.write_files(tmp_path, {name: "x"})
