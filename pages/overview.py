"""总览 Overview: the chosen unit's indicators as cards, and the units most behind."""

import streamlit as st

from dashboard.components.cards import indicator_card, legend
from dashboard.components.filters import current
from dashboard.components.navigation import page_header, page_path, view_params
from dashboard.i18n import indicator_name, level_name, t
from dashboard.runtime import data
from queries.services import shape
from queries.store.schema import DATA_LEVELS

f = current()
lang = f.lang
names = data.units(f.db).set_index("code")["name"]
page_header(f, "page_overview", names[f.unit])
if f.as_of.month != 12 or f.as_of.day != 31:
    st.caption(t("in_year_note", lang))
legend(lang)

cards = data.overview(f.db, f.unit, f.year, f.as_of, f.basis)
cols = st.columns(4)
for i, (_, card) in enumerate(cards.iterrows()):
    with cols[i % 4]:
        indicator_card(card, lang)

st.subheader(t("units_behind", lang))
table = data.indicator_table(f.db, f.unit, f.year, f.as_of, f.basis)
levels = ("township",) if f.unit == f.county else DATA_LEVELS
behind = shape.units_behind(table, levels)
if behind.empty:
    st.success(t("no_units_behind", lang))
for row in behind.itertuples():
    c1, c2, c3, c4 = st.columns([3, 2, 2, 3])
    c1.page_link(
        page_path("unit_detail.py"),
        label=f"{row.name}（{level_name(row.level, lang)}）",
        query_params=view_params(f, unit=row.unit_code),
    )
    c2.markdown(f"{t('failing_count', lang)}: **{row.failing}** / {row.judged}")
    c3.markdown(f"{t('behind_count', lang)}: **{row.behind}**")
    c4.markdown(
        f"{t('worst_indicator', lang)}: {indicator_name(row.worst_indicator, lang) if isinstance(row.worst_indicator, str) else '—'}"
    )
