"""Filter state that lives in the URL, so every view is a link and the back button works.

Bound widgets would put display names (Chinese unit names) in the URL and silently drop a
bad value; here the URL carries codes, and every value a page does not use is named on it.

A run goes: the sidebar calls :func:`begin` (and :func:`relabel`), then :func:`follow` for each of its parameters,
then :func:`notes`, which opens the one place at the top of the page where refused values are
listed; a page's own :func:`follow` calls after that are listed there as they happen, so a
page needs no call of its own to report them, even when it stops early.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.i18n import t

_WRITTEN = "_url_written"
_BAD = "_url_bad"
_NOTES = "_url_notes"  # (container, lang, explain) of this run, once the sidebar opened them
_RELABEL = "_url_relabel"
SHOWN_CHARS = 40


def begin() -> None:
    """At the start of a run."""
    st.session_state.pop(_NOTES, None)
    st.session_state[_RELABEL] = False


def relabel() -> None:
    """The language changed on this run. A widget's value comes back from the browser as
    the label it showed, which the new language no longer has (Streamlit then keeps a
    wrong value or resets it), so every value followed from here on is read again from the
    URL, which holds codes."""
    st.session_state[_RELABEL] = True


def follow(key: str, default: Any, parse: Callable[[str], Any]) -> bool:
    """Before the widget is drawn: take ``key`` from the URL when the URL changed under us
    (a shared link, the back button), else keep the session's value, else the default.

    ``parse`` returns None for a value it does not accept; that value is refused (named on
    the page) and the session's value, else the default, is kept. An empty value counts as
    absent. Returns whether a new value was taken from the URL.
    """
    written = st.session_state.setdefault(_WRITTEN, {})
    raw = st.query_params.get(key) or None
    relabel = st.session_state.get(_RELABEL, False)
    # A key missing from the session with a value in the URL is also taken: Streamlit drops
    # widget state when st.switch_page cuts a run short, and the view comes in the URL.
    if raw is not None and (written.get(key) != raw or key not in st.session_state or relabel):
        written[key] = raw
        value = _parsed(parse, raw)
        if value is None:
            refuse(key, raw)
            if relabel or key not in st.session_state:
                st.session_state[key] = default
            return False
        st.session_state[key] = value
        return True
    if raw is not None and _parsed(parse, raw) is None:
        # Unchanged in the URL but no longer valid (an as-of date when the link's year
        # changed): still a value the page does not use, so it is named.
        refuse(key, raw)
    if key not in st.session_state or (relabel and raw is None):
        st.session_state[key] = default
    return False


def _parsed(parse: Callable[[str], Any], raw: str) -> Any:
    try:
        return parse(raw)
    except (ValueError, TypeError, OverflowError):
        return None


def refuse(key: str, raw: str, message: str | None = None) -> None:
    """A URL value that is not used: named on the page, with ``message`` if given."""
    bad = st.session_state.setdefault(_BAD, {})
    bad[key] = (raw, message)
    opened = st.session_state.get(_NOTES)
    if opened is not None:
        _write(opened, key)


def notes(lang: str, explain: dict[str, Callable[[str], str]] | None = None) -> None:
    """Open the notes at this point of the page and write the values refused so far; those
    refused later in the run are written there too. ``explain`` gives a parameter's own
    message (else the generic one)."""
    opened = (st.container(), lang, explain or {})
    st.session_state[_NOTES] = opened
    for key in list(st.session_state.get(_BAD, {})):
        _write(opened, key)


def _write(opened, key: str) -> None:
    container, lang, explain = opened
    raw, message = st.session_state[_BAD].pop(key)
    if message is None:
        message = explain[key](raw) if key in explain else t("url_ignored", lang, param=shown(key, raw))
    container.warning(message)


def shown(key: str, raw: str) -> str:
    """``key=raw`` as the notes show it: cut to SHOWN_CHARS characters, control characters
    replaced, inside a code span so that no character of the value is read as markdown."""
    text = "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cs") else c for c in raw)
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    text = f"{key}={text}"
    fence = "`" * (_longest_backtick_run(text) + 1)
    return (
        f"{fence} {text} {fence}" if text.startswith("`") or text.endswith("`") else f"{fence}{text}{fence}"
    )


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return longest


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
