"""geo/: boundary files (good, bad and broken), the join report, demo boundaries,
coverage-preserving simplification, the map frame and the offline folium map."""

from __future__ import annotations

import json
import math
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo import maps
from geo.boundaries import BoundaryError, join_units, load_boundaries, normalise_code, read_boundaries
from geo.choropleth import BAND_COLOURS, funnel_frame, map_frame
from geo.demo import CENTRE_LAT, CENTRE_LON, demo_boundaries
from geo.simplify import is_coverage, simplify_coverage, vertex_count
from queries.demo.county import _structure
from queries.engine.verdict import judge

COUNTY = "330781"
SEX_RATIO = "sex_ratio_at_birth"
T1, T2 = "330781101", "330781102"
V1 = [f"{T1}{i}" for i in (201, 202, 203)]
V2 = [f"{T2}{i}" for i in (201, 202, 203)]


@pytest.fixture
def units() -> pd.DataFrame:
    rows = [
        (COUNTY, "澄川市", "county", None),
        (T1, "龙泉镇", "township", COUNTY),
        (T2, "凤溪镇", "township", COUNTY),
    ]
    rows += [(c, f"村{c[-3:]}", "village", T1) for c in V1] + [
        (c, f"村{c[-3:]}甲", "village", T2) for c in V2
    ]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])


def grid(codes: list[str], crs: str = "EPSG:4326", x0: float = 119.5, y0: float = 29.2, size: float = 0.01):
    """Squares in a row of two lines (a clean coverage), one per code."""
    geoms = [
        box(x0 + (i % 3) * size, y0 + (i // 3) * size, x0 + (i % 3 + 1) * size, y0 + (i // 3 + 1) * size)
        for i in range(len(codes))
    ]
    return gpd.GeoDataFrame({"code": codes, "label": [f"unit {c}" for c in codes]}, geometry=geoms, crs=crs)


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


# --------------------------------------------------------------------------- bad files


def test_missing_file_is_named(tmp_path, units):
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(tmp_path / "nowhere.geojson", units)
    assert one_line(exc) == "boundary file nowhere.geojson: not found"


def test_broken_file(tmp_path, units):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat', encoding="utf-8")
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(path, units)
    assert one_line(exc).startswith("boundary file broken.geojson: cannot be read")


@pytest.mark.filterwarnings("ignore:GPKG. bad application_id")
def test_broken_geopackage_and_empty_zip(tmp_path, units):
    gpkg = tmp_path / "villages.gpkg"
    gpkg.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(BoundaryError, match="villages.gpkg: cannot be read"):
        load_boundaries(gpkg, units)
    archive = tmp_path / "villages.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "no shapefile here")
    with pytest.raises(BoundaryError, match="villages.zip: cannot be read"):
        load_boundaries(archive, units)


def test_unsupported_type(tmp_path, units):
    path = tmp_path / "villages.csv"
    path.write_text("code,name\n1,a\n", encoding="utf-8")
    with pytest.raises(BoundaryError, match=r"villages.csv: unsupported type \.csv"):
        load_boundaries(path, units)


def test_no_geometry_table(tmp_path, units):
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"code": V1}), path, layer="codes")
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(path, units)
    assert one_line(exc) == "boundary file table.gpkg: has no geometry (a table without shapes)"


def test_no_geometry_in_any_feature(tmp_path, units):
    path = tmp_path / "empty.geojson"
    features = [{"type": "Feature", "properties": {"code": c}, "geometry": None} for c in V1]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    with pytest.raises(BoundaryError, match="empty.geojson: has no geometry"):
        load_boundaries(path, units)


def test_points_are_not_areas(tmp_path, units):
    path = tmp_path / "points.geojson"
    frame = gpd.GeoDataFrame(
        {"code": V1}, geometry=gpd.points_from_xy([119.5] * 3, [29.2] * 3), crs="EPSG:4326"
    )
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="has no polygons, only Point"):
        load_boundaries(path, units)


