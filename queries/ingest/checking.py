"""What every check works on: the tables under check and the errors found so far.

A ``Table`` is one table of the import: its rows' spreadsheet numbers, its columns parsed
(``values``) and which cells are good (``ok``), so that a later check skips a cell an
earlier one refused. ``Findings`` collects the errors and reports them in a stable order:
by table, row and column as the format lists them, one reason per cell (the first found).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from queries.ingest import values
from queries.ingest.errors import RowError
from queries.ingest.spec import SPEC, TABLE_NAMES, label
from queries.ingest.values import Mask

# The bad cell a message quotes: CELL (the column's cell as written), per-row values, or one text.
Value = str | np.ndarray | Callable[[Mask], "np.ndarray | list"] | None
CELL = "<cell>"


def _per_row(v, mask: Mask) -> list:
    out = v(mask) if callable(v) else v[mask]
    return [x.item() if isinstance(x, np.generic) else x for x in out]


class Table:
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
        """The masked cells as the file wrote them, for a message."""
        if column in self.text:
            return self.text[column][mask]
        return values.text(self.raw[column][mask])

    def all_ok(self, columns: Iterable[str]) -> Mask:
        out = np.ones(len(self), dtype=bool)
        for c in columns:
            out &= self.ok[c]
        return out

    def mask_of(self, rows: Iterable[int]) -> Mask:
        """The rows with these spreadsheet numbers."""
        return np.isin(self.rows, list(rows))


class Findings:
    """The errors found in one import, by table, row and column."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self._errors: list[tuple] = []  # (table rank, row, column rank, seq, RowError)

    def label(self, table: str) -> str:
        return label(self.labels, table)

    def add(
        self,
        t: Table | str,
        mask: Mask | None,
        column: str | None,
        code: str,
        *,
        value: Value = None,
        **params: object,
    ) -> None:
        """Record an error for every row in ``mask`` (or one file-level error when mask is None).

        ``code`` is a key of ``messages.MESSAGES``, the same for every row. ``value`` is the
        bad cell quoted in the message: ``CELL`` for the column's cell as the file wrote it,
        an array aligned with the table, a function of the mask, or (file-level) the text. A parameter may
        be an array aligned with the table or a function of the mask, to differ by row.
        """
        name = t.name if isinstance(t, Table) else t
        file = t.label if isinstance(t, Table) else self.label(name)
        rank = TABLE_NAMES.index(name) if name in TABLE_NAMES else -1
        cols = [c.name for c in SPEC.get(name, ())]
        crank = cols.index(column) if column in cols else len(cols)
        if mask is None:
            fixed = {k: v for k, v in params.items()}
            err = RowError.of(file, None, column, code, None if value is None else str(value), **fixed)
            self._errors.append((rank, 0, crank, len(self._errors), err))
            return
        if not mask.any():
            return
        assert isinstance(t, Table)
        rows = t.rows[mask].tolist()
        n = len(rows)
        cells: list = [None] * n
        if isinstance(value, str) and value == CELL:
            assert column is not None
            cells = [str(v) for v in t.raw_text(column, mask)]
        elif value is not None:
            cells = _per_row(value, mask)
        per_row = {
            k: _per_row(v, mask) for k, v in params.items() if callable(v) or isinstance(v, np.ndarray)
        }
        fixed = {k: v for k, v in params.items() if k not in per_row}
        seq = len(self._errors)
        for i, r in enumerate(rows):
            row_params = {**fixed, **{k: v[i] for k, v in per_row.items()}}
            err = RowError.of(file, r, column, code, cells[i], **row_params)
            self._errors.append((rank, r, crank, seq + i, err))

    def add_by_row(
        self,
        t: Table,
        column: str,
        reasons: dict[int, str] | dict[int, tuple[str, dict]],
        within: Mask | None = None,
    ) -> None:
        """Record ``reasons`` keyed by spreadsheet row, each a code and its parameters (a
        ``value`` parameter is the quoted cell), on those rows (of ``within``) only."""
        if not reasons:
            return
        mask = t.mask_of(reasons)
        if within is not None:
            mask &= within
        if not mask.any():
            return
        file, name = t.label, t.name
        rank = TABLE_NAMES.index(name) if name in TABLE_NAMES else -1
        cols = [c.name for c in SPEC.get(name, ())]
        crank = cols.index(column) if column in cols else len(cols)
        seq = len(self._errors)
        for i, r in enumerate(t.rows[mask].tolist()):
            given = reasons[r]
            code, params = (given[0], dict(given[1])) if isinstance(given, tuple) else (str(given), {})
            value = params.pop("value", None)
            err = RowError.of(file, r, column, code, value, **params)
            self._errors.append((rank, r, crank, seq + i, err))

    def result(self) -> list[RowError]:
        seen: set = set()
        out = []
        for *_, err in sorted(self._errors, key=lambda e: e[:4]):
            key = (err.file, err.row, err.column)
            if err.row is not None and key in seen:
                continue  # one reason per cell: the first found
            seen.add(key)
            out.append(err)
        return out
