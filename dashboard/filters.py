"""The one sidebar every page shares: language, year, as-of date, basis, township, village."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import data, url_state
from dashboard.i18n import t
from queries import clock
from queries.registry import BASES


@dataclass(frozen=True)
class Filters:
    db: data.Source  # the database and its data version: every cached result is keyed by it
    lang: str
    year: int
    as_of: date
    basis: str
    county: str
    township: str | None
    village: str | None

    @property
    def unit(self) -> str:
        """The unit the sidebar points at: the village, else the township, else the county."""
        return self.village or self.township or self.county


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def sidebar() -> Filters:
    st.session_state.setdefault("lang", "zh")
    url_state.follow("lang", "zh", lambda v: v if v in ("zh", "en") else None)
    lang = st.session_state["lang"]
    db = data.source(lang)  # stops the page with a message when the database is unusable
    units = data.units(db)
    county = str(units.loc[units["parent_code"].isna(), "code"].iloc[0])
    today = clock.today()
    years = data.years(db) or [today.year]
    names = dict(zip(units["code"], units["name"], strict=True))
    townships = units[units["level"] == "township"].sort_values("code")

    default_year = today.year if today.year in years else years[0]
    url_state.follow("year", default_year, lambda v: _int(v) if _int(v) in years else None)
    url_state.follow("basis", "registered", lambda v: v if v in BASES else None)
    url_state.follow("township", "", lambda v: v if v in set(townships["code"]) else None)
    url_state.follow("village", "", lambda v: v if v in names and _is_village(units, v) else None)
    url_state.follow("as_of", clock.default_as_of(st.session_state["year"]), _date)

    with st.sidebar:
        st.segmented_control(
            t("language", lang), ["zh", "en"], key="lang", format_func={"zh": "中文", "en": "English"}.get
        )
        lang = st.session_state.get("lang") or "zh"
        year = st.selectbox(t("year", lang), years, key="year", on_change=_year_changed)
        as_of = st.session_state.get("as_of")
        if not isinstance(as_of, date) or as_of.year != year:
            st.session_state["as_of"] = clock.default_as_of(year)
        as_of = st.date_input(
            t("as_of", lang),
            key="as_of",
            min_value=date(year, 1, 1),
            max_value=date(year, 12, 31),
            format="YYYY-MM-DD",
        )
        basis = st.radio(
            t("basis", lang), BASES, key="basis", horizontal=True, format_func=lambda b: t(f"basis_{b}", lang)
        )
        township = st.selectbox(
            t("township", lang),
            ["", *townships["code"]],
            key="township",
            format_func=lambda c: names.get(c, t("whole_county", lang)),
        )
        # A village from a link picks its township; a village of another township is dropped.
        village = st.session_state.get("village") or ""
        if village and township and _parent(units, village) != township:
            st.session_state["village"] = village = ""
        if village and not township:
            st.session_state["township"] = township = _parent(units, village)
        villages = units[(units["parent_code"] == township) & units["level"].isin(["village", "community"])]
        if township:
            village = st.selectbox(
                t("village", lang),
                ["", *villages["code"]],
                key="village",
                format_func=lambda c: names.get(c, t("all_villages", lang)),
            )
        else:
            st.session_state["village"] = village = ""

    filters = Filters(
        db=db,
        lang=lang,
        year=int(year),
        as_of=as_of,
        basis=basis,
        county=county,
        township=township or None,
        village=village or None,
    )
    url_state.publish(
        {
            "lang": None if lang == "zh" else lang,
            "year": filters.year,
            "as_of": filters.as_of.isoformat(),
            "basis": None if basis == "registered" else basis,
            "township": filters.township,
            "village": filters.village,
        }
    )
    for key, raw in url_state.bad_values().items():
        if key in ("township", "village"):
            st.warning(t("unknown_unit", lang, code=raw, fallback=names[filters.unit]))
        elif key == "year":
            st.warning(
                t("unknown_year", lang, year=raw, fallback=filters.year, years=", ".join(map(str, years)))
            )
    return filters


def _year_changed() -> None:
    st.session_state["as_of"] = clock.default_as_of(st.session_state["year"])


def _parent(units: pd.DataFrame, code: str) -> str:
    return str(units.loc[units["code"] == code, "parent_code"].iloc[0])


def _is_village(units: pd.DataFrame, code: str) -> bool:
    return bool(units.loc[units["code"] == code, "level"].isin(["village", "community"]).any())


def remember(filters: Filters) -> Filters:
    st.session_state["_filters"] = filters
    return filters


def current() -> Filters:
    """The filters the entry script read from the sidebar on this run."""
    return st.session_state["_filters"]
