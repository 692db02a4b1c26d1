"""The year-end assessment papers: the workbook re-read with openpyxl, the PDF turned into
text, fonts and page images with poppler, and ``python -m dashboard report`` end to end.

The page images go to test-output/papers/ so a person can look at them.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.papers import charts
from dashboard.papers.collect import LEVELS
from dashboard.papers.make import assessment_pdf, assessment_workbook, file_names
from dashboard.papers.wording import SHEETS
from queries.demo.county import COUNTY_CODE, COUNTY_NAME, create_demo
from queries.engine import registry
from queries.engine.indicators import compute, county_code
from queries.engine.period import make_period
from queries.services.assessment import assess, load_rules
from queries.services.catalogue import units_frame
from queries.store import clock
from queries.store.config import REPO_ROOT
from queries.store.db import make_engine

YEAR = 2025
SHOTS = REPO_ROOT / "test-output" / "papers"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install Debian's poppler-utils (bash .ci/run does)", pytrace=False)
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('papers') / 'demo.db'}"
    create_demo(
        make_engine(url), villages=40, communities=4, townships=4, years=3, until=date(2025, 11, 15), seed=7
    )
    return url


@pytest.fixture(scope="module")
def frames(demo_url):
    rules = load_rules()
    with make_engine(demo_url).connect() as conn:
        return {level: assess(conn, COUNTY_CODE, YEAR, level, rules) for level in LEVELS}


@pytest.fixture(scope="module")
def report(demo_url, tmp_path_factory):
    """The real command line, once: ``python -m dashboard report`` into a fresh folder."""
    out = tmp_path_factory.mktemp("papers-out")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPDASH_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "report",
            "--year",
            str(YEAR),
            "--db",
            demo_url,
            "--out",
            str(out),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return out, done


# --------------------------------------------------------------------------- command line


def test_cli_writes_both_files_and_prints_their_paths(report):
    out, done = report
    xlsx, pdf = (out / name for name in file_names(YEAR))
    assert xlsx.name == "考核_2025.xlsx" and pdf.name == "考核_2025.pdf"
    assert xlsx.stat().st_size > 0 and pdf.read_bytes().startswith(b"%PDF")
    assert done.stdout.splitlines() == [str(xlsx), str(pdf)]
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--year", "1800"], "out of range"),
        (["--year", "2099"], "no data for 2099"),
        (["--year", "2025", "--as-of", "2024-05-01"], "not in the year"),
        (["--year", "2025", "--rules", "no/such/rules.toml"], "does not exist"),
    ],
)
def test_cli_bad_input_is_one_line_and_non_zero(demo_url, tmp_path, capsys, args, words):
    code = main(["report", *args, "--db", demo_url, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:") and words in err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- workbook


@pytest.fixture(scope="module")
def workbook(report):
    out, _ = report
    return openpyxl.load_workbook(out / file_names(YEAR)[0])


def _columns(ws) -> dict[tuple[str, str], int]:
    """(group header, sub header) → column number; fixed columns have sub header ''."""
    cols, group = {}, ""
    for cell in ws[1]:
        group = cell.value if cell.value is not None else group
        sub = ws.cell(2, cell.column).value
        cols[(group, sub or "")] = cell.column
    return cols


def _indicator_column(ws, code: str, part: str) -> int:
    name = registry.get(code).name_zh
    hits = [c for (g, s), c in _columns(ws).items() if g.startswith(name) and s == part]
    assert len(hits) == 1, (code, part, _columns(ws))
    return hits[0]


def test_workbook_sheets_and_chinese_headers(workbook):
    assert workbook.sheetnames == ["乡镇（街道）", "村（社区）"]
    for ws in workbook:
        heads = [c.value for c in ws[1] if c.value]
        for word in ("排名", "单位名称", "总分", "满分", "一票否决", "否决原因", "名次变化"):
            assert word in heads
        assert any(h.startswith("政策符合率") for h in heads)
        assert {"实际值", "目标值", "得分"} <= {c.value for c in ws[2]}
    assert "所属乡镇（街道）" in [c.value for c in workbook["村（社区）"][1]]


def test_workbook_numbers_are_the_assessment(workbook, frames):
    for level, sheet in SHEETS.items():
        ws, frame = workbook[sheet], frames[level]
        cols = _columns(ws)
        assert ws.max_row == len(frame) + 2
        top = frame.iloc[0]
        assert ws.cell(3, cols[("排名", "")]).value == 1 == top["rank"]
        assert ws.cell(3, cols[("单位名称", "")]).value == top["name"]
        assert ws.cell(3, cols[("总分", "")]).value == pytest.approx(top["total"])
        for i, row in enumerate(frame.to_dict("records")):
            r = i + 3
            assert ws.cell(r, cols[("单位代码", "")]).value == row["unit_code"]
            assert ws.cell(r, cols[("总分", "")]).value == pytest.approx(row["total"])
            code = "policy_compliance_rate"
            value, expected = ws.cell(r, _indicator_column(ws, code, "实际值")).value, row[f"{code}|value"]
            if pd.isna(expected):
                assert value == "—"
            else:
                assert value == pytest.approx(expected)
            assert ws.cell(r, _indicator_column(ws, code, "得分")).value == pytest.approx(
                row[f"{code}|score"]
            )


def test_workbook_flags_a_vetoed_unit_with_its_cause(workbook, frames):
    frame = frames["village"]
    vetoed = frame[frame["vetoed"]]
    assert len(vetoed), "the demo county should have a vetoed village"
    ws = workbook["村（社区）"]
    cols = _columns(ws)
    rows = {ws.cell(r, cols[("单位代码", "")]).value: r for r in range(3, ws.max_row + 1)}
    for unit in vetoed.to_dict("records"):
        r = rows[unit["unit_code"]]
        flag = ws.cell(r, cols[("一票否决", "")])
        assert flag.value == "是"
        assert flag.fill.fgColor.rgb.endswith(registry.STATUS["not_met"].background.lstrip("#"))
        cause = ws.cell(r, cols[("否决原因", "")]).value
        assert cause == "、".join(registry.get(c).name_zh for c in unit["veto_by"].split(","))
    passed = frame[~frame["vetoed"]].iloc[0]
    assert ws.cell(rows[passed["unit_code"]], cols[("一票否决", "")]).value == "否"
    # a unit vetoed by the sex ratio shows its interval
    sr = frame[frame["veto_by"].str.contains("sex_ratio_at_birth")]
    if len(sr):
        r = rows[sr.iloc[0]["unit_code"]]
        text = ws.cell(r, _indicator_column(ws, "sex_ratio_at_birth", "95%区间")).value
        assert "–" in text


def test_workbook_value_cells_are_filled_with_the_verdicts_colour(workbook, frames):
    seen = set()
    for level, sheet in SHEETS.items():
        ws, frame = workbook[sheet], frames[level]
        codes = [c[: -len("|verdict")] for c in frame.columns if c.endswith("|verdict")]
        for code in codes:
            col = _indicator_column(ws, code, "实际值")
            for i, status in enumerate(frame[f"{code}|verdict"]):
                fill = ws.cell(i + 3, col).fill
                assert fill.fill_type == "solid"
                assert fill.fgColor.rgb.upper().endswith(
                    registry.VERDICT[status].background.lstrip("#").upper()
                )
                seen.add(status)
    assert {"met", "not_met"} <= seen


def test_workbook_header_frozen_and_ready_to_print(workbook):
    for ws in workbook:
        assert ws.freeze_panes in ("D3", "E3")  # both header rows, and rank, code and name
        assert ws.print_title_rows == "$1:$2"
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # None is the default, 1
        assert ws.page_setup.fitToHeight == 0  # as many pages tall as it takes
        assert "年终考核" in ws.oddHeader.center.text


# --------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf(report):
    out, _ = report
    return out / file_names(YEAR)[1]


def test_pdf_pages_render_and_are_kept_for_a_look(pdf, tmp_path):
    _run(_tool("pdftoppm"), "-r", "60", "-png", str(pdf), str(tmp_path / "page"))
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("page-*.png"):
        old.unlink()
    for page in pages:
        shutil.copy(page, SHOTS / page.name)


def test_pdf_embeds_a_cjk_font_and_nothing_unembedded(pdf):
    lines = _run(_tool("pdffonts"), str(pdf)).splitlines()[2:]
    assert lines
    cjk = [line for line in lines if "CJK" in line]
    assert cjk, lines
    for line in lines:  # name type [type] encoding emb sub uni object gen
        emb, sub, uni = line.split()[-5:-2]
        assert emb == "yes", line
        assert uni == "yes", line  # every glyph maps back to its character


def test_pdf_text_has_the_chinese_it_was_given(pdf, frames):
    text = _run(_tool("pdftotext"), "-layout", str(pdf), "-")
    for words in ("年终考核", COUNTY_NAME, "全县（市）指标完成情况", "乡镇（街道）考核排名", "一票否决名单"):
        assert words in text
    assert "出生人口性别比分布图" in text and "免费孕前优生健康检查完成进度" in text
    for name in frames["township"]["name"]:
        assert name in text
    vetoed = frames["village"][frames["village"]["vetoed"]]
    assert vetoed.iloc[0]["name"] in text
    assert "\ufffd" not in text  # no replacement characters


def test_provisional_papers_without_boundaries(demo_url, tmp_path):
    rules = load_rules()
    with make_engine(demo_url).connect() as conn:
        data = assessment_pdf(conn, COUNTY_CODE, YEAR, rules, as_of=date(2025, 6, 30))
        book = assessment_workbook(conn, COUNTY_CODE, YEAR, rules, as_of="2025-06-30")
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    text = _run(_tool("pdftotext"), str(path), "-")
    assert "地图从略" in text  # a clear note where the map would be
    assert "暂定" in text and "2025-06-30" in text
    (tmp_path / "b.xlsx").write_bytes(book)
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert "暂定" in wb["乡镇（街道）"].oddHeader.center.text


def test_papers_say_in_chinese_why_a_boundary_file_gives_no_map(demo_url, tmp_path, monkeypatch):
    from dashboard.papers.make import default_boundaries

    broken = tmp_path / "村界.zip"
    broken.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: no Shapefile inside
    monkeypatch.setenv("POPDASH_BOUNDARIES", str(broken))
    with make_engine(demo_url).connect() as conn:
        boundaries, why = default_boundaries(conn)
    assert boundaries is None
    assert (
        why
        == "地图无法显示：边界文件 村界.zip：无法作为 GeoJSON、GeoPackage 或 Shapefile 读取，文件可能已损坏。其他页面不受影响。"
    )


def test_map_outlines_high_and_low_units_from_village_boundaries_alone(demo_url):
    """Half a year in, the demo county has significantly high and low villages; boundaries
    of villages only (no township shapes) still give the township panel, from their union."""
    from geo.demo import demo_boundaries

    with make_engine(demo_url).connect() as conn:
        units = units_frame(conn)
        table = compute(conn, COUNTY_CODE, make_period(YEAR, date(2025, 6, 30)))
    assert {"high", "low"} <= set(table["significance"].dropna())
    villages = demo_boundaries(units)
    assert set(villages["level"]) <= {"village", "community"}
    url = charts.sex_ratio_map(charts.boundary_frame(villages, units), table, units)
    png = base64.b64decode(url.split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "map-2025-06-30.png").write_bytes(png)


def test_papers_for_the_running_year_are_provisional_and_dated_today(demo_copy, monkeypatch):
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2025, 11, 20, 2, 0, tzinfo=UTC))
    engine = make_engine(demo_copy)
    try:
        with engine.connect() as conn:
            book = assessment_workbook(conn, county_code(conn), 2025, load_rules(None))
    finally:
        engine.dispose()
    ws = openpyxl.load_workbook(io.BytesIO(book))[SHEETS["township"]]
    assert "暂定" in ws.oddHeader.center.text
    assert "截至 2025-11-20" in ws.oddFooter.left.text
