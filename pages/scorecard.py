"""目标考核 Scorecard: every township (or every village of the chosen township) against
every indicator, sortable, filterable, downloadable; a click opens the unit's detail."""

import streamlit as st

from dashboard.components import url_state
from dashboard.components.cards import legend
from dashboard.components.exports import scorecard_export, table_downloads
from dashboard.components.filters import current
from dashboard.components.navigation import page_path, view_params
from dashboard.components.tables import focus_frame, grid_height, scorecard_styler
from dashboard.i18n import indicator_name, level_name, t
from dashboard.runtime import data
from queries.engine import registry
from queries.services import shape

f = current()
lang = f.lang
parent = f.township or f.county
names = data.units(f.db).set_index("code")["name"]
table = data.indicator_table(f.db, f.county, f.year, f.as_of, f.basis)
child_level = shape.level_of_children(table, parent)
st.title(f"{t('page_scorecard', lang)} · {names[parent]}")
st.caption(
    f"{f.year} · {t('as_of', lang)} {f.as_of.isoformat()} · {t(f'basis_{f.basis}', lang)}"
    + (f" · {level_name(child_level, lang)}" if child_level else "")
)
# The rank here counts indicators met; the year-end assessment scores points and vetoes, so
# the same township can rank 2nd here and 9th there. Say so, and lead to the assessment.
st.caption(t("sc_not_assessment", lang))
st.page_link(
    page_path("assessment.py"),
    label=t("sc_to_assessment", lang),
    icon=":material/military_tech:",
    query_params=view_params(f),
)

url_state.follow("indicator", "", lambda v: v if v in registry.BY_CODE else None)
url_state.follow("failing", False, {"1": True, "0": False}.get)
c1, c2 = st.columns([3, 2])
focus = c1.selectbox(
    t("focus_indicator", lang),
    ["", *registry.CODES],
    key="indicator",
    format_func=lambda c: indicator_name(c, lang) if c else t("all_indicators", lang),
)
only_failing = c2.toggle(t("only_failing", lang), key="failing")
url_state.publish({"indicator": focus or None, "failing": "1" if only_failing else None})

card = data.scorecard(f.db, f.county, f.year, f.as_of, f.basis, parent)
if card.empty:
    st.info(t("no_data_unit", lang))
    st.stop()
if only_failing:
    card = shape.failing_only(card)
codes = [focus] if focus else list(registry.CODES)

legend(lang)
shown = focus_frame(card, focus, lang) if focus else scorecard_styler(card, codes, lang)
event = st.dataframe(
    shown,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key=f"scorecard-{parent}-{focus}-{only_failing}",
    height=grid_height(len(card), cap=760),
)
st.caption(t("click_row_hint", lang))
if event.selection.rows:
    picked = card.iloc[event.selection.rows[0]]["unit_code"]
    st.switch_page(page_path("unit_detail.py"), query_params=view_params(f, unit=picked))

export = scorecard_export(card, codes, lang)
stem = f"scorecard_{parent}_{f.year}_{f.as_of.isoformat()}"
d1, d2, _ = st.columns([1, 1, 4])
table_downloads(export, stem, t("page_scorecard", lang), lang, d1, d2)
