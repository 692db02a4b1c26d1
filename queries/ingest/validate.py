"""``validate``: every check of an import, before anything is written; DB-ready frames out.

It reports every bad cell of every file at once, in ``ImportFailed``, with its file,
spreadsheet row number (header = row 1), column, the cell and a message code that each
page words in its language (``messages.MESSAGES``; one reason per cell: the first found). Each column is parsed once into a numpy array and every check is an
array operation; Python loops only over the errors found, to word them.

Rules the interchange spec leaves open, fixed here and in the checks:

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
* Text is stored alike by SQLite and PostgreSQL: a cell holding a control character (NUL,
  tab, line break…) or broken text (lone surrogates), or longer than its database column's
  ``String(n)``, is refused on its row instead of by one database only, for the whole import.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from queries.ingest import lookups
from queries.ingest.cells import check_cells, read_table
from queries.ingest.checking import Findings, Table
from queries.ingest.errors import ImportFailed
from queries.ingest.rows import check_rows
from queries.ingest.spec import NULLABLE_TEXT, SPEC
from queries.ingest.tree import check_tree


def validate(
    frames: dict[str, pd.DataFrame], conn: Connection, today: date, labels: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """Check an import against itself and the database behind ``conn``; return DB-ready frames.

    Raises ``ImportFailed`` with every error found. Frames hold the interchange columns (and
    come back indexed by each row's spreadsheet number);
    values may be strings or already typed. ``labels`` name the tables in errors
    (``spec.default_label``).
    """
    found = Findings(labels)
    tables: dict[str, Table] = {}
    for name, frame in frames.items():
        t = read_table(found, name, frame)
        if t is None:
            continue
        tables[name] = t
        if not t.broken:
            check_cells(found, t, today)
            check_rows(found, t)
    stored = lookups.stored_units(conn)
    lookups.check_units_present(found, tables, stored)
    tree = check_tree(found, tables.get("units"), stored)
    lookups.check_units_holding_data(found, conn, tables.get("units"), stored)
    lookups.check_unit_refs(found, tables, tree)
    lookups.check_migrant_refs(found, conn, tables)
    errors = found.result()
    if errors:
        raise ImportFailed(errors)
    return {name: _db_frame(t) for name, t in tables.items()}


def _db_frame(t: Table) -> pd.DataFrame:
    """The table's parsed columns as the database takes them, indexed by spreadsheet row."""
    out: dict[str, pd.Series | np.ndarray] = {}
    for c in SPEC[t.name]:
        v = t.values[c.name]
        if c.kind in ("text", "enum"):
            if (t.name, c.name) in NULLABLE_TEXT:
                v = np.where(v == "", np.array(None), v) if v.dtype == object else v
            # object, not pandas' str dtype, which would turn None into NaN
            out[c.name] = pd.Series(v, dtype=object)
        elif c.kind == "date":
            d = pd.Series(v, dtype="datetime64[us]")
            out[c.name] = d.dt.date.astype(object).where(d.notna(), None).astype(object)
        elif c.kind == "num":
            out[c.name] = v.astype("float64")
        else:
            out[c.name] = np.nan_to_num(v, nan=0).astype("int64")
    return pd.DataFrame(out).set_axis(pd.Index(t.rows, name="row"))
