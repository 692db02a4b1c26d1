"""Reading real and hostile files: dates as spreadsheets write them, workbooks written by
LibreOffice and by programs, CSV encodings, zipped folders, and the size limits."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from queries.demo.county import build_demo
from queries.ingest.errors import ImportFailed
from queries.ingest.load import import_path
from queries.ingest.read import read_source
from queries.store.schema import births
from tests.ingest.test_import import COLUMNS, TODAY, assert_error, county, dump, fail, write

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def refused(path: Path) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        read_source(path)
    return info.value


def texts(exc: ImportFailed, lang: str = "en") -> list[str]:
    return [e.text(lang) for e in exc.errors]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- dates


def test_year_first_dates_import_in_every_form(engine, tmp_path):
    data = county()
    forms = ["2024-3-1", "2024/5/10", "2025/01/15", "2024年12月31日"]
    for row, written in zip(data["births"], forms, strict=True):
        row["birth_date"] = written
    data["deaths"][0]["death_date"] = "2024.2.2"
    import_path(engine, write(tmp_path / "dates", data), today=TODAY)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(births.c.birth_id, births.c.birth_date)).all())
    assert stored == {
        "B1": date(2024, 3, 1),
        "B2": date(2024, 5, 10),
        "B3": date(2025, 1, 15),
        "B4": date(2024, 12, 31),
    }


@pytest.mark.parametrize(
    "written", ["1/3/2024", "3/1/2024", "01.03.2024", "2024-3-1 0:00", "2024/3-1", "2024年3月1", "24-3-1"]
)
def test_dates_not_year_first_are_refused_naming_the_forms(engine, tmp_path, written):
    data = county()
    data["births"][1]["birth_date"] = written
    exc = fail(engine, write(tmp_path / "d", data))
    assert texts(exc) == [
        f"births.csv row 3, column birth_date: '{written}' is not a date; dates are written year first: "
        "YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日"
    ]
    assert texts(exc, "zh")[0].startswith(f"births.csv 第 3 行，birth_date 列：“{written}” 不是日期；")


# --------------------------------------------------------------------------- workbooks


def test_libreoffice_workbook_reads_ids_and_dates_as_a_person_sees_them():
    # LibreOffice turned the ids 0000000001… into numbers and the dates into date cells;
    # birth_order of row 3 is the formula =1+1 with its saved value
    frame = read_source(FIXTURES / "lo_births.xlsx")["births"]
    assert frame["birth_id"].tolist() == ["1", "2", "3", "4"]
    assert frame["birth_date"].tolist() == ["2024-03-01", "2024-05-10", "2025-01-15", "2024-12-31"]
    assert frame["birth_order"].tolist() == ["1", "2", "1", "3"]
    assert frame["unit_code"].tolist() == ["V1", "V2", "S1", "V3"]


def test_an_id_stored_as_a_number_with_lost_digits_is_refused():
    exc = refused(FIXTURES / "lo_long_id.xlsx")
    assert texts(exc) == [
        "sheet births row 3, column birth_id: '330781199001011000': the spreadsheet stored this id as a "
        "number and lost its last digits; format the column as text and re-export"
    ]


def test_an_error_cell_is_refused_naming_the_cell():
    exc = refused(FIXTURES / "lo_error.xlsx")
    assert texts(exc) == [
        "sheet births row 3, column birth_order: cell E3 shows the error '#DIV/0!'; "
        "correct the formula or type the value"
    ]


def _book(path: Path, rows: list[list], sheet: str = "migrants") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_a_formula_without_saved_value_is_refused_not_read_as_empty(tmp_path):
    # openpyxl, like most programs writing workbooks, saves a formula without computing it
    header = COLUMNS["migrants"]
    book = _book(
        tmp_path / "m.xlsx",
        [
            header,
            ["M1", "V1", "in", "F", "2023-05-01", None],
            ["M2", "V1", "in", "M", "2024-01-10", "=E3+30"],
        ],
    )
    exc = refused(book)
    assert texts(exc) == [
        "sheet migrants row 3, column departure_date: cell F3 holds a formula with no saved value (the file "
        "was written by a program that did not compute it); open it in Excel or LibreOffice, save it and "
        "import again"
    ]
    assert "单元格 F3 是公式，但没有保存计算结果" in texts(exc, "zh")[0]


def test_a_value_beyond_the_header_is_refused(tmp_path):
    header = COLUMNS["migrants"]
    book = _book(
        tmp_path / "m.xlsx",
        [
            header,
            ["M1", "V1", "in", "F", "2023-05-01", None],
            ["M2", "V1", "in", "M", "2024-01-10", None, None, "x"],
        ],
    )
    assert texts(refused(book)) == ["sheet migrants row 3: a value in column H, which has no header"]


def test_duplicate_headers_in_a_workbook_are_named_with_their_columns(tmp_path):
    header = [*COLUMNS["migrants"][:5], "sex"]
    book = _book(tmp_path / "m.xlsx", [header, ["M1", "V1", "in", "F", "2023-05-01", "F"]])
    assert texts(refused(book)) == ["sheet migrants: column 'sex' appears twice (columns D and F)"]


def test_a_workbook_from_a_program_reads_typed_cells_as_text(tmp_path):
    header = COLUMNS["births"]
    book = _book(
        tmp_path / "b.xlsx",
        [header, [1.0, 330781001201, date(2024, 3, 1), "M", 2.0, True, 1, 0]],
        sheet="births",
    )
    frame = read_source(book)["births"]
    assert frame.iloc[0].tolist() == ["1", "330781001201", "2024-03-01", "M", "2", "TRUE", "1", "0"]


def test_hidden_and_empty_sheets_not_named_after_a_table_are_ignored(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "births"
    ws.append(COLUMNS["births"])
    ws.append(["B1", "V1", "2024-03-01", "M", 1, 1, 1, 1])
    wb.create_sheet("Sheet1")
    hidden = wb.create_sheet("WpsReserved")
    hidden.append(["cell images"])
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "b.xlsx")
    assert list(read_source(tmp_path / "b.xlsx")) == ["births"]
    wb["Sheet1"].append(["a note"])
    wb.save(tmp_path / "b.xlsx")
    assert_error(refused(tmp_path / "b.xlsx"), "b.xlsx sheet Sheet1: ", "unknown sheet")


# --------------------------------------------------------------------------- CSV encodings


def _units_csv(folder: Path, names: list[str], encoding: str, bom: bytes = b"") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS["units"])
    w.writerow(["C", names[0], "county", ""])
    for i, name in enumerate(names[1:]):
        w.writerow([f"T{i}", name, "township", "C"])
    (folder / "units.csv").write_bytes(bom + out.getvalue().encode(encoding))
    return folder


def test_gbk_files_of_chinese_names_load_however_short(tmp_path):
    demo_names = build_demo(until=date(2025, 6, 30), years=1, villages=40)["units"]["name"].tolist()
    cases = [demo_names, ["王芳"], ["王喆", "李堃"], ["张伟", "刘洋", "陈静"]]
    for i, names in enumerate(cases):
        for encoding in ("gbk", "gb18030"):
            folder = _units_csv(tmp_path / f"{i}-{encoding}", names, encoding)
            assert read_source(folder)["units"]["name"].tolist() == names, (names, encoding)


@pytest.mark.parametrize(
    ("names", "encoding", "named"),
    [
        (["臺北市", "中正區", "大安區", "信義區", "士林區", "北投區"], "big5", "Big5 (traditional Chinese)"),
        (["山田太郎", "東京都渋谷区", "さくら", "大阪市"], "shift_jis", "Shift-JIS (Japanese)"),
        (["澄川市", "城关街道"], "utf-16", "UTF-16"),
    ],
)
def test_other_encodings_are_refused_named(tmp_path, names, encoding, named):
    exc = refused(_units_csv(tmp_path, names, encoding))
    assert texts(exc) == [
        f"units.csv: is {named} text; the import reads UTF-8 or GB18030/GBK only: save it again as UTF-8"
    ]


def test_a_utf8_mark_on_a_gbk_body_is_named(tmp_path):
    exc = refused(_units_csv(tmp_path, ["澄川市", "城关街道"], "gbk", bom=b"\xef\xbb\xbf"))
    assert texts(exc) == [
        "units.csv: starts with a UTF-8 mark but the text is GBK; save it again as UTF-8 or GBK"
    ]


def test_bytes_neither_utf8_nor_gb18030_are_refused_on_their_line(tmp_path):
    folder = _units_csv(tmp_path, ["澄川市", "城关街道", "胜利社区"], "utf-8")
    lines = (folder / "units.csv").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"T1", b"T\xff")
    (folder / "units.csv").write_bytes(b"\n".join(lines))
    assert texts(refused(folder)) == [
        "units.csv row 4: the text is neither UTF-8 nor GB18030/GBK from this line on; "
        "save the file again as UTF-8"
    ]


def test_an_unclosed_quote_is_refused_on_its_line(tmp_path):
    folder = write(tmp_path / "q", county())
    text = (folder / "births.csv").read_text().splitlines()
    text[2] = text[2].replace(",V2,", ',"V2,')
    (folder / "births.csv").write_text("\n".join(text) + "\n")
    assert texts(refused(folder)) == [
        'births.csv row 3: a cell opens a quote (") that is never closed; the rest of the file would be '
        "that one cell"
    ]


def test_duplicate_csv_columns_are_named_with_their_positions(tmp_path):
    folder = write(tmp_path / "dup", county())
    text = (folder / "births.csv").read_text().splitlines()
    text = [line + ("," + line.split(",")[3]) for line in text]  # sex again, as column I
    (folder / "births.csv").write_text("\n".join(text) + "\n")
    assert texts(refused(folder)) == ["births.csv: column 'sex' appears twice (columns D and I)"]


def test_empty_columns_after_the_header_are_dropped_and_a_value_there_refused(tmp_path):
    folder = write(tmp_path / "trail", county())
    text = [line + ",," for line in (folder / "births.csv").read_text().splitlines()]
    (folder / "births.csv").write_text("\n".join(text) + "\n")
    assert list(read_source(folder)["births"].columns) == COLUMNS["births"]
    text[2] += "late"
    (folder / "births.csv").write_text("\n".join(text) + "\n")
    assert texts(refused(folder)) == ["births.csv row 3: a value in column J, which has no header"]


# --------------------------------------------------------------------------- zipped folders


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _csv_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_a_zip_imports_like_its_folder(engine, tmp_path):
    folder = write(tmp_path / "base", county())
    import_path(engine, folder, today=TODAY)
    expected = dump(engine)
    # zipped on Windows: a folder inside, its Chinese name in GBK without the UTF-8 flag;
    # zipped on macOS: __MACOSX and hidden files beside
    members = {f"DIR___/{name}": data for name, data in _csv_bytes(folder).items()}
    members["__MACOSX/DIR___/._births.csv"] = b"\x00\x05\x16\x07"
    members["DIR___/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
    book = _zip(tmp_path / "export.zip", members)
    raw = book.read_bytes().replace(b"DIR___/", "武进区/".encode("gbk"))  # 6 bytes each
    book.write_bytes(raw)
    import_path(engine, book, today=TODAY)
    assert dump(engine) == expected
    frames = read_source(book)
    assert sorted(frames) == sorted(COLUMNS)


def test_a_zip_names_an_unknown_member_as_windows_wrote_it(tmp_path):
    folder = write(tmp_path / "base", county())
    members = {**_csv_bytes(folder), "NOTE__.txt": b"hello"}
    book = _zip(tmp_path / "export.zip", members)
    book.write_bytes(book.read_bytes().replace(b"NOTE__", "说明书".encode("gbk")))
    assert_error(refused(book), "说明书.txt: ", "unknown file")


@pytest.mark.parametrize(
    ("member", "text"),
    [
        ("../births.csv", "export.zip: holds '../births.csv', a name that points outside the archive"),
        ("/etc/births.csv", "export.zip: holds '/etc/births.csv', a name that points outside the archive"),
        ("inner.zip", "export.zip: holds 'inner.zip', an archive inside the archive"),
        ("other/births.csv", "export.zip: holds CSV files in several folders ((top level), other)"),
    ],
)
def test_zip_tricks_are_refused(tmp_path, member, text):
    folder = write(tmp_path / "base", county())
    members = _csv_bytes(folder)
    births_csv = members.pop("births.csv")
    inner = _zip(tmp_path / "inner.zip", {"births.csv": births_csv}).read_bytes()
    members[member] = inner if member.endswith(".zip") else births_csv
    exc = refused(_zip(tmp_path / "export.zip", members))
    assert any(t.startswith(text) for t in texts(exc)), texts(exc)


def test_a_zip_bomb_is_refused_at_once(tmp_path):
    bomb = tmp_path / "bomb.zip"
    block = b"0" * (1 << 20)
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("births.csv", "w") as fh,
    ):
        for _ in range(200):
            fh.write(block)
    assert bomb.stat().st_size < 1 << 20
    # Refused from the zip's directory (its declared sizes), before a byte is unpacked.
    exc = refused(bomb)
    assert texts(exc)[0].startswith("bomb.zip: 'births.csv' is compressed ")
    assert "more than 100× (setting import_max_ratio): not a spreadsheet export" in texts(exc)[0]


# --------------------------------------------------------------------------- limits


def test_limits_come_from_the_settings(tmp_path, monkeypatch):
    folder = write(tmp_path / "base", county())
    monkeypatch.setenv("POPDASH_IMPORT_MAX_ROWS", "3")
    assert texts(refused(folder)) == [
        f"{name}.csv: has {n} rows; the import takes up to 3 rows a file (setting import_max_rows)"
        for name, n in (("births", 4), ("population", 4), ("units", 8))  # those above 3, by name
    ]
    book = _book(tmp_path / "b.xlsx", [COLUMNS["births"], *[["B", "V1"]] * 5], sheet="births")
    assert texts(refused(book)) == [
        "sheet births: has 5 rows; the import takes up to 3 rows a file (setting import_max_rows)"
    ]
    monkeypatch.delenv("POPDASH_IMPORT_MAX_ROWS")
    monkeypatch.setenv("POPDASH_IMPORT_MAX_FILE_MB", "0.0002")  # 210 bytes: units and population are larger
    assert texts(refused(folder)) == [
        f"{name}.csv: is {size} bytes; the import takes files up to 210 bytes (setting import_max_file_mb)"
        for name, size in (("population", 229), ("units", 250))
    ]
    monkeypatch.delenv("POPDASH_IMPORT_MAX_FILE_MB")
    monkeypatch.setenv("POPDASH_IMPORT_MAX_UNPACKED_MB", "0.001")
    book = _zip(tmp_path / "export.zip", _csv_bytes(folder))
    size = sum(len(b) for b in _csv_bytes(folder).values())
    assert texts(refused(book)) == [
        f"export.zip: unpacks to {size:,} bytes; the import takes up to 1,049 bytes unpacked "
        "(setting import_max_unpacked_mb)"
    ]


def test_progress_hears_of_every_file(tmp_path):
    folder = write(tmp_path / "base", county())
    heard: list[tuple[int, int, str]] = []
    read_source(folder, progress=lambda done, total, step: heard.append((done, total, step)))
    assert heard[0] == (0, 9, "read births.csv")
    assert heard[-1] == (9, 9, "read")
    assert len(heard) == 10


def test_failed_read_changes_nothing(engine, tmp_path):
    folder = write(tmp_path / "base", county())
    (folder / "units.csv").write_bytes("code,name\nC,臺北市\n".encode("big5"))
    exc = fail(engine, folder)
    assert_error(exc, "units.csv: ", "Big5")
