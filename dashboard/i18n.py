"""Every label the pages show, in Chinese and English, written once.

Indicator, status, pace and verdict names come from ``queries.engine.registry``; this file holds
the rest of the page text.
"""

from __future__ import annotations

from queries.engine import registry

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
        "链接参数 {param} 不是本县的单位代码，已改为显示{fallback}。",
        "The link parameter {param} is not a unit code of this county; showing {fallback} instead.",
    ),
    "as_papers_make": ("生成考核材料（工作簿和 PDF）", "Make the assessment papers (workbook and PDF)"),
    "as_papers_xlsx": ("考核工作簿（打印用）", "Assessment workbook (print)"),
    "as_papers_pdf": ("考核报告 PDF", "Assessment report (PDF)"),
    "as_papers_note": (
        "考核工作簿与报告含全部乡镇和村（社区），生成约需十余秒。",
        "The workbook and report cover every township and village; they take some seconds to make.",
    ),
    "unknown_year": (
        "链接参数 {param} 不是有数据的年度，已改为显示 {fallback} 年。有数据的年度：{years}。",
        "The link parameter {param} is not a year with data; showing {fallback} instead. Years with data: {years}.",
    ),
    "empty_year": (
        "{year} 年截至 {as_of} 没有任何记录。",
        "There are no records for {year} up to {as_of}.",
    ),
    "no_data_unit": ("该单位在所选期间没有数据。", "This unit has no data for the chosen period."),
    "preparing_db": (
        "正在准备数据库（首次运行生成演示数据，或新版本重建统计表，约半分钟）……{step}",
        "Preparing the database (the demo on a first run, or the summary tables for a new version; about half a minute)… {step}",
    ),
    "step_generate": ("生成演示数据", "generating the demo county"),
    "step_validate": ("检查记录", "checking the records"),
    "step_read": ("读取文件", "reading the files"),
    "step_compare": ("比对已有记录", "comparing with the stored records"),
    "step_undo": ("撤销导入", "undoing the import"),
    "step_write": ("写入记录", "writing the records"),
    "step_first_checks": ("统计孕前检查", "counting pre-pregnancy checks"),
    "step_served_migrants": ("统计流动人口服务", "counting migrants served"),
    "step_unit_months": ("逐月汇总", "summing by month"),
    "step_unit_service_months": ("汇总服务项目", "summing services"),
    "step_unit_years": ("汇总人口和上报数", "summing population and reported figures"),
    "step_collect": ("计算考核结果", "scoring the units"),
    "step_workbook": ("生成工作簿", "writing the workbook"),
    "step_charts": ("绘制地图和图表", "drawing the map and charts"),
    "step_pdf": ("排版 PDF", "laying out the PDF"),
    "rebuilding": (
        "统计表缺失或不完整，正在从原始记录重建，完成后显示数字……{step}",
        "The summary tables are missing or incomplete; rebuilding them from the records before showing numbers… {step}",
    ),
    "tg_saving": (
        "正在保存目标……离开本页也会保存完成。",
        "Saving the targets… it finishes even if you leave this page.",
    ),
    "papers_making": ("正在生成考核材料……{step}", "Making the assessment papers… {step}"),
    "papers_ready": ("考核材料已生成，请下载：", "The papers are ready to download:"),
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


def pace_label(code: str | None, lang: str = "zh") -> str:
    return registry.PACE[code].label(lang) if code in registry.PACE else ""


def verdict_label(code: str | None, lang: str = "zh") -> str:
    return registry.VERDICT[code].label(lang) if code in registry.VERDICT else ""


