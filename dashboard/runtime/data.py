"""The pages' one door to the database: the engine cached per URL, results cached per
plain filter values, and failures turned into a message on the page."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard.i18n import TEXT, t
from dashboard.runtime.logs import reference
from dashboard.runtime.settings import database_url, describe, open_engine
from queries.analytics import lifecycle
from queries.analytics.lifecycle import ensure_schema
from queries.engine.indicators import UnknownUnit, compute, county_code
from queries.engine.period import make_period
from queries.services import catalogue, shape
from queries.store import data_version
from queries.store.db import first_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """What every cached result is keyed by: the database and its data version (read once
    per page run), so the first page opened after an import or a target change shows it."""

    url: str
    version: str


class _Engines:
    """One engine per database URL for the process, opened (schema checked, derived tables
    verified, the demo built on first run) by the first page run that needs it.

    Not ``st.cache_resource``: Streamlit replays, on every cache hit, the elements a cached
    function drew, so the first run's progress bar would come back on every page opened
    after it."""

    def __init__(self) -> None:
        self._by_url: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, progress=None) -> Engine:
        engine = self._by_url.get(url)
        if engine is None:
            with self._lock:  # another session waits for the one opening it
                engine = self._by_url.get(url)
                if engine is None:
                    engine = open_engine(url, progress=progress)
                    self._by_url[url] = engine
        return engine

    def clear(self) -> None:
        with self._lock:
            for engine in self._by_url.values():
                engine.dispose()
            self._by_url.clear()


_engine = _Engines()


def step_label(step: str, lang: str) -> str:
    """A step of long work (``queries.analytics.lifecycle.Progress``) in the user's words."""
    return t(f"step_{step}", lang) if f"step_{step}" in TEXT else ""


def _bar(key: str, lang: str):
    """A progress callback that shows a bar on its first call (most opens need none)."""
    bar = None

    def progress(done: int, total: int, step: str) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0)
        bar.progress(min(1.0, done / max(total, 1)), text=t(key, lang, step=step_label(step, lang)))

    progress.clear = lambda: bar.empty() if bar is not None else None  # type: ignore[attr-defined]
    return progress


# One rebuild at a time in this process: another session waits for it instead of starting its own.
_REBUILDING = threading.Lock()


def engine(lang: str = "zh") -> Engine:
    """The engine, or a clear message and a stopped page when the database is unusable:
    "unreachable" when it cannot be connected to, else an internal error with a reference
    (a bug while opening it, say in the derived tables' rebuild, is not the network's fault)."""
    url = database_url()
    try:
        progress = _bar("preparing_db", lang)
        eng = _engine(url, progress)
        progress.clear()
        with eng.connect() as conn:
            county_code(conn)
    except UnknownUnit:
        st.warning(t("db_empty", lang))
        st.stop()
    except Exception:  # noqa: BLE001 - any failure to open the database is shown, not raised
        _engine.clear()
        refused = _connection_error(url)
        if refused is not None:
            log.warning("database %s unreachable: %s", describe(url), first_line(refused))
            st.error(t("db_unreachable", lang, reason=first_line(refused)))
        else:
            ref = reference()
            log.exception("internal error opening database %s, reference %s", describe(url), ref)
            st.error(t("internal_error", lang, ref=ref))
        st.stop()
    return eng


def _connection_error(url: str) -> Exception | None:
    """Why a fresh connection to ``url`` fails (a bad URL, a server down, a file that is no
    database), or None when it opens."""
    from sqlalchemy.exc import SQLAlchemyError

    from queries.store.db import DatabaseError, make_engine

    try:
        probe = make_engine(url)
        try:
            with probe.connect():
                pass
        finally:
            probe.dispose()
    except (DatabaseError, SQLAlchemyError, OSError) as exc:
        return exc
    return None


def source(lang: str = "zh") -> Source:
    """The database and its current data version; derived tables found missing or emptied
    are rebuilt first, with a progress bar, so no page ever reads them as zeros."""
    eng = engine(lang)
    with eng.connect() as conn:
        wrong = lifecycle.problems(conn)
        version = data_version.read(conn)
    if wrong:
        version = _rebuild(eng, lang)
    return Source(database_url(), version)


def _rebuild(eng: Engine, lang: str) -> str:
    progress = _bar("rebuilding", lang)
    progress(0, 1, "")
    # ensure_schema checks again under the lock: after another session's rebuild there is
    # nothing left to do.
    with _REBUILDING:
        ensure_schema(eng, progress)
    progress.clear()
    with eng.connect() as conn:
        return data_version.read(conn)


@st.cache_data(show_spinner=False, max_entries=64)
def units(db: Source) -> pd.DataFrame:
    with _engine(db.url).connect() as conn:
        return catalogue.units_frame(conn)


