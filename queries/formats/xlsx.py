"""The one .xlsx writer: every workbook the app hands out is made here, with xlsxwriter.

Text from the database (unit names, codes) can be anything a bureau's system exported,
including ``=HYPERLINK(...)``. Spreadsheet programs run a cell that is stored as a formula,
so text must always be stored as text (a shared string), never guessed at:

* ``workbook`` opens an xlsxwriter workbook with ``strings_to_formulas``, ``strings_to_urls``
  and ``strings_to_numbers`` off, so even a plain ``worksheet.write`` (or ``merge_range``,
  which writes through it) stores a ``str`` as a string;
* ``write_cell`` writes one value by its Python type: numbers as numbers, text with
  ``write_string``, missing values as blank cells.

Reading workbooks (the importer, the filled-in target template) stays with openpyxl. No
streamlit here: queries/targets_io writes the target template with it.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

OPTIONS = {
    "in_memory": True,
    # NaN and inf never reach write_number (write_cell blanks them); an error if one does
    "nan_inf_to_errors": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def workbook(buf: io.BytesIO, properties: dict[str, str] | None = None):
    """An xlsxwriter ``Workbook`` writing into ``buf`` that never turns text into formulas,
    links or numbers. Close it, then read ``buf.getvalue()``."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(buf, OPTIONS)
    if properties:
        wb.set_properties(properties)
    return wb


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\ ."""
    cleaned = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'")
    return cleaned[:31] or "Sheet1"


def missing(value: Any) -> bool:
    """None, NA, NaT, NaN or an infinity: written as a blank cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(float(value))
    return False


def write_cell(ws, row: int, col: int, value: Any, cell_format=None) -> None:
    """Write ``value`` at (row, col) as what it is: a number, a boolean, a blank, or text.

    Anything that is not a number or a boolean is written with ``write_string``, so it is
    shown exactly as given and never evaluated. Dates are written as ISO text
    (YYYY-MM-DD), which is what the importer reads back.
    """
    if missing(value):
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value), cell_format)
    elif isinstance(value, (int, float, Decimal, np.integer, np.floating)):
        ws.write_number(row, col, float(value), cell_format)
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
        ws.write_string(row, col, text, cell_format)
    elif isinstance(value, date):
        ws.write_string(row, col, value.isoformat(), cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)
