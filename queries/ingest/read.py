"""Reading an import: a folder of ``<table>.csv`` files or one ``.xlsx`` workbook, as raw text.

``read_source`` gives one all-string frame per table; checking them is ``validate``'s job.

Decisions where interchange.md is silent:

* In a folder, hidden files (``.name``) are ignored; any other file or folder that is not one
  of the nine ``<table>.csv`` files is an error. Names are matched ignoring case.
* CSV text is UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
* Workbook cells that Excel typed are read as what they show: dates as ``YYYY-MM-DD``,
  whole numbers without ``.0``.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.spec import TABLE_NAMES, default_label
from queries.store.db import first_line

_KNOWN_TABLES = ", ".join(TABLE_NAMES)


def read_source(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a folder of CSV files or an .xlsx workbook into raw all-string frames keyed by table.

    Row ``i`` (from 0) of a frame is spreadsheet row ``i + 2``; blank rows are kept (the
    import skips them) so that the numbers stay right. Raises ``ImportFailed`` for a path
    that cannot be read, an unknown file or sheet, or text that is not UTF-8 or GB18030.
    """
    p = Path(path)
    if not p.exists():
        raise ImportFailed(RowError(str(p), None, None, "does not exist"))
    if p.is_dir():
        return _read_folder(p)
    if p.suffix.lower() == ".xlsx":
        return _read_workbook(p)
    raise ImportFailed(
        RowError(
            str(p),
            None,
            None,
            "is neither a folder of CSV files nor an .xlsx workbook "
            "(to import single CSV files, put them in a folder)",
        )
    )


def _read_folder(folder: Path) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    found: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        stem, suffix = entry.stem.lower(), entry.suffix.lower()
        if not entry.is_file() or suffix != ".csv" or stem not in TABLE_NAMES:
            errors.append(
                RowError(
                    entry.name,
                    None,
                    None,
                    f"unknown file; an import folder holds only CSV files named after the tables "
                    f"({_KNOWN_TABLES}), e.g. births.csv",
                )
            )
            continue
        if stem in found:
            errors.append(
                RowError(entry.name, None, None, f"a second file for {stem}, besides {found[stem]}")
            )
            continue
        found[stem] = entry.name
        try:
            frames[stem] = _read_csv(entry, default_label(stem))
        except ImportFailed as exc:
            errors.extend(exc.errors)
    if not found and not errors:
        errors.append(
            RowError(str(folder), None, None, f"has no CSV files to import (expected {_KNOWN_TABLES})")
        )
    if errors:
        raise ImportFailed(errors)
    return frames


def _decode(data: bytes, label: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(RowError(label, None, None, "is neither UTF-8 nor GB18030/GBK text"))


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    try:
        text = _decode(path.read_bytes(), label)
    except OSError as exc:
        raise ImportFailed(RowError(label, None, None, f"cannot be read: {exc.strerror or exc}")) from exc
    if not text.strip():
        raise ImportFailed(RowError(label, None, None, "is empty; it needs at least the header row"))
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False
        )
    except pd.errors.ParserError as exc:
        # pandas puts the useful part, "Expected 5 fields in line 7, saw 6", last
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot be parsed"
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if m:
            raise ImportFailed(
                RowError(label, int(m.group(2)), None, f"has {m.group(3)} cells; the header has {m.group(1)}")
            ) from exc
        raise ImportFailed(RowError(label, None, None, f"is not a readable CSV file: {message}")) from exc
    return frame.fillna("")


def _cell(v) -> str:
    """A workbook cell as the text Excel shows."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFailed(
            RowError(path.name, None, None, f"is not a readable .xlsx workbook: {first_line(exc)}")
        ) from exc
    frames: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    for sheet, frame in sheets.items():
        name = str(sheet).strip()
        if name.lower() not in TABLE_NAMES:
            errors.append(
                RowError(
                    f"{path.name} sheet {name}",
                    None,
                    None,
                    f"unknown sheet; a workbook holds only sheets named after the tables ({_KNOWN_TABLES})",
                )
            )
            continue
        frames[name.lower()] = pd.DataFrame(
            {str(c): frame[c].map(_cell).astype(str) for c in frame.columns}, index=frame.index
        )
    if errors:
        raise ImportFailed(errors)
    return frames
