"""Which boundaries a database's maps use, decided once for the map page and the papers:
the ``boundaries`` setting names a file (a relative path is from the project folder);
without it the demo county gets its invented boundaries; any other database has none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.boundaries import BoundaryError, BoundaryJoin, join_units, load_boundaries
from geo.demo import DemoBoundaryError, demo_boundaries
from queries.demo.identity import is_demo_county
from queries.store.config import REPO_ROOT, setting

# What a map's boundaries can fail with; the message is one line naming the file and why.
BOUNDARY_ERRORS = (BoundaryError, DemoBoundaryError)


@dataclass(frozen=True)
class BoundarySource:
    """A file path, ``"demo"`` or ``""`` (none); the file's modification time, so a cache
    keyed by this sees a replaced file; the code column setting."""

    source: str
    stamp: float
    column: str | None


def boundary_source(units: pd.DataFrame) -> BoundarySource:
    configured = setting("boundaries")
    column = setting("boundary_code_column")
    if configured:
        path = Path(configured).expanduser()
        path = path if path.is_absolute() else REPO_ROOT / path
        try:
            stamp = path.stat().st_mtime
        except OSError:
            stamp = 0.0  # load_boundaries names the missing file
        return BoundarySource(str(path), stamp, column)
    return BoundarySource("demo" if is_demo_county(units) else "", 0.0, column)


def load(source: BoundarySource, units: pd.DataFrame) -> BoundaryJoin:
    """The boundaries ``source`` names, joined to ``units``; raises one of BOUNDARY_ERRORS."""
    if source.source == "demo":
        return join_units(demo_boundaries(units), units, code_column="code", source="demo")
    return load_boundaries(source.source, units, source.column)
