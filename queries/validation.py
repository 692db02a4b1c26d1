"""Validation of interchange records (see ``docs``/interchange.md): every bad row of every file.

``validate`` checks a whole import before anything is written and returns DB-ready frames,
or raises ``ImportFailed`` listing every bad cell with its file, spreadsheet row number
(header = row 1), column and a plain-English reason. All checks are pandas column
operations (parsing, ``isin``, ``duplicated``, merges); Python only loops over the errors
found, to word them.

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

from queries import registry, schema
from queries.schema import DATA_LEVELS, DATA_TABLES, LEVELS
from queries.schema import migrants as migrants_table
from queries.schema import units as units_table

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


def _text(s: pd.Series) -> pd.Series:
    """Values as stripped strings; missing values as ''."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if ptypes.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("").astype(str)
    if ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s):
        if ptypes.is_float_dtype(s):
            whole = s.notna() & np.isfinite(s.astype("float64")) & (s % 1 == 0)
            if whole.all() or (whole | s.isna()).all():
                return s.astype("Int64").astype(str).where(s.notna(), "")
        return s.astype(str).where(s.notna(), "")
    out = s.where(s.notna(), "")
    if ptypes.is_object_dtype(out) and ptypes.infer_dtype(out, skipna=True) not in ("string", "empty"):
        out = out.map(lambda v: v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v)
    return out.astype(str).str.strip()


