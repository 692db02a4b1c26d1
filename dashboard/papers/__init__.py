"""The papers for the year-end assessment meeting (年终考核): a workbook (考核_<year>.xlsx) and a
printable report (考核_<year>.pdf), for the assessment page's downloads and
``python -m dashboard report`` alike.

Owns how the assessment is put on paper: which numbers each paper shows, their layout and
wording, the charts, the HTML templates and the PDF; the numbers themselves are the
services' and the engine's.

Modules, one job each:

- ``make``: the entry points (``file_names``, ``assessment_workbook``, ``assessment_pdf``,
  ``papers_bytes``, ``write_papers``, ``make_papers``, ``default_boundaries``). They take a
  connection or the caller's engine and never open one of their own.
- ``collect``: what the papers show, read once (``queries.services.assessment``, the
  indicator table, the units, the checks' curves).
- ``workbook``: the .xlsx, through ``queries.formats.xlsx``.
- ``pdf``: the sections' rows → ``templates/*.j2`` (Jinja2, autoescaped, strict undefined)
  → HTML → PDF with WeasyPrint.
- ``charts``: the sex-ratio map and the checks chart, matplotlib PNGs.
- ``wording``: how both papers write a value, a cause, an interval, a level.
- ``style``: the font, the colours and ``PapersError`` (no font, no PDF libraries).

May import: ``queries`` (engine, services, formats, store), ``geo``, ``dashboard.i18n``,
``dashboard.components.assessment_view`` (its wording of a veto count) and
``dashboard.runtime.settings`` (where the boundaries are). Not streamlit, not ``pages``,
not ``dashboard.runtime.data``: the caller hands in its engine, so a job can run it.
"""
