"""地图 Map: any indicator by township or village; for the sex ratio, chance told from
signal (marked and listed vs faded) and a funnel plot beside the map. A click on a unit
opens its detail page. Panning and zooming stay in the browser (no rerun)."""

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import url_state
from dashboard.components.filters import current
from dashboard.components.leaflet import LeafletMissing, assets
from dashboard.components.navigation import page_path, view_params
from dashboard.i18n import indicator_name, t, verdict_label
from dashboard.runtime import data
from dashboard.runtime.settings import setting
from geo.choropleth import WORD_KEYS, funnel_frame, map_frame
from geo.maps import build_map, feature_collection, legend_html
from geo.messages import GeoError
from geo.source import tile_crs
from queries.engine import registry

LEVELS = ("township", "village")
MAP_HEIGHT = 560

f = current()
lang = f.lang
units = data.units(f.db)
names = units.set_index("code")["name"]
st.title(f"{t('page_map', lang)} · {names[f.county]}")
st.caption(f"{f.year} · {t('as_of', lang)} {f.as_of.isoformat()} · {t(f'basis_{f.basis}', lang)}")

join, problem = data.boundaries(f.db, lang)
if join is None:
    st.warning(problem)
    st.stop()
try:
    leaflet = assets()
except LeafletMissing as exc:
    st.error(exc.text(lang))
    st.stop()
try:
    tiles = tile_crs()
except GeoError as exc:
    st.warning(t("mp_bad_boundaries", lang, reason=exc.text(lang)))
    st.stop()

DEFAULT_INDICATOR = registry.interval_judged().code
url_state.follow("map_indicator", DEFAULT_INDICATOR, lambda v: v if v in registry.BY_CODE else None)
url_state.follow("map_level", "village", lambda v: v if v in LEVELS else None)
url_state.follow("map_pooled", False, lambda v: {"1": True, "0": False}.get(v))
c1, c2, c3 = st.columns([3, 2, 3], vertical_alignment="bottom")
indicator = c1.selectbox(
    t("mp_indicator", lang),
    registry.CODES,
    key="map_indicator",
    format_func=lambda c: indicator_name(c, lang),
)
level = c2.radio(
    t("mp_level", lang),
    LEVELS,
    key="map_level",
    horizontal=True,
    format_func=lambda v: t(f"mp_level_{v}", lang),
)
is_sr = registry.get(indicator).judged_by == "interval"
years = tuple(range(f.year - 2, f.year + 1))
pooled = c3.toggle(
    t("mp_pooled", lang, first=years[0], last=years[-1]),
    key="map_pooled",
    disabled=not is_sr,
    help=t("mp_pooled_help", lang),
)
pooled = bool(pooled and is_sr)
url_state.publish(
    {
        "map_indicator": None if indicator == DEFAULT_INDICATOR else indicator,
        "map_level": None if level == "village" else level,
        "map_pooled": "1" if pooled else None,
    }
)

table = data.indicator_table(f.db, f.county, f.year, f.as_of, f.basis)
root = f.township if level == "village" else None
pooled_table = data.sex_ratio_pooled(f.db, f.county, years, f.basis, level, f.as_of) if pooled else None
words = {k: t(f"mp_{k}", lang) for k in WORD_KEYS}
frame = map_frame(table, indicator, level, words, lang, root=root, pooled=pooled_table)
geometries = data.map_geometries(f.db, *data.boundary_key(f.db), level, tiles)
collection = feature_collection(geometries, frame)
if not collection["features"]:
    st.info(t("mp_no_shapes", lang))
    st.stop()

aliases = {
    "name": t("unit", lang),
    "value": t("value", lang),
    "interval": t("sex_ratio_interval", lang),
    "births": t("births", lang),
    "target": t("target", lang),
    "status": t("status", lang),
}
title = indicator_name(indicator, lang) + (f" · {years[0]}–{years[-1]}" if pooled else "")
fmap = build_map(
    collection,
    frame,
    aliases,
    leaflet,
    tile_url=setting("tile_url"),
    tile_attribution=setting("tile_attribution"),
)

left, right = st.columns([3, 2])
with left:
    # Only a click is returned to Python: pans and zooms stay in the browser.
    event = st_folium(
        fmap,
        key=f"map-{indicator}-{level}-{root}-{pooled}",
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
    )
    st.markdown(
        legend_html(title, frame.legend, t("mp_legend_note_sr" if is_sr else "mp_legend_note", lang)),
        unsafe_allow_html=True,
    )
    st.caption(t("mp_click_hint", lang))


def open_unit(code: str) -> None:
    """The unit's detail page, for the same period and basis."""
    st.switch_page(page_path("unit_detail.py"), query_params=view_params(f, unit=code))


clicked = ((event or {}).get("last_active_drawing") or {}).get("properties", {}).get("code")
if clicked in names.index:
    open_unit(clicked)


