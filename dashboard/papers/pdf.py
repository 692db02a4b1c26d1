"""The printable report: what the sections show, rendered through the Jinja2 templates under
``templates/`` (autoescaped, strict about undefined names) into HTML, laid out as PDF by
WeasyPrint. WeasyPrint finds Noto Sans CJK SC (Debian ``fonts-noto-cjk``) through fontconfig
and embeds the glyphs it uses; the map and the chart are ``charts``' PNG images.

Sections: the county summary, the township ranking, the veto list, the sex-ratio map and the
pre-pregnancy checks chart.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import jinja2
import pandas as pd

from dashboard.components.assessment_view import shortfall_name
from dashboard.i18n import t
from dashboard.papers import charts
from dashboard.papers.collect import LEVELS, Papers, ReportData
from dashboard.papers.style import ACCENT, FONT_FAMILY, HEADER_FILL, VETO_FILL, PapersError, font
from dashboard.papers.wording import (
    BASIS_ZH,
    BY_INTERVAL,
    CHECKS,
    LEVEL_ZH,
    SHEETS,
    causes,
    finite,
    fmt,
    interval,
    points,
    rank_change,
    veto_codes,
)
from queries.engine import registry
from queries.services.assessment import assessment_summary
from queries.store import clock
from queries.store.db import first_line

TEMPLATES = Path(__file__).parent / "templates"


class _JoinedLines(jinja2.FileSystemLoader):
    """HTML templates read as one line: each line trimmed and joined to the next, so the
    templates can be indented for the reader while the page gets no whitespace between tags
    (whitespace between inline boxes would print). Other templates (the CSS) are read as
    they are."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".html.j2"):
            source = "".join(line.strip() for line in source.splitlines())
        return source, filename, uptodate


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_JoinedLines(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals.update(font=FONT_FAMILY, accent=ACCENT, header_fill=HEADER_FILL, veto_fill=VETO_FILL)
    return env


def writer() -> Callable[[str], bytes]:
    """HTML → PDF bytes; fails with PapersError before any work when the font or WeasyPrint's
    libraries are missing."""
    font()
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the pango libraries are missing
        raise PapersError(f"cannot make PDF files here: {first_line(exc)}") from None
    return lambda document: HTML(string=document).write_pdf()


def html(p: Papers, data: ReportData, boundaries, no_map_reason: str) -> str:
    """The report as one HTML document. ``boundaries``: a GeoDataFrame (``code``, geometry;
    WGS84) or a ``geo.boundaries.BoundaryJoin``; without it the map's place holds a note."""
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=p.title,
            year=p.period.year,
            county=p.county,
            start=p.period.start.isoformat(),
            as_of=p.period.as_of.isoformat(),
            basis=BASIS_ZH.get(p.basis, p.basis),
            today=clock.today().isoformat(),
            provisional=p.period.is_provisional,
            facts=_facts(p),
            county_rows=_county_rows(p, data.table),
            towns=_ranking_rows(p, p.frames["township"]),
            villages=_ranking_rows(p, p.frames["village"]),
            vetoes=_vetoes(p),
            **_map(data, boundaries, no_map_reason),
            **_checks(p, data),
        )
    )


def _facts(p: Papers) -> list[dict]:
    facts = []
    for level in LEVELS:
        frame = p.frames[level]
        s = assessment_summary(frame)
        best = frame[~frame["vetoed"].astype(bool)].head(1)
        first = f"{best['name'].iloc[0]}（{points(best['total'].iloc[0])}分）" if len(best) else "—"
        facts.append(
            {
                "level": SHEETS[level],
                "units": s["units"],
                "vetoed": s["vetoed"],
                "mean": points(s["mean_score"]),
                "max_points": f"{s['max_points']:g}",
                "first": first,
            }
        )
    return facts


def _county_rows(p: Papers, table: pd.DataFrame) -> list[dict]:
    rows = []
    for r in table[table["unit_code"] == p.root].to_dict("records"):
        ind = registry.get(r["indicator"])
        if ind.source == "pending" and not finite(r["value"]):
            continue
        note = ""
        if r["indicator"] == BY_INTERVAL and finite(r["ci_low"]):
            note = f"95%区间 {interval(r['ci_low'], r['ci_high'])}"
        elif ind.kind == "count" and finite(r["expected"]) and not p.period.is_full_year:
            note = f"按时序应完成 {fmt(r['indicator'], r['expected'])}"
        rows.append(
            {
                "name": ind.name_zh,
                "value": fmt(r["indicator"], r["value"]),
                "target": fmt(r["indicator"], r["target"]),
                "verdict": registry.VERDICT.get(r["verdict"]),
                "note": note,
            }
        )
    return rows


