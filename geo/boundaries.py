"""Unit boundaries from a bureau's own file, checked, repaired, reprojected and joined to units.

A boundary file is a GeoJSON, a GeoPackage or a zipped Shapefile (a bare ``.shp`` with its
side files works too). :func:`load_boundaries` reads it, then :func:`join_units` matches
its features to the units table by code and reports what did not match, both ways.

What is refused, with a one-line :class:`BoundaryError` naming the file and the problem:

- a file that is missing, unreadable or not a vector format;
- no geometry at all, or no polygon among the geometries;
- no coordinate reference system (a Shapefile without ``.prj``, a GeoPackage layer with an
  undefined SRS). GeoJSON has one by definition (RFC 7946: WGS84 longitude/latitude), so
  a GeoJSON without a ``crs`` member is read as WGS84 — and refused when its coordinates
  cannot be longitudes and latitudes, the usual sign of projected coordinates written
  without saying so;
- **mixed CRS**: several layers in one file (GeoPackage layers, Shapefiles in one zip)
  that declare different reference systems. Each layer is one set of units; a file whose
  layers disagree is ambiguous about which coordinates are right, so it is refused
  rather than silently reprojected layer by layer;
- a code column that does not exist, or that holds no unit code at all.

What is repaired: invalid polygons (self-intersections such as a bow-tie) are made valid
and counted; empty or null geometries are dropped (their units are reported as without a
shape); several features with one code are merged; codes written as numbers, with
spaces, or padded to 12 digits (``330781101000`` for township ``330781101``) still match.
Everything is reprojected to WGS84 from the CRS the file declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from queries.store.db import first_line
from queries.store.schema import DATA_LEVELS

WGS84 = "EPSG:4326"
MAP_LEVELS = ("township", "village", "community")  # the levels a map can show
CODE_COLUMN_NAMES = (
    "code",
    "unit_code",
    "adcode",
    "admin_code",
    "dm",
    "xzqdm",
    "cun_dm",
    "代码",
    "编码",
    "区划代码",
)
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
_POLYGONAL = ("Polygon", "MultiPolygon")


class BoundaryError(ValueError):
    """A boundary file that cannot be used; the message is one line naming file and problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"boundary file {Path(path).name}: {problem}")


@dataclass(frozen=True, eq=False)
class BoundaryJoin:
    """Boundaries matched to units.

    ``shapes`` has one row per unit with a shape (code, name, level, parent_code,
    geometry, in WGS84), townships included — from the file, or the union of their
    villages when the file has none for them (listed in ``derived``).
    """

    shapes: gpd.GeoDataFrame
    units_without_shape: tuple[str, ...]
    shapes_without_unit: tuple[str, ...]
    repaired: int
    derived: tuple[str, ...]
    code_column: str
    source: str

    def level(self, level: str) -> gpd.GeoDataFrame:
        """The shapes of one map level ('township', or 'village' for villages and communities)."""
        levels = DATA_LEVELS if level in DATA_LEVELS else (level,)
        return self.shapes[self.shapes["level"].isin(levels)].reset_index(drop=True)


# --------------------------------------------------------------------------- reading


def _layers(path: Path) -> list[tuple[str, str | None]]:
    try:
        found = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - GDAL has many ways to say a file is broken
        raise BoundaryError(
            path, f"cannot be read as a GeoJSON, GeoPackage or Shapefile ({first_line(exc)})"
        ) from exc
    return [(str(name), None if kind is None else str(kind)) for name, kind in found]


