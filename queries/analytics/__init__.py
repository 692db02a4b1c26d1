"""The derived tables the engine reads instead of the raw events, built apart from read
(as DHIS2's JdbcAnalyticsTableManager and JdbcAnalyticsManager).

- ``columns``: every event measure declared once: the stored column, the source it counts,
  the expression one row adds, and how a period's value comes out of the running totals.
- ``tables``: the derived tables' definitions.
- ``build``: how each derived table is populated (``DERIVED``, in build order), every sum up
  the unit tree made in SQL through the closure table.
- ``touched``: what an import changes (units, earliest day or year, per data table), read
  before its writes from the rows it writes, deletes and replaces.
- ``update``: each derived table brought up to date from a ``Touched``: only the touched
  units' ancestors from the touched month or year on, so a month's import costs a month.
- ``lifecycle``: create, populate, verify, stamp: ``refresh`` inside every import (an update
  when the import says what it touched, else a full build), ``problems`` on every page run,
  ``rebuild`` and ``ensure_schema`` when a database is opened.
- ``read``: a period's measures for every unit of a subtree.

Imports ``queries.store`` and the engine's definitions (``registry``, ``period``). A new derived
table: its definition in ``tables``, its populate function and a ``Derived`` entry in
``build``, its update in ``update.UPDATES``; the life cycle then covers it.
"""
