"""What an import will change before it writes, the doubling guard, the history, undo, and
one import at a time: on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from queries.demo.county import build_demo, write_csv
from queries.ingest.doubling import DoublingSuspected
from queries.ingest.errors import ImportFailed
from queries.ingest.history import history, local_time
from queries.ingest.load import commit_plan, import_frames, import_path, plan_import
from queries.ingest.lock import ImportBusy
from queries.ingest.targets import delete_targets
from queries.ingest.undo import UndoRefused, undo_latest
from queries.store import data_version
from queries.store.schema import BOOKKEEPING_TABLES, births, import_log, metadata, migrants, units
from tests.ingest.test_import import TODAY, county, write

UNTIL = date(2025, 6, 30)


def table_hashes(engine, *, bookkeeping: bool = True) -> dict[str, str]:
    """A digest of every table's rows (data, derived and, unless told otherwise, bookkeeping)."""
    out = {}
    with engine.connect() as conn:
        for t in metadata.sorted_tables:
            if not bookkeeping and t.name in BOOKKEEPING_TABLES:
                continue
            rows = sorted(repr(tuple(r)) for r in conn.execute(select(t)).all())
            out[t.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def n_rows(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def effect_of(frame: pd.DataFrame) -> dict[tuple, tuple[int, int, int]]:
    return {
        (r.table, None if pd.isna(r.year) else int(r.year)): (r.added, r.replaced, r.unchanged)
        for r in frame.itertuples()
    }


def changed_county() -> dict[str, list[dict]]:
    """The little county again, adding and replacing rows of units, births and services."""
    data = county()
    data["units"].append({"code": "V5", "name": "Fig Village", "level": "village", "parent_code": "T1"})
    data["units"][3]["name"] = "Apricot Renamed"  # V1
    data["births"][0]["unit_code"] = "V5"  # B1 moves to the new village
    data["births"].append(
        dict(zip(data["births"][0], ["B5", "V5", "2025-02-02", "F", "1", "1", "1", "1"], strict=True))
    )
    data["migrant_services"][1]["service"] = "education"  # SV2
    data["population"][0]["women_15_49"] = "301"  # 2023 V1
    return data


# --------------------------------------------------------------------------- effect


def test_plan_shows_the_effect_per_file_and_year_and_writes_nothing(engine, tmp_path):
    import_path(engine, write(tmp_path / "base", county()), today=TODAY)
    before = table_hashes(engine)
    with engine.connect() as conn:
        version = data_version.read(conn)
    folder = write(tmp_path / "more", changed_county())
    plan = plan_import(engine, folder, today=TODAY, file_name="更正.zip")
    assert table_hashes(engine) == before
    with engine.connect() as conn:
        assert data_version.read(conn) == version
    effect = effect_of(plan.effect)
    assert effect[("units", None)] == (1, 1, 7)
    assert effect[("births", 2024)] == (0, 1, 2)  # B1 replaced, B2 and B4 unchanged
    assert effect[("births", 2025)] == (1, 0, 1)  # B5 added, B3 unchanged
    assert effect[("population", 2023)] == (0, 1, 0)
    assert effect[("migrant_services", 2024)] == (0, 1, 2)
    assert effect[("targets", 2026)] == (0, 0, 1)
    assert list(plan.effect.columns) == ["table", "file", "year", "added", "replaced", "unchanged"]
    assert plan.effect.loc[plan.effect["table"] == "births", "file"].unique().tolist() == ["births.csv"]
    assert plan.file_name == "更正.zip" and plan.suspects == ()
    files = sorted(folder.iterdir())
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    assert plan.file_hash == digest.hexdigest()

    report = commit_plan(engine, plan)
    assert effect_of(report.effect) == effect
    assert n_rows(engine, births) == 5
    # what a refresh in proportion to the import needs: units and earliest day, old and new
    assert report.changes["births"].units == {"V1", "V5"}
    assert report.changes["births"].since == date(2024, 3, 1)
    assert report.changes["units"].units == {"V1", "V5"}
    assert report.changes["migrant_services"].units == {"V1"}  # SV2's migrant M1 lives in V1
    assert report.changes["population"].since == date(2023, 1, 1)
    assert "deaths" not in report.changes


def test_a_plan_committed_after_the_data_changed_is_validated_again(engine, tmp_path):
    data = county()
    data["units"].append({"code": "V6", "name": "Gum Village", "level": "village", "parent_code": "T2"})
    import_path(engine, write(tmp_path / "base", data), today=TODAY)
    birth = dict(zip(data["births"][0], ["B6", "V6", "2025-01-01", "M", "1", "1", "1", "1"], strict=True))
    plan = plan_import(engine, write(tmp_path / "b", {"births": [birth]}), today=TODAY)
    # meanwhile village V6, still without data, becomes a township: no birth can be on it
    data["units"][-1].update(level="township", parent_code="C")
    import_frames(engine, {"units": pd.DataFrame(data["units"])}, today=TODAY)
    with pytest.raises(ImportFailed) as info:
        commit_plan(engine, plan)
    assert [(e.file, e.row, e.column) for e in info.value.errors] == [("births.csv", 2, "unit_code")]
    assert n_rows(engine, births) == 4


# --------------------------------------------------------------------------- doubling


def _numbered_demo() -> dict[str, pd.DataFrame]:
    """A small demo county whose source system numbers records with ten zero-padded digits."""
    frames = build_demo(villages=6, communities=1, townships=2, years=1, until=UNTIL, seed=3)
    maps = {}
    for table, col in [
        ("births", "birth_id"),
        ("deaths", "death_id"),
        ("prepregnancy_checks", "check_id"),
        ("migrants", "migrant_id"),
        ("migrant_services", "service_id"),
    ]:
        old = frames[table][col]
        maps[col] = dict(zip(old, [f"{i + 1:010d}" for i in range(len(old))], strict=True))
        frames[table][col] = old.map(maps[col])
    frames["migrant_services"]["migrant_id"] = frames["migrant_services"]["migrant_id"].map(
        maps["migrant_id"]
    )
    couples = frames["prepregnancy_checks"]["couple_id"]
    numbers = {c: f"{i + 1:08d}" for i, c in enumerate(couples.unique())}
    frames["prepregnancy_checks"]["couple_id"] = couples.map(numbers)
    return frames


def _through_a_spreadsheet(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same files after Excel took the id columns for numbers."""
    out = {name: f.copy() for name, f in frames.items() if name != "units"}
    for name, cols in {
        "births": ["birth_id"],
        "deaths": ["death_id"],
        "prepregnancy_checks": ["check_id", "couple_id"],
        "migrants": ["migrant_id"],
        "migrant_services": ["service_id", "migrant_id"],
    }.items():
        for col in cols:
            out[name][col] = out[name][col].str.lstrip("0")
    return out


def test_reimport_with_ids_stripped_of_leading_zeros_is_refused(engine, tmp_path):
    frames = _numbered_demo()
    write_csv(frames, tmp_path / "first")
    import_path(engine, tmp_path / "first", today=UNTIL)
    before = table_hashes(engine, bookkeeping=False)
    stored_births = n_rows(engine, births)
    write_csv(_through_a_spreadsheet(frames), tmp_path / "again")

    plan = plan_import(engine, tmp_path / "again", today=UNTIL)
    by_table = {d.table: d for d in plan.suspects}
    assert set(by_table) == {"births", "deaths", "prepregnancy_checks", "migrants", "migrant_services"}
    b = by_table["births"]
    assert (b.count, b.added, b.row, b.new_id, b.stored_id) == (
        stored_births,
        stored_births,
        2,
        "1",
        "0000000001",
    )

    with pytest.raises(DoublingSuspected) as info:
        commit_plan(engine, plan)
    assert table_hashes(engine, bookkeeping=False) == before
    first = info.value.errors[0]
    assert first.text("en") == (
        f"births.csv, column birth_id: {stored_births} of the {stored_births} rows it would add match "
        "records already stored under other ids (e.g. row 2: id '1', stored as '0000000001'): a "
        "spreadsheet probably dropped the ids' leading zeros. Format the id columns as text, or export "
        "the file again from the source system; if these really are other records, import anyway "
        "(--allow-duplicates on the command line, or confirm on the import page)"
    )
    assert "电子表格去掉了编号前面的 0" in first.text("zh") and "--allow-duplicates" in first.text("zh")
    with engine.connect() as conn:
        latest = history(conn, limit=1).iloc[0]
    assert (latest["result"], latest["error_code"], latest["error_count"]) == (
        "refused",
        "doubling_suspected",
        5,
    )

    report = commit_plan(engine, plan, allow_duplicates=True)
    assert n_rows(engine, births) == 2 * stored_births
    assert report.effect.loc[report.effect["table"] == "births", "added"].sum() == stored_births


def test_few_rows_with_stripped_zeros_are_refused_too(engine, tmp_path):
    frames = _numbered_demo()
    write_csv(frames, tmp_path / "first")
    import_path(engine, tmp_path / "first", today=UNTIL)
    two = _through_a_spreadsheet(frames)["births"].iloc[:2]
    with pytest.raises(DoublingSuspected) as info:
        import_frames(engine, {"births": two}, today=UNTIL)
    assert info.value.suspects[0].count == 2 and info.value.suspects[0].zeros


def _increment(stored: pd.DataFrame, alike: int) -> pd.DataFrame:
    """20 new migrants; ``alike`` of them arrived in a village on the day of a stored migrant of
    the same sex, with no departure: other people who happen to look the same."""
    same = stored[stored["departure_date"].isna()].iloc[:alike].copy()
    fresh = stored.iloc[alike:20].copy()
    quiet = min(set(pd.date_range("2025-01-01", UNTIL)) - set(pd.to_datetime(stored["arrival_date"])))
    fresh["arrival_date"], fresh["departure_date"] = quiet, pd.NaT
    new = pd.concat([same, fresh], ignore_index=True)
    new["migrant_id"] = [f"N{i:04d}" for i in range(len(new))]
    return new


def test_an_increment_with_a_few_coincidences_passes(engine, tmp_path):
    frames = _numbered_demo()
    write_csv(frames, tmp_path / "first")
    import_path(engine, tmp_path / "first", today=UNTIL)
    stored = frames["migrants"]
    write_csv({"migrants": _increment(stored, 12)}, tmp_path / "most")
    (suspect,) = plan_import(engine, tmp_path / "most", today=UNTIL).suspects
    assert (suspect.count, suspect.added, suspect.zeros) == (12, 20, False)
    write_csv({"migrants": _increment(stored, 3)}, tmp_path / "few")
    plan = plan_import(engine, tmp_path / "few", today=UNTIL)
    assert plan.suspects == ()
    report = commit_plan(engine, plan)
    assert report.effect[["added", "replaced", "unchanged"]].sum().tolist() == [20, 0, 0]
    assert n_rows(engine, migrants) == len(stored) + 20


# --------------------------------------------------------------------------- history


def test_every_import_is_recorded_without_person_level_values(engine, tmp_path):
    base = write(tmp_path / "base", county())
    import_path(engine, base, today=TODAY)
    bad = county()
    bad["births"][0]["sex"] = "X"
    with pytest.raises(ImportFailed):
        import_path(engine, write(tmp_path / "bad", bad), today=TODAY)
    from queries.ingest.targets import read_template, save_targets, template_xlsx

    with engine.connect() as conn:
        book = template_xlsx(conn, "C", 2025)
    frame = read_template(book, "目标_2025.xlsx")
    frame.loc[frame.index[0], "target"] = "6.5"
    save_targets(engine, frame, today=TODAY)
    with engine.connect() as conn:
        h = history(conn)
        version = data_version.read(conn)
        cells = {str(v) for row in conn.execute(select(import_log)).all() for v in row}
    assert h["kind"].tolist() == ["targets", "import", "import"]
    assert h["result"].tolist() == ["imported", "refused", "imported"]
    assert h["file_name"].tolist() == ["目标_2025.xlsx", "bad", "base"]
    assert h.iloc[0]["rows_added"] == {"sheet targets": 1} and h.iloc[0]["data_version"] == version
    assert h.iloc[1]["error_count"] == 1 and h.iloc[1]["data_version"] is None
    assert h.iloc[2]["rows_added"]["births.csv"] == 4 and h.iloc[2]["rows_replaced"]["births.csv"] == 0
    assert h.iloc[2]["started_at"].tzinfo is not None and h.iloc[2]["duration_s"] > 0
    # ids, codes and names of the records never reach the history
    ids = ("birth_id", "death_id", "check_id", "couple_id", "migrant_id", "service_id", "name")
    people = {v for rows in county().values() for r in rows for k, v in r.items() if k in ids}
    assert len(people) == 27
    assert not [(p, c) for p in people for c in cells if p in c]


# --------------------------------------------------------------------------- undo


def test_undo_returns_the_database_exactly_to_before_the_import(engine, tmp_path):
    empty = table_hashes(engine, bookkeeping=False)
    import_path(engine, write(tmp_path / "base", county()), today=TODAY)
    before = table_hashes(engine, bookkeeping=False)
    report = import_path(engine, write(tmp_path / "more", changed_county()), today=TODAY)
    assert table_hashes(engine, bookkeeping=False) != before
    undone = undo_latest(engine)
    assert undone.undone_id == report.history_id
    assert table_hashes(engine, bookkeeping=False) == before
    assert undone.deleted == {**{f"{t}.csv": 0 for t in county()}, "units.csv": 1, "births.csv": 1}
    assert undone.changes["births"].units == {"V1", "V5"}
    with engine.connect() as conn:
        h = history(conn)
    assert h["kind"].tolist()[:2] == ["undo", "import"]
    assert h["result"].tolist()[:2] == ["undone", "undone"]
    assert h.iloc[0]["undo_of"] == report.history_id and h.iloc[0]["file_name"] == "more"
    # once more: the import before it, back to the empty database
    undo_latest(engine)
    # (a database never imported into has no stamp of the derived tables' definition yet)
    assert {**table_hashes(engine, bookkeeping=False), "derived_state": ""} == {**empty, "derived_state": ""}
    with pytest.raises(UndoRefused) as info:
        undo_latest(engine)
    assert str(info.value) == "undo: there is no import to undo"


def test_undo_only_while_nothing_changed_after_the_import(engine, tmp_path):
    import_path(engine, write(tmp_path / "base", county()), today=TODAY)
    delete_targets(engine, 2024, [("C", "birth_rate")])
    with pytest.raises(UndoRefused) as info:
        undo_latest(engine)
    assert "the latest change is a change of targets (targets 2024, " in str(info.value)
    assert "最近一次更改是目标的保存或删除" in info.value.errors[0].text("zh")
    import_frames(engine, {"targets": pd.DataFrame(county()["targets"])}, today=TODAY, kind="targets")
    with pytest.raises(UndoRefused) as info:
        undo_latest(engine)
    assert "the latest change is a change of targets" in str(info.value)


# --------------------------------------------------------------------------- one at a time


def test_a_second_import_is_refused_at_once_while_one_runs(engine, tmp_path):
    import_path(engine, write(tmp_path / "base", county()), today=TODAY)
    first, second = write(tmp_path / "第一批", changed_county()), write(tmp_path / "second", county())
    writing, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold(_done: int, _total: int, step: str) -> None:
        if step == "write":  # inside the writing transaction, lock held
            writing.set()
            release.wait(60)

    def run() -> None:
        try:
            outcome["report"] = import_path(engine, first, today=TODAY, progress=hold)
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert writing.wait(60)
        with engine.connect() as conn:
            running = conn.execute(
                select(import_log.c.started_at).where(import_log.c.result == "running")
            ).scalar_one()
        from queries.ingest.history import utc

        started = local_time(utc(running))
        with pytest.raises(ImportBusy) as info:
            import_path(engine, second, today=TODAY)
        undo_busy = pytest.raises(ImportBusy)
        with undo_busy:
            undo_latest(engine)
    finally:
        release.set()
        thread.join(60)
    assert str(info.value) == (
        f"second: another import is running (started {started} from 第一批); try again when it has finished"
    )
    assert (
        info.value.errors[0].reason_in("zh")
        == f"另一项导入正在进行（{started} 开始，文件 第一批）；请等它完成后再试"
    )
    assert "error" not in outcome, outcome
    assert n_rows(engine, units) == 9  # the first import went through
    import_path(engine, second, today=TODAY)  # and once it has finished the second may run


def test_records_renumbered_otherwise_are_told_apart_from_lost_zeros(engine, tmp_path):
    frames = _numbered_demo()
    write_csv(frames, tmp_path / "first")
    import_path(engine, tmp_path / "first", today=UNTIL)
    renamed = frames["births"].iloc[:30].copy()
    renamed["birth_id"] = "X" + renamed["birth_id"].astype(str)
    with pytest.raises(DoublingSuspected) as info:
        import_frames(engine, {"births": renamed}, today=UNTIL)
    first = info.value.errors[0]
    assert first.code == "doubling_renumbered" and not info.value.suspects[0].zeros
    assert "the same records seem to have been given new ids" in first.text("en")
    assert "这些记录似乎被重新编了号" in first.text("zh")
