"""The doubling guard: records an import would add that are stored already under other ids.

A spreadsheet that took an id column for numbers turns ``0000000001`` into ``1``; imported
again, every record would be added a second time under its mangled id and every count
doubled. The signature: rows that would be *added* (a new id) whose content — every column
but the id: unit, date and the rest — equals a stored record's. Text columns other than the
unit code (a couple's or a migrant's id, a parent code) are compared with their leading
zeros stripped too, since the same spreadsheet mangled them as well.

Content alone is fooled by coincidence: two migrants of one sex arriving in one village on
one day are two real people. So a file is refused only when

* most of its added rows match (at least ``SHARE`` of them and at least ``MIN_ROWS``), or
* any added row matches a stored record whose id is its own once leading zeros are
  stripped (``1`` and ``0000000001``): a coincidence cannot do that.

Only tables keyed by an id of their own are guarded (units, births, deaths, checks,
migrants, services). Population, targets and reported are keyed by year, unit (and
indicator): a mangled unit code is refused by the unit checks already, and many units
sharing a target value is no sign of anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select

from queries.ingest.effect import Staged
from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.spec import KEYS, SPEC

SHARE = 0.5
MIN_ROWS = 10
KINDS = {name: {c.name: c.kind for c in cols} for name, cols in SPEC.items()}
# Tables keyed by one text column of their own: the id a spreadsheet can mangle.
ID_COLUMN = {
    name: key[0] for name, key in KEYS.items() if len(key) == 1 and KINDS[name].get(key[0]) == "text"
}


@dataclass(frozen=True)
class Doubling:
    """One file's added rows that match stored records under other ids."""

    table: str
    file: str
    count: int  # added rows matching a stored record
    added: int  # rows the file would add
    row: int  # an example: its spreadsheet row,
    new_id: str  # its id in the file,
    stored_id: str  # and the id of the stored record it matches
    zeros: bool  # some match differs from its stored id only by leading zeros

    def error(self) -> RowError:
        return RowError.of(
            self.file,
            None,
            ID_COLUMN[self.table],
            # Leading zeros gone is a spreadsheet's doing; other new ids, a renumbering export's.
            "doubling_suspected" if self.zeros else "doubling_renumbered",
            count=self.count,
            added=self.added,
            at=self.row,
            new_id=self.new_id,
            stored_id=self.stored_id,
        )


class DoublingSuspected(ImportFailed):
    """An import refused because it would add records stored already under other ids."""

    def __init__(self, suspects: tuple[Doubling, ...]):
        self.suspects = suspects
        super().__init__([d.error() for d in suspects])


def refused(d: Doubling) -> bool:
    """Whether the rule refuses this file (see the module's docstring)."""
    return d.zeros or (d.count >= MIN_ROWS and d.count >= math.ceil(SHARE * d.added))


def suspects(conn: Connection, staged: dict[str, Staged], added: dict[str, int]) -> tuple[Doubling, ...]:
    """The guarded files the rule refuses, in import order; ``added`` the rows each table
    would add (from the effect), so that a file adding nothing costs no query."""
    out = []
    for name, s in staged.items():
        if name not in ID_COLUMN or not added.get(name):
            continue
        d = _matches(conn, s, added[name])
        if d is not None and refused(d):
            out.append(d)
    return tuple(out)


def _matches(conn: Connection, s: Staged, added: int) -> Doubling | None:
    ident = ID_COLUMN[s.table.name]
    n, o, k = s.temp, s.table.alias("stored"), s.table.alias("same_key")
    same = []
    for c in s.table.columns:
        if c.name == ident:
            continue
        kind = KINDS[s.table.name].get(c.name)
        new: ColumnElement = n.c[c.name]
        old: ColumnElement = o.c[c.name]
        if kind == "text" and c.name != "unit_code":
            new, old = func.ltrim(new, "0"), func.ltrim(old, "0")
        # Equality where it cannot be NULL keeps the table's indexes usable (PostgreSQL
        # cannot use one for IS NOT DISTINCT FROM).
        same.append(new.is_not_distinct_from(old) if c.nullable else new == old)
    is_added = ~select(literal(1)).select_from(k).where(k.c[ident] == n.c[ident]).exists()
    zeros = case((func.ltrim(n.c[ident], "0") == func.ltrim(o.c[ident], "0"), 1), else_=0)
    pairs = (
        select(n.c._row, n.c[ident].label("new_id"), o.c[ident].label("stored_id"), zeros.label("zeros"))
        .select_from(n.join(o, and_(*same)))
        .where(is_added)
        .subquery()
    )
    count, any_zeros = conn.execute(
        select(func.count(func.distinct(pairs.c._row)), func.max(pairs.c.zeros))
    ).one()
    if not count:
        return None
    row, new_id, stored_id = conn.execute(
        select(pairs.c._row, pairs.c.new_id, pairs.c.stored_id)
        .order_by(pairs.c.zeros.desc(), pairs.c._row, pairs.c.stored_id)
        .limit(1)
    ).one()
    return Doubling(s.table.name, s.label, int(count), added, int(row), new_id, stored_id, bool(any_zeros))
