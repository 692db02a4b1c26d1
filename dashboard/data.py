"""The pages' one door to the database: the engine cached per URL, results cached per
plain filter values, and failures turned into a message on the page."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard.i18n import t
from dashboard.settings import database_url, open_engine
from queries import catalogue, views
from queries.indicators import compute
from queries.period import make_period


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return open_engine(url)


def engine(lang: str = "zh") -> Engine:
    """The engine, or a clear message and a stopped page when the database is unusable."""
    url = database_url()
    try:
        with st.spinner(t("building_demo", lang)):
            eng = _engine(url)
        with eng.connect() as conn:
            catalogue.county(conn)
    except catalogue.EmptyDatabase:
        st.warning(t("db_empty", lang))
        st.stop()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is shown, not raised
        _engine.clear()
        st.error(t("db_unreachable", lang, reason=_one_line(exc)))
        st.stop()
    return eng


def _one_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def url() -> str:
    return database_url()


@st.cache_data(show_spinner=False, max_entries=64)
def units(db: str) -> pd.DataFrame:
    with _engine(db).connect() as conn:
        return catalogue.units_frame(conn)


@st.cache_data(show_spinner=False, max_entries=16)
def years(db: str) -> list[int]:
    with _engine(db).connect() as conn:
        return catalogue.years(conn)


@st.cache_data(show_spinner=False, max_entries=64)
def indicator_table(db: str, root: str, year: int, as_of: date, basis: str) -> pd.DataFrame:
    with _engine(db).connect() as conn:
        return compute(conn, root, make_period(year, as_of), basis)


@st.cache_data(show_spinner=False, max_entries=64)
def overview(db: str, root: str, year: int, as_of: date, basis: str) -> pd.DataFrame:
    with _engine(db).connect() as conn:
        return views.overview(conn, root, make_period(year, as_of), basis)


@st.cache_data(show_spinner=False, max_entries=64)
def record_count(db: str, root: str, year: int, as_of: date) -> int:
    with _engine(db).connect() as conn:
        return catalogue.record_count(conn, root, make_period(year, as_of))