def test_wrong_code_column(tmp_path, units):
    path = tmp_path / "villages.geojson"
    grid(V1 + V2).to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(path, units, code_column="CUN_DM")
    assert "has no column 'CUN_DM' (the boundary_code_column setting)" in one_line(exc)
    assert "its columns are code, label" in str(exc.value)
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(path, units, code_column="label")
    assert "column 'label' holds no unit code (e.g. 'unit 330781101201')" in one_line(exc)


def test_no_column_holds_codes(tmp_path, units):
    path = tmp_path / "villages.geojson"
    frame = grid(V1).assign(code=["a", "b", "c"])
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(path, units)
    assert (
        "no column holds unit codes (columns: code, label); name it with the boundary_code_column"
        in one_line(exc)
    )


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_shapefile_without_prj_is_refused(tmp_path, units):
    folder = tmp_path / "shp"
    folder.mkdir()
    grid(V1 + V2, crs=None).to_file(folder / "cun.shp")
    assert not (folder / "cun.prj").exists()
    archive = tmp_path / "cun.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(archive, units)
    assert one_line(exc).startswith("boundary file cun.zip: declares no coordinate reference system;")


def test_mixed_crs_layers_are_refused(tmp_path, units):
    path = tmp_path / "mixed.gpkg"
    grid(V1).to_file(path, layer="villages_wgs84", driver="GPKG")
    grid(V2, crs="EPSG:4549", x0=450_000, y0=3_230_000, size=1000).to_file(
        path, layer="villages_gk", driver="GPKG"
    )
    with pytest.raises(BoundaryError) as exc:
        load_boundaries(path, units)
    text = one_line(exc)
    assert "mixed CRS" in text and "villages_wgs84 EPSG:4326" in text and "villages_gk EPSG:4549" in text


def test_projected_coordinates_without_crs_member(tmp_path, units):
    """A GeoJSON is WGS84 by definition; metres written there are caught, not misplaced."""
    path = tmp_path / "metres.geojson"
    frame = grid(V1, crs="EPSG:4549", x0=450_000, y0=3_230_000, size=1000)
    features = json.loads(frame.to_json(to_wgs84=False))
    features.pop("crs", None)
    path.write_text(json.dumps(features), encoding="utf-8")
    with pytest.raises(
        BoundaryError, match="are not longitude/latitude although the file declares EPSG:4326"
    ):
        load_boundaries(path, units)


# --------------------------------------------------------------------------- good files


def meridian_arc(lat_deg: float, a: float = 6378137.0, f: float = 1 / 298.257222101) -> float:
    """Distance along the meridian from the equator (CGCS2000 ellipsoid), by Simpson's rule."""
    e2 = f * (2 - f)
    phi = np.linspace(0.0, math.radians(lat_deg), 2001)
    g = a * (1 - e2) / (1 - e2 * np.sin(phi) ** 2) ** 1.5
    h = phi[1] - phi[0]
    return float(h / 3 * (g[0] + g[-1] + 4 * g[1:-1:2].sum() + 2 * g[2:-1:2].sum()))


def test_cgcs2000_gauss_kruger_is_reprojected(tmp_path, units):
    """EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E): on the central meridian the
    easting is 500 000 m and the northing the meridian arc, so the point is known."""
    north = meridian_arc(29.2)
    square = box(500_000 - 500, north - 500, 500_000 + 500, north + 500)
    path = tmp_path / "gk.gpkg"
    gpd.GeoDataFrame({"code": [V1[0]]}, geometry=[square], crs="EPSG:4549").to_file(path, driver="GPKG")
    joined = load_boundaries(path, units)
    geom = joined.shapes.set_index("code").geometry[V1[0]]
    assert joined.shapes.crs.to_epsg() == 4326
    xs, ys = shapely.get_coordinates(geom).T
    assert (xs.min() + xs.max()) / 2 == pytest.approx(120.0, abs=1e-9)
    assert (ys.min() + ys.max()) / 2 == pytest.approx(29.2, abs=1e-6)
    # 1 km wide at 29.2° N is about 0.01029° of longitude
    assert xs.max() - xs.min() == pytest.approx(1000 / (111_320 * math.cos(math.radians(29.2))), rel=5e-3)


