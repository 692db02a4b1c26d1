"""The overview's indicator cards and their legend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.values import badge, fmt, fmt_change
from dashboard.i18n import t
from queries.engine import registry


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
            f"{t('target', lang)}: {fmt(ind.code, row['target'])} &nbsp; {badge(row['verdict'], lang)}",
            unsafe_allow_html=True,
        )
        extra = f"{t('change_last_year', lang)}: {fmt_change(ind.code, row.get('change'))}"
        if isinstance(row.get("pace"), str):
            extra += (
                f"<br>{t('done', lang)} {fmt(ind.code, row['value'])} / {t('expected_by_now', lang)} "
                f"{fmt(ind.code, row['expected'])}"
            )
        if isinstance(row.get("significance"), str) and row["significance"] != "no_data":
            extra += (
                f"<br>{t('sex_ratio_interval', lang)} {fmt(ind.code, row['ci_low'])}–"
                f"{fmt(ind.code, row['ci_high'])}"
            )
        st.markdown(f"<span style='font-size:0.85em;color:#444'>{extra}</span>", unsafe_allow_html=True)


def legend(lang: str) -> None:
    st.markdown(" ".join(badge(k, lang) for k in registry.VERDICT), unsafe_allow_html=True)
