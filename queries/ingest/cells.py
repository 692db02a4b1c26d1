"""Each file's columns and cells against the format: headers, then every cell of every column.

``read_table`` checks a file's header (unknown, doubled and missing columns); ``check_cells``
skips blank rows and checks every cell against its column's declaration in ``spec.SPEC``:
required, parseable as its kind, one of the allowed values, within its bounds, a date not
before 1900 nor after today, a year not after this year (targets: next year). Text is
checked as both databases would store it (``check_text``): valid UTF-8, no control
character, no longer than its column's ``String(n)`` in ``queries.store.schema``.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from queries.ingest import values
from queries.ingest.checking import CELL, Findings, Table
from queries.ingest.spec import MIN_DATE, MIN_YEAR, SPEC, SPEC_COLUMNS, TABLE_NAMES, Col
from queries.ingest.values import Mask, isin
from queries.store import schema


def read_table(found: Findings, name: str, frame: pd.DataFrame) -> Table | None:
    """The file as a ``Table``, broken if a column is missing or doubled; None if not a table."""
    label = found.label(name)
    if name not in SPEC:
        found.add(name, None, None, "unknown_file", value=label, tables=", ".join(TABLE_NAMES))
        return None
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    t = Table(name, label, frame)
    known = [c.name for c in SPEC[name]]
    if len(frame.columns) == 0:
        found.add(t, None, None, "empty_file", columns=", ".join(known))
        t.broken = True
        return t
    for c in frame.columns:
        if c not in known:
            found.add(t, None, c, "unknown_column", value=c, label=label, columns=", ".join(known))
    columns = pd.Index(frame.columns)
    for c in columns[columns.duplicated()].unique():
        found.add(t, None, c, "doubled_column", value=c)
        t.broken = True
    for col in SPEC[name]:
        if col.name not in frame.columns and not col.optional_column:
            found.add(t, None, col.name, "missing_column")
            t.broken = True
    return t


def check_cells(found: Findings, t: Table, today: date) -> None:
    """Drop the blank rows (keeping the others' numbers), then check and parse every column."""
    frame = t.raw
    blank = np.ones(len(t), dtype=bool)
    for name in frame.columns:
        s = frame[name]
        if ptypes.is_object_dtype(s) or ptypes.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            as_text = values.text(s)
            if name in SPEC_COLUMNS[t.name]:
                t.text[name] = as_text
            blank &= as_text == ""
        else:
            blank &= s.isna().to_numpy()
    if blank.any():  # blank rows are skipped; row numbers are kept
        keep = ~blank
        t.raw = frame = frame[keep]
        t.rows = t.rows[keep]
        t.text = {k: v[keep] for k, v in t.text.items()}
    for c in SPEC[t.name]:
        if c.name in frame.columns:
            _check_column(found, t, c, today)
        else:  # an optional column left out
            t.values[c.name] = np.full(len(t), None, dtype=object)
            t.ok[c.name] = np.ones(len(t), dtype=bool)


def _check_column(found: Findings, t: Table, c: Col, today: date) -> None:
    s = t.raw[c.name]
    as_text = t.text.get(c.name)

    if c.kind in ("text", "enum"):
        if as_text is None:
            as_text = t.text[c.name] = values.text(s)
        missing = as_text == ""
        parsed = as_text
        bad = np.zeros(len(t), dtype=bool)
        if c.kind == "text":
            bad = check_text(found, t, c.name, as_text)
        if c.kind == "enum":
            bad = ~missing & ~isin(as_text, c.allowed)
            found.add(t, bad, c.name, "not_one_of", value=CELL, allowed=", ".join(c.allowed))
    elif c.kind == "date":
        parsed, missing, bad = values.dates(s, as_text)
        found.add(t, bad, c.name, "not_a_date", value=CELL)
        fine = ~missing & ~bad
        early = fine & (parsed < np.datetime64(MIN_DATE.date().isoformat(), "us"))
        found.add(t, early, c.name, "date_too_early", value=CELL, first=MIN_DATE.date().isoformat())
        future = fine & (parsed > np.datetime64(today.isoformat(), "us"))
        found.add(t, future, c.name, "date_in_future", value=CELL, today=today.isoformat())
        bad = bad | early | future
    else:
        parsed, missing, bad = values.numbers(s, as_text)
        if c.kind == "flag":
            bad = bad | (~missing & (parsed != 0) & (parsed != 1))
            found.add(t, bad, c.name, "not_a_flag", value=CELL)
        else:
            found.add(t, bad, c.name, "not_a_number" if c.kind == "num" else "not_whole", value=CELL)
            if c.kind in ("int", "year"):
                with np.errstate(invalid="ignore"):
                    frac = ~missing & ~bad & (np.mod(parsed, 1) != 0)
                found.add(t, frac, c.name, "not_whole", value=CELL)
                bad = bad | frac
            bad = bad | _check_range(found, t, c, parsed, missing | bad, today)
    if not c.may_be_empty:
        found.add(t, missing, c.name, "required")
    t.values[c.name] = parsed
    t.ok[c.name] = ~bad if c.may_be_empty else ~missing & ~bad


def _check_range(
    found: Findings,
    t: Table,
    c: Col,
    parsed: np.ndarray,
    skip: Mask,
    today: date,
) -> Mask:
    """The numbers outside their column's bounds (years: 1900 to this year, targets next year)."""
    with np.errstate(invalid="ignore"):
        if c.kind == "year":
            hi = today.year + 1 if t.name == "targets" else today.year
            low = ~skip & (parsed < MIN_YEAR)
            high = ~skip & (parsed > hi)
            found.add(t, low, c.name, "year_too_early", value=CELL, first=MIN_YEAR)
            why = "year_after_next" if t.name == "targets" else "year_in_future"
            found.add(t, high, c.name, why, value=CELL, last=hi)
            return low | high
        out = np.zeros(len(t), dtype=bool)
        if c.lo is not None:
            low = ~skip & (parsed < c.lo)
            if c.lo == 0 and c.kind == "int":
                found.add(t, low, c.name, "negative_count", value=CELL)
            elif c.lo == 0:
                found.add(t, low, c.name, "negative", value=CELL, col=c.name)
            else:
                found.add(t, low, c.name, "below_min", value=CELL, lo=f"{c.lo:g}", col=c.name)
            out |= low
        if c.hi is not None:
            high = ~skip & (parsed > c.hi)
            found.add(t, high, c.name, "above_max", value=CELL, hi=f"{c.hi:,g}", col=c.name)
            out |= high
    return out


# C0 controls and DEL: PostgreSQL refuses NUL in text and SQLite keeps it, and no clerk
# means any of them in a code or a name (a tab or line break included).
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CONTROL_BYTES = bytes(range(0x20)) + b"\x7f"
# Lone surrogates: what a broken decoding leaves; neither database can store them as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_limit(table: str, column: str) -> int | None:
    """The most characters the database column behind ``table.column`` holds (``String(n)``)."""
    return getattr(schema.metadata.tables[table].c[column].type, "length", None)


def check_text(found: Findings, t: Table, column: str, as_text: np.ndarray) -> Mask:
    """Text that both databases store as written: UTF-8, no control character, no longer
    than the schema's ``String(n)``. Checked here, row by row, because PostgreSQL would
    refuse the whole import with one line and SQLite would store it."""
    bad = np.zeros(len(t), dtype=bool)
    if not len(as_text):
        return bad
    # The common case, a clean column, costs one pass over the joined text (70 ms for a
    # million ids); the rows at fault are looked for only when there are some.
    joined = "".join(as_text)
    try:
        encoded = joined.encode("utf-8")
        broken = False
    except UnicodeEncodeError:
        encoded, broken = joined.encode("utf-8", "surrogatepass"), True
    controls = len(encoded.translate(None, _CONTROL_BYTES)) != len(encoded)  # UTF-8 hides none in a sequence
    cells = pd.Series(as_text, dtype=object, copy=False)
    for code, pattern, present in (
        ("not_unicode", _SURROGATE, broken),
        ("control_character", _CONTROL, controls),
    ):
        if not present:
            continue
        hit = cells.str.contains(pattern, regex=True).to_numpy(dtype=bool) & ~bad

        def char(m: Mask, pattern: re.Pattern = pattern) -> list[str]:
            return [f"U+{ord(pattern.search(v).group()):04X}" for v in as_text[m]]  # type: ignore[union-attr]

        found.add(t, hit, column, code, value=CELL, char=char)
        bad |= hit
    limit = text_limit(t.name, column)
    if limit is not None and len(joined) > limit:
        lengths = np.fromiter(map(len, as_text), dtype=np.int64, count=len(as_text))
        long = ~bad & (lengths > limit)
        found.add(t, long, column, "too_long", value=CELL, limit=limit, col=column)
        bad |= long
    return bad
