"""The errors an import reports: one bad cell or file (``RowError``), ``ImportFailed``, and
the same errors grouped so that a hundred thousand bad rows fit on one screen.

A ``RowError`` holds a message *code* from ``messages.MESSAGES``, the bad cell as the file
wrote it (``value``) and the code's parameters, never finished text: each page words it in
its own language (``text(lang)``), and errors group by what is wrong, not by the value.
``ImportFailed`` is the only exception the package raises for a file or a database that
refuses an import; whatever raised it, nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from queries.ingest.messages import GROUPED, Lang, placeholders, reason_text, where_text


@dataclass(frozen=True)
class RowError:
    """One bad cell (or file); ``row`` is the spreadsheet row number, the header being row 1.

    ``code`` is a key of ``messages.MESSAGES``; ``value`` the cell as written (quoted where
    the message says ``{value}``); ``params`` the message's other parameters, as pairs so
    that the error stays hashable.
    """

    file: str
    row: int | None
    column: str | None
    code: str
    value: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(
        cls, file: str, row: int | None, column: str | None, code: str, value: object = None, **params: object
    ) -> RowError:
        return cls(
            file, row, column, code, None if value is None else str(value), tuple(sorted(params.items()))
        )

    def reason_in(self, lang: Lang = "en") -> str:
        return reason_text(self.code, lang, self.value, dict(self.params))

    @property
    def reason(self) -> str:
        """The reason in English (the command line's language)."""
        return self.reason_in("en")

    def text(self, lang: Lang = "en") -> str:
        colon = "：" if lang == "zh" else ": "
        return f"{where_text(self.file, self.row, self.column, lang)}{colon}{self.reason_in(lang)}"

    def __str__(self) -> str:
        return self.text("en")


class ImportFailed(Exception):
    """An import that wrote nothing; ``errors`` lists every bad row, ``str()`` is one line."""

    def __init__(self, errors: Iterable[RowError] | RowError):
        self.errors: list[RowError] = [errors] if isinstance(errors, RowError) else list(errors)
        super().__init__(self.one_line())

    def one_line(self, lang: Lang = "en") -> str:
        if not self.errors:
            return reason_text("import_failed", lang, None, {})
        first = one_line(self.errors[0].text(lang))
        more = len(self.errors) - 1
        if more:
            first += reason_text("and_more", lang, None, {"n": more, "s": "s" if more > 1 else ""})
        return first

    def __str__(self) -> str:
        return self.one_line()

    def groups(self) -> list[ErrorGroup]:
        return group(self.errors)

    def lines(self, lang: Lang = "en", limit: int = 30) -> list[str]:
        """The errors grouped (``group``), one line a group, at most ``limit`` lines in all."""
        groups = self.groups()
        out = [g.line(lang) for g in groups[:limit]]
        if len(groups) > limit:
            left = sum(g.count for g in groups[limit:])
            out.append(reason_text("groups_left_out", lang, None, {"groups": len(groups) - limit, "n": left}))
        return out


FIRST_ROWS = 5


@dataclass(frozen=True)
class ErrorGroup:
    """Every error of one file and column for one reason: how many, the first rows, the first value."""

    file: str
    column: str | None
    code: str
    params: tuple[tuple[str, object], ...]
    count: int
    rows: tuple[int, ...]  # the first FIRST_ROWS rows, ascending
    value: str | None  # the first bad value

    def reason_in(self, lang: Lang = "en") -> str:
        """The reason without the value, which differs from row to row."""
        return reason_text(self.code, lang, None, dict(self.params))

    def line(self, lang: Lang = "en") -> str:
        where = where_text(self.file, None, self.column, lang)
        return one_line(
            reason_text(
                "group_line",
                lang,
                None,
                {
                    "where": where,
                    "reason": self.reason_in(lang),
                    "rows": reason_text(
                        "group_rows",
                        lang,
                        None,
                        {
                            "count": self.count,
                            "rows": ", ".join(map(str, self.rows))
                            + (" …" if self.count > len(self.rows) else ""),
                        },
                    )
                    if self.rows
                    else "",
                    "first": "" if self.value is None else reason_text("first_value", lang, self.value, {}),
                },
            )
        )


def group(errors: Iterable[RowError]) -> list[ErrorGroup]:
    """Errors grouped by file, column, code and parameters, in the order their first error came.

    A code whose message carries its row's own details groups under its ``GROUPED`` code, on
    the parameters that code's message reads only (``duplicate birth_id``, whatever rows
    the other copies are on)."""
    seen: dict[tuple, list] = {}
    shared: dict[str, set[str]] = {}  # group code -> the parameters its message reads
    for e in errors:
        code, params = e.code, e.params
        if code in GROUPED:
            code = GROUPED[code]
            keep = shared.get(code)
            if keep is None:
                keep = shared[code] = placeholders(code)
            params = tuple(p for p in params if p[0] in keep)
        key = (e.file, e.column, code, params)
        g = seen.get(key)
        if g is None:
            seen[key] = [1, [e.row] if e.row is not None else [], e.value]
        else:
            g[0] += 1
            if e.row is not None and len(g[1]) < FIRST_ROWS:
                g[1].append(e.row)
    return [
        ErrorGroup(file, column, code, params, n, tuple(sorted(rows)), value)
        for (file, column, code, params), (n, rows, value) in seen.items()
    ]


def params_of(p: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(p.items()))


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())
