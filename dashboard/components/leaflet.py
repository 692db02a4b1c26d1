"""Leaflet served by the app itself, so maps draw on a closed network.

folium points the browser at CDNs for Leaflet (and jQuery, Bootstrap, Font Awesome that a
choropleth does not need). The Python package ``xstatic-leaflet`` installs Leaflet 1.9.3
— the version folium 0.20 is written for — as plain files. Declaring that folder as a
(never rendered) custom component makes Streamlit serve its files at
``/component/dashboard.components.leaflet.leaflet_assets/…``, next to the map component's own
``/component/streamlit_folium.st_folium/index.html``; the map's iframe loads them by a
relative URL, which also holds under a ``server.baseUrlPath``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

from dashboard.i18n import t
from geo.maps import LeafletAssets

REQUIRED = ("leaflet.js", "leaflet.css")


class LeafletMissing(RuntimeError):
    """The Leaflet package is not installed (pip install -r requirements.txt), or lacks
    ``files`` in ``folder``; :meth:`text` says so in the page's language."""

    def __init__(self, folder: Path | None = None, files: tuple[str, ...] = ()) -> None:
        self.folder, self.files = folder, files
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        if self.folder is None:
            return t("mp_no_leaflet", lang)
        return t("mp_leaflet_files_missing", lang, files=", ".join(self.files), folder=str(self.folder))


def asset_dir() -> Path:
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:
        raise LeafletMissing() from exc
    folder = Path(leaflet.BASE_DIR)
    missing = tuple(name for name in REQUIRED if not (folder / name).is_file())
    if missing:
        raise LeafletMissing(folder, missing)
    return folder


def assets() -> LeafletAssets:
    """Register the Leaflet folder with this run's Streamlit server and give its URLs."""
    component = components.declare_component("leaflet_assets", path=str(asset_dir()))
    base = f"../{component.name}"
    return LeafletAssets(js=f"{base}/leaflet.js", css=f"{base}/leaflet.css")