@st.cache_data(show_spinner=False, max_entries=16)
def years(db: Source) -> list[int]:
    with _engine(db.url).connect() as conn:
        return catalogue.years(conn)


@st.cache_data(show_spinner=False, max_entries=64)
def indicator_table(db: Source, root: str, year: int, as_of: date, basis: str) -> pd.DataFrame:
    with _engine(db.url).connect() as conn:
        return compute(conn, root, make_period(year, as_of), basis)


@st.cache_data(show_spinner=False, max_entries=64)
def overview(db: Source, root: str, year: int, as_of: date, basis: str) -> pd.DataFrame:
    # Built from the cached tables, which the page's list of units behind reads too.
    last = make_period(year, as_of).previous_year()
    return shape.overview(
        indicator_table(db, root, year, as_of, basis),
        indicator_table(db, root, last.year, last.as_of, basis),
        root,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def has_records(db: Source, root: str, year: int, as_of: date) -> bool:
    with _engine(db.url).connect() as conn:
        return catalogue.has_records(conn, root, make_period(year, as_of))


# --- pre-pregnancy checks and migrant services pages -------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def check_projection(db: Source, root: str, year: int, as_of: date, level: str) -> pd.DataFrame:
    """Year-end projection of the check task for each unit of ``level`` within ``root``."""
    from queries.services.projection import project_checks

    with _engine(db.url).connect() as conn:
        return project_checks(conn, root, make_period(year, as_of), level)


@st.cache_data(show_spinner=False, max_entries=64)
def check_curves(db: Source, root: str, year: int, as_of: date) -> pd.DataFrame:
    """Cumulative couples checked by month: this year up to the as-of month, and last year."""
    from queries.services.trends import check_curves as curves

    with _engine(db.url).connect() as conn:
        return curves(conn, root, make_period(year, as_of))


@st.cache_data(show_spinner=False, max_entries=64)
def migrant_flows(db: Source, root: str, year: int, as_of: date, level: str) -> pd.DataFrame:
    """Inflow present and served, outflow present and coverage per unit of ``level``."""
    from queries.services.trends import migrant_flows as flows

    with _engine(db.url).connect() as conn:
        return flows(conn, root, make_period(year, as_of), level)


@st.cache_data(show_spinner=False, max_entries=64)
def service_mix(db: Source, root: str, year: int, as_of: date) -> pd.DataFrame:
    """Services given in the period to migrants of root's subtree, by kind."""
    from queries.services.trends import service_mix as mix

    with _engine(db.url).connect() as conn:
        return mix(conn, root, make_period(year, as_of))


# --- map page -------------------------------------------------------------------------------


def boundary_key(db: Source) -> tuple[str, float, str | None, str]:
    """(source, modification time, code column, coordinates) of the boundaries for ``db``:
    plain values for the caches (geo.source decides them)."""
    from geo.source import boundary_source

    chosen = boundary_source(units(db))
    return chosen.source, chosen.stamp, chosen.column, chosen.crs


@st.cache_resource(show_spinner=False, max_entries=8)
def _boundaries(db: Source, source: str, stamp: float, column: str | None, crs: str):
    from geo.source import BoundarySource, load

    return load(BoundarySource(source, stamp, column, crs), units(db))


def boundaries(db: Source, lang: str = "zh"):
    """(BoundaryJoin, "") or (None, a one-line message in ``lang`` saying why there is no map)."""
    from geo.messages import GeoError

    source, stamp, column, crs = boundary_key(db)
    if not source:
        return None, t("mp_no_boundaries", lang)
    try:
        with st.spinner(t("mp_loading_boundaries", lang)):
            return _boundaries(db, source, stamp, column, crs), ""
    except GeoError as exc:
        return None, t("mp_bad_boundaries", lang, reason=exc.text(lang))


@st.cache_data(show_spinner=False, max_entries=16)
def map_geometries(
    db: Source, source: str, stamp: float, column: str | None, crs: str, level: str, tile_crs: str
) -> dict[str, dict]:
    """Unit code → simplified GeoJSON geometry of the units of ``level``, as sent to the
    browser: WGS84, or GCJ-02 to sit on GCJ-02 tiles (``tile_crs``)."""
    from geo.maps import geometries_json
    from geo.simplify import simplify_coverage

    shapes = _boundaries(db, source, stamp, column, crs).level(level)
    simplified = shapes.set_geometry(list(simplify_coverage(shapes.geometry.to_numpy())))
    return geometries_json(simplified, tile_crs)


@st.cache_data(show_spinner=False, max_entries=64)
def sex_ratio_pooled(
    db: Source, root: str, years: tuple[int, ...], basis: str, level: str, as_of: date
) -> pd.DataFrame:
    """The sex ratio of each unit of ``level`` over ``years`` pooled (through ``as_of``)."""
    from queries.services.trends import sex_ratio_pooled as pooled

    with _engine(db.url).connect() as conn:
        return pooled(conn, root, list(years), basis, level, as_of)


# --------------------------------------------------------------------------- unit detail


@st.cache_data(show_spinner=False, max_entries=64)
def trend(db: Source, unit: str, years: tuple[int, ...], basis: str, as_of: date) -> pd.DataFrame:
    """``queries.services.trends.trend`` for ``unit``: full years, the last one cut at ``as_of``'s day."""
    from queries.services import trends as series

    with _engine(db.url).connect() as conn:
        return series.trend(conn, unit, list(years), basis, as_of_month_day=as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def births_by_month(db: Source, unit: str, year: int, as_of: date, basis: str) -> pd.DataFrame:
    with _engine(db.url).connect() as conn:
        return shape.births_by_month(conn, unit, make_period(year, as_of), basis)


# --- assessment and targets pages ---------------------------------------------------------------


def rules_key() -> tuple[str, float]:
    """(path, modification time) of the assessment rules: the ``assessment_rules`` setting
    (POPDASH_ASSESSMENT_RULES; relative paths from the project folder), else config/assessment.toml."""
    from pathlib import Path

    from dashboard.runtime.settings import setting
    from queries.services.assessment import DEFAULT_RULES_PATH
    from queries.store.config import REPO_ROOT

    configured = setting("assessment_rules")
    path = Path(configured).expanduser() if configured else DEFAULT_RULES_PATH
    path = path if path.is_absolute() else REPO_ROOT / path
    try:
        stamp = path.stat().st_mtime
    except OSError:
        stamp = 0.0
    return str(path), stamp


def rules_label(path: str) -> str:
    """The rules file as the page names it: relative to the project when inside it."""
    from pathlib import Path

    from queries.store.config import REPO_ROOT

    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path


@st.cache_data(show_spinner=False, max_entries=8)
def assessment_rules(path: str, stamp: float):
    """The checked rules (``RulesError`` propagates, and is not cached)."""
    from queries.services.assessment import load_rules

    return load_rules(path)


@st.cache_data(show_spinner=False, max_entries=32)
def assessment(
    db: Source, root: str, year: int, as_of: date, basis: str, level: str, path: str, stamp: float
) -> pd.DataFrame:
    from queries.services.assessment import assess

    rules = assessment_rules(path, stamp)
    with _engine(db.url).connect() as conn:
        return assess(conn, root, year, level, rules, basis=basis, as_of=as_of)


@st.cache_data(show_spinner=False, max_entries=16)
def target_template(db: Source, root: str, year: int) -> bytes:
    from queries.ingest.targets import template_xlsx

    with _engine(db.url).connect() as conn:
        return template_xlsx(conn, root, year)


@st.cache_data(show_spinner=False, max_entries=16)
def target_fallbacks(db: Source, root: str, year: int) -> dict[tuple[str, str], float | None]:
    """(unit, indicator) → the target that applies without the unit's own (None if none)."""
    from queries.ingest.targets import template_frame

    with _engine(db.url).connect() as conn:
        frame = template_frame(conn, root, year)
    values = frame["留空时沿用"].astype(float)
    return {
        (u, c): (None if pd.isna(v) else float(v))
        for u, c, v in zip(frame["单位代码"], frame["指标代码"], values, strict=True)
    }


def own_targets(db: Source, root: str, year: int) -> pd.DataFrame:
    from queries.ingest.targets import own_targets as own

    with _engine(db.url).connect() as conn:
        return own(conn, root, year)


@st.cache_data(show_spinner=False, max_entries=64)
def scorecard(db: Source, root: str, year: int, as_of: date, basis: str, parent: str) -> pd.DataFrame:
    """The scorecard of ``parent``'s children, cached per filter set like the table it pivots."""
    return shape.scorecard(indicator_table(db, root, year, as_of, basis), parent)


def import_history(db: Source) -> pd.DataFrame:
    """The latest imports, newest first (``queries.ingest.history``). Not cached: a refused
    import is recorded without a new data version, and the 50 rows cost a millisecond."""
    from queries.ingest.history import history

    with _engine(db.url).connect() as conn:
        return history(conn)


def undo_candidate(db: Source):
    """The import the undo button would undo (``queries.ingest.undo.candidate``), or None."""
    from queries.ingest.undo import UndoRefused, candidate

    with _engine(db.url).connect() as conn:
        try:
            return candidate(conn)
        except UndoRefused:
            return None