# --- pre-pregnancy checks and migrant services pages -------------------------------------
TEXT.update(
    {
        "ck_curve_title": ("本年累计完成对数（按月）", "Couples checked this year, cumulative by month"),
        "ck_this_year": ("{year} 年累计", "{year} cumulative"),
        "ck_last_year": ("{year} 年（上年）累计", "{year} (last year) cumulative"),
        "ck_series": ("年份", "Series"),
        "ck_cumulative": ("累计对数", "Couples (cumulative)"),
        "ck_target_line": ("全年任务 {value} 对", "Year task {value} couples"),
        "ck_as_of_mark": ("截至 {date}", "As of {date}"),
        "ck_projected": ("预计全年（按上年节奏）", "Projected year-end (rhythm)"),
        "ck_projected_help": (
            "按上年同期完成比例推算；按平均进度推算为 {pace} 对。",
            "From last year's share done by this day; the straight line gives {pace} couples.",
        ),
        "ck_units_miss": ("可能完不成的单位", "Units likely to miss"),
        "ck_units_miss_value": ("{miss} / {units}", "{miss} of {units}"),
        "ck_units_miss_help": (
            "{parent}所辖单位中，完成可能性低于 50% 的单位数 / 单位总数。",
            "Units of {parent} whose chance to meet their task is under 50 %, of all its units.",
        ),
        "ck_task": ("全年任务", "Year task"),
        "ck_completion": ("完成率 %", "Completion %"),
        "ck_coverage": ("覆盖率 %", "Coverage %"),
        "ck_chance": ("完成可能性 %", "Chance to meet %"),
        "ck_chance_head": (
            "按期完成全年任务的可能性：**{pct}%**",
            "Chance of meeting the year's task: **{pct}%**",
        ),
        "ck_will_miss": ("预计完不成", "Will miss"),
        "ck_will_miss_yes": ("⚠ 是", "⚠ yes"),
        "ck_will_miss_no": ("否", "no"),
        "ck_projected_short": ("预计全年", "Projected"),
        "ck_table_title": (
            "{parent}各单位任务完成情况（完成可能性低的在前）",
            "Units of {parent}: the task (least likely to meet it first)",
        ),
        "ck_model_note": (
            "预计全年：检查并非均匀分布在全年，因此按上年同一日期已完成全年的比例推算（上年不足 30 对的单位用上级地区的节奏；"
            "没有可比数据时按平均进度推算）。完成可能性：假设剩余月份按过去（最多）四年的节奏继续，"
            "把还会来检查的夫妇数看作随机数，计算其达到剩余任务的概率，再对各年取平均；低于 50% 标为“预计完不成”。"
            "尚未开展检查的单位预计为 0。",
            "Projected year-end: checks do not come evenly through the year, so what is done is divided by the share of "
            "last year's total that had been done by the same day (units with under 30 couples last year use the whole "
            "area's rhythm; with nothing to compare, the straight line). Chance to meet: if the rest of the year follows "
            "each of the past (up to) four years' rhythm, the couples still to come are treated as a random count, and "
            "the chance is how often it reaches what is missing, averaged over those years; under 50 % is flagged "
            "“will miss”. A unit that has checked nobody yet is projected at 0.",
        ),
        "ck_no_task": (
            "该单位 {year} 年既没有孕前优生检查任务，也没有检查记录。",
            "This unit has neither a pre-pregnancy check task nor any checks in {year}.",
        ),
        "ck_no_children": ("没有下级单位可比较。", "There are no units below to compare."),
        "ck_no_target_line": (
            "该单位没有全年任务，图中不画任务线。",
            "This unit has no year task; no task line is drawn.",
        ),
        "mg_coverage_title": ("各单位流动人口服务管理率", "Migrant service coverage by unit"),
        "mg_target_tick": ("│ 竖线为各单位目标值", "│ the tick is each unit's target"),
        "mg_flows_title": ("各单位流入、流出人口", "Inflow and outflow migrants by unit"),
        "mg_mix_title": ("服务项目构成", "Services by kind"),
        "mg_priority_title": (
            "优先关注：流入人口多、未服务多的单位",
            "Units with many migrants and low coverage first",
        ),
        "mg_priority_note": (
            "按未服务的流入人口数从多到少排列。",
            "Sorted by inflow migrants not yet served, most first.",
        ),
        "mg_inflow": ("在册流入人口", "Inflow present"),
        "mg_served": ("已服务流入人口", "Inflow served"),
        "mg_not_served": ("未服务流入人口", "Inflow not served"),
        "mg_outflow": ("在册流出人口", "Outflow present"),
        "mg_coverage": ("服务管理率 %", "Coverage %"),
        "mg_service_kind": ("服务项目", "Service"),
        "mg_services": ("服务次数", "Services given"),
        "mg_migrants": ("服务人数", "Migrants served"),
        "mg_no_inflow": (
            "所选期间该单位没有在册的流入人口。",
            "This unit has no inflow migrants present in the chosen period.",
        ),
        "mg_no_services": ("所选期间没有服务记录。", "No services were given in the chosen period."),
        "mg_mix_note": (
            "服务次数和人数含流入、流出人口。",
            "Services and migrants count inflow and outflow migrants alike.",
        ),
        "service_file": ("建档", "File opened"),
        "service_certificate": ("婚育证明", "Marriage and childbirth certificate"),
        "service_contraception": ("避孕节育", "Contraception"),
        "service_education": ("宣传教育", "Education"),
        "service_checkup": ("健康检查", "Health checkup"),
        "parent_units_note": (
            "下表为{parent}所辖各单位；所选村（社区）用于上方的数字。",
            "The tables show the units of {parent}; the figures above are for the chosen village.",
        ),
    }
)


