"""孕前优生检查 Pre-pregnancy checks: the chosen unit's couples checked this year against its
task and last year's rhythm, then the units below it, least likely to meet their task first;
a click on a unit opens its detail."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.components.filters import current
from dashboard.components.navigation import page_header, page_path, view_params
from dashboard.components.values import badge, fmt
from dashboard.i18n import level_name, pace_label, t, verdict_label
from dashboard.runtime import data
from queries.engine import registry
from queries.services import shape
from queries.services.trends import MONTHS

CODE = registry.CHECK_COUNT
PERCENT = registry.CHECK_COVERAGE  # a % with one decimal, as the registry formats it

f = current()
lang = f.lang
units = data.units(f.db).set_index("code")
names = units["name"]
parent = f.township or f.county
page_header(f, "page_checks", names[f.unit], show_basis=False)

table = data.indicator_table(f.db, f.county, f.year, f.as_of, f.basis)
own = shape.check_progress(
    data.check_projection(f.db, f.unit, f.year, f.as_of, units.at[f.unit, "level"]), table
)
child_level = shape.level_of_children(table, parent)
children = (
    shape.check_progress(data.check_projection(f.db, parent, f.year, f.as_of, child_level), table)
    if child_level
    else shape.check_progress(pd.DataFrame(), table)
)
head = shape.check_headline(own, children)
if head["empty"]:
    st.info(t("ck_no_task", lang, year=f.year))
    st.stop()

# --- headline ---------------------------------------------------------------------------
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(t("done", lang), fmt(CODE, head["done"]))
c2.metric(t("ck_task", lang), fmt(CODE, head["target"]))
c3.metric(t("expected_by_now", lang), fmt(CODE, head["expected_now"]))
c4.metric(
    t("ck_projected_short", lang),
    fmt(CODE, head["projected_rhythm"]),
    help=t("ck_projected_help", lang, pace=fmt(CODE, head["projected_pace"])),
)
c5.metric(
    t("ck_units_miss", lang),
    t("ck_units_miss_value", lang, miss=head["likely_miss"], units=head["units"]),
    help=t("ck_units_miss_help", lang, parent=names[parent]),
)
st.markdown(
    f"{badge(head['verdict'], lang)} &nbsp; {t('ck_chance_head', lang, pct=fmt(PERCENT, head['chance']))}",
    unsafe_allow_html=True,
)

# --- cumulative by month against the task and last year ----------------------------------
st.subheader(t("ck_curve_title", lang))
curves = data.check_curves(f.db, f.unit, f.year, f.as_of)
curves = curves.assign(
    label=[t(f"ck_{s}", lang, year=y) for s, y in zip(curves["series"], curves["year"], strict=True)]
)
series_labels = list(dict.fromkeys(curves["label"]))
line_styles = {"this_year": ("#0072B2", [1, 0]), "last_year": ("#6B6B6B", [6, 4])}
styles = [line_styles[s] for s in dict.fromkeys(curves["series"])]
legend_title = t("ck_series", lang)
lines = (
    alt.Chart(curves)
    .mark_line(point=True)
    .encode(
        x=alt.X(
            "month:O",
            title=t("month", lang),
            scale=alt.Scale(domain=list(MONTHS)),
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("cumulative:Q", title=t("ck_cumulative", lang)),
        color=alt.Color(
            "label:N",
            title=legend_title,
            scale=alt.Scale(domain=series_labels, range=[c for c, _ in styles]),
            legend=alt.Legend(orient="bottom", symbolType="stroke", symbolStrokeWidth=2, symbolSize=400),
        ),
        strokeDash=alt.StrokeDash(
            "label:N", title=legend_title, scale=alt.Scale(domain=series_labels, range=[d for _, d in styles])
        ),
        tooltip=[
            alt.Tooltip("label:N", title=legend_title),
            alt.Tooltip("month:O", title=t("month", lang)),
            alt.Tooltip("cumulative:Q", title=t("ck_cumulative", lang), format=",d"),
        ],
    )
)
as_of_mark = pd.DataFrame(
    {"month": [f.as_of.month], "label": [t("ck_as_of_mark", lang, date=f.as_of.isoformat())]}
)
layers = [
    lines,
    alt.Chart(as_of_mark).mark_rule(color="#999999", strokeDash=[2, 2]).encode(x="month:O"),
    alt.Chart(as_of_mark)
    .mark_text(align="left", dx=4, dy=-6, color="#555555")
    .encode(x="month:O", y=alt.datum(0), text="label:N"),
]
if pd.notna(head["target"]):
    task = pd.DataFrame(
        {"target": [head["target"]], "label": [t("ck_target_line", lang, value=fmt(CODE, head["target"]))]}
    )
    layers += [
        alt.Chart(task).mark_rule(color="#D55E00", strokeWidth=2).encode(y="target:Q"),
        alt.Chart(task)
        .mark_text(align="left", dy=-7, color="#D55E00")
        .encode(y="target:Q", x=alt.value(4), text="label:N"),
    ]
else:
    st.caption(t("ck_no_target_line", lang))
st.altair_chart(alt.layer(*layers).properties(height=420))

# --- the units below, least likely to meet their task first ------------------------------
st.subheader(t("ck_table_title", lang, parent=names[parent]))
if f.village:
    st.caption(t("parent_units_note", lang, parent=names[parent]))
if children.empty:
    st.info(t("ck_no_children", lang))
else:
    cols = {
        "unit": t("unit", lang),
        "level": t("level", lang),
        "done": t("done", lang),
        "target": t("ck_task", lang),
        "completion": t("ck_completion", lang),
        "coverage": t("ck_coverage", lang),
        "expected": t("expected_by_now", lang),
        "pace": t("pace", lang),
        "projected": t("ck_projected_short", lang),
        "chance": t("ck_chance", lang),
        "miss": t("ck_will_miss", lang),
    }
    shown = pd.DataFrame(
        {
            cols["unit"]: children["name"],
            cols["level"]: children["level"].map(lambda v: level_name(v, lang)),
            cols["done"]: children["done"],
            cols["target"]: children["target"],
            cols["completion"]: children["completion"],
            cols["coverage"]: children["coverage"],
            cols["expected"]: children["expected_now"],
            cols["pace"]: children["pace"].map(
                lambda p: pace_label(p, lang) or verdict_label("no_target", lang)
            ),
            cols["projected"]: children["projected_rhythm"],
            cols["chance"]: children["chance"],
            cols["miss"]: children["will_miss"].map(
                lambda m: t("ck_will_miss_yes", lang) if m else t("ck_will_miss_no", lang)
            ),
        }
    )
    count = lambda v: fmt(CODE, v)  # noqa: E731
    percent = lambda v: fmt(PERCENT, v)  # noqa: E731
    styler = shown.style.format(
        {
            cols["done"]: count,
            cols["target"]: count,
            cols["expected"]: count,
            cols["projected"]: count,
            cols["completion"]: percent,
            cols["coverage"]: percent,
            cols["chance"]: percent,
        }
    )
    pace_css = {k: f"color:{s.colour}" for k, s in registry.PACE.items()}
    miss_css = f"color:{registry.VERDICT['not_met'].colour};font-weight:600"
    styler = styler.apply(
        lambda _: [pace_css.get(p, "") for p in children["pace"]], subset=[cols["pace"]], axis=0
    ).apply(lambda _: [miss_css if m else "" for m in children["will_miss"]], subset=[cols["miss"]], axis=0)
    event = st.dataframe(
        styler,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"checks-{parent}-{f.year}-{f.as_of.isoformat()}",
        height="content",
    )
    st.caption(t("click_row_hint", lang))
    if event.selection.rows:
        picked = children.iloc[event.selection.rows[0]]["unit_code"]
        st.switch_page(page_path("unit_detail.py"), query_params=view_params(f, unit=picked))

st.caption(t("ck_model_note", lang))
