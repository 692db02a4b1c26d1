"""The import promises of interchange.md: every bad row named, all or nothing, idempotent."""

from __future__ import annotations

import copy
import csv
import itertools
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text

from queries.ingest import effect as effects
from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.load import ImportReport, import_frames, import_path
from queries.ingest.read import read_source
from queries.store.schema import BOOKKEEPING_TABLES, DATA_TABLES, births, metadata, unit_ancestors, units

TODAY = date(2025, 6, 30)

COLUMNS = {
    "units": ["code", "name", "level", "parent_code"],
    "population": [
        "year",
        "unit_code",
        "registered_population",
        "resident_population",
        "women_15_49",
        "married_women_15_49",
        "eligible_couples",
    ],
    "births": [
        "birth_id",
        "unit_code",
        "birth_date",
        "sex",
        "birth_order",
        "in_policy",
        "registered",
        "resident",
    ],
    "deaths": ["death_id", "unit_code", "death_date", "sex", "age", "registered", "resident"],
    "prepregnancy_checks": ["check_id", "unit_code", "couple_id", "check_date", "risk"],
    "migrants": ["migrant_id", "unit_code", "direction", "sex", "arrival_date", "departure_date"],
    "migrant_services": ["service_id", "migrant_id", "service_date", "service"],
    "targets": ["year", "unit_code", "indicator", "target"],
    "reported": ["year", "unit_code", "indicator", "numerator", "denominator"],
}


def _rows(table: str, *rows: str) -> list[dict[str, str]]:
    return [dict(zip(COLUMNS[table], r.split(","), strict=True)) for r in rows]


def county() -> dict[str, list[dict[str, str]]]:
    """A valid little county: 1 county, 2 townships, 4 villages, 1 community, a few rows of every file."""
    return {
        "units": _rows(
            "units",
            "C,Demo County,county,",
            "T1,East Town,township,C",
            "T2,West Town,township,C",
            "V1,Apricot Village,village,T1",
            "V2,Birch Village,village,T1",
            "V3,Cedar Village,village,T2",
            "V4,Date Village,village,T2",
            "S1,Elm Community,community,T2",
        ),
        "population": _rows(
            "population",
            "2023,V1,1200,1100,300,250,200",
            "2024,V1,1210,1105,305,252,203",
            "2024,V2,900,850,220,180,150",
            "2024,S1,2500,2800,700,600,480",
        ),
        "births": _rows(
            "births",
            "B1,V1,2024-03-01,M,1,1,1,1",
            "B2,V2,2024-05-10,F,2,1,1,0",
            "B3,S1,2025-01-15,M,1,1,0,1",
            "B4,V3,2024-12-31,F,3,0,1,1",
        ),
        "deaths": _rows(
            "deaths",
            "D1,V1,2024-02-02,M,80,1,1",
            "D2,V4,2024-07-07,F,75,1,0",
            "D3,S1,2025-03-03,M,60,0,1",
        ),
        "prepregnancy_checks": _rows(
            "prepregnancy_checks",
            "K1,V1,CP1,2024-04-04,low",
            "K2,V2,CP2,2024-06-06,",
            "K3,S1,CP3,2025-02-02,high",
        ),
        "migrants": _rows(
            "migrants",
            "M1,V1,in,F,2023-05-01,",
            "M2,S1,in,M,2024-01-10,2024-09-30",
            "M3,V3,out,M,2022-02-02,",
        ),
        "migrant_services": _rows(
            "migrant_services",
            "SV1,M1,2024-02-02,file",
            "SV2,M1,2024-08-08,checkup",
            "SV3,M2,2024-03-03,certificate",
        ),
        "targets": _rows(
            "targets",
            "2024,C,birth_rate,5.5",
            "2024,T1,policy_compliance_rate,92",
            "2026,V1,prepregnancy_checks,40",
        ),
        "reported": _rows(
            "reported",
            "2024,V1,satisfaction_rate,90,100",
            "2024,S1,knowledge_rate,45,50",
        ),
    }


