"""Validation of interchange records (interchange.md): every bad row of every file, before any write.

``validate`` checks a whole import before anything is written and returns DB-ready frames,
or raises ``ImportFailed`` listing every bad cell with its file, spreadsheet row number
(header = row 1), column and a plain-English reason (one reason per cell: the first
found). Each column is parsed once into a numpy array and every check is an array
operation (``to_numeric``, ``to_datetime``, ``isin``, ``duplicated``, merges); Python
loops only over the errors found, to word them.

Rules the interchange spec leaves open, fixed here:

* ``units`` is required when the database has no units yet; later imports may leave it out
  and refer to the units already stored. Unit references are checked against the units of
  the import together with those in the database (an imported unit replaces the stored one
  of the same code, and the resulting tree is what is checked).
* A row whose every cell is empty is skipped (spreadsheets leave such rows behind).
* Years are 1900 or later; ``population`` and ``reported`` years may not be after this
  year, ``targets`` may be set up to next year. Dates are 1900-01-01 or later and not after
  ``today``.
* Plausibility bounds: ``age`` 0-130, ``birth_order`` 1-20, counts below 2^31.
* ``reported`` takes only the survey-reported indicators, and its numerator may not exceed
  its denominator (they are % rates). ``target`` may not be negative.
* A unit may not change to a township or the county while the database holds data rows on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import Connection, select

from queries.engine import registry
from queries.store import schema
from queries.store.schema import DATA_LEVELS, DATA_TABLES, LEVELS
from queries.store.schema import migrants as migrants_table
from queries.store.schema import units as units_table

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in DATA_TABLES)
INT32_MAX = 2_147_483_647
MIN_YEAR = 1900
MIN_DATE = pd.Timestamp(MIN_YEAR, 1, 1)
# Tables whose rows belong to a village or community.
UNIT_DATA_TABLES = ("population", "births", "deaths", "prepregnancy_checks", "migrants", "reported")
_DB_CHUNK = 500  # values per IN (...) lookup


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class RowError:
    """One bad cell (or file); ``row`` is the spreadsheet row number, the header being row 1."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """An import that wrote nothing; ``errors`` lists every bad row, ``str()`` is one line."""

    def __init__(self, errors: Iterable[RowError] | RowError):
        self.errors: list[RowError] = [errors] if isinstance(errors, RowError) else list(errors)
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        if not self.errors:
            return "import failed"
        first = " ".join(str(self.errors[0]).split())
        more = len(self.errors) - 1
        if more:
            first += f" (and {more:,} more error{'s' if more > 1 else ''})"
        return first

    def __str__(self) -> str:
        return self._one_line()

    def lines(self, limit: int | None = None) -> list[str]:
        """One line per error, at most ``limit`` of them plus a line saying how many were left out."""
        shown = self.errors if limit is None else self.errors[:limit]
        out = [" ".join(str(e).split()) for e in shown]
        if len(shown) < len(self.errors):
            out.append(f"... and {len(self.errors) - len(shown):,} more errors")
        return out


# --------------------------------------------------------------------------- the format


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # text | enum | int | flag | num | date | year
    allowed: tuple = ()
    lo: float | None = None
    hi: float | None = None
    may_be_empty: bool = False
    optional_column: bool = False


def _counts(*names: str) -> tuple[Col, ...]:
    return tuple(Col(n, "int", lo=0, hi=INT32_MAX) for n in names)


SEXES = ("M", "F")
FLAG = ("registered", "resident")

SPEC: dict[str, tuple[Col, ...]] = {
    "units": (
        Col("code", "text"),
        Col("name", "text"),
        Col("level", "enum", LEVELS),
        Col("parent_code", "text", may_be_empty=True),
    ),
    "population": (
        Col("year", "year"),
        Col("unit_code", "text"),
        *_counts(
            "registered_population",
            "resident_population",
            "women_15_49",
            "married_women_15_49",
            "eligible_couples",
        ),
    ),
    "births": (
        Col("birth_id", "text"),
        Col("unit_code", "text"),
        Col("birth_date", "date"),
        Col("sex", "enum", SEXES),
        Col("birth_order", "int", lo=1, hi=20),
        Col("in_policy", "flag"),
        Col("registered", "flag"),
        Col("resident", "flag"),
    ),
    "deaths": (
        Col("death_id", "text"),
        Col("unit_code", "text"),
        Col("death_date", "date"),
        Col("sex", "enum", SEXES),
        Col("age", "int", lo=0, hi=130),
        Col("registered", "flag"),
        Col("resident", "flag"),
    ),
    "prepregnancy_checks": (
        Col("check_id", "text"),
        Col("unit_code", "text"),
        Col("couple_id", "text"),
        Col("check_date", "date"),
        Col("risk", "enum", ("low", "high"), may_be_empty=True, optional_column=True),
    ),
    "migrants": (
        Col("migrant_id", "text"),
        Col("unit_code", "text"),
        Col("direction", "enum", ("in", "out")),
        Col("sex", "enum", SEXES),
        Col("arrival_date", "date"),
        Col("departure_date", "date", may_be_empty=True),
    ),
    "migrant_services": (
        Col("service_id", "text"),
        Col("migrant_id", "text"),
        Col("service_date", "date"),
        Col("service", "enum", ("file", "certificate", "contraception", "education", "checkup")),
    ),
    "targets": (
        Col("year", "year"),
        Col("unit_code", "text"),
        Col("indicator", "text"),
        Col("target", "num", lo=0),
    ),
    "reported": (
        Col("year", "year"),
        Col("unit_code", "text"),
        Col("indicator", "text"),
        Col("numerator", "num", lo=0),
        Col("denominator", "num", lo=0),
    ),
}
KEYS: dict[str, tuple[str, ...]] = {t.name: tuple(c.name for c in t.primary_key.columns) for t in DATA_TABLES}
NULLABLE_TEXT = {("units", "parent_code"), ("prepregnancy_checks", "risk")}


def default_label(table: str, source: str = "") -> str:
    """How errors name a table: ``births.csv``, or ``sheet births`` for a workbook."""
    return f"sheet {table}" if str(source).lower().endswith(".xlsx") else f"{table}.csv"


# --------------------------------------------------------------------------- parsing columns
# Columns are parsed once into numpy arrays (text: object arrays of stripped strings;
# numbers: float64; dates: datetime64[us] at midnight); every check is then an array
# operation, and masks are numpy bool arrays.

Mask = np.ndarray
Reason = str | np.ndarray | list | Callable[[Mask], "np.ndarray | list"]


def _text(s: pd.Series) -> np.ndarray:
    """Values as stripped strings in an object array; missing values as ''."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if ptypes.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    if ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s):
        if ptypes.is_float_dtype(s):
            f = s.to_numpy(dtype="float64", na_value=np.nan)
            if np.all(
                np.isnan(f)
                | (np.isfinite(f) & (np.mod(f, 1, where=np.isfinite(f), out=np.ones_like(f)) == 0))
            ):
                s = s.astype("Int64")
        return s.astype(str).where(s.notna(), "").to_numpy(dtype=object)
    if isinstance(s.dtype, pd.StringDtype) or ptypes.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.str.strip().to_numpy(dtype=object, na_value="")
    out = s.where(s.notna(), "")
    out = out.map(lambda v: v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v)
    return out.astype(str).str.strip().to_numpy(dtype=object)


