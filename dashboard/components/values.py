"""How a value, a change and a verdict read on a page: the registry's format, the verdict's badge and words."""

from __future__ import annotations

import math

import pandas as pd

from dashboard.i18n import t
from queries.engine import registry


def fmt(code: str, value) -> str:
    return registry.get(code).format(None if value is None else float(value))


def fmt_change(code: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return ("+" if value > 0 else "") + fmt(code, value)


def badge(verdict: str | None, lang: str, table: dict | None = None) -> str:
    """A coloured label with a symbol, readable without colour: a verdict (``queries.engine.verdict``),
    or a code of ``table``."""
    table = table or registry.VERDICT
    s = table.get(verdict)
    if s is None:
        return ""
    return (
        f"<span style='background:{s.background};color:{s.colour};border:1px solid {s.colour};"
        f"border-radius:4px;padding:1px 6px;font-size:0.85em;white-space:nowrap'>{s.label(lang)}</span>"
    )


def verdict_text(row: pd.Series, lang: str) -> str:
    """The verdict badge with the value, the interval and the counts, as markdown."""
    code = registry.interval_judged().code
    boys = "—" if row["boys"] != row["boys"] else f"{int(row['boys'])}"
    girls = "—" if row["girls"] != row["girls"] else f"{int(row['girls'])}"
    return (
        f"{badge(row['verdict'], lang)} &nbsp; **{fmt(code, row['value'])}** · "
        f"{t('sex_ratio_interval', lang)} {fmt(code, row['ci_low'])}–{fmt(code, row['ci_high'])} · "
        f"{t('detail_sex_counts', lang, boys=boys, girls=girls)}"
    )


def rank_text(rank, count, lang: str) -> str:
    if rank is None or count is None or rank != rank or count != count:
        return "—"
    return t("detail_rank_value", lang, rank=int(rank), count=int(count))
