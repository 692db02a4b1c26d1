"""The map page, run as a user would (AppTest): the units it marks are the engine's
significant ones, the pooled toggle pools, the map it sends loads nothing from outside,
a click opens the unit, and a bad boundary file is a message, not a broken app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from queries.demo.county import COUNTY_CODE
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.engine.verdict import FAILING
from queries.services.trends import sex_ratio_pooled
from queries.store.db import make_engine

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
MAP = "../pages/map.py"  # relative to the entry script, dashboard/app.py
SCORECARD = "../pages/scorecard.py"
YEAR, AS_OF = 2025, date(2025, 11, 15)
SR = "sex_ratio_at_birth"


@pytest.fixture
def db_url(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The small demo county of conftest (40 villages, 4 communities, 4 townships), with
    no boundary or tile settings from the environment."""
    monkeypatch.delenv("POPDASH_BOUNDARIES", raising=False)
    monkeypatch.delenv("POPDASH_BOUNDARY_CODE_COLUMN", raising=False)
    monkeypatch.delenv("POPDASH_TILE_URL", raising=False)
    monkeypatch.delenv("POPDASH_TILE_CRS", raising=False)
    monkeypatch.delenv("POPDASH_BOUNDARY_CRS", raising=False)
    yield app_env


@pytest.fixture(scope="session")
def engine_table(demo_db_url: str) -> pd.DataFrame:
    eng = make_engine(demo_db_url)
    try:
        with eng.connect() as conn:
            return compute(conn, COUNTY_CODE, make_period(YEAR, AS_OF))
    finally:
        eng.dispose()


