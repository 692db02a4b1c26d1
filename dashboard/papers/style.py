"""The papers' look, shared by the workbook, the charts and the PDF: the Chinese font, the
colours; and ``PapersError`` for a machine that cannot make them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from queries.engine import registry

FONT_FAMILY = "Noto Sans CJK SC"
FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
HEADER_FILL = "#DCE4EE"
VETO_FILL = registry.VERDICT["not_met"].background
ACCENT = "#0072B2"
DPI = 220  # charts and maps, for print


class PapersError(RuntimeError):
    """The papers cannot be made here (e.g. the Chinese font is not installed)."""


@lru_cache(maxsize=1)
def font() -> str:
    """Register the CJK font with matplotlib once; fail clearly when it is not installed."""
    from matplotlib import font_manager

    for path in FONT_FILES:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
    names = {f.name for f in font_manager.fontManager.ttflist}
    if FONT_FAMILY not in names:
        raise PapersError(
            f"the Chinese font {FONT_FAMILY} is not installed (Debian: apt-get install fonts-noto-cjk)"
        )
    return FONT_FAMILY
