"""Rendering pieces the pages share: status badges, indicator cards, the styled scorecard."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard.i18n import indicator_name, pace_label, t, verdict_label
from queries.engine import registry


def fmt(code: str, value) -> str:
    return registry.get(code).format(None if value is None else float(value))


def fmt_change(code: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return ("+" if value > 0 else "") + fmt(code, value)


def badge(verdict: str | None, lang: str, table: dict | None = None) -> str:
    """A coloured label with a symbol, readable without colour: a verdict (``queries.engine.verdict``),
    or a code of ``table``."""
    table = table or registry.VERDICT
    s = table.get(verdict)
    if s is None:
        return ""
    return (
        f"<span style='background:{s.background};color:{s.colour};border:1px solid {s.colour};"
        f"border-radius:4px;padding:1px 6px;font-size:0.85em;white-space:nowrap'>{s.label(lang)}</span>"
    )


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


def _cell_css(verdict: str | None) -> str:
    s = registry.VERDICT.get(verdict)
    return "" if s is None else f"background-color:{s.background};color:{s.colour}"


def scorecard_styler(card: pd.DataFrame, codes: list[str], lang: str):
    """All-indicators view: one numeric column per indicator (so sorting is numeric),
    shown with the verdict's symbol and coloured by it."""
    value_cols = {f"{c}|value": indicator_name(c, lang) for c in codes}
    shown = card[["rank", "name", "met", "failing", "behind", *value_cols]].rename(
        columns={
            "rank": t("rank", lang),
            "name": t("unit", lang),
            "met": t("met_count", lang),
            "failing": t("failing_count", lang),
            "behind": t("behind_count", lang),
            **value_cols,
        }
    )
    styler = shown.style
    css = pd.DataFrame("", index=shown.index, columns=shown.columns)
    for code in codes:
        col = indicator_name(code, lang)
        verdict = card[f"{code}|verdict"]
        css[col] = verdict.map(_cell_css)
        ind = registry.get(code)
        for key, spec in registry.VERDICT.items():
            rows = verdict.index[verdict == key]
            if len(rows):
                styler = styler.format(
                    lambda v, ind=ind, sym=spec.symbol: f"{sym} {ind.format(v)}",
                    subset=pd.IndexSlice[rows, [col]],
                )
    styler = styler.apply(lambda _: css, axis=None)
    return styler


def focus_frame(card: pd.DataFrame, code: str, lang: str) -> pd.DataFrame:
    """One-indicator view: value, target, gap and verdict as their own sortable columns."""
    ind = registry.get(code)
    return pd.DataFrame(
        {
            t("rank", lang): card["rank"],
            t("unit", lang): card["name"],
            t("value", lang): card[f"{code}|value"].astype(float).round(ind.decimals),
            t("target", lang): card[f"{code}|target"].astype(float),
            t("gap", lang): card[f"{code}|gap"].astype(float).round(ind.decimals),
            t("verdict", lang): card[f"{code}|verdict"].map(lambda s: verdict_label(s, lang)),
        }
    )


def legend(lang: str) -> None:
    st.markdown(" ".join(badge(k, lang) for k in registry.VERDICT), unsafe_allow_html=True)


# --------------------------------------------------------------------------- unit detail


def page_path(name: str) -> str:
    """The absolute path of a page file, for st.switch_page / st.page_link (a relative path
    is resolved against the entry script's folder, dashboard/, not the repository)."""
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2] / "pages" / name)


def view_params(f, **extra: str) -> dict[str, str]:
    """The sidebar's filters ``f`` as the URL parameters the sidebar publishes, plus
    ``extra``: what st.switch_page must carry, since Streamlit resets widget state (the
    sidebar's too) when a page switch cuts a run short."""
    params = {
        "lang": None if f.lang == "zh" else f.lang,
        "year": str(f.year),
        "as_of": f.as_of.isoformat(),
        "basis": None if f.basis == "registered" else f.basis,
        "township": f.township,
        "village": f.village,
        **extra,
    }
    return {k: v for k, v in params.items() if v}


