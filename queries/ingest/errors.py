"""The errors an import reports: one bad cell or file (``RowError``), and ``ImportFailed``.

``ImportFailed`` is the only exception the package raises for a file or a database that
refuses an import; whatever raised it, nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """One bad cell (or file); ``row`` is the spreadsheet row number, the header being row 1."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """An import that wrote nothing; ``errors`` lists every bad row, ``str()`` is one line."""

    def __init__(self, errors: Iterable[RowError] | RowError):
        self.errors: list[RowError] = [errors] if isinstance(errors, RowError) else list(errors)
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        if not self.errors:
            return "import failed"
        first = one_line(str(self.errors[0]))
        more = len(self.errors) - 1
        if more:
            first += f" (and {more:,} more error{'s' if more > 1 else ''})"
        return first

    def __str__(self) -> str:
        return self._one_line()

    def lines(self, limit: int | None = None) -> list[str]:
        """One line per error, at most ``limit`` of them plus a line saying how many were left out."""
        shown = self.errors if limit is None else self.errors[:limit]
        out = [one_line(str(e)) for e in shown]
        if len(shown) < len(self.errors):
            out.append(f"... and {len(self.errors) - len(shown):,} more errors")
        return out


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())