def _isin(arr: np.ndarray, values) -> Mask:
    """``arr``'s elements that are in ``values``: a loop over a few values, else a hash lookup."""
    if not isinstance(values, (np.ndarray, pd.Index, pd.Series)):
        values = list(values)
    if len(values) <= 8:
        out = np.zeros(len(arr), dtype=bool)
        for v in values:
            out |= arr == v
        return out
    return pd.Series(arr, dtype=object, copy=False).isin(values).to_numpy()


def _numbers(s: pd.Series, text: np.ndarray | None) -> tuple[np.ndarray, Mask, Mask]:
    """(values as float64, missing, unparseable)."""
    if ptypes.is_bool_dtype(s) or (
        ptypes.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
    ):
        missing = s.isna().to_numpy()
        values = s.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    else:
        text = _text(s) if text is None else text
        missing = text == ""
        values = np.asarray(pd.to_numeric(text, errors="coerce"), dtype="float64")
    bad = ~missing & ~np.isfinite(values)
    return values, missing, bad


def _strict_dates(text: np.ndarray) -> np.ndarray:
    """YYYY-MM-DD strings to datetime64[us]; anything else NaT."""
    lengths = pd.Series(text, dtype=object, copy=False).str.len().to_numpy()
    candidates = np.where(lengths == 10, text, None)
    parsed = pd.to_datetime(pd.Series(candidates, dtype=object), format="%Y-%m-%d", errors="coerce")
    return np.array(parsed.to_numpy(dtype="datetime64[us]"))  # a writable copy


