"""Server-side time of each page's first render and of a filter change, with Streamlit's
AppTest, at demo size and 10× size.

    python -m benchmarks.page_bench [--sizes 1,10]

"First render" is a fresh session (empty query caches: what the first visitor after a
restart waits for); "filter change" switches the township in the sidebar, then the
year back and forth (a rerun that misses the cache for the new filter set, then one that
hits it). The browser adds rendering on top; the browser tests save screenshots, not times.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from queries.demo.county import create_demo
from queries.store.db import make_engine

SIZES = {
    1: dict(villages=388, communities=12, townships=15),
    10: dict(villages=3880, communities=120, townships=150),
}
UNTIL = date(2026, 11, 23)
PAGES = ["overview", "scorecard", "checks", "migrants", "unit_detail", "map", "assessment", "targets"]
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def timed(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(f"page raised: {at.exception[0].value}")
    return time.perf_counter() - start


def bench_page(page: str, township: str, other_township: str) -> dict:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"year": "2025", "as_of": "2025-11-15"})
    timed(at)  # the entry script's first run opens the engine and builds the sidebar
    import streamlit as st

    st.cache_data.clear()  # so the page's first render computes its numbers
    at.switch_page(str(Path(APP).parent.parent / "pages" / f"{page}.py"))
    first = timed(at)
    at.sidebar.selectbox(key="township").set_value(township)
    change = timed(at)
    at.sidebar.selectbox(key="township").set_value(other_township)
    timed(at)
    at.sidebar.selectbox(key="township").set_value(township)
    cached = timed(at)
    return dict(page=page, first=first, change=change, cached=cached)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10")
    ap.add_argument("--pages", default=",".join(PAGES))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            url = f"sqlite:///{tmp}/pages{size}.sqlite"
            create_demo(make_engine(url), seed=2026, until=UNTIL, **SIZES[size])
            os.environ["POPDASH_DB_URL"] = url
            from queries.services.catalogue import units_frame

            with make_engine(url).connect() as conn:
                towns = units_frame(conn).query("level == 'township'")["code"].tolist()
            for page in args.pages.split(","):
                r = bench_page(page, towns[0], towns[1])
                r["size"] = size
                rows.append(r)
                print(r, file=sys.stderr)
    print("| size | page | first render | filter change (uncached) | filter change (cached) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['size']}× | {r['page']} | {r['first']:.2f} s | {r['change']:.2f} s | {r['cached']:.2f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
