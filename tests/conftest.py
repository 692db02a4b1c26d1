"""Database fixtures shared by the whole suite.

``engine`` runs a test twice: on a fresh SQLite file and on a fresh schema in a real
PostgreSQL server that the suite starts itself (``postgres_url``), so every query is
checked on both dialects. Set ``POPDASH_TEST_PG_URL`` to use an existing server instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from queries.analytics.lifecycle import ensure_schema
from queries.store.db import make_engine
from queries.store.schema import metadata
from tests.pg_server import PostgresUnavailable, running_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database ``popdash_test`` on a throwaway PostgreSQL server."""
    try:
        with running_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


def _fresh_postgres(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        # A connection a previous test leaked would block DROP forever; fail instead.
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        metadata.drop_all(conn)
    ensure_schema(engine)
    return engine


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgresql"],
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty population database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/t.sqlite")
        ensure_schema(eng)
    else:
        eng = _fresh_postgres(request.getfixturevalue("postgres_url"))
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty SQLite population database, for tests that need only one dialect."""
    eng = make_engine(f"sqlite:///{tmp_path}/t.sqlite")
    ensure_schema(eng)
    try:
        yield eng
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- the app on a demo county


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a SQLite file holding a small demo county (4 townships, 44 villages and
    communities, 2023–2025 with events up to 15 November 2025), built once per session."""
    from datetime import date

    from queries.demo.county import create_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.sqlite"
    engine = make_engine(url)
    try:
        create_demo(
            engine, villages=40, communities=4, townships=4, years=3, until=date(2025, 11, 15), seed=7
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture
def app_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app reads the demo county for this test (POPDASH_DB_URL); returns its URL."""
    monkeypatch.setenv("POPDASH_DB_URL", demo_db_url)
    return demo_db_url


@pytest.fixture
def demo_copy(demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the demo county this test may change, which the app reads."""
    import shutil

    source = Path(demo_db_url.removeprefix("sqlite:///"))
    target = tmp_path / "demo.sqlite"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("POPDASH_DB_URL", url)
    return url
