"""Lighter shapes for the browser, without opening gaps between neighbours.

Unit areas form a *coverage*: neighbours share their edges exactly. Simplifying each
polygon on its own moves a shared edge differently on its two sides and opens slivers;
``shapely.coverage_simplify`` (GEOS ≥ 3.12) simplifies each shared edge once, so the
neighbours keep sharing it. A file whose areas are not a clean coverage (tiny overlaps or
gaps, as hand-digitised files often have) is simplified polygon by polygon with
topology preserved, at a quarter of the tolerance, so the slivers it already has grow
by at most that.
"""

from __future__ import annotations

import numpy as np
import shapely

METRES_PER_DEGREE = 111_320.0
DEFAULT_TOLERANCE_M = 30.0  # about half a pixel at the zoom that shows a whole county
GRID_DEGREES = 1e-5  # coordinates kept to 5 decimals, about 1 m


def is_coverage(geoms) -> bool:
    geoms = np.asarray(geoms, dtype=object)
    try:
        return bool(shapely.coverage_is_valid(geoms))
    except shapely.errors.GEOSException:
        return False


def simplify_coverage(geoms, tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
    """Simplified copies of ``geoms`` (WGS84 polygons of one level) in the same order."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0 or tolerance_m <= 0:
        return geoms
    tolerance = tolerance_m / METRES_PER_DEGREE
    if is_coverage(geoms):
        out = shapely.coverage_simplify(geoms, tolerance, simplify_boundary=True)
    else:
        out = shapely.simplify(geoms, tolerance / 4, preserve_topology=True)
    # Snapping to the output grid keeps shared vertices shared (they snap alike).
    out = shapely.set_precision(out, GRID_DEGREES, mode="pointwise")
    bad = ~shapely.is_valid(out)
    if bad.any():
        out[bad] = shapely.make_valid(out[bad], method="structure", keep_collapsed=False)
    return out


def vertex_count(geoms) -> int:
    return int(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)).sum())