def table_name(table: str, lang: str = "zh") -> str:
    """An interchange table (``births``) in the user's words."""
    return t(f"table_{table}", lang)


def service_name(kind: str, lang: str = "zh") -> str:
    """A migrant service kind in words; an unknown kind is shown as it is."""
    key = f"service_{kind}"
    return t(key, lang) if key in TEXT else kind


# --- map page ---------------------------------------------------------------------------------
TEXT.update(
    {
        "mp_indicator": ("指标", "Indicator"),
        "mp_level": ("层级", "Level"),
        "mp_level_township": ("乡镇（街道）", "Townships"),
        "mp_level_village": ("村（社区）", "Villages"),
        "mp_pooled": ("合并近三年（{first}–{last}）", "Pool the last three years ({first}–{last})"),
        "mp_pooled_help": (
            "把近三年的出生合并计算性别比：村的出生数少，合并后区间更窄，真正偏高的单位更容易看出。",
            "Pool three years of births: villages have few births a year, and pooling narrows the interval.",
        ),
        "mp_normal": ("正常", "normal"),
        "mp_marked_high": (
            "粗框：显著偏高（95% 区间全部高于 107 或目标）",
            "Heavy outline: significantly high (95% interval wholly above 107 or the target)",
        ),
        "mp_marked_low": (
            "虚线框：显著偏低（95% 区间全部低于 103）",
            "Dashed outline: significantly low (95% interval wholly below 103)",
        ),
        "mp_faded": ("淡色：在随机波动范围内", "Faded: within chance"),
        "mp_no_data": ("无数据", "No data"),
        "mp_not_met": ("粗框：未达到目标", "Heavy outline: target not met"),
        "mp_births_of": ("出生", "births"),
        "mp_legend_note_sr": (
            "颜色为点估计；只有区间整体偏离 103–107 的单位才加框，其余淡显。",
            "Colour is the point value; only units whose interval lies outside 103–107 are outlined, the rest faded.",
        ),
        "mp_legend_note": (
            "分组为各单位数值的五分位，颜色越深越差。",
            "Bins are quintiles of the units; darker is worse.",
        ),
        "mp_click_hint": (
            "悬停查看数值，点击单位打开其详情页。拖动、缩放地图不会刷新页面。",
            "Hover for the values; click a unit to open its detail page. Panning and zooming do not reload the page.",
        ),
        "mp_significant_title": (
            "性别比显著偏离正常范围的单位",
            "Units whose sex ratio is significantly off normal",
        ),
        "mp_none_significant": (
            "没有单位的性别比显著偏离正常范围（103–107）；地图上偏高的颜色都在随机波动范围内。",
            "No unit's sex ratio is significantly outside the normal 103–107; every high colour on the map is within chance.",
        ),
        "mp_not_met_title": ("未达到目标的单位", "Units that miss the target"),
        "mp_all_met": ("所有单位都达到了目标。", "Every unit meets its target."),
        "mp_funnel_title": ("漏斗图：性别比与出生数", "Funnel plot: sex ratio against births"),
        "mp_funnel_note": (
            "曲线为正常值 105 附近的 95% 与 99.8% 控制限：出生数少的村，随机波动本来就大；落在曲线外的点才值得关注。"
            "超出纵轴范围的点画在边上（三角形）。",
            "The curves are the 95% and 99.8% limits around the normal 105: small villages swing widely by chance; "
            "only points outside the curves stand out. Points beyond the axis sit on its edge (triangles).",
        ),
        "mp_limit": ("控制限", "Limit"),
        "mp_ratio_axis": ("出生人口性别比（女=100）", "Sex ratio at birth (boys per 100 girls)"),
        "mp_births_axis": ("出生数", "Births"),
        "mp_no_boundaries": (
            "没有配置边界文件，地图无法显示（其他页面不受影响）。请用设置 boundaries（环境变量 POPDASH_BOUNDARIES）"
            "指定 GeoJSON、GeoPackage 或压缩的 Shapefile。",
            "No boundary file is configured, so there is no map (the other pages work as usual). Name a GeoJSON, "
            "GeoPackage or zipped Shapefile with the boundaries setting (POPDASH_BOUNDARIES).",
        ),
        "mp_loading_boundaries": ("正在读取边界……", "Reading the boundaries…"),
        "mp_bad_boundaries": (
            "地图无法显示：{reason}。其他页面不受影响。",
            "The map cannot be drawn: {reason}. The other pages work as usual.",
        ),
        "mp_no_leaflet": (
            "地图组件缺失：未安装软件包 xstatic-leaflet（请运行 pip install -r requirements.txt）。",
            "The map library is missing: the package xstatic-leaflet is not installed "
            "(pip install -r requirements.txt).",
        ),
        "mp_leaflet_files_missing": (
            "地图组件缺失：{folder} 中没有 {files}。",
            "The map library is missing: {files} missing from {folder}.",
        ),
        "mp_source_demo": (
            "演示边界（随演示数据生成，非真实区划）",
            "Demo boundaries (generated with the demo data, not real)",
        ),
        "mp_source_file": (
            "边界文件 {path}（代码列 {column}）",
            "Boundary file {path} (code column {column})",
        ),
        "mp_join_report": (
            "{matched} 个单位有图形；{missing} 个单位缺少图形；{orphans} 个图形没有对应单位；修复了 {repaired} 个无效图形；"
            "{derived} 个乡镇由所辖村合并而成。",
            "{matched} units have a shape; {missing} units have none; {orphans} shapes match no unit; "
            "{repaired} invalid shapes were repaired; {derived} townships are the union of their villages.",
        ),
        "mp_units_without_shape": ("缺少图形的单位", "Units without a shape"),
        "mp_shapes_without_unit": ("没有对应单位的图形（代码）", "Shapes without a unit (codes)"),
        "mp_ambiguous_codes": (
            "代码可对应多个单位、因而未使用的图形",
            "Shapes not used: their code fits several units",
        ),
        "mp_ambiguous_code": ("{code} 可对应 {units}", "{code} fits {units}"),
        "mp_coordinates": (
            "坐标按 {crs} 读取并转换为 WGS84。",
            "Coordinates read as {crs} and converted to WGS84.",
        ),
        "mp_no_shapes": ("该层级没有可显示的图形。", "No unit of this level has a shape."),
    }
)


