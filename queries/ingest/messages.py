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
    # whole imports: doubling, one at a time, undo
    "doubling_suspected": (
        "{count:,} of the {added:,} rows it would add match records already stored under other ids "
        "(e.g. row {at}: id '{new_id}', stored as '{stored_id}'): a spreadsheet probably dropped the ids' "
        "leading zeros. Format the id columns as text, or export the file again from the source "
        "system; if these really are other records, import anyway (--allow-duplicates on the "
        "command line, or confirm on the import page)",
        "拟新增的 {added:,} 行中有 {count:,} 行与库中已有记录内容相同、只是编号不同"
        "（例如第 {at} 行编号“{new_id}”，库中为“{stored_id}”）：很可能是电子表格去掉了编号前面的 0。"
        "请把编号列设为文本格式，或从原系统重新导出；如确属不同记录，仍可导入"
        "（命令行加 --allow-duplicates，或在导入页面确认）",
    ),
    "import_busy": (
        "another import is running (started {started} from {source}); try again when it has finished",
        "另一项导入正在进行（{started} 开始，文件 {source}）；请等它完成后再试",
    ),
    "import_busy_unknown": (
        "another import is running; try again when it has finished",
        "另一项导入正在进行；请等它完成后再试",
    ),
    "undo_nothing": ("there is no import to undo", "没有可以撤销的导入"),
    "undo_targets_last": (
        "the latest change is a target save ({source}, {started}); only an import can be undone, "
        "and only while nothing has changed after it",
        "最近一次更改是保存目标（{source}，{started}）；只能撤销导入，且其后不能有其他更改",
    ),
    "undo_changed_since": (
        "the data changed after the latest import ({source}, {started}): targets deleted or the "
        "derived tables rebuilt; it can no longer be undone",
        "最近一次导入（{source}，{started}）之后数据又有更改（删除了目标或重建了汇总表），已无法撤销",
    ),
    "undo_not_kept": (
        "the import of {source} ({started}) is too old to undo: only the latest {depth} imports "
        "can be undone",
        "{source}（{started}）的导入时间太早，无法撤销：只保留最近 {depth} 次导入的撤销数据",
    ),
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
