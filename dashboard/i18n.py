"""Every label the pages show, in Chinese and English, written once.

Indicator, status, pace and verdict names come from ``queries.registry``; this file holds
the rest of the page text.
"""

from __future__ import annotations

from queries import registry

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("人口计生目标监测", "Population targets monitor"),
    "page_overview": ("总览", "Overview"),
    "page_scorecard": ("目标考核", "Scorecard"),
    "page_checks": ("孕前优生检查", "Pre-pregnancy checks"),
    "page_migrants": ("流动人口", "Migrant services"),
    "page_detail": ("单位详情", "Unit detail"),
    "page_map": ("地图", "Map"),
    "language": ("语言", "Language"),
    "year": ("年度", "Year"),
    "as_of": ("截至日期", "As of"),
    "basis": ("口径", "Basis"),
    "basis_registered": ("户籍", "Registered"),
    "basis_resident": ("常住", "Resident"),
    "township": ("乡镇（街道）", "Township"),
    "village": ("村（社区）", "Village / community"),
    "whole_county": ("全县（市）", "Whole county"),
    "all_villages": ("全部村（社区）", "All villages"),
    "value": ("实际值", "Value"),
    "target": ("目标值", "Target"),
    "gap": ("差距", "Gap"),
    "status": ("状态", "Status"),
    "rank": ("排名", "Rank"),
    "unit": ("单位", "Unit"),
    "code": ("代码", "Code"),
    "level": ("层级", "Level"),
    "met_count": ("达标项", "Met"),
    "failing_count": ("未达标项", "Failing"),
    "behind_count": ("进度滞后", "Behind pace"),
    "change_last_year": ("比上年同期", "vs same period last year"),
    "pace": ("进度", "Pace"),
    "done": ("已完成", "Done"),
    "expected_by_now": ("按时序应完成", "Expected by now"),
    "units_behind": ("最落后的单位", "Units most behind"),
    "worst_indicator": ("差距最大的指标", "Worst indicator"),
    "open_detail": ("查看详情", "Open detail"),
    "no_units_behind": ("没有未达标或进度滞后的单位。", "No unit is failing or behind pace."),
    "only_failing": ("只看未达标单位", "Only units that fail"),
    "focus_indicator": ("按指标查看", "Focus on one indicator"),
    "all_indicators": ("全部指标", "All indicators"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "click_row_hint": ("点击一行查看该单位详情。", "Click a row to open that unit's detail."),
    "level_county": ("县（市）", "County"),
    "level_township": ("乡镇（街道）", "Township"),
    "level_village": ("村", "Village"),
    "level_community": ("社区", "Community"),
    "db_unreachable": (
        "无法连接人口数据库：{reason}。请检查数据库设置（POPDASH_DB_URL）。",
        "The population database cannot be reached: {reason}. Check the database setting (POPDASH_DB_URL).",
    ),
    "db_empty": (
        "数据库中还没有任何单位。请先导入数据：python -m dashboard import 文件夹",
        "The database has no units yet. Import data first: python -m dashboard import FOLDER",
    ),
    "unknown_unit": (
        "链接中的单位代码 “{code}” 不存在，已改为显示{fallback}。",
        "The unit code “{code}” in the link does not exist; showing {fallback} instead.",
    ),
    "empty_year": (
        "{year} 年截至 {as_of} 没有任何记录。",
        "There are no records for {year} up to {as_of}.",
    ),
    "no_data_unit": ("该单位在所选期间没有数据。", "This unit has no data for the chosen period."),
    "building_demo": ("正在生成演示数据库……", "Building the demo database…"),
    "year_fraction": ("全年进度 {pct:.0%}", "{pct:.0%} of the year"),
    "in_year_note": (
        "年内数值为截至日期的实际值，未折算为全年。",
        "In-year values are as they stand on the as-of date, not annualised.",
    ),
    "sex_ratio_interval": ("95% 区间", "95% interval"),
    "verdict": ("判断", "Verdict"),
    "births": ("出生数", "Births"),
    "boys": ("男婴", "Boys"),
    "girls": ("女婴", "Girls"),
    "month": ("月份", "Month"),
}


def t(key: str, lang: str = "zh", **fmt) -> str:
    zh, en = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def level_name(level: str, lang: str = "zh") -> str:
    return t(f"level_{level}", lang)


def indicator_name(code: str, lang: str = "zh") -> str:
    return registry.get(code).name(lang)


def status_label(code: str | None, lang: str = "zh") -> str:
    return registry.STATUS[code].label(lang) if code in registry.STATUS else ""


def pace_label(code: str | None, lang: str = "zh") -> str:
    return registry.PACE[code].label(lang) if code in registry.PACE else ""


def verdict_label(code: str | None, lang: str = "zh") -> str:
    return registry.VERDICT[code].label(lang) if code in registry.VERDICT else ""
