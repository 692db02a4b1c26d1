"""Where a page is and what it carries: page paths, the view's URL parameters, the page header."""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import t


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
