"""Filter state that lives in the URL, so every view is a link and the back button works.

Bound widgets would put display names (Chinese unit names) in the URL and silently drop a
bad value; here the URL carries codes, and a bad value is reported on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

_WRITTEN = "_url_written"
_BAD = "_url_bad"


def follow(key: str, default: Any, parse: Callable[[str], Any]) -> None:
    """Before the widget is drawn: take ``key`` from the URL when the URL changed under us
    (a shared link, the back button), else keep the session's value, else the default.

    ``parse`` returns None for a value it does not accept; that value is remembered for
    :func:`bad_values` so the page can say so.
    """
    written = st.session_state.setdefault(_WRITTEN, {})
    raw = st.query_params.get(key)
    # A key missing from the session with a value in the URL is also taken: Streamlit drops
    # widget state when st.switch_page cuts a run short, and the view comes in the URL.
    if raw is not None and (written.get(key) != raw or key not in st.session_state):
        value = parse(raw)
        written[key] = raw
        if value is None:
            st.session_state.setdefault(_BAD, {})[key] = raw
            st.session_state.setdefault(key, default)
        else:
            st.session_state[key] = value
    elif key not in st.session_state:
        st.session_state[key] = default


def publish(values: dict[str, Any]) -> None:
    """Write the current values into the URL (None removes the parameter)."""
    written = st.session_state.setdefault(_WRITTEN, {})
    for key, value in values.items():
        text = None if value in (None, "") else str(value)
        if text is None:
            if key in st.query_params:
                del st.query_params[key]
            written.pop(key, None)
        elif st.query_params.get(key) != text:
            st.query_params[key] = text
            written[key] = text
        else:
            written[key] = text


def bad_values() -> dict[str, str]:
    """URL values that were refused since the last call, by parameter."""
    return st.session_state.pop(_BAD, {})
