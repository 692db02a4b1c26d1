"""Every indicator code is written in the registry and the engine only: a page, map, paper
or service asks the registry (``registry.CHECK_COUNT``, ``interval_judged()``, ``BANDS``),
so renaming or adding an indicator is one declaration. The demo county's targets are
configuration and may name codes."""

from __future__ import annotations

import ast
from pathlib import Path

from queries.analytics import tables  # noqa: F401 - the derived tables' names count as tables
from queries.engine.registry import CODES
from queries.store.schema import metadata

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("queries/engine/", "queries/demo/")


def test_no_code_outside_the_engine_names_an_indicator():
    # A table that shares an indicator's name (prepregnancy_checks) is a table, not the indicator.
    table_names = set(metadata.tables)
    named = []
    for top in ("queries", "geo", "dashboard", "pages"):
        for path in sorted((ROOT / top).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where.startswith(ALLOWED):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                value = getattr(node, "value", None)
                if isinstance(node, ast.Constant) and value in CODES and value not in table_names:
                    named.append(f"{where}:{node.lineno} {value}")
    assert named == []