# Unit detail page.
TEXT.update(
    {
        "detail_indicator": ("指标", "Indicator"),
        "detail_unit_of_measure": ("单位", "Unit"),
        "detail_parent": ("上级单位", "Parent unit"),
        "detail_parent_value": ("上级实际值", "Parent's value"),
        "detail_peer_median": ("同级中位数", "Peers' median"),
        "detail_peer_rank": ("同级排名", "Rank among peers"),
        "detail_rank_value": ("{rank} / {count}", "{rank} of {count}"),
        "detail_top_level": ("最高层级", "Top level"),
        "detail_indicators": ("各项指标与目标", "Indicators against targets"),
        "detail_peers_note": (
            "同级＝同一上级下的全部单位（含本单位）；排名按指标方向，第 1 名最好（出生率等越低越好）。",
            "Peers are all units under the same parent, this one included; rank 1 is best in the "
            "indicator's direction (lower is better for the birth rate and the like).",
        ),
        "detail_trend": ("近五年趋势", "Five-year trend"),
        "detail_trend_indicator": ("趋势指标", "Indicator to chart"),
        "detail_trend_note": (
            "每年均为全年数值；菱形为目标值。",
            "Every year is a whole year; diamonds are the targets.",
        ),
        "detail_trend_note_cut": (
            "同期比较：每年均为 1 月 1 日至 {day} 的数值（{year} 年尚未过完，不与往年全年相比）；菱形为目标值。",
            "Like with like: every year runs from 1 January to {day} ({year} is not over, so it is never set "
            "beside whole years); diamonds are the targets.",
        ),
        "detail_births": ("逐月出生数（本年与上年）", "Births by month, this year and last"),
        "detail_births_note": (
            "{year} 年只到截至日期所在月份（该月按整月计）。",
            "{year} runs to the as-of month (counted whole).",
        ),
        "detail_sex_ratio": ("出生人口性别比及 95% 区间", "Sex ratio at birth with its 95% interval"),
        "detail_normal_band": ("正常范围 103–107", "Normal range 103–107"),
        "detail_sex_note": (
            "绿色阴影为正常范围 103–107，横线为 95% 区间，竖线为目标值；区间跨过正常范围即属随机波动。",
            "Green shading: the normal range 103–107; bar: the 95% interval; tick: the target. "
            "An interval that reaches the normal range is within chance.",
        ),
        "detail_sex_counts": ("男婴 {boys}，女婴 {girls}", "{boys} boys, {girls} girls"),
        "detail_villages": ("下辖村（社区）", "Villages and communities"),
        "detail_no_data": ("该单位在所选期间没有任何数据。", "This unit has no data for the chosen period."),
    }
)


