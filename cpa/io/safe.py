"""Text that leaves the tool safely: one escaping function for every HTML sink, one CSV writer.

Strings from input (file names, plan labels, area names, option names, unit
names) end up in HTML pages and CSV files. In HTML they must never become
markup; in a spreadsheet a cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is read as a formula (OWASP "CSV injection"), so such
cells get a leading apostrophe. Numbers are left alone (``-3.5`` stays a
number).
"""

from __future__ import annotations

import html
import io
import math
import numbers

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_html(value) -> str:
    """``value`` as text that is safe inside HTML element content and quoted attributes."""
    return html.escape(str(value), quote=True)


def csv_cell(value):
    """A cell that a spreadsheet will not run: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool) or (
        isinstance(value, float) and math.isnan(value))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot become formulas."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: v if _is_number(v) else csv_cell(v))
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def csv_text(df: pd.DataFrame, index: bool = False) -> str:
    """``df`` as CSV text (``\\n`` line ends), every text cell neutralised (see :func:`csv_cell`)."""
    buf = io.StringIO()
    safe = safe_frame(df.reset_index() if index else df)
    safe.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def markdown_cell(value) -> str:
    """Text for a Markdown table cell: pipes and line breaks cannot break the table."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
