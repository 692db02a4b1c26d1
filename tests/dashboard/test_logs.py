"""The log and the error boundary: an unexpected exception is a message in the page's
language with a reference number, and the same number is in the log file with the
traceback; st.stop passes through; the database is called unreachable only when it is; the
log holds counts and times, never a person's or couple's id."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import cli
from dashboard.i18n import t
from dashboard.runtime import data, logs
from queries.demo.county import build_demo, write_csv

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
VIEW = {"year": "2025", "as_of": "2025-11-15"}
REF = re.compile(r"[0-9a-f]{8}")


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(folder))
    yield folder
    monkeypatch.undo()
    logs.setup()  # back to the default file, for the tests that follow


def log_text(folder: Path) -> str:
    return (folder / logs.FILE_NAME).read_text(encoding="utf-8")


def run(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({**VIEW, **params})
    at.run()
    return at


def reference_shown(at: AppTest, lang: str = "zh") -> str:
    """The reference number in the internal-error message, which must be the only error."""
    assert not at.exception, at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    before, after = t("internal_error", lang, ref="\0").split("\0")
    message = at.error[0].value
    assert message.startswith(before) and message.endswith(after), message
    ref = message[len(before) : len(message) - len(after)]
    assert REF.fullmatch(ref), ref
    return ref


def test_a_page_that_raises_shows_a_reference_that_is_in_the_log(app_env, log_dir, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("overview is broken")

    monkeypatch.setattr(data, "overview", broken)
    for lang in ("zh", "en"):
        at = run(lang=lang)
        ref = reference_shown(at, lang)
        assert at.sidebar.selectbox(key="township")  # the sidebar still works
        text = log_text(log_dir)
        entry = text[text.index(ref) :]
        assert "RuntimeError: overview is broken" in entry and "Traceback" in entry


def test_a_sidebar_that_raises_shows_a_reference_that_is_in_the_log(app_env, log_dir, monkeypatch):
    def broken(*_args, **_kwargs):
        raise KeyError("no such column")

    monkeypatch.setattr(data, "years", broken)
    ref = reference_shown(run())
    assert ref in log_text(log_dir)


def test_st_stop_in_a_page_is_no_error(app_env, log_dir, monkeypatch):
    def stops(*_args, **_kwargs):
        st.info("stopped on purpose")
        st.stop()

    monkeypatch.setattr(data, "overview", stops)
    at = run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == ["stopped on purpose"]
    assert "internal error" not in log_text(log_dir)


def test_a_bug_while_opening_the_database_is_no_unreachable_database(
    demo_db_url, tmp_path, log_dir, monkeypatch
):
    from queries.analytics import lifecycle

    copy = tmp_path / "copy.sqlite"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("POPDASH_DB_URL", f"sqlite:///{copy}")
    monkeypatch.setattr(lifecycle, "problems", lambda _conn: ["forced for the test"])

    def broken(_conn, _progress=None):
        raise ZeroDivisionError("a bug in the rebuild")

    monkeypatch.setattr(lifecycle, "refresh", broken)
    data._engine.clear()
    try:
        ref = reference_shown(run())
    finally:
        data._engine.clear()
    text = log_text(log_dir)
    assert "ZeroDivisionError: a bug in the rebuild" in text[text.index(ref) :]


def test_a_server_that_does_not_answer_is_an_unreachable_database(log_dir, monkeypatch):
    from tests.served_app import free_port

    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/nothing"
    monkeypatch.setenv("POPDASH_DB_URL", url)
    data._engine.clear()
    at = run()
    assert not at.exception
    before = t("db_unreachable", reason="\0").split("\0")[0]
    assert [e.value for e in at.error if e.value.startswith(before)], [e.value for e in at.error]
    text = log_text(log_dir)
    assert "unreachable" in text and "secret" not in text  # the URL is logged without its password


def test_the_log_names_imports_and_no_person(tmp_path, log_dir, capsys):
    frames = build_demo(villages=2, communities=1, townships=1, years=1, seed=3)
    good = tmp_path / "good"
    write_csv(frames, good)
    url = f"sqlite:///{tmp_path}/imported.sqlite"
    assert cli.main(["import", str(good), "--db", url]) == 0

    bad = tmp_path / "bad"
    services = frames["migrant_services"].copy()
    services.loc[services.index[0], "migrant_id"] = "M1999-424242"  # no such migrant
    write_csv({**frames, "migrant_services": services}, bad)
    assert cli.main(["import", str(bad), "--db", url]) != 0
    assert "M1999-424242" in capsys.readouterr().err  # the user is told which record

    text = log_text(log_dir)
    assert f"prepregnancy_checks {len(frames['prepregnancy_checks']):,}" in text
    assert "derived tables rebuilt" in text and "refused" in text
    ids = {"M1999-424242"}
    for table, column in [
        ("births", "birth_id"),
        ("deaths", "death_id"),
        ("prepregnancy_checks", "check_id"),
        ("prepregnancy_checks", "couple_id"),
        ("migrants", "migrant_id"),
        ("migrant_services", "service_id"),
    ]:
        ids |= set(frames[table][column].astype(str))
    assert not [i for i in ids if i in text]


def test_setup_is_idempotent_and_follows_the_log_dir(tmp_path, monkeypatch):
    import logging

    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "a"))
    logs.setup()
    assert not logs.setup()  # a second call attaches nothing
    logging.getLogger("queries.something").info("one line")
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "b"))
    assert logs.setup()
    logging.getLogger("dashboard.something").info("another line")
    monkeypatch.undo()
    logs.setup()
    assert (tmp_path / "a" / logs.FILE_NAME).read_text().count("one line") == 1
    assert "another line" not in (tmp_path / "a" / logs.FILE_NAME).read_text()
    assert "another line" in (tmp_path / "b" / logs.FILE_NAME).read_text()
