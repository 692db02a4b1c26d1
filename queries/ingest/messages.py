"""Every message an import can give, in English and Chinese, written once.

``MESSAGES`` maps a code to its two templates. ``{value}`` is the bad cell as the file wrote
it, quoted; the other placeholders are the error's parameters. A template words the reason
only; where it happened (file, row, column) is ``where_text``'s. The command line speaks
English, a page its own language.
"""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["en", "zh"]

# code: (English, Chinese)
MESSAGES: dict[str, tuple[str, str]] = {
    # how errors are put together
    "import_failed": ("import failed", "导入失败"),
    "and_more": (" (and {n:,} more error{s})", "（另有 {n:,} 处错误）"),
    "group_line": ("{where}: {reason}{rows}{first}", "{where}：{reason}{rows}{first}"),
    "group_rows": (" — {count:,}× (rows {rows})", "——{count:,} 处（第 {rows} 行）"),
    "first_value": ("; first value {value}", "；首个错误值 {value}"),
    "groups_left_out": (
        "… and {groups:,} more kinds of error ({n:,} errors)",
        "……另有 {groups:,} 类错误（共 {n:,} 处）",
    ),
    # cells
    "missing_column": ("missing column", "缺少此列"),
    "required": ("empty; a value is required", "为空；此项必填"),
    "not_one_of": ("{value} is not one of {allowed}", "{value} 不是 {allowed} 之一"),
}


def quoted(value: str, lang: Lang) -> str:
    return f"“{value}”" if lang == "zh" else f"'{value}'"


def reason_text(code: str, lang: Lang, value: str | None, params: dict[str, object]) -> str:
    """The reason ``code`` stands for in ``lang``; a code not in ``MESSAGES`` is literal text."""
    templates = MESSAGES.get(code)
    if templates is None:  # transitional: reasons not yet given a code are English text
        return code
    template = templates[1] if lang == "zh" else templates[0]
    text = template.format(value="" if value is None else quoted(value, lang), **params)
    if value is None and "{value}" in template:  # a group's reason: the value left out
        text = re.sub(r" {2,}", " ", text).strip()
    return text


def where_text(file: str, row: int | None, column: str | None, lang: Lang) -> str:
    """Where an error is: ``births.csv row 7, column sex`` / ``births.csv 第 7 行，sex 列``."""
    if lang == "zh":
        where = file.replace("sheet ", "工作表 ")
        if row is not None:
            where += f" 第 {row} 行"
        if column:
            where += f"，{column} 列" if row is not None else f" {column} 列"
        return where
    where = file
    if row is not None:
        where += f" row {row}"
    if column:
        where += f", column {column}"
    return where
