"""Demo boundaries: village and community areas for any units table, plausible on a map.

The county is an irregular outline of about 40 × 35 km around 29.2° N, 119.5° E (hills of
western Zhejiang), grown in area with the number of villages, so a 5,000-village city is
about 140 × 120 km. Inside it:

- one point per village or community, spread evenly (a few rounds of Lloyd relaxation);
- the points are shared out among the townships by recursive bisection, in polar
  coordinates around the centre: the urban townships (街道, mostly communities) take the
  points nearest the centre, the rural townships annular sectors around them, so every
  township is one contiguous piece of about its share of the area;
- each village's area is its point's Voronoi cell clipped to the outline.

The cells of one Voronoi diagram tile the outline without gaps or overlaps, so the
villages tile their townships and the townships tile the county. Only villages and
communities are returned: the loader builds each township as the union of its villages,
as it does for a bureau's file that has only villages.

Everything is seeded by the county code: the same units table gives the same map.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.random import PCG64, Generator, SeedSequence

from geo.boundaries import township_shape
from geo.messages import DemoBoundaryError
from queries.store.schema import DATA_LEVELS

CENTRE_LON, CENTRE_LAT = 119.5, 29.2
BASE_HALF_WIDTH_KM, BASE_HALF_HEIGHT_KM = 20.0, 17.5  # 40 × 35 km for the base count
BASE_UNITS = 400  # villages and communities of the seed county
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * np.cos(np.radians(CENTRE_LAT))
LLOYD_ROUNDS = 4
MAX_ATTEMPTS = 40


def _seed(units: pd.DataFrame) -> int:
    root = units.loc[units["parent_code"].isna(), "code"]
    key = str(root.iloc[0]) if len(root) else ",".join(map(str, units["code"].head(3)))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")


def _rng(seed: int, attempt: int, stream: int) -> Generator:
    return Generator(PCG64(SeedSequence([seed, attempt, stream])))


def _outline(rng: Generator, scale: float) -> shapely.Polygon:
    """A smooth, irregular, star-shaped outline in km around (0, 0)."""
    theta = np.linspace(0.0, 2 * np.pi, 96, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 6):
        radius += rng.uniform(0.03, 0.09) / np.sqrt(k - 1) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    turn = rng.uniform(-0.35, 0.35)
    x = BASE_HALF_WIDTH_KM * scale * radius * np.cos(theta)
    y = BASE_HALF_HEIGHT_KM * scale * radius * np.sin(theta)
    xr = x * np.cos(turn) - y * np.sin(turn)
    yr = x * np.sin(turn) + y * np.cos(turn)
    return shapely.Polygon(np.column_stack([xr, yr]))


def _points_inside(rng: Generator, outline: shapely.Polygon, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = outline.bounds
    found: list[np.ndarray] = []
    count = 0
    shapely.prepare(outline)
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(64, 2 * n), 2))
        inside = xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


def _cells(points: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    """Voronoi cells of ``points`` (in their order) clipped to the outline."""
    if len(points) == 1:
        return np.array([outline], dtype=object)
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=outline.buffer(outline.length), ordered=True
    )
    return shapely.intersection(shapely.get_parts(diagram), outline)


def _relax(points: np.ndarray, outline: shapely.Polygon, rounds: int) -> np.ndarray:
    for _ in range(rounds):
        points = shapely.get_coordinates(shapely.centroid(_cells(points, outline)))
    return points


def _split_sizes(sizes: list[int]) -> int:
    """Where to cut an ordered list of sizes into two runs of nearly equal sums."""
    total = sum(sizes)
    running = np.cumsum(sizes)[:-1]
    return int(np.argmin(np.abs(running - total / 2))) + 1


def _bisect(coords: np.ndarray, idx: np.ndarray, groups: list[tuple[int, int]], polar: bool, out: np.ndarray):
    """Give each group (label, size) a run of the points ``idx``, cutting the longer side."""
    if len(groups) == 1:
        out[idx] = groups[0][0]
        return
    cut = _split_sizes([s for _, s in groups])
    first, second = groups[:cut], groups[cut:]
    n_first = sum(s for _, s in first)
    a, b = coords[idx, 0], coords[idx, 1]
    if polar:  # a = angle, b = radius: compare the arc with the radial depth
        long_a = (a.max() - a.min()) * max(b.mean(), 1e-9) >= (b.max() - b.min())
    else:
        long_a = (a.max() - a.min()) >= (b.max() - b.min())
    key = a if long_a else b
    order = idx[np.argsort(key, kind="stable")]
    _bisect(coords, order[:n_first], first, polar, out)
    _bisect(coords, order[n_first:], second, polar, out)


def _assign(rng: Generator, points: np.ndarray, towns: pd.DataFrame) -> np.ndarray:
    """Township label (row of ``towns``) for each point: urban townships in the middle."""
    radius = np.hypot(points[:, 0], points[:, 1])
    label = np.full(len(points), -1)
    urban = towns.index[towns["urban"]].tolist()
    rural = towns.index[~towns["urban"]].tolist()
    by_radius = np.argsort(radius, kind="stable")
    size = towns["size"]
    n_urban = int(size.loc[urban].sum())
    if urban:
        inner = by_radius[:n_urban]
        _bisect(points, inner, [(t, int(size.loc[t])) for t in urban], False, label)
    if rural:
        outer = by_radius[n_urban:]
        start = rng.uniform(0, 2 * np.pi)
        angle = np.mod(np.arctan2(points[:, 1], points[:, 0]) - start, 2 * np.pi)
        polar = np.column_stack([angle, radius])
        _bisect(polar, outer, [(t, int(size.loc[t])) for t in rural], True, label)
    return label


def _merge_pieces(cells: np.ndarray, label: np.ndarray) -> bool:
    """Give every stray piece of a cell to the neighbour in the same township that shares
    most of its border. False when a piece has no such neighbour."""
    for i, cell in enumerate(cells):
        if cell.geom_type == "Polygon":
            continue
        parts = sorted(shapely.get_parts(cell), key=lambda p: -p.area)
        cells[i] = parts[0]
        for piece in parts[1:]:
            same = np.flatnonzero(label == label[i])
            shared = shapely.length(shapely.intersection(cells[same], piece.boundary))
            shared[same == i] = 0.0
            if shared.max() <= 0:
                return False
            j = same[int(np.argmax(shared))]
            merged = shapely.coverage_union(cells[j], piece)
            if merged.geom_type != "Polygon":
                return False
            cells[j] = merged
    return True


def _townships_contiguous(cells: np.ndarray, label: np.ndarray) -> bool:
    """Whether every township, the shape the loader will make of its villages, is one piece."""
    return all(township_shape(cells[label == t]).geom_type == "Polygon" for t in np.unique(label))


def _to_lonlat(geoms: np.ndarray) -> np.ndarray:
    def lonlat(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [CENTRE_LON + xy[:, 0] / KM_PER_DEG_LON, CENTRE_LAT + xy[:, 1] / KM_PER_DEG_LAT]
        )

    return shapely.transform(geoms, lonlat)


def _townships(units: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    counts = data.groupby("parent_code").agg(size=("code", "size"), communities=("is_community", "sum"))
    counts = counts.reset_index().rename(columns={"parent_code": "code"})
    names = units.set_index("code")["name"]
    counts["name"] = counts["code"].map(names).fillna("")
    counts["urban"] = (counts["communities"] * 2 >= counts["size"]) | counts["name"].str.endswith("街道")
    if counts["urban"].all() and len(counts) > 1:  # a city of streets only: no middle to put them in
        counts["urban"] = False
    return counts.sort_values("code").reset_index(drop=True)


def demo_boundaries(units: pd.DataFrame, seed: int | None = None) -> gpd.GeoDataFrame:
    """Areas for the villages and communities of ``units`` (columns code, name, level,
    parent_code), in WGS84, with columns code, name, level, parent_code, geometry."""
    data = units[units["level"].isin(DATA_LEVELS)].copy()
    if data.empty:
        raise DemoBoundaryError("demo_no_villages")
    if data["parent_code"].isna().any():
        raise DemoBoundaryError("demo_no_township")
    data = data.sort_values("code").reset_index(drop=True)
    data["is_community"] = data["level"] == "community"
    towns = _townships(units, data)
    seed = _seed(units) if seed is None else seed
    scale = float(np.sqrt(max(len(data), 1) / BASE_UNITS))

    for attempt in range(MAX_ATTEMPTS):
        rng = _rng(seed, attempt, 0)
        outline = _outline(rng, scale)
        points = _relax(_points_inside(rng, outline, len(data)), outline, LLOYD_ROUNDS)
        label = _assign(rng, points, towns)
        cells = _cells(points, outline)
        if not _merge_pieces(cells, label) or not _townships_contiguous(cells, label):
            continue
        break
    else:  # pragma: no cover - the retries make this practically unreachable
        raise DemoBoundaryError("demo_no_layout", attempts=MAX_ATTEMPTS)

    # Within a township, communities take the points nearest the county's centre.
    order = np.empty(len(data), dtype=np.int64)
    radius = np.hypot(points[:, 0], points[:, 1])
    for t, row in towns.iterrows():
        slots = np.flatnonzero(label == t)
        slots = slots[np.argsort(radius[slots], kind="stable")]
        members = data.index[data["parent_code"] == row["code"]]
        members = sorted(members, key=lambda i: (not data.at[i, "is_community"], data.at[i, "code"]))
        order[members] = slots
    geoms = _to_lonlat(cells[order])
    frame = data[["code", "name", "level", "parent_code"]].copy()
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs="EPSG:4326")


def write_demo_boundaries(units: pd.DataFrame, path: str | Path, seed: int | None = None) -> Path:
    """Write the demo boundaries as GeoJSON (a sample of the file a bureau would give)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    demo_boundaries(units, seed).to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def main(argv: list[str] | None = None) -> int:
    """python -m geo.demo OUT.geojson [--db URL]: the demo boundaries of a database's units."""
    import argparse

    from queries.services.catalogue import units_frame
    from queries.store.db import default_db_url, make_engine

    parser = argparse.ArgumentParser(prog="python -m geo.demo", description=main.__doc__)
    parser.add_argument("out", help="GeoJSON file to write")
    parser.add_argument("--db", help="database URL (default: POPDASH_DB_URL, else data/population.sqlite)")
    args = parser.parse_args(argv)
    engine = make_engine(args.db or default_db_url())
    with engine.connect() as conn:
        units = units_frame(conn)
    engine.dispose()
    print(write_demo_boundaries(units, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
