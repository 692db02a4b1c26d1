"""Boundary errors in both languages: each names the file and the reason in one line, and
a Chinese one holds no English word but names (files, layers, columns, settings, formats)
and codes; GDAL's own (English) detail is in the English text only."""

from __future__ import annotations

import re
import string

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.boundaries import load_boundaries
from geo.demo import demo_boundaries
from geo.messages import PROBLEMS, BoundaryError, DemoBoundaryError, GeoError, SettingError

# Words a Chinese message may hold: names of settings, formats, reference systems, suffixes.
NAMES = {
    "boundary_code_column",
    "boundary_crs",
    "tile_crs",
    "parent_code",
    "GeoJSON",
    "GeoPackage",
    "Shapefile",
    "EPSG",
    "CGCS2000",
    "WGS84",
    "wgs84",
    "gcj02",
    "bd09",
    "prj",
    "geojson",
    "json",
    "gpkg",
    "zip",
    "shp",
}


class Anything(dict):
    """Format parameters without letters, so what is left is the template's own words."""

    def __missing__(self, key):
        return 7


def test_no_english_word_in_a_chinese_message():
    for key, (zh, en) in PROBLEMS.items():
        text = string.Formatter().vformat(zh, (), Anything())
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))
        assert words <= NAMES, (key, words - NAMES)
        assert "\n" not in zh and "\n" not in en
        # the two texts take the same parameters, bar GDAL's detail
        fields = {f for _, f, _, _ in string.Formatter().parse(en) if f} - {"detail"}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(zh) if f}, key


@pytest.fixture
def units() -> pd.DataFrame:
    rows = [("320412", "武进区", "county", None), ("320412100", "湖塘镇", "township", "320412")]
    rows += [("320412100201", "湖塘村", "village", "320412100")]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])


def refusal(path, units, **kwargs) -> GeoError:
    with pytest.raises(GeoError) as exc:
        load_boundaries(path, units, **kwargs)
    return exc.value


def test_each_refusal_in_both_languages(tmp_path, units):
    missing = refusal(tmp_path / "村界.geojson", units)
    assert isinstance(missing, BoundaryError) and missing.path.endswith("村界.geojson")
    assert missing.text("zh") == "边界文件 村界.geojson：找不到该文件"
    assert missing.text("en") == str(missing) == "boundary file 村界.geojson: not found"

    broken = tmp_path / "cun.geojson"
    broken.write_text("{not json", encoding="utf-8")
    error = refusal(broken, units)
    assert (
        error.text("zh")
        == "边界文件 cun.geojson：无法作为 GeoJSON、GeoPackage 或 Shapefile 读取，文件可能已损坏"
    )
    assert error.text("en").startswith(
        "boundary file cun.geojson: cannot be read as a GeoJSON, GeoPackage or "
    )
    assert "(" in error.text("en")  # GDAL's reason, in English only

    csv = tmp_path / "cun.csv"
    csv.write_text("code\n1\n", encoding="utf-8")
    assert refusal(csv, units).text("zh") == (
        "边界文件 cun.csv：文件类型 .csv 不受支持；请用 .geojson、.json、.gpkg、.zip 或 .shp"
    )

    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(
        {"code": ["320412100201"]}, geometry=gpd.points_from_xy([119.9], [31.7]), crs="EPSG:4326"
    ).to_file(points, driver="GeoJSON")
    error = refusal(points, units)
    assert error.text("zh") == "边界文件 points.geojson：没有面状图形，只有点；地图需要各单位的区域范围"
    assert str(error) == "boundary file points.geojson: has no polygons, only Point; unit areas are needed"

    mixed = tmp_path / "mixed.gpkg"
    square = [box(119.9, 31.7, 119.91, 31.71)]
    gpd.GeoDataFrame({"code": ["320412100201"]}, geometry=square, crs="EPSG:4326").to_file(mixed, layer="甲")
    gpd.GeoDataFrame({"code": ["320412100"]}, geometry=square, crs="EPSG:4490").to_file(mixed, layer="乙")
    assert refusal(mixed, units).text("zh") == (
        "边界文件 mixed.gpkg：各图层声明的坐标参考系不同（甲 EPSG:4326、乙 EPSG:4490），无法判断哪个正确；请统一为一种坐标系"
    )

    metres = tmp_path / "metres.geojson"
    frame = gpd.GeoDataFrame(
        {"code": ["320412100201"]}, geometry=[box(450_000, 3_230_000, 451_000, 3_231_000)]
    )
    metres.write_text(frame.to_json(), encoding="utf-8")
    assert refusal(metres, units).text("zh") == (
        "边界文件 metres.geojson：文件声明的坐标系为 EPSG:4326，但坐标最大到 (451000, 3231000)，不是经纬度；"
        "投影坐标须在文件中声明其坐标系"
    )

    codes = tmp_path / "codes.geojson"
    gpd.GeoDataFrame({"名称": ["甲"], "编号": ["x1"]}, geometry=square, crs="EPSG:4326").to_file(codes)
    assert refusal(codes, units).text("zh") == (
        "边界文件 codes.geojson：没有任何一列存放单位代码（文件中的列为：名称、编号）；请用设置 boundary_code_column 指定"
    )
    assert refusal(codes, units, code_column="编号").text("zh") == (
        "边界文件 codes.geojson：列“编号”中没有任何单位代码（例如“x1”）；请把设置 boundary_code_column 改为存放单位代码的列"
    )
    setting = refusal(codes, units, crs="GCJ02x")
    assert isinstance(setting, SettingError) and "边界文件" not in setting.text("zh")


def test_no_crs_in_both_languages(tmp_path, units):
    folder = tmp_path / "shp"
    folder.mkdir()
    with pytest.warns(UserWarning):
        gpd.GeoDataFrame({"code": ["320412100201"]}, geometry=[box(0, 0, 1, 1)]).to_file(folder / "cun.shp")
    error = refusal(folder / "cun.shp", units)
    assert error.text("zh") == (
        "边界文件 cun.shp：没有声明坐标参考系；请补上 .prj 文件或设置图层的坐标系（如 EPSG:4490 CGCS2000、"
        "EPSG:4549 CGCS2000 三度带高斯-克吕格投影、中央经线东经 120°）"
    )


def test_demo_boundary_errors_in_both_languages():
    towns_only = pd.DataFrame(
        [("330781", "澄川市", "county", None), ("330781001", "城关街道", "township", "330781")],
        columns=["code", "name", "level", "parent_code"],
    )
    with pytest.raises(DemoBoundaryError) as exc:
        demo_boundaries(towns_only)
    assert exc.value.text("zh") == "演示边界无法生成：单位表中没有村或社区"
    assert str(exc.value) == "demo boundaries: the units table has no villages or communities"