def axis_title(code: str, lang: str) -> str:
    """The indicator's name with its unit, for a chart axis."""
    ind = registry.get(code)
    unit = ind.unit_label(lang)
    if not unit or unit.startswith("（"):
        return f"{ind.name(lang)}{unit}"
    return f"{ind.name(lang)}（{unit}）" if lang == "zh" else f"{ind.name(lang)} ({unit})"


def _rank_text(rank, count, lang: str) -> str:
    if rank is None or count is None or rank != rank or count != count:
        return "—"
    return t("detail_rank_value", lang, rank=int(rank), count=int(count))


def _pace_css(pace) -> str:
    s = registry.PACE.get(pace) if isinstance(pace, str) else None
    return "" if s is None else f"background-color:{s.background};color:{s.colour}"


def grid_height(rows: int, cap: int | None = None) -> int:
    """Pixels for a dataframe that shows ``rows`` rows and its header without scrolling
    (Streamlit's rows are 35 px, plus 3 px of border), at most ``cap``."""
    height = 35 * (rows + 1) + 3
    return height if cap is None else min(height, cap)


def detail_styler(detail: pd.DataFrame, lang: str):
    """The unit's indicators as text cells formatted by the registry, the status cell
    coloured and marked with its symbol."""
    shown = pd.DataFrame(
        {
            t("detail_indicator", lang): detail["indicator"].map(lambda c: indicator_name(c, lang)),
            t("value", lang): [fmt(c, v) for c, v in zip(detail["indicator"], detail["value"], strict=True)],
            t("target", lang): [
                fmt(c, v) for c, v in zip(detail["indicator"], detail["target"], strict=True)
            ],
            t("detail_unit_of_measure", lang): detail["indicator"].map(
                lambda c: registry.get(c).unit_label(lang)
            ),
            t("verdict", lang): detail["verdict"].map(lambda s: verdict_label(s, lang)),
            t("pace", lang): detail["pace"].map(lambda p: pace_label(p, lang)),
            t("detail_parent_value", lang): [
                fmt(c, v) for c, v in zip(detail["indicator"], detail["parent_value"], strict=True)
            ],
            t("detail_peer_median", lang): [
                fmt(c, v) for c, v in zip(detail["indicator"], detail["peer_median"], strict=True)
            ],
            t("detail_peer_rank", lang): [
                _rank_text(r, n, lang) for r, n in zip(detail["peer_rank"], detail["peer_count"], strict=True)
            ],
        }
    )
    css = pd.DataFrame("", index=shown.index, columns=shown.columns)
    css[t("verdict", lang)] = detail["verdict"].map(_cell_css).to_numpy()
    css[t("pace", lang)] = detail["pace"].map(_pace_css).to_numpy()
    return shown.style.apply(lambda _: css, axis=None)


def _verdict_scale(lang: str, codes=None):
    """The verdicts' colours, for the verdicts ``codes`` (default all) a chart shows."""
    import altair as alt

    shown = [registry.VERDICT[c] for c in (codes or registry.VERDICT) if c in registry.VERDICT]
    return alt.Scale(domain=[s.label(lang) for s in shown], range=[s.colour for s in shown])


def detail_columns(lang: str) -> dict:
    """Column widths for :func:`detail_styler`'s table, so no label is cut off."""
    return {
        t("detail_indicator", lang): st.column_config.Column(width=190),
        t("detail_unit_of_measure", lang): st.column_config.Column(width=130 if lang == "en" else 80),
        t("verdict", lang): st.column_config.Column(width=120),
        t("pace", lang): st.column_config.Column(width=115),
    }


