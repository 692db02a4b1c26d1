"""单位详情 Unit detail: one unit's indicators against its targets, its parent and its peers,
its five-year trend, births by month, the sex ratio with its interval, and its villages.

The unit is the URL's ``unit`` (other pages link here with ``query_params={"unit": code}``),
else the sidebar's unit. A sidebar change made on this page takes over from the link.
"""

import streamlit as st

from dashboard.components import url_state
from dashboard.components.cards import legend
from dashboard.components.charts import births_chart, sex_ratio_chart, trend_chart
from dashboard.components.filters import current
from dashboard.components.navigation import page_path, view_params
from dashboard.components.tables import children_frame, detail_columns, detail_styler, grid_height
from dashboard.components.values import verdict_text
from dashboard.i18n import indicator_name, level_name, t
from dashboard.runtime import data
from queries.engine import registry
from queries.engine.period import make_period
from queries.services import shape

f = current()
lang = f.lang
units = data.units(f.db)

# --- which unit: a new link wins; a sidebar change made since then wins over the link
linked = st.query_params.get("unit")
shown = st.session_state.get("_detail_shown")
sidebar_seen = st.session_state.get("_detail_sidebar")
if linked and linked != shown:
    info = shape.unit_info(units, linked)
    if info is None:
        fallback = shape.unit_info(units, f.unit)
        url_state.refuse(
            "unit",
            linked,
            t("unknown_unit", lang, param=url_state.shown("unit", linked), fallback=fallback["name"]),
        )
        info = fallback
elif linked and sidebar_seen == f.unit:
    info = shape.unit_info(units, linked)
else:
    info = shape.unit_info(units, f.unit)
code = info["code"]
st.session_state["_detail_shown"] = code
st.session_state["_detail_sidebar"] = f.unit
url_state.publish({"unit": code})

# --- header: name, level, parent
st.title(f"{t('page_detail', lang)} · {info['name']}")
head = st.columns([2, 3, 5])
head[0].markdown(f"**{t('level', lang)}**: {level_name(info['level'], lang)}")
head[0].caption(f"{t('code', lang)} {code}")
if info["parent_code"]:
    head[1].markdown(f"**{t('detail_parent', lang)}**")
    head[1].page_link(
        page_path("unit_detail.py"),
        label=info["parent_name"],
        icon="⬆️",
        query_params={"unit": info["parent_code"]},
    )
else:
    head[1].markdown(f"**{t('detail_parent', lang)}**: {t('detail_top_level', lang)}")
head[2].caption(f"{f.year} · {t('as_of', lang)} {f.as_of.isoformat()} · {t(f'basis_{f.basis}', lang)}")

table = data.indicator_table(f.db, f.county, f.year, f.as_of, f.basis)
detail = shape.unit_detail(table, code)
if not data.has_records(f.db, code, f.year, f.as_of):
    st.info(t("detail_no_data", lang))

# --- every indicator against its target, the parent and the peers
st.subheader(t("detail_indicators", lang))
legend(lang)
st.dataframe(
    detail_styler(detail, lang),
    hide_index=True,
    height=grid_height(len(detail)),
    column_config=detail_columns(lang),
)
st.caption(t("detail_peers_note", lang))

# --- five-year trend of one indicator
st.subheader(t("detail_trend", lang))
years = shape.trend_years(data.years(f.db), f.year)
trend = shape.trend_with_data(data.trend(f.db, code, tuple(years), f.basis, f.as_of))
chosen = st.selectbox(
    t("detail_trend_indicator", lang),
    list(registry.CODES),
    key="detail_trend",
    format_func=lambda c: indicator_name(c, lang),
)
st.altair_chart(trend_chart(trend, chosen, lang), width="stretch")
if make_period(f.year, f.as_of).is_full_year:
    st.caption(t("detail_trend_note", lang))
else:
    day = f"{f.as_of.month}月{f.as_of.day}日" if lang == "zh" else f.as_of.strftime("%d %B").lstrip("0")
    st.caption(t("detail_trend_note_cut", lang, year=f.year, day=day))

left, right = st.columns(2)

# --- births by month, this year against last year
with left:
    st.subheader(t("detail_births", lang))
    months = data.births_by_month(f.db, code, f.year, f.as_of, f.basis)
    st.altair_chart(births_chart(months, lang), width="stretch")
    st.caption(t("detail_births_note", lang, year=f.year))

# --- the sex ratio with its interval, the unit beside its ancestors
with right:
    st.subheader(t("detail_sex_ratio", lang))
    ratios = shape.lineage(table, code)
    st.markdown(verdict_text(ratios.iloc[0], lang), unsafe_allow_html=True)
    st.altair_chart(sex_ratio_chart(ratios, lang), width="stretch")
    st.caption(t("detail_sex_note", lang))

# --- a township's villages, each a link to its own detail
if info["level"] == "township":
    st.subheader(t("detail_villages", lang))
    card = shape.scorecard(table, code)
    if not card.empty:
        event = st.dataframe(
            children_frame(card, lang),
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=f"detail-villages-{code}",
            height=grid_height(len(card)),
        )
        st.caption(t("click_row_hint", lang))
        if event.selection.rows:
            picked = card.iloc[event.selection.rows[0]]["unit_code"]
            st.switch_page(page_path("unit_detail.py"), query_params=view_params(f, unit=picked))
