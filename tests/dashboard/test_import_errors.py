"""The grouped-errors table the import pages show: one row a file, column and reason, in the
page's language, whatever the number of bad rows."""

from __future__ import annotations

from dashboard.components.import_errors import errors_frame
from dashboard.i18n import t
from queries.ingest.errors import ImportFailed, RowError


def _failed() -> ImportFailed:
    dates = [
        RowError.of("sheet births", r, "birth_date", "not_a_date", f"2024-02-{30 + r % 2}")
        for r in range(2, 50_002)
    ]
    names = [RowError.of("sheet units", 4, "name", "control_character", "East\x00Town", char="U+0000")]
    return ImportFailed(dates + names)


def test_the_table_groups_the_errors_in_chinese():
    frame = errors_frame(_failed(), "zh")
    assert list(frame.columns) == ["文件", "列", "处数", "首个错误值", "原因", "行号（前几处）"]
    assert frame.to_dict("records") == [
        {
            "文件": "工作表 births",
            "列": "birth_date",
            "原因": "不是日期；日期须年份在前，写作 YYYY-MM-DD、YYYY-M-D、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日",
            "处数": 50_000,
            "行号（前几处）": "2, 3, 4, 5, 6 …",
            "首个错误值": "2024-02-30",
        },
        {
            "文件": "工作表 units",
            "列": "name",
            "原因": "含有控制字符 U+0000，请删除",
            "处数": 1,
            "行号（前几处）": "4",
            "首个错误值": "East\\x00Town",
        },
    ]


def test_the_table_in_english():
    frame = errors_frame(_failed(), "en")
    assert list(frame.columns) == [
        t(c, "en") for c in ("ie_file", "ie_column", "ie_count", "ie_value", "ie_reason", "ie_rows")
    ]
    first = frame.iloc[0]
    assert (first[t("ie_file", "en")], first[t("ie_reason", "en")]) == (
        "sheet births",
        "is not a date; dates are written year first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日",
    )


def test_a_file_level_error_has_no_rows():
    frame = errors_frame(ImportFailed(RowError.of("births.csv", None, "sex", "missing_column")), "en")
    assert frame.to_dict("records") == [
        {
            "File": "births.csv",
            "Column": "sex",
            "Reason": "missing column",
            "Count": 1,
            "First rows": "",
            "First value": "",
        }
    ]
