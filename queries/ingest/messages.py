"""Every message an import can give, in English and Chinese, written once.

``MESSAGES`` maps a code to its two templates. ``{value}`` is the bad cell as the file wrote
it, quoted (control characters shown as ``\\x00``, a long cell cut); the other placeholders
are the error's parameters. A parameter named in ``LEVEL_PARAMS`` holds a unit level
(``village``): a template says ``{level}`` for its name (村 in Chinese) and ``{level_a}``
for it with its article in English (``a village``, ``the county``). A template words the
reason only; where it happened (file, row, column) is ``where_text``'s. The command line
speaks English, a page its own language.

An error whose message carries something of its own row (the other rows holding the same
key, the arrival date) is grouped under the code ``GROUPED`` gives it, whose templates leave
that out, so that a hundred thousand such errors make one line (``errors.group``).
"""

from __future__ import annotations

import re
import string
import unicodedata
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
    # a file's header (cells.read_table)
    "unknown_file": (
        "unknown file {value}; an import holds only the tables {tables}",
        "无法识别的文件 {value}；导入只接受这些表：{tables}",
    ),
    "empty_file": (
        "is empty; it needs at least the header row ({columns})",
        "是空文件；至少要有标题行（{columns}）",
    ),
    "unknown_column": (
        "unknown column {value}; {label} has the columns {columns}",
        "无法识别的列 {value}；{label} 的列为 {columns}",
    ),
    "doubled_column": ("column {value} appears more than once", "列 {value} 出现了不止一次"),
    # reading the files (read, read_csv, read_zip, read_workbook, limits)
    "does_not_exist": ("does not exist", "不存在"),
    "not_an_import": (
        "is neither a folder of CSV files, a .zip of them nor an .xlsx workbook "
        "(to import single CSV files, put them in a folder or a .zip)",
        "既不是存放 CSV 文件的文件夹、CSV 文件的 .zip 压缩包，也不是 .xlsx 工作簿"
        "（单独的 CSV 文件请放进一个文件夹或压缩成 .zip 再导入）",
    ),
    "unknown_import_file": (
        "unknown file; an import folder holds only CSV files named after the tables ({tables}), e.g. births.csv",
        "无法识别的文件；导入的文件夹里只能有以数据表命名的 CSV 文件（{tables}），例如 births.csv",
    ),
    "second_file": (
        "a second file for {table}, besides {other}",
        "与 {other} 重复，{table} 表只能有一个文件",
    ),
    "no_csv_files": (
        "has no CSV files to import (expected {tables})",
        "里面没有可导入的 CSV 文件（应为 {tables}）",
    ),
    "unreadable": ("cannot be read: {reason}", "无法读取：{reason}"),
    "empty_csv": ("is empty; it needs at least the header row", "是空文件；至少要有标题行"),
    "ragged_row": (
        "has {cells} cells; the header has {header}",
        "有 {cells} 个单元格，而标题行只有 {header} 个",
    ),
    "unclosed_quote": (
        'a cell opens a quote (") that is never closed; the rest of the file would be that one cell',
        '某个单元格以引号（"）开头却没有结束引号，文件其余部分都会被当作这一个单元格',
    ),
    "not_csv": ("is not a readable CSV file: {reason}", "不是可读取的 CSV 文件：{reason}"),
    "not_utf8_nor_gb": (
        "the text is neither UTF-8 nor GB18030/GBK from this line on; save the file again as UTF-8",
        "从这一行起文字既不是 UTF-8 也不是 GB18030/GBK 编码；请将文件另存为 UTF-8 编码",
    ),
    "encoding_refused": (
        "is {encoding} text; the import reads UTF-8 or GB18030/GBK only: save it again as UTF-8",
        "是 {encoding} 编码的文字；导入只接受 UTF-8 或 GB18030/GBK 编码，请另存为 UTF-8 编码",
    ),
    "bom_on_gbk": (
        "starts with a UTF-8 mark but the text is GBK; save it again as UTF-8 or GBK",
        "文件开头标明是 UTF-8 编码，正文却是 GBK 编码；请重新另存为 UTF-8 或 GBK 编码",
    ),
    "duplicate_column": (
        "column '{name}' appears {times} (columns {letters})",
        "“{name}”列出现了 {n} 次（第 {letters_zh} 列）",
    ),
    "no_header": ("a value in column {letter}, which has no header", "第 {letter} 列有内容，但该列没有标题"),
    "no_header_row": (
        "the first row, the header, is empty; the column names go in row 1",
        "第一行（标题行）是空的；列名应写在第 1 行",
    ),
    "unknown_sheet": (
        "unknown sheet; a workbook holds only sheets named after the tables ({tables})",
        "无法识别的工作表；工作簿里只能有以数据表命名的工作表（{tables}）",
    ),
    "second_sheet": ("a second sheet for {table}", "{table} 表的工作表重复"),
    "not_a_workbook": ("is not a readable .xlsx workbook: {reason}", "不是可读取的 .xlsx 工作簿：{reason}"),
    "formula_without_value": (
        "cell {cell} holds a formula with no saved value (the file was written by a program that "
        "did not compute it); open it in Excel or LibreOffice, save it and import again",
        "单元格 {cell} 是公式，但没有保存计算结果（文件由不计算公式的程序生成）；"
        "请用 Excel 或 WPS 打开后保存，再导入",
    ),
    "error_cell": (
        "cell {cell} shows the error {value}; correct the formula or type the value",
        "单元格 {cell} 显示错误 {value}；请改正公式或直接填写数值",
    ),
    "id_lost_digits": (
        "{value}: the spreadsheet stored this id as a number and lost its last digits; "
        "format the column as text and re-export",
        "{value}：表格把这个编号存成了数字，末尾几位已经丢失；请把该列设为文本格式后重新导出",
    ),
    "not_a_zip": ("is not a readable .zip file: {reason}", "不是可读取的 .zip 压缩包：{reason}"),
    "zip_unsafe_name": (
        "holds '{member}', a name that points outside the archive; zip the CSV files again",
        "包含“{member}”，其路径指向压缩包之外；请重新压缩这些 CSV 文件",
    ),
    "zip_link": (
        "holds '{member}', a link; zip the CSV files themselves",
        "包含链接“{member}”；请直接压缩 CSV 文件本身",
    ),
    "zip_encrypted": (
        "'{member}' is encrypted; zip the files without a password",
        "“{member}”已加密；请不设密码重新压缩",
    ),
    "zip_nested": (
        "holds '{member}', an archive inside the archive; put the CSV files themselves in the zip",
        "包含“{member}”，是压缩包里的压缩包；请把 CSV 文件本身放进压缩包",
    ),
    "zip_folders": (
        "holds CSV files in several folders ({folders}); put them at its top level or in one folder",
        "CSV 文件分散在多个文件夹中（{folders}）；请放在压缩包的最上层或同一个文件夹里",
    ),
    "file_too_large": (
        "is {size}; the import takes files up to {limit} (setting import_max_file_mb)",
        "大小为 {size}；导入的文件最大为 {limit}（设置项 import_max_file_mb）",
    ),
    "too_many_rows": (
        "has {rows:,} rows; the import takes up to {limit:,} rows a file (setting import_max_rows)",
        "有 {rows:,} 行；每个文件最多 {limit:,} 行（设置项 import_max_rows）",
    ),
    "unpacks_too_large": (
        "unpacks to {size}; the import takes up to {limit} unpacked (setting import_max_unpacked_mb)",
        "解压后为 {size}；导入最多接受解压后 {limit}（设置项 import_max_unpacked_mb）",
    ),
    "compressed_too_much": (
        "'{member}' is compressed {ratio:,}×, more than {limit}× (setting import_max_ratio): "
        "not a spreadsheet export",
        "“{member}”的压缩比为 {ratio:,} 倍，超过 {limit} 倍（设置项 import_max_ratio），不像是表格导出的文件",
    ),
    # cells
    "not_a_date": (
        "{value} is not a date; dates are written year first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, "
        "YYYY.M.D or YYYY年M月D日",
        "{value} 不是日期；日期须年份在前，写作 YYYY-MM-DD、YYYY-M-D、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日",
    ),
    "missing_column": ("missing column", "缺少此列"),
    # a cell against its column (cells.check_cells)
    "required": ("empty; a value is required", "为空；此项必填"),
    "not_one_of": ("{value} is not one of {allowed}", "{value} 不是 {allowed} 之一"),
    "date_too_early": ("{value} is before {first}", "{value} 早于 {first}"),
    "date_in_future": ("{value} is in the future (today is {today})", "{value} 晚于今天（今天是 {today}）"),
    "not_a_flag": ("{value} is not 1 or 0", "{value} 不是 1 或 0"),
    "not_a_number": ("{value} is not a number", "{value} 不是数字"),
    "not_whole": ("{value} is not a whole number", "{value} 不是整数"),
    "year_too_early": ("year {value} is before {first}", "年份 {value} 早于 {first} 年"),
    "year_after_next": (
        "year {value} is after next year; targets can be set up to {last}",
        "年份 {value} 晚于明年；目标最远可设到 {last} 年",
    ),
    "year_in_future": (
        "year {value} is in the future (this year is {last})",
        "年份 {value} 晚于今年（今年是 {last} 年）",
    ),
    "negative_count": ("{value} is negative; a count cannot be below 0", "{value} 是负数；计数不能小于 0"),
    "negative": ("{value} is negative; {col} cannot be below 0", "{value} 是负数；{col} 不能小于 0"),
    "below_min": ("{value} is below {lo}; {col} counts from {lo}", "{value} 小于 {lo}；{col} 从 {lo} 起计"),
    "above_max": (
        "{value} is above {hi}, not a plausible {col}",
        "{value} 大于 {hi}，不是合理的 {col}",
    ),
    # text both databases store alike (cells.check_text)
    "not_unicode": (
        "{value} holds {char}, which is not a character (a broken encoding); retype it",
        "{value} 含有 {char}，不是有效字符（编码已损坏），请重新输入",
    ),
    "control_character": (
        "{value} holds the control character {char}; remove it",
        "{value} 含有控制字符 {char}，请删除",
    ),
    "too_long": (
        "{value} is longer than {limit} characters, the most {col} can hold",
        "{value} 超过 {limit} 个字符，{col} 最多只能有 {limit} 个字符",
    ),
    # rules across one file's cells (rows)
    "duplicate_key": (
        "duplicate {key} {value} (also on row{s} {others})",
        "{key} {value} 重复（另见第 {others} 行）",
    ),
    "duplicate_key_group": ("duplicate {key}", "{key} 重复"),
    "departure_before_arrival": (
        "departure {value} is before arrival {arrival}",
        "离开日期 {value} 早于到达日期 {arrival}",
    ),
    "departure_before_arrival_group": ("departure is before arrival", "离开日期早于到达日期"),
    "unknown_indicator": (
        "unknown indicator code {value}; known codes: {codes}",
        "未知的指标代码 {value}；可用的代码：{codes}",
    ),
    "computed_indicator": (
        "{value} is computed from the event files, not reported; {label} takes only the "
        "survey-reported indicators {codes}",
        "{value} 由各事件文件计算得出，不是上报指标；{label} 只接受调查上报的指标 {codes}",
    ),
    "numerator_over_denominator": (
        "numerator {value} is greater than denominator {denominator}; a % rate cannot exceed 100 %",
        "分子 {value} 大于分母 {denominator}；百分率不能超过 100%",
    ),
    "numerator_over_denominator_group": (
        "numerator is greater than denominator; a % rate cannot exceed 100 %",
        "分子大于分母；百分率不能超过 100%",
    ),
    # the unit tree (tree)
    "unknown_parent": (
        "unknown parent_code {value}: not in {units} nor in the database",
        "未知的上级代码 {value}：{units} 和数据库中都没有",
    ),
    "county_has_parent": (
        "the county has no parent; leave parent_code empty (got {value})",
        "县（市）没有上级，parent_code 应留空（现为 {value}）",
    ),
    "county_has_parent_group": (
        "the county has no parent; leave parent_code empty",
        "县（市）没有上级，parent_code 应留空",
    ),
    "parent_required": (
        "empty; {level_a} needs the code of its parent ({parent_a})",
        "为空；{level}须填写其上级（{parent}）的代码",
    ),
    "second_root": (
        "a second root: {value} is a county, and so is '{other}'; "
        "there must be exactly one county, the root with an empty parent_code",
        "第二个根单位：{value} 是县（市），“{other}”也是；只能有一个县（市），即 parent_code 为空的根单位",
    ),
    "second_root_stored": (
        "a second root: {value} is a county, and so is '{other}' (in the database); "
        "there must be exactly one county, the root with an empty parent_code",
        "第二个根单位：{value} 是县（市），数据库中的“{other}”也是；只能有一个县（市），即 parent_code 为空的根单位",
    ),
    "second_root_group": (
        "a second county: there must be exactly one county, the root with an empty parent_code",
        "多于一个县（市）：只能有一个县（市），即 parent_code 为空的根单位",
    ),
    "no_county": (
        "no county: exactly one unit must have level county and an empty parent_code",
        "没有县（市）：必须恰好有一个单位的 level 为 county 且 parent_code 为空",
    ),
    "cycle": ("a cycle in the unit tree: {cycle}", "单位树中出现循环：{cycle}"),
    "cycle_group": ("a cycle in the unit tree", "单位树中出现循环"),
    "parent_wrong_level": (
        "parent {value} is {parent_level_a}; {level_a}'s parent must be {want_a}",
        "上级 {value} 是{parent_level}；{level}的上级应是{want}",
    ),
    "level_misfits_stored": (
        "{value} does not fit the units under '{unit}' in the database (e.g. '{child}', {child_level_a})",
        "{value} 与数据库中“{unit}”的下级单位不相符（如“{child}”，{child_level}）",
    ),
    # against the database and across files (lookups)
    "no_units_yet": (
        "missing: the database has no units yet, so the first import must include the unit tree ({label})",
        "缺失：数据库中还没有单位，第一次导入必须包含单位树（{label}）",
    ),
    "unit_holds_data": (
        "{value} but the database holds {table} rows on unit '{unit}'; data rows belong to a village or community",
        "改为 {value}，但数据库中单位“{unit}”有 {table} 数据；数据只能属于村或社区",
    ),
    "unknown_unit": (
        "unknown unit_code {value}: not in {units} nor in the database",
        "未知的单位代码 {value}：{units} 和数据库中都没有",
    ),
    "unit_not_data_level": (
        "unit {value} is a {level}; {table} rows belong to a village or community",
        "单位 {value} 是{level}；{table} 的数据只能属于村或社区",
    ),
    "unknown_migrant": (
        "a service for unknown migrant_id {value}: not in {migrants} nor in the database",
        "服务记录的流动人口编号 {value} 未知：{migrants} 和数据库中都没有",
    ),
    # writing (load)
    "database_refused": (
        "the database refused the import, nothing was written: {detail}",
        "数据库拒绝了这次导入，未写入任何数据：{detail}",
    ),
    # the target template (targets.read_template)
    "template_empty": (
        "is empty; the first row must be the header ({columns})",
        "是空表；第一行必须是标题行（{columns}）",
    ),
    "values_without_header": ("column {n} has values but no header", "第 {n} 列有数据但没有标题"),
    "template_unknown_column": (
        "unknown column {value}; the template has the columns {columns}",
        "无法识别的列 {value}；模板的列为 {columns}",
    ),
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
    "doubling_renumbered": (
        "{count:,} of the {added:,} rows it would add match records already stored under other ids "
        "(e.g. row {at}: id '{new_id}', stored as '{stored_id}'): the same records seem to have been "
        "given new ids, by a spreadsheet or an export that numbers them afresh. Export them again with "
        "their ids from the source system; if these really are other records, import anyway "
        "(--allow-duplicates on the command line, or confirm on the import page)",
        "拟新增的 {added:,} 行中有 {count:,} 行与库中已有记录内容相同、只是编号不同"
        "（例如第 {at} 行编号“{new_id}”，库中为“{stored_id}”）：这些记录似乎被重新编了号"
        "（电子表格或重新编号的导出）。请从原系统带原编号重新导出；如确属不同记录，仍可导入"
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
        "the latest change is a change of targets ({source}, {started}); only an import can be undone, "
        "and only while nothing has changed after it",
        "最近一次更改是目标的保存或删除（{source}，{started}）；只能撤销导入，且其后不能有其他更改",
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

# A code whose message carries its own row's details -> the code its errors group under.
GROUPED: dict[str, str] = {
    "duplicate_key": "duplicate_key_group",
    "departure_before_arrival": "departure_before_arrival_group",
    "numerator_over_denominator": "numerator_over_denominator_group",
    "cycle": "cycle_group",
    "second_root": "second_root_group",
    "second_root_stored": "second_root_group",
    "county_has_parent": "county_has_parent_group",
}

# Parameters holding a unit level, worded by the template's language.
LEVEL_PARAMS = frozenset({"level", "parent", "parent_level", "want", "child_level"})
_LEVEL_ZH = {"county": "县（市）", "township": "乡镇（街道）", "village": "村", "community": "社区"}
_LEVEL_A = {
    "county": "the county",
    "township": "a township",
    "village": "a village",
    "community": "a community",
}

# control, surrogate, format (zero-width) and line-separator characters, shown escaped
_INVISIBLE = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})
SHOWN_CHARS = 40
# Chinese characters and full-width punctuation: no space between two of them, nor beside
# the punctuation
_WIDE = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]"
_WIDE_PUNCT = "[\u3000-\u303f\uff00-\uffef“”]"  # a quoted cell longer than this is cut: a message fits a line


