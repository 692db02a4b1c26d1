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

Each :class:`BoundaryError` carries a key and parameters (``geo.messages``), so the page
shows it in its own language; ``str()`` is the English text.

What is repaired: invalid polygons (self-intersections such as a bow-tie) are made valid
and counted; empty or null geometries are dropped (their units are reported as without a
shape); several features with one code are merged. Codes match when equal after
normalising (:class:`CodeMatcher`): numbers or text, spaces around, a ``156`` country prefix
before a 6-digit county code (``156320412``), and zero padding either way between the
6-digit county, 9-digit township, 12-digit village (and 15-digit) forms — ``320412`` ~
``320412000000``, ``320412100`` ~ ``320412100000``. A file code that padding would give to
two units is used for neither and reported (``ambiguous``).

A Shapefile's attribute names are at most 10 bytes; GDAL cuts longer UTF-8 names there,
often inside a Chinese character, and then cannot decode its own file. Such a layer is
read byte for byte and the names decoded with the broken character replaced; the join
recognises a cut name as the configured ``boundary_code_column`` (or a usual code column
name) it is the start of.

Everything is reprojected to WGS84 from the CRS the file declares; coordinates that are
GCJ-02 or BD-09 (the ``boundary_crs`` setting: files traced on 高德 or Baidu maps declare
plain longitude/latitude) are then moved to WGS84 (``geo.gcj02``).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.gcj02 import CRS_NAMES, TO_WGS84, parse_crs, transform_geometries
from geo.messages import GEOMETRY_WORDS, SUFFIX_LIST, Both, BoundaryError, SettingError
from queries.store.db import first_line
from queries.store.schema import DATA_LEVELS

log = logging.getLogger(__name__)

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
    "行政区划代码",
    "村级代码",
    "乡镇代码",
)
DBF_NAME_BYTES = 10  # a Shapefile's attribute names are cut to this many bytes
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, eq=False)
class BoundaryJoin:
    """Boundaries matched to units.

    ``shapes`` has one row per unit with a shape (code, name, level, parent_code,
    geometry, in WGS84), townships included — from the file, or the union of their
    villages when the file has none for them (listed in ``derived``). ``ambiguous``:
    the file codes that match several units once padded (each with those units), unused.
    """

    shapes: gpd.GeoDataFrame
    units_without_shape: tuple[str, ...]
    shapes_without_unit: tuple[str, ...]
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...]
    repaired: int
    derived: tuple[str, ...]
    code_column: str
    source: str
    crs: str = "wgs84"  # what the file's coordinates were read as (boundary_crs), before WGS84

    def level(self, level: str) -> gpd.GeoDataFrame:
        """The shapes of one map level ('township', or 'village' for villages and communities)."""
        levels = DATA_LEVELS if level in DATA_LEVELS else (level,)
        return self.shapes[self.shapes["level"].isin(levels)].reset_index(drop=True)


# --------------------------------------------------------------------------- reading


def _layers(path: Path) -> list[tuple[str, str | None]]:
    try:
        found = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - GDAL has many ways to say a file is broken
        log.warning("boundary file %s cannot be read: %s", path.name, first_line(exc))
        raise BoundaryError(path, "unreadable", detail=first_line(exc)) from exc
    return [(str(name), None if kind is None else str(kind)) for name, kind in found]


def _crs_text(crs) -> str:
    if crs is None:
        return "none"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    """One layer; a Shapefile layer whose names or values GDAL cannot decode (a name cut
    inside a character) is read byte for byte and decoded here, broken characters replaced."""
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except UnicodeDecodeError:
        pass
    # GDAL passes text through undecoded only when the layer says it is UTF-8 (a .cpg of
    # UTF-8): other encodings it recodes itself. Read as latin-1, which maps each byte to one
    # character, the text comes back as the file's bytes, to be decoded as UTF-8 here.
    frame = gpd.read_file(path, layer=layer, engine="pyogrio", encoding="latin1")

    def decode(text):
        return text.encode("latin1").decode("utf-8", errors="replace") if isinstance(text, str) else text

    geometry = frame.geometry.name
    renamed = {c: decode(c) for c in frame.columns if c != geometry}
    for column in renamed:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(decode)
    cut = sum("\ufffd" in name for name in renamed.values())
    log.warning(
        "boundary file %s, layer %s: %d attribute names cut inside a character, read with it replaced",
        path.name,
        layer,
        cut,
    )
    return frame.rename(columns=renamed)