def _ranking_rows(p: Papers, frame: pd.DataFrame) -> list[dict]:
    return [
        {
            "rank": int(r["rank"]),
            "name": r["name"],
            "town": p.names.get(r["parent_code"], ""),
            "total": points(r["total"]),
            "max_points": f"{float(r['max_points']):g}",
            "change": rank_change(r["rank_change"]),
            "vetoed": bool(r["vetoed"]),
            "causes": causes(r["veto_by"]),
        }
        for r in frame.to_dict("records")
    ]


def _vetoes(p: Papers) -> list[dict]:
    """Every vetoed unit with, per indicator that vetoed it, its value and why."""
    units = []
    for level in LEVELS:
        frame = p.frames[level]
        for r in frame[frame["vetoed"].astype(bool)].to_dict("records"):
            codes = veto_codes(r["veto_by"])
            if not codes:
                continue
            units.append(
                {
                    "name": r["name"],
                    "level": LEVEL_ZH.get(r["level"], r["level"]),
                    "town": p.names.get(r["parent_code"], "") if level == "village" else "",
                    "causes": [_veto_cause(p, level, r, code) for code in codes],
                }
            )
    return units


def _veto_cause(p: Papers, level: str, r: dict, code: str) -> dict:
    verdict = registry.VERDICT.get(r.get(f"{code}|verdict") or "no_data")
    note = verdict.name_zh if verdict else ""
    if code == BY_INTERVAL:
        note = f"95%区间 {interval(r.get(f'{code}|ci_low'), r.get(f'{code}|ci_high'))}，{note}"
    elif finite(r.get(f"{code}|shortfall")):
        # a count veto: the count it rests on, not the rate of a few births
        rule = p.rule(level, code)
        note = f"{shortfall_name(code, 'zh')} {int(r[f'{code}|shortfall'])} 例"
        if rule is not None and rule.veto_count_above is not None:
            note += f"，超过 {rule.veto_count_above} 例"
    return {
        "name": registry.get(code).name_zh,
        "value": fmt(code, r.get(f"{code}|value")),
        "target": fmt(code, r.get(f"{code}|target")),
        "note": note,
    }


def _map(data: ReportData, boundaries, no_map_reason: str) -> dict:
    table, units = data.table, data.units
    shapes = charts.boundary_frame(boundaries, units) if boundaries is not None else None
    image, note = None, ""
    if shapes is not None:
        image = charts.sex_ratio_map(shapes, table, units)
        note = t("mp_legend_note_sr", "zh")
        if getattr(boundaries, "source", "") == "demo":
            note += " " + t("mp_source_demo", "zh") + "。"
    sr = table[(table["indicator"] == BY_INTERVAL) & table["significance"].isin(["high", "low"])]
    sr = sr[sr["level"] != "county"].sort_values(["depth", "verdict", "unit_code"])
    significant = [
        {
            "name": r["name"],
            "level": LEVEL_ZH.get(r["level"], r["level"]),
            "births": f"{int((r['numerator'] or 0) + (r['denominator'] or 0)):,}",
            "value": fmt(BY_INTERVAL, r["value"]),
            "interval": interval(r["ci_low"], r["ci_high"]),
            "verdict": registry.VERDICT.get(r["verdict"], registry.VERDICT["no_data"]),
        }
        for r in sr.to_dict("records")
    ]
    return {
        "sex_ratio_map": image,
        "no_map_reason": no_map_reason or "没有提供行政区划边界数据，无法绘制地图。",
        "map_note": note,
        "significant": significant,
        "none_significant": t("mp_none_significant", "zh"),
    }


def _checks(p: Papers, data: ReportData) -> dict:
    table = data.table
    own = table[(table["unit_code"] == p.root) & (table["indicator"] == CHECKS)]
    target = float(own["target"].iloc[0]) if len(own) and finite(own["target"].iloc[0]) else None
    value = float(own["value"].iloc[0]) if len(own) and finite(own["value"].iloc[0]) else 0.0
    summary = f"截至 {p.period.as_of.isoformat()} 全县（市）累计完成 {value:,.0f} 对"
    if target:
        summary += f"，全年任务 {target:,.0f} 对，完成 {value / target:.1%}"
    towns = table[(table["indicator"] == CHECKS) & (table["level"] == "township")]
    rows = [
        {
            "name": r["name"],
            "value": fmt(CHECKS, r["value"]),
            "target": fmt(CHECKS, r["target"]),
            "share": f"{r['value'] / r['target']:.1%}" if finite(r["target"]) and r["target"] > 0 else "—",
            "verdict": registry.VERDICT.get(r["verdict"]),
        }
        for r in towns.to_dict("records")
    ]
    return {
        "checks_summary": summary,
        "checks_chart": charts.checks_chart(data.curves, target, p.period),
        "checks_rows": rows,
    }
