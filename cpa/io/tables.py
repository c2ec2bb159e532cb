"""Reading the user's CSV files: existence, encoding, delimiter, blank cells.

Every check raises :class:`~cpa.errors.CpaError` with what is wrong, where,
and how to fix it. Nothing here guesses silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from pathlib import Path

import pandas as pd

from ..errors import CpaError
from .safe import read_cell


def blank_rows(values: pd.Series) -> list[int]:
    """File line numbers of blank cells in a column of :func:`read_csv` (its index is the line number)."""
    blank = values.isna() | (values.astype(str).str.strip() == "")
    return [int(i) for i in values.index[blank.to_numpy()]]


def existing_file(path: str | os.PathLike, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise CpaError(f"{what} not found: {p}", "check the path (it is relative to the current directory)")
    if p.is_dir():
        raise CpaError(f"{what} is a directory, not a file: {p}")
    if not os.access(p, os.R_OK):
        raise CpaError(f"{what} is not readable: {p}", "check the file's permissions")
    return p


#: Byte-order marks of the encodings read besides UTF-8 (UTF-32 first: its LE mark starts like UTF-16's).
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
DELIMITERS = ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes"))


def _decode(raw: bytes, p: Path, what: str) -> str:
    """The file's text: UTF-8, or UTF-16/32 with a byte-order mark (Excel's "Unicode text")."""
    encoding = next((enc for bom, enc in BOMS if raw.startswith(bom)), "utf-8")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise CpaError(f"{what} {p} starts like {encoding.upper()} text but is not ({exc.reason})",
                           "re-save it as 'CSV UTF-8' (Excel) or UTF-8 text") from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CpaError(f"{what} {p} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line})",
                       "re-save it as 'CSV UTF-8' (Excel) or UTF-8 text; older Excel CSVs are Windows-1252") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CpaError(f"{what} {p} is not text: it holds a NUL byte on line {line}",
                       "save it as CSV UTF-8 text (a UTF-16 file needs its byte-order mark)")
    return text


def read_csv(path: str | os.PathLike, what: str) -> pd.DataFrame:
    """A CSV file as text cells, checked: encoding, delimiter, one header row with unique names, and no
    row with more fields than the header. The index is each row's line number in the file (for
    messages); cells keep their text, with the formula guard that :func:`cpa.io.safe.csv_cell` adds
    taken off again, so files the tool wrote read back as they were."""
    p = existing_file(path, what)
    text = _decode(p.read_bytes(), p, what)
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    header, rows, lines = None, [], []
    try:
        for record in reader:
            if not record:
                continue  # a blank line
            if header is None:
                header = [c.strip() for c in record]
                _check_header(header, p, what)
                continue
            if len(record) > len(header):
                raise CpaError(f"{what} {p}: line {reader.line_num} has {len(record)} fields but the header has "
                               f"{len(header)} ({', '.join(header)})",
                               "a comma inside a name needs the cell in double quotes (\"Bath, North East\"); "
                               "otherwise delete the extra field")
            rows.append([read_cell(c) for c in record] + [""] * (len(header) - len(record)))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise CpaError(f"{what} {p} is not a readable CSV: {exc} (line {reader.line_num})",
                       "save it as comma-separated UTF-8 text with a header row; quote cells that hold commas "
                       "or quotes") from None
    if header is None:
        raise CpaError(f"{what} {p} is not a readable CSV: it is empty", "save it with a header row, e.g. lad_code,area")
    return pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)


def _check_header(header: list[str], p: Path, what: str) -> None:
    for i, name in enumerate(header):
        if name == "":
            header[i] = f"Unnamed: {i}"
    if len(header) == 1:
        for sep, label in DELIMITERS:
            if sep in header[0]:
                raise CpaError(f"{what} {p} separates its columns with {label}, not commas "
                               f"(header {header[0]!r})",
                               "save it as CSV with commas, e.g. Excel 'CSV UTF-8 (Comma delimited)'")
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        if name in seen:
            raise CpaError(f"{what} {p} has the column {name!r} twice (columns {seen[name]} and {i})",
                           "rename or delete one of them: which one to use would be a guess")
        seen[name] = i
