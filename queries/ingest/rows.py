"""Rules within one file, across its cells: keys, and the rules that read two columns.

Each record's id or key is unique in its file; a migrant does not leave before arriving;
``targets`` and ``reported`` name known indicator codes (``reported`` only the
survey-reported ones) and a reported numerator does not exceed its denominator.
"""

from __future__ import annotations

import pandas as pd

from queries.engine import registry
from queries.ingest.checking import Findings, Table
from queries.ingest.spec import KEYS
from queries.ingest.values import isin, quote, show


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

    def word(row: int, rows: list[int], vals: tuple) -> str:
        shown = ", ".join(show(v) for v in vals)
        shown = f"'{shown}'" if len(vals) == 1 else f"({shown})"
        others = [str(r) for r in rows if r != row]
        return f"duplicate {column} {shown} (also on row{'s' if len(others) > 1 else ''} {', '.join(others)})"

    found.add_by_row(
        t,
        column,
        {
            r: word(r, rows, tuple(vals))
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
        lambda m: (
            "departure "
            + t.raw_text("departure_date", m)
            + " is before arrival "
            + t.raw_text("arrival_date", m)
        ),
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
        lambda m: "unknown indicator code " + quote(ind[m]) + f"; known codes: {', '.join(codes)}",
    )
    if t.name == "reported":
        computed = ok["indicator"] & known & ~isin(ind, codes)
        found.add(
            t,
            computed,
            "indicator",
            lambda m: (
                quote(ind[m])
                + " is computed from the event files, not reported; reported.csv takes only "
                + f"the survey-reported indicators {', '.join(codes)}"
            ),
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
        lambda m: (
            "numerator "
            + t.raw_text("numerator", m)
            + " is greater than denominator "
            + t.raw_text("denominator", m)
            + "; a % rate cannot exceed 100 %"
        ),
    )