def test_join_report_lists_unmatched_both_ways(tmp_path, units):
    shapes = grid([*V1, V2[0], V2[1], "330781999201"])  # V2[2] missing, one code of no unit
    path = tmp_path / "villages.geojson"
    shapes.to_file(path, driver="GeoJSON")
    joined = load_boundaries(path, units)
    assert joined.code_column == "code"
    assert joined.shapes_without_unit == ("330781999201",)
    # T2 lacks a village, so it cannot be built from its villages either
    assert joined.units_without_shape == (T2, V2[2])
    assert joined.derived == (T1,)
    assert set(joined.level("village")["code"]) == {*V1, V2[0], V2[1]}
    town = joined.level("township").set_index("code").geometry[T1]
    assert town.geom_type == "Polygon"
    assert town.area == pytest.approx(sum(g.area for g in shapes.geometry[:3]))
    assert joined.shapes.set_index("code").at[V1[0], "name"] == "村201"


def test_codes_as_numbers_and_padded_to_twelve_digits(units):
    frame = grid([V1[0], V1[1], T2 + "000"]).assign(code=[int(V1[0]), float(V1[1]), T2 + "000"])
    joined = join_units(frame, units)
    assert set(joined.shapes["code"]) == {V1[0], V1[1], T2}
    assert joined.shapes_without_unit == ()
    assert normalise_code(3.30781101201e11) == V1[0]
    assert normalise_code("  330781101 ") == T1


def test_code_column_is_detected_among_others(units):
    frame = grid(V1 + V2).rename(columns={"code": "CUN_DM"}).assign(NAME=list("abcdef"), ID=range(6))
    joined = join_units(frame, units)
    assert joined.code_column == "CUN_DM"
    assert joined.units_without_shape == ()
    assert joined.derived == (T1, T2)


def test_bow_tie_is_repaired(tmp_path, units):
    bow_tie = Polygon([(119.5, 29.2), (119.52, 29.22), (119.52, 29.2), (119.5, 29.22)])
    assert not bow_tie.is_valid
    frame = grid(V1[1:]).pipe(
        lambda g: pd.concat([g, gpd.GeoDataFrame({"code": [V1[0]]}, geometry=[bow_tie], crs=g.crs)])
    )
    path = tmp_path / "bowtie.geojson"
    frame.to_file(path, driver="GeoJSON")
    read, repaired = read_boundaries(path)
    assert repaired == 1
    joined = load_boundaries(path, units)
    geom = joined.shapes.set_index("code").geometry[V1[0]]
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert geom.area == pytest.approx(0.02 * 0.02 / 2)
    assert joined.repaired == 1


def test_features_of_one_unit_are_merged(units):
    frame = grid([V1[0], V1[0], V1[1]])
    joined = join_units(frame, units)
    merged = joined.shapes.set_index("code").geometry[V1[0]]
    assert merged.area == pytest.approx(2 * 0.01 * 0.01)


# --------------------------------------------------------------------------- demo boundaries


@pytest.fixture(scope="module")
def demo_units() -> pd.DataFrame:
    return _structure(2026, villages=388, communities=12, townships=15, scale=1.0).units


def test_demo_villages_tile_the_county(demo_units):
    shapes = demo_boundaries(demo_units)
    data = demo_units[demo_units["level"].isin(["village", "community"])]
    assert sorted(shapes["code"]) == sorted(data["code"])
    geoms = shapes.geometry.to_numpy()
    assert set(shapes.geom_type) == {"Polygon"}
    assert shapely.coverage_is_valid(geoms)  # no overlaps, shared edges match exactly
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gaps, one piece
    assert union.area == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)
    minx, miny, maxx, maxy = union.bounds
    km_x = (maxx - minx) * 111.32 * math.cos(math.radians(CENTRE_LAT))
    km_y = (maxy - miny) * 110.57
    assert 30 < km_x < 55 and 25 < km_y < 50
    assert union.centroid.distance(shapely.Point(CENTRE_LON, CENTRE_LAT)) < 0.1