def _crs_text(crs) -> str:
    if crs is None:
        return "none"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def read_boundaries(path: str | Path) -> tuple[gpd.GeoDataFrame, int]:
    """The polygons of every layer of ``path`` in WGS84, with their attribute columns,
    and how many geometries had to be repaired."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BoundaryError(path, "not found")
    if path.is_dir():
        raise BoundaryError(path, "is a folder; give the .geojson, .gpkg or zipped Shapefile itself")
    if path.suffix.lower() not in SUFFIXES:
        raise BoundaryError(path, f"unsupported type {path.suffix or '(none)'}; use {', '.join(SUFFIXES)}")
    layers = _layers(path)
    spatial = [name for name, kind in layers if kind is not None]
    if not spatial:
        raise BoundaryError(path, "has no geometry (a table without shapes)")

    frames, crss = [], {}
    for name in spatial:
        try:
            frame = gpd.read_file(path, layer=name, engine="pyogrio")
        except Exception as exc:  # noqa: BLE001
            raise BoundaryError(path, f"layer {name!r} cannot be read ({first_line(exc)})") from exc
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        crss[name] = frame.crs
        frames.append(frame)
    if not frames:
        raise BoundaryError(path, "has no geometry (every feature's geometry is empty)")
    missing = [name for name, crs in crss.items() if crs is None]
    if missing:
        where = f" (layer {missing[0]!r})" if len(crss) > 1 else ""
        raise BoundaryError(
            path,
            f"declares no coordinate reference system{where}; add the .prj file or set the layer's CRS "
            "(e.g. EPSG:4490 CGCS2000, EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E)",
        )
    distinct = {_crs_text(c) for c in crss.values()}
    if len({c.to_wkt() for c in crss.values()}) > 1:
        listed = ", ".join(f"{name} {_crs_text(c)}" for name, c in crss.items())
        raise BoundaryError(
            path, f"mixed CRS: its layers declare different reference systems ({listed}); use one CRS"
        )
    crs = frames[0].crs
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame = gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=crs)

    kinds = set(frame.geometry.dropna().geom_type)
    if not kinds & {*_POLYGONAL, "GeometryCollection"}:
        raise BoundaryError(path, f"has no polygons, only {', '.join(sorted(kinds))}; unit areas are needed")
    if crs.is_geographic:
        minx, miny, maxx, maxy = frame.total_bounds
        if not (minx >= -180.5 and maxx <= 360.5 and miny >= -90.5 and maxy <= 90.5):
            raise BoundaryError(
                path,
                f"coordinates up to ({maxx:.0f}, {maxy:.0f}) are not longitude/latitude although the file "
                f"declares {next(iter(distinct))}; projected coordinates need their CRS in the file",
            )

    geoms = frame.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    geoms = np.array(
        [_polygonal(g) if ok else None for g, ok in zip(geoms, present, strict=True)], dtype=object
    )
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=crs))
    frame = frame[frame.geometry.notna()].reset_index(drop=True)
    if frame.empty:
        raise BoundaryError(path, "has no polygons with an area")
    try:
        frame = frame.to_crs(WGS84)
    except Exception as exc:  # noqa: BLE001
        raise BoundaryError(
            path, f"cannot be reprojected from {next(iter(distinct))} ({first_line(exc)})"
        ) from exc
    return frame, int(invalid.sum())


def _polygonal(geom) -> shapely.Geometry | None:
    """The polygonal part of a geometry, or None when it has none."""
    if geom is None:
        return None
    if geom.geom_type in _POLYGONAL:
        return None if geom.is_empty else geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL and not p.is_empty]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


# --------------------------------------------------------------------------- joining

_NUMBER = re.compile(r"^\d+\.0+$")


def normalise_code(value) -> str:
    """A code as text: numbers without '.0', surrounding spaces removed; '' for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    return text.split(".")[0] if _NUMBER.match(text) else text


def _match(code: str, known: set[str]) -> str | None:
    """The unit code ``code`` stands for: itself, or a 12-digit code padded with zeros."""
    if code in known:
        return code
    if code.isdigit() and len(code) in (12, 15):
        trimmed = code
        while trimmed.endswith("000"):
            trimmed = trimmed[:-3]
            if trimmed in known:
                return trimmed
    return None


def _detect_code_column(frame: gpd.GeoDataFrame, known: set[str]) -> tuple[str | None, int]:
    best, best_hits = None, 0
    columns = [c for c in frame.columns if c != frame.geometry.name]
    preferred = {name.lower(): rank for rank, name in enumerate(CODE_COLUMN_NAMES)}
    for column in sorted(columns, key=lambda c: preferred.get(str(c).lower(), len(preferred))):
        hits = sum(_match(normalise_code(v), known) is not None for v in frame[column])
        if hits > best_hits:
            best, best_hits = column, hits
    return best, best_hits


