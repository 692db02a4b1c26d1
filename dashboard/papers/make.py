"""The papers' entry points: the workbook, the report, both at once (``papers_bytes``), into a
folder (``write_papers``, the command line) or as a job on the app's engine (``make_papers``,
the assessment page)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine

from dashboard.i18n import t
from dashboard.papers import pdf
from dashboard.papers.collect import Papers, collect, report_data
from dashboard.papers.workbook import workbook
from queries.services.assessment import Rules
from queries.services.catalogue import units_frame


def file_names(year: int) -> tuple[str, str]:
    """The workbook's and the report's file names: 考核_<year>.xlsx and 考核_<year>.pdf."""
    return f"考核_{int(year)}.xlsx", f"考核_{int(year)}.pdf"


def default_boundaries(conn: Connection):
    """(boundaries, "") for the database's units, or (None, why there is no map): the
    same boundaries as the map page (geo.source)."""
    from geo.messages import GeoError
    from geo.source import boundary_source, load

    units = units_frame(conn)
    chosen = boundary_source(units)
    if not chosen.source:
        return None, t("mp_no_boundaries", "zh")
    try:
        return load(chosen, units), ""
    except GeoError as exc:  # the papers are in Chinese
        return None, t("mp_bad_boundaries", "zh", reason=exc.text("zh"))


def assessment_workbook(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
) -> bytes:
    """The assessment of every township and village under ``root`` as an .xlsx workbook."""
    return workbook(collect(conn, root, year, rules, basis, as_of))


def assessment_pdf(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
    boundaries=None,
    no_map_reason: str = "",
) -> bytes:
    """The printable report for the meeting as PDF bytes.

    ``boundaries``: a GeoDataFrame (``code``, geometry; WGS84) or a ``geo.boundaries.
    BoundaryJoin``; without it the map's place holds a note (``no_map_reason``, if given).
    """
    return _report(conn, collect(conn, root, year, rules, basis, as_of), boundaries, no_map_reason)


def _report(conn: Connection, p: Papers, boundaries, no_map_reason: str, step=None) -> bytes:
    write = pdf.writer()  # before the queries: a machine without the font fails at once
    data = report_data(conn, p)
    if step is not None:
        step(2, "charts")
    document = pdf.html(p, data, boundaries, no_map_reason)
    if step is not None:
        step(3, "pdf")
    return write(document)


def papers_bytes(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
    boundaries=None,
    no_map_reason: str = "",
    progress=None,
) -> tuple[bytes, bytes]:
    """The workbook and the report, from one collection of the numbers; ``progress(done,
    total, step)`` hears of each step (``queries.analytics.lifecycle.Progress``)."""

    def step(done: int, name: str) -> None:
        if progress is not None:
            progress(done, 4, name)

    step(0, "collect")
    p = collect(conn, root, year, rules, basis, as_of)
    step(1, "workbook")
    book = workbook(p)
    return book, _report(conn, p, boundaries, no_map_reason, step)


def write_papers(
    conn: Connection,
    root: str,
    year: int,
    rules: Rules,
    out_dir: str | Path,
    basis: str = "registered",
    as_of: date | str | None = None,
    boundaries=None,
    no_map_reason: str = "",
) -> tuple[Path, Path]:
    """Write 考核_<year>.xlsx and 考核_<year>.pdf into ``out_dir`` (made if missing)."""
    book, report = papers_bytes(conn, root, year, rules, basis, as_of, boundaries, no_map_reason)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlsx_name, pdf_name = file_names(year)
    (out / xlsx_name).write_bytes(book)
    (out / pdf_name).write_bytes(report)
    return out / xlsx_name, out / pdf_name


def make_papers(
    engine: Engine,
    root: str,
    year: int,
    rules: Rules,
    basis: str = "registered",
    as_of: date | str | None = None,
    progress=None,
) -> tuple[bytes, bytes]:
    """``papers_bytes`` on the caller's engine (the app's one engine, never one of its own),
    with the map's boundaries found as the map page finds them. Needs nothing from a page
    script, so it can run as a job (``dashboard.runtime.jobs``)."""
    with engine.connect() as conn:
        boundaries, why = default_boundaries(conn)
        return papers_bytes(conn, root, year, rules, basis, as_of, boundaries, why, progress)