def test_demo_townships_are_contiguous_and_tile(demo_units):
    shapes = demo_boundaries(demo_units)
    joined = join_units(shapes, demo_units, code_column="code", source="demo")
    towns = joined.level("township")
    assert len(towns) == 15 and joined.units_without_shape == ()
    assert set(towns.geom_type) == {"Polygon"}
    assert shapely.coverage_is_valid(towns.geometry.to_numpy())
    assert shapely.area(towns.geometry.to_numpy()).sum() == pytest.approx(
        shapely.area(shapes.geometry.to_numpy()).sum(), rel=1e-9
    )
    # urban streets (街道) are in the middle of the county
    street = towns[towns["name"].str.endswith("街道")].geometry.union_all()
    centre = shapes.geometry.union_all().centroid
    assert street.distance(centre) < 0.05


def test_demo_is_deterministic_and_fits_any_units_table(demo_units):
    first = demo_boundaries(demo_units)
    again = demo_boundaries(demo_units)
    assert all(a.equals_exact(b, 0) for a, b in zip(first.geometry, again.geometry, strict=True))
    small = _structure(7, villages=40, communities=4, townships=4, scale=1.0).units
    shapes = demo_boundaries(small)
    assert len(shapes) == 44 and shapely.coverage_is_valid(shapes.geometry.to_numpy())
    assert set(shapes.dissolve("parent_code").geom_type) == {"Polygon"}


# --------------------------------------------------------------------------- simplification


@pytest.fixture(scope="module")
def jagged() -> np.ndarray:
    """Twenty townships whose borders follow 2,000 small cells: many vertices, exact coverage."""
    fine = _structure(3, villages=2000, communities=0, townships=20, scale=1.0).units
    shapes = demo_boundaries(fine)
    return np.array(
        [shapely.coverage_union_all(g.to_numpy()) for _, g in shapes.groupby("parent_code").geometry]
    )


def test_simplification_keeps_neighbours_together(jagged):
    assert is_coverage(jagged)
    simple = simplify_coverage(jagged, tolerance_m=800)
    assert vertex_count(simple) < 0.6 * vertex_count(jagged)
    assert is_coverage(simple)
    total = shapely.area(simple).sum()
    union = shapely.union_all(simple)
    assert union.area == pytest.approx(total, rel=1e-6)  # no overlaps
    assert len(union.interiors) == 0 if union.geom_type == "Polygon" else False  # no gaps
    assert total == pytest.approx(shapely.area(jagged).sum(), rel=0.01)
    # each pair of neighbours still shares a border line, not a sliver or a point
    for i in range(len(jagged)):
        for j in range(i + 1, len(jagged)):
            if shapely.length(shapely.intersection(jagged[i], jagged[j])) > 0.01:
                assert shapely.length(shapely.intersection(simple[i], simple[j])) > 0.005


def test_simplification_of_a_file_that_is_not_a_coverage():
    a = box(0, 0, 1, 1).buffer(0.001, quad_segs=16)
    b = box(1, 0, 2, 1).buffer(0.001, quad_segs=16)  # overlaps a by 2 mm
    assert not is_coverage([a, b])
    out = simplify_coverage([a, b], tolerance_m=50)
    assert all(shapely.is_valid(out)) and vertex_count(out) < vertex_count([a, b])


# --------------------------------------------------------------------------- map frame and map

WORDS = dict(
    normal="normal",
    marked_high="high",
    marked_low="low",
    faded="chance",
    no_data="no data",
    not_met="not met",
    births_of="births",
)