def unit_table(rows: pd.DataFrame, key: str) -> None:
    """Marked units as a table; a click on a row opens the unit."""
    shown = pd.DataFrame(
        {
            t("unit", lang): rows["name"],
            t("value", lang): rows["value_text"],
            **({t("sex_ratio_interval", lang): rows["interval_text"]} if is_sr else {}),
            **({t("births", lang): rows["births_text"]} if is_sr else {}),
            t("target", lang): rows["target_text"],
            t("verdict", lang): rows["status_text"],
            t("code", lang): rows["code"],
        }
    )
    picked = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="single-row", key=key)
    if picked.selection.rows:
        open_unit(rows.iloc[picked.selection.rows[0]]["code"])


with right:
    marked = frame.significant()
    if is_sr:
        st.subheader(t("mp_significant_title", lang))
        if marked.empty:
            st.success(t("mp_none_significant", lang))
        else:
            unit_table(marked, f"map-significant-{level}-{pooled}")
        funnel = funnel_frame(frame)
        st.subheader(t("mp_funnel_title", lang))
        verdicts = [v for v in registry.VERDICT if v in set(funnel.points["verdict"])]
        points = funnel.points.assign(
            verdict=funnel.points["verdict"].map(lambda v: verdict_label(v, lang)),
            shape=funnel.points["clamped"].map(
                {"above": "triangle-up", "below": "triangle-down", "": "circle"}
            ),
        )
        x = alt.X("births:Q", title=t("mp_births_axis", lang), scale=alt.Scale(domain=[0, funnel.x_max]))
        y_scale = alt.Scale(type="log", domain=list(funnel.y_domain), nice=False)
        y_axis = alt.Axis(values=[25, 50, 75, 105, 150, 200, 300, 400])
        limits = (
            alt.Chart(funnel.limits)
            .mark_line(color="#555555", strokeWidth=1.2)
            .encode(
                x=x,
                y=alt.Y("ratio:Q", title=t("mp_ratio_axis", lang), scale=y_scale, axis=y_axis),
                strokeDash=alt.StrokeDash("limit:N", title=t("mp_limit", lang), sort=["95%", "99.8%"]),
                detail="side:N",
            )
        )
        centre = (
            alt.Chart(pd.DataFrame({"ratio": [funnel.centre]})).mark_rule(color="#1f6f6b").encode(y="ratio:Q")
        )
        dots = (
            alt.Chart(points)
            .mark_point(filled=True, size=42, opacity=0.85)
            .encode(
                x=x,
                y=alt.Y("y:Q", scale=y_scale, axis=y_axis),
                color=alt.Color(
                    "verdict:N",
                    title=t("verdict", lang),
                    scale=alt.Scale(
                        domain=[verdict_label(v, lang) for v in verdicts],
                        range=[registry.VERDICT[v].colour for v in verdicts],
                    ),
                ),
                shape=alt.Shape("shape:N", scale=None),
                tooltip=[
                    alt.Tooltip("name:N", title=t("unit", lang)),
                    alt.Tooltip("births:Q", title=t("births", lang)),
                    alt.Tooltip("value:Q", title=t("value", lang), format=".1f"),
                    alt.Tooltip("verdict:N", title=t("verdict", lang)),
                ],
            )
        )
        st.altair_chart((limits + centre + dots).properties(height=340), width="stretch")
        st.caption(t("mp_funnel_note", lang))
    else:
        st.subheader(t("mp_not_met_title", lang))
        if marked.empty:
            st.success(t("mp_all_met", lang))
        else:
            unit_table(marked, f"map-not-met-{indicator}-{level}")

source = (
    t("mp_source_demo", lang)
    if join.source == "demo"
    else t("mp_source_file", lang, path=join.source, column=join.code_column)
)
flagged = join.units_without_shape or join.shapes_without_unit or join.ambiguous
with st.expander(("⚠ " if flagged else "") + source):
    st.caption(
        t(
            "mp_join_report",
            lang,
            matched=len(join.shapes),
            missing=len(join.units_without_shape),
            orphans=len(join.shapes_without_unit),
            repaired=join.repaired,
            derived=len(join.derived),
        )
    )
    if join.units_without_shape:
        st.markdown(f"**{t('mp_units_without_shape', lang)}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("code", lang): list(join.units_without_shape),
                    t("unit", lang): [names.get(c, "") for c in join.units_without_shape],
                }
            ),
            hide_index=True,
        )
    if join.shapes_without_unit:
        st.markdown(f"**{t('mp_shapes_without_unit', lang)}**")
        st.code(", ".join(join.shapes_without_unit[:200]), language=None)
    if join.ambiguous:
        st.markdown(f"**{t('mp_ambiguous_codes', lang)}**")
        sep = "、" if lang == "zh" else ", "
        st.code(
            "\n".join(
                t("mp_ambiguous_code", lang, code=c, units=sep.join(u)) for c, u in join.ambiguous[:200]
            ),
            language=None,
        )
    if join.crs != "wgs84":
        st.caption(t("mp_coordinates", lang, crs=join.crs))