def write(folder: Path, data: dict[str, list[dict]], encoding: str = "utf-8", **encodings: str) -> Path:
    """Write ``data`` as ``<table>.csv`` files; columns come from the first row (or COLUMNS)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in data.items():
        columns = list(rows[0]) if rows else COLUMNS.get(table, ["x"])
        with open(folder / f"{table}.csv", "w", newline="", encoding=encodings.get(table, encoding)) as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            w.writerows(rows)
    return folder


def frames_of(data: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame(rows, columns=COLUMNS[t], dtype=str) for t, rows in data.items()}


def dump(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            t.name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr)
            for t in metadata.sorted_tables
            if t.name not in BOOKKEEPING_TABLES  # a new version and history row with every import
        }


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def wipe(engine) -> None:
    with engine.begin() as conn:
        for t in reversed(metadata.sorted_tables):
            conn.execute(delete(t))


def fail(engine, folder: Path, *, preload: Path | None = None) -> ImportFailed:
    """Import ``folder`` expecting failure; the database must be exactly as before."""
    if preload is not None:
        import_path(engine, preload, today=TODAY)
    before = dump(engine)
    with pytest.raises(ImportFailed) as info:
        import_path(engine, folder, today=TODAY)
    assert dump(engine) == before
    assert "\n" not in str(info.value)
    return info.value


def assert_error(exc: ImportFailed, text: str, *fragments: str) -> None:
    """Some error's text starts with ``text`` (file, row, column) and contains every fragment."""
    messages = [str(e) for e in exc.errors]
    hits = [m for m in messages if m.startswith(text) and all(f in m for f in fragments)]
    assert hits, f"no error like {text!r} {fragments}; got:\n" + "\n".join(messages)


@pytest.fixture
def base(tmp_path) -> Path:
    return write(tmp_path / "base", county())


def bad_case(tmp_path, base, engine, mutate) -> ImportFailed:
    data = county()
    mutate(data)
    return fail(engine, write(tmp_path / "bad", data), preload=base)


# --------------------------------------------------------------------------- valid imports


def test_valid_folder_imports(engine, base):
    report = import_path(engine, base, today=TODAY)
    expected = {f"{t}.csv": len(rows) for t, rows in county().items()}
    assert report == ImportReport(rows=expected)
    for table in DATA_TABLES:
        assert count(engine, table) == len(county()[table.name]), table.name
    assert report.summary() == (
        f"imported 33 rows from {base}: units.csv 8, population.csv 4, births.csv 4, deaths.csv 3, "
        "prepregnancy_checks.csv 3, migrants.csv 3, migrant_services.csv 3, targets.csv 3, reported.csv 2"
    )
    with engine.connect() as conn:
        # closure: every unit its own ancestor, villages 2 below the county
        assert conn.execute(select(func.count()).select_from(unit_ancestors)).scalar_one() == 8 + 7 + 5
        row = conn.execute(select(births).where(births.c.birth_id == "B2")).one()
        assert row.birth_date == date(2024, 5, 10) and row.birth_order == 2 and row.resident == 0
        check = conn.execute(
            select(metadata.tables["prepregnancy_checks"]).where(
                metadata.tables["prepregnancy_checks"].c.check_id == "K2"
            )
        ).one()
        assert check.risk is None
        assert conn.execute(select(units.c.parent_code).where(units.c.code == "C")).scalar_one() is None
        m1 = conn.execute(
            select(metadata.tables["migrants"]).where(metadata.tables["migrants"].c.migrant_id == "M1")
        ).one()
        assert m1.departure_date is None


def test_importing_twice_changes_nothing(engine, base):
    import_path(engine, base, today=TODAY)
    once = dump(engine)
    import_path(engine, base, today=TODAY)
    assert dump(engine) == once


