"""Write output sets whole or not at all.

Every command writes a *set* of files (a plan, its GeoJSON and run report; a
comparison; a sweep; a map and its PNG). :func:`write_files` (an output
folder) and :func:`write_paths` (loose files) write a set in three steps:

1. **Check** every target before anything is touched: a directory where a
   file should go, or a file where a folder should be, is refused with a
   :class:`~cpa.errors.CpaError` naming the user's path.
2. **Stage** the whole set: each file goes to a hidden ``.NAME.*.part`` file
   beside its target. Any failure (disk full, no permission, an error, Ctrl-C
   or SIGTERM) removes every staged file and every folder this call created,
   and nothing the user had is replaced.
3. **Commit**: each staged file is renamed over its target. Ctrl-C and SIGTERM
   are held back until the set is complete (then raised as usual); should a
   rename still fail, the files already replaced are put back from hard-link
   backups, so the folder holds the old set or the new one, never a mix.

A folder written by :func:`write_files` keeps a manifest,
``.cpa-manifest.json``: the files this tool wrote there and their SHA-256.
The next set written to the folder removes the files the earlier manifest
lists and this set does not write (a ``map.html`` from a run with ``--map``),
and nothing else: a file the user added, or changed since, stays.

Two writers on one folder take turns: each holds an exclusive lock on the
folder itself (``flock`` on its directory handle, so no lock file is left
behind) from staging to commit, so the last complete set wins, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Mapping

from .. import __version__
from ..errors import CpaError

try:  # POSIX; elsewhere sets are still staged and committed, without the lock
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None

#: The manifest of the files the tool wrote in an output folder.
MANIFEST = ".cpa-manifest.json"
#: Seconds to wait for another cpa writing to the same folder before giving up.
LOCK_TIMEOUT_S = 300.0
#: Signals held back while a set is committed (the CLI turns both into a clean exit).
DEFERRED_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s)

Contents = str | bytes


# ------------------------------------------------------------------ public API
def write_files(out_dir: str | os.PathLike, files: Mapping[str, Contents]) -> list[Path]:
    """Write ``files`` (relative path -> contents) into ``out_dir`` as one set, with a manifest.

    Returns the paths written, in the order given. Files an earlier set in
    ``out_dir`` wrote and this one does not are removed (see the module
    docstring); nothing else in the folder is touched.
    """
    out = Path(out_dir)
    entries = {}
    for rel, data in files.items():
        entries[out / _relative(rel)] = data
    return _write_set(entries, folder=out)


def write_paths(files: Mapping[str | os.PathLike, Contents]) -> list[Path]:
    """Write ``files`` (path -> contents, possibly in different folders) as one set, without a manifest."""
    return _write_set({Path(p): data for p, data in files.items()}, folder=None)


def write_text(target: str | os.PathLike, text: str) -> Path:
    """One text file, whole or not at all."""
    return write_paths({target: text})[0]


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """One binary file, whole or not at all."""
    return write_paths({target: data})[0]


def check_folder(out_dir: str | os.PathLike, names: Iterable[str] = ()) -> None:
    """Refuse now, before a long solve, an output folder that cannot take ``names`` (a file in its place,
    a directory where one of the files should go). :func:`write_files` checks again when it writes."""
    out = Path(out_dir)
    _check_folder(out)
    _check_targets([out / _relative(n) for n in names] + [out / MANIFEST])


def check_paths(paths: Iterable[str | os.PathLike]) -> None:
    """:func:`check_folder` for loose files (a map and its PNG); two outputs on one path are refused too."""
    targets = [Path(p) for p in paths]
    _check_distinct(targets)
    _check_targets(targets)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` for a library that writes to a path; rename it over
    ``target`` on success. Prefer rendering to bytes and :func:`write_paths` for sets of files."""
    target = Path(target)
    _check_targets([target])
    created = _make_parents([target])
    tmp = _part_name(target, _token())
    try:
        _stage(target, tmp, b"")
        yield tmp
        with signals_deferred():
            os.replace(tmp, target)
    except BaseException:
        with signals_deferred():
            _unlink(tmp)
            _remove_dirs(created)
        raise


