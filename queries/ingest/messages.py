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
    # reading the files (read, read_csv, read_zip, read_workbook, limits)
    "does_not_exist": ("does not exist", "不存在"),
    "not_an_import": (
        "is neither a folder of CSV files, a .zip of them nor an .xlsx workbook "
        "(to import single CSV files, put them in a folder or a .zip)",
        "既不是存放 CSV 文件的文件夹、CSV 文件的 .zip 压缩包，也不是 .xlsx 工作簿"
        "（单独的 CSV 文件请放进一个文件夹或压缩成 .zip 再导入）",
    ),
    "unknown_file": (
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
    "empty_file": ("is empty; it needs at least the header row", "是空文件；至少要有标题行"),
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
