"""Rendering pieces the pages share: status badges, indicator cards, the styled scorecard."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard.i18n import indicator_name, pace_label, status_label, t, verdict_label
from queries import registry


def fmt(code: str, value) -> str:
    return registry.get(code).format(None if value is None else float(value))


def fmt_change(code: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return ("+" if value > 0 else "") + fmt(code, value)


def badge(status: str | None, lang: str, table: dict | None = None) -> str:
    """A coloured label with a symbol, readable without colour."""
    table = table or registry.STATUS
    s = table.get(status)
    if s is None:
        return ""
    return (
        f"<span style='background:{s.background};color:{s.colour};border:1px solid {s.colour};"
        f"border-radius:4px;padding:1px 6px;font-size:0.85em;white-space:nowrap'>{s.label(lang)}</span>"
    )


def indicator_card(row: pd.Series, lang: str) -> None:
    ind = registry.get(row["indicator"])
    with st.container(border=True):
        st.markdown(f"**{ind.name(lang)}**")
        st.markdown(
            f"<span style='font-size:1.7em;font-weight:600'>{fmt(ind.code, row['value'])}</span> "
            f"<span style='color:#666'>{ind.unit_label(lang)}</span>",
            unsafe_allow_html=True,
        )
        st.markdown(
            f"{t('target', lang)}: {fmt(ind.code, row['target'])} &nbsp; {badge(row['status'], lang)}",
            unsafe_allow_html=True,
        )
        extra = f"{t('change_last_year', lang)}: {fmt_change(ind.code, row.get('change'))}"
        if isinstance(row.get("pace"), str):
            extra += (
                f"<br>{t('done', lang)} {fmt(ind.code, row['value'])} / {t('expected_by_now', lang)} "
                f"{fmt(ind.code, row['expected'])} {badge(row['pace'], lang, registry.PACE)}"
            )
        if isinstance(row.get("verdict"), str) and row["verdict"] != "no_data":
            extra += (
                f"<br>{t('sex_ratio_interval', lang)} {fmt(ind.code, row['ci_low'])}–"
                f"{fmt(ind.code, row['ci_high'])} {badge(row['verdict'], lang, registry.VERDICT)}"
            )
        st.markdown(f"<span style='font-size:0.85em;color:#444'>{extra}</span>", unsafe_allow_html=True)


def _cell_css(status: str | None) -> str:
    s = registry.STATUS.get(status)
    return "" if s is None else f"background-color:{s.background};color:{s.colour}"


def scorecard_styler(card: pd.DataFrame, codes: list[str], lang: str):
    """All-indicators view: one numeric column per indicator (so sorting is numeric),
    shown with the status symbol and coloured by status."""
    value_cols = {f"{c}|value": indicator_name(c, lang) for c in codes}
    shown = card[["rank", "name", "met", "failing", "behind", *value_cols]].rename(
        columns={
            "rank": t("rank", lang),
            "name": t("unit", lang),
            "met": t("met_count", lang),
            "failing": t("failing_count", lang),
            "behind": t("behind_count", lang),
            **value_cols,
        }
    )
    styler = shown.style
    css = pd.DataFrame("", index=shown.index, columns=shown.columns)
    for code in codes:
        col = indicator_name(code, lang)
        status = card[f"{code}|status"]
        css[col] = status.map(_cell_css)
        ind = registry.get(code)
        for key, spec in registry.STATUS.items():
            rows = status.index[status == key]
            if len(rows):
                styler = styler.format(
                    lambda v, ind=ind, sym=spec.symbol: f"{sym} {ind.format(v)}",
                    subset=pd.IndexSlice[rows, [col]],
                )
    styler = styler.apply(lambda _: css, axis=None)
    return styler


def focus_frame(card: pd.DataFrame, code: str, lang: str) -> pd.DataFrame:
    """One-indicator view: value, target, gap and status as their own sortable columns."""
    ind = registry.get(code)
    return pd.DataFrame(
        {
            t("rank", lang): card["rank"],
            t("unit", lang): card["name"],
            t("value", lang): card[f"{code}|value"].astype(float).round(ind.decimals),
            t("target", lang): card[f"{code}|target"].astype(float),
            t("gap", lang): card[f"{code}|gap"].astype(float).round(ind.decimals),
            t("status", lang): card[f"{code}|status"].map(lambda s: status_label(s, lang)),
        }
    )


def legend(lang: str) -> None:
    st.markdown(
        " ".join(badge(k, lang) for k in registry.STATUS)
        + f" &nbsp; <span style='color:#666;font-size:0.85em'>{pace_label('behind', lang)} ▼ · "
        f"{verdict_label('chance', lang)} ≈</span>",
        unsafe_allow_html=True,
    )
