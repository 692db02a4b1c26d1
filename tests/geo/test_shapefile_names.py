"""A UTF-8 Shapefile whose Chinese attribute names were cut at the DBF's 10 bytes, inside a
character (as GDAL writes ``区划代码``: 9 bytes of 区划代 and the first byte of 码). GDAL
cannot decode such a file itself; the map reads it, and the join knows the cut names."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.boundaries import load_boundaries, read_boundaries
from geo.messages import BoundaryError

COUNTY, TOWN = "320412", "320412100"
VILLAGES = [f"{TOWN}{n}" for n in (201, 202, 203)]
NAMES = ["湖塘村", "马杭村", "花园村"]


@pytest.fixture
def units() -> pd.DataFrame:
    rows = [(COUNTY, "武进区", "county", None), (TOWN, "湖塘镇", "township", COUNTY)]
    rows += [(c, n, "village", TOWN) for c, n in zip(VILLAGES, NAMES, strict=True)]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])


def cut_shapefile(folder: Path, names: dict[str, list[str]]) -> Path:
    """A zipped UTF-8 Shapefile with the columns ``names`` (full name → values), each name
    written into the DBF header as its first 10 UTF-8 bytes, as GDAL truncates it."""
    folder.mkdir()
    placeholders = {f"F{i:09d}": full for i, full in enumerate(names)}  # 10 ASCII bytes each
    geoms = [box(119.9 + i * 0.01, 31.7, 119.91 + i * 0.01, 31.71) for i in range(len(VILLAGES))]
    frame = gpd.GeoDataFrame(
        {p: names[full] for p, full in placeholders.items()}, geometry=geoms, crs="EPSG:4326"
    )
    frame.to_file(folder / "cun.shp", encoding="utf-8")
    assert (folder / "cun.cpg").read_text().strip().upper().replace("-", "") == "UTF8"
    dbf = bytearray((folder / "cun.dbf").read_bytes())
    header_end = dbf.index(b"\r", 32)
    for start in range(32, header_end, 32):  # one 32-byte descriptor per field, name first
        placeholder = bytes(dbf[start : start + 10]).decode("ascii")
        cut = placeholders[placeholder].encode("utf-8")[:10]
        dbf[start : start + 11] = cut.ljust(11, b"\x00")
    (folder / "cun.dbf").write_bytes(bytes(dbf))
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    return archive


def test_the_file_is_as_gdal_cuts_it(tmp_path):
    archive = cut_shapefile(tmp_path / "cun", {"区划代码": VILLAGES})
    header = (tmp_path / "cun" / "cun.dbf").read_bytes()[32:43]
    assert header == "区划代码".encode()[:10] + b"\x00"
    with pytest.raises(UnicodeDecodeError):  # what GDAL's reader makes of it: the map was refused
        gpd.read_file(archive, engine="pyogrio")


def test_cut_known_name_is_read_and_found(tmp_path, units):
    archive = cut_shapefile(tmp_path / "cun", {"区划代码": VILLAGES, "村名": NAMES})
    frame, _ = read_boundaries(archive)
    assert set(frame.columns) == {"区划代\ufffd", "村名", "geometry"}
    assert list(frame["村名"]) == NAMES  # the values are decoded as the .cpg says: UTF-8
    joined = load_boundaries(archive, units)
    assert joined.code_column == "区划代码"  # the cut name, known as a code column
    assert sorted(joined.level("village")["code"]) == VILLAGES
    assert joined.units_without_shape == () and joined.derived == (TOWN,)


def test_cut_configured_column_is_used(tmp_path, units):
    # Two columns of codes: the configured one wins, though cut to "村级区" + 1 byte.
    archive = cut_shapefile(
        tmp_path / "cun",
        {"乡镇区划代码": [TOWN] * 3, "村级区划代码": VILLAGES, "村名称名称": NAMES},
    )
    joined = load_boundaries(archive, units, code_column="村级区划代码")
    assert joined.code_column == "村级区划代码"
    assert sorted(joined.level("village")["code"]) == VILLAGES


def test_a_configured_column_the_file_lacks_is_named_with_the_cut_columns(tmp_path, units):
    archive = cut_shapefile(tmp_path / "cun", {"村级区划代码": VILLAGES})
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(archive, units, code_column="乡镇区划代码")
    assert exc.value.text("zh") == (
        "边界文件 cun.zip：没有名为“乡镇区划代码”的列（设置 boundary_code_column 所指定）；文件中的列为：村级区\ufffd"
    )
    assert str(exc.value) == (
        "boundary file cun.zip: has no column '乡镇区划代码' (the boundary_code_column setting); "
        "its columns are 村级区\ufffd"
    )
