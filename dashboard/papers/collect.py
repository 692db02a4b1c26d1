"""What the papers show, read once from the database: the assessment of every township and
village (both papers), and the indicator table, the units and the checks' curves (the PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from queries.engine.indicators import compute
from queries.engine.period import Period, make_period
from queries.services.assessment import Rule, Rules, assess
from queries.services.catalogue import units_frame
from queries.services.trends import check_curves

LEVELS = ("township", "village")


@dataclass(frozen=True, eq=False)
class Papers:
    root: str
    county: str
    period: Period
    basis: str
    rules: Rules
    frames: dict[str, pd.DataFrame]  # level → assess()
    names: pd.Series  # unit code → name

    def codes(self, level: str) -> list[str]:
        """The indicators the level's assessment counts, in the rules' order."""
        return [c[: -len("|status")] for c in self.frames[level].columns if c.endswith("|status")]

    def rule(self, level: str, code: str) -> Rule | None:
        return next((r for r in self.rules.level_rules(level) if r.indicator == code), None)

    @property
    def title(self) -> str:
        return f"{self.county} {self.period.year}年度 年终考核"


@dataclass(frozen=True, eq=False)
class ReportData:
    """What only the PDF shows, beyond the assessment."""

    table: pd.DataFrame  # compute(): every unit's indicators
    units: pd.DataFrame  # units_frame(), codes as text
    curves: pd.DataFrame  # check_curves() for the county


def collect(
    conn: Connection, root: str, year: int, rules: Rules, basis: str, as_of: date | str | None
) -> Papers:
    period = make_period(year, as_of)
    as_of_date = None if as_of is None else period.as_of
    frames = {lv: assess(conn, root, period.year, lv, rules, basis=basis, as_of=as_of_date) for lv in LEVELS}
    names = units_frame(conn).set_index("code")["name"]
    return Papers(
        root=root,
        county=str(names.get(root, root)),
        period=period,
        basis=basis,
        rules=rules,
        frames=frames,
        names=names,
    )


def report_data(conn: Connection, p: Papers) -> ReportData:
    units = units_frame(conn)
    units["code"] = units["code"].astype(str)
    return ReportData(
        table=compute(conn, p.root, p.period, p.basis),
        units=units,
        curves=check_curves(conn, p.root, p.period),
    )
