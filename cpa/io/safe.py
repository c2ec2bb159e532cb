"""Text that leaves the tool safely: one escaping function for every HTML sink, one CSV writer.

Strings from input (file names, plan labels, area names, option names, unit
names) end up in HTML pages, CSV files and Markdown tables.

* In HTML they must never become markup: :func:`escape_html` escapes them for
  element content, quoted attributes and the JavaScript template literals
  folium builds tooltips with.
* In a spreadsheet a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return (or their full-width forms) is read as a formula (OWASP
  "CSV injection"), so :func:`csv_cell` gives such text a leading apostrophe.
  Plain numbers are left alone (``-3.5`` stays a number), and so is every
  number-typed cell. Text that already starts with an apostrophe gets one
  more, so :func:`read_cell` (used by every CSV reader) can take exactly one
  off again: a file the tool writes reads back to the same labels.
* In a Markdown table :func:`markdown_cell` keeps ``|`` and line breaks from
  breaking the table and markup from being rendered.
"""

from __future__ import annotations

import io
import math
import numbers
import re

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (with the full-width forms
#: some spreadsheets also accept).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: The guard put in front of such a cell.
GUARD = "'"
#: Text that is a plain number: a spreadsheet reads it as that number, so it needs no guard.
PLAIN_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
         # folium puts tooltip text inside a JavaScript template literal: `, ${ and \ must not act there
         "`": "&#96;", "$": "&#36;", "\\": "&#92;"}
_HTML_TABLE = str.maketrans(_HTML)


def escape_html(value) -> str:
    """``value`` as text that is safe in HTML element content, quoted attributes and JS template literals."""
    return str(value).translate(_HTML_TABLE)


def csv_cell(value):
    """A cell that a spreadsheet will not run: text starting like a formula gets a leading ``'``.

    Text already starting with ``'`` gets one too, so :func:`read_cell` can
    undo exactly what was done. Plain numbers in text (``-3``) stay as they are.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(GUARD) or (value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value)):
        return GUARD + value
    return value


def read_cell(value: str) -> str:
    """The text :func:`csv_cell` was given: one guard apostrophe off, where it precedes a formula
    character or another apostrophe (a plain ``'quoted`` cell from elsewhere stays as it is)."""
    if isinstance(value, str) and value.startswith(GUARD) and value[1:2] and (
            value[1:].startswith(FORMULA_STARTS) or value[1] == GUARD):
        return value[1:]
    return value


def _is_number(value) -> bool:
    return (isinstance(value, numbers.Number) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isnan(value))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot become formulas."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: v if _is_number(v) else csv_cell(v)).astype(object)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def csv_text(df: pd.DataFrame, index: bool = False) -> str:
    """``df`` as CSV text (``\\n`` line ends), every text cell neutralised (see :func:`csv_cell`)."""
    buf = io.StringIO()
    safe = safe_frame(df.reset_index() if index else df)
    safe.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def markdown_cell(value) -> str:
    """Text for a Markdown table cell or line: pipes and line breaks cannot break the table, and
    markup shows as text (Markdown passes HTML through)."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")  # no tag can open; a lone & stays readable