def long_table(values: dict[str, tuple[float, float]], indicator: str = SEX_RATIO, target: float = 110.0):
    """An engine-like long table: per village (numerator, denominator), judged as the engine does."""
    codes = list(values)
    num = np.array([v[0] for v in values.values()], dtype=float)
    den = np.array([v[1] for v in values.values()], dtype=float)
    scale = 100.0 if indicator in (SEX_RATIO, "migrant_service_coverage") else 1.0
    value = np.where(den > 0, num / np.where(den > 0, den, 1) * scale, np.nan)
    judged = judge(
        np.full(len(codes), indicator, dtype=object), value, np.full(len(codes), target), num, den, 1.0
    )
    return pd.DataFrame(
        {
            "unit_code": codes,
            "name": [f"v{c}" for c in codes],
            "level": "village",
            "parent_code": T1,
            "indicator": indicator,
            "numerator": num,
            "denominator": den,
            "value": value,
            "target": target,
            **{k: judged[k] for k in ("status", "ci_low", "ci_high", "significance", "verdict")},
        }
    )


def test_sex_ratio_frame_marks_only_significant_units():
    table = long_table({"a": (300, 200), "b": (14, 6), "c": (100, 95), "d": (150, 250), "e": (3, 0)})
    frame = map_frame(table, SEX_RATIO, "village", WORDS, "en")
    by = frame.units.set_index("code")
    assert list(frame.significant()["code"]) == ["a", "d"]  # high first, then low
    assert by.loc["b", "value"] > 200 and not by.loc["b", "marked"] and by.loc["b", "faded"]
    assert by.loc["c", "colour"] == BAND_COLOURS[3]  # 105.3: the normal band
    assert by.loc["e", "bin"] == -1 and by.loc["e", "value_text"] == "—"
    assert list(frame.units["code"])[-2:] == ["a", "d"]  # marked drawn last
    assert [e.label for e in frame.legend][:4] == ["< 95", "95–100", "100–103", "103–107 normal"]
    funnel = funnel_frame(frame)
    assert set(funnel.points["code"]) == {"a", "b", "c", "d"}
    assert set(funnel.limits["limit"]) == {"95%", "99.8%"}


def test_other_indicator_bins_are_quintiles_and_marks_not_met():
    table = long_table(
        {c: (float(i), 100.0) for i, c in enumerate("abcdefghij")}, "migrant_service_coverage", 4.5
    )
    frame = map_frame(table, "migrant_service_coverage", "village", WORDS, "en")
    assert frame.units["marked"].sum() == 5
    assert frame.units["bin"].nunique() == 5
    dark = frame.units.set_index("code")["colour"]
    assert dark["a"] == "#a63603" and dark["j"] == "#feedde"  # low coverage is worse: darker


def test_map_is_offline_light_and_clickable():
    table = long_table({c: (110.0, 100.0) for c in V1})
    table.loc[1, "name"] = "<img src=x onerror=alert(1)>村"  # names come from imported files
    frame = map_frame(table, SEX_RATIO, "village", WORDS, "en")
    geoms = maps.geometries_json(grid(V1).assign(geometry=lambda g: g.geometry.translate(1e-7, 1e-7)))
    collection = maps.feature_collection(geoms, frame)
    assets = maps.LeafletAssets(js="../local/leaflet.js", css="../local/leaflet.css")
    m = maps.build_map(collection, frame, {"name": "Unit"}, assets)
    assert maps.external_urls(m) == []
    page = m.get_root().render()
    assert "../local/leaflet.js" in page and "tileLayer" not in page
    props = collection["features"][0]["properties"]
    assert props["code"] == V1[0] and set(props) == {"code", "k", "n", "v", "i", "b", "t", "s"}
    assert props["n"] == f"v{V1[0]}" and props["v"] == "110.00"
    assert "Unit" in page and '"n":"v330781101201"' in page  # compact, and the tooltip's label
    assert "<img" not in page and "&lt;img" in collection["features"][1]["properties"]["n"]
    coords = np.array(collection["features"][0]["geometry"]["coordinates"][0])
    assert np.all(np.round(coords, 5) == coords)
    with_tiles = maps.build_map(
        collection, frame, {}, assets, tile_url="http://tiles.intranet/{z}/{x}/{y}.png"
    )
    assert "tiles.intranet" in with_tiles.get_root().render()