def _dates(s: pd.Series, text: np.ndarray | None) -> tuple[np.ndarray, Mask, Mask]:
    """(values as datetime64[us] at midnight, missing, unparseable). Strings must be YYYY-MM-DD."""
    if ptypes.is_datetime64_any_dtype(s):
        d = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        values = d.to_numpy(dtype="datetime64[us]")
        missing = s.isna().to_numpy()
    else:
        kind = ptypes.infer_dtype(s, skipna=True)
        if kind in ("date", "datetime", "datetime64"):
            values = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[us]")
            missing = s.isna().to_numpy()
        elif kind in ("string", "empty") or not ptypes.is_object_dtype(s):
            text = _text(s) if text is None else text
            missing = text == ""
            values = _strict_dates(text)
        else:  # a mix of date objects and strings
            is_date = s.map(lambda v: isinstance(v, date)).to_numpy(dtype=bool)
            text = _text(s.where(~is_date, "")) if text is None else np.where(is_date, "", text)
            values = _strict_dates(text)
            values[is_date] = pd.to_datetime(s[is_date], errors="coerce").to_numpy(dtype="datetime64[us]")
            missing = ~is_date & (text == "")
    values = values.astype("datetime64[D]").astype("datetime64[us]")  # midnight
    bad = ~missing & np.isnat(values)
    return values, missing, bad


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _q(values) -> np.ndarray:
    """Values quoted for a message: 'x'."""
    return "'" + np.asarray(values, dtype=object).astype(str).astype(object) + "'"


# --------------------------------------------------------------------------- the checker


class _Table:
    """One table of the import while it is checked."""

    def __init__(self, name: str, label: str, frame: pd.DataFrame):
        self.name = name
        self.label = label
        self.raw = frame
        self.rows = np.arange(len(frame), dtype="int64") + 2
        self.text: dict[str, np.ndarray] = {}
        self.values: dict[str, np.ndarray] = {}
        self.ok: dict[str, Mask] = {}  # cell present (or allowed empty) and valid
        self.broken = False  # a required column is missing or doubled: its rows are not checked

    def __len__(self) -> int:
        return len(self.rows)

    def raw_text(self, column: str, mask: Mask) -> np.ndarray:
        if column in self.text:
            return self.text[column][mask]
        return _text(self.raw[column][mask])

    def all_ok(self, columns: Iterable[str]) -> Mask:
        out = np.ones(len(self), dtype=bool)
        for c in columns:
            out &= self.ok[c]
        return out


