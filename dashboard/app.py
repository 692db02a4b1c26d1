"""Entry point: the shared sidebar, then the pages."""

import logging
from pathlib import Path

import streamlit as st

from dashboard.components.filters import remember, sidebar
from dashboard.i18n import t
from dashboard.runtime import logs
from dashboard.runtime.settings import database_url, describe

# This file runs as __main__ on every rerun; the name keeps its lines with the package's.
log = logging.getLogger("dashboard.app")
if logs.setup():
    try:
        log.info("dashboard started; database %s; log %s", describe(database_url()), logs.log_path())
    except Exception:  # noqa: BLE001 - an unreadable setting is the sidebar's to report
        log.exception("dashboard started; the database setting cannot be read")


def internal_error(lang: str, where: str) -> None:
    """Instead of Streamlit's error box (English, with links to online help): a message in
    the page's language with a number that finds the traceback in the log. st.stop, st.rerun
    and st.switch_page raise BaseExceptions, which pass through ``except Exception``."""
    ref = logs.reference()
    log.exception("internal error, reference %s, in %s", ref, where)
    st.error(t("internal_error", lang, ref=ref))


st.set_page_config(page_title="人口计生目标监测", page_icon="📊", layout="wide")
try:
    filters = remember(sidebar())
except Exception:  # noqa: BLE001 - every failure becomes a message with a reference
    internal_error(st.session_state.get("lang") or "zh", "the sidebar")
    st.stop()
lang = filters.lang
PAGES = Path(__file__).resolve().parent.parent / "pages"
# file, title, icon, URL path; the first is the home page.
# Menu icons are Material Symbols, bundled with Streamlit (emoji need a font a bureau PC may
# lack); the favicon stays an emoji, because a Material favicon is fetched from a CDN.
MENU = [
    ("overview.py", "page_overview", ":material/dashboard:", "overview"),
    ("scorecard.py", "page_scorecard", ":material/checklist:", "scorecard"),
    ("checks.py", "page_checks", ":material/health_and_safety:", "checks"),
    ("migrants.py", "page_migrants", ":material/transfer_within_a_station:", "migrants"),
    ("map.py", "page_map", ":material/map:", "map"),
    ("unit_detail.py", "page_detail", ":material/search:", "unit"),
    ("assessment.py", "page_assessment", ":material/military_tech:", "assessment"),
    ("targets.py", "page_targets", ":material/flag:", "targets"),
    ("data_import.py", "page_import", ":material/upload_file:", "import"),
]
page = st.navigation(
    [
        st.Page(PAGES / file, title=t(title, lang), icon=icon, url_path=path, default=i == 0)
        for i, (file, title, icon, path) in enumerate(MENU)
    ]
)
try:
    page.run()
except Exception:  # noqa: BLE001 - every failure becomes a message with a reference
    internal_error(lang, f"page {page.url_path or 'overview'}")
