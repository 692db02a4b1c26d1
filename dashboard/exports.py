"""Downloadable tables: CSV that Chinese Excel opens cleanly and a formatted .xlsx.

No streamlit here, so the command line's reports can reuse it.
"""

from __future__ import annotations

import io

import pandas as pd

from dashboard.i18n import indicator_name, t, verdict_label
from queries import registry
from queries.targets_io import XLSX_MIME  # noqa: F401 - the pages' one name for it


def scorecard_export(card: pd.DataFrame, codes: list[str], lang: str = "zh") -> pd.DataFrame:
    """The scorecard as a flat table with headers in the chosen language."""
    out = pd.DataFrame(
        {
            t("code", lang): card["unit_code"],
            t("unit", lang): card["name"],
            t("rank", lang): card["rank"],
            t("met_count", lang): card["met"],
            t("failing_count", lang): card["failing"],
            t("behind_count", lang): card["behind"],
        }
    )
    for code in codes:
        name, ind = indicator_name(code, lang), registry.get(code)
        out[f"{name} {t('value', lang)}"] = card[f"{code}|value"].astype(float).round(ind.decimals + 2)
        out[f"{name} {t('target', lang)}"] = card[f"{code}|target"].astype(float)
        out[f"{name} {t('gap', lang)}"] = card[f"{code}|gap"].astype(float).round(ind.decimals + 2)
        out[f"{name} {t('verdict', lang)}"] = card[f"{code}|verdict"].map(lambda s: verdict_label(s, lang))
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    # A BOM makes Excel on a Chinese Windows read the file as UTF-8.
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    """One sheet, header row frozen, status cells filled with their colour."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
        ws = writer.sheets[sheet[:31]]
        ws.freeze_panes = "A2"
        from openpyxl.styles import Font, PatternFill

        fills = {
            verdict_label(k, lang): PatternFill("solid", fgColor=s.background.lstrip("#"))
            for k, s in registry.VERDICT.items()
            for lang in ("zh", "en")
        }
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.value in fills:
                    cell.fill = fills[cell.value]
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(40, max(8, width * 1.6))
    return buf.getvalue()
