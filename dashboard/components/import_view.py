"""What the 数据导入 page shows of an import: its effect, what looks doubled, the history.

Pure functions of the importer's results and the language, so the page only lays them out
(and tests can read the same tables the user sees).
"""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t, table_name
from queries.ingest.history import local_time


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
                f"{file}（{table_name(table, lang)}）"
                for file, table in zip(effect["file"], effect["table"], strict=True)
            ],
            t("year", lang): years.to_numpy(),
            t("im_added", lang): effect["added"].astype(int).to_numpy(),
            t("im_replaced", lang): effect["replaced"].astype(int).to_numpy(),
            t("im_unchanged", lang): effect["unchanged"].astype(int).to_numpy(),
        }
    )


def suspect_lines(suspects, lang: str) -> list[str]:
    """One sentence per file whose new rows look like stored ones under other ids (the
    importer's own message, in the page's language)."""
    return [s.error().text(lang) for s in suspects]


def history_frame(history: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The import log as the page shows it: when (the bureau's time), file, what, how it ended."""
    return pd.DataFrame(
        {
            # what a phone shows first: when, how it ended, which file, how many rows
            t("im_when", lang): history["started_at"].map(_local).to_numpy(),
            t("im_result", lang): history["result"].map(lambda r: t(f"im_result_{r}", lang)).to_numpy(),
            t("im_file", lang): history["file_name"].to_numpy(),
            t("im_added", lang): history["rows_added"].map(_total).to_numpy(),
            t("im_replaced", lang): history["rows_replaced"].map(_total).to_numpy(),
            t("im_kind", lang): history["kind"].map(lambda k: t(f"im_kind_{k}", lang)).to_numpy(),
            t("im_duration", lang): history["duration_s"].map(_seconds).to_numpy(),
            t("im_hash", lang): history["file_hash"].map(lambda h: (h or "")[:12]).to_numpy(),
        }
    )


def undo_text(entry, history: pd.DataFrame) -> dict:
    """What the undo button's help says of the import it would undo: name, time, rows."""
    row = history[history["id"] == entry.id]
    added = _total(row["rows_added"].iloc[0]) if len(row) else 0
    replaced = _total(row["rows_replaced"].iloc[0]) if len(row) else 0
    return {
        "name": entry.file_name,
        "when": local_time(entry.started_at),
        "added": added,
        "replaced": replaced,
    }


def _total(counts) -> int:
    return int(sum(counts.values())) if isinstance(counts, dict) else 0


def _seconds(s) -> str:
    return "" if s is None or pd.isna(s) else f"{float(s):,.1f} s"


def _local(ts) -> str:
    return "" if ts is None or pd.isna(ts) else local_time(pd.Timestamp(ts).to_pydatetime())
