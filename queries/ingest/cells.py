"""Each file's columns and cells against the format: headers, then every cell of every column.

``read_table`` checks a file's header (unknown, doubled and missing columns); ``check_cells``
skips blank rows and checks every cell against its column's declaration in ``spec.SPEC``:
required, parseable as its kind, one of the allowed values, within its bounds, a date not
before 1900 nor after today, a year not after this year (targets: next year).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from queries.ingest import values
from queries.ingest.checking import CELL, Findings, Table
from queries.ingest.spec import MIN_DATE, MIN_YEAR, SPEC, SPEC_COLUMNS, TABLE_NAMES, Col
from queries.ingest.values import Mask, isin, quote


def read_table(found: Findings, name: str, frame: pd.DataFrame) -> Table | None:
    """The file as a ``Table``, broken if a column is missing or doubled; None if not a table."""
    label = found.label(name)
    if name not in SPEC:
        found.add(
            name,
            None,
            None,
            f"unknown file '{label}'; an import holds only the tables {', '.join(TABLE_NAMES)}",
        )
        return None
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    t = Table(name, label, frame)
    known = [c.name for c in SPEC[name]]
    if len(frame.columns) == 0:
        found.add(t, None, None, f"is empty; it needs at least the header row ({', '.join(known)})")
        t.broken = True
        return t
    for c in frame.columns:
        if c not in known:
            found.add(t, None, c, f"unknown column '{c}'; {label} has the columns {', '.join(known)}")
    columns = pd.Index(frame.columns)
    for c in columns[columns.duplicated()].unique():
        found.add(t, None, c, f"column '{c}' appears more than once")
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

    def quoted(m: Mask) -> np.ndarray:
        return quote(t.raw_text(c.name, m))

    if c.kind in ("text", "enum"):
        if as_text is None:
            as_text = t.text[c.name] = values.text(s)
        missing = as_text == ""
        parsed = as_text
        bad = np.zeros(len(t), dtype=bool)
        if c.kind == "enum":
            bad = ~missing & ~isin(as_text, c.allowed)
            found.add(t, bad, c.name, "not_one_of", value=CELL, allowed=", ".join(c.allowed))
    elif c.kind == "date":
        parsed, missing, bad = values.dates(s, as_text)
        found.add(t, bad, c.name, "not_a_date", value=CELL)
        fine = ~missing & ~bad
        early = fine & (parsed < np.datetime64(MIN_DATE.date().isoformat(), "us"))
        found.add(t, early, c.name, lambda m: quoted(m) + f" is before {MIN_DATE.date()}")
        future = fine & (parsed > np.datetime64(today.isoformat(), "us"))
        found.add(t, future, c.name, lambda m: quoted(m) + f" is in the future (today is {today})")
        bad = bad | early | future
    else:
        parsed, missing, bad = values.numbers(s, as_text)
        if c.kind == "flag":
            bad = bad | (~missing & (parsed != 0) & (parsed != 1))
            found.add(t, bad, c.name, lambda m: quoted(m) + " is not 1 or 0")
        else:
            what = "a number" if c.kind == "num" else "a whole number"
            found.add(t, bad, c.name, lambda m: quoted(m) + f" is not {what}")
            if c.kind in ("int", "year"):
                with np.errstate(invalid="ignore"):
                    frac = ~missing & ~bad & (np.mod(parsed, 1) != 0)
                found.add(t, frac, c.name, lambda m: quoted(m) + " is not a whole number")
                bad = bad | frac
            bad = bad | _check_range(found, t, c, parsed, missing | bad, quoted, today)
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
    quoted: Callable[[Mask], np.ndarray],
    today: date,
) -> Mask:
    """The numbers outside their column's bounds (years: 1900 to this year, targets next year)."""
    with np.errstate(invalid="ignore"):
        if c.kind == "year":
            hi = today.year + 1 if t.name == "targets" else today.year
            low = ~skip & (parsed < MIN_YEAR)
            high = ~skip & (parsed > hi)
            found.add(t, low, c.name, lambda m: "year " + quoted(m) + f" is before {MIN_YEAR}")
            if t.name == "targets":
                why = f" is after next year; targets can be set up to {hi}"
            else:
                why = f" is in the future (this year is {hi})"
            found.add(t, high, c.name, lambda m: "year " + quoted(m) + why)
            return low | high
        out = np.zeros(len(t), dtype=bool)
        if c.lo is not None:
            low = ~skip & (parsed < c.lo)
            if c.lo == 0:
                noun = "a count" if c.kind == "int" else c.name
                found.add(t, low, c.name, lambda m: quoted(m) + f" is negative; {noun} cannot be below 0")
            else:
                why = f" is below {c.lo:g}; {c.name} counts from {c.lo:g}"
                found.add(t, low, c.name, lambda m: quoted(m) + why)
            out |= low
        if c.hi is not None:
            high = ~skip & (parsed > c.hi)
            found.add(t, high, c.name, lambda m: quoted(m) + f" is above {c.hi:,g}, not a plausible {c.name}")
            out |= high
    return out
