"""The papers for the year-end assessment meeting (年终考核): a workbook and a printable report.

- ``assessment_workbook``: an .xlsx with a sheet per level (乡镇（街道）, 村（社区）): rank, unit,
  total, veto and its cause, and per counted indicator the value, target and score, the value
  cell filled with its status colour; header rows frozen; set up to print (A4 landscape, one
  page wide, header rows repeated).
- ``assessment_pdf``: the county summary, the township ranking, the veto list, the sex-ratio
  map and the pre-pregnancy checks chart, as a PDF. HTML and CSS are laid out by WeasyPrint,
  which finds Noto Sans CJK SC (Debian ``fonts-noto-cjk``) through fontconfig and embeds the
  glyphs it uses; the map and the chart are matplotlib PNG images drawn with the same font.

No streamlit here: the assessment page's downloads and ``python -m dashboard report`` share it.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from dashboard.components.assessment_view import shortfall_name
from dashboard.i18n import t
from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import Period, make_period
from queries.formats import xlsx
from queries.services.assessment import Rules, assess, assessment_summary
from queries.services.catalogue import units_frame
from queries.store import clock

LEVELS = ("township", "village")
SHEETS = {"township": "乡镇（街道）", "village": "村（社区）"}
LEVEL_ZH = {"county": "县（市）", "township": "乡镇（街道）", "village": "村", "community": "社区"}
BASIS_ZH = {"registered": "户籍", "resident": "常住"}
SEX_RATIO = "sex_ratio_at_birth"
CHECKS = "prepregnancy_checks"

FONT_FAMILY = "Noto Sans CJK SC"
FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
HEADER_FILL = "#DCE4EE"
VETO_FILL = registry.VERDICT["not_met"].background
ACCENT = "#0072B2"
DPI = 220  # charts and maps, for print


class PapersError(RuntimeError):
    """The papers cannot be made here (e.g. the Chinese font is not installed)."""


def file_names(year: int) -> tuple[str, str]:
    """The workbook's and the report's file names: 考核_<year>.xlsx and 考核_<year>.pdf."""
    return f"考核_{int(year)}.xlsx", f"考核_{int(year)}.pdf"


# --------------------------------------------------------------------------- the numbers


@dataclass(frozen=True, eq=False)
class _Papers:
    root: str
    county: str
    period: Period
    basis: str
    rules: Rules
    frames: dict[str, pd.DataFrame]  # level → assess()
    names: pd.Series  # unit code → name

    def codes(self, level: str) -> list[str]:
        """The indicators the level's assessment counts, in the rules' order."""
        return [c[: -len("|status")] for c in self.frames[level].columns if c.endswith("|status")]

    def rule(self, level: str, code: str):
        return next((r for r in self.rules.level_rules(level) if r.indicator == code), None)

    @property
    def title(self) -> str:
        return f"{self.county} {self.period.year}年度 年终考核"


def _collect(
    conn: Connection, root: str, year: int, rules: Rules, basis: str, as_of: date | str | None
) -> _Papers:
    period = make_period(year, as_of)
    as_of_date = None if as_of is None else period.as_of
    frames = {lv: assess(conn, root, period.year, lv, rules, basis=basis, as_of=as_of_date) for lv in LEVELS}
    units = units_frame(conn)
    names = units.set_index("code")["name"]
    return _Papers(
        root=root,
        county=str(names.get(root, root)),
        period=period,
        basis=basis,
        rules=rules,
        frames=frames,
        names=names,
    )


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _suffix(ind: registry.Indicator) -> str:
    return ind.unit if ind.unit in ("‰", "%") else ""


def _fmt(code: str, value, suffix: bool = True) -> str:
    """A value as the papers print it: the registry's decimals, no data as an em dash."""
    ind = registry.get(code)
    text = ind.format(float(value) if _finite(value) else None)
    return f"{text}{_suffix(ind)}" if suffix and text != "—" else text


def _unit_label(code: str) -> str:
    unit = registry.get(code).unit_zh
    return unit if unit.startswith("（") else f"（{unit}）"


def _causes(veto_by) -> str:
    """'policy_compliance_rate,sex_ratio_at_birth' → '政策符合率、出生人口性别比'."""
    codes = [c for c in str(veto_by or "").split(",") if c]
    return "、".join(registry.get(c).name_zh for c in codes)


def _rank_change(change) -> str:
    if not _finite(change):
        return "—"
    change = int(round(float(change)))
    return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else "持平"


