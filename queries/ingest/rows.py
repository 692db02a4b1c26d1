"""Rules within one file, across its cells: keys, and the rules that read two columns.

Each record's id or key is unique in its file; a migrant does not leave before arriving;
``targets`` and ``reported`` name known indicator codes (``reported`` only the
survey-reported ones) and a reported numerator does not exceed its denominator.
"""

from __future__ import annotations

import pandas as pd

from queries.engine import registry
from queries.ingest.checking import CELL, Findings, Table
from queries.ingest.spec import KEYS
from queries.ingest.values import isin, show


def check_rows(found: Findings, t: Table) -> None:
    """Every rule of this module that applies to ``t``."""
    check_keys(found, t)
    if t.name == "migrants":
        _check_departures(found, t)
    if t.name in ("targets", "reported"):
        _check_indicators(found, t)
    if t.name == "reported":
        _check_rates(found, t)


def check_keys(found: Findings, t: Table) -> None:
    """Each key once: every row holding a doubled key names the other rows that hold it."""
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

    def shown(vals: tuple) -> str:
        text = ", ".join(show(v) for v in vals)
        return text if len(vals) == 1 else f"({text})"

    def others(row: int, rows: list[int]) -> dict:
        rest = [str(r) for r in rows if r != row]
        return {"others": ", ".join(rest), "s": "s" if len(rest) > 1 else ""}

    found.add_by_row(
        t,
        column,
        {
            r: ("duplicate_key", {"key": column, "value": shown(tuple(vals)), **others(r, rows)})
            for r, rows, *vals in zip(d["_row"], d["_all"], *(d[k] for k in key), strict=True)
        },
    )


def _check_departures(found: Findings, t: Table) -> None:
    v, ok = t.values, t.ok
    early = ok["arrival_date"] & ok["departure_date"] & (v["departure_date"] < v["arrival_date"])
    found.add(
        t,
        early,
        "departure_date",
        "departure_before_arrival",
        value=CELL,
        arrival=lambda m: t.raw_text("arrival_date", m),
    )
    ok["departure_date"] = ok["departure_date"] & ~early


def _check_indicators(found: Findings, t: Table) -> None:
    ok = t.ok
    codes = registry.REPORTED_CODES if t.name == "reported" else registry.CODES
    ind = t.text["indicator"]
    known = isin(ind, registry.CODES)
    unknown = ok["indicator"] & ~known
    found.add(
        t,
        unknown,
        "indicator",
        "unknown_indicator",
        value=CELL,
        codes=", ".join(codes),
    )
    if t.name == "reported":
        computed = ok["indicator"] & known & ~isin(ind, codes)
        found.add(
            t,
            computed,
            "indicator",
            "computed_indicator",
            value=CELL,
            label=t.label,
            codes=", ".join(codes),
        )
        unknown = unknown | computed
    ok["indicator"] = ok["indicator"] & ~unknown


def _check_rates(found: Findings, t: Table) -> None:
    v, ok = t.values, t.ok
    over = ok["numerator"] & ok["denominator"] & (v["numerator"] > v["denominator"])
    found.add(
        t,
        over,
        "numerator",
        "numerator_over_denominator",
        value=CELL,
        denominator=lambda m: t.raw_text("denominator", m),
    )
