"""The pages' Altair charts, from frames aggregated before charting: trends, births by month, the sex ratio."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.components.values import fmt
from dashboard.i18n import t, verdict_label
from queries.engine import registry


def axis_title(code: str, lang: str) -> str:
    """The indicator's name with its unit, for a chart axis."""
    ind = registry.get(code)
    unit = ind.unit_label(lang)
    if not unit or unit.startswith("（"):
        return f"{ind.name(lang)}{unit}"
    return f"{ind.name(lang)}（{unit}）" if lang == "zh" else f"{ind.name(lang)} ({unit})"


def _verdict_scale(lang: str, codes=None):
    """The verdicts' colours, for the verdicts ``codes`` (default all) a chart shows."""

    shown = [registry.VERDICT[c] for c in (codes or registry.VERDICT) if c in registry.VERDICT]
    return alt.Scale(domain=[s.label(lang) for s in shown], range=[s.colour for s in shown])


def trend_chart(trend: pd.DataFrame, code: str, lang: str):
    """One indicator over the years: the value as a line with points coloured by verdict,
    the target as hollow diamonds."""

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
