"""Text both databases store alike, refused on its row before either sees it: longer than
its column's ``String(n)``, a control character, text that is not UTF-8. PostgreSQL would
refuse the whole import in one line and SQLite would store it; the import must say the
same thing, row by row, on both, and write nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from queries.ingest.cells import text_limit
from queries.ingest.errors import ImportFailed
from queries.ingest.load import import_frames
from queries.store.schema import units
from tests.ingest.test_import import TODAY, county, dump, frames_of


def _refused(engine, mutate) -> list[str]:
    """Import the little county after ``mutate``; the errors' texts (English) and nothing written."""
    frames = frames_of(county())
    mutate(frames)
    before = dump(engine)
    with pytest.raises(ImportFailed) as info:
        import_frames(engine, frames, today=TODAY)
    assert dump(engine) == before
    return [str(e) for e in info.value.errors]


def test_the_limits_are_the_schemas():
    assert text_limit("units", "name") == units.c.name.type.length == 128
    assert text_limit("births", "birth_id") == 64
    assert text_limit("units", "code") == 32


def test_a_name_longer_than_its_column(engine):
    def long_name(f: dict[str, pd.DataFrame]) -> None:
        f["units"].loc[1, "name"] = "东" * 200

    assert _refused(engine, long_name) == [
        "units.csv row 3, column name: '"
        + "东" * 39
        + "…' is longer than 128 characters, the most name can hold"
    ]


def test_a_name_of_exactly_its_column_is_stored(engine):
    frames = frames_of(county())
    frames["units"].loc[1, "name"] = "东" * 128
    import_frames(engine, frames, today=TODAY)
    assert "东" * 128 in {r[1] for r in dump(engine)["units"]}


def test_a_nul_byte_in_a_name(engine):
    def nul(f: dict[str, pd.DataFrame]) -> None:
        f["units"].loc[1, "name"] = "East\x00Town"

    assert _refused(engine, nul) == [
        "units.csv row 3, column name: 'East\\x00Town' holds the control character U+0000; remove it"
    ]


def test_an_id_with_a_control_character(engine):
    def control(f: dict[str, pd.DataFrame]) -> None:
        f["births"].loc[2, "birth_id"] = "B\x073"
        f["births"].loc[3, "birth_id"] = "B4\tb"  # a tab inside: not whitespace to strip

    assert _refused(engine, control) == [
        "births.csv row 4, column birth_id: 'B\\x073' holds the control character U+0007; remove it",
        "births.csv row 5, column birth_id: 'B4\\tb' holds the control character U+0009; remove it",
    ]


def test_text_that_is_not_utf8(engine):
    def surrogate(f: dict[str, pd.DataFrame]) -> None:
        # what decoding with errors="surrogateescape" leaves; only an object column holds it
        f["deaths"] = f["deaths"].astype(object)
        f["deaths"].loc[0, "death_id"] = "D\udc801"

    assert _refused(engine, surrogate) == [
        "deaths.csv row 2, column death_id: 'D\\udc801' holds U+DC80, which is not a character "
        "(a broken encoding); retype it"
    ]


def test_the_rule_reads_in_chinese(sqlite_engine):
    frames = frames_of(county())
    frames["units"].loc[1, "name"] = "East\x00Town"
    with pytest.raises(ImportFailed) as info:
        import_frames(sqlite_engine, frames, today=TODAY)
    assert info.value.errors[0].text("zh") == (
        "units.csv 第 3 行，name 列：“East\\x00Town” 含有控制字符 U+0000，请删除"
    )