def read_boundaries(path: str | Path, crs: str = "wgs84") -> tuple[gpd.GeoDataFrame, int]:
    """The polygons of every layer of ``path`` in WGS84, with their attribute columns,
    and how many geometries had to be repaired. ``crs``: what the file's longitudes and
    latitudes really are, ``wgs84`` (as declared), ``gcj02`` or ``bd09``."""
    path = Path(path).expanduser()
    offset = parse_crs(crs)
    if offset is None:
        raise SettingError("bad_crs_setting", setting="boundary_crs", value=crs, allowed=list(CRS_NAMES))
    if not path.exists():
        raise BoundaryError(path, "not_found")
    if path.is_dir():
        raise BoundaryError(path, "is_folder")
    if path.suffix.lower() not in SUFFIXES:
        if not path.suffix:
            raise BoundaryError(path, "no_suffix", suffixes=SUFFIX_LIST)
        raise BoundaryError(path, "unsupported_type", suffix=path.suffix, suffixes=SUFFIX_LIST)
    layers = _layers(path)
    spatial = [name for name, kind in layers if kind is not None]
    if not spatial:
        raise BoundaryError(path, "no_geometry_table")

    frames, crss = [], {}
    for name in spatial:
        try:
            frame = _read_layer(path, name)
        except Exception as exc:  # noqa: BLE001
            log.warning("boundary file %s, layer %s cannot be read: %s", path.name, name, first_line(exc))
            raise BoundaryError(path, "layer_unreadable", layer=name, detail=first_line(exc)) from exc
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        crss[name] = frame.crs
        frames.append(frame)
    if not frames:
        raise BoundaryError(path, "no_geometry_features")
    missing = [name for name, c in crss.items() if c is None]
    if missing:
        if len(crss) > 1:
            raise BoundaryError(path, "no_crs_layer", layer=missing[0])
        raise BoundaryError(path, "no_crs")
    distinct = {_crs_text(c) for c in crss.values()}
    if len({c.to_wkt() for c in crss.values()}) > 1:
        listed = [f"{name} {_crs_text(c)}" for name, c in crss.items()]
        raise BoundaryError(path, "mixed_crs", layers=listed)
    declared = frames[0].crs
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame = gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=declared)

    kinds = set(frame.geometry.dropna().geom_type)
    if not kinds & {*_POLYGONAL, "GeometryCollection"}:
        words = [GEOMETRY_WORDS.get(k, Both(k, k)) for k in sorted(kinds)]
        raise BoundaryError(path, "no_polygons", kinds=words)
    if declared.is_geographic:
        minx, miny, maxx, maxy = frame.total_bounds
        if not (minx >= -180.5 and maxx <= 360.5 and miny >= -90.5 and maxy <= 90.5):
            raise BoundaryError(path, "not_lon_lat", maxx=maxx, maxy=maxy, crs=next(iter(distinct)))

    geoms = frame.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    geoms = np.array(
        [_polygonal(g) if ok else None for g, ok in zip(geoms, present, strict=True)], dtype=object
    )
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=declared))
    frame = frame[frame.geometry.notna()].reset_index(drop=True)
    if frame.empty:
        raise BoundaryError(path, "no_area")
    try:
        frame = frame.to_crs(WGS84)
    except Exception as exc:  # noqa: BLE001
        log.warning("boundary file %s cannot be reprojected: %s", path.name, first_line(exc))
        raise BoundaryError(
            path, "not_reprojectable", crs=next(iter(distinct)), detail=first_line(exc)
        ) from exc
    if offset in TO_WGS84:
        # The declared CRS says how the coordinates are written; the offset is on top of it.
        moved = transform_geometries(frame.geometry.to_numpy(), TO_WGS84[offset])
        frame = frame.set_geometry(gpd.GeoSeries(moved, index=frame.index, crs=WGS84))
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


PADDED_LENGTHS = (6, 9, 12, 15)  # county, township, village (and a 15-digit form)
COUNTRY_PREFIX = "156"  # ISO 3166 numeric for China, written before county adcodes


def code_keys(code: str) -> set[str]:
    """The forms a code is compared in: a county, township or village code padded with
    zeros to 15 digits, and for a 9-digit ``156…`` code the county code after the prefix
    too (no township code starts with 156: there is no prefecture 156x)."""
    if not code.isdigit():
        return set()
    keys = {code.ljust(15, "0")} if len(code) in PADDED_LENGTHS else set()
    if len(code) == 9 and code.startswith(COUNTRY_PREFIX):
        keys.add(code[len(COUNTRY_PREFIX) :].ljust(15, "0"))
    return keys


