"""The one logging set-up, for the app and the command line: our packages' loggers write to
the console and to a rotating file, data/popdash.log (or POPDASH_LOG_DIR/popdash.log).

What is logged is about the system — start-up, imports (row counts, time), derived-table
rebuilds, errors with their reference numbers — never a person's id or name: the log is
read by whoever runs the server, who need not see the registers.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import secrets
import sys
from pathlib import Path

from queries.store.config import REPO_ROOT

LOG_DIR_ENV = "POPDASH_LOG_DIR"
FILE_NAME = "popdash.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
PACKAGES = ("dashboard", "queries", "geo", "pages")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    return Path(os.environ.get(LOG_DIR_ENV) or REPO_ROOT / "data") / FILE_NAME


class _Ours:
    """Marks the handlers this module added, so a second setup() finds them."""


def setup(console: bool = True) -> bool:
    """Attach the handlers once per process; again only when the log file moved (a test's
    POPDASH_LOG_DIR). Returns whether anything was attached, so a caller logs start-up once.

    ``console`` is off for the command line, whose stderr is one line per failure by promise.
    """
    path = log_path()
    loggers = [logging.getLogger(name) for name in PACKAGES]
    current = [h for h in loggers[0].handlers if isinstance(h, _Ours)]
    if current and all(
        not isinstance(h, logging.FileHandler) or Path(h.baseFilename) == path.resolve() for h in current
    ):
        return False
    for logger in loggers:
        for handler in [h for h in logger.handlers if isinstance(h, _Ours)]:
            logger.removeHandler(handler)
            handler.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [
        _OursFile(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    ]
    if console:
        handlers.append(_OursConsole(sys.stderr))
    formatter = logging.Formatter(FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
    for logger in loggers:
        logger.setLevel(logging.INFO)
        # Streamlit may give the root logger a handler; ours already print each line once.
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    return True


class _OursFile(logging.handlers.RotatingFileHandler, _Ours):
    pass


class _OursConsole(logging.StreamHandler, _Ours):
    pass


def reference() -> str:
    """A short number that a user reads out and the log can be searched for."""
    return secrets.token_hex(4)
