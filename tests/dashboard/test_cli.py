"""`python -m dashboard` as a script would call it: real processes, real exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.store.db import make_engine
from queries.store.schema import units

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_indicators_prints_every_unit_and_indicator_as_the_engine_computes(demo_db_url):
    out = cli("indicators", "--year", "2025", "--as-of", "2025-11-15", "--db", demo_db_url)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == [
        "unit_code",
        "indicator",
        "numerator",
        "denominator",
        "value",
        "target",
        "status",
        "verdict",
    ]
    engine = make_engine(demo_db_url)
    with engine.connect() as conn:
        n_units = conn.execute(select(func.count()).select_from(units)).scalar_one()
        table = compute(conn, "330781", make_period(2025, "2025-11-15")).set_index(["unit_code", "indicator"])
    assert len(rows) == n_units * len(registry.CODES)
    for row in rows[:60]:
        want = table.loc[(row["unit_code"], row["indicator"])]
        assert row["status"] == want["status"]
        assert row["verdict"] == want["verdict"]
        if row["value"] == "":
            assert want["status"] == "no_data"  # an empty cell, never 0, NaN or inf
        else:
            assert float(row["value"]) == pytest.approx(want["value"], abs=1e-6)
    accuracy = [r for r in rows if r["indicator"] == "info_accuracy_rate"]
    assert all(r["value"] == "" and r["numerator"] == "" for r in accuracy)
    checks = next(r for r in rows if r["indicator"] == "prepregnancy_checks")
    assert checks["denominator"] == "" and checks["numerator"] == checks["value"]


def test_indicators_for_one_township_as_json(demo_db_url):
    engine = make_engine(demo_db_url)
    with engine.connect() as conn:
        township = conn.execute(select(units.c.code).where(units.c.level == "township").limit(1)).scalar_one()
        villages = conn.execute(
            select(func.count()).select_from(units).where(units.c.parent_code == township)
        ).scalar_one()
    out = cli(
        "indicators",
        "--year",
        "2024",
        "--unit",
        township,
        "--basis",
        "resident",
        "--db",
        demo_db_url,
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["unit_code"] for r in rows} >= {township}
    assert len(rows) == (villages + 1) * len(registry.CODES)
    assert all(r["value"] is None for r in rows if r["indicator"] == "info_accuracy_rate")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["indicators", "--year", "2025", "--unit", "NOPE"], "error: no unit with code 'NOPE'"),
        (
            ["indicators", "--year", "2025", "--as-of", "2024-02-30"],
            "error: as-of date '2024-02-30' is not a YYYY-MM-DD date",
        ),
        (
            ["indicators", "--year", "2025", "--as-of", "2024-01-01"],
            "error: as-of date 2024-01-01 is not in the year 2025",
        ),
        (["indicators", "--year", "twenty"], "invalid int value: 'twenty'"),
        (["indicators", "--year", "2025", "--basis", "household"], "invalid choice: 'household'"),
        (["import", "/no/such/folder"], "/no/such/folder"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_a_nonzero_exit(demo_db_url, args, message):
    out = cli(*args, "--db", demo_db_url)
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path):
    out = cli("indicators", "--year", "2025", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert out.returncode != 0
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_import_of_a_bad_file_names_file_row_column_and_changes_nothing(demo_db_url, tmp_path):
    (tmp_path / "births.csv").write_text(
        "birth_id,unit_code,birth_date,sex,birth_order,in_policy,registered,resident\n"
        "X1,NOPE,2025-01-02,M,1,1,1,1\n",
        encoding="utf-8",
    )
    before = cli("indicators", "--year", "2025", "--db", demo_db_url).stdout
    out = cli("import", str(tmp_path), "--db", demo_db_url)
    assert out.returncode != 0
    first = out.stderr.splitlines()[0]
    assert "births.csv row 2, column unit_code" in first and "NOPE" in first
    assert "Traceback" not in out.stderr
    assert cli("indicators", "--year", "2025", "--db", demo_db_url).stdout == before


def test_a_hundred_thousand_bad_rows_fit_on_a_screen(tmp_path, capsys, monkeypatch):
    """Run as a script would, through ``main``: the errors grouped, not one line a row."""
    from dashboard import cli as command
    from dashboard.runtime import logs
    from tests.ingest.test_import import county, write

    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "logs"))
    try:
        url = f"sqlite:///{tmp_path}/cli.sqlite"
        assert command.main(["import", str(write(tmp_path / "base", county())), "--db", url]) == 0
        header = "birth_id,unit_code,birth_date,sex,birth_order,in_policy,registered,resident\n"
        rows = "".join(f"X{i},V1,2024-02-3{i % 10},F,1,1,1,1\n" for i in range(100_000))  # 30, 31 ... 39 Feb
        (tmp_path / "bad").mkdir()
        (tmp_path / "bad" / "births.csv").write_text(header + rows, encoding="utf-8")
        capsys.readouterr()

        assert command.main(["import", str(tmp_path / "bad"), "--db", url]) == 2
        err = capsys.readouterr().err
        lines = err.splitlines()
        assert 2 <= len(lines) <= 40, err[:2000]
        assert lines[0] == (
            "error: births.csv row 2, column birth_date: '2024-02-30' is not a date; dates are written year first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日 "
            "(and 99,999 more errors)"
        )
        assert lines[1] == (
            "  births.csv, column birth_date: is not a date; dates are written year first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日 — 100,000× (rows 2, 3, 4, 5, 6 …); "
            "first value '2024-02-30'"
        )
    finally:
        monkeypatch.undo()
        logs.setup()  # back to the default log file, for the tests that follow


def test_dry_run_prints_the_effect_then_import_history_and_undo(tmp_path):
    from tests.ingest.test_effect import changed_county, table_hashes
    from tests.ingest.test_import import county, write

    db = f"sqlite:///{tmp_path}/cli.sqlite"
    base, more = write(tmp_path / "base", county()), write(tmp_path / "more", changed_county())
    assert cli("import", str(base), "--db", db).returncode == 0
    engine = make_engine(db)
    before = table_hashes(engine)

    out = cli("import", str(more), "--db", db, "--dry-run")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["file", "year", "added", "replaced", "unchanged"]
    assert "births.csv 2025 1 0 1" in [" ".join(line.split()) for line in lines]
    assert " ".join(lines[-2].split()) == "total 2 4 29"
    assert lines[-1] == "dry run: nothing was written"
    assert table_hashes(engine) == before

    out = cli("import", str(more), "--db", db)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "added 2, replaced 4, unchanged 29"
    out = cli("undo", "--db", db)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("undid import #2 of more: deleted units.csv 1, births.csv 1; restored ")
    assert table_hashes(engine, bookkeeping=False) == {
        k: v
        for k, v in before.items()
        if k not in ("data_version", "import_log", *[t for t in before if t.startswith("undo_")])
    }
    history = cli("history", "--db", db).stdout.splitlines()
    assert [line.split()[3:5] for line in history[1:]] == [
        ["undo", "undone"],
        ["import", "undone"],
        ["import", "imported"],
    ]
    assert history[1].endswith("more (undid #2)")
    out = cli("undo", "--db", db)
    assert out.returncode == 0  # the first import, now the latest not undone
    out = cli("undo", "--db", db)
    assert out.returncode == 2 and out.stderr == "error: undo: there is no import to undo\n"
    engine.dispose()
