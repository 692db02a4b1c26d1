"""The naive way, for comparison: read every table into pandas and group there.

It computes the same measures as ``queries.analytics.read`` independently, so the benchmark
also checks that both agree.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from queries.engine.period import Period


def _read(engine: Engine, table: str) -> pd.DataFrame:
    return pd.read_sql_table(table, engine)


def naive_measures(engine: Engine, period: Period, basis: str = "registered") -> pd.DataFrame:
    units = _read(engine, "units")
    parent = dict(zip(units["code"], units["parent_code"], strict=True))
    closure = []
    for code in units["code"]:
        node = code
        while isinstance(node, str):
            closure.append((node, code))
            node = parent.get(node)
    closure = pd.DataFrame(closure, columns=["code", "unit_code"])
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.as_of)

    def in_period(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        d = pd.to_datetime(frame[column])
        return frame[(d >= start) & (d <= end)]

    births = in_period(_read(engine, "births"), "birth_date")
    births = births[births[basis] == 1]
    per_unit = births.groupby("unit_code").agg(
        births=("birth_id", "size"),
        male_births=("sex", lambda s: (s == "M").sum()),
        female_births=("sex", lambda s: (s == "F").sum()),
        in_policy_births=("in_policy", "sum"),
    )
    deaths = in_period(_read(engine, "deaths"), "death_date")
    per_unit = per_unit.join(
        deaths[deaths[basis] == 1].groupby("unit_code").size().rename("deaths"), how="outer"
    )

    pop = _read(engine, "population")
    col = f"{basis}_population"
    cur = pop[pop["year"] == period.year].set_index("unit_code")
    prev = pop[pop["year"] == period.year - 1].set_index("unit_code")
    both = pd.DataFrame({"cur": cur[col], "prev": prev[col]})
    avg = ((both["cur"] + both["prev"]) / 2).fillna(both["cur"]).fillna(both["prev"])
    eligible = cur["eligible_couples"].combine_first(prev["eligible_couples"])
    per_unit = per_unit.join(avg.rename("avg_population"), how="outer").join(
        eligible.rename("eligible_couples"), how="outer"
    )

    checks = in_period(_read(engine, "prepregnancy_checks"), "check_date")
    couples = checks.drop_duplicates(["unit_code", "couple_id"]).groupby("unit_code").size()
    per_unit = per_unit.join(couples.rename("checked_couples"), how="outer")

    migrants = _read(engine, "migrants")
    arrival = pd.to_datetime(migrants["arrival_date"])
    departure = pd.to_datetime(migrants["departure_date"])
    present = migrants[(arrival <= end) & (departure.isna() | (departure >= start))]
    services = in_period(_read(engine, "migrant_services"), "service_date")
    served_ids = set(services["migrant_id"])
    inflow = present[present["direction"] == "in"]
    per_unit = (
        per_unit.join(inflow.groupby("unit_code").size().rename("inflow_present"), how="outer")
        .join(
            inflow[inflow["migrant_id"].isin(served_ids)].groupby("unit_code").size().rename("inflow_served"),
            how="outer",
        )
        .join(
            present[present["direction"] == "out"].groupby("unit_code").size().rename("outflow_present"),
            how="outer",
        )
    )
    reported = _read(engine, "reported")
    reported = reported[reported["year"] == period.year]
    if not reported.empty:
        wide = reported.pivot_table(
            index="unit_code", columns="indicator", values=["numerator", "denominator"]
        )
        wide.columns = [f"rep_{'num' if part == 'numerator' else 'den'}_{ind}" for part, ind in wide.columns]
        per_unit = per_unit.join(wide, how="outer")
    per_unit = per_unit.astype(float).fillna(0.0)  # empty groupings come back as text columns

    rolled = (
        closure.merge(per_unit, left_on="unit_code", right_index=True).groupby("code").sum(numeric_only=True)
    )
    return rolled.reindex(units["code"]).fillna(0.0)
