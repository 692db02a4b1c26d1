"""The assessment workbook: a sheet per level (乡镇（街道）, 村（社区）) with rank, unit, total,
veto and its cause, and per counted indicator the value, target and score, the value cell
filled with its verdict's colour; header rows frozen; set up to print (A4 landscape, one page
wide, header rows repeated). Written through ``queries.formats.xlsx``, so every name is text."""

from __future__ import annotations

import io

from dashboard.papers.collect import LEVELS, Papers
from dashboard.papers.style import HEADER_FILL, VETO_FILL
from dashboard.papers.wording import BASIS_ZH, BY_INTERVAL, SHEETS, causes, finite, interval, unit_label
from queries.engine import registry
from queries.formats import xlsx


def workbook(p: Papers) -> bytes:
    buf = io.BytesIO()
    wb = xlsx.workbook(buf, {"title": p.title, "subject": "年终考核", "author": "人口计生目标监测"})
    for level in LEVELS:
        _sheet(wb, p, level)
    wb.close()
    return buf.getvalue()


class _Formats:
    """xlsxwriter formats, made once per workbook and per combination asked for."""

    def __init__(self, wb) -> None:
        self.wb = wb
        self.cache: dict[tuple, object] = {}
        self.base = {"font_size": 10, "border": 1, "border_color": "#A6A6A6", "valign": "vcenter"}

    def __call__(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self.cache:
            self.cache[key] = self.wb.add_format({**self.base, **props})
        return self.cache[key]


def _number_format(code: str, symbol: str = "") -> str:
    ind = registry.get(code)
    fmt = "#,##0" if ind.kind == "count" else "0" + ("." + "0" * ind.decimals if ind.decimals else "")
    return f'{fmt}" {symbol}"' if symbol else fmt


def _sheet(wb, p: Papers, level: str) -> None:
    frame = p.frames[level]
    ws = wb.add_worksheet(SHEETS[level])
    fmt = _Formats(wb)
    head = fmt(bold=True, align="center", text_wrap=True, bg_color=HEADER_FILL)
    text = fmt()
    centre = fmt(align="center")
    dash = fmt(align="center", font_color="#6B6B6B")
    fill = {k: s.background for k, s in registry.VERDICT.items()}

    fixed: list[tuple[str, float]] = [("排名", 6), ("单位代码", 14), ("单位名称", 12)]
    if level == "village":
        fixed.append(("所属乡镇（街道）", 12))
    fixed += [("总分", 8), ("满分", 6), ("一票否决", 7), ("否决原因", 22), ("上年排名", 7), ("名次变化", 8)]
    for col, (name, width) in enumerate(fixed):
        ws.merge_range(0, col, 1, col, name, head)
        ws.set_column(col, col, width)
    codes = p.codes(level)
    col = len(fixed)
    starts: dict[str, int] = {}
    for code in codes:
        ind, rule = registry.get(code), p.rule(level, code)
        parts = ["实际值", "目标值", "得分"] + (["95%区间"] if code == BY_INTERVAL else [])
        note = []
        if rule is not None:
            note.append(f"{rule.points:g}分" if rule.points else "只否决")
            if rule.veto and rule.points:
                note.append("否决")
        title = f"{ind.name_zh}{unit_label(code)}" + (f" · {'·'.join(note)}" if note else "")
        ws.merge_range(0, col, 0, col + len(parts) - 1, title, head)
        for i, part in enumerate(parts):
            ws.write(1, col + i, part, head)
        ws.set_column(col, col + 1, 9.5)
        ws.set_column(col + 2, col + 2, 7)
        if code == BY_INTERVAL:
            ws.set_column(col + 3, col + 3, 13)
        starts[code] = col
        col += len(parts)
    last_col = col - 1
    ws.set_row(0, 46)
    ws.set_row(1, 18)

    for i, row in enumerate(frame.to_dict("records")):
        r = i + 2
        vetoed = bool(row["vetoed"])
        ws.write_number(r, 0, int(row["rank"]), centre)
        ws.write_string(r, 1, str(row["unit_code"]), text)
        ws.write_string(r, 2, str(row["name"]), text)
        c = 3
        if level == "village":
            ws.write_string(r, c, str(p.names.get(row["parent_code"], row["parent_code"] or "")), text)
            c += 1
        ws.write_number(r, c, float(row["total"]), fmt(num_format="0.00", bold=True))
        ws.write_number(r, c + 1, float(row["max_points"]), fmt(num_format="0"))
        if vetoed:
            ws.write_string(r, c + 2, "是", fmt(align="center", bold=True, bg_color=VETO_FILL))
        else:
            ws.write_string(r, c + 2, "否", centre)
        ws.write_string(r, c + 3, causes(row["veto_by"]), fmt(text_wrap=True))
        if finite(row["rank_last_year"]):
            ws.write_number(r, c + 4, int(row["rank_last_year"]), centre)
        else:
            ws.write_string(r, c + 4, "—", dash)
        if finite(row["rank_change"]):
            ws.write_number(
                r, c + 5, int(row["rank_change"]), fmt(align="center", num_format='"↑"0;"↓"0;"持平"')
            )
        else:
            ws.write_string(r, c + 5, "—", dash)

        for code in codes:
            c = starts[code]
            status = row.get(f"{code}|verdict")
            spec = registry.VERDICT.get(status, registry.VERDICT["no_data"])
            value, target = row.get(f"{code}|value"), row.get(f"{code}|target")
            if finite(value):
                ws.write_number(
                    r,
                    c,
                    float(value),
                    fmt(num_format=_number_format(code, spec.symbol), bg_color=spec.background),
                )
            else:
                ws.write_string(r, c, "—", fmt(align="center", bg_color=fill.get(status, fill["no_data"])))
            if finite(target):
                ws.write_number(r, c + 1, float(target), fmt(num_format=_number_format(code)))
            else:
                ws.write_string(r, c + 1, "—", dash)
            points, score = row.get(f"{code}|points"), row.get(f"{code}|score")
            if not finite(points):
                ws.write_string(r, c + 2, "不计", dash)
            elif float(points) == 0:
                ws.write_string(r, c + 2, "否决项", dash)
            else:
                ws.write_number(r, c + 2, float(score) if finite(score) else 0.0, fmt(num_format="0.0#"))
            if code == BY_INTERVAL:
                ws.write_string(
                    r, c + 3, interval(row.get(f"{code}|ci_low"), row.get(f"{code}|ci_high")), centre
                )

    n = len(frame)
    frozen_cols = 4 if level == "village" else 3
    ws.freeze_panes(2, frozen_cols)
    if n:
        ws.autofilter(1, 0, n + 1, last_col)
    # Print: A4 landscape, one page wide, header rows on every page.
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, 1)
    ws.repeat_columns(0, frozen_cols - 1)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.center_horizontally()
    provisional = "（暂定）" if p.period.is_provisional else ""
    title = f"{p.title} · {SHEETS[level]}考核结果{provisional}".replace("&", "&&")
    ws.set_header(f"&C&12&B{title}")
    ws.set_footer(
        f"&L截至 {p.period.as_of.isoformat()} · {BASIS_ZH.get(p.basis, p.basis)}口径&C第 &P 页，共 &N 页"
        "&R" + " ".join(f"{s.symbol}{s.name_zh}" for s in registry.VERDICT.values())
    )
    ws.print_area(0, 0, max(n + 1, 1), last_col)