def _numbers(s: pd.Series, text: pd.Series | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(values as float64, missing, unparseable)."""
    if ptypes.is_bool_dtype(s) or (
        ptypes.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
    ):
        values = s.astype("float64")
        missing = s.isna()
    else:
        text = _text(s) if text is None else text
        missing = text == ""
        values = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = ~missing & ~np.isfinite(values.fillna(np.inf))
    return values, missing, bad


def _dates(s: pd.Series, text: pd.Series | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(values as datetime64 at midnight, missing, unparseable). Strings must be YYYY-MM-DD."""

    def strict(t: pd.Series) -> pd.Series:
        ok = t.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        return pd.to_datetime(t.where(ok), format="%Y-%m-%d", errors="coerce")

    if ptypes.is_datetime64_any_dtype(s):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        missing = s.isna()
    else:
        kind = ptypes.infer_dtype(s, skipna=True)
        if kind in ("date", "datetime", "datetime64"):
            values = pd.to_datetime(s, errors="coerce")
            missing = s.isna()
        elif kind in ("string", "empty") or not ptypes.is_object_dtype(s):
            text = _text(s) if text is None else text
            missing = text == ""
            values = strict(text)
        else:  # a mix of date objects and strings
            is_date = s.map(lambda v: isinstance(v, date))
            text = _text(s.where(~is_date, "")) if text is None else text.where(~is_date, "")
            values = strict(text).astype("datetime64[us]")
            values[is_date] = pd.to_datetime(s[is_date], errors="coerce").astype("datetime64[us]")
            missing = ~is_date & (text == "")
    values = pd.Series(values, index=s.index).astype("datetime64[us]").dt.normalize()
    bad = ~missing & values.isna()
    return values, missing, bad


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# --------------------------------------------------------------------------- the checker


class _Table:
    """One table of the import while it is checked."""

    def __init__(self, name: str, label: str, frame: pd.DataFrame):
        self.name = name
        self.label = label
        self.raw = frame
        self.rows = pd.Series(np.arange(len(frame), dtype="int64") + 2, index=frame.index)
        self.text: dict[str, pd.Series] = {}
        self.values: dict[str, pd.Series] = {}
        self.ok: dict[str, pd.Series] = {}  # cell present and valid
        self.broken = False  # a required column is missing: its rows are not checked

    def raw_text(self, column: str, mask: pd.Series) -> pd.Series:
        if column in self.text:
            return self.text[column][mask]
        return _text(self.raw[column][mask])

    def all_ok(self, columns: Iterable[str]) -> pd.Series:
        out = pd.Series(True, index=self.raw.index)
        for c in columns:
            out &= self.ok[c]
        return out


class _Checker:
    def __init__(self, conn: Connection, today: date, labels: dict[str, str]):
        self.conn = conn
        self.today = today
        self.today_ts = pd.Timestamp(today)
        self.labels = labels
        self.errors: list[tuple] = []  # (table rank, row, column rank, seq, RowError)
        self.tables: dict[str, _Table] = {}

    # ---- recording

    def add(
        self,
        t: _Table | str,
        mask: pd.Series | None,
        column: str | None,
        reason: str | pd.Series | Callable[[pd.Series], pd.Series],
    ) -> None:
        """Record an error for every row in ``mask`` (or one file-level error when mask is None)."""
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
        rows = t.rows[mask]
        if callable(reason):
            reasons = reason(mask).astype(str).tolist()
        elif isinstance(reason, pd.Series):
            reasons = reason[mask].astype(str).tolist()
        else:
            reasons = [reason] * len(rows)
        seq = len(self.errors)
        self.errors.extend(
            (rank, r, crank, seq + i, RowError(label, r, column, why))
            for i, (r, why) in enumerate(zip(rows.tolist(), reasons, strict=True))
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
            tables = ", ".join(f"{n}" for n in TABLE_NAMES)
            self.add(name, None, None, f"unknown file '{label}'; an import holds only the tables {tables}")
            return None
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c).strip() for c in frame.columns]
        t = _Table(name, label, frame)
        self.tables[name] = t
        spec = SPEC[name]
        known = [c.name for c in spec]
        if len(frame.columns) == 0:
            self.add(t, None, None, f"is empty; it needs at least the header row ({', '.join(known)})")
            t.broken = True
            return t
        for c in frame.columns:
            if c not in known:
                self.add(t, None, c, f"unknown column '{c}'; {label} has the columns {', '.join(known)}")
        dup = pd.Index(frame.columns)[pd.Index(frame.columns).duplicated()].unique()
        for c in dup:
            self.add(t, None, c, f"column '{c}' appears more than once")
            t.broken = True
        for c in spec:
            if c.name not in frame.columns and not c.optional_column:
                self.add(t, None, c.name, "missing column")
                t.broken = True
        return t

    # ---- per-cell checks

    def check_cells(self, t: _Table) -> None:
        frame = t.raw
        present = [c for c in SPEC[t.name] if c.name in frame.columns]
        # text of string-like columns; typed columns are parsed as they are
        missing_all = pd.Series(True, index=frame.index)
        for c in present:
            s = frame[c.name]
            if ptypes.is_object_dtype(s) or ptypes.is_string_dtype(s) or c.kind in ("text", "enum"):
                t.text[c.name] = _text(s)
                missing_all &= t.text[c.name] == ""
            else:
                missing_all &= s.isna()
        for c in frame.columns:
            if c not in t.text and c not in {p.name for p in present}:
                missing_all &= _text(frame[c]) == ""
        if missing_all.any():  # blank rows: skipped, row numbers kept
            keep = ~missing_all
            t.raw = frame = frame[keep]
            t.rows = t.rows[keep]
            t.text = {k: v[keep] for k, v in t.text.items()}
        for c in SPEC[t.name]:
            if c.name in frame.columns:
                self.check_column(t, c)
            else:  # an optional column left out
                t.values[c.name] = pd.Series(None, index=frame.index, dtype=object)
                t.ok[c.name] = pd.Series(True, index=frame.index)

    def check_column(self, t: _Table, c: Col) -> None:
        s = t.raw[c.name]
        text = t.text.get(c.name)
        quoted = lambda m: "'" + t.raw_text(c.name, m) + "'"  # noqa: E731
        if c.kind in ("text", "enum"):
            missing = text == ""
            values = text
            bad = pd.Series(False, index=s.index)
            if c.kind == "enum":
                bad = ~missing & ~text.isin(c.allowed)
                self.add(t, bad, c.name, lambda m: quoted(m) + f" is not one of {', '.join(c.allowed)}")
        elif c.kind == "date":
            values, missing, bad = _dates(s, text)
            self.add(t, bad, c.name, lambda m: quoted(m) + " is not a YYYY-MM-DD date")
            early = ~missing & ~bad & (values < MIN_DATE)
            self.add(t, early, c.name, lambda m: quoted(m) + f" is before {MIN_DATE.date()}")
            future = ~missing & ~bad & (values > self.today_ts)
            self.add(t, future, c.name, lambda m: quoted(m) + f" is in the future (today is {self.today})")
            bad = bad | early | future
        else:
            values, missing, bad = _numbers(s, text)
            if c.kind == "flag":
                bad = bad | (~missing & ~values.isin([0, 1]))
                self.add(t, bad, c.name, lambda m: quoted(m) + " is not 1 or 0")
            else:
                what = "a number" if c.kind == "num" else "a whole number"
                self.add(t, bad, c.name, lambda m: quoted(m) + f" is not {what}")
                if c.kind in ("int", "year"):
                    frac = ~missing & ~bad & (values % 1 != 0)
                    self.add(t, frac, c.name, lambda m: quoted(m) + " is not a whole number")
                    bad = bad | frac
                bad = bad | self.check_range(t, c, values, missing | bad, quoted)
        if not c.may_be_empty:
            self.add(t, missing, c.name, "empty; a value is required")
        t.values[c.name] = values
        t.ok[c.name] = ~missing & ~bad if not c.may_be_empty else ~bad

    def check_range(self, t: _Table, c: Col, values: pd.Series, skip: pd.Series, quoted) -> pd.Series:
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
        out = pd.Series(False, index=values.index)
        if c.lo is not None:
            low = ~skip & (values < c.lo)
            if c.lo == 0:
                noun = "a count" if c.kind == "int" else c.name
                self.add(t, low, c.name, lambda m: quoted(m) + f" is negative; {noun} cannot be below 0")
            else:
                self.add(
                    t, low, c.name, lambda m: quoted(m) + f" is below {c.lo:g}; {c.name} counts from {c.lo:g}"
                )
            out |= low
        if c.hi is not None:
            high = ~skip & (values > c.hi)
            self.add(t, high, c.name, lambda m: quoted(m) + f" is above {c.hi:,g}, not a plausible {c.name}")
            out |= high
        return out

    # ---- within a file

    def check_keys(self, t: _Table) -> None:
        key = list(KEYS[t.name])
        usable = t.all_ok(key)
        frame = pd.DataFrame({k: t.text[k] if k in t.text else t.values[k] for k in key})[usable]
        frame["_row"] = t.rows[usable]
        dup = frame.duplicated(key, keep=False)
        if not dup.any():
            return
        d = frame[dup]
        groups = d.groupby(key, sort=False)["_row"].agg(list)
        others = d.join(groups.rename("_all"), on=key)
        column = key[0] if len(key) == 1 else ", ".join(key)

        def word(row: int, rows: list[int], values: tuple) -> str:
            shown = ", ".join(_show(v) for v in values)
            shown = f"'{shown}'" if len(values) == 1 else f"({shown})"
            others = [str(r) for r in rows if r != row]
            return f"duplicate {column} {shown} (also on row{'s' if len(others) > 1 else ''} {', '.join(others)})"

        reasons = pd.Series(
            [
                word(r, rows, tuple(vals))
                for r, rows, *vals in zip(
                    others["_row"], others["_all"], *(others[k] for k in key), strict=True
                )
            ],
            index=others.index,
        )
        mask = pd.Series(False, index=t.raw.index)
        mask[reasons.index] = True
        self.add(t, mask, column, reasons)

    def check_rows(self, t: _Table) -> None:
        v, ok = t.values, t.ok
        if t.name == "migrants":
            both = ok["arrival_date"] & ok["departure_date"] & v["departure_date"].notna()
            early = both & (v["departure_date"] < v["arrival_date"])
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
            unknown = ok["indicator"] & ~ind.isin(registry.CODES)
            self.add(
                t,
                unknown,
                "indicator",
                lambda m: "unknown indicator code '" + ind[m] + f"'; known codes: {', '.join(codes)}",
            )
            if t.name == "reported":
                computed = ok["indicator"] & ind.isin(registry.CODES) & ~ind.isin(codes)
                self.add(
                    t,
                    computed,
                    "indicator",
                    lambda m: (
                        "'"
                        + ind[m]
                        + "' is computed from the event files, not reported; reported.csv takes only "
                        + f"the survey-reported indicators {', '.join(codes)}"
                    ),
                )
                unknown |= computed
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

    def check_units(self, db: pd.DataFrame) -> pd.DataFrame:
        """Check the unit tree that the import would leave; return it (code, level, parent_code, row)."""
        db = db.assign(row=np.nan)
        t = self.tables.get("units")
        if t is None or t.broken:
            return db
        units_label = t.label
        code, level, parent = t.text["code"], t.text["level"], t.text["parent_code"]
        usable = t.ok["code"] & ~code.duplicated()
        mine = pd.DataFrame(
            {
                "code": code,
                "level": level.where(t.ok["level"]),
                "parent_code": parent.where(parent != ""),
                "row": t.rows,
            }
        )[usable]
        tree = pd.concat([db[~db["code"].isin(mine["code"])], mine], ignore_index=True)
        tree["level"] = tree["level"].astype(object)
        tree["parent_code"] = tree["parent_code"].astype(object)
        in_file = t.ok["code"]
        lvl_ok = t.ok["level"] & in_file
        has_parent = parent != ""

        # the root
        county_parent = lvl_ok & (level == "county") & has_parent
        self.add(
            t,
            county_parent,
            "parent_code",
            lambda m: "the county has no parent; leave parent_code empty (got '" + parent[m] + "')",
        )
        orphan = lvl_ok & (level != "county") & ~has_parent
        self.add(
            t,
            orphan,
            "parent_code",
            lambda m: (
                "empty; a "
                + level[m]
                + " needs the code of its parent ("
                + level[m].map({"township": "the county", "village": "a township", "community": "a township"})
                + ")"
            ),
        )
        counties = tree.loc[tree["level"] == "county", ["code", "row"]]
        if len(counties) > 1:
            db_counties = set(db.loc[db["level"] == "county", "code"])
            file_counties = counties[counties["row"].notna()]
            blamed = file_counties[~file_counties["code"].isin(db_counties)] if db_counties else file_counties
            names = counties["code"].tolist()
            mask = pd.Series(False, index=t.raw.index)
            reasons = pd.Series("", index=t.raw.index, dtype=object)
            for c, r in zip(blamed["code"], blamed["row"], strict=True):
                idx = t.rows.index[t.rows == int(r)][0]
                mask[idx] = True
                others = ", ".join(
                    f"'{o}'" + (" (in the database)" if o in db_counties else "") for o in names if o != c
                )
                reasons[idx] = (
                    f"a second root: '{c}' is a county, and so is {others}; "
                    "there must be exactly one county, the root with an empty parent_code"
                )
            self.add(t, mask, "level", reasons)
        elif len(counties) == 0 and len(tree):
            self.add(
                t,
                None,
                "level",
                "no county: exactly one unit must have level county and an empty parent_code",
            )

        # parents that exist
        known = set(tree["code"])
        unknown_parent = in_file & has_parent & ~parent.isin(known)
        self.add(
            t,
            unknown_parent,
            "parent_code",
            lambda m: "unknown parent_code '" + parent[m] + f"': not in {units_label} nor in the database",
        )

        # cycles: follow parents 2^k >= n steps; what is reached is on a cycle
        links = tree.dropna(subset=["parent_code"])
        links = links[links["parent_code"].isin(known)]
        up = pd.Series(links["parent_code"].to_numpy(), index=links["code"].to_numpy(), dtype=object)
        cur = up.copy()
        for _ in range(int(np.ceil(np.log2(len(tree) + 1))) + 1):
            cur = cur.map(cur).dropna()
        on_cycle = set(cur.to_numpy())
        cyc = in_file & code.isin(on_cycle)
        if cyc.any():
            parent_of = up.to_dict()

            def name(c: str) -> str:
                seq, node = [c], parent_of[c]
                while node != c:
                    seq.append(node)
                    node = parent_of[node]
                return "a cycle in the unit tree: " + " → ".join([*seq, c])

            self.add(t, cyc, "parent_code", lambda m: code[m].map(name))

        # levels along the tree
        expected = {"township": "county", "village": "township", "community": "township"}
        lv = tree.set_index("code")["level"]
        tree["parent_level"] = tree["parent_code"].map(lv)
        tree["want"] = tree["level"].map(expected)
        wrong = tree["want"].notna() & tree["parent_level"].notna() & (tree["parent_level"] != tree["want"])
        wrong_file = tree[wrong & tree["row"].notna()]
        if len(wrong_file):
            by_row = wrong_file.set_index(wrong_file["row"].astype("int64"))
            mask = t.rows.isin(by_row.index) & in_file & ~cyc
            article = {"county": "the county", "township": "a township"}

            def why(m: pd.Series) -> pd.Series:
                w = by_row.loc[t.rows[m].to_numpy()]
                return pd.Series(
                    [
                        f"parent '{p}' is a {pl}; a {lvl}'s parent must be {article[want]}"
                        for p, pl, lvl, want in zip(
                            w["parent_code"], w["parent_level"], w["level"], w["want"], strict=True
                        )
                    ],
                    index=t.rows[m].index,
                )

            self.add(t, mask, "parent_code", why)
        # stored units whose parent the import changes to a level that no longer fits
        wrong_db = tree[wrong & tree["row"].isna()]
        if len(wrong_db):
            rows_of = mine.set_index("code")["row"]
            hit = wrong_db[wrong_db["parent_code"].isin(rows_of.index)].drop_duplicates("parent_code")
            mask = t.rows.isin(rows_of[hit["parent_code"]].to_numpy())
            child = dict(zip(hit["parent_code"], zip(hit["code"], hit["level"], strict=True), strict=True))
            self.add(
                t,
                mask,
                "level",
                lambda m: pd.Series(
                    [
                        f"'{lv_}' does not fit the units under '{c}' in the database "
                        f"(e.g. '{child[c][0]}', a {child[c][1]})"
                        for c, lv_ in zip(code[m], level[m], strict=True)
                    ],
                    index=code[m].index,
                ),
            )
        # stored data rows on a unit the import turns into a township or the county
        turned = lvl_ok & ~level.isin(DATA_LEVELS) & code.isin(db.loc[db["level"].isin(DATA_LEVELS), "code"])
        if turned.any():
            codes = code[turned].tolist()
            holding: dict[str, str] = {}
            for name_ in UNIT_DATA_TABLES:
                tbl = schema.metadata.tables[name_]
                for found in self._lookup(tbl.c.unit_code, codes, distinct=True):
                    holding.setdefault(found, name_)
            mask = turned & code.isin(list(holding))
            self.add(
                t,
                mask,
                "level",
                lambda m: (
                    "'"
                    + level[m]
                    + "' but the database holds "
                    + code[m].map(holding)
                    + " rows on unit '"
                    + code[m]
                    + "'; data rows belong to a village or community"
                ),
            )
        return tree

    def _lookup(self, column, values: list, distinct: bool = False) -> set:
        found: set = set()
        for i in range(0, len(values), _DB_CHUNK):
            stmt = select(column).where(column.in_(values[i : i + _DB_CHUNK]))
            if distinct:
                stmt = stmt.distinct()
            found.update(self.conn.execute(stmt).scalars())
        return found

    def check_unit_refs(self, tree: pd.DataFrame) -> None:
        units_t = self.tables.get("units")
        if units_t is not None and units_t.broken:
            return  # the unit file's own errors say it all
        units_label = self.labels.get("units", "units.csv")
        level_of = tree.drop_duplicates("code").set_index("code")["level"]
        for name, t in self.tables.items():
            if name == "units" or t.broken or "unit_code" not in t.text:
                continue
            uc = t.text["unit_code"]
            ok = t.ok["unit_code"]
            lvl = uc.map(level_of)
            unknown = ok & ~uc.isin(level_of.index)
            self.add(
                t,
                unknown,
                "unit_code",
                lambda m, uc=uc: (
                    "unknown unit_code '" + uc[m] + f"': not in {units_label} nor in the database"
                ),
            )
            if name in UNIT_DATA_TABLES:
                wrong = ok & lvl.isin([lv for lv in LEVELS if lv not in DATA_LEVELS])
                what = {"population": "population counts"}.get(name, f"{name} rows")
                self.add(
                    t,
                    wrong,
                    "unit_code",
                    lambda m, uc=uc, lvl=lvl, what=what: (
                        "unit '"
                        + uc[m]
                        + "' is a "
                        + lvl[m].astype(str)
                        + f"; {what} belong to a village or community"
                    ),
                )

    def check_migrant_refs(self) -> None:
        t = self.tables.get("migrant_services")
        if t is None or t.broken:
            return
        m_t = self.tables.get("migrants")
        if m_t is not None and m_t.broken:
            return
        mig = t.text["migrant_id"]
        ok = t.ok["migrant_id"]
        known = m_t.text["migrant_id"][m_t.ok["migrant_id"]] if m_t is not None else pd.Series([], dtype=str)
        ask = ok & ~mig.isin(known)
        if not ask.any():
            return
        stored = self._lookup(migrants_table.c.migrant_id, mig[ask].unique().tolist())
        unknown = ask & ~mig.isin(list(stored))
        label = self.labels.get("migrants", "migrants.csv")
        self.add(
            t,
            unknown,
            "migrant_id",
            lambda m: (
                "a service for unknown migrant_id '" + mig[m] + f"': not in {label} nor in the database"
            ),
        )

    # ---- output

    def clean(self, t: _Table) -> pd.DataFrame:
        out = {}
        for c in SPEC[t.name]:
            v = t.values[c.name]
            if c.kind in ("text", "enum"):
                if (t.name, c.name) in NULLABLE_TEXT:
                    v = v.astype(object).where(v.notna() & (v != ""), None)
                out[c.name] = v
            elif c.kind == "date":
                out[c.name] = v.dt.date.astype(object).where(v.notna(), None)
            elif c.kind == "num":
                out[c.name] = v.astype("float64")
            else:
                out[c.name] = v.fillna(0).astype("int64")
        return pd.DataFrame(out, index=t.raw.index).reset_index(drop=True)


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