def open_map(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params = {"year": str(YEAR), "as_of": AS_OF.isoformat(), **params}
    at.run()
    at.switch_page(MAP)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def listed_codes(at: AppTest) -> list[str]:
    """Codes in the table of marked units beside the map."""
    assert at.dataframe, "no table of marked units"
    return list(at.dataframe[0].value[t("code")])


def map_args(at: AppTest) -> dict:
    comps = at.get("component_instance")
    assert len(comps) == 1, "the map component is missing"
    return json.loads(comps[0].proto.json_args)


def significant(rows: pd.DataFrame) -> list[str]:
    """Significantly high first (by lower bound, highest first), then significantly low."""
    high = rows[rows["verdict"] == "significantly_high"].sort_values(["ci_low"], ascending=False)
    low = rows[rows["verdict"] == "significantly_low"].sort_values(["ci_high"])
    return [*high["unit_code"], *low["unit_code"]]


def test_marked_villages_are_the_engines_significant_ones(db_url, engine_table):
    at = open_map()
    assert at.title[0].value == f"{t('page_map')} · 澄川市"
    rows = engine_table[
        (engine_table["indicator"] == SR) & engine_table["level"].isin(["village", "community"])
    ]
    expected = significant(rows)
    assert expected, "the demo county should have significant villages"
    assert listed_codes(at) == expected
    # A village whose point value is far above normal but within chance is not listed.
    chance = rows[(rows["verdict"] == "within_chance") & (rows["value"] > 130)]
    assert len(chance) and not set(chance["unit_code"]) & set(listed_codes(at))


def test_the_map_sent_is_offline_and_carries_every_village(db_url, engine_table):
    at = open_map()
    args = map_args(at)
    links = args["js_links"] + args["css_links"]
    assert links == [
        "../dashboard.components.leaflet.leaflet_assets/leaflet.js",
        "../dashboard.components.leaflet.leaflet_assets/leaflet.css",
    ]
    assert "http://" not in args["header"] + args["html"] and "https://" not in args["header"] + args["html"]
    assert "tileLayer" not in args["script"]
    villages = engine_table.loc[engine_table["level"].isin(["village", "community"]), "unit_code"].unique()
    assert all(f'"code":"{code}"' in args["script"] for code in villages)
    assert args["returned_objects"] == ["last_active_drawing"]  # a pan or zoom returns nothing


def test_pooled_toggle_uses_three_years(db_url):
    at = open_map()
    at.toggle(key="map_pooled").set_value(True).run()
    assert not at.exception
    assert at.query_params.get("map_pooled") == "1"
    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            pooled = sex_ratio_pooled(conn, COUNTY_CODE, [2023, 2024, 2025], "registered", "village", AS_OF)
    finally:
        eng.dispose()
    assert listed_codes(at) == significant(pooled)


def test_township_level_and_another_indicator(db_url, engine_table):
    at = open_map(map_level="township", map_indicator="migrant_service_coverage")
    rows = engine_table[
        (engine_table["indicator"] == "migrant_service_coverage") & (engine_table["level"] == "township")
    ]
    failing = sorted(rows.loc[rows["verdict"].isin(FAILING), "unit_code"])
    if failing:
        assert sorted(listed_codes(at)) == failing
    else:
        assert any(s.value == t("mp_all_met") for s in at.success)
    script = map_args(at)["script"]
    assert all(f'"code":"{code}"' in script for code in rows["unit_code"])


def test_click_on_a_unit_opens_its_detail(db_url, engine_table):
    at = open_map()
    key = map_args(at)["key"]
    village = engine_table.loc[engine_table["level"] == "village", "unit_code"].iloc[3]
    at.session_state[key] = {"last_active_drawing": {"type": "Feature", "properties": {"code": village}}}
    at.run()
    assert at.query_params.get("unit") in (village, [village])


def test_bad_boundary_file_is_a_message_and_the_app_goes_on(db_url, tmp_path, monkeypatch):
    broken = tmp_path / "cun.geojson"
    broken.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("POPDASH_BOUNDARIES", str(broken))
    at = open_map()
    assert [w.value for w in at.warning] == [
        "地图无法显示：边界文件 cun.geojson：无法作为 GeoJSON、GeoPackage 或 Shapefile 读取，文件可能已损坏。"
        "其他页面不受影响。"
    ]
    assert not at.get("component_instance")
    at.switch_page(SCORECARD)
    at.run()
    assert not at.exception and at.title[0].value.startswith(t("page_scorecard"))


def test_boundary_errors_in_the_pages_language(db_url, tmp_path, monkeypatch):
    points = tmp_path / "村界.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": COUNTY_CODE},
                        "geometry": {"type": "Point", "coordinates": [119.5, 29.2]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("POPDASH_BOUNDARIES", str(points))
    zh = [w.value for w in open_map().warning]
    assert zh == [
        "地图无法显示：边界文件 村界.geojson：没有面状图形，只有点；地图需要各单位的区域范围。其他页面不受影响。"
    ]
    en = [w.value for w in open_map(lang="en").warning]
    assert en == [
        "The map cannot be drawn: boundary file 村界.geojson: has no polygons, only Point; unit areas are "
        "needed. The other pages work as usual."
    ]
    monkeypatch.delenv("POPDASH_BOUNDARIES")
    monkeypatch.setenv("POPDASH_TILE_URL", "http://gis.intranet/tiles/{z}/{x}/{y}.png")
    monkeypatch.setenv("POPDASH_TILE_CRS", "bd09")
    zh = [w.value for w in open_map().warning]
    assert len(zh) == 1 and zh[0].startswith(
        "地图无法显示：设置 tile_crs 不能为 bd09：百度瓦片使用自有的投影和编号"
    )
    en = [w.value for w in open_map(lang="en").warning]
    assert len(en) == 1 and en[0].startswith("The map cannot be drawn: tile_crs cannot be bd09: Baidu tiles")


def test_shapes_sit_on_gcj02_tiles(db_url, monkeypatch):
    """The demo's shapes are WGS84; on a GCJ-02 tile server they are sent moved by its offset."""
    plain = map_args(open_map())["script"]
    monkeypatch.setenv("POPDASH_TILE_URL", "http://gis.intranet/amap/{z}/{x}/{y}.png")
    monkeypatch.setenv("POPDASH_TILE_CRS", "gcj02")
    moved = map_args(open_map())["script"]
    assert "gis.intranet/amap" in moved
    first = r'"geometry":\{"type":"(?:Multi)?Polygon","coordinates":\[+(-?[\d.]+),(-?[\d.]+)'
    (x0, y0), (x1, y1) = (tuple(map(float, re.search(first, s).groups())) for s in (plain, moved))
    # 500-odd metres east-south-east near 29.2° N, 119.5° E, as GCJ-02 moves that part of China
    assert 0.004 < x1 - x0 < 0.006 and -0.004 < y1 - y0 < -0.002


def test_real_boundary_file_with_a_gap_is_reported(db_url, tmp_path, monkeypatch, engine_table):
    """A bureau file (here: the demo shapes, written to disk) lacking one village: the map
    draws, and the join report names the village without a shape."""
    from geo.demo import demo_boundaries

    eng = make_engine(db_url)
    try:
        from queries.services.catalogue import units_frame

        with eng.connect() as conn:
            units = units_frame(conn)
    finally:
        eng.dispose()
    shapes = demo_boundaries(units).rename(columns={"code": "CUN_DM"})
    missing = shapes["CUN_DM"].iloc[0]
    path = tmp_path / "cun.gpkg"
    shapes.iloc[1:].to_file(path, driver="GPKG")
    monkeypatch.setenv("POPDASH_BOUNDARIES", str(path))
    at = open_map()
    report = at.expander[0]
    assert "⚠" in report.label and "cun.gpkg" in report.label and "CUN_DM" in report.label
    assert missing in list(report.dataframe[0].value[t("code")])
    assert f'"code":"{missing}"' not in map_args(at)["script"]


def test_a_gcj02_file_with_the_156_prefix_lands_where_the_demo_is(db_url, tmp_path, monkeypatch):
    """The demo's villages traced on a GCJ-02 web map, the county coded 156 + adcode, and
    the townships padded to 12 digits: with boundary_crs = gcj02 the map is the demo's own."""
    import geopandas as gpd
    import shapely

    from geo.demo import demo_boundaries
    from geo.gcj02 import transform_geometries, wgs84_to_gcj02
    from queries.services.catalogue import units_frame

    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            units = units_frame(conn)
    finally:
        eng.dispose()
    villages = demo_boundaries(units)
    towns = villages.dissolve("parent_code", as_index=False)
    geoms = [*villages.geometry, *towns.geometry, shapely.union_all(villages.geometry.to_numpy())]
    codes = [*villages["code"], *(c + "000" for c in towns["parent_code"]), "156" + COUNTY_CODE]
    traced = transform_geometries(geoms, wgs84_to_gcj02)
    path = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"adcode": codes}, geometry=list(traced), crs="EPSG:4326").to_file(path)
    demo_script = map_args(open_map())["script"]

    monkeypatch.setenv("POPDASH_BOUNDARIES", str(path))
    monkeypatch.setenv("POPDASH_BOUNDARY_CRS", "GCJ-02")
    at = open_map()
    report = at.expander[0]
    assert "⚠" not in report.label and "amap.geojson" in report.label and "adcode" in report.label
    assert "坐标按 gcj02 读取并转换为 WGS84。" in [c.value for c in report.caption]
    number = re.compile(r"-?\d+\.\d+")
    got = np.array(
        [float(x) for x in number.findall(map_args(at)["script"].split("coordinates", 1)[1][:4000])]
    )
    want = np.array([float(x) for x in number.findall(demo_script.split("coordinates", 1)[1][:4000])])
    assert len(got) > 50 and len(got) == len(want)
    assert np.abs(got - want).max() <= 2e-5  # on the 5-decimal grid, the demo's own place


def test_english_page(db_url):
    at = open_map(lang="en")
    assert at.title[0].value == "Map · 澄川市"
    legend = " ".join(m.value for m in at.markdown)
    assert "103–107 normal" in legend and "Faded: within chance" in legend
    assert t("mp_significant_title", "en") in [s.value for s in at.subheader]
