"""年终考核 Assessment: every township (or every village) scored against its target-responsibility
contract under the rules in config/assessment.toml — points per indicator, total, rank, the
veto (一票否决) and what caused it, the change of rank since last year; a unit's breakdown."""

import pandas as pd
import streamlit as st

from dashboard.components import url_state
from dashboard.components.assessment_view import (
    assessment_export,
    ranking_table,
    rules_table,
    score_header,
    unit_breakdown,
    veto_text,
)
from dashboard.components.exports import XLSX_MIME, table_downloads
from dashboard.components.filters import current
from dashboard.components.navigation import page_path, view_params
from dashboard.components.tables import grid_height
from dashboard.i18n import indicator_name, level_name, t
from dashboard.papers.make import file_names, make_papers
from dashboard.runtime import data, jobs
from queries.engine import registry
from queries.engine.period import make_period
from queries.services.assessment import LEVELS, RulesError, assessment_summary

f = current()
lang = f.lang
names = data.units(f.db).set_index("code")["name"]

try:
    rules = data.assessment_rules(*data.rules_key())
except RulesError as exc:
    st.title(t("page_assessment", lang))
    st.error(t("as_rules_error", lang, reason=str(exc)))
    st.stop()

title = st.empty()  # the title names the level, chosen just below it
url_state.follow("as_level", "village" if f.township else "township", lambda v: v if v in LEVELS else None)
level = (
    st.segmented_control(
        t("level", lang), LEVELS, key="as_level", format_func=lambda lv: t(f"as_level_{lv}", lang)
    )
    or "township"
)
url_state.publish({"as_level": level})
root = f.county if level == "township" else (f.township or f.county)
level_rules = rules.level_rules(level)

title.title(f"{t('page_assessment', lang)} · {names[root]} · {t(f'as_level_{level}', lang)}")
path, _ = data.rules_key()
st.caption(
    f"{f.year} · {t('as_of', lang)} {f.as_of.isoformat()} · {t(f'basis_{f.basis}', lang)} · "
    + t("as_rules_from", lang, path=data.rules_label(path), points=f"{rules.max_points(level):g}")
)
if make_period(f.year, f.as_of).is_provisional:
    st.warning(t("as_provisional", lang, as_of=f.as_of.isoformat(), year=f.year))

frame = data.assessment(f.db, root, f.year, f.as_of, f.basis, level, *data.rules_key())
if frame.empty:
    st.info(t("as_no_units", lang))
    st.stop()
judged = [c for c in frame.columns if c.endswith("|status")]  # the plain status: is anything judged
if not frame[judged].isin(["met", "not_met"]).to_numpy().any():
    st.info(t("empty_year", lang, year=f.year, as_of=f.as_of.isoformat()))
    st.stop()

summary = assessment_summary(frame)
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("as_units", lang), f"{summary['units']:,}")
m2.metric(t("as_vetoed_units", lang), f"{summary['vetoed']:,}")
m3.metric(t("as_full_marks", lang), f"{summary['full_marks']:,}")
m4.metric(t("as_mean_score", lang), f"{summary['mean_score']:.1f} / {rules.max_points(level):g}")

# --- the ranking ------------------------------------------------------------------------------
shown = ranking_table(frame, level_rules, lang)
css = pd.DataFrame("", index=shown.index, columns=shown.columns)
veto_col = t("as_veto", lang)
css.loc[frame["vetoed"].to_numpy(), veto_col] = (
    f"background-color:{registry.VERDICT['not_met'].background};color:{registry.VERDICT['not_met'].colour}"
)
styler = shown.style
for rule in level_rules:
    col = score_header(rule, lang)
    verdict = frame[f"{rule.indicator}|verdict"]
    for key, spec in registry.VERDICT.items():
        rows = verdict.index[verdict == key]
        if not len(rows):
            continue
        css.loc[rows, col] = f"background-color:{spec.background};color:{spec.colour}"
        if rule.points > 0:
            styler = styler.format(
                lambda v, sym=spec.symbol: "" if pd.isna(v) else f"{sym} {round(float(v), 2):g}",
                subset=pd.IndexSlice[rows, [col]],
            )
styler = styler.format("{:.2f}", subset=[t("as_total", lang)]).format("{:g}", subset=[t("as_max", lang)])
styler = styler.apply(lambda _: css, axis=None)

