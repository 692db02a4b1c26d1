"""GCJ-02 and BD-09: the transform against the published formulas' own values, round
trips, points outside China, a GCJ-02 boundary file read with ``boundary_crs``, and shapes
moved onto GCJ-02 tiles with ``tile_crs``."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo import gcj02, maps
from geo.boundaries import load_boundaries
from geo.messages import SettingError
from geo.source import tile_crs

# A point in 常州市 (天宁寺), WGS84, and what eviltransform 0.1.1 (PyPI; googollee's
# published formulas) gives for it: wgs2gcj and wgs2bd.
CHANGZHOU_WGS84 = (119.974, 31.779)
CHANGZHOU_GCJ02 = (119.97874728787758, 31.77696409663988)
CHANGZHOU_BD09 = (119.98518707387605, 31.783118462592114)
# Beijing, Tiananmen, as eviltransform gives it.
BEIJING_WGS84 = (116.397389, 39.908715)
BEIJING_GCJ02 = (116.40363265816929, 39.910118499139884)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on a 6,378,137 m sphere."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6378137.0 * math.asin(math.sqrt(h))


def pair(lon, lat) -> tuple[float, float]:
    return float(np.asarray(lon).item()), float(np.asarray(lat).item())


def test_known_points():
    assert pair(*gcj02.wgs84_to_gcj02(*CHANGZHOU_WGS84)) == pytest.approx(CHANGZHOU_GCJ02, abs=1e-12)
    assert pair(*gcj02.wgs84_to_bd09(*CHANGZHOU_WGS84)) == pytest.approx(CHANGZHOU_BD09, abs=1e-12)
    assert pair(*gcj02.wgs84_to_gcj02(*BEIJING_WGS84)) == pytest.approx(BEIJING_GCJ02, abs=1e-12)
    # The offset a GCJ-02 file taken as WGS84 is drawn off by, in Changzhou: about half a km.
    assert 480 < metres(CHANGZHOU_WGS84, CHANGZHOU_GCJ02) < 520


def test_back_to_wgs84_within_a_millionth_of_a_degree():
    assert pair(*gcj02.gcj02_to_wgs84(*CHANGZHOU_GCJ02)) == pytest.approx(CHANGZHOU_WGS84, abs=1e-9)
    assert pair(*gcj02.bd09_to_wgs84(*CHANGZHOU_BD09)) == pytest.approx(CHANGZHOU_WGS84, abs=1e-9)
    assert pair(*gcj02.gcj02_to_wgs84(*BEIJING_GCJ02)) == pytest.approx(BEIJING_WGS84, abs=1e-9)
    # Round trips over all of China, and the residual in GCJ-02 itself.
    rng = np.random.default_rng(12)
    lon, lat = rng.uniform(73.0, 135.0, 20_000), rng.uniform(18.0, 53.0, 20_000)
    g_lon, g_lat = gcj02.wgs84_to_gcj02(lon, lat)
    assert np.abs(g_lon - lon).max() > 0.001  # really moved
    w_lon, w_lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    assert max(np.abs(w_lon - lon).max(), np.abs(w_lat - lat).max()) < 1e-6
    assert max(np.abs(w_lon - lon).max(), np.abs(w_lat - lat).max()) < 1e-9
    b_lon, b_lat = gcj02.bd09_to_wgs84(*gcj02.wgs84_to_bd09(lon, lat))
    assert max(np.abs(b_lon - lon).max(), np.abs(b_lat - lat).max()) < 1e-9


def test_points_outside_china_are_unchanged():
    lon = np.array([-0.1276, 139.6917, -74.006, 151.2093, 100.5018])
    lat = np.array([51.5072, 35.6895, 40.7128, -33.8688, 0.5])  # London, Tokyo, New York, Sydney, equator
    for convert in (gcj02.wgs84_to_gcj02, gcj02.gcj02_to_wgs84, gcj02.wgs84_to_bd09, gcj02.bd09_to_wgs84):
        out_lon, out_lat = convert(lon, lat)
        assert np.array_equal(out_lon, lon) and np.array_equal(out_lat, lat)


def test_setting_values():
    assert [gcj02.parse_crs(v) for v in (None, "", "WGS84", "GCJ-02", " gcj02 ", "BD_09")] == [
        "wgs84",
        "wgs84",
        "wgs84",
        "gcj02",
        "gcj02",
        "bd09",
    ]
    assert gcj02.parse_crs("EPSG:4326") is None


# --------------------------------------------------------------------------- in a boundary file


@pytest.fixture
def units() -> pd.DataFrame:
    rows = [("320412", "武进区", "county", None), ("320412100", "湖塘镇", "township", "320412")]
    rows += [("320412100201", "湖塘村", "village", "320412100")]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])


def traced(path, corner: tuple[float, float]) -> None:
    """A 0.01° square with its south-west corner at ``corner``, as a GeoJSON (longitude/latitude)."""
    frame = gpd.GeoDataFrame(
        {"code": ["320412100201"]},
        geometry=[box(corner[0], corner[1], corner[0] + 0.01, corner[1] + 0.01)],
        crs="EPSG:4326",
    )
    frame.to_file(path, driver="GeoJSON")


@pytest.mark.parametrize(("setting", "corner"), [("gcj02", CHANGZHOU_GCJ02), ("BD-09", CHANGZHOU_BD09)])
def test_a_file_traced_on_a_chinese_web_map_is_moved_to_wgs84(tmp_path, units, setting, corner):
    path = tmp_path / "amap.geojson"
    traced(path, corner)
    as_is = load_boundaries(path, units)
    moved = load_boundaries(path, units, crs=setting)
    assert moved.crs == gcj02.parse_crs(setting) and as_is.crs == "wgs84"
    # the traced square's south-west corner is back on the point (each vertex moves by its own offset)
    corners = shapely.get_coordinates(moved.shapes.set_index("code").geometry["320412100201"])
    nearest = corners[np.argmin(np.hypot(*(corners - CHANGZHOU_WGS84).T))]
    assert tuple(nearest) == pytest.approx(CHANGZHOU_WGS84, abs=1e-8)
    before = shapely.get_coordinates(as_is.shapes.geometry[0])
    assert min(metres(tuple(c), CHANGZHOU_WGS84) for c in before) > 450  # what the map drew before


def test_an_unknown_boundary_crs_is_named(tmp_path, units):
    path = tmp_path / "amap.geojson"
    traced(path, CHANGZHOU_GCJ02)
    with pytest.raises(SettingError) as exc:
        load_boundaries(path, units, crs="mars")
    assert exc.value.text("zh") == "设置 boundary_crs 的值“mars”无效；可用的值为 wgs84、gcj02、bd09"
    assert str(exc.value) == "the boundary_crs setting 'mars' is not valid; use one of wgs84, gcj02, bd09"


# --------------------------------------------------------------------------- on GCJ-02 tiles


def test_shapes_are_moved_onto_gcj02_tiles():
    shapes = gpd.GeoDataFrame(
        {"code": ["a"]},
        geometry=[box(*CHANGZHOU_WGS84, CHANGZHOU_WGS84[0] + 0.01, CHANGZHOU_WGS84[1] + 0.01)],
    )
    plain = np.array(maps.geometries_json(shapes)["a"]["coordinates"][0])
    on_tiles = np.array(maps.geometries_json(shapes, "gcj02")["a"]["coordinates"][0])
    # the south-west corner, on the map's 5-decimal grid
    assert any(tuple(c) == pytest.approx(CHANGZHOU_WGS84, abs=6e-6) for c in plain)
    assert any(tuple(c) == pytest.approx(CHANGZHOU_GCJ02, abs=6e-6) for c in on_tiles)
    assert not any(tuple(c) == pytest.approx(CHANGZHOU_WGS84, abs=1e-3) for c in on_tiles)
    assert json.dumps(on_tiles.tolist()) != json.dumps(plain.tolist())


def test_tile_crs_setting(monkeypatch):
    monkeypatch.delenv("POPDASH_TILE_URL", raising=False)
    monkeypatch.setenv("POPDASH_TILE_CRS", "gcj02")
    assert tile_crs() == "wgs84"  # no tiles: nothing to sit on
    monkeypatch.setenv("POPDASH_TILE_URL", "http://gis.intranet/amap/{z}/{x}/{y}.png")
    assert tile_crs() == "gcj02"
    monkeypatch.delenv("POPDASH_TILE_CRS")
    assert tile_crs() == "wgs84"
    monkeypatch.setenv("POPDASH_TILE_CRS", "bd09")
    with pytest.raises(SettingError) as exc:
        tile_crs()
    assert exc.value.text("zh").startswith("设置 tile_crs 不能为 bd09：百度瓦片使用自有的投影和编号")
    monkeypatch.setenv("POPDASH_TILE_CRS", "mercator")
    with pytest.raises(SettingError) as exc:
        tile_crs()
    assert exc.value.text("zh") == "设置 tile_crs 的值“mercator”无效；可用的值为 wgs84、gcj02"
    assert str(exc.value) == "the tile_crs setting 'mercator' is not valid; use one of wgs84, gcj02"
