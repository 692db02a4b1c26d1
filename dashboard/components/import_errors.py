"""An import's errors as a table a page shows: one row for each file, column and reason,
with how many rows have it, the first of them and the first bad value, in the page's
language. A hundred thousand bad rows are a few lines, as on the command line."""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t
from queries.ingest.errors import ImportFailed
from queries.ingest.messages import Lang, shown, where_text

# The short columns first, the long reason after them: a phone shows what and how many.
COLUMNS = ("ie_file", "ie_column", "ie_count", "ie_value", "ie_reason", "ie_rows")


def errors_frame(exc: ImportFailed, lang: Lang) -> pd.DataFrame:
    """``exc``'s errors grouped (``ImportFailed.groups``), one row a group, labelled in ``lang``.

    The first rows are the spreadsheet's row numbers (the header is row 1), at most
    ``errors.FIRST_ROWS`` of them and "…" when there are more; the value is shown as the file wrote
    it, its control characters made visible and a long cell cut."""
    groups = exc.groups()
    frame = pd.DataFrame(
        {
            "ie_file": [where_text(g.file, None, None, lang) for g in groups],
            "ie_column": [g.column or "" for g in groups],
            "ie_reason": [g.reason_in(lang) for g in groups],
            "ie_count": pd.Series([g.count for g in groups], dtype="int64"),
            "ie_rows": [
                ", ".join(map(str, g.rows)) + (" …" if g.rows and g.count > len(g.rows) else "")
                for g in groups
            ],
            "ie_value": ["" if g.value is None else shown(g.value) for g in groups],
        },
        columns=list(COLUMNS),
    )
    return frame.rename(columns={c: t(c, lang) for c in COLUMNS})