def _interval(low, high) -> str:
    if not (_finite(low) and _finite(high)):
        return "—"
    return f"{_fmt(SEX_RATIO, low)}–{_fmt(SEX_RATIO, high)}"


def _points(value) -> str:
    return f"{float(value):.2f}" if _finite(value) else "—"


# --------------------------------------------------------------------------- the workbook


def assessment_workbook(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
) -> bytes:
    """The assessment of every township and village under ``root`` as an .xlsx workbook."""
    return _workbook(_collect(conn, root, year, rules, basis, as_of))


def _workbook(p: _Papers) -> bytes:
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


def _sheet(wb, p: _Papers, level: str) -> None:
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
        parts = ["实际值", "目标值", "得分"] + (["95%区间"] if code == SEX_RATIO else [])
        note = []
        if rule is not None:
            note.append(f"{rule.points:g}分" if rule.points else "只否决")
            if rule.veto and rule.points:
                note.append("否决")
        title = f"{ind.name_zh}{_unit_label(code)}" + (f" · {'·'.join(note)}" if note else "")
        ws.merge_range(0, col, 0, col + len(parts) - 1, title, head)
        for i, part in enumerate(parts):
            ws.write(1, col + i, part, head)
        ws.set_column(col, col + 1, 9.5)
        ws.set_column(col + 2, col + 2, 7)
        if code == SEX_RATIO:
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
        ws.write_string(r, c + 3, _causes(row["veto_by"]), fmt(text_wrap=True))
        if _finite(row["rank_last_year"]):
            ws.write_number(r, c + 4, int(row["rank_last_year"]), centre)
        else:
            ws.write_string(r, c + 4, "—", dash)
        if _finite(row["rank_change"]):
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
            if _finite(value):
                ws.write_number(
                    r,
                    c,
                    float(value),
                    fmt(num_format=_number_format(code, spec.symbol), bg_color=spec.background),
                )
            else:
                ws.write_string(r, c, "—", fmt(align="center", bg_color=fill.get(status, fill["no_data"])))
            if _finite(target):
                ws.write_number(r, c + 1, float(target), fmt(num_format=_number_format(code)))
            else:
                ws.write_string(r, c + 1, "—", dash)
            points, score = row.get(f"{code}|points"), row.get(f"{code}|score")
            if not _finite(points):
                ws.write_string(r, c + 2, "不计", dash)
            elif float(points) == 0:
                ws.write_string(r, c + 2, "否决项", dash)
            else:
                ws.write_number(r, c + 2, float(score) if _finite(score) else 0.0, fmt(num_format="0.0#"))
            if code == SEX_RATIO:
                ws.write_string(
                    r, c + 3, _interval(row.get(f"{code}|ci_low"), row.get(f"{code}|ci_high")), centre
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


# --------------------------------------------------------------------------- charts


@lru_cache(maxsize=1)
def _font() -> str:
    """Register the CJK font with matplotlib once; fail clearly when it is not installed."""
    from matplotlib import font_manager

    for path in FONT_FILES:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
    names = {f.name for f in font_manager.fontManager.ttflist}
    if FONT_FAMILY not in names:
        raise PapersError(
            f"the Chinese font {FONT_FAMILY} is not installed (Debian: apt-get install fonts-noto-cjk)"
        )
    return FONT_FAMILY


def _rc() -> dict:
    return {
        "font.family": [_font(), "DejaVu Sans"],
        "font.size": 9,
        "axes.unicode_minus": False,
    }


def _png(fig) -> str:
    """The figure as a data URL: a PNG at print resolution (SVG with hundreds of village
    outlines and text drawn as paths is several times slower for WeasyPrint to lay out)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.04, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _checks_chart(curves: pd.DataFrame, target: float | None, period: Period) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(7.0, 3.4))
        ax = fig.add_subplot()
        months = np.arange(1, 13)
        top = float(curves["cumulative"].max()) if len(curves) else 0.0
        if _finite(target):
            top = max(top, float(target))
            ax.axhline(float(target), color="#D55E00", lw=1.4)
            ax.text(
                12.4,
                float(target),
                f"全年任务 {float(target):,.0f} 对",
                color="#D55E00",
                ha="right",
                va="bottom",
                fontsize=8.5,
            )
            ax.plot(
                np.r_[0, months],
                np.r_[0, months] / 12 * float(target),
                color="#D55E00",
                lw=1,
                ls=":",
                label="按时序应完成",
            )
        last = curves[curves["series"] == "last_year"]
        if len(last):
            ax.plot(
                last["month"],
                last["cumulative"],
                color="#8C8C8C",
                lw=1.3,
                ls="--",
                label=f"{period.year - 1}年累计",
            )
        this = curves[curves["series"] == "this_year"]
        ax.plot(
            this["month"],
            this["cumulative"],
            color=ACCENT,
            lw=2.2,
            marker="o",
            ms=3.5,
            label=f"{period.year}年累计",
        )
        if len(this):
            end = this.iloc[-1]
            ax.annotate(
                f"{int(end['cumulative']):,} 对",
                (end["month"], end["cumulative"]),
                xytext=(0, -14),
                textcoords="offset points",
                color=ACCENT,
                fontsize=8.5,
                ha="center",
            )
        ax.set_ylim(0, max(top, 1.0) * 1.12)
        ax.set_xlim(0.5, 12.5)
        ax.set_xticks(months, [f"{m}月" for m in months])
        ax.set_ylabel("累计完成对数")
        ax.grid(axis="y", color="#E5E5E5", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower right", frameon=False, fontsize=8.5)
        return _png(fig)


def _township_shapes(shapes, units: pd.DataFrame):
    """The townships' shapes: from the boundaries, else the union of their villages'."""
    import geopandas as gpd
    import shapely

    towns = units.loc[units["level"] == "township", "code"].astype(str)
    have = shapes[shapes["code"].isin(towns)]
    parents = units.set_index("code")["parent_code"]
    kids = shapes[shapes["level"].isin(("village", "community"))].copy()
    kids["town"] = kids["code"].map(parents)
    extra = []
    for town, group in kids.groupby("town"):
        if town in set(have["code"]):
            continue
        extra.append({"code": town, "geometry": shapely.union_all(group.geometry.to_numpy())})
    if extra:
        have = pd.concat(
            [have[["code", "geometry"]], gpd.GeoDataFrame(extra, crs=shapes.crs)], ignore_index=True
        )
    return gpd.GeoDataFrame(have[["code", "geometry"]], geometry="geometry", crs=shapes.crs)


def _boundary_frame(boundaries, units: pd.DataFrame):
    """A GeoDataFrame (code, level, geometry) in WGS84 from a GeoDataFrame or a BoundaryJoin."""
    import geopandas as gpd

    shapes = getattr(boundaries, "shapes", boundaries)
    if shapes is None or len(shapes) == 0:
        return None
    shapes = gpd.GeoDataFrame(shapes, geometry=shapes.geometry.name).copy()
    if shapes.crs is not None and shapes.crs.to_epsg() != 4326:
        shapes = shapes.to_crs(4326)
    shapes["code"] = shapes["code"].astype(str)
    shapes["level"] = shapes["code"].map(units.set_index("code")["level"])
    return shapes[shapes["level"].notna()][["code", "level", shapes.geometry.name]]


def _map_panel(ax, shapes, frame, towns=None, labels: bool = False) -> None:
    import geopandas as gpd

    units = frame.units.set_index("code")
    drawn = shapes[shapes["code"].isin(units.index)].copy()
    if drawn.empty:
        ax.text(0.5, 0.5, "没有可显示的图形", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    drawn["colour"] = drawn["code"].map(units["colour"])
    drawn["faded"] = drawn["code"].map(units["faded"]).astype(bool)
    drawn["verdict"] = drawn["code"].map(units["verdict"])
    drawn["marked"] = drawn["code"].map(units["marked"]).astype(bool)
    solid = drawn[~drawn["faded"]]
    faded = drawn[drawn["faded"]]
    if len(faded):
        faded.plot(ax=ax, color=list(faded["colour"]), alpha=0.45, edgecolor="none")
        faded.boundary.plot(ax=ax, color="#9A9A9A", lw=0.35)
    if len(solid):
        solid.plot(ax=ax, color=list(solid["colour"]), edgecolor="#9A9A9A", lw=0.35)
    if towns is not None and len(towns):
        towns.boundary.plot(ax=ax, color="#404040", lw=1.1)
    high = drawn[drawn["marked"] & (drawn["verdict"] == "significantly_high")]
    low = drawn[drawn["marked"] & (drawn["verdict"] == "significantly_low")]
    if len(high):
        high.boundary.plot(ax=ax, color="#000000", lw=2.0)
    if len(low):
        low.boundary.plot(ax=ax, color="#000000", lw=1.6, ls="--")
    named = drawn if labels else drawn[drawn["marked"]]
    if len(named):
        from matplotlib import patheffects

        points = gpd.GeoSeries(named.geometry, crs=named.crs).representative_point()
        for code, pt in zip(named["code"], points, strict=True):
            ax.annotate(
                str(units.at[code, "name"]),
                (pt.x, pt.y),
                ha="center",
                va="center",
                fontsize=7.5 if labels else 6.5,
                parse_math=False,  # a name such as "$5$村" is text, not mathtext
                path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
            )
    lat = float(np.mean(drawn.total_bounds[[1, 3]]))
    ax.set_aspect(1 / math.cos(math.radians(lat)))
    ax.set_axis_off()


def _sex_ratio_map(shapes, table: pd.DataFrame, units: pd.DataFrame) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from geo.choropleth import WORD_KEYS, map_frame

    words = {k: t(f"mp_{k}", "zh") for k in WORD_KEYS}
    town_frame = map_frame(table, SEX_RATIO, "township", words, "zh")
    village_frame = map_frame(table, SEX_RATIO, "village", words, "zh")
    towns = _township_shapes(shapes, units)
    town_shapes = towns.assign(level="township")
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(10.6, 3.9))
        left, right, key = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.62]})
        _map_panel(left, town_shapes, town_frame, labels=True)
        left.set_title("乡镇（街道）", fontsize=11)
        _map_panel(right, shapes, village_frame, towns=towns)
        right.set_title("村（社区）（粗线为乡镇界）", fontsize=11)
        handles = []
        for entry in village_frame.legend:
            if entry.kind == "fill":
                handles.append(Patch(facecolor=entry.colour, edgecolor="#9A9A9A", lw=0.5, label=entry.label))
            elif entry.kind == "outline":
                handles.append(Patch(facecolor="white", edgecolor="black", lw=2.0, label=entry.label))
            elif entry.kind == "dashed":
                handles.append(
                    Patch(facecolor="white", edgecolor="black", lw=1.4, ls="--", label=entry.label)
                )
            else:
                handles.append(
                    Patch(facecolor=entry.colour, alpha=0.45, edgecolor="#9A9A9A", label=entry.label)
                )
        key.set_axis_off()
        key.legend(
            handles=handles,
            loc="center left",
            frameon=False,
            fontsize=8,
            title="出生人口性别比（女=100）",
            title_fontsize=8.5,
            alignment="left",
            borderaxespad=0,
        )
        fig.subplots_adjust(left=0.0, right=1.0, top=0.92, bottom=0.02, wspace=0.03)
        return _png(fig)


# --------------------------------------------------------------------------- the report


def default_boundaries(conn: Connection):
    """(boundaries, "") for the database's units, or (None, why there is no map).

    As the map page: the ``boundaries`` setting names a file; without it, the demo county
    gets its generated demo boundaries; any other database has none.
    """
    from dashboard.runtime.settings import setting
    from geo.boundaries import BoundaryError, join_units, load_boundaries
    from geo.demo import DemoBoundaryError, demo_boundaries
    from queries.demo.county import COUNTY_CODE, COUNTY_NAME
    from queries.store.db import REPO_ROOT

    units = units_frame(conn)
    configured = setting("boundaries")
    try:
        if configured:
            path = Path(configured).expanduser()
            path = path if path.is_absolute() else REPO_ROOT / path
            return load_boundaries(path, units, setting("boundary_code_column")), ""
        root = units[units["parent_code"].isna()]
        if len(root) and root["code"].iloc[0] == COUNTY_CODE and root["name"].iloc[0] == COUNTY_NAME:
            return join_units(demo_boundaries(units), units, code_column="code", source="demo"), ""
    except (BoundaryError, DemoBoundaryError) as exc:
        return None, t("mp_bad_boundaries", "zh", reason=str(exc))
    return None, t("mp_no_boundaries", "zh")


def assessment_pdf(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
    boundaries=None,
    no_map_reason: str = "",
) -> bytes:
    """The printable report for the meeting as PDF bytes.

    ``boundaries``: a GeoDataFrame (``code``, geometry; WGS84) or a ``geo.boundaries.
    BoundaryJoin``; without it the map's place holds a note (``no_map_reason``, if given).
    """
    p = _collect(conn, root, year, rules, basis, as_of)
    return _pdf(conn, p, boundaries, no_map_reason)


def papers_bytes(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
    boundaries=None,
    no_map_reason: str = "",
    progress=None,
) -> tuple[bytes, bytes]:
    """The workbook and the report, from one collection of the numbers; ``progress(done,
    total, step)`` hears of each step (``queries.analytics.build.Progress``)."""

    def step(done: int, name: str) -> None:
        if progress is not None:
            progress(done, 4, name)

    step(0, "collect")
    p = _collect(conn, root, year, rules, basis, as_of)
    step(1, "workbook")
    xlsx = _workbook(p)
    return xlsx, _pdf(conn, p, boundaries, no_map_reason, step)


def write_papers(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    out_dir: str | Path,
    basis: str = "registered",
    as_of: date | str | None = None,
    boundaries=None,
    no_map_reason: str = "",
) -> tuple[Path, Path]:
    """Write 考核_<year>.xlsx and 考核_<year>.pdf into ``out_dir`` (made if missing)."""
    xlsx, pdf = papers_bytes(conn, root, year, rules, basis, as_of, boundaries, no_map_reason)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlsx_name, pdf_name = file_names(year)
    (out / xlsx_name).write_bytes(xlsx)
    (out / pdf_name).write_bytes(pdf)
    return out / xlsx_name, out / pdf_name


def make_papers(
    url: str,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
    progress=None,
) -> tuple[bytes, bytes]:
    """``papers_bytes`` for the database at ``url``, with the map's boundaries found as the
    map page finds them. Needs nothing from a page script, so it can run as a job
    (``dashboard.runtime.jobs``)."""
    from dashboard.runtime.settings import open_engine

    engine = open_engine(url, build_demo=False)
    try:
        with engine.connect() as conn:
            boundaries, why = default_boundaries(conn)
            return papers_bytes(conn, root, year, rules, basis, as_of, boundaries, why, progress)
    finally:
        engine.dispose()  # one per click: its connections must not outlive it


def _e(value) -> str:
    return html.escape(str(value))


def _css_string(value) -> str:
    """Text for a quoted CSS string inside <style>: html.escape does not apply there, so
    every character but letters, digits and spaces becomes a CSS escape; a county name
    holding a quote, a backslash or ``</style>`` cannot end the string or the element."""
    return "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in str(value))


def _status_cell(verdict: str | None) -> str:
    """A verdict as its symbol and words on its colour."""
    spec = registry.VERDICT.get(verdict)
    if spec is None:
        return "<td></td>"
    return f'<td class="st" style="background:{spec.background}">{_e(spec.label("zh"))}</td>'


def _county_section(p: _Papers, table: pd.DataFrame) -> str:
    own = table[table["unit_code"] == p.root]
    rows = []
    for r in own.to_dict("records"):
        ind = registry.get(r["indicator"])
        if ind.source == "pending" and not _finite(r["value"]):
            continue
        note = ""
        if r["indicator"] == SEX_RATIO and _finite(r["ci_low"]):
            note = f"95%区间 {_interval(r['ci_low'], r['ci_high'])}"
        elif ind.kind == "count" and _finite(r["expected"]) and not p.period.is_full_year:
            note = f"按时序应完成 {_fmt(r['indicator'], r['expected'])}"
        rows.append(
            f"<tr><td>{_e(ind.name_zh)}</td><td class='num'>{_e(_fmt(r['indicator'], r['value']))}</td>"
            f"<td class='num'>{_e(_fmt(r['indicator'], r['target']))}</td>{_status_cell(r['verdict'])}"
            f"<td class='note'>{_e(note)}</td></tr>"
        )
    return (
        "<h2 class='first'>全县（市）指标完成情况</h2>"
        "<table class='summary'><thead><tr><th>指标</th><th>实际值</th><th>目标值</th><th>状态</th><th>说明</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _facts(p: _Papers) -> str:
    cells = []
    for level in LEVELS:
        s = assessment_summary(p.frames[level])
        frame = p.frames[level]
        best = frame[~frame["vetoed"].astype(bool)].head(1)
        top = f"{best['name'].iloc[0]}（{_points(best['total'].iloc[0])}分）" if len(best) else "—"
        cells.append(
            f"<div class='fact'><div class='k'>{SHEETS[level]}</div>"
            f"<div class='v'>{s['units']} 个参加考核</div>"
            f"<div>一票否决 <b>{s['vetoed']}</b> 个 · 平均得分 {_points(s['mean_score'])} / {s['max_points']:g}</div>"
            f"<div>第一名：{_e(top)}</div></div>"
        )
    return "<div class='facts'>" + "".join(cells) + "</div>"


def _ranking_table(p: _Papers, frame: pd.DataFrame, level: str) -> str:
    parent = level == "village"
    head = "<th>排名</th><th>单位</th>" + ("<th>所属乡镇（街道）</th>" if parent else "")
    head += "<th>总分</th><th>满分</th><th>比上年</th><th>一票否决</th><th>否决原因</th>"
    rows = []
    for r in frame.to_dict("records"):
        vetoed = bool(r["vetoed"])
        cls = " class='vetoed'" if vetoed else ""
        town = f"<td>{_e(p.names.get(r['parent_code'], ''))}</td>" if parent else ""
        veto = (
            f"<td class='st' style='background:{VETO_FILL}'>✘ 否决</td>"
            if vetoed
            else "<td class='st'>—</td>"
        )
        rows.append(
            f"<tr{cls}><td class='c'>{int(r['rank'])}</td><td>{_e(r['name'])}</td>{town}"
            f"<td class='num'><b>{_points(r['total'])}</b></td><td class='num'>{float(r['max_points']):g}</td>"
            f"<td class='c'>{_rank_change(r['rank_change'])}</td>{veto}<td>{_e(_causes(r['veto_by']))}</td></tr>"
        )
    return f"<table class='rank'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _ranking_section(p: _Papers) -> str:
    towns = p.frames["township"]
    parts = ["<h2>乡镇（街道）考核排名</h2>", _ranking_table(p, towns, "township")]
    parts.append(
        "<p class='note'>排名按总分从高到低；被一票否决的单位排在所有未被否决的单位之后。"
        "“比上年”为与上年同一规则下排名的比较，↑为上升。</p>"
    )
    villages = p.frames["village"]
    if len(villages) > 20:
        for title, rows in (("前十名", villages.head(10)), ("后十名", villages.tail(10))):
            parts.append(f"<div class='keep'><h3>村（社区）考核排名：{title}</h3>")
            parts.append(_ranking_table(p, rows, "village") + "</div>")
        parts.append(f"<p class='note'>全部 {len(villages)} 个村（社区）的得分明细见考核工作簿。</p>")
    elif len(villages):
        parts.append("<h3>村（社区）考核排名</h3>")
        parts.append(_ranking_table(p, villages, "village"))
    return "".join(parts)


def _veto_section(p: _Papers) -> str:
    rows = []
    for level in LEVELS:
        frame = p.frames[level]
        for r in frame[frame["vetoed"].astype(bool)].to_dict("records"):
            codes = [c for c in str(r["veto_by"] or "").split(",") if c]
            town = p.names.get(r["parent_code"], "") if level == "village" else ""
            for i, code in enumerate(codes):
                ind = registry.get(code)
                value, target = r.get(f"{code}|value"), r.get(f"{code}|target")
                verdict = registry.VERDICT.get(r.get(f"{code}|verdict") or "no_data")
                note = verdict.name_zh if verdict else ""
                if code == SEX_RATIO:
                    note = f"95%区间 {_interval(r.get(f'{code}|ci_low'), r.get(f'{code}|ci_high'))}，{note}"
                elif _finite(r.get(f"{code}|shortfall")):
                    # a count veto: the count it rests on, not the rate of a few births
                    rule = p.rule(level, code)
                    note = f"{shortfall_name(code, 'zh')} {int(r[f'{code}|shortfall'])} 例"
                    if rule is not None and rule.veto_count_above is not None:
                        note += f"，超过 {rule.veto_count_above} 例"
                unit = (
                    f"<td class='u' rowspan='{len(codes)}'>{_e(r['name'])}</td>"
                    f"<td class='u' rowspan='{len(codes)}'>{_e(LEVEL_ZH.get(r['level'], r['level']))}</td>"
                    f"<td class='u' rowspan='{len(codes)}'>{_e(town)}</td>"
                    if i == 0
                    else ""
                )
                rows.append(
                    f"<tr>{unit}<td class='u'>{_e(ind.name_zh)}</td><td class='num'>{_e(_fmt(code, value))}</td>"
                    f"<td class='num'>{_e(_fmt(code, target))}</td><td>{_e(note)}</td></tr>"
                )
    parts = ["<h2>一票否决名单</h2>"]
    if not rows:
        parts.append("<p class='box'>本年度没有单位被一票否决。</p>")
    else:
        parts.append(
            "<table class='veto'><thead><tr><th>单位</th><th>层级</th><th>所属乡镇（街道）</th><th>否决指标</th>"
            "<th>实际值</th><th>目标值</th><th>说明</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
    parts.append(
        "<p class='note'>出生人口性别比只在 95% 区间整体高于目标线（107，或更低的目标）即“显著偏高”时否决；"
        "出生少的村仅点估计偏高属随机波动，不否决。</p>"
    )
    return "".join(parts)


def _map_section(p: _Papers, table: pd.DataFrame, units: pd.DataFrame, boundaries, no_map_reason: str) -> str:
    parts = ["<section class='wide'><h2>出生人口性别比分布图</h2>"]
    shapes = _boundary_frame(boundaries, units) if boundaries is not None else None
    if shapes is None:
        reason = no_map_reason or "没有提供行政区划边界数据，无法绘制地图。"
        parts.append(f"<p class='box'>地图从略：{_e(reason)}</p>")
    else:
        parts.append(f"<img class='map' src='{_sex_ratio_map(shapes, table, units)}'>")
        source = getattr(boundaries, "source", "")
        note = t("mp_legend_note_sr", "zh")
        if source == "demo":
            note += " " + t("mp_source_demo", "zh") + "。"
        parts.append(f"<p class='note'>{_e(note)}</p>")
    sr = table[(table["indicator"] == SEX_RATIO) & table["significance"].isin(["high", "low"])]
    sr = sr[sr["level"] != "county"].sort_values(["depth", "verdict", "unit_code"])
    if len(sr):
        rows = []
        for r in sr.to_dict("records"):
            verdict = registry.VERDICT.get(r["verdict"], registry.VERDICT["no_data"])
            births = int((r["numerator"] or 0) + (r["denominator"] or 0))
            rows.append(
                f"<tr><td>{_e(r['name'])}</td><td>{_e(LEVEL_ZH.get(r['level'], r['level']))}</td>"
                f"<td class='num'>{births:,}</td><td class='num'>{_e(_fmt(SEX_RATIO, r['value']))}</td>"
                f"<td class='c'>{_e(_interval(r['ci_low'], r['ci_high']))}</td>"
                f"<td class='st' style='background:{verdict.background}'>{_e(verdict.label('zh'))}</td></tr>"
            )
        parts.append(
            "<h3>性别比显著偏离正常范围的单位</h3><table class='sig'><thead><tr><th>单位</th><th>层级</th>"
            "<th>出生数</th><th>性别比</th><th>95%区间</th><th>判断</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
    else:
        parts.append(f"<p class='note'>{_e(t('mp_none_significant', 'zh'))}</p>")
    parts.append("</section>")
    return "".join(parts)


def _checks_section(conn: Connection, p: _Papers, table: pd.DataFrame) -> str:
    from queries.services.trends import check_curves

    own = table[(table["unit_code"] == p.root) & (table["indicator"] == CHECKS)]
    target = float(own["target"].iloc[0]) if len(own) and _finite(own["target"].iloc[0]) else None
    value = float(own["value"].iloc[0]) if len(own) and _finite(own["value"].iloc[0]) else 0.0
    curves = check_curves(conn, p.root, p.period)
    parts = ["<h2>免费孕前优生健康检查完成进度</h2>"]
    summary = f"截至 {p.period.as_of.isoformat()} 全县（市）累计完成 {value:,.0f} 对"
    if target:
        summary += f"，全年任务 {target:,.0f} 对，完成 {value / target:.1%}"
    parts.append(f"<p>{_e(summary)}。</p>")
    parts.append(f"<img class='chart' src='{_checks_chart(curves, target, p.period)}'>")
    towns = table[(table["indicator"] == CHECKS) & (table["level"] == "township")]
    if len(towns):
        rows = []
        for r in towns.to_dict("records"):
            share = f"{r['value'] / r['target']:.1%}" if _finite(r["target"]) and r["target"] > 0 else "—"
            rows.append(
                f"<tr><td>{_e(r['name'])}</td><td class='num'>{_e(_fmt(CHECKS, r['value']))}</td>"
                f"<td class='num'>{_e(_fmt(CHECKS, r['target']))}</td><td class='num'>{share}</td>"
                + _status_cell(r["verdict"])
                + "</tr>"
            )
        head = "判断"
        parts.append(
            "<table class='checks'><thead><tr><th>乡镇（街道）</th><th>已完成（对）</th><th>全年任务（对）</th>"
            f"<th>完成率</th><th>{head}</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    return "".join(parts)


CSS = """
@page { size: A4; margin: 15mm 14mm 17mm 14mm;
  @bottom-left { content: "%(title)s"; font-size: 7.5pt; color: #777; }
  @bottom-right { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 7.5pt; color: #777; } }
@page wide { size: A4 landscape; margin: 12mm 14mm 15mm 14mm; }
html { font-family: "%(font)s", "Noto Sans CJK", "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #1A1A1A; }
h1 { font-size: 20pt; margin: 0 0 2mm; letter-spacing: 0.5pt; }
.sub { font-size: 11pt; color: #333; margin: 0 0 1mm; }
.meta { color: #555; margin: 0 0 5mm; }
.provisional { color: #D55E00; font-weight: bold; }
h2 { font-size: 13.5pt; color: #003F63; border-bottom: 1.5pt solid %(accent)s; padding-bottom: 1mm;
  margin: 0 0 3mm; break-before: page; }
h2.first { break-before: auto; margin-top: 6mm; }
h3 { font-size: 11pt; margin: 5mm 0 2mm; }
table { border-collapse: collapse; width: 100%%; margin-bottom: 2mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { background: %(header)s; font-weight: bold; padding: 1.6mm 1.5mm; border: 0.5pt solid #9FB0C3; }
td { padding: 1.2mm 1.5mm; border: 0.5pt solid #C8C8C8; vertical-align: middle; }
td.num { text-align: right; white-space: nowrap; }
td.c, td.st { text-align: center; white-space: nowrap; }
td.u, th { white-space: nowrap; }
td.note { color: #444; font-size: 8.5pt; }
tr.vetoed td { color: #5A1E00; }
p.note { color: #555; font-size: 8.5pt; margin: 1.5mm 0 3mm; }
p.box { border: 1pt solid #D55E00; background: #FFF4EC; padding: 3mm; margin: 3mm 0; }
.facts { display: flex; gap: 4mm; margin: 0 0 2mm; }
.fact { flex: 1; border: 0.8pt solid #9FB0C3; border-left: 3pt solid %(accent)s; padding: 2mm 3mm; }
.fact .k { color: #555; } .fact .v { font-size: 13pt; font-weight: bold; margin: 0.5mm 0; }
section.wide { page: wide; }
.keep { break-inside: avoid; }
section.wide h2 { break-before: page; }
img.map { width: 100%%; }
img.chart { width: 100%%; margin: 2mm 0 4mm; }
"""


def _pdf(conn: Connection, p: _Papers, boundaries, no_map_reason: str, step=None) -> bytes:
    _font()
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the pango libraries are missing
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PapersError(f"cannot make PDF files here: {first}") from None

    table = compute(conn, p.root, p.period, p.basis)
    units = units_frame(conn)
    units["code"] = units["code"].astype(str)
    provisional = p.period.is_provisional
    head = (
        f"<h1>{_e(p.period.year)}年度 年终考核</h1>"
        f"<p class='sub'>{_e(p.county)} · 人口和计划生育目标管理责任制考核结果</p>"
        f"<p class='meta'>统计期间 {p.period.start.isoformat()} 至 {p.period.as_of.isoformat()} · "
        f"{BASIS_ZH.get(p.basis, p.basis)}口径 · 制表日期 {clock.today().isoformat()}"
        + (
            "<br><span class='provisional'>本年度尚未结束或截至日期早于年末，以下结果为暂定；年内数值未折算为全年。</span>"
            if provisional
            else ""
        )
        + "</p>"
    )
    if step is not None:
        step(2, "charts")
    body = (
        head
        + _facts(p)
        + _county_section(p, table)
        + _ranking_section(p)
        + _veto_section(p)
        + _map_section(p, table, units, boundaries, no_map_reason)
        + _checks_section(conn, p, table)
    )
    css = CSS % {
        "font": FONT_FAMILY,
        "accent": ACCENT,
        "header": HEADER_FILL,
        "title": _css_string(p.title),
    }
    document = (
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{_e(p.title)}</title>"
        f"<style>{css}</style></head><body>{body}</body></html>"
    )
    if step is not None:
        step(3, "pdf")
    return HTML(string=document).write_pdf()