class _Checker:
    def __init__(self, conn: Connection, today: date, labels: dict[str, str]):
        self.conn = conn
        self.today = today
        self.today_ts = np.datetime64(today.isoformat(), "us")
        self.labels = labels
        self.errors: list[tuple] = []  # (table rank, row, column rank, seq, RowError)
        self.tables: dict[str, _Table] = {}

    # ---- recording

    def add(self, t: _Table | str, mask: Mask | None, column: str | None, reason: Reason) -> None:
        """Record an error for every row in ``mask`` (or one file-level error when mask is None).

        ``reason`` is a text, an array aligned with the table, or a function of the mask
        returning one reason per masked row (called only when there are errors).
        """
        name = t.name if isinstance(t, _Table) else t
        label = t.label if isinstance(t, _Table) else self.labels.get(name, f"{name}.csv")
        rank = TABLE_NAMES.index(name) if name in TABLE_NAMES else -1
        cols = [c.name for c in SPEC.get(name, ())]
        crank = cols.index(column) if column in cols else len(cols)
        if mask is None:
            self.errors.append((rank, 0, crank, len(self.errors), RowError(label, None, column, str(reason))))
            return
        if not mask.any():
            return
        assert isinstance(t, _Table)
        rows = t.rows[mask].tolist()
        if callable(reason):
            reasons = [str(r) for r in reason(mask)]
        elif isinstance(reason, np.ndarray):
            reasons = [str(r) for r in reason[mask]]
        else:
            reasons = [reason] * len(rows)
        seq = len(self.errors)
        self.errors.extend(
            (rank, r, crank, seq + i, RowError(label, r, column, why))
            for i, (r, why) in enumerate(zip(rows, reasons, strict=True))
        )

    def result(self) -> list[RowError]:
        seen: set = set()
        out = []
        for *_, err in sorted(self.errors, key=lambda e: e[:4]):
            key = (err.file, err.row, err.column)
            if err.row is not None and key in seen:
                continue  # one reason per cell: the first found
            seen.add(key)
            out.append(err)
        return out

    # ---- structure

    def check_structure(self, name: str, frame: pd.DataFrame) -> _Table | None:
        label = self.labels.get(name, f"{name}.csv")
        if name not in SPEC:
            self.add(
                name,
                None,
                None,
                f"unknown file '{label}'; an import holds only the tables {', '.join(TABLE_NAMES)}",
            )
            return None
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c).strip() for c in frame.columns]
        t = _Table(name, label, frame)
        self.tables[name] = t
        known = [c.name for c in SPEC[name]]
        if len(frame.columns) == 0:
            self.add(t, None, None, f"is empty; it needs at least the header row ({', '.join(known)})")
            t.broken = True
            return t
        for c in frame.columns:
            if c not in known:
                self.add(t, None, c, f"unknown column '{c}'; {label} has the columns {', '.join(known)}")
        columns = pd.Index(frame.columns)
        for c in columns[columns.duplicated()].unique():
            self.add(t, None, c, f"column '{c}' appears more than once")
            t.broken = True
        for c in SPEC[name]:
            if c.name not in frame.columns and not c.optional_column:
                self.add(t, None, c.name, "missing column")
                t.broken = True
        return t

    # ---- per-cell checks

    def check_cells(self, t: _Table) -> None:
        frame = t.raw
        blank = np.ones(len(t), dtype=bool)
        for name in frame.columns:
            s = frame[name]
            if (
                ptypes.is_object_dtype(s)
                or ptypes.is_string_dtype(s)
                or isinstance(s.dtype, pd.CategoricalDtype)
            ):
                text = _text(s)
                if name in SPEC_COLUMNS[t.name]:
                    t.text[name] = text
                blank &= text == ""
            else:
                blank &= s.isna().to_numpy()
        if blank.any():  # blank rows are skipped; row numbers are kept
            keep = ~blank
            t.raw = frame = frame[keep]
            t.rows = t.rows[keep]
            t.text = {k: v[keep] for k, v in t.text.items()}
        for c in SPEC[t.name]:
            if c.name in frame.columns:
                self.check_column(t, c)
            else:  # an optional column left out
                t.values[c.name] = np.full(len(t), None, dtype=object)
                t.ok[c.name] = np.ones(len(t), dtype=bool)

    def check_column(self, t: _Table, c: Col) -> None:
        s = t.raw[c.name]
        text = t.text.get(c.name)

        def quoted(m: Mask) -> np.ndarray:
            return _q(t.raw_text(c.name, m))

        if c.kind in ("text", "enum"):
            if text is None:
                text = t.text[c.name] = _text(s)
            missing = text == ""
            values = text
            bad = np.zeros(len(t), dtype=bool)
            if c.kind == "enum":
                bad = ~missing & ~_isin(text, c.allowed)
                self.add(t, bad, c.name, lambda m: quoted(m) + f" is not one of {', '.join(c.allowed)}")
        elif c.kind == "date":
            values, missing, bad = _dates(s, text)
            self.add(t, bad, c.name, lambda m: quoted(m) + " is not a YYYY-MM-DD date")
            fine = ~missing & ~bad
            early = fine & (values < np.datetime64(MIN_DATE.date().isoformat(), "us"))
            self.add(t, early, c.name, lambda m: quoted(m) + f" is before {MIN_DATE.date()}")
            future = fine & (values > self.today_ts)
            self.add(t, future, c.name, lambda m: quoted(m) + f" is in the future (today is {self.today})")
            bad = bad | early | future
        else:
            values, missing, bad = _numbers(s, text)
            if c.kind == "flag":
                bad = bad | (~missing & (values != 0) & (values != 1))
                self.add(t, bad, c.name, lambda m: quoted(m) + " is not 1 or 0")
            else:
                what = "a number" if c.kind == "num" else "a whole number"
                self.add(t, bad, c.name, lambda m: quoted(m) + f" is not {what}")
                if c.kind in ("int", "year"):
                    with np.errstate(invalid="ignore"):
                        frac = ~missing & ~bad & (np.mod(values, 1) != 0)
                    self.add(t, frac, c.name, lambda m: quoted(m) + " is not a whole number")
                    bad = bad | frac
                bad = bad | self.check_range(t, c, values, missing | bad, quoted)
        if not c.may_be_empty:
            self.add(t, missing, c.name, "empty; a value is required")
        t.values[c.name] = values
        t.ok[c.name] = ~bad if c.may_be_empty else ~missing & ~bad

    def check_range(self, t: _Table, c: Col, values: np.ndarray, skip: Mask, quoted) -> Mask:
        with np.errstate(invalid="ignore"):
            if c.kind == "year":
                hi = self.today.year + 1 if t.name == "targets" else self.today.year
                low = ~skip & (values < MIN_YEAR)
                high = ~skip & (values > hi)
                self.add(t, low, c.name, lambda m: "year " + quoted(m) + f" is before {MIN_YEAR}")
                if t.name == "targets":
                    why = f" is after next year; targets can be set up to {hi}"
                else:
                    why = f" is in the future (this year is {hi})"
                self.add(t, high, c.name, lambda m: "year " + quoted(m) + why)
                return low | high
            out = np.zeros(len(t), dtype=bool)
            if c.lo is not None:
                low = ~skip & (values < c.lo)
                if c.lo == 0:
                    noun = "a count" if c.kind == "int" else c.name
                    self.add(t, low, c.name, lambda m: quoted(m) + f" is negative; {noun} cannot be below 0")
                else:
                    why = f" is below {c.lo:g}; {c.name} counts from {c.lo:g}"
                    self.add(t, low, c.name, lambda m: quoted(m) + why)
                out |= low
            if c.hi is not None:
                high = ~skip & (values > c.hi)
                self.add(
                    t, high, c.name, lambda m: quoted(m) + f" is above {c.hi:,g}, not a plausible {c.name}"
                )
                out |= high
        return out

    # ---- within a file

    def check_keys(self, t: _Table) -> None:
        key = list(KEYS[t.name])
        usable = t.all_ok(key)
        frame = pd.DataFrame({k: t.text.get(k, t.values[k])[usable] for k in key})
        frame["_row"] = t.rows[usable]
        dup = frame.duplicated(key, keep=False).to_numpy()
        if not dup.any():
            return
        d = frame[dup]
        groups = d.groupby(key, sort=False)["_row"].agg(list).rename("_all")
        d = d.join(groups, on=key)
        column = ", ".join(key)

        def word(row: int, rows: list[int], values: tuple) -> str:
            shown = ", ".join(_show(v) for v in values)
            shown = f"'{shown}'" if len(values) == 1 else f"({shown})"
            others = [str(r) for r in rows if r != row]
            return f"duplicate {column} {shown} (also on row{'s' if len(others) > 1 else ''} {', '.join(others)})"

        reason_of = {
            r: word(r, rows, tuple(vals))
            for r, rows, *vals in zip(d["_row"], d["_all"], *(d[k] for k in key), strict=True)
        }
        mask = _isin(t.rows, list(reason_of)) if len(reason_of) > 8 else np.isin(t.rows, list(reason_of))
        self.add(t, mask, column, lambda m: [reason_of[r] for r in t.rows[m].tolist()])

    def check_rows(self, t: _Table) -> None:
        v, ok = t.values, t.ok
        if t.name == "migrants":
            early = ok["arrival_date"] & ok["departure_date"] & (v["departure_date"] < v["arrival_date"])
            self.add(
                t,
                early,
                "departure_date",
                lambda m: (
                    "departure "
                    + t.raw_text("departure_date", m)
                    + " is before arrival "
                    + t.raw_text("arrival_date", m)
                ),
            )
            ok["departure_date"] = ok["departure_date"] & ~early
        if t.name in ("targets", "reported"):
            codes = registry.REPORTED_CODES if t.name == "reported" else registry.CODES
            ind = t.text["indicator"]
            known = _isin(ind, registry.CODES)
            unknown = ok["indicator"] & ~known
            self.add(
                t,
                unknown,
                "indicator",
                lambda m: "unknown indicator code " + _q(ind[m]) + f"; known codes: {', '.join(codes)}",
            )
            if t.name == "reported":
                computed = ok["indicator"] & known & ~_isin(ind, codes)
                self.add(
                    t,
                    computed,
                    "indicator",
                    lambda m: (
                        _q(ind[m])
                        + " is computed from the event files, not reported; reported.csv takes only "
                        + f"the survey-reported indicators {', '.join(codes)}"
                    ),
                )
                unknown = unknown | computed
            ok["indicator"] = ok["indicator"] & ~unknown
        if t.name == "reported":
            over = ok["numerator"] & ok["denominator"] & (v["numerator"] > v["denominator"])
            self.add(
                t,
                over,
                "numerator",
                lambda m: (
                    "numerator "
                    + t.raw_text("numerator", m)
                    + " is greater than denominator "
                    + t.raw_text("denominator", m)
                    + "; a % rate cannot exceed 100 %"
                ),
            )

    # ---- across files and the database

    def db_units(self) -> pd.DataFrame:
        rows = self.conn.execute(
            select(units_table.c.code, units_table.c.level, units_table.c.parent_code)
        ).all()
        return pd.DataFrame(rows, columns=["code", "level", "parent_code"], dtype=object)

    def _lookup(self, column, values: list, distinct: bool = False) -> set:
        found: set = set()
        for i in range(0, len(values), _DB_CHUNK):
            stmt = select(column).where(column.in_(values[i : i + _DB_CHUNK]))
            if distinct:
                stmt = stmt.distinct()
            found.update(self.conn.execute(stmt).scalars())
        return found

    def check_units(self, db: pd.DataFrame) -> pd.DataFrame:
        """Check the unit tree the import would leave; return it (code, level, parent_code, row).

        Units are few (hundreds), so the tree is checked with small frames and a few loops
        over the units at fault, to word their errors.
        """
        db = db.assign(row=np.nan)
        t = self.tables.get("units")
        if t is None or t.broken:
            return db
        units_label = t.label
        code, level, parent = t.text["code"], t.text["level"], t.text["parent_code"]
        code_ok, level_ok = t.ok["code"], t.ok["level"] & t.ok["code"]
        first = code_ok & ~pd.Series(code).duplicated().to_numpy()
        mine = pd.DataFrame(
            {
                "code": code,
                "level": np.where(t.ok["level"], level, None),
                "parent_code": np.where(parent != "", parent, None),
                "row": t.rows,
            }
        )[first]
        tree = pd.concat([db[~db["code"].isin(mine["code"])], mine], ignore_index=True).astype(
            {"code": object, "level": object, "parent_code": object}
        )
        has_parent = parent != ""
        is_county = level == "county"
        row_index = {r: i for i, r in enumerate(t.rows.tolist())}

        # the root
        self.add(
            t,
            level_ok & is_county & has_parent,
            "parent_code",
            lambda m: "the county has no parent; leave parent_code empty (got " + _q(parent[m]) + ")",
        )
        whose = {"township": "the county", "village": "a township", "community": "a township"}
        self.add(
            t,
            level_ok & ~is_county & ~has_parent,
            "parent_code",
            lambda m: [f"empty; a {lv} needs the code of its parent ({whose[lv]})" for lv in level[m]],
        )
        counties = tree.loc[tree["level"] == "county", ["code", "row"]]
        if len(counties) > 1:
            db_counties = set(db.loc[db["level"] == "county", "code"])
            in_file = counties[counties["row"].notna()]
            blamed = in_file[~in_file["code"].isin(db_counties)] if db_counties else in_file
            names = counties["code"].tolist()
            reasons = {}
            for c, r in zip(blamed["code"], blamed["row"].astype(int), strict=True):
                others = ", ".join(
                    f"'{o}'" + (" (in the database)" if o in db_counties else "") for o in names if o != c
                )
                reasons[r] = (
                    f"a second root: '{c}' is a county, and so is {others}; "
                    "there must be exactly one county, the root with an empty parent_code"
                )
            mask = np.zeros(len(t), dtype=bool)
            mask[[row_index[r] for r in reasons]] = True
            self.add(t, mask, "level", lambda m: [reasons[r] for r in t.rows[m].tolist()])
        elif len(counties) == 0 and len(tree):
            self.add(
                t,
                None,
                "level",
                "no county: exactly one unit must have level county and an empty parent_code",
            )

        # parents that exist
        known = tree["code"].to_numpy()
        self.add(
            t,
            code_ok & has_parent & ~_isin(parent, known),
            "parent_code",
            lambda m: "unknown parent_code " + _q(parent[m]) + f": not in {units_label} nor in the database",
        )

        # cycles: follow parents 2^k >= n steps; the units reached are those on a cycle
        links = tree[tree["parent_code"].notna() & tree["parent_code"].isin(known)]
        up = pd.Series(links["parent_code"].to_numpy(), index=links["code"].to_numpy(), dtype=object)
        reach = up
        for _ in range(int(np.ceil(np.log2(len(tree) + 1))) + 1):
            reach = reach.map(reach).dropna()
        cyc = code_ok & _isin(code, reach.unique())
        if cyc.any():
            parent_of = up.to_dict()

            def cycle(c: str) -> str:
                seq, node = [c], parent_of[c]
                while node != c:
                    seq.append(node)
                    node = parent_of[node]
                return "a cycle in the unit tree: " + " → ".join([*seq, c])

            self.add(t, cyc, "parent_code", lambda m: [cycle(c) for c in code[m]])

        # levels along the tree: township under the county, village/community under a township
        expected = {"township": "county", "village": "township", "community": "township"}
        article = {"county": "the county", "township": "a township"}
        tree["parent_level"] = tree["parent_code"].map(tree.set_index("code")["level"])
        tree["want"] = tree["level"].map(expected)
        wrong = (
            tree["want"].notna() & tree["parent_level"].notna() & (tree["parent_level"] != tree["want"])
        ).to_numpy()
        in_file_rows = tree["row"].notna().to_numpy()
        bad_rows = {
            int(r): f"parent '{p}' is a {pl}; a {lv}'s parent must be {article[w]}"
            for r, p, pl, lv, w in tree.loc[
                wrong & in_file_rows, ["row", "parent_code", "parent_level", "level", "want"]
            ].itertuples(index=False)
        }
        if bad_rows:
            mask = np.isin(t.rows, list(bad_rows)) & code_ok & ~cyc
            self.add(t, mask, "parent_code", lambda m: [bad_rows[r] for r in t.rows[m].tolist()])
        # stored units under a unit whose new level no longer fits them
        stored_wrong = tree.loc[wrong & ~in_file_rows]
        if len(stored_wrong):
            row_of = dict(zip(mine["code"], mine["row"], strict=True))
            clash = {
                row_of[
                    p
                ]: f"'{level[row_index[row_of[p]]]}' does not fit the units under '{p}' in the database "
                f"(e.g. '{c}', a {lv})"
                for c, lv, p in stored_wrong[["code", "level", "parent_code"]].itertuples(index=False)
                if p in row_of
            }
            mask = np.isin(t.rows, list(clash))
            self.add(t, mask, "level", lambda m: [clash[r] for r in t.rows[m].tolist()])
        # stored data rows on a unit the import turns into a township or the county
        stored_data_units = db.loc[db["level"].isin(DATA_LEVELS), "code"].to_numpy()
        turned = level_ok & ~_isin(level, DATA_LEVELS) & _isin(code, stored_data_units)
        if turned.any():
            codes = code[turned].tolist()
            holding: dict[str, str] = {}
            for name in UNIT_DATA_TABLES:
                tbl = schema.metadata.tables[name]
                for found in self._lookup(tbl.c.unit_code, codes, distinct=True):
                    holding.setdefault(found, name)
            self.add(
                t,
                turned & _isin(code, list(holding)),
                "level",
                lambda m: [
                    f"'{lv}' but the database holds {holding[c]} rows on unit '{c}'; "
                    "data rows belong to a village or community"
                    for c, lv in zip(code[m], level[m], strict=True)
                ],
            )
        return tree

    def check_unit_refs(self, tree: pd.DataFrame) -> None:
        units_t = self.tables.get("units")
        if units_t is not None and units_t.broken:
            return  # the unit file's own errors say it all
        units_label = self.labels.get("units", "units.csv")
        level_of = tree.drop_duplicates("code").set_index("code")["level"]
        not_data = [lv for lv in LEVELS if lv not in DATA_LEVELS]
        for name, t in self.tables.items():
            if name == "units" or t.broken or "unit_code" not in t.text:
                continue
            uc, ok = t.text["unit_code"], t.ok["unit_code"]
            lvl = pd.Series(uc, dtype=object).map(level_of).to_numpy(dtype=object)
            self.add(
                t,
                ok & pd.isna(lvl) & ~_isin(uc, level_of.index),
                "unit_code",
                lambda m, uc=uc: (
                    "unknown unit_code " + _q(uc[m]) + f": not in {units_label} nor in the database"
                ),
            )
            if name in UNIT_DATA_TABLES:
                what = "population counts" if name == "population" else f"{name} rows"
                self.add(
                    t,
                    ok & _isin(lvl, not_data),
                    "unit_code",
                    lambda m, uc=uc, lvl=lvl, what=what: (
                        "unit "
                        + _q(uc[m])
                        + " is a "
                        + lvl[m].astype(str).astype(object)
                        + f"; {what} belong to a village or community"
                    ),
                )

    def check_migrant_refs(self) -> None:
        t = self.tables.get("migrant_services")
        m_t = self.tables.get("migrants")
        if t is None or t.broken or (m_t is not None and m_t.broken):
            return
        mig, ok = t.text["migrant_id"], t.ok["migrant_id"]
        ask = ok.copy()
        if m_t is not None:
            ask &= ~_isin(mig, m_t.text["migrant_id"][m_t.ok["migrant_id"]])
        if not ask.any():
            return
        stored = self._lookup(migrants_table.c.migrant_id, pd.unique(mig[ask]).tolist())
        label = self.labels.get("migrants", "migrants.csv")
        self.add(
            t,
            ask & ~_isin(mig, list(stored)) if stored else ask,
            "migrant_id",
            lambda m: (
                "a service for unknown migrant_id " + _q(mig[m]) + f": not in {label} nor in the database"
            ),
        )

    # ---- output

    def clean(self, t: _Table) -> pd.DataFrame:
        out = {}
        for c in SPEC[t.name]:
            v = t.values[c.name]
            if c.kind in ("text", "enum"):
                if (t.name, c.name) in NULLABLE_TEXT:
                    v = np.where(v == "", None, v) if v.dtype == object else v
                # object, not pandas' str dtype, which would turn None into NaN
                out[c.name] = pd.Series(v, dtype=object)
            elif c.kind == "date":
                d = pd.Series(v, dtype="datetime64[us]")
                out[c.name] = d.dt.date.astype(object).where(d.notna(), None).astype(object)
            elif c.kind == "num":
                out[c.name] = v.astype("float64")
            else:
                out[c.name] = np.nan_to_num(v, nan=0).astype("int64")
        return pd.DataFrame(out)


SPEC_COLUMNS: dict[str, set[str]] = {name: {c.name for c in cols} for name, cols in SPEC.items()}


def validate(
    frames: dict[str, pd.DataFrame], conn: Connection, today: date, labels: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """Check an import against itself and the database behind ``conn``; return DB-ready frames.

    Raises ``ImportFailed`` with every error found. Frames hold the interchange columns;
    values may be strings or already typed.
    """
    ck = _Checker(conn, today, labels)
    for name, frame in frames.items():
        t = ck.check_structure(name, frame)
        if t is not None and not t.broken:
            ck.check_cells(t)
            ck.check_keys(t)
            ck.check_rows(t)
    db = ck.db_units()
    if "units" not in frames and db.empty:
        ck.add(
            "units",
            None,
            None,
            "missing: the database has no units yet, so the first import must include the unit tree "
            f"({labels.get('units', 'units.csv')})",
        )
    tree = ck.check_units(db)
    ck.check_unit_refs(tree)
    ck.check_migrant_refs()
    errors = ck.result()
    if errors:
        raise ImportFailed(errors)
    return {name: ck.clean(t) for name, t in ck.tables.items()}
