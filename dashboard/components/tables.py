"""The scorecard and unit tables: styled cells by verdict and pace, column labels, grid heights."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.values import fmt, rank_text
from dashboard.i18n import indicator_name, pace_label, t, verdict_label
from queries.engine import registry


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
                rank_text(r, n, lang) for r, n in zip(detail["peer_rank"], detail["peer_count"], strict=True)
            ],
        }
    )
    css = pd.DataFrame("", index=shown.index, columns=shown.columns)
    css[t("verdict", lang)] = detail["verdict"].map(_cell_css).to_numpy()
    css[t("pace", lang)] = detail["pace"].map(_pace_css).to_numpy()
    return shown.style.apply(lambda _: css, axis=None)


def detail_columns(lang: str) -> dict:
    """Column widths for :func:`detail_styler`'s table, so no label is cut off."""
    return {
        t("detail_indicator", lang): st.column_config.Column(width=190),
        t("detail_unit_of_measure", lang): st.column_config.Column(width=130 if lang == "en" else 80),
        t("verdict", lang): st.column_config.Column(width=120),
        t("pace", lang): st.column_config.Column(width=115),
    }


def children_frame(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A township's villages from ``queries.services.shape.scorecard``: rank, name, level, met, failing."""
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
