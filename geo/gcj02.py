"""GCJ-02 and BD-09, the offset coordinates of Chinese web maps, to WGS84 and back.

高德 (AMap), Tencent and most Chinese web maps publish longitudes and latitudes in GCJ-02,
WGS84 moved by a deliberate, smooth, non-linear offset of some 300–700 m; Baidu adds its
own rotation on top (BD-09). A boundary file traced on such a map is as far off when drawn
as WGS84. The formulas are the published ones (eviltransform, googollee/eviltransform and
its Python port on PyPI): WGS84 → GCJ-02 and GCJ-02 → BD-09 are closed-form; the inverses
are not (BD-09's published inverse is off by up to 1e-6°), so each is
found by fixed-point iteration of the forward formula until the point maps back
within ``TOLERANCE`` (the offset varies slowly, so each round cuts the error some 400-fold:
four rounds reach 1e-10° from the 0.005° of the first guess).
Outside China's rough bounding box the offset is not applied, by GCJ-02's own definition,
and Baidu uses WGS84 there too.

Every function takes and returns arrays of longitude and latitude (degrees), vectorised.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

A = 6378137.0  # Krasovsky 1940 semi-major axis, as the formulas use it
EE = 0.00669342162296594323  # its first eccentricity squared
X_PI = np.pi * 3000.0 / 180.0
TOLERANCE = 1e-9  # degrees, about 0.1 mm: the iteration stops when the point maps back this close
MAX_ROUNDS = 40

CRS_NAMES = ("wgs84", "gcj02", "bd09")


def parse_crs(value: str | None) -> str | None:
    """``wgs84``, ``gcj02`` or ``bd09`` for a setting's value (``GCJ-02``, ``bd_09`` …;
    unset is ``wgs84``), None for anything else."""
    if value is None or not value.strip():
        return "wgs84"
    name = value.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    return name if name in CRS_NAMES else None


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Inside the box where GCJ-02 differs from WGS84 (the formulas' own test)."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees of longitude, latitude) at a WGS84 point."""
    x, y = lon - 105.0, lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    d_lat = (
        common
        + 20.0 * np.sin(y * np.pi)
        + 40.0 * np.sin(y * np.pi / 3.0)
        + 160.0 * np.sin(y * np.pi / 12.0)
        + 320.0 * np.sin(y * np.pi / 30.0)
    ) * (2.0 / 3.0) + (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx)
    d_lon = (
        common
        + 20.0 * np.sin(x * np.pi)
        + 40.0 * np.sin(x * np.pi / 3.0)
        + 150.0 * np.sin(x * np.pi / 12.0)
        + 300.0 * np.sin(x * np.pi / 30.0)
    ) * (2.0 / 3.0) + (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx)
    rad = np.radians(lat)
    magic = 1.0 - EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = d_lat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = d_lon * 180.0 / (A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    d_lon, d_lat = _offset(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def _invert(forward: Callable, lon: np.ndarray, lat: np.ndarray, start: tuple[np.ndarray, np.ndarray]):
    """The point ``forward`` maps to (lon, lat), by fixed-point iteration from ``start``."""
    x_lon, x_lat = start
    for _ in range(MAX_ROUNDS):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon, e_lat = f_lon - lon, f_lat - lat
        x_lon, x_lat = x_lon - e_lon, x_lat - e_lat
        if np.all(np.abs(e_lon) < TOLERANCE) and np.all(np.abs(e_lat) < TOLERANCE):
            break
    return x_lon, x_lat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The WGS84 point whose GCJ-02 position is (lon, lat), within ``TOLERANCE``."""
    lon, lat = _arrays(lon, lat)
    inside = in_china(lon, lat)
    w_lon, w_lat = _invert(wgs84_to_gcj02, lon, lat, (lon, lat))
    return np.where(inside, w_lon, lon), np.where(inside, w_lat, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    inside = in_china(lon, lat)
    return (
        np.where(inside, z * np.cos(theta) + 0.0065, lon),
        np.where(inside, z * np.sin(theta) + 0.006, lat),
    )


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The published inverse (within about 1e-6°), refined by iteration to ``TOLERANCE``."""
    lon, lat = _arrays(lon, lat)
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    inside = in_china(lon, lat)
    g_lon, g_lat = _invert(gcj02_to_bd09, lon, lat, (z * np.cos(theta), z * np.sin(theta)))
    return np.where(inside, g_lon, lon), np.where(inside, g_lat, lat)


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


TO_WGS84: dict[str, Callable] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
FROM_WGS84: dict[str, Callable] = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def transform_geometries(geoms: np.ndarray, convert: Callable) -> np.ndarray:
    """Shapely geometries with every vertex moved by ``convert(lon, lat)``."""

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = convert(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), move)
