"""What the 数据导入 page shows of an import: its effect, what looks doubled, the history.

Pure functions of the importer's results and the language, so the page only lays them out
(and tests can read the same tables the user sees).
"""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t, table_name


def effect_totals(effect: pd.DataFrame) -> dict[str, int]:
    """Rows added, replaced and unchanged over every file and year."""
    return {k: int(effect[k].sum()) if len(effect) else 0 for k in ("added", "replaced", "unchanged")}


def changes_anything(effect: pd.DataFrame) -> bool:
    totals = effect_totals(effect)
    return totals["added"] + totals["replaced"] > 0


def effect_frame(effect: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per file and year: rows added, replaced, unchanged, with the page's labels."""
    years = effect["year"].map(lambda y: "—" if pd.isna(y) else str(int(y)))
    return pd.DataFrame(
        {
            t("im_file", lang): [
                f"{file}（{table_name(table, lang)}）" for file, table in zip(effect["file"], effect["table"], strict=True)
            ],
            t("year", lang): years.to_numpy(),
            t("im_added", lang): effect["added"].astype(int).to_numpy(),
            t("im_replaced", lang): effect["replaced"].astype(int).to_numpy(),
            t("im_unchanged", lang): effect["unchanged"].astype(int).to_numpy(),
        }
    )


def suspect_lines(suspects, lang: str) -> list[str]:
    """One sentence per file whose new rows look like stored ones under other ids."""
    return [
        t(
            "im_suspect",
            lang,
            file=s.file,
            count=s.count,
            added=s.added,
            row=s.row,
            new_id=s.new_id,
            stored_id=s.stored_id,
        )
        for s in suspects
    ]


def history_frame(history: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The import log as the page shows it: when, file, what, how it ended."""
    return pd.DataFrame(
        {
            t("im_when", lang): history["started_at"].map(_minute).to_numpy(),
            t("im_file", lang): history["file_name"].to_numpy(),
            t("im_hash", lang): history["file_hash"].fillna("").str[:12].to_numpy(),
            t("im_kind", lang): history["kind"].map(lambda k: t(f"im_kind_{k}", lang)).to_numpy(),
            t("im_added", lang): history["added"].astype(int).to_numpy(),
            t("im_replaced", lang): history["replaced"].astype(int).to_numpy(),
            t("im_duration", lang): history["duration_s"].map(lambda s: f"{s:,.1f} s").to_numpy(),
            t("im_result", lang): history["result"].map(lambda r: t(f"im_result_{r}", lang)).to_numpy(),
        }
    )


def _minute(ts) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")