# --- assessment and targets pages ----------------------------------------------------------------
TEXT.update(
    {
        "page_assessment": ("年终考核", "Year-end assessment"),
        "page_targets": ("目标管理", "Targets"),
        "as_level_township": ("乡镇（街道）", "Townships"),
        "as_level_village": ("村（社区）", "Villages and communities"),
        "as_rules_error": (
            "考核规则文件有误，无法计分：{reason}。请改正后刷新页面。",
            "The assessment rules cannot be used: {reason}. Correct the file and reload the page.",
        ),
        "as_rules_from": ("规则：{path}（满分 {points} 分）", "Rules: {path} (maximum {points} points)"),
        "as_provisional": (
            "暂定结果：截至 {as_of}，{year} 年尚未结束。年终考核按全年数据计分，任务数按年末完成数对比全年任务，现在的得分会变。",
            "Provisional: as of {as_of} the year {year} is not over. The assessment scores the whole year (count "
            "tasks compare the year-end count with the year's task), so these scores will change.",
        ),
        "as_no_units": ("所选范围内没有该层级的单位。", "There are no units of this level here."),
        "as_units": ("参加考核单位", "Units assessed"),
        "as_vetoed_units": ("一票否决", "Vetoed"),
        "as_full_marks": ("满分单位", "Full marks"),
        "as_mean_score": ("平均得分", "Mean score"),
        "as_ranking": ("考核得分与排名", "Scores and ranking"),
        "as_rank_change": ("比上年", "vs last year"),
        "as_rank_last_year": ("上年名次", "Rank last year"),
        "as_total": ("总分", "Total"),
        "as_max": ("满分", "Max"),
        "as_veto": ("一票否决", "Veto"),
        "as_vetoed": ("否决", "vetoed"),
        "as_veto_rule": ("否决指标", "veto indicator"),
        "as_veto_only": ("只否决", "veto only"),
        # veto_count_above: the count a rate falls short by (denominator − numerator)
        "as_veto_count_rule": ("{what}超过 {n} 例否决", "vetoes above {n} {what}"),
        "as_shortfall_count": ("{what} {n} 例", "{n} {what}"),
        "as_shortfall_policy_compliance_rate": ("政策外出生", "births out of policy"),
        "as_shortfall_prepregnancy_check_coverage": ("未检查的待孕夫妇", "couples not checked"),
        "as_shortfall_migrant_service_coverage": ("未服务的流入人口", "inflow migrants not served"),
        "as_shortfall_generic": ("未达标数（{den} − {num}）", "shortfall ({den} − {num})"),
        "sc_not_assessment": (
            "本页统计各单位达标的指标个数（达标多者在前），不是年终考核。年终考核按考核规则计分、"
            "设一票否决，同一单位的名次可能不同。",
            "This page counts the indicators each unit meets (most met first); it is not the year-end "
            "assessment, which scores points under the assessment rules and vetoes, so a unit's rank there "
            "can differ.",
        ),
        "sc_to_assessment": ("查看年终考核", "Open the year-end assessment"),
        "as_indicator": ("指标", "Indicator"),
        "as_share": ("得分比例", "Credited"),
        "as_score": ("得分", "Score"),
        "as_points": ("分值", "Points"),
        "as_scoring": ("计分方式", "Scoring"),
        "as_not_counted": ("不计分（无目标）", "not counted (no target)"),
        "as_scoring_met_or_nothing": ("完成得满分，未完成不得分", "full points when met, else 0"),
        "as_scoring_proportional": (
            "按完成比例得分，低于 {floor} 不得分",
            "in proportion to achievement, 0 below {floor}",
        ),
        "as_legend": (
            "表中为各指标得分。✔ 达标 ✘ 未达标 — 无数据（0 分）○ 无目标（不计分）。"
            "比上年：▲ 名次上升 ▼ 下降 ＝ 持平 — 上年无名次。被一票否决的单位排在所有未否决单位之后。点击一行查看得分明细。",
            "Cells are points per indicator. ✔ met ✘ not met — no data (0 points) ○ no target (not counted). "
            "vs last year: ▲ up ▼ down ＝ same — no rank last year. Vetoed units rank after all others. "
            "Click a row for the unit's breakdown.",
        ),
        "as_no_data_note": (
            "{n} 个单位有计分指标无数据（没有上报、或分母为 0），该项按 0 分计：没有上报的数字不能得分。",
            "{n} units have no data for a counted indicator (not reported, or a zero denominator); it scores 0: "
            "a unit cannot earn points for a number nobody reported.",
        ),
        "as_no_target_note": (
            "{n} 个单位有计分指标没有目标（本级和上级都未下达），该项不计分、不否决，这些单位的满分相应减少。",
            "{n} units have no target (own or inherited) for a counted indicator; it is not counted and cannot "
            "veto, and those units' maximum is lower.",
        ),
        "as_sex_ratio_note": (
            "出生人口性别比只有在 95% 区间整体高于目标线（107，或更低的目标）即“显著偏高”时才算未完成、才否决；"
            "出生少的村仅点估计偏高属随机波动，不否决。显著偏低（区间整体低于 103）不算完成、该项 0 分，但不否决。",
            "The sex ratio at birth fails, and vetoes, only when its 95% interval lies wholly above the line (107, "
            "or the target where lower): significantly high. A village whose few births merely look high is "
            "within chance and is not vetoed. A significantly low ratio (interval wholly below 103) is not met "
            "and scores 0, but does not veto.",
        ),
        "as_breakdown": ("单位得分明细", "A unit's breakdown"),
        "as_pick_unit": ("单位", "Unit"),
        "as_unit_head": (
            "{name}：{total} 分（满分 {max}），第 {rank} 名 / 共 {n} 个单位",
            "{name}: {total} of {max} points, rank {rank} of {n}",
        ),
        "as_unit_vetoed": ("一票否决：{by}", "vetoed by {by}"),
        "as_unit_no_data": ("无数据、按 0 分计的指标：{indicators}", "No data, scored 0: {indicators}"),
        "as_unit_no_target": (
            "没有目标、不计分的指标：{indicators}（可在“目标管理”页补充目标）",
            "No target, not counted: {indicators} (set them on the Targets page)",
        ),
        "as_rules_title": ("{level}考核规则", "Assessment rules for the {level} level"),
        "as_rules_explained": (
            "- 完成目标得该项满分；“按完成比例”计分时，未完成按 实际值÷目标值（出生率等越低越好的指标为 目标值÷实际值）"
            "乘以分值，低于下限不得分。\n"
            "- 无数据按 0 分计；没有目标的指标不计分，也不否决。\n"
            "- 否决指标未完成，考核不合格（一票否决），排在所有未否决单位之后。"
            "写明按例数否决的（如村的政策外出生超过 3 例），按例数否决，得分仍按比率。\n"
            "- 比上年的名次按同一规则计算上年全年的考核。\n"
            "- 规则写在 `config/assessment.toml`（可用设置 assessment_rules 另指文件），文件中有详细说明。",
            "- A met target earns the indicator's points; with proportional scoring a miss earns points × value ÷ "
            "target (target ÷ value when lower is better), nothing below the floor.\n"
            "- No data scores 0; an indicator without a target is not counted and cannot veto.\n"
            "- A veto indicator not met fails the unit (veto); it ranks after every unit not vetoed. A rule that "
            "vetoes on a count (e.g. a village with more than 3 births out of policy) vetoes on that count; its "
            "points are still scored on the rate.\n"
            "- Last year's rank is last year's whole-year assessment under the same rules.\n"
            "- The rules are in `config/assessment.toml` (or the file named by the assessment_rules setting), "
            "explained in its comments.",
        ),
        "tg_year": ("目标年度", "Target year"),
        "tg_scope": (
            "{unit}及所辖各单位 {year} 年的目标。",
            "The {year} targets of {unit} and every unit below it.",
        ),
        "tg_step_download": ("① 下载目标模板", "① Download the target template"),
        "tg_download_help": (
            "模板列出每个单位的每项指标，已填入现有的本级目标；只需填写或修改“目标值”一列。"
            "留空表示该单位没有自己的目标：比率沿用上级目标，任务数取下级合计（见“留空时沿用”列）。"
            "百分率填 92 表示 92%，千分率填 5.5 表示 5.5‰。",
            "The template lists every indicator of every unit with the own targets already set; fill in or "
            "change the 目标值 column only. An empty cell means no own target: a rate inherits its parent's, a "
            "count task is the sum of the units below (see 留空时沿用). Percentages as 92 for 92%, per mille as "
            "5.5 for 5.5‰.",
        ),
        "tg_download": ("下载目标模板（Excel）", "Download the template (Excel)"),
        "tg_step_upload": ("② 上传填好的模板", "② Upload the filled-in template"),
        "tg_upload_help": (
            "上传后先预览将新增、修改的目标，确认后才保存。任何一行有错则一行也不保存，并指出行号（Excel 左侧的行号）。"
            "**清空单元格不会删除已有目标**；删除请用下方的“删除自有目标”。",
            "After the upload you see what will be added and changed; nothing is saved until you confirm. A "
            "single bad row saves nothing, and the errors give the row numbers Excel shows. **An emptied cell "
            "does not delete a stored target**; use “Delete own targets” below.",
        ),
        "tg_upload": ("选择填好的目标模板（.xlsx）", "Choose the filled-in template (.xlsx)"),
        "tg_refused": (
            "模板有 {n} 处错误，未保存任何目标。请改正后重新上传：",
            "The template has {n} errors; no target was saved. Correct them and upload again:",
        ),
        "tg_row": ("行号", "Row"),
        "tg_old": ("原目标", "Old"),
        "tg_new": ("新目标", "New"),
        "tg_change": ("变化", "Change"),
        "tg_change_added": ("新增", "Added"),
        "tg_change_changed": ("修改", "Changed"),
        "tg_change_unchanged": ("未变", "Unchanged"),
        "tg_change_kept": ("清空但保留", "Emptied, kept"),
        "tg_nothing_to_save": (
            "模板与数据库中的目标相同，没有要保存的修改。",
            "The template changes nothing.",
        ),
        "tg_preview_title": (
            "保存后将有 **{n}** 项目标新增或修改：",
            "Saving will add or change **{n}** targets:",
        ),
        "tg_kept_note": (
            "{n} 个单元格被清空，但对应的目标已保存在数据库中：清空不会删除它们，保存后仍然有效。要删除请用“删除自有目标”。",
            "{n} cells are empty where a target is stored: emptying does not delete, they stay. To delete, use "
            "“Delete own targets”.",
        ),
        "tg_save": ("保存这 {n} 项修改", "Save these {n} changes"),
        "tg_saved": ("已保存 {n} 项目标。", "Saved {n} targets."),
        "tg_delete_title": ("删除自有目标", "Delete own targets"),
        "tg_delete_help": (
            "删除某单位自己的目标后，比率类指标沿用上级目标，任务数取下级合计；没有可沿用的则该单位没有目标。",
            "Without its own target, a unit's rate inherits its parent's and a count task is the sum of the "
            "units below; with neither, the unit has no target.",
        ),
        "tg_no_own_targets": ("{year} 年没有本级目标可删除。", "There are no own targets for {year}."),
        "tg_delete_pick": ("选择要删除的目标", "Targets to delete"),
        "tg_after_delete": ("删除后沿用", "Applies after deletion"),
        "tg_no_target_after": ("无目标", "no target"),
        "tg_delete_confirm": ("确认删除这 {n} 项目标", "Yes, delete these {n} targets"),
        "tg_delete": ("删除 {n} 项目标", "Delete {n} targets"),
        "tg_deleted": ("已删除 {n} 项目标。", "Deleted {n} targets."),
    }
)


