"""Where the database is, for the app and the command line alike (no streamlit here).

Order: the ``POPDASH_DB_URL`` environment variable, then ``db_url`` in
``.streamlit/secrets.toml``, then the embedded SQLite file under ``data/``. The embedded
file is filled with the demo county the first time it is opened empty.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from sqlalchemy import Engine

from queries.db import (
    DB_URL_ENV,
    DEFAULT_DB_PATH,
    REPO_ROOT,
    DatabaseError,
    ensure_schema,
    is_empty,
    make_engine,
)

SECRETS_PATH = REPO_ROOT / ".streamlit" / "secrets.toml"


def _secrets() -> dict:
    try:
        with open(SECRETS_PATH, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DatabaseError(f"cannot read {SECRETS_PATH}: {exc}") from exc


def setting(name: str, default: str | None = None) -> str | None:
    """A setting from POPDASH_<NAME> in the environment, else ``name`` in secrets.toml."""
    env = os.environ.get(f"POPDASH_{name.upper()}")
    if env:
        return env
    value = _secrets().get(name)
    return str(value) if value not in (None, "") else default


def database_url() -> str:
    return os.environ.get(DB_URL_ENV) or setting("db_url") or default_url()


def default_url() -> str:
    return f"sqlite:///{DEFAULT_DB_PATH}"


def open_engine(url: str | None = None, build_demo: bool | None = None) -> Engine:
    """An engine with the schema in place.

    The embedded default database is filled with the demo county when empty, so a new
    user sees real pages at once; any other database is never written to unasked.
    """
    url = url or database_url()
    engine = make_engine(url)
    ensure_schema(engine)
    if build_demo is None:
        build_demo = url == default_url()
    if build_demo and is_empty(engine):
        from queries.demo import create_demo

        create_demo(engine)
    return engine


def describe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url if not url.startswith("sqlite:///") else str(Path(url[len("sqlite:///") :]))
