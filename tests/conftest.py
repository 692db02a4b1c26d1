"""Database fixtures shared by the whole suite.

``engine`` runs a test twice: on a fresh SQLite file and on a fresh schema in a real
PostgreSQL server that the suite starts itself (``postgres_url``), so every query is
checked on both dialects. Set ``POPDASH_TEST_PG_URL`` to use an existing server instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from queries.db import ensure_schema, make_engine
from queries.schema import metadata

PG_URL_ENV = "POPDASH_TEST_PG_URL"
PG_DATABASE = "popdash_test"
PG_SUPERUSER = "postgres"


def _pg_bindir() -> Path:
    """The bin directory of the newest PostgreSQL installed by Debian's packages."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            version = bindir.parent.name
            key = tuple(int(p) for p in version.split(".") if p.isdigit())
            candidates.append((key, bindir))
    if not candidates:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin. "
            "Install them with `apt-get install postgresql` (`bash .ci/run` does it), "
            f"or set {PG_URL_ENV} to the URL of a server to test against.",
            pytrace=False,
        )
    return max(candidates)[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Runner:
    """Runs PostgreSQL's tools, as the ``postgres`` system user when we are root."""

    def __init__(self, bindir: Path, workdir: Path) -> None:
        self.bindir = bindir
        self.workdir = workdir
        self.prefix: list[str] = []
        self.owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(
                    "PostgreSQL refuses to run as root and there is no `postgres` system user; "
                    "install the Debian package `postgresql`, which creates it.",
                    pytrace=False,
                )
            self.owner = (pw.pw_uid, pw.pw_gid)
            os.chown(workdir, *self.owner)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def make_dir(self, path: Path) -> None:
        path.mkdir(mode=0o700)
        if self.owner is not None:
            os.chown(path, *self.owner)

    def __call__(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, str(self.bindir / tool), *args],
            cwd=self.workdir,  # postgres must be able to read its working directory
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )


def _fail(what: str, result: subprocess.CompletedProcess[str], log: Path | None = None) -> None:
    detail = (result.stdout + result.stderr).strip()
    if log is not None and log.exists():
        detail += "\n--- server log ---\n" + log.read_text(errors="replace")[-4000:]
    pytest.fail(f"{what} failed (exit {result.returncode}):\n{detail}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database ``popdash_test`` on a throwaway PostgreSQL server."""
    external = os.environ.get(PG_URL_ENV)
    if external:
        yield external
        return

    bindir = _pg_bindir()
    # Under /tmp (world-traversable) so the postgres user can reach it even if TMPDIR cannot.
    workdir = Path(tempfile.mkdtemp(prefix="popdash-pg-", dir="/tmp" if os.geteuid() == 0 else None))
    datadir, sockdir, log = workdir / "data", workdir / "sock", workdir / "server.log"
    run = None
    try:
        run = _Runner(bindir, workdir)
        result = run(
            "initdb", "-D", str(datadir), "-U", PG_SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "-N"
        )
        if result.returncode != 0:
            _fail("initdb", result)
        run.make_dir(sockdir)
        started = False
        for _attempt in range(3):  # the free port may be taken between finding and binding it
            port = _free_port()
            options = (
                "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                f"-k {sockdir} -p {port} -c listen_addresses=127.0.0.1"
            )
            result = run(
                "pg_ctl", "-D", str(datadir), "-l", str(log), "-w", "-t", "60", "-o", options, "start"
            )
            if result.returncode == 0:
                started = True
                break
        if not started:
            _fail("pg_ctl start", result, log)

        admin = create_engine(
            f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {PG_DATABASE} ENCODING 'UTF8' TEMPLATE template0"))
        finally:
            admin.dispose()

        yield f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{port}/{PG_DATABASE}"
    finally:
        # Stop the server also after a failed or timed-out start.
        if run is not None and (datadir / "postmaster.pid").exists():
            run("pg_ctl", "-D", str(datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


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

    from queries.demo import create_demo

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