# --- links with values a page does not use, and the page's own failures --------------------
TEXT.update(
    {
        "url_ignored": (
            "链接参数 {param} 无效，已忽略。",
            "The link parameter {param} is not valid and was ignored.",
        ),
        "url_ignored_using": (
            "链接参数 {param} 无效，已改用 {fallback}。",
            "The link parameter {param} is not valid; using {fallback} instead.",
        ),
        "village_elsewhere": (
            "链接参数 {param} 不属于{township}，已忽略。",
            "The link parameter {param} is not in {township}; ignored.",
        ),
        "internal_error": (
            "页面出现内部错误，未能显示完整。参考编号：{ref}。请把此编号告知系统管理员，详细情况已记入服务器日志。",
            "This page met an internal error and could not be shown in full. Reference: {ref}. "
            "Please give this number to the administrator; the details are in the server log.",
        ),
    }
)


# --- 数据导入 the import page ------------------------------------------------------------------
TEXT.update(
    {
        "page_import": ("数据导入", "Import data"),
        "table_units": ("单位", "units"),
        "table_population": ("年末人口", "year-end population"),
        "table_births": ("出生", "births"),
        "table_deaths": ("死亡", "deaths"),
        "table_prepregnancy_checks": ("孕前优生检查", "pre-pregnancy checks"),
        "table_migrants": ("流动人口", "migrants"),
        "table_migrant_services": ("流动人口服务", "migrant services"),
        "table_targets": ("目标", "targets"),
        "table_reported": ("上报数", "reported figures"),
        "im_help": (
            "上传本月从人口信息系统导出的数据：CSV 文件打包成的 .zip 压缩包，或一个 .xlsx 工作簿（工作表以表名命名）。"
            "写入之前先显示将新增、替换和不变的记录数，确认后才写入；最近一次导入可以撤销。",
            "Upload this month's export of the population information system: a .zip of the CSV files, or one .xlsx "
            "workbook whose sheets are named after the tables. Before anything is written the page shows the rows "
            "that would be added, replaced and left unchanged; nothing is written until you confirm; the latest "
            "import can be undone.",
        ),
        "im_upload": ("选择导入文件（.zip 或 .xlsx）", "Choose the file to import (.zip or .xlsx)"),
        "im_wrong_kind": (
            "“{name}”不是 .zip 压缩包或 .xlsx 工作簿，未导入。",
            "'{name}' is neither a .zip archive nor an .xlsx workbook; nothing was imported.",
        ),
        "im_too_big": (
            "“{name}”有 {mb:,.0f} MB，超过上传上限 {limit:,.0f} MB，未导入。",
            "'{name}' is {mb:,.0f} MB, over the upload limit of {limit:,.0f} MB; nothing was imported.",
        ),
        "im_planning": ("正在检查“{name}”……{step}", "Checking '{name}'… {step}"),
        "im_committing": ("正在导入“{name}”……{step}", "Importing '{name}'… {step}"),
        "im_undoing": ("正在撤销最近一次导入……{step}", "Undoing the latest import… {step}"),
        "im_leave_ok": (
            "可以离开本页，导入会继续进行；回到本页可看到结果。",
            "You may leave this page; the work goes on, and this page shows how it ended when you come back.",
        ),
        "im_refused": (
            "“{name}”有 {n:,} 处错误，未写入任何数据。请改正后重新上传：",
            "'{name}' has {n:,} errors; nothing was written. Correct them and upload again:",
        ),
        "im_effect_title": ("“{name}”导入后的变化", "What importing '{name}' will change"),
        "im_file": ("文件", "File"),
        "im_added": ("新增", "Added"),
        "im_replaced": ("替换", "Replaced"),
        "im_unchanged": ("不变", "Unchanged"),
        "im_nothing_new": (
            "文件中的记录与数据库完全相同，导入不会改变任何数据。",
            "Every record of the file is already stored as it is; importing it would change nothing.",
        ),
        "im_allow_duplicates": (
            "我确认这些是新的记录，仍然导入",
            "These are new records: import them anyway",
        ),
        "im_confirm": ("确认导入", "Import"),
        "im_cancel": ("放弃", "Discard"),
        "im_done": (
            "“{name}”已导入：新增 {added:,} 条，替换 {replaced:,} 条，用时 {seconds:,.0f} 秒。",
            "'{name}' imported: {added:,} rows added, {replaced:,} replaced, in {seconds:,.0f} s.",
        ),
        "im_history": ("导入记录", "Import history"),
        "im_no_history": ("还没有导入记录。", "Nothing has been imported yet."),
        "im_when": ("时间", "When"),
        "im_hash": ("文件校验码", "File hash"),
        "im_kind": ("类别", "Kind"),
        "im_kind_import": ("数据导入", "import"),
        "im_kind_targets": ("目标保存", "target save"),
        "im_kind_undo": ("撤销", "undo"),
        "im_kind_deletion": ("删除目标", "targets deleted"),
        "im_duration": ("用时", "Duration"),
        "im_result": ("结果", "Result"),
        "im_result_imported": ("已完成", "done"),
        "im_result_refused": ("被拒绝", "refused"),
        "im_result_undone": ("已撤销", "undone"),
        "im_result_running": ("进行中", "running"),
        "im_undo_title": ("撤销最近一次导入", "Undo the latest import"),
        "im_undo_help": (
            "撤销 {when} 导入的“{name}”：删除它新增的 {added:,} 条记录，恢复它替换的 {replaced:,} 条记录，"
            "数据库回到导入前的状态。",
            "Undo '{name}', imported {when}: the {added:,} rows it added are deleted and the {replaced:,} rows it "
            "replaced restored, as the database was before it.",
        ),
        "im_undo_confirm": ("确认撤销这次导入", "Yes, undo this import"),
        "im_undo": ("撤销导入", "Undo the import"),
        "im_undone": ("已撤销“{name}”的导入。", "The import of '{name}' was undone."),
    }
)

# --- an import's errors, grouped (components.import_errors) -------------------------------------
TEXT.update(
    {
        "ie_file": ("文件", "File"),
        "ie_column": ("列", "Column"),
        "ie_reason": ("原因", "Reason"),
        "ie_count": ("处数", "Count"),
        "ie_rows": ("行号（前几处）", "First rows"),
        "ie_value": ("首个错误值", "First value"),
    }
)
