"""Cells read into numpy arrays, and the array helpers every check uses.

A column is parsed once: text into an object array of stripped strings (a missing value
as ''), numbers into float64, dates into datetime64[us] at midnight. Values may arrive as
strings (a CSV file) or already typed (a workbook, a frame built in code). Checks are then
array operations on these, with numpy bool masks.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

Mask = np.ndarray


def text(s: pd.Series) -> np.ndarray:
    """Values as stripped strings in an object array; missing values as ''."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if ptypes.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    if ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s):
        if ptypes.is_float_dtype(s):
            f = s.to_numpy(dtype="float64", na_value=np.nan)
            if np.all(
                np.isnan(f)
                | (np.isfinite(f) & (np.mod(f, 1, where=np.isfinite(f), out=np.ones_like(f)) == 0))
            ):
                s = s.astype("Int64")
        return s.astype(str).where(s.notna(), "").to_numpy(dtype=object)
    if isinstance(s.dtype, pd.StringDtype) or ptypes.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.str.strip().to_numpy(dtype=object, na_value="")
    out = s.where(s.notna(), "")
    out = out.map(lambda v: v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v)
    return out.astype(str).str.strip().to_numpy(dtype=object)


def numbers(s: pd.Series, as_text: np.ndarray | None) -> tuple[np.ndarray, Mask, Mask]:
    """(values as float64, missing, unparseable); ``as_text`` is ``text(s)`` if already made."""
    if ptypes.is_bool_dtype(s) or (
        ptypes.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
    ):
        missing = s.isna().to_numpy()
        values = s.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    else:
        as_text = text(s) if as_text is None else as_text
        missing = as_text == ""
        values = np.asarray(pd.to_numeric(as_text, errors="coerce"), dtype="float64")
    bad = ~missing & ~np.isfinite(values)
    return values, missing, bad


# The date forms a string may take: year first, so that none is ambiguous. The character
# after the year picks the form; each form is parsed by pandas' strptime for its own cells
# only (a form tried on cells of another costs ten times a parse).
DATE_FORMATS = {"-": "%Y-%m-%d", "/": "%Y/%m/%d", ".": "%Y.%m.%d", "年": "%Y年%m月%d日"}
DATE_FORMS = "YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D, YYYY年M月D日"


def _strict_dates(as_text: np.ndarray) -> np.ndarray:
    """Year-first date strings (``DATE_FORMATS``) to datetime64[us]; anything else NaT.

    Month and day may have one digit or two; nothing may follow the day (no time).
    """
    out = np.full(len(as_text), np.datetime64("NaT"), dtype="datetime64[us]")
    strings = pd.Series(as_text, dtype=object, copy=False)
    separator = strings.str[4:5].to_numpy(dtype=object, na_value="")
    for sep, fmt in DATE_FORMATS.items():
        these = separator == sep
        if these.any():
            parsed = pd.to_datetime(strings[these], format=fmt, errors="coerce")
            out[these] = parsed.to_numpy(dtype="datetime64[us]")
    return out


def dates(s: pd.Series, as_text: np.ndarray | None) -> tuple[np.ndarray, Mask, Mask]:
    """(values as datetime64[us] at midnight, missing, unparseable); strings in ``DATE_FORMS``."""
    if ptypes.is_datetime64_any_dtype(s):
        d = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        values = d.to_numpy(dtype="datetime64[us]")
        missing = s.isna().to_numpy()
    else:
        kind = ptypes.infer_dtype(s, skipna=True)
        if kind in ("date", "datetime", "datetime64"):
            values = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[us]")
            missing = s.isna().to_numpy()
        elif kind in ("string", "empty") or not ptypes.is_object_dtype(s):
            as_text = text(s) if as_text is None else as_text
            missing = as_text == ""
            values = _strict_dates(as_text)
        else:  # a mix of date objects and strings
            is_date = s.map(lambda v: isinstance(v, date)).to_numpy(dtype=bool)
            as_text = text(s.where(~is_date, "")) if as_text is None else np.where(is_date, "", as_text)
            values = _strict_dates(as_text)
            values[is_date] = pd.to_datetime(s[is_date], errors="coerce").to_numpy(dtype="datetime64[us]")
            missing = ~is_date & (as_text == "")
    values = values.astype("datetime64[D]").astype("datetime64[us]")  # midnight
    bad = ~missing & np.isnat(values)
    return values, missing, bad


def isin(arr: np.ndarray, values) -> Mask:
    """``arr``'s elements that are in ``values``: a loop over a few values, else a hash lookup."""
    if not isinstance(values, (np.ndarray, pd.Index, pd.Series)):
        values = list(values)
    if len(values) <= 8:
        out = np.zeros(len(arr), dtype=bool)
        for v in values:
            out |= arr == v
        return out
    return pd.Series(arr, dtype=object, copy=False).isin(values).to_numpy()


def quote(values) -> np.ndarray:
    """Values quoted for a message: 'x'."""
    return "'" + np.asarray(values, dtype=object).astype(str).astype(object) + "'"


def show(v) -> str:
    """A value for a message: a whole float without its '.0'."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
