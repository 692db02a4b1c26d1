"""Getting a bureau's data in: the interchange format, and checking and loading its files.

The package owns the interchange format (interchange.md), reading an import's files, checking
every row of every file against the format, the unit tree and the database, and writing them,
all or nothing: an import either writes every row or raises ``ImportFailed`` listing every bad
row and writes none. The target template (download, fill in, upload) goes the same way.

Modules, in the order an import passes through them:

* ``read``: a folder of ``<table>.csv`` files, a .zip of them or an ``.xlsx`` workbook read
  as raw text; ``read_csv`` (encodings, header), ``read_zip`` (layout, safety) and
  ``read_workbook`` (cells as shown) one a kind of file; ``limits``: sizes checked first.
* ``spec``: the format as data: tables, columns, kinds, bounds, keys, how errors name files.
* ``messages``: every message an import gives, by code, in English and Chinese.
* ``errors``: ``RowError`` (one bad cell or file: a message code, the cell, parameters),
  ``ImportFailed``, and the errors grouped by file, column and reason to fit a screen.
* ``values``: cells parsed into numpy arrays (text, numbers, dates); array helpers.
* ``checking``: a table under check (``Table``) and the errors found so far (``Findings``).
* ``cells``: each file's header, and every cell against its column's declaration.
* ``rows``: rules within one file across cells: keys, dates in order, indicator codes, rates.
* ``tree``: the unit tree the import would leave: one root, known parents, no cycle, levels.
* ``lookups``: checks against the database: unit and migrant references, units holding data.
* ``validate``: ``validate``, which runs every check and returns DB-ready frames.
* ``effect``: what an import changes (added, replaced, unchanged per file and year), from its
  rows in TEMP tables joined on the key; writing from them; what a change touches.
* ``doubling``: the guard against records stored already under ids a spreadsheet mangled.
* ``history``: ``import_log``, a row for every import, target save and undo.
* ``lock``: one writer at a time (``ImportBusy``).
* ``undo``: what undoing an import needs, stored as it imports; ``undo_latest``.
* ``refresh``: where a change reaches the closure and derived tables.
* ``load``: ``plan_import`` (look, write nothing), ``commit_plan``, ``import_path`` and
  ``import_frames``: validate, write in one transaction under the lock, rebuild, record.
* ``targets``: the target template: write it, read it back, preview and save the changes.

A new import check goes where its rule lives: a column's kind or bound is a line of
``spec.SPEC``; a rule on one cell goes in ``cells``, on several cells of one file in
``rows``, on the unit tree in ``tree``, and one that needs the database or another file in
``lookups``. Each records its errors with ``Findings.add`` and is called from ``validate``.
An error is never finished text: it is a code of ``messages.MESSAGES`` (add it there with
its English and Chinese templates), the bad cell and the message's parameters, so that
each page words it in its language and a hundred thousand alike group into one line.
Text is refused on its row where either database would refuse or change it (``cells``:
a control character, broken UTF-8, longer than the schema's ``String(n)``), so that SQLite
and PostgreSQL accept the same imports.

May import: ``queries.store`` (schema, engine, clock, data version), ``queries.engine.registry``
(indicator codes), ``queries.analytics.lifecycle`` (the derived tables refreshed in the load's
transaction), ``queries.formats`` (the template's workbook), and, for the template's inherited
targets, ``queries.engine.indicators``.
Must never import ``queries.services``, ``dashboard`` or ``streamlit``: the CLI, the pages and
the tests import an import, never the other way round.
"""
