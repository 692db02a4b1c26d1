"""Which boundaries a database's maps use, decided once for the map page and the papers:
the ``boundaries`` setting names a file (a relative path is from the project folder), the
``boundary_crs`` setting what its coordinates are (wgs84, gcj02, bd09); without a file the
demo county gets its invented boundaries; any other database has none. ``tile_crs``: what
the intranet tiles of ``tile_url`` are drawn in, so the shapes can be moved onto them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.boundaries import BoundaryJoin, join_units, load_boundaries
from geo.demo import demo_boundaries
from geo.gcj02 import parse_crs
from geo.messages import SettingError
from queries.demo.identity import is_demo_county
from queries.store.config import REPO_ROOT, setting

TILE_CRS_NAMES = ("wgs84", "gcj02")


@dataclass(frozen=True)
class BoundarySource:
    """A file path, ``"demo"`` or ``""`` (none); the file's modification time, so a cache
    keyed by this sees a replaced file; the code column and coordinate settings."""

    source: str
    stamp: float
    column: str | None
    crs: str = "wgs84"


def boundary_source(units: pd.DataFrame) -> BoundarySource:
    configured = setting("boundaries")
    column = setting("boundary_code_column")
    crs = setting("boundary_crs") or "wgs84"
    if configured:
        path = Path(configured).expanduser()
        path = path if path.is_absolute() else REPO_ROOT / path
        try:
            stamp = path.stat().st_mtime
        except OSError:
            stamp = 0.0  # load_boundaries names the missing file
        return BoundarySource(str(path), stamp, column, crs)
    return BoundarySource("demo" if is_demo_county(units) else "", 0.0, column, crs)


def load(source: BoundarySource, units: pd.DataFrame) -> BoundaryJoin:
    """The boundaries ``source`` names, joined to ``units``; raises a ``geo.messages.GeoError``."""
    if source.source == "demo":  # generated in WGS84: boundary_crs is about a bureau's file
        return join_units(demo_boundaries(units), units, code_column="code", source="demo")
    return load_boundaries(source.source, units, source.column, source.crs)


def tile_crs() -> str:
    """What the base tiles are drawn in: ``gcj02`` for a GCJ-02 tile server (the shapes are
    then moved to GCJ-02 to sit on it), else ``wgs84``, also when no ``tile_url`` is set
    (nothing to align with). Raises SettingError for a value the map cannot use."""
    value = setting("tile_crs")
    name = parse_crs(value)
    if name == "bd09":
        raise SettingError("bd09_tiles")
    if name not in TILE_CRS_NAMES:
        raise SettingError("bad_crs_setting", setting="tile_crs", value=value, allowed=list(TILE_CRS_NAMES))
    return name if setting("tile_url") else "wgs84"
