"""Settings of the installation, for the app and the command line alike (no streamlit here).

A setting named ``name`` comes from the ``POPDASH_<NAME>`` environment variable, else from
``name`` in ``.streamlit/secrets.toml`` (read with tomllib: Streamlit's own ``st.secrets``
is not there for the command line), else its default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRETS_PATH = REPO_ROOT / ".streamlit" / "secrets.toml"


class SettingsError(Exception):
    """The settings file cannot be read; the text names it and why."""


def _secrets() -> dict:
    try:
        with open(SECRETS_PATH, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {SECRETS_PATH}: {exc}") from exc


def setting(name: str, default: str | None = None) -> str | None:
    """A setting from POPDASH_<NAME> in the environment, else ``name`` in secrets.toml."""
    env = os.environ.get(f"POPDASH_{name.upper()}")
    if env:
        return env
    value = _secrets().get(name)
    return str(value) if value not in (None, "") else default