def shown(value: str) -> str:
    """A cell as a message shows it: control characters and broken text visible, at most
    ``SHOWN_CHARS`` characters."""
    out = "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in _INVISIBLE else c
        for c in value
    )
    return out if len(out) <= SHOWN_CHARS else out[: SHOWN_CHARS - 1] + "…"


def quoted(value: str, lang: Lang) -> str:
    return f"“{shown(value)}”" if lang == "zh" else f"'{shown(value)}'"


def placeholders(code: str) -> set[str]:
    """The parameters ``code``'s templates read (``value`` included; ``level_a`` as ``level``)."""
    out: set[str] = set()
    for template in MESSAGES[code]:
        for _, name, _, _ in string.Formatter().parse(template):
            if name:
                out.add(name[:-2] if name.endswith("_a") and name[:-2] in LEVEL_PARAMS else name)
    return out


def _worded(params: dict[str, object], lang: Lang) -> dict[str, object]:
    out = dict(params)
    for k in LEVEL_PARAMS & params.keys():
        level = str(params[k])
        out[f"{k}_a"] = _LEVEL_ZH.get(level, level) if lang == "zh" else _LEVEL_A.get(level, level)
        if lang == "zh":
            out[k] = _LEVEL_ZH.get(level, level)
    return out


def reason_text(code: str, lang: Lang, value: str | None, params: dict[str, object]) -> str:
    """The reason ``code`` stands for in ``lang`` (tests/ingest/test_messages.py checks that
    every code the package uses is in ``MESSAGES``)."""
    templates = MESSAGES[code]
    template = templates[1] if lang == "zh" else templates[0]
    if value is not None or "{value}" not in template:
        return template.format(value="" if value is None else quoted(value, lang), **_worded(params, lang))
    # a group's reason: the value left out, and the spaces that stood around it
    text = template.format(value="\0", **_worded(params, lang))
    text = re.sub(r" *\0 *", " ", text)
    text = re.sub(r" (?=[:;,.)）：；，、])|(?<=[(（“]) ", "", text)
    if lang == "zh":
        text = re.sub(f"(?<={_WIDE}) (?={_WIDE})|(?<={_WIDE_PUNCT}) | (?={_WIDE_PUNCT})", "", text)
    return re.sub(r" {2,}", " ", text).strip()


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
