"""Downloadable tables: CSV that Chinese Excel opens cleanly and a formatted .xlsx.

No streamlit here, so the command line's reports can reuse it.
"""

from __future__ import annotations

import io

import pandas as pd

from dashboard.i18n import indicator_name, t, verdict_label
from queries.engine import registry
from queries.formats import xlsx
from queries.formats.xlsx import XLSX_MIME  # noqa: F401 - the pages' one name for it


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


# OWASP's CSV injection list: a spreadsheet evaluates a cell that starts with one of these.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_text(value):
    """A text cell that a spreadsheet would evaluate, prefixed with ``'`` so it is shown as
    text (OWASP, CSV Injection); anything else, numbers included, is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell neutralised; numeric columns are left as they are,
    so a negative rate stays the number -1.23."""
    out = frame.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])):
            out[col] = out[col].map(neutralise_csv_text)
    out.columns = [neutralise_csv_text(c) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """The table as a CSV download: text cells neutralised (``csv_safe``), UTF-8 with a BOM."""
    # A BOM makes Excel on a Chinese Windows read the file as UTF-8. The csv module quotes a
    # field holding a character of the line terminator: with RFC 4180's CRLF that covers a
    # lone CR inside a name too, which "\n" alone would leave bare to end the row in Excel.
    return csv_safe(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    """One sheet, header row bold and frozen, status cells filled with their colour."""
    buf = io.BytesIO()
    wb = xlsx.workbook(buf)
    ws = wb.add_worksheet(xlsx.sheet_name(sheet))
    bold = wb.add_format({"bold": True})
    fills = {
        verdict_label(k, lang): wb.add_format({"bg_color": s.background})
        for k, s in registry.VERDICT.items()
        for lang in ("zh", "en")
    }
    for c, name in enumerate(frame.columns):
        xlsx.write_cell(ws, 0, c, name, bold)
    for r, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for c, value in enumerate(values):
            fill = fills.get(value) if isinstance(value, str) else None
            xlsx.write_cell(ws, r, c, value, fill)
    ws.freeze_panes(1, 0)
    for c, name in enumerate(frame.columns):
        # the widest cell as text, blanks as nothing, as the column reads
        cells = [str(name)] + ["" if xlsx.missing(v) else str(v) for v in frame.iloc[:, c]]
        width = max(len(v) for v in cells)
        ws.set_column(c, c, min(40, max(8, width * 1.6)))
    wb.close()
    return buf.getvalue()


def table_downloads(export: pd.DataFrame, stem: str, sheet: str, lang: str, csv_slot, xlsx_slot) -> None:
    """CSV and Excel buttons for a table, each file made when clicked, not on every rerun."""
    from functools import partial

    csv_slot.download_button(
        t("download_csv", lang), partial(to_csv, export), f"{stem}.csv", "text/csv", on_click="ignore"
    )
    xlsx_slot.download_button(
        t("download_xlsx", lang),
        partial(to_xlsx, export, sheet),
        f"{stem}.xlsx",
        XLSX_MIME,
        on_click="ignore",
    )
