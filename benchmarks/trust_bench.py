"""What the "numbers right now" machinery costs: the check every page run makes (derived
tables' health and the data version) and a target save, which no longer rebuilds the
derived tables (measured beside the rebuild it used to include, in the same run).

    python -m benchmarks.trust_bench [--runs 50]

Builds the default demo county (388 villages, 12 communities, 5 years) in a temporary
SQLite file first.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time

import pandas as pd

from queries.analytics import lifecycle
from queries.demo.county import create_demo
from queries.engine.indicators import county_code
from queries.ingest.load import import_frames
from queries.store import data_version
from queries.store.db import make_engine, rebuild_ancestors

log = logging.getLogger("trust_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/demo.sqlite")
        create_demo(engine)
        check = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with engine.connect() as conn:
                lifecycle.problems(conn)
                data_version.read(conn)
            check.append((time.perf_counter() - started) * 1000)
        with engine.connect() as conn:
            county = county_code(conn)
        target = pd.DataFrame(
            {"year": ["2025"], "unit_code": [county], "indicator": ["birth_rate"], "target": ["5.6"]}
        )
        started = time.perf_counter()
        import_frames(engine, {"targets": target})
        save = time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as conn:  # what every target save added before
            rebuild_ancestors(conn)
            lifecycle.refresh(conn)
        rebuild = time.perf_counter() - started
        engine.dispose()
    log.info(
        "| page-run check (health + version) | median %.2f ms, max %.2f ms |",
        statistics.median(check),
        max(check),
    )
    log.info(
        "| target save | %.2f s, against %.2f s with the rebuild it used to include |", save, save + rebuild
    )


if __name__ == "__main__":
    main()
