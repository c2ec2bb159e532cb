"""Reading the user's CSV files: existence, encoding, delimiter, blank cells.

Every check raises :class:`~cpa.errors.CpaError` with what is wrong, where,
and how to fix it. Nothing here guesses silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CpaError


def blank_rows(values: pd.Series) -> list[int]:
    """1-based file line numbers (header = line 1) of blank cells in a CSV column."""
    blank = values.isna() | (values.astype(str).str.strip() == "")
    return [int(i) + 2 for i in np.flatnonzero(blank.to_numpy())]


def existing_file(path: str | os.PathLike, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise CpaError(f"{what} not found: {p}", "check the path (it is relative to the current directory)")
    if p.is_dir():
        raise CpaError(f"{what} is a directory, not a file: {p}")
    if not os.access(p, os.R_OK):
        raise CpaError(f"{what} is not readable: {p}", "check the file's permissions")
    return p


def _first_bad_byte(p: Path) -> str:
    # pandas decodes in chunks, so its error offset is not a file position: find the line here.
    raw = p.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return f"byte 0x{raw[exc.start]:02x} on line {line}"
    return "undecodable bytes"


def read_csv(path: str | os.PathLike, what: str) -> pd.DataFrame:
    p = existing_file(path, what)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except UnicodeDecodeError:
        raise CpaError(f"{what} {p} is not UTF-8 text ({_first_bad_byte(p)})",
                       "re-save it as 'CSV UTF-8' (Excel) or UTF-8 text; older Excel CSVs are Windows-1252") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CpaError(f"{what} {p} is not a readable CSV: {str(exc).strip().splitlines()[0]}",
                       "save it as comma-separated UTF-8 text with a header row") from None
    df.columns = [c.strip() for c in df.columns]
    if len(df.columns) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs")):
            if sep in df.columns[0]:
                raise CpaError(f"{what} {p} separates its columns with {label}, not commas "
                               f"(header {df.columns[0]!r})",
                               "save it as CSV with commas, e.g. Excel 'CSV UTF-8 (Comma delimited)'")
    return df
