"""What a map's boundaries can fail with, in Chinese and English.

geo/ never imports the dashboard, so its errors cannot call ``dashboard.i18n.t``; instead
each carries a key and its parameters, and :meth:`GeoError.text` renders it in the language
the page asks for. ``str(error)`` is the English text (logs, the command line). A Chinese
text holds no English word but file, layer and column names, codes, setting names and
format names; details only GDAL can give (always English) are in the English text only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Both:
    """A parameter that is itself a word, so it changes with the language."""

    zh: str
    en: str

    def pick(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


# Geometry types as a sentence names them.
GEOMETRY_WORDS = {
    "Point": Both("点", "Point"),
    "MultiPoint": Both("多点", "MultiPoint"),
    "LineString": Both("线", "LineString"),
    "MultiLineString": Both("多线", "MultiLineString"),
    "LinearRing": Both("线环", "LinearRing"),
    "Polygon": Both("面", "Polygon"),
    "MultiPolygon": Both("多面", "MultiPolygon"),
    "GeometryCollection": Both("几何集合", "GeometryCollection"),
}

SUFFIX_LIST = Both(".geojson、.json、.gpkg、.zip 或 .shp", ".geojson, .json, .gpkg, .zip, .shp")

PROBLEMS: dict[str, tuple[str, str]] = {
    "not_found": ("找不到该文件", "not found"),
    "is_folder": (
        "是一个文件夹；请指定 .geojson、.gpkg 或压缩的 Shapefile 文件本身",
        "is a folder; give the .geojson, .gpkg or zipped Shapefile itself",
    ),
    "unsupported_type": (
        "文件类型 {suffix} 不受支持；请用 {suffixes}",
        "unsupported type {suffix}; use {suffixes}",
    ),
    "no_suffix": ("文件没有扩展名；请用 {suffixes}", "unsupported type (none); use {suffixes}"),
    "unreadable": (
        "无法作为 GeoJSON、GeoPackage 或 Shapefile 读取，文件可能已损坏",
        "cannot be read as a GeoJSON, GeoPackage or Shapefile ({detail})",
    ),
    "layer_unreadable": ("图层“{layer}”无法读取", "layer '{layer}' cannot be read ({detail})"),
    "no_geometry_table": ("没有几何图形（只是一张表）", "has no geometry (a table without shapes)"),
    "no_geometry_features": (
        "没有几何图形（所有要素的图形都为空）",
        "has no geometry (every feature's geometry is empty)",
    ),
    "no_crs": (
        "没有声明坐标参考系；请补上 .prj 文件或设置图层的坐标系（如 EPSG:4490 CGCS2000、"
        "EPSG:4549 CGCS2000 三度带高斯-克吕格投影、中央经线东经 120°）",
        "declares no coordinate reference system; add the .prj file or set the layer's CRS "
        "(e.g. EPSG:4490 CGCS2000, EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E)",
    ),
    "no_crs_layer": (
        "图层“{layer}”没有声明坐标参考系；请补上 .prj 文件或设置图层的坐标系（如 EPSG:4490 CGCS2000、"
        "EPSG:4549 CGCS2000 三度带高斯-克吕格投影、中央经线东经 120°）",
        "declares no coordinate reference system (layer '{layer}'); add the .prj file or set the layer's CRS "
        "(e.g. EPSG:4490 CGCS2000, EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E)",
    ),
    "mixed_crs": (
        "各图层声明的坐标参考系不同（{layers}），无法判断哪个正确；请统一为一种坐标系",
        "mixed CRS: its layers declare different reference systems ({layers}); use one CRS",
    ),
    "no_polygons": (
        "没有面状图形，只有{kinds}；地图需要各单位的区域范围",
        "has no polygons, only {kinds}; unit areas are needed",
    ),
    "not_lon_lat": (
        "文件声明的坐标系为 {crs}，但坐标最大到 ({maxx:.0f}, {maxy:.0f})，不是经纬度；投影坐标须在文件中声明其坐标系",
        "coordinates up to ({maxx:.0f}, {maxy:.0f}) are not longitude/latitude although the file "
        "declares {crs}; projected coordinates need their CRS in the file",
    ),
    "no_area": ("没有具有面积的面状图形", "has no polygons with an area"),
    "not_reprojectable": (
        "无法从 {crs} 转换到 WGS84 经纬度",
        "cannot be reprojected from {crs} ({detail})",
    ),
    "no_such_column": (
        "没有名为“{column}”的列（设置 boundary_code_column 所指定）；文件中的列为：{columns}",
        "has no column '{column}' (the boundary_code_column setting); its columns are {columns}",
    ),
    "column_without_codes": (
        "列“{column}”中没有任何单位代码（例如“{sample}”）；请把设置 boundary_code_column 改为存放单位代码的列",
        "column '{column}' holds no unit code (e.g. '{sample}'); set boundary_code_column "
        "to the column with the units' codes",
    ),
    "no_code_column": (
        "没有任何一列存放单位代码（文件中的列为：{columns}）；请用设置 boundary_code_column 指定",
        "no column holds unit codes (columns: {columns}); name it with the boundary_code_column setting",
    ),
    "bad_crs_setting": (
        "设置 {setting} 的值“{value}”无效；可用的值为 {allowed}",
        "the {setting} setting '{value}' is not valid; use one of {allowed}",
    ),
    "bd09_tiles": (
        "设置 tile_crs 不能为 bd09：百度瓦片使用自有的投影和编号，无法作为底图叠加；请用 wgs84 或 gcj02 瓦片",
        "tile_crs cannot be bd09: Baidu tiles have their own projection and numbering and cannot be a base "
        "map here; use wgs84 or gcj02 tiles",
    ),
    # demo boundaries
    "demo_no_villages": ("单位表中没有村或社区", "the units table has no villages or communities"),
    "demo_no_township": (
        "每个村和社区都须有所属乡镇（parent_code）",
        "every village and community needs a township (parent_code)",
    ),
    "demo_no_layout": (
        "尝试 {attempts} 次仍未排出连片的乡镇",
        "no contiguous layout found in {attempts} attempts",
    ),
}

SUBJECTS: dict[str, tuple[str, str]] = {
    "file": ("边界文件 {file}：", "boundary file {file}: "),
    "demo": ("演示边界无法生成：", "demo boundaries: "),
    "setting": ("", ""),
}


def _render(value, lang: str):
    if isinstance(value, Both):
        return value.pick(lang)
    if isinstance(value, (list, tuple)):
        items = [str(_render(v, lang)) for v in value]
        if not items:
            return "无" if lang == "zh" else "none"
        return ("、" if lang == "zh" else ", ").join(items)
    return value


class GeoError(ValueError):
    """A map that cannot be drawn: ``key`` names the problem (a key of ``PROBLEMS``),
    ``params`` fill it in; :meth:`text` in either language, one line."""

    subject = "setting"

    def __init__(self, key: str, **params) -> None:
        if key not in PROBLEMS:
            raise KeyError(key)
        self.key = key
        self.params = params
        super().__init__(self.text("en"))

    def _subject_params(self) -> dict:
        return {}

    def text(self, lang: str = "en") -> str:
        zh, en = PROBLEMS[self.key]
        head_zh, head_en = SUBJECTS[self.subject]
        head, body = (head_zh, zh) if lang == "zh" else (head_en, en)
        values = {k: _render(v, lang) for k, v in self.params.items()}
        return head.format(**self._subject_params()) + body.format(**values)

    def __str__(self) -> str:
        return self.text("en")


class BoundaryError(GeoError):
    """A boundary file that cannot be used, naming the file and the problem."""

    subject = "file"

    def __init__(self, path: str | Path, key: str, **params) -> None:
        self.path = str(path)
        super().__init__(key, **params)

    def _subject_params(self) -> dict:
        return {"file": Path(self.path).name}


class DemoBoundaryError(GeoError):
    """The units table cannot be given demo boundaries (no data units, broken tree)."""

    subject = "demo"


class SettingError(GeoError):
    """A map setting (``tile_crs``) with a value the map cannot use."""

    subject = "setting"
