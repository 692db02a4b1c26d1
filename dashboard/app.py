"""Entry point: the shared sidebar, then the pages."""

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts only dashboard/ on the path; the packages live beside it.
# Menu icons are Material Symbols, bundled with Streamlit (emoji need a font a bureau PC may
# lack); the favicon stays an emoji, because a Material favicon is fetched from a CDN.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from dashboard.filters import remember, sidebar  # noqa: E402
from dashboard.i18n import t  # noqa: E402

st.set_page_config(page_title="人口计生目标监测", page_icon="📊", layout="wide")
filters = remember(sidebar())
lang = filters.lang
PAGES = Path(__file__).resolve().parent.parent / "pages"
st.navigation(
    [
        st.Page(
            PAGES / "overview.py", title=t("page_overview", lang), icon=":material/dashboard:", default=True
        ),
        st.Page(
            PAGES / "scorecard.py",
            title=t("page_scorecard", lang),
            icon=":material/checklist:",
            url_path="scorecard",
        ),
        st.Page(
            PAGES / "checks.py",
            title=t("page_checks", lang),
            icon=":material/health_and_safety:",
            url_path="checks",
        ),
        st.Page(
            PAGES / "migrants.py",
            title=t("page_migrants", lang),
            icon=":material/transfer_within_a_station:",
            url_path="migrants",
        ),
        st.Page(PAGES / "map.py", title=t("page_map", lang), icon=":material/map:", url_path="map"),
        st.Page(
            PAGES / "unit_detail.py", title=t("page_detail", lang), icon=":material/search:", url_path="unit"
        ),
        st.Page(
            PAGES / "assessment.py",
            title=t("page_assessment", lang),
            icon=":material/military_tech:",
            url_path="assessment",
        ),
        st.Page(
            PAGES / "targets.py", title=t("page_targets", lang), icon=":material/flag:", url_path="targets"
        ),
    ]
).run()
