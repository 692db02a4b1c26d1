"""流动人口 Migrant services: the chosen unit's inflow migrants served, coverage per unit below
against its target, inflow and outflow per unit, the services by kind, and the units with
many migrants not served first."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.components.filters import current
from dashboard.components.navigation import page_header, page_path, view_params
from dashboard.components.values import badge, fmt
from dashboard.i18n import service_name, t, verdict_label
from dashboard.runtime import data
from queries.engine import registry
from queries.services import shape

CODE = registry.MIGRANT_COVERAGE

f = current()
lang = f.lang
units = data.units(f.db).set_index("code")
names = units["name"]
parent = f.township or f.county
page_header(f, "page_migrants", names[f.unit], show_basis=False)

table = data.indicator_table(f.db, f.county, f.year, f.as_of, f.basis)
own = shape.migrant_progress(
    data.migrant_flows(f.db, f.unit, f.year, f.as_of, units.at[f.unit, "level"]), table
)
mine = own.iloc[0]
if mine["inflow_present"] == 0:
    st.info(t("mg_no_inflow", lang))
    st.stop()

# --- headline ---------------------------------------------------------------------------
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(t("mg_inflow", lang), registry.format_count(mine["inflow_present"]))
c2.metric(t("mg_served", lang), registry.format_count(mine["inflow_served"]))
c3.metric(t("mg_not_served", lang), registry.format_count(mine["not_served"]))
c4.metric(registry.get(CODE).name(lang), f"{fmt(CODE, mine['coverage'])}%")
c5.metric(t("mg_outflow", lang), registry.format_count(mine["outflow_present"]))
st.markdown(
    f"{t('target', lang)}: {fmt(CODE, mine['target'])}% &nbsp; {badge(mine['verdict'], lang)}",
    unsafe_allow_html=True,
)

child_level = shape.level_of_children(table, parent)
progress = (
    shape.migrant_progress(data.migrant_flows(f.db, parent, f.year, f.as_of, child_level), table)
    if child_level
    else shape.migrant_progress(pd.DataFrame(), table)
)
if f.village:
    st.caption(t("parent_units_note", lang, parent=names[parent]))

# --- coverage per unit against its target -------------------------------------------------
st.subheader(t("mg_coverage_title", lang))
if progress.empty:
    st.info(t("ck_no_children", lang))
else:
    status_title = t("verdict", lang)
    chart = progress.assign(
        verdict_label=progress["verdict"].map(lambda s: verdict_label(s, lang)),
        text=[
            f"{registry.VERDICT[s].symbol} {fmt(CODE, v)}"
            for s, v in zip(progress["verdict"], progress["coverage"], strict=True)
        ],
        coverage_text=progress["coverage"].map(lambda v: fmt(CODE, v)),
        target_text=progress["target"].map(lambda v: fmt(CODE, v)),
    )
    order = list(shape.sort_by(progress, "coverage", ascending=False)["name"])
    y = alt.Y("name:N", sort=order, title=None)
    tooltip = [
        alt.Tooltip("name:N", title=t("unit", lang)),
        alt.Tooltip("coverage_text:N", title=t("mg_coverage", lang)),
        alt.Tooltip("target_text:N", title=t("target", lang)),
        alt.Tooltip("verdict_label:N", title=status_title),
    ]
    bars = (
        alt.Chart(chart)
        .mark_bar()
        .encode(
            x=alt.X("coverage:Q", title=t("mg_coverage", lang), scale=alt.Scale(domain=[0, 100])),
            y=y,
            color=alt.Color(
                "verdict_label:N",
                title=status_title,
                scale=alt.Scale(
                    domain=[s.label(lang) for s in registry.VERDICT.values()],
                    range=[s.colour for s in registry.VERDICT.values()],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(chart)
        .mark_text(align="right", dx=-4, color="white", fontWeight="bold")
        .encode(x="coverage:Q", y=y, text="text:N")
    )
    ticks = (
        alt.Chart(chart).mark_tick(color="#000000", thickness=3).encode(x="target:Q", y=y, tooltip=tooltip)
    )
    st.altair_chart(alt.layer(bars, labels, ticks).properties(height=alt.Step(26)))
    st.caption(t("mg_target_tick", lang))

    # --- inflow and outflow per unit -------------------------------------------------------
    st.subheader(t("mg_flows_title", lang))

    labels = {
        "name": t("unit", lang),
        "inflow_present": t("mg_inflow", lang),
        "inflow_served": t("mg_served", lang),
        "not_served": t("mg_not_served", lang),
        "outflow_present": t("mg_outflow", lang),
        "coverage": t("mg_coverage", lang),
        "target": t("target", lang),
        "verdict": t("verdict", lang),
    }
    status_css = {k: f"background-color:{s.background};color:{s.colour}" for k, s in registry.VERDICT.items()}

    def frame(rows: pd.DataFrame, columns: list[str]):
        """The rows' ``columns`` under their labels, counts and rates as the registry writes
        them (sorting stays numeric), the status with its symbol and colour."""
        shown = rows[columns].assign(verdict=rows["verdict"].map(lambda s: verdict_label(s, lang)))
        shown = shown.rename(columns=labels)
        formats = {
            labels[c]: (lambda v: fmt(CODE, v)) if c in ("coverage", "target") else registry.format_count
            for c in columns
            if c not in ("name", "verdict")
        }
        return shown.style.format(formats).apply(
            lambda _: [status_css.get(s, "") for s in rows["verdict"]], subset=[labels["verdict"]], axis=0
        )

    st.dataframe(
        frame(progress, list(labels)), hide_index=True, height="content", key=f"migrant-flows-{parent}"
    )

    # --- units with many migrants not served first ----------------------------------------
    st.subheader(t("mg_priority_title", lang))
    st.caption(t("mg_priority_note", lang))
    priority = shape.migrant_priority(progress)
    event = st.dataframe(
        frame(priority, ["name", "not_served", "inflow_present", "coverage", "target", "verdict"]),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        height="content",
        key=f"migrant-priority-{parent}-{f.year}-{f.as_of.isoformat()}",
    )
    st.caption(t("click_row_hint", lang))
    if event.selection.rows:
        picked = priority.iloc[event.selection.rows[0]]["unit_code"]
        st.switch_page(page_path("unit_detail.py"), query_params=view_params(f, unit=picked))

# --- services by kind ------------------------------------------------------------------
st.subheader(f"{t('mg_mix_title', lang)} · {names[f.unit]}")
mix = data.service_mix(f.db, f.unit, f.year, f.as_of)
if mix.empty:
    st.info(t("mg_no_services", lang))
else:
    kinds = mix.assign(kind=mix["service"].map(lambda s: service_name(s, lang)))
    y = alt.Y("kind:N", sort=list(kinds["kind"]), title=t("mg_service_kind", lang))
    bars = (
        alt.Chart(kinds)
        .mark_bar(color="#0072B2")
        .encode(
            x=alt.X("services:Q", title=t("mg_services", lang)),
            y=y,
            tooltip=[
                alt.Tooltip("kind:N", title=t("mg_service_kind", lang)),
                alt.Tooltip("services:Q", title=t("mg_services", lang), format=",d"),
                alt.Tooltip("migrants:Q", title=t("mg_migrants", lang), format=",d"),
            ],
        )
    )
    text = (
        alt.Chart(kinds)
        .mark_text(align="right", dx=-4, color="white", fontWeight="bold")
        .encode(x="services:Q", y=y, text=alt.Text("services:Q", format=",d"))
    )
    st.altair_chart(alt.layer(bars, text).properties(height=alt.Step(34)))
    st.caption(t("mg_mix_note", lang))
