"""目标管理 Targets: download the year's target template, fill it in, upload it; see what
will change before it is saved, all or nothing, with the importer's row-precise errors; and
delete a unit's own target explicitly (an empty cell never does)."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.components.filters import current
from dashboard.components.import_errors import errors_frame
from dashboard.i18n import indicator_name, level_name, t
from dashboard.runtime import data, jobs
from queries.ingest.errors import ImportFailed
from queries.ingest.targets import XLSX_MIME, delete_targets, preview_changes, read_template, save_targets

f = current()
lang = f.lang
names = data.units(f.db).set_index("code")["name"]
root = f.township or f.county
st.title(f"{t('page_targets', lang)} · {names[root]}")

years = sorted(set(data.years(f.db)) | {f.year, max(data.years(f.db) or [f.year]) + 1}, reverse=True)
year = st.selectbox(t("tg_year", lang), years, index=years.index(f.year), key="tg_year")
st.caption(t("tg_scope", lang, unit=names[root], year=year))

flash = st.session_state.pop("tg_flash", None)
if flash:
    st.success(flash)


def _fmt_target(code: str, value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):g}"


def _changes_frame(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("tg_row", lang): rows["row"].astype(int),
            t("year", lang): rows["year"].astype(int),
            t("unit", lang): rows["name"].fillna(rows["unit_code"]) + "（" + rows["unit_code"] + "）",
            t("level", lang): rows["level"].map(
                lambda lv: level_name(lv, lang) if isinstance(lv, str) else ""
            ),
            t("as_indicator", lang): rows["indicator"].map(lambda c: indicator_name(c, lang)),
            t("tg_old", lang): [
                _fmt_target(c, v) for c, v in zip(rows["indicator"], rows["old"], strict=True)
            ],
            t("tg_new", lang): [
                _fmt_target(c, v) for c, v in zip(rows["indicator"], rows["new"], strict=True)
            ],
            t("tg_change", lang): rows["change"].map(lambda k: t(f"tg_change_{k}", lang)),
        }
    )


# A save runs as a job: it finishes even when the user leaves the page, and says how it
# ended when the page is opened again.
SAVE_JOB = "tg_save_job"
saving = jobs.pending(SAVE_JOB)
if saving is not None:
    jobs.follow(saving, lambda step: t("tg_saving", lang))
    if isinstance(saving.error, ImportFailed):
        st.error(t("tg_refused", lang, n=len(saving.error.errors)))
        st.dataframe(errors_frame(saving.error, lang), hide_index=True)
    elif saving.error is not None:
        raise saving.error
    else:
        st.success(t("tg_saved", lang, n=saving.result.total))

# --- 1. download ------------------------------------------------------------------------------
st.subheader(t("tg_step_download", lang))
st.markdown(t("tg_download_help", lang))
# Made when clicked: writing the workbook for a city's 4,000 units takes seconds.
st.download_button(
    t("tg_download", lang),
    partial(data.target_template, f.db, root, year),
    f"目标模板_{root}_{year}.xlsx",
    XLSX_MIME,
    key="tg_download",
    on_click="ignore",
)

# --- 2. upload, preview, save -------------------------------------------------------------------
st.subheader(t("tg_step_upload", lang))
st.markdown(t("tg_upload_help", lang))
generation = st.session_state.setdefault("tg_generation", 0)
upload = st.file_uploader(t("tg_upload", lang), type=["xlsx"], key=f"tg_upload_{generation}")
if upload is not None:
    try:
        frame = read_template(upload.getvalue(), upload.name)
        with data.engine(lang).connect() as conn:
            preview = preview_changes(conn, frame)
    except ImportFailed as exc:
        st.error(t("tg_refused", lang, n=len(exc.errors)))
        st.dataframe(errors_frame(exc, lang), hide_index=True)
    else:
        counts = preview["change"].value_counts()
        c1, c2, c3, c4 = st.columns(4)
        for col, kind in zip((c1, c2, c3, c4), ("added", "changed", "unchanged", "kept"), strict=True):
            col.metric(t(f"tg_change_{kind}", lang), f"{int(counts.get(kind, 0)):,}")
        changes = preview[preview["change"].isin(["added", "changed"])]
        kept = preview[preview["change"] == "kept"]
        if changes.empty:
            st.info(t("tg_nothing_to_save", lang))
        else:
            st.markdown(t("tg_preview_title", lang, n=len(changes)))
            st.dataframe(_changes_frame(changes), hide_index=True, key="tg_preview")
        if len(kept):
            st.warning(t("tg_kept_note", lang, n=len(kept)))
            st.dataframe(_changes_frame(kept), hide_index=True, key="tg_kept")
        if len(changes) and st.button(t("tg_save", lang, n=len(changes)), type="primary", key="tg_save"):
            eng = data.engine(lang)
            jobs.start(SAVE_JOB, "save targets", lambda job: save_targets(eng, frame))
            st.session_state["tg_generation"] = generation + 1  # a fresh, empty uploader
            st.rerun()

# --- 3. delete own targets ---------------------------------------------------------------------
with st.expander(t("tg_delete_title", lang)):
    st.markdown(t("tg_delete_help", lang))
    own = data.own_targets(f.db, root, year)
    if own.empty:
        st.info(t("tg_no_own_targets", lang, year=year))
    else:
        keys = [f"{u}|{c}" for u, c in zip(own["unit_code"], own["indicator"], strict=True)]
        label = {
            k: f"{n}（{u}）· {indicator_name(c, lang)} · {_fmt_target(c, v)}"
            for k, u, n, c, v in zip(
                keys, own["unit_code"], own["name"], own["indicator"], own["target"], strict=True
            )
        }
        picks = st.multiselect(t("tg_delete_pick", lang), keys, format_func=label.get, key="tg_delete_pick")
        if picks:
            fallback = data.target_fallbacks(f.db, root, year)
            after = [fallback.get(tuple(k.split("|", 1))) for k in picks]
            st.dataframe(
                pd.DataFrame(
                    {
                        t("as_indicator", lang): [label[k] for k in picks],
                        t("tg_after_delete", lang): [
                            _fmt_target(k.split("|", 1)[1], v)
                            if v is not None
                            else t("tg_no_target_after", lang)
                            for k, v in zip(picks, after, strict=True)
                        ],
                    }
                ),
                hide_index=True,
            )
            sure = st.checkbox(t("tg_delete_confirm", lang, n=len(picks)), key="tg_delete_sure")
            if st.button(t("tg_delete", lang, n=len(picks)), disabled=not sure, key="tg_delete_go"):
                gone = delete_targets(data.engine(lang), year, [tuple(k.split("|", 1)) for k in picks])
                for key in ("tg_delete_pick", "tg_delete_sure"):
                    st.session_state.pop(key, None)
                st.session_state["tg_flash"] = t("tg_deleted", lang, n=gone)
                st.rerun()