# ------------------------------------------------------------------ the set writer
def _write_set(entries: Mapping[Path, Contents], folder: Path | None) -> list[Path]:
    targets = list(entries)
    if not targets:
        return []
    _check_distinct(targets)
    blobs = {t: (d.encode("utf-8") if isinstance(d, str) else bytes(d)) for t, d in entries.items()}
    manifest = [folder / MANIFEST] if folder is not None else []
    if folder is not None:
        _check_folder(folder)
    _check_targets(targets + manifest)
    created = _make_parents(targets + manifest)
    # Every temporary name is fixed before any file is made, so a signal at any moment (even between
    # creating a file and noting it) cannot leave one behind: the clean-up removes them all by name.
    token = _token()
    parts: dict[Path, Path] = {}
    try:
        lock_dirs = [folder] if folder is not None else sorted({t.parent for t in targets}, key=str)
        with _locked(lock_dirs):
            old_manifest = _read_manifest(folder) if folder is not None else {}
            if folder is not None:
                written = {_posix(t.relative_to(folder)): hashlib.sha256(b).hexdigest() for t, b in blobs.items()}
                blobs[folder / MANIFEST] = _manifest_text(written).encode("utf-8")
            parts = {t: _part_name(t, token) for t in blobs}
            for target, data in blobs.items():
                _stage(target, parts[target], data)
            _commit(parts, token)
            if folder is not None:
                _remove_stale(folder, old_manifest, written)
    except BaseException:
        with signals_deferred():  # a second Ctrl-C must not cut the clean-up short
            for part in parts.values():
                _unlink(part)
            _remove_dirs(created)
        raise
    return targets


def _token() -> str:
    return os.urandom(6).hex()


def _part_name(target: Path, token: str) -> Path:
    return target.with_name(f".{target.name}.{token}.part")


def _stage(target: Path, part: Path, data: bytes) -> None:
    """``data`` in the temporary file ``part`` beside ``target``; errors name ``target``, never ``part``."""
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            # the mode a plain open() would give (or the old file's), not 0600
            os.fchmod(fd, _mode_for(target)) if hasattr(os, "fchmod") else None
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _write_error(target, exc) from None


def _commit(parts: Mapping[Path, Path], token: str) -> None:
    """Rename every staged file over its target; on a failure put back what was replaced."""
    backups: dict[Path, Path | None] = {}
    done: list[Path] = []
    with signals_deferred():
        try:
            for target in parts:
                backups[target] = _backup(target, token)
            for target, part in parts.items():
                try:
                    os.replace(part, target)
                except OSError as exc:
                    raise _write_error(target, exc) from None
                done.append(target)
        except BaseException:
            for target in reversed(done):
                old = backups.get(target)
                with contextlib.suppress(OSError):
                    if old is not None:
                        os.replace(old, target)
                    else:
                        os.unlink(target)
            for old in backups.values():
                if old is not None:
                    _unlink(old)
            raise
        for old in backups.values():
            if old is not None:
                _unlink(old)


def _backup(target: Path, token: str) -> Path | None:
    """A hard link to the file now at ``target`` (None if there is none), to put it back after a failed commit."""
    if not target.is_file() or target.is_symlink():
        return None
    old = target.with_name(f".{target.name}.{token}.old")
    try:
        os.link(target, old)
        return old
    except OSError:  # a file system without hard links: commit without a backup
        return None


# ------------------------------------------------------------------ checks
def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise CpaError(f"output folder {folder} is a file", "give a folder name with --out")


def _check_distinct(targets: list[Path]) -> None:
    seen: set[str] = set()
    for t in targets:
        key = os.path.normcase(os.path.realpath(t))
        if key in seen:
            raise CpaError(f"two outputs would both be written to {t}", "give each output its own path")
        seen.add(key)


def _check_targets(targets: Iterable[Path]) -> None:
    """Refuse a directory where a file should go, or a file where a folder should be."""
    for t in targets:
        if t.is_dir():
            raise CpaError(f"cannot write {t}: it is a directory",
                           "remove or rename that directory, or write the outputs somewhere else")
        for parent in t.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise CpaError(f"cannot write {t}: {parent} is a file, not a folder",
                                   "choose an output path whose folders are folders")
                break


