"""A throwaway PostgreSQL server for the tests and the benchmarks.

``running_postgres()`` starts one from Debian's server binaries in a temporary folder
(as the ``postgres`` system user when run as root: PostgreSQL refuses root), yields the
URL of an empty database, and stops and removes it afterwards. ``POPDASH_TEST_PG_URL``
names an existing server instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

PG_URL_ENV = "POPDASH_TEST_PG_URL"
PG_DATABASE = "popdash_test"
PG_SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No server could be started; the text says why and what to install."""


def _pg_bindir() -> Path:
    """The bin directory of the newest PostgreSQL installed by Debian's packages."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            version = bindir.parent.name
            key = tuple(int(p) for p in version.split(".") if p.isdigit())
            candidates.append((key, bindir))
    if not candidates:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin. "
            "Install them with `apt-get install postgresql` (`bash .ci/run` does it), "
            f"or set {PG_URL_ENV} to the URL of a server to test against."
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
                raise PostgresUnavailable(
                    "PostgreSQL refuses to run as root and there is no `postgres` system user; "
                    "install the Debian package `postgresql`, which creates it."
                ) from None
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
    raise PostgresUnavailable(f"{what} failed (exit {result.returncode}):\n{detail}")


@contextmanager
def running_postgres() -> Iterator[str]:
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
