"""An .xlsx workbook as all-string frames, one a sheet: each cell as the text a person sees.

Read with ``python-calamine`` (Rust), about seven times faster than openpyxl on the demo's
LibreOffice workbook, the XML scan included (3.1–3.9 s against 21.7–29.1 s, docs/benchmarks.md,
``benchmarks/workbook_bench.py``). Calamine gives a cell's saved value only, so a
formula without one (the file was written by a program that did not compute it) and an
error cell (``#DIV/0!``) would both read as empty: the sheet's XML is scanned for them,
streaming, and they are refused naming the cell.

Cells as text: a whole number without ``.0``; a date as ``YYYY-MM-DD`` (with the time if it
has one); TRUE/FALSE as shown. In an id or code column (``text`` kind) a number of 15 digits
or more is refused: Excel keeps 15 significant digits, so an 18-digit id typed as a number
has already lost its last ones.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.limits import Limits
from queries.ingest.read_csv import check_header, keep_named
from queries.ingest.spec import SPEC, TABLE_NAMES, default_label
from queries.store.db import first_line

# Excel's precision: a number cell holds at most 15 significant digits.
EXACT_BELOW = 1e15
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]+(\d+)"')
_REF = re.compile(r"([A-Z]+)(\d+)")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def read_workbook(path: Path, limits: Limits, progress=None) -> dict[str, pd.DataFrame]:
    limits.check_size(path.name, path.stat().st_size)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed(
            RowError.of(path.name, None, None, "not_a_workbook", reason=first_line(exc))
        ) from exc
    with archive:
        limits.check_archive(path.name, archive)
        try:
            members = _sheet_members(archive)
            book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # a damaged or foreign file fails in many ways
            raise ImportFailed(
                RowError.of(path.name, None, None, "not_a_workbook", reason=first_line(exc))
            ) from exc
        frames: dict[str, pd.DataFrame] = {}
        errors: list[RowError] = []
        hidden = {str(m.name) for m in book.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
        names = [str(n) for n in book.sheet_names]
        for done, sheet in enumerate(names):
            if progress is not None:
                progress(done, len(names), f"read {sheet}")
            table = sheet.strip().lower()
            if table not in TABLE_NAMES and (sheet in hidden or _empty(book, sheet)):
                continue  # a hidden sheet WPS or a macro keeps, an empty Sheet1 Excel leaves: no data
            if table not in TABLE_NAMES:
                errors.append(
                    RowError.of(
                        f"{path.name} sheet {sheet.strip()}",
                        None,
                        None,
                        "unknown_sheet",
                        tables=", ".join(TABLE_NAMES),
                    )
                )
                continue
            label = default_label(table, path.name)
            if table in frames:
                errors.append(RowError.of(label, None, None, "second_sheet", table=table))
                continue
            try:
                frames[table] = _read_sheet(archive, book, sheet, members.get(sheet), table, label, limits)
            except ImportFailed as exc:
                errors.extend(exc.errors)
                frames[table] = pd.DataFrame()
    if errors:
        raise ImportFailed(errors)
    if progress is not None:
        progress(len(names), len(names), "read")
    return frames


def _read_sheet(
    archive: zipfile.ZipFile,
    book: CalamineWorkbook,
    sheet: str,
    member: str | None,
    table: str,
    label: str,
    limits: Limits,
) -> pd.DataFrame:
    if member is not None:  # the size the sheet declares, before calamine loads it whole
        with archive.open(member) as fh:
            m = _DIMENSION.search(fh.read(4096))
        if m:
            limits.check_rows(label, int(m.group(1)) - 1)
    try:
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise ImportFailed(RowError.of(label, None, None, "not_a_workbook", reason=first_line(exc))) from exc
    limits.check_rows(label, max(len(rows) - 1, 0))
    if not rows or not any(_shown(v) for v in rows[0]):
        if len(rows) > 1:
            raise ImportFailed(RowError.of(label, None, None, "no_header_row"))
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    header = [_shown(v).strip() for v in rows[0]] + [""] * (width - len(rows[0]))
    names = check_header(label, header)
    errors = [
        RowError.of(label, row, _name_at(names, col), code, value, cell=ref)
        for ref, row, col, code, value in (_suspect_cells(archive, member) if member else ())
    ]
    body = pd.DataFrame(rows[1:], columns=range(width), dtype=object)
    kinds = {c.name: c.kind for c in SPEC[table]}
    columns = {}
    for i, name in enumerate(names):
        text, lost = _as_text(body[i], kinds.get(name) == "text")
        columns[i] = text
        for row in lost.nonzero()[0]:
            errors.append(RowError.of(label, int(row) + 2, name, "id_lost_digits", text[row]))
    if errors:
        raise ImportFailed(errors)
    return keep_named(label, pd.DataFrame(columns, index=body.index), names)


def _empty(book: CalamineWorkbook, sheet: str) -> bool:
    try:
        rows = book.get_sheet_by_name(sheet).to_python()
    except Exception:  # unreadable: reported as an unknown sheet
        return False
    return not any(_shown(v).strip() for row in rows for v in row)


def _name_at(names: list[str], col: int) -> str | None:
    return names[col] if col < len(names) and names[col] else None


def _shown(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < EXACT_BELOW:
        return str(int(v))
    return str(v)


def _as_text(s: pd.Series, is_id: bool) -> tuple[pd.Series, np.ndarray]:
    """A column of calamine's values as the text a person sees; and, in an id column, the
    numbers too long to be exact. Typed per kind of value, not per cell."""
    values = s.to_numpy(dtype=object)
    kinds = s.map(type)

    def of(*types: type) -> np.ndarray:
        return kinds.isin(types).to_numpy()

    out = np.full(len(values), "", dtype=object)
    lost = np.zeros(len(values), dtype=bool)
    is_str = of(str)
    out[is_str] = values[is_str]
    is_num = of(float, int)
    if is_num.any():
        f = values[is_num].astype("float64")
        whole = np.isfinite(f) & (np.mod(f, 1, where=np.isfinite(f), out=np.ones_like(f)) == 0)
        exact = whole & (np.abs(f) < EXACT_BELOW)
        # numpy's own number-to-text conversion: pandas' goes through Arrow strings, 6x slower
        text = np.empty(len(f), dtype=object)
        text[exact] = f[exact].astype("int64").astype(str).astype(object)
        text[~exact] = f[~exact].astype(str).astype(object)  # shortest repr: 1.5, 1e+20
        if is_id:
            # Excel keeps 330781199001011234 as 3.30781199001011E+17 and shows it as
            # 330781199001011000: quoted so, the clerk sees which id it was
            big = whole & ~exact
            text[big] = [str(int(Decimal(f"{x:.15g}"))) for x in f[big]]
            lost[np.flatnonzero(is_num)[big | (~np.isfinite(f))]] = True
        out[is_num] = text
    is_bool = of(bool)
    out[is_bool] = np.where(values[is_bool].astype(bool), "TRUE", "FALSE")
    is_stamp = of(datetime, pd.Timestamp)
    is_day = of(date)
    if is_day.any():
        out[is_day] = (
            pd.to_datetime(pd.Series(values[is_day], dtype=object)).dt.strftime("%Y-%m-%d").to_numpy()
        )
    if is_stamp.any():
        stamps = pd.to_datetime(pd.Series(values[is_stamp], dtype=object))
        midnight = (stamps == stamps.dt.normalize()).to_numpy()
        shown = np.where(
            midnight,
            stamps.dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            stamps.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object),
        )
        out[is_stamp] = shown
    other = of(time, timedelta)
    out[other] = [str(v) for v in values[other]]
    return pd.Series(out, index=s.index, dtype=object), lost


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name to its XML file in the archive (workbook.xml and its relations)."""
    book = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out: dict[str, str] = {}
    for el in book.iter():
        if _local(el.tag) != "sheet":
            continue
        target = targets.get(el.get(f"{{{_REL_NS}}}id") or "")
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        if path in archive.NameToInfo:
            out[str(el.get("name"))] = path
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _suspect_cells(
    archive: zipfile.ZipFile, member: str
) -> Iterator[tuple[str, int | None, int, str, str | None]]:
    """(cell, row, column index, code, value) of every formula without a saved value and every
    error cell. A quick pass over the raw XML first: most exports hold no formula at all."""
    if not _mentions_formula(archive, member):
        return
    with archive.open(member) as fh:
        for _event, el in ET.iterparse(fh, events=("end",)):
            tag = _local(el.tag)
            if tag == "c":
                f = v = None
                for child in el:
                    name = _local(child.tag)
                    if name == "f":
                        f = child
                    elif name == "v":
                        v = child
                t = el.get("t")
                code = None
                if t == "e":
                    code = "error_cell"
                elif f is not None and (v is None or (v.text is None and t not in ("str", "inlineStr"))):
                    code = "formula_without_value"
                if code is not None:
                    ref = el.get("r") or "?"
                    m = _REF.fullmatch(ref)
                    row, col = (int(m.group(2)), _index(m.group(1))) if m else (None, 10**9)
                    yield ref, row, col, code, (v.text if v is not None and code == "error_cell" else None)
                el.clear()
            elif tag == "row":
                el.clear()


def _mentions_formula(archive: zipfile.ZipFile, member: str) -> bool:
    """The XML holds a formula (``<f>``, ``<x:f>``) or an error cell (``t="e"``) somewhere.

    Plain ``bytes.find`` per pattern: ten times faster than one regular expression."""
    tail = b""
    with archive.open(member) as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            buf = tail + chunk
            if b' t="e"' in buf:
                return True
            for mark in (b"<f", b":f"):
                at = buf.find(mark)
                while at >= 0:
                    if buf[at + 2 : at + 3] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
                        return True
                    at = buf.find(mark, at + 2)
            tail = chunk[-8:]
    return False


def _index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
