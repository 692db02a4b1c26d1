"""Where the database is, for the app and the command line alike (no streamlit here).

Order: the ``POPDASH_DB_URL`` environment variable, then ``db_url`` in
``.streamlit/secrets.toml``, then the embedded SQLite file under ``data/``. The embedded
file is filled with the demo county the first time it is opened empty.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine

from queries.analytics.lifecycle import ensure_schema
from queries.store.config import setting
from queries.store.db import DB_URL_ENV, DEFAULT_DB_PATH, is_empty, make_engine

__all__ = ["database_url", "default_url", "describe", "open_engine", "setting"]
log = logging.getLogger(__name__)


def database_url() -> str:
    return os.environ.get(DB_URL_ENV) or setting("db_url") or default_url()


def default_url() -> str:
    return f"sqlite:///{DEFAULT_DB_PATH}"


def open_engine(url: str | None = None, build_demo: bool | None = None, progress=None) -> Engine:
    """An engine with the schema in place and its derived tables readable.

    The embedded default database is filled with the demo county when empty, so a new
    user sees real pages at once; any other database is never written to unasked.
    ``progress`` (``queries.analytics.lifecycle.Progress``) hears of a demo build or a rebuild.
    """
    url = url or database_url()
    engine = make_engine(url)
    ensure_schema(engine, progress)
    if build_demo is None:
        build_demo = url == default_url()
    if build_demo and is_empty(engine):
        from queries.demo.county import create_demo

        log.info("building the demo county into %s (first run)", describe(url))
        create_demo(engine, progress)
    log.info("database %s open", describe(url))
    return engine


def describe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url if not url.startswith("sqlite:///") else str(Path(url[len("sqlite:///") :]))
