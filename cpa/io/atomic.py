"""Write outputs whole or not at all.

Every file the tool writes goes to a temporary file in the same directory and
is renamed over the target only when complete, so an interrupted run (Ctrl-C,
error, time limit) never leaves a half-written file or clobbers a good one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import CpaError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        # mkstemp makes the file 0600; give the result the mode a plain open() would (or keep the old file's).
        os.chmod(tmp_path, _mode_for(target))
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text(target: str | os.PathLike, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_files(out_dir: str | os.PathLike, files: dict[str, str | bytes]) -> list[Path]:
    """Write already-rendered files (relative name -> contents) into ``out_dir``, each whole or not at all."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CpaError(f"output folder {out} is a file", "give a folder name with --out")
    return [write_bytes(out / rel, data) if isinstance(data, bytes) else write_text(out / rel, data)
            for rel, data in files.items()]