def trend_chart(trend: pd.DataFrame, code: str, lang: str):
    """One indicator over the years: the value as a line with points coloured by verdict,
    the target as hollow diamonds."""
    import altair as alt

    rows = trend.loc[trend["indicator"] == code]
    data = pd.DataFrame(
        {
            "year": rows["year"].astype(str),
            "value": rows["value"].astype(float),
            "target": rows["target"].astype(float),
            "value_text": [fmt(code, v) for v in rows["value"]],
            "target_text": [fmt(code, v) for v in rows["target"]],
            "verdict": rows["verdict"].map(lambda s: verdict_label(s, lang)),
        }
    )
    y_title = axis_title(code, lang)
    tooltip = [
        alt.Tooltip("year:N", title=t("year", lang)),
        alt.Tooltip("value_text:N", title=t("value", lang)),
        alt.Tooltip("target_text:N", title=t("target", lang)),
        alt.Tooltip("verdict:N", title=t("verdict", lang)),
    ]
    x = alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0))
    base = alt.Chart(data)
    line = base.mark_line(color="#0072B2").encode(
        x=x, y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    )
    points = base.mark_point(filled=True, size=90).encode(
        x=x,
        y="value:Q",
        color=alt.Color(
            "verdict:N",
            scale=_verdict_scale(lang, list(dict.fromkeys(rows["verdict"]))),
            title=t("verdict", lang),
        ),
        tooltip=tooltip,
    )
    target = base.mark_point(shape="diamond", filled=False, size=110, color="#444", strokeWidth=2).encode(
        x=x, y="target:Q", tooltip=tooltip
    )
    return (line + points + target).properties(height=280)


def births_chart(frame: pd.DataFrame, lang: str):
    """Births per month, this year's bars beside last year's."""
    import altair as alt

    data = frame.assign(year=frame["year"].astype(str))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=t("month", lang), axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("year:N"),
            y=alt.Y("births:Q", title=t("births", lang)),
            color=alt.Color("year:N", title=t("year", lang), scale=alt.Scale(range=["#B0B0B0", "#0072B2"])),
            tooltip=[
                alt.Tooltip("year:N", title=t("year", lang)),
                alt.Tooltip("month:O", title=t("month", lang)),
                alt.Tooltip("births:Q", title=t("births", lang)),
                alt.Tooltip("boys:Q", title=t("boys", lang)),
                alt.Tooltip("girls:Q", title=t("girls", lang)),
            ],
        )
        .properties(height=280)
    )