class CodeMatcher:
    """Which unit a file's code stands for: the unit with that very code, else the one
    unit whose code is equal after normalising (:func:`code_keys`). When the normalised
    code is shared by several units (``330781`` and ``330781000``), padding cannot tell
    them apart, so the file code matches none and is listed as ambiguous."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.known = set(codes)
        self.by_key: dict[str, set[str]] = defaultdict(set)
        for code in self.known:
            for key in code_keys(code):
                self.by_key[key].add(code)

    def candidates(self, code: str) -> tuple[str, ...]:
        """The units ``code`` may stand for: one, none, or several (ambiguous)."""
        if code in self.known:
            return (code,)
        found: set[str] = set()
        for key in code_keys(code):
            found |= self.by_key.get(key, set())
        return tuple(sorted(found))

    def match(self, code: str) -> str | None:
        found = self.candidates(code)
        return found[0] if len(found) == 1 else None

    def hits(self, values) -> int:
        return sum(self.match(normalise_code(v)) is not None for v in values)


def _detect_code_column(frame: gpd.GeoDataFrame, matcher: CodeMatcher) -> tuple[str | None, int]:
    best, best_hits = None, 0
    columns = [c for c in frame.columns if c != frame.geometry.name]
    preferred = {name.lower(): rank for rank, name in enumerate(CODE_COLUMN_NAMES)}
    for column in sorted(columns, key=lambda c: preferred.get(str(c).lower(), len(preferred))):
        hits = matcher.hits(frame[column])
        if hits > best_hits:
            best, best_hits = column, hits
    return best, best_hits


def _cut_to(name: str, column: str) -> bool:
    """Whether ``column`` is what is left of ``name`` after a Shapefile cut it inside a
    character (its start, then one or more replacement characters)."""
    if "\ufffd" not in column or len(name.encode("utf-8")) <= DBF_NAME_BYTES:
        return False
    start = column.split("\ufffd", 1)[0]
    return bool(start) and column.rstrip("\ufffd") == start and name.startswith(start) and name != start


def _restore_cut_names(
    frame: gpd.GeoDataFrame, wanted: Iterable[str], matcher: CodeMatcher
) -> gpd.GeoDataFrame:
    """Cut column names renamed to the full name they are the start of, the first of
    ``wanted`` that fits; of several cut columns fitting one name, the one with more codes."""
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    renames: dict[str, str] = {}
    for name in wanted:
        if name in columns or name in renames.values():
            continue
        fits = [c for c in columns if c not in renames and _cut_to(name, c)]
        if fits:
            renames[max(fits, key=lambda c: matcher.hits(frame[c]))] = name
    return frame.rename(columns=renames) if renames else frame


def join_units(
    frame: gpd.GeoDataFrame,
    units: pd.DataFrame,
    code_column: str | None = None,
    source: str | Path = "",
    repaired: int = 0,
) -> BoundaryJoin:
    """Match ``frame``'s features to ``units`` (code, name, level, parent_code) by code."""
    source = str(source)
    where = source or "(in memory)"
    matcher = CodeMatcher(units["code"].astype(str))
    frame = _restore_cut_names(frame, [*([code_column] if code_column else []), *CODE_COLUMN_NAMES], matcher)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    if code_column:
        if code_column not in frame.columns:
            raise BoundaryError(where, "no_such_column", column=code_column, columns=columns)
        column = code_column
        if matcher.hits(frame[column]) == 0:
            sample = next((normalise_code(v) for v in frame[column] if normalise_code(v)), "")
            raise BoundaryError(where, "column_without_codes", column=column, sample=sample)
    else:
        detected, _ = _detect_code_column(frame, matcher)
        if detected is None:
            raise BoundaryError(where, "no_code_column", columns=columns)
        column = detected

    raw = frame[column].map(normalise_code)
    found = raw.map(matcher.candidates)
    matched = found.map(lambda c: c[0] if len(c) == 1 else None)
    ambiguous = tuple(sorted({(c, f) for c, f in zip(raw, found, strict=True) if len(f) > 1}))
    without_unit = sorted({c or "(empty)" for c, f in zip(raw, found, strict=True) if not f})
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
        ambiguous=ambiguous,
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


def load_boundaries(
    path: str | Path, units: pd.DataFrame, code_column: str | None = None, crs: str = "wgs84"
) -> BoundaryJoin:
    """Read, check, repair and reproject ``path`` (its coordinates being ``crs``: wgs84,
    gcj02 or bd09), then join it to ``units``."""
    frame, repaired = read_boundaries(path, crs)
    joined = join_units(frame, units, code_column=code_column, source=path, repaired=repaired)
    return replace(joined, crs=parse_crs(crs) or "wgs84")
