"""Import and whole-county indicator timings, SQLite and PostgreSQL, demo and 10× size.

    python -m benchmarks.engine_bench [--sizes 1,10] [--engines sqlite,postgresql] [--repeat 5]

Writes a Markdown table to stdout (paste it into docs/benchmarks.md). PostgreSQL is a
throwaway server started like the test suite's (or POPDASH_TEST_PG_URL).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import text

from benchmarks.naive import naive_measures
from queries.analytics.lifecycle import ensure_schema
from queries.analytics.read import all_measures
from queries.demo.county import build_demo, write_csv
from queries.engine.indicators import compute, county_code
from queries.engine.period import make_period
from queries.ingest.load import import_path
from queries.store.db import make_engine
from queries.store.schema import metadata
from tests.pg_server import running_postgres

SIZES = {
    1: dict(villages=388, communities=12, townships=15),
    10: dict(villages=3880, communities=120, townships=150),
}
UNTIL = date(2026, 11, 23)
YEAR = 2025
IN_YEAR = date(2026, 11, 10)  # an as-of day early in a month: the most events read from the tables


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def run(size: int, engine_name: str, url: str, folder: Path, repeat: int) -> dict:
    engine = make_engine(url)
    if engine_name == "postgresql":
        metadata.drop_all(engine)
    ensure_schema(engine)
    t0 = time.perf_counter()
    import_path(engine, folder, today=UNTIL)
    import_s = time.perf_counter() - t0
    period = make_period(YEAR)
    with engine.connect() as conn:
        root = county_code(conn)
        compute(conn, root, period)  # warm caches, as a page's second view would be
        fast_best, fast_median = best(lambda: compute(conn, root, period), repeat)
        in_year = make_period(IN_YEAR.year, IN_YEAR)
        compute(conn, root, in_year)
        in_year_best, in_year_median = best(lambda: compute(conn, root, in_year), repeat)
        engine_measures = {p: all_measures(conn, root, p, "registered") for p in (period, in_year)}
        units = len(engine_measures[period])
        rows = conn.execute(text("select count(*) from births")).scalar()
    naive_best, _ = best(lambda: naive_measures(engine, period), max(1, repeat // 2))
    agree = True
    for p, ours in engine_measures.items():
        theirs = naive_measures(engine, p)
        ours = ours.reindex(columns=theirs.columns, fill_value=0.0).loc[theirs.index]
        agree = agree and bool(np.allclose(ours.to_numpy(float), theirs.to_numpy(float)))
    engine.dispose()
    return dict(
        size=size,
        engine=engine_name,
        units=units,
        births=rows,
        import_s=import_s,
        compute_ms=fast_best * 1000,
        compute_median_ms=fast_median * 1000,
        in_year_ms=in_year_best * 1000,
        in_year_median_ms=in_year_median * 1000,
        naive_ms=naive_best * 1000,
        speedup=naive_best / fast_best,
        agree=agree,
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    results = []
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as pg_url:
        for size in sizes:
            folder = Path(tmp) / f"demo{size}"
            t0 = time.perf_counter()
            write_csv(build_demo(seed=2026, until=UNTIL, **SIZES[size]), folder)
            print(f"size {size}×: demo files written in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            for name in engines:
                url = f"sqlite:///{tmp}/bench{size}.sqlite" if name == "sqlite" else pg_url
                results.append(run(size, name, url, folder, args.repeat))
                print(results[-1], file=sys.stderr)
    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"year {YEAR}, every indicator for every unit, best of {args.repeat} after a warm-up.\n"
    )
    print(
        "| size | database | units | births (5 y) | import | scorecard (best / median) | "
        f"in-year scorecard, as of {IN_YEAR:%d %b} | naive pandas | speed-up | same numbers |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['size']}× | {r['engine']} | {r['units']:,} | {r['births']:,} | {r['import_s']:.1f} s | "
            f"{r['compute_ms']:.0f} / {r['compute_median_ms']:.0f} ms | "
            f"{r['in_year_ms']:.0f} / {r['in_year_median_ms']:.0f} ms | {r['naive_ms']:.0f} ms | "
            f"{r['speedup']:.1f}× | {'yes' if r['agree'] else 'NO'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