st.subheader(t("as_ranking", lang))
event = st.dataframe(
    styler,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key=f"assessment-{root}-{level}-{f.year}",
    column_config={veto_col: st.column_config.TextColumn(width="medium")},
    height=grid_height(len(shown), cap=760),
)
st.caption(t("as_legend", lang))

notes = []
no_data = frame[frame["no_data_by"] != ""]
if len(no_data):
    notes.append(t("as_no_data_note", lang, n=len(no_data)))
no_target = frame[frame["no_target_by"] != ""]
if len(no_target):
    notes.append(t("as_no_target_note", lang, n=len(no_target)))
if rules.vetoes(level):
    notes.append(t("as_sex_ratio_note", lang))
for note in notes:
    st.caption(note)

# --- one unit's breakdown ------------------------------------------------------------------
codes = frame["unit_code"].tolist()
picked_rows = event.selection.rows if event and event.selection else []
seen_key = f"_as_seen-{root}-{level}"
if picked_rows and st.session_state.get(seen_key) != picked_rows:
    st.session_state[seen_key] = picked_rows
    st.session_state["as_unit"] = codes[picked_rows[0]]
if st.session_state.get("as_unit") not in codes:
    st.session_state["as_unit"] = codes[0]
st.subheader(t("as_breakdown", lang))
unit = st.selectbox(
    t("as_pick_unit", lang),
    codes,
    key="as_unit",
    format_func=lambda c: f"{names.get(c, c)}（{c}）",
)
row = frame.set_index("unit_code").loc[unit]
head = t(
    "as_unit_head",
    lang,
    name=row["name"],
    total=f"{row['total']:.2f}",
    max=f"{row['max_points']:g}",
    rank=int(row["rank"]),
    n=len(frame),
)
if row["vetoed"]:
    st.error(head + " · " + t("as_unit_vetoed", lang, by=veto_text(row["veto_by"], lang).lstrip("✘ ")))
else:
    st.success(head)
st.dataframe(unit_breakdown(row, level_rules, lang), hide_index=True, height=grid_height(len(level_rules)))
if row["no_data_by"]:
    missing = "、".join(indicator_name(c, lang) for c in row["no_data_by"].split(","))
    st.caption(t("as_unit_no_data", lang, indicators=missing))
if row["no_target_by"]:
    missing = "、".join(indicator_name(c, lang) for c in row["no_target_by"].split(","))
    st.caption(t("as_unit_no_target", lang, indicators=missing))
st.page_link(
    page_path("unit_detail.py"),
    label=t("open_detail", lang) + f" · {row['name']}",
    query_params=view_params(f, unit=unit),
)

# --- the rules and the downloads --------------------------------------------------------------
with st.expander(t("as_rules_title", lang, level=level_name(level, lang))):
    st.dataframe(rules_table(level_rules, lang), hide_index=True)
    st.markdown(t("as_rules_explained", lang))

export = assessment_export(frame, level_rules, lang)
stem = f"assessment_{level}_{root}_{f.year}_{f.as_of.isoformat()}"
xlsx_name, pdf_name = file_names(f.year)
d1, d2, d3 = st.columns(3)
# Every file is made when its button is clicked, not on each rerun: the papers take seconds.
table_downloads(export, stem, t("page_assessment", lang), lang, d1, d2)
# The papers take half a minute: a job with a progress bar, kept per view and data version.
papers_key = f"as_papers|{f.db.version}|{f.year}|{f.as_of}|{f.basis}|{data.rules_key()}"
job = jobs.pending(papers_key)
if job is None and d3.button(t("as_papers_make", lang), key="as_papers_make"):
    engine = data.engine(lang)  # the process's one engine: the job's connections come from its pool
    job = jobs.start(
        papers_key,
        "papers",
        lambda job: make_papers(
            engine,
            f.county,
            f.year,
            rules,
            f.basis,
            f.as_of,
            lambda done, total, step: job.report(done / total, step),
        ),
    )
if job is not None:
    jobs.follow(job, lambda step: t("papers_making", lang, step=data.step_label(step, lang)))
    if job.error is not None:
        raise job.error
    st.session_state[papers_key] = job  # kept: the downloads stay until the data change
    xlsx, pdf = job.result
    st.markdown(t("papers_ready", lang))
    p1, p2 = st.columns(2)
    p1.download_button(t("as_papers_xlsx", lang), xlsx, xlsx_name, XLSX_MIME, on_click="ignore")
    p2.download_button(t("as_papers_pdf", lang), pdf, pdf_name, "application/pdf", on_click="ignore")
st.caption(t("as_papers_note", lang))