def sex_ratio_chart(rows: pd.DataFrame, lang: str):
    """Each unit's sex ratio (a dot) with its 95 % interval (a bar) against the shaded
    normal band (103–107, the registry's) and the unit's target (a tick)."""
    import altair as alt

    code = registry.interval_judged().code
    band = registry.BANDS[code]
    labels = rows["name"].astype(str).tolist()
    data = pd.DataFrame(
        {
            "unit": labels,
            "value": rows["value"].astype(float).to_numpy(),
            "ci_low": rows["ci_low"].astype(float).to_numpy(),
            "ci_high": rows["ci_high"].astype(float).to_numpy(),
            "target": rows["target"].astype(float).to_numpy(),
            "value_text": [fmt(code, v) for v in rows["value"]],
            "interval_text": [
                f"{fmt(code, lo)}–{fmt(code, hi)}"
                for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "verdict": rows["verdict"].map(lambda v: verdict_label(v, lang)).to_numpy(),
        }
    ).dropna(subset=["value"])
    y = alt.Y("unit:N", title=None, sort=labels)
    x_title = axis_title(code, lang)
    tooltip = [
        alt.Tooltip("unit:N", title=t("unit", lang)),
        alt.Tooltip("value_text:N", title=t("value", lang)),
        alt.Tooltip("interval_text:N", title=t("sex_ratio_interval", lang)),
        alt.Tooltip("verdict:N", title=t("verdict", lang)),
    ]
    band = (
        alt.Chart(
            pd.DataFrame({"lo": [band.low], "hi": [band.high], "label": [t("detail_normal_band", lang)]})
        )
        .mark_rect(color="#009E73", opacity=0.18)
        .encode(
            x=alt.X("lo:Q", title=x_title, scale=alt.Scale(zero=False)),
            x2="hi:Q",
            tooltip=alt.Tooltip("label:N", title=""),
        )
    )
    base = alt.Chart(data)
    bars = base.mark_rule(strokeWidth=3, color="#555").encode(
        x="ci_low:Q", x2="ci_high:Q", y=y, tooltip=tooltip
    )
    dots = base.mark_point(filled=True, size=120).encode(
        x="value:Q",
        y=y,
        color=alt.Color(
            "verdict:N",
            title=t("verdict", lang),
            legend=alt.Legend(orient="bottom", direction="horizontal", columns=2),
            scale=_verdict_scale(lang, list(dict.fromkeys(rows["verdict"]))),
        ),
        tooltip=tooltip,
    )
    ticks = base.mark_tick(color="#D55E00", thickness=2, size=22).encode(x="target:Q", y=y)
    return (band + bars + ticks + dots).properties(height=170 + 45 * len(data))


def verdict_text(row: pd.Series, lang: str) -> str:
    """The verdict badge with the value, the interval and the counts, as markdown."""
    code = registry.interval_judged().code
    boys = "—" if row["boys"] != row["boys"] else f"{int(row['boys'])}"
    girls = "—" if row["girls"] != row["girls"] else f"{int(row['girls'])}"
    return (
        f"{badge(row['verdict'], lang)} &nbsp; **{fmt(code, row['value'])}** · "
        f"{t('sex_ratio_interval', lang)} {fmt(code, row['ci_low'])}–{fmt(code, row['ci_high'])} · "
        f"{t('detail_sex_counts', lang, boys=boys, girls=girls)}"
    )


def children_frame(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A township's villages from ``queries.services.scorecard.scorecard``: rank, name, level, met, failing."""
    return pd.DataFrame(
        {
            t("rank", lang): card["rank"],
            t("unit", lang): card["name"],
            t("code", lang): card["unit_code"],
            t("level", lang): card["level"].map(lambda lv: t(f"level_{lv}", lang)),
            t("met_count", lang): card["met"],
            t("failing_count", lang): card["failing"],
            t("behind_count", lang): card["behind"],
        }
    )


# --------------------------------------------------------------------------- page header


def page_header(f, title_key: str, unit_name: str, show_basis: bool = True) -> None:
    """Title, period line, and a stop with a clear message when the period has no records."""
    from dashboard.runtime import data
    from queries.engine.period import make_period

    lang = f.lang
    st.title(f"{t(title_key, lang)} · {unit_name}")
    parts = [str(f.year), f"{t('as_of', lang)} {f.as_of.isoformat()}"]
    if show_basis:
        parts.append(t(f"basis_{f.basis}", lang))
    parts.append(t("year_fraction", lang, pct=make_period(f.year, f.as_of).year_fraction))
    st.caption(" · ".join(parts))
    if not data.has_records(f.db, f.unit, f.year, f.as_of):
        st.info(t("empty_year", lang, year=f.year, as_of=f.as_of.isoformat()))
        st.stop()


def table_downloads(export: pd.DataFrame, stem: str, sheet: str, lang: str, csv_slot, xlsx_slot) -> None:
    """CSV and Excel buttons for a table, each file made when clicked, not on every rerun."""
    from functools import partial

    from dashboard.components.exports import XLSX_MIME, to_csv, to_xlsx

    csv_slot.download_button(
        t("download_csv", lang), partial(to_csv, export), f"{stem}.csv", "text/csv", on_click="ignore"
    )
    xlsx_slot.download_button(
        t("download_xlsx", lang),
        partial(to_xlsx, export, sheet),
        f"{stem}.xlsx",
        XLSX_MIME,
        on_click="ignore",
    )
