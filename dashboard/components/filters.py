"""The one sidebar every page shares: language, year, as-of date, basis, township, village."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.components import url_state
from dashboard.i18n import t
from dashboard.runtime import data
from queries.engine.registry import BASES
from queries.store import clock
from queries.store.schema import DATA_LEVELS


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


def _date(text: str, year: int) -> date | None:
    """An ISO date within ``year``, written the way the sidebar writes it (2025-11-15)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if day.isoformat() == text and day.year == year else None


def sidebar() -> Filters:
    url_state.begin()
    last_lang = st.session_state.get("_lang_shown")
    if st.session_state.get("lang") is None:  # a click on the chosen language unselects it
        st.session_state["lang"] = last_lang or "zh"
    url_state.follow("lang", "zh", lambda v: v if v in ("zh", "en") else None)
    lang = st.session_state["lang"]
    if last_lang is not None and last_lang != lang:
        url_state.relabel()
    st.session_state["_lang_shown"] = lang
    db = data.source(lang)  # stops the page with a message when the database is unusable
    units = data.units(db)
    county = str(units.loc[units["parent_code"].isna(), "code"].iloc[0])
    today = clock.today()
    years = data.years(db) or [today.year]
    names = dict(zip(units["code"], units["name"], strict=True))
    townships = units[units["level"] == "township"].sort_values("code")
    town_codes = set(townships["code"])
    village_codes = set(units.loc[units["level"].isin(DATA_LEVELS), "code"])

    default_year = today.year if today.year in years else years[0]
    year_texts = {str(y): y for y in years}
    url_state.follow("year", default_year, year_texts.get)
    url_state.follow("basis", "registered", lambda v: v if v in BASES else None)
    # The county's own code is the whole county, as the empty township is.
    took_town = url_state.follow(
        "township", "", lambda v: "" if v == county else (v if v in town_codes else None)
    )
    took_village = url_state.follow("village", "", lambda v: v if v in village_codes else None)
    year = st.session_state["year"]
    url_state.follow("as_of", clock.default_as_of(year), lambda v: _date(v, year))

    # Before the widgets are drawn (their state cannot change after): a village from a link
    # brings its township, unless the same link names another township.
    village = st.session_state.get("village") or ""
    if took_village and _parent(units, village) != (st.session_state.get("township") or ""):
        if took_town and st.session_state.get("township"):
            url_state.refuse("village", village)
            st.session_state["village"] = ""
        else:
            st.session_state["township"] = _parent(units, village)

    with st.sidebar:
        st.segmented_control(
            t("language", lang), ["zh", "en"], key="lang", format_func={"zh": "中文", "en": "English"}.get
        )
        lang = st.session_state.get("lang") or lang
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
        # An option's label only: a value that is no code (an old label the browser sent
        # back) must not format as an option, or Streamlit would keep it as the value.
        township = st.selectbox(
            t("township", lang),
            ["", *townships["code"]],
            key="township",
            format_func=lambda c: names.get(c, c) if c else t("whole_county", lang),
        )
        township = township if township in town_codes else ""
        # A village of another township (the township was changed since) is dropped.
        village = st.session_state.get("village") or ""
        if village and _parent(units, village) != township:
            st.session_state["village"] = village = ""
        villages = units[(units["parent_code"] == township) & units["level"].isin(DATA_LEVELS)]
        if township:
            village = st.selectbox(
                t("village", lang),
                ["", *villages["code"]],
                key="village",
                format_func=lambda c: names.get(c, c) if c else t("all_villages", lang),
            )
            village = village if village in village_codes else ""
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
    shown = url_state.shown
    unit_name = names[filters.unit]

    def village_note(raw: str) -> str:
        if raw in village_codes:  # a village, but the link's township is another one
            return t("village_elsewhere", lang, param=shown("village", raw), township=unit_name)
        return t("unknown_unit", lang, param=shown("village", raw), fallback=unit_name)

    url_state.notes(
        lang,
        {
            "township": lambda raw: t("unknown_unit", lang, param=shown("township", raw), fallback=unit_name),
            "village": village_note,
            "year": lambda raw: t(
                "unknown_year",
                lang,
                param=shown("year", raw),
                fallback=filters.year,
                years=", ".join(map(str, years)),
            ),
            "as_of": lambda raw: t(
                "url_ignored_using", lang, param=shown("as_of", raw), fallback=filters.as_of.isoformat()
            ),
        },
    )
    return filters


def _year_changed() -> None:
    st.session_state["as_of"] = clock.default_as_of(st.session_state["year"])


def _parent(units: pd.DataFrame, code: str) -> str:
    return str(units.loc[units["code"] == code, "parent_code"].iloc[0])


def remember(filters: Filters) -> Filters:
    st.session_state["_filters"] = filters
    return filters


def current() -> Filters:
    """The filters the entry script read from the sidebar on this run."""
    return st.session_state["_filters"]
