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
# file, title, icon, URL path; the first is the home page.
MENU = [
    ("overview.py", "page_overview", ":material/dashboard:", "overview"),
    ("scorecard.py", "page_scorecard", ":material/checklist:", "scorecard"),
    ("checks.py", "page_checks", ":material/health_and_safety:", "checks"),
    ("migrants.py", "page_migrants", ":material/transfer_within_a_station:", "migrants"),
    ("map.py", "page_map", ":material/map:", "map"),
    ("unit_detail.py", "page_detail", ":material/search:", "unit"),
    ("assessment.py", "page_assessment", ":material/military_tech:", "assessment"),
    ("targets.py", "page_targets", ":material/flag:", "targets"),
]
st.navigation(
    [
        st.Page(PAGES / file, title=t(title, lang), icon=icon, url_path=path, default=i == 0)
        for i, (file, title, icon, path) in enumerate(MENU)
    ]
).run()
