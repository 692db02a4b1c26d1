"""Targets management (queries.ingest.targets): the template's round trip changes exactly the
targets edited; bad cells are refused with the row numbers the spreadsheet shows; an empty
cell never deletes; deleting is explicit. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import math
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from queries.engine import registry
from queries.ingest.errors import ImportFailed
from queries.ingest.targets import (
    HEADERS,
    SHEET,
    TEMPLATE_COLUMNS,
    delete_targets,
    own_targets,
    preview_changes,
    read_template,
    save_targets,
    template_frame,
    template_xlsx,
)
from queries.store.schema import targets
from tests.factory import County

Y = 2024
TODAY = date(2025, 3, 1)
STORED = {
    ("C", "birth_rate"): 5.5,
    ("C", "policy_compliance_rate"): 92.0,
    ("T1", "policy_compliance_rate"): 99.0,
    ("T2", "prepregnancy_checks"): 30.0,
    ("V11", "prepregnancy_checks"): 20.0,
    ("V12", "prepregnancy_checks"): 15.0,
}
UNITS = ["C", "T1", "V11", "V12", "T2", "V21"]  # the template's order: each township, then its villages


def county(conn) -> County:
    c = County(conn).units(
        ("C", "县", "county", None),
        ("T1", "城关镇", "township", "C"),
        ("T2", "河西乡", "township", "C"),
        ("V11", "东村", "village", "T1"),
        ("V12", "西村", "village", "T1"),
        ("V21", "南社区", "community", "T2"),
    )
    for (unit, code), value in STORED.items():
        c.target(Y, unit, code, value)
    c.target(Y - 1, "C", "birth_rate", 6.0)  # another year: never touched
    return c


def stored(conn) -> dict[tuple[int, str, str], float]:
    rows = conn.execute(select(targets.c.year, targets.c.unit_code, targets.c.indicator, targets.c.target))
    return {(y, u, i): float(v) for y, u, i, v in rows}


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def find_row(ws, unit: str, code: str) -> int:
    for row in ws.iter_rows(min_row=2):
        if row[1].value == unit and row[4].value == code:
            return row[0].row
    raise AssertionError((unit, code))


def target_cell(ws, unit: str, code: str):
    return ws.cell(row=find_row(ws, unit, code), column=TEMPLATE_COLUMNS.index("目标值") + 1)


def saved(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_lists_every_unit_and_indicator_with_own_targets(engine):
    with engine.begin() as conn:
        county(conn)
        frame = template_frame(conn, "C", Y)
    assert list(frame.columns) == list(TEMPLATE_COLUMNS)
    assert len(frame) == len(UNITS) * len(registry.CODES)
    assert list(frame["单位代码"].drop_duplicates()) == UNITS
    assert set(frame["年度"]) == {Y}
    own = frame.dropna(subset=["目标值"]).set_index(["单位代码", "指标代码"])["目标值"].to_dict()
    assert own == STORED
    fall = frame.set_index(["单位代码", "指标代码"])["留空时沿用"]
    assert fall[("V11", "policy_compliance_rate")] == 99.0  # a rate: the parent's
    assert fall[("V21", "policy_compliance_rate")] == 92.0  # the county's, through T2
    assert fall[("T1", "prepregnancy_checks")] == 35.0  # a count: the children's sum
    assert math.isnan(fall[("V11", "prepregnancy_checks")])  # a village has no children
    assert math.isnan(fall[("C", "birth_rate")])  # nothing above the county
    first = frame.iloc[0]
    assert (first["单位名称"], first["层级"], first["指标名称"]) == ("县", "县（市）", "人口出生率")


def test_template_xlsx_has_chinese_headers(engine):
    with engine.begin() as conn:
        county(conn)
        data = template_xlsx(conn, "C", Y)
    wb = workbook(data)
    ws = wb[SHEET]
    assert [c.value for c in ws[1]] == list(TEMPLATE_COLUMNS)
    assert {"年度", "单位代码", "单位名称", "层级", "指标代码", "指标名称", "目标值"} <= set(TEMPLATE_COLUMNS)
    assert ws.max_row == 1 + len(UNITS) * len(registry.CODES)
    assert target_cell(ws, "T1", "policy_compliance_rate").value == 99
    assert target_cell(ws, "T1", "birth_rate").value is None
    assert ws.freeze_panes == "A2"


def test_unchanged_template_changes_nothing(engine):
    with engine.begin() as conn:
        county(conn)
        data = template_xlsx(conn, "C", Y)
        frame = read_template(data)
        preview = preview_changes(conn, frame, today=TODAY)
    assert set(preview["change"]) == {"unchanged"}
    assert len(preview) == len(STORED)
    report = save_targets(engine, frame, today=TODAY)
    assert report.total == 0


def test_round_trip_changes_exactly_the_two_cells_edited(engine):
    with engine.begin() as conn:
        county(conn)
        before = stored(conn)
        data = template_xlsx(conn, "C", Y)
    wb = workbook(data)
    ws = wb[SHEET]
    changed = target_cell(ws, "V12", "prepregnancy_checks")
    changed.value = 18
    added = target_cell(ws, "V21", "birth_rate")
    added.value = 6.5
    frame = read_template(saved(wb), "目标模板_C.xlsx")

    with engine.connect() as conn:
        preview = preview_changes(conn, frame, today=TODAY)
    moves = preview[preview["change"] != "unchanged"].set_index("row")
    assert sorted(moves.index) == sorted([changed.row, added.row])  # the rows Excel shows
    assert moves.loc[changed.row, ["unit_code", "indicator", "change"]].tolist() == [
        "V12",
        "prepregnancy_checks",
        "changed",
    ]
    assert (moves.loc[changed.row, "old"], moves.loc[changed.row, "new"]) == (15.0, 18.0)
    assert moves.loc[added.row, ["unit_code", "indicator", "change"]].tolist() == [
        "V21",
        "birth_rate",
        "added",
    ]
    assert math.isnan(moves.loc[added.row, "old"]) and moves.loc[added.row, "new"] == 6.5
    assert moves.loc[added.row, "name"] == "南社区" and moves.loc[added.row, "level"] == "community"

    report = save_targets(engine, frame, today=TODAY)
    assert report.total == 2
    with engine.connect() as conn:
        after = stored(conn)
    expected = dict(before)
    expected[(Y, "V12", "prepregnancy_checks")] = 18.0
    expected[(Y, "V21", "birth_rate")] = 6.5
    assert after == expected


def test_bad_values_are_refused_with_the_spreadsheet_row(engine):
    with engine.begin() as conn:
        county(conn)
        before = stored(conn)
        data = template_xlsx(conn, "C", Y)
    wb = workbook(data)
    ws = wb[SHEET]
    bad = target_cell(ws, "V11", "birth_rate")
    bad.value = "abc"
    negative = target_cell(ws, "T2", "knowledge_rate")
    negative.value = -3
    fine = target_cell(ws, "V12", "prepregnancy_checks")
    fine.value = 99  # a good edit in a bad file: nothing is saved
    frame = read_template(saved(wb), "目标.xlsx")
    with engine.connect() as conn, pytest.raises(ImportFailed) as info:
        preview_changes(conn, frame, today=TODAY)
    errors = {(e.row, e.column): e for e in info.value.errors}
    assert set(errors) == {(bad.row, "目标值"), (negative.row, "目标值")}
    assert (
        str(errors[(bad.row, "目标值")]) == f"目标.xlsx row {bad.row}, column 目标值: 'abc' is not a number"
    )
    assert "negative" in errors[(negative.row, "目标值")].reason
    with pytest.raises(ImportFailed):
        save_targets(engine, frame, today=TODAY)
    with engine.connect() as conn:
        assert stored(conn) == before


def test_unknown_unit_duplicate_rows_and_unknown_indicator_name_their_rows(engine):
    with engine.begin() as conn:
        county(conn)
        data = template_xlsx(conn, "C", Y)
    wb = workbook(data)
    ws = wb[SHEET]
    last = ws.max_row
    ws.append([Y, "NOPE", "", "", "birth_rate", "", 5])  # row last + 1
    ws.append([Y, "V11", "", "", "birth_rate", "", 5])  # row last + 2
    ws.append([Y, "V11", "", "", "birth_rate", "", 6])  # row last + 3: a duplicate
    ws.append([Y, "V11", "", "", "birthrate", "", 6])  # row last + 4
    frame = read_template(saved(wb))
    with engine.connect() as conn, pytest.raises(ImportFailed) as info:
        preview_changes(conn, frame, today=TODAY)
    by_row = {e.row: e for e in info.value.errors}
    assert set(by_row) == {last + 1, last + 2, last + 3, last + 4}
    assert by_row[last + 1].column == "单位代码" and "unknown unit_code 'NOPE'" in by_row[last + 1].reason
    assert by_row[last + 2].column == "年度, 单位代码, 指标代码"
    assert f"also on row {last + 3}" in by_row[last + 2].reason
    assert by_row[last + 4].column == "指标代码"


def test_an_empty_cell_keeps_the_stored_target(engine):
    with engine.begin() as conn:
        county(conn)
        before = stored(conn)
        data = template_xlsx(conn, "C", Y)
    wb = workbook(data)
    ws = wb[SHEET]
    cleared = target_cell(ws, "T1", "policy_compliance_rate")
    cleared.value = None
    frame = read_template(saved(wb))
    with engine.connect() as conn:
        preview = preview_changes(conn, frame, today=TODAY)
    kept = preview[preview["change"] == "kept"]
    assert kept["row"].tolist() == [cleared.row]
    assert kept["old"].tolist() == [99.0] and kept["new"].isna().all()
    assert not preview["change"].isin(["added", "changed"]).any()
    save_targets(engine, frame, today=TODAY)
    with engine.connect() as conn:
        assert stored(conn) == before


def test_percent_cells_mean_the_number_shown(engine):
    with engine.begin() as conn:
        county(conn)
        data = template_xlsx(conn, "C", Y)
    wb = workbook(data)
    ws = wb[SHEET]
    shown_pct = target_cell(ws, "T2", "satisfaction_rate")
    shown_pct.value = 0.955
    shown_pct.number_format = "0.0%"
    typed = target_cell(ws, "C", "policy_compliance_rate")
    typed.value = "93%"
    frame = read_template(saved(wb))
    with engine.connect() as conn:
        preview = preview_changes(conn, frame, today=TODAY).set_index("row")
    assert preview.loc[shown_pct.row, "new"] == pytest.approx(95.5)
    assert preview.loc[typed.row, "new"] == 93.0 and preview.loc[typed.row, "change"] == "changed"


def test_headers_are_checked():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["年度", "单位代码", "指标代码", "目标", "备注"])
    ws.append([Y, "C", "birth_rate", 5, "x"])
    with pytest.raises(ImportFailed) as info:
        read_template(saved(wb), "t.xlsx")
    reasons = {(e.row, e.column): e.reason for e in info.value.errors}
    assert reasons[(1, "目标")].startswith("unknown column '目标'")
    assert reasons[(1, "备注")].startswith("unknown column '备注'")
    assert reasons[(1, "目标值")] == "missing column"
    with pytest.raises(ImportFailed, match="not a readable .xlsx workbook"):
        read_template(b"not a workbook", "t.xlsx")


def test_read_template_keeps_the_spreadsheet_rows():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADERS.values()))
    ws.append([Y, "C", "birth_rate", 5])
    ws.append([])  # a blank row 3
    ws.cell(row=4, column=1, value=Y)
    ws.cell(row=4, column=2, value="T1")
    ws.cell(row=4, column=3, value="birth_rate")
    ws.cell(row=4, column=4, value=5.25)
    frame = read_template(saved(wb))
    assert list(frame.columns) == ["year", "unit_code", "indicator", "target"]
    assert frame.loc[2].tolist() == [str(Y), "T1", "birth_rate", "5.25"]  # row 4 = index 2
    assert frame.loc[1].tolist() == ["", "", "", ""]


def test_delete_is_explicit_and_exact(engine):
    with engine.begin() as conn:
        county(conn)
        before = stored(conn)
        own = own_targets(conn, "T1", Y)
    assert own[["unit_code", "indicator"]].values.tolist() == [
        ["T1", "policy_compliance_rate"],
        ["V11", "prepregnancy_checks"],
        ["V12", "prepregnancy_checks"],
    ]
    assert delete_targets(engine, Y, [("V11", "prepregnancy_checks"), ("T1", "policy_compliance_rate")]) == 2
    with engine.connect() as conn:
        after = stored(conn)
    expected = {
        k: v
        for k, v in before.items()
        if k[1:] not in {("V11", "prepregnancy_checks"), ("T1", "policy_compliance_rate")} or k[0] != Y
    }
    assert after == expected
    # a change like any other: in the history, by kind and count, no unit named
    from queries.ingest.history import history

    with engine.connect() as conn:
        latest = history(conn, limit=1).iloc[0]
    assert (latest["kind"], latest["result"], latest["file_name"]) == ("deletion", "imported", f"targets {Y}")
    assert latest["rows_replaced"] == {"targets": 2}
    assert delete_targets(engine, Y, []) == 0


def test_a_zip_bomb_uploaded_as_a_template_is_refused_before_it_is_unpacked():
    import zipfile

    from queries.ingest.targets import read_template

    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("xl/worksheets/sheet1.xml", "w") as fh,
    ):
        for _ in range(300):
            fh.write(b"0" * (1 << 20))
    assert len(buf.getvalue()) < 1 << 20
    with pytest.raises(ImportFailed) as info:
        read_template(buf.getvalue(), "目标.xlsx")
    assert str(info.value).startswith("目标.xlsx: 'xl/worksheets/sheet1.xml' is compressed ")
    assert "(setting import_max_ratio)" in str(info.value)