def join_units(
    frame: gpd.GeoDataFrame,
    units: pd.DataFrame,
    code_column: str | None = None,
    source: str | Path = "",
    repaired: int = 0,
) -> BoundaryJoin:
    """Match ``frame``'s features to ``units`` (code, name, level, parent_code) by code."""
    source = str(source)
    known = set(units["code"].astype(str))
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if code_column:
        if code_column not in frame.columns:
            raise BoundaryError(
                source or "(in memory)",
                f"has no column {code_column!r} (the boundary_code_column setting); its columns are "
                + (", ".join(map(str, columns)) or "none"),
            )
        column = code_column
        hits = sum(_match(normalise_code(v), known) is not None for v in frame[column])
        if hits == 0:
            sample = next((normalise_code(v) for v in frame[column] if normalise_code(v)), "")
            raise BoundaryError(
                source or "(in memory)",
                f"column {column!r} holds no unit code (e.g. {sample!r}); set boundary_code_column "
                "to the column with the units' codes",
            )
    else:
        detected, hits = _detect_code_column(frame, known)
        if detected is None:
            raise BoundaryError(
                source or "(in memory)",
                "no column holds unit codes (columns: "
                + (", ".join(map(str, columns)) or "none")
                + "); name it with the boundary_code_column setting",
            )
        column = detected

    raw = frame[column].map(normalise_code)
    matched = raw.map(lambda c: _match(c, known))
    without_unit = sorted({c or "(empty)" for c, m in zip(raw, matched, strict=True) if pd.isna(m)})
    shapes = gpd.GeoDataFrame({"code": matched}, geometry=frame.geometry.values, crs=frame.crs)
    shapes = shapes[shapes["code"].notna()]
    if shapes["code"].duplicated().any():  # parts of one unit in several features
        shapes = shapes.dissolve("code", as_index=False)
    shapes = shapes.merge(units[["code", "name", "level", "parent_code"]], on="code", how="left")

    # Townships the file lacks: the union of their villages, when every village has a shape.
    have = set(shapes["code"])
    derived, extra = [], []
    children = units[units["level"].isin(DATA_LEVELS)].groupby("parent_code")["code"].apply(list)
    for town in units.loc[units["level"] == "township", "code"]:
        kids = children.get(town, [])
        if town in have or not kids or not set(kids) <= have:
            continue
        union = township_shape(shapes.loc[shapes["code"].isin(kids), "geometry"].to_numpy())
        derived.append(town)
        extra.append(town)
        shapes = pd.concat(
            [shapes, gpd.GeoDataFrame({"code": [town]}, geometry=[union], crs=shapes.crs)], ignore_index=True
        )
    if extra:
        info = units.set_index("code")[["name", "level", "parent_code"]]
        for col in ("name", "level", "parent_code"):
            shapes[col] = shapes["code"].map(info[col])
    shapes = gpd.GeoDataFrame(shapes, geometry="geometry", crs=frame.crs)
    shapes = (
        shapes[["code", "name", "level", "parent_code", "geometry"]]
        .sort_values("code")
        .reset_index(drop=True)
    )

    mapped = units[units["level"].isin(MAP_LEVELS)]
    missing = tuple(sorted(set(mapped["code"].astype(str)) - set(shapes["code"])))
    return BoundaryJoin(
        shapes=shapes,
        units_without_shape=missing,
        shapes_without_unit=tuple(without_unit),
        repaired=int(repaired),
        derived=tuple(sorted(derived)),
        code_column=str(column),
        source=source,
    )


def township_shape(villages: np.ndarray) -> shapely.Geometry:
    """A township's area made from its villages' shapes: their coverage union, fast and exact
    where they tile it, else the plain union (villages from a file may overlap or leave gaps)."""
    try:
        union = shapely.coverage_union_all(villages)
    except shapely.errors.GEOSException:
        return shapely.union_all(villages)
    return union if shapely.is_valid(union) else shapely.union_all(villages)


def load_boundaries(path: str | Path, units: pd.DataFrame, code_column: str | None = None) -> BoundaryJoin:
    """Read, check, repair and reproject ``path``, then join it to ``units``."""
    frame, repaired = read_boundaries(path)
    return join_units(frame, units, code_column=code_column, source=path, repaired=repaired)