def test_gb18030_units_with_chinese_names(engine, tmp_path):
    data = county()
    names = ["示范县", "东城镇", "西城镇", "杏花村", "白桦村", "雪松村", "枣林村", "榆树社区"]
    for row, name in zip(data["units"], names, strict=True):
        row["name"] = name
    folder = write(tmp_path / "gbk", data, units="gb18030")
    with pytest.raises(UnicodeDecodeError):
        (folder / "units.csv").read_bytes().decode("utf-8")
    import_path(engine, folder, today=TODAY)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(units.c.code, units.c.name)).all())
    assert [stored[r["code"]] for r in data["units"]] == names


def test_utf8_with_bom_loads(engine, tmp_path):
    folder = write(tmp_path / "bom", county(), encoding="utf-8-sig")
    assert (folder / "births.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    import_path(engine, folder, today=TODAY)
    assert count(engine, births) == 4


def test_codes_keep_leading_zeros(engine, tmp_path):
    data = county()
    data["births"][0]["birth_id"] = "007"
    import_path(engine, write(tmp_path / "z", data), today=TODAY)
    with engine.connect() as conn:
        assert "007" in set(conn.execute(select(births.c.birth_id)).scalars())


def _typed(data: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    """The county with the types a program or Excel would give: ints, numbers and dates."""
    frames = frames_of(data)
    ints = {
        "year",
        "registered_population",
        "resident_population",
        "women_15_49",
        "married_women_15_49",
        "eligible_couples",
        "birth_order",
        "in_policy",
        "registered",
        "resident",
        "age",
    }
    for frame in frames.values():
        for col in frame.columns:
            if col in ints:
                frame[col] = frame[col].astype(int)
            elif col in ("target", "numerator", "denominator"):
                frame[col] = frame[col].astype(float)
            elif col.endswith("_date"):
                frame[col] = [date.fromisoformat(v) if v else None for v in frame[col]]
    frames["births"]["birth_date"] = pd.to_datetime(frames["births"]["birth_date"])
    return frames


def test_xlsx_workbook_loads_the_same_content(engine, base, tmp_path):
    import_path(engine, base, today=TODAY)
    from_csv = dump(engine)
    wipe(engine)
    book = tmp_path / "county.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xw:
        for table, frame in _typed(county()).items():
            frame.to_excel(xw, sheet_name=table, index=False)
    report = import_path(engine, book, today=TODAY)
    assert report.rows["sheet births"] == 4
    assert dump(engine) == from_csv


def test_typed_frames_load_like_strings(engine, base):
    import_path(engine, base, today=TODAY)
    from_csv = dump(engine)
    wipe(engine)
    import_frames(engine, _typed(county()), today=TODAY)
    assert dump(engine) == from_csv


def test_units_may_be_left_out_once_stored(engine, base, tmp_path):
    import_path(engine, base, today=TODAY)
    data = county()
    data = {"births": data["births"] + _rows("births", "B5,V4,2025-02-02,F,1,1,1,1")}
    report = import_path(engine, write(tmp_path / "more", data), today=TODAY)
    assert report.rows == {"births.csv": 5}
    assert count(engine, births) == 5


def test_changed_record_replaces_the_stored_one(engine, base, tmp_path):
    import_path(engine, base, today=TODAY)
    data = county()
    data["births"][0]["sex"] = "F"
    import_path(engine, write(tmp_path / "again", {"births": data["births"]}), today=TODAY)
    assert count(engine, births) == 4
    with engine.connect() as conn:
        assert conn.execute(select(births.c.sex).where(births.c.birth_id == "B1")).scalar_one() == "F"


def test_blank_rows_are_skipped_and_rows_numbered_as_shown(engine, tmp_path):
    folder = write(tmp_path / "blank", county())
    text = (folder / "births.csv").read_text().splitlines()
    text.insert(2, "")  # a blank spreadsheet row 3
    text[4] = text[4].replace("2025-01-15", "2025-01-32")  # B3, now on row 5
    (folder / "births.csv").write_text("\n".join(text) + "\n")
    exc = fail(engine, folder)
    assert [str(e) for e in exc.errors] == [
        "births.csv row 5, column birth_date: '2025-01-32' is not a date; dates are written year first: "
        "YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日"
    ]


# --------------------------------------------------------------------------- bad rows, one per case


def test_unknown_unit_code(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["births"][1].update(unit_code="V9"))
    assert_error(exc, "births.csv row 3, column unit_code: ", "unknown unit_code 'V9'")


def test_unknown_parent_code(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["units"][3].update(parent_code="T9"))
    assert_error(exc, "units.csv row 5, column parent_code: ", "unknown parent_code 'T9'")


def test_cycle_in_units(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["units"][1].update(parent_code="V1"))
    assert_error(exc, "units.csv row 3, column parent_code: ", "cycle", "T1 → V1 → T1")
    assert_error(exc, "units.csv row 5, column parent_code: ", "cycle", "V1 → T1 → V1")


def test_second_root(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["units"].append(_rows("units", "C2,Other,county,")[0]))
    assert_error(exc, "units.csv row 10, column level: ", "second root", "'C2'", "'C'")


def test_second_root_in_an_empty_database(engine, tmp_path):
    data = county()
    data["units"].append(_rows("units", "C2,Other,county,")[0])
    exc = fail(engine, write(tmp_path / "bad", data))
    assert_error(exc, "units.csv row 2, column level: ", "second root")
    assert_error(exc, "units.csv row 10, column level: ", "second root")


def test_village_without_parent(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["units"][4].update(parent_code=""))
    assert_error(exc, "units.csv row 6, column parent_code: ", "empty", "village")


def test_level_not_matching_the_tree(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["units"][4].update(parent_code="V1"))
    assert_error(
        exc, "units.csv row 6, column parent_code: ", "parent 'V1' is a village", "must be a township"
    )


def test_data_row_on_a_township(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["births"][0].update(unit_code="T1"))
    assert_error(exc, "births.csv row 2, column unit_code: ", "'T1' is a township", "village or community")


def test_data_row_on_the_county(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["population"][0].update(unit_code="C"))
    assert_error(exc, "population.csv row 2, column unit_code: ", "'C' is a county", "village or community")


def test_targets_may_be_on_any_unit(engine, base, tmp_path):
    data = county()
    data["targets"].append(_rows("targets", "2025,T2,birth_rate,6")[0])
    import_path(engine, write(tmp_path / "t", data), today=TODAY)
    assert count(engine, metadata.tables["targets"]) == 4


def test_duplicate_ids(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["deaths"][2].update(death_id="D1"))
    assert_error(exc, "deaths.csv row 2, column death_id: ", "duplicate death_id 'D1'", "also on row 4")
    assert_error(exc, "deaths.csv row 4, column death_id: ", "duplicate death_id 'D1'", "also on row 2")


def test_duplicate_population_key(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["population"][2].update(unit_code="V1"))
    assert_error(exc, "population.csv row 3, column year, unit_code: ", "duplicate", "(2024, V1)", "row 4")
    assert_error(exc, "population.csv row 4, column year, unit_code: ", "duplicate", "row 3")


def test_unparseable_date(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["births"][2].update(birth_date="2025-13-01"))
    assert str(exc.errors[0]).startswith("births.csv row 4, column birth_date: '2025-13-01' is not a date;")
    assert str(exc) == str(exc.errors[0])


def test_future_date(engine, base, tmp_path):
    exc = bad_case(
        tmp_path, base, engine, lambda d: d["prepregnancy_checks"][0].update(check_date="2025-07-01")
    )
    assert_error(exc, "prepregnancy_checks.csv row 2, column check_date: ", "'2025-07-01'", "in the future")


def test_future_year(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["population"][3].update(year="2026"))
    assert_error(exc, "population.csv row 5, column year: ", "2026", "in the future")


def test_departure_before_arrival(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["migrants"][1].update(departure_date="2023-12-31"))
    assert_error(
        exc, "migrants.csv row 3, column departure_date: ", "'2023-12-31' is before arrival 2024-01-10"
    )


def test_service_for_unknown_migrant(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["migrant_services"][2].update(migrant_id="M9"))
    assert_error(exc, "migrant_services.csv row 4, column migrant_id: ", "unknown migrant_id 'M9'")


def test_service_for_a_stored_migrant(engine, base, tmp_path):
    import_path(engine, base, today=TODAY)
    data = {"migrant_services": _rows("migrant_services", "SV9,M3,2025-01-01,education")}
    import_path(engine, write(tmp_path / "s", data), today=TODAY)
    assert count(engine, metadata.tables["migrant_services"]) == 4


def test_negative_count(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["population"][1].update(women_15_49="-5"))
    assert_error(exc, "population.csv row 3, column women_15_49: ", "'-5' is negative")


def test_unparseable_number(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["deaths"][0].update(age="eighty"))
    assert_error(exc, "deaths.csv row 2, column age: ", "'eighty' is not a whole number")


def test_birth_order_from_one(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["births"][3].update(birth_order="0"))
    assert_error(exc, "births.csv row 5, column birth_order: ", "'0' is below 1")


@pytest.mark.parametrize(
    ("table", "i", "column", "value", "allowed"),
    [
        ("births", 0, "sex", "X", "M, F"),
        ("units", 2, "level", "town", "county, township, village, community"),
        ("migrants", 0, "direction", "inward", "in, out"),
        ("migrant_services", 1, "service", "visit", "file, certificate"),
        ("prepregnancy_checks", 1, "risk", "medium", "low, high"),
        ("births", 1, "in_policy", "2", "1 or 0"),
    ],
)
def test_value_outside_allowed_set(engine, base, tmp_path, table, i, column, value, allowed):
    exc = bad_case(tmp_path, base, engine, lambda d: d[table][i].update({column: value}))
    assert_error(exc, f"{table}.csv row {i + 2}, column {column}: ", f"'{value}' is not", allowed)


def test_unknown_indicator_code(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["targets"][0].update(indicator="birth_rat"))
    assert_error(exc, "targets.csv row 2, column indicator: ", "unknown indicator code 'birth_rat'")


def test_reported_takes_only_reported_indicators(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["reported"][0].update(indicator="birth_rate"))
    assert_error(
        exc, "reported.csv row 2, column indicator: ", "'birth_rate' is computed", "satisfaction_rate"
    )


def test_reported_numerator_above_denominator(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["reported"][1].update(numerator="60"))
    assert_error(exc, "reported.csv row 3, column numerator: ", "'60' is greater than denominator 50")


def test_empty_required_value(engine, base, tmp_path):
    exc = bad_case(tmp_path, base, engine, lambda d: d["deaths"][1].update(sex=""))
    assert_error(exc, "deaths.csv row 3, column sex: ", "empty")


def test_unknown_column(engine, base, tmp_path):
    def add_column(d):
        for row in d["deaths"]:
            row["nickname"] = "x"

    exc = bad_case(tmp_path, base, engine, add_column)
    assert_error(exc, "deaths.csv, column nickname: ", "unknown column 'nickname'")


def test_missing_column(engine, base, tmp_path):
    def drop_column(d):
        for row in d["births"]:
            del row["sex"]

    exc = bad_case(tmp_path, base, engine, drop_column)
    assert_error(exc, "births.csv, column sex: missing column")


def test_risk_column_is_optional(engine, tmp_path):
    data = county()
    for row in data["prepregnancy_checks"]:
        del row["risk"]
    import_path(engine, write(tmp_path / "norisk", data), today=TODAY)
    with engine.connect() as conn:
        risks = conn.execute(select(metadata.tables["prepregnancy_checks"].c.risk)).scalars().all()
    assert risks == [None, None, None]


def test_several_bad_rows_in_two_files_all_reported(engine, base, tmp_path):
    def mutate(d):
        d["births"][0]["sex"] = "male"
        d["births"][2]["birth_date"] = "15/01/2025"
        d["births"][3]["unit_code"] = "NOWHERE"
        d["deaths"][1]["age"] = "-1"
        d["deaths"][2]["death_date"] = "2030-01-01"

    exc = bad_case(tmp_path, base, engine, mutate)
    where = [(e.file, e.row, e.column) for e in exc.errors]
    assert where == [
        ("births.csv", 2, "sex"),
        ("births.csv", 4, "birth_date"),
        ("births.csv", 5, "unit_code"),
        ("deaths.csv", 3, "age"),
        ("deaths.csv", 4, "death_date"),
    ]
    assert str(exc).endswith("(and 4 more errors)")
    assert str(exc).startswith("births.csv row 2, column sex: 'male' is not one of M, F")


def test_failed_import_into_empty_database_leaves_it_empty(engine, tmp_path):
    data = county()
    data["births"][0]["birth_date"] = "yesterday"
    fail(engine, write(tmp_path / "bad", data))
    assert all(not rows for rows in dump(engine).values())


def test_units_required_in_an_empty_database(engine, tmp_path):
    data = county()
    del data["units"]
    exc = fail(engine, write(tmp_path / "nounits", data))
    assert_error(exc, "units.csv: ", "missing", "no units yet")


def test_unknown_file_in_folder(engine, base, tmp_path):
    folder = write(tmp_path / "extra", county())
    (folder / "notes.txt").write_text("hello")
    exc = fail(engine, folder)
    assert_error(exc, "notes.txt: ", "unknown file")


def test_path_that_is_neither_folder_nor_workbook(engine, base, tmp_path):
    exc = fail(engine, tmp_path / "missing")
    assert "does not exist" in str(exc)
    exc = fail(engine, base / "births.csv")
    assert "neither a folder of CSV files, a .zip of them nor an .xlsx workbook" in str(exc)


def test_ragged_csv_row(engine, base, tmp_path):
    folder = write(tmp_path / "ragged", county())
    with open(folder / "deaths.csv", "a") as fh:
        fh.write("D4,V1,2024-01-01,M,50,1,1,extra\n")
    exc = fail(engine, folder)
    assert_error(exc, "deaths.csv row 5: ", "8 cells", "header has 7")


def test_read_source_keeps_strings(base):
    frames = read_source(base)
    assert set(frames) == set(COLUMNS)
    assert frames["population"]["year"].tolist()[0] == "2023"
    assert frames["units"]["parent_code"].tolist()[0] == ""


def test_row_error_text():
    e = RowError.of("births.csv", 7, "birth_date", "not_a_date", "2025-13-01")
    assert str(e).startswith("births.csv row 7, column birth_date: '2025-13-01' is not a date;")
    assert e.text("zh").startswith("births.csv 第 7 行，birth_date 列：“2025-13-01” 不是日期")
    exc = ImportFailed([e, RowError.of("units.csv", None, "level", "missing_column")])
    assert str(exc) == str(e) + " (and 1 more error)"
    assert str(exc.errors[1]) == "units.csv, column level: missing column"


def test_unit_holding_stored_data_cannot_become_a_township(engine, base, tmp_path):
    import_path(engine, base, today=TODAY)
    data = {"units": county()["units"]}
    data["units"][3].update(level="township", parent_code="C")  # V1, which has births
    exc = fail(engine, write(tmp_path / "lvl", data))
    assert_error(exc, "units.csv row 5, column level: ", "'township' but the database holds", "unit 'V1'")


def test_database_refusal_rolls_back_with_a_one_line_reason(engine, base, monkeypatch):
    import_path(engine, base, today=TODAY)
    before = dump(engine)
    real = effects.write

    def refuse_births(conn, staged, changed, import_id):
        real(conn, staged, changed, import_id)
        if staged.table.name == "births":
            conn.execute(text("SELECT no_such_column FROM births"))

    monkeypatch.setattr(effects, "write", refuse_births)
    data = county()
    data["units"][1]["name"] = "Renamed Town"
    with pytest.raises(ImportFailed) as info:
        import_frames(engine, frames_of(data), today=TODAY, source="folder")
    assert dump(engine) == before
    message = str(info.value)
    assert message.startswith("folder: the database refused the import, nothing was written: ")
    assert "\n" not in message and "Traceback" not in message


def _workbook(path: Path, data: dict[str, list[dict]], extra_sheet: str | None = None) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for table, frame in frames_of(data).items():
            frame.to_excel(xw, sheet_name=table, index=False)
        if extra_sheet:
            pd.DataFrame({"note": ["hello"]}).to_excel(xw, sheet_name=extra_sheet, index=False)
    return path


def test_xlsx_errors_name_the_sheet(engine, tmp_path):
    data = county()
    data["births"][1]["birth_date"] = "2024-02-30"
    exc = fail(engine, _workbook(tmp_path / "bad.xlsx", data))
    assert [str(e) for e in exc.errors] == [
        "sheet births row 3, column birth_date: '2024-02-30' is not a date; dates are written year first: "
        "YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日"
    ]
    exc = fail(engine, _workbook(tmp_path / "extra.xlsx", county(), extra_sheet="notes"))
    assert_error(exc, "extra.xlsx sheet notes: ", "unknown sheet")


# --------------------------------------------------------------------------- properties

DATA_UNITS = ["V1", "V2", "V3", "V4", "S1"]
ALL_UNITS = ["C", "T1", "T2", *DATA_UNITS]
days = st.dates(min_value=date(2020, 1, 1), max_value=TODAY).map(date.isoformat)
flag = st.sampled_from(["0", "1"])
sex = st.sampled_from(["M", "F"])
unit = st.sampled_from(DATA_UNITS)


@st.composite
def records(draw) -> dict[str, list[dict]]:
    data = county()
    names = (
        st.text(alphabet="县乡镇村社区东西南北 abcXYZ", min_size=1, max_size=8).map(str.strip).filter(bool)
    )
    for row in data["units"]:
        row["name"] = draw(names)
    ids = itertools.count(1)
    data["births"] = [
        dict(
            zip(
                COLUMNS["births"],
                (
                    f"{next(ids):03d}",
                    draw(unit),
                    draw(days),
                    draw(sex),
                    str(draw(st.integers(1, 5))),
                    draw(flag),
                    draw(flag),
                    draw(flag),
                ),
                strict=True,
            )
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    data["deaths"] = [
        dict(
            zip(
                COLUMNS["deaths"],
                (
                    f"D{next(ids)}",
                    draw(unit),
                    draw(days),
                    draw(sex),
                    str(draw(st.integers(0, 100))),
                    draw(flag),
                    draw(flag),
                ),
                strict=True,
            )
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    migrants_ = []
    for _ in range(draw(st.integers(0, 4))):
        arrival = draw(days)
        departure = draw(st.one_of(st.just(""), days.filter(lambda d, a=arrival: d >= a)))
        migrants_.append(
            dict(
                zip(
                    COLUMNS["migrants"],
                    (
                        f"M{next(ids)}",
                        draw(unit),
                        draw(st.sampled_from(["in", "out"])),
                        draw(sex),
                        arrival,
                        departure,
                    ),
                    strict=True,
                )
            )
        )
    data["migrants"] = migrants_
    data["migrant_services"] = [
        dict(
            zip(
                COLUMNS["migrant_services"],
                (
                    f"S{next(ids)}",
                    draw(st.sampled_from([m["migrant_id"] for m in migrants_])),
                    draw(days),
                    draw(st.sampled_from(["file", "checkup", "education"])),
                ),
                strict=True,
            )
        )
        for _ in range(draw(st.integers(0, 4) if migrants_ else st.just(0)))
    ]
    keys = draw(st.lists(st.tuples(st.integers(2019, 2025), unit), max_size=5, unique=True))
    data["population"] = [
        dict(
            zip(
                COLUMNS["population"],
                (str(y), u, *(str(draw(st.integers(0, 5000))) for _ in range(5))),
                strict=True,
            )
        )
        for y, u in keys
    ]
    rkeys = draw(
        st.lists(
            st.tuples(
                st.integers(2019, 2025), unit, st.sampled_from(["satisfaction_rate", "knowledge_rate"])
            ),
            max_size=4,
            unique=True,
        )
    )
    reported_ = []
    for y, u, ind in rkeys:
        den = draw(st.integers(0, 1000))
        reported_.append(
            dict(
                zip(
                    COLUMNS["reported"],
                    (str(y), u, ind, str(draw(st.integers(0, den))), str(den)),
                    strict=True,
                )
            )
        )
    data["reported"] = reported_
    tkeys = draw(
        st.lists(
            st.tuples(
                st.integers(2019, 2026),
                st.sampled_from(ALL_UNITS),
                st.sampled_from(["birth_rate", "sex_ratio_at_birth", "prepregnancy_checks"]),
            ),
            max_size=4,
            unique=True,
        )
    )
    data["targets"] = [
        dict(
            zip(
                COLUMNS["targets"],
                (str(y), u, ind, str(draw(st.floats(0, 200, allow_nan=False)))),
                strict=True,
            )
        )
        for y, u, ind in tkeys
    ]
    return data


PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(data=records())
def test_importing_twice_equals_importing_once(engine, data):
    wipe(engine)
    import_frames(engine, frames_of(data), today=TODAY)
    once = dump(engine)
    assert len(once["births"]) == len(data["births"])
    import_frames(engine, frames_of(data), today=TODAY)
    assert dump(engine) == once


OWN_ID = {
    "units": "code",
    "births": "birth_id",
    "deaths": "death_id",
    "prepregnancy_checks": "check_id",
    "migrants": "migrant_id",
    "migrant_services": "service_id",
}


def _bad_values(table: str, column: str) -> list[str]:
    """Values that make any cell of this column bad."""
    if column == OWN_ID.get(table):
        return ["", "DUP"]
    if column in ("name", "couple_id"):
        return [""]
    if column in ("unit_code", "parent_code"):
        return ["NOWHERE"]
    if column == "migrant_id":  # a service's migrant
        return ["NOBODY", ""]
    if column.endswith("_date"):
        return ["2025-13-01", "2999-01-01", "x"]
    if column == "indicator":
        return ["nope", ""]
    if column in ("sex", "level", "direction", "service", "risk"):
        return ["Z"]
    return ["x", "-1", "1.5"] if column not in ("target", "numerator", "denominator") else ["x", "-1"]


CELLS = [(t, i, c) for t, rows in county().items() for i, row in enumerate(rows) for c in row]


@PROPERTY
@given(cell=st.sampled_from(CELLS), pick=st.integers(0, 2))
def test_one_corrupted_cell_fails_and_changes_nothing(engine, cell, pick):
    # The database holds the county (loaded once: a failed import changes nothing, and
    # test_failed_import_into_empty_database_leaves_it_empty covers the empty database).
    table, i, column = cell
    if count(engine, units) == 0:
        import_frames(engine, frames_of(county()), today=TODAY)
    before = dump(engine)
    data = copy.deepcopy(county())
    bad = _bad_values(table, column)
    value = bad[pick % len(bad)]
    if value == "DUP":
        value = data[table][(i + 1) % len(data[table])][column]
    data[table][i][column] = value
    with pytest.raises(ImportFailed) as info:
        import_frames(engine, frames_of(data), today=TODAY)
    assert dump(engine) == before
    assert any(e.file == f"{table}.csv" and e.row == i + 2 for e in info.value.errors), [
        str(e) for e in info.value.errors
    ]