def _make_parents(targets: Iterable[Path]) -> list[Path]:
    """Create the missing folders above ``targets``; return the ones created, deepest last."""
    created: list[Path] = []
    try:
        for t in targets:
            missing = [p for p in t.parents if not p.exists()]
            for d in reversed(missing):
                try:
                    d.mkdir()
                except FileExistsError:
                    if not d.is_dir():
                        raise CpaError(f"cannot write {t}: {d} is a file, not a folder") from None
                    continue
                except OSError as exc:
                    raise _write_error(t, exc, folder=d) from None
                created.append(d)
    except BaseException:
        _remove_dirs(created)
        raise
    return created


def _write_error(target: Path, exc: OSError, folder: Path | None = None) -> CpaError:
    where = f" (creating folder {folder})" if folder is not None else ""
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        hint = "free some space, or write the outputs somewhere else"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check that you may write to that folder, or write the outputs somewhere else"
    else:
        hint = "check the folder exists, is writable and has space"
    return CpaError(f"cannot write {target}{where}: {why}", hint)


# ------------------------------------------------------------------ manifest
def _relative(rel: str) -> PurePosixPath:
    p = PurePosixPath(str(rel).replace("\\", "/"))
    if p.is_absolute() or not p.parts or ".." in p.parts or str(p) in (".", MANIFEST):
        raise ValueError(f"output name {rel!r} must be a plain relative path inside the folder")
    return p


def _posix(p: Path) -> str:
    return PurePosixPath(*p.parts).as_posix()


def _manifest_text(files: Mapping[str, str]) -> str:
    doc = {"about": "files cpa wrote in this folder; the next cpa run here removes those it does not rewrite",
           "cpa_version": __version__, "files": dict(sorted(files.items()))}
    return json.dumps(doc, indent=1) + "\n"


def _read_manifest(folder: Path) -> dict[str, str]:
    """The earlier manifest's files (relative path -> SHA-256); an unreadable manifest counts as none."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = doc["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict):
        return {}
    out = {}
    for rel, digest in files.items():
        try:
            _relative(rel)
        except ValueError:
            continue  # never follow a name out of the folder
        if isinstance(digest, str):
            out[rel] = digest
    return out


def _remove_stale(folder: Path, old: Mapping[str, str], written: Mapping[str, str]) -> None:
    """Remove the files ``old`` lists and ``written`` does not, if unchanged since; then their empty folders."""
    root = folder.resolve()
    emptied = set()
    for rel, digest in old.items():
        if rel in written:
            continue
        path = folder / _relative(rel)
        try:
            if path.is_symlink() or not path.is_file() or root not in path.resolve().parents:
                continue
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                continue  # changed since cpa wrote it: the user's now
            path.unlink()
        except OSError:
            continue
        emptied.update(p for p in path.parents if p != folder and folder in p.parents)
    for d in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            d.rmdir()  # only if empty


# ------------------------------------------------------------------ small helpers
def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _remove_dirs(created: list[Path]) -> None:
    for d in reversed(created):
        with contextlib.suppress(OSError):
            d.rmdir()


@contextlib.contextmanager
def _locked(folders: list[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder (in a fixed order, so two writers cannot deadlock)."""
    if fcntl is None:
        yield
        return
    fds = []
    try:
        for folder in folders:
            fds.append(_lock_one(folder))
        yield
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _lock_one(folder: Path) -> int:
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise CpaError(f"another cpa has been writing to {folder} for {LOCK_TIMEOUT_S:.0f} s",
                                       "wait for it to finish, or write the outputs somewhere else") from None
                    time.sleep(0.05)
                except OSError:  # a file system without locks: write without one
                    return fd
            if os.fstat(fd).st_nlink > 0:
                return fd
            # The folder was removed while we waited (the other writer failed and tidied up): make it again.
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        folder.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done, then act on them as usual.

    Python runs signal handlers in the main thread, so swapping the handlers
    there covers a signal delivered to any thread (a solver's, say). In
    another thread the main thread's handlers cannot interrupt this one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for sig in DEFERRED_SIGNALS:
        previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(caught):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)
