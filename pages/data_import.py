"""数据导入 Import: upload this month's export, see what it will change, confirm, watch it
finish, and undo the latest import. Checking and writing run as jobs, outside the page's
script run: the page stays usable and a started import finishes if the user leaves."""

import streamlit as st

from dashboard.components.filters import current
from dashboard.components.import_errors import errors_frame
from dashboard.components.import_view import (
    changes_anything,
    effect_frame,
    effect_totals,
    history_frame,
    suspect_lines,
    undo_text,
)
from dashboard.i18n import t
from dashboard.runtime import data, imports, jobs

f = current()
lang = f.lang
st.title(t("page_import", lang))
st.caption(t("im_help", lang))

outcome = imports.collect()  # what a job that ended since the last run left to say
if outcome.flash:
    st.success(t(outcome.flash[0], lang, **outcome.flash[1]))
if outcome.refused is not None and outcome.whole:
    st.error(outcome.refused.one_line(lang))
elif outcome.refused is not None:
    st.error(t("im_refused", lang, name=outcome.refused_name, n=len(outcome.refused.errors)))
    st.dataframe(errors_frame(outcome.refused, lang), hide_index=True, key="im_errors")

busy = imports.running()
if busy is not None:
    key, label = busy
    jobs.watch(
        key, lambda step: t(label, lang, name=imports.current_name(), step=data.step_label(step, lang))
    )
    st.caption(t("im_leave_ok", lang))

generation = st.session_state.setdefault("im_generation", 0)
upload = st.file_uploader(
    t("im_upload", lang), type=["zip", "xlsx"], key=f"im_upload_{generation}", disabled=busy is not None
)
if upload is not None and busy is None:
    problem = imports.check_upload(upload.name, upload.size)
    if problem is not None:
        st.error(t(problem[0], lang, **problem[1]))
    else:
        imports.plan(data.engine(lang), upload.name, upload.getvalue())
        st.session_state["im_generation"] = generation + 1  # a fresh, empty uploader
        st.rerun()

plan = imports.current_plan()
if plan is not None and busy is None:
    st.subheader(t("im_effect_title", lang, name=plan.file_name))
    totals = effect_totals(plan.effect)
    for col, kind in zip(st.columns(3), ("added", "replaced", "unchanged"), strict=True):
        col.metric(t(f"im_{kind}", lang), f"{totals[kind]:,}")
    st.dataframe(effect_frame(plan.effect, lang), hide_index=True, key="im_effect")
    allow = False
    if plan.suspects:
        for line in suspect_lines(plan.suspects, lang):
            st.warning(line)
        allow = st.checkbox(t("im_allow_duplicates", lang), key="im_allow")
    if not changes_anything(plan.effect):
        st.info(t("im_nothing_new", lang))
    go, drop = st.columns(2)
    if go.button(
        t("im_confirm", lang),
        type="primary",
        key="im_confirm",
        disabled=not changes_anything(plan.effect) or (bool(plan.suspects) and not allow),
    ):
        imports.commit(data.engine(lang), allow_duplicates=allow)
        st.rerun()
    if drop.button(t("im_cancel", lang), key="im_cancel"):
        imports.drop()
        st.rerun()

st.subheader(t("im_history", lang))
history = data.import_history(f.db)
if history.empty:
    st.info(t("im_no_history", lang))
else:
    st.dataframe(history_frame(history, lang), hide_index=True, key="im_history")
    latest = data.undo_candidate(f.db)
    if latest is not None and busy is None:
        about = undo_text(latest, history)
        with st.expander(t("im_undo_title", lang)):
            st.markdown(t("im_undo_help", lang, **about))
            sure = st.checkbox(t("im_undo_confirm", lang), key="im_undo_sure")
            if st.button(t("im_undo", lang), disabled=not sure, key="im_undo"):
                st.session_state.pop("im_undo_sure", None)
                imports.undo(data.engine(lang), about["name"])
                st.rerun()
