"""What an import costs, step by step, and what a monthly increment costs against the database.

    python -m benchmarks.import_bench [--sizes 1,10] [--engines sqlite,postgresql] [--reach 1,12,36]

For each size: the demo county's CSV files up to BASE_UNTIL imported into a fresh database
(the first import of a county), then one township's records of the month after (new
events, and migrants who left that month: their records replaced) imported into a copy of
it twice, in the same run: *before*, the way every import worked until the derived tables
were updated from what an import touched (closure and every derived table built whole),
and *after* (the public ``import_path`` as it is). Both copies must end with the same
derived tables. ``--reach`` adds, at the largest size on SQLite, increments that also
correct one of the township's births dated that many months back: how far back an update
stays cheaper than a full build (``lifecycle.UPDATE_SHARE``), and the whole county's files
through that month imported again (a bureau that exports everything every month).

Every import runs in its own process: its peak memory is that process's ``ru_maxrss``.
Steps: read (files to frames), validate, write (the upserts), touch (reading the rows the
import replaces), closure, then each derived table. Prints Markdown tables for
docs/benchmarks.md. PostgreSQL is a throwaway server started like the test suite's.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path

import pandas as pd

log = logging.getLogger("import_bench")

SIZES = {
    1: dict(villages=388, communities=12, townships=15),
    10: dict(villages=3880, communities=120, townships=150),
}
BASE_UNTIL = date(2026, 10, 31)
MONTH_UNTIL = date(2026, 11, 30)
SEED = 2026
STEPS = ("read", "validate", "write", "touch", "closure", "first_checks", "served_migrants")
STEPS += ("unit_months", "unit_service_months", "unit_years", "analyze")


# --------------------------------------------------------------------------- one import, in a child


def _child(mode: str, url: str, folder: str) -> None:
    """Import ``folder`` into ``url``; print the steps' seconds and the peak memory as JSON.
    ``full``: as imports were before updates (the touch is never read, so the closure and
    every derived table are built whole); ``update``: as they are; ``forced``: updated
    whatever the share of events the touch reaches."""
    from queries.ingest import load
    from queries.store.db import make_engine

    marks: list[tuple[str, float]] = []
    extra = {"touch": 0.0, "closure": 0.0}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                extra[name] += time.perf_counter() - started

        return wrapper

    load.rebuild_ancestors = timed("closure", load.rebuild_ancestors)  # type: ignore[assignment]
    if mode == "full":
        load.touched_by = lambda conn, frames: None  # type: ignore[assignment]
    elif mode == "forced":  # updated however far back it reaches
        from queries.analytics import lifecycle

        lifecycle.UPDATE_SHARE = 1.0
    load.touched_by = timed("touch", load.touched_by)  # type: ignore[assignment]
    engine = make_engine(url)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    load.import_path(
        engine,
        folder,
        today=MONTH_UNTIL,
        progress=lambda _d, _t, step: marks.append((step, time.perf_counter())),
    )
    ended = time.perf_counter()
    engine.dispose()
    seconds = {"read": marks[0][1] - started}
    for (step, at), (_next, until) in zip(marks, [*marks[1:], ("", ended)], strict=True):
        seconds[step or "analyze"] = until - at
    # the touch and the closure run inside the write step
    seconds["write"] -= extra["touch"] + extra["closure"]
    seconds |= extra
    out = {"seconds": seconds, "total": ended - started, "peak_mb": _mb(), "baseline_mb": baseline / 1024}
    print(json.dumps(out))


def _mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _import(mode: str, url: str, folder: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.import_bench", "--child", mode, url, str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"import of {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the files


def _frames(size: int, until: date) -> dict[str, pd.DataFrame]:
    from queries.demo.county import build_demo

    return build_demo(seed=SEED, until=until, **SIZES[size])


def _increment(base: dict[str, pd.DataFrame], month: dict[str, pd.DataFrame]) -> tuple[dict, str]:
    """One township's records that the month adds or changes: rows of ``month`` in its
    villages that ``base`` does not hold as they are."""
    units = month["units"]
    township = sorted(units.loc[units["level"] == "township", "code"])[0]
    villages = set(units.loc[units["parent_code"] == township, "code"])
    mig_unit = dict(zip(month["migrants"]["migrant_id"], month["migrants"]["unit_code"], strict=True))
    out = {}
    for name, rows in month.items():
        if name in ("units", "targets"):
            continue
        if "unit_code" in rows:
            rows = rows[rows["unit_code"].isin(villages)]
        elif name == "migrant_services":
            rows = rows[rows["migrant_id"].map(mig_unit).isin(villages)]
        new = rows.merge(base[name], how="left", indicator=True)
        new = new[new["_merge"] == "left_only"].drop(columns="_merge")
        if len(new):
            out[name] = new
    return out, township


def _with_correction(
    increment: dict, base: dict[str, pd.DataFrame], township_villages: set, months: int
) -> dict:
    """The increment plus one of the township's births dated ``months`` back, its sex swapped."""
    births = base["births"]
    day = pd.Timestamp(BASE_UNTIL) - pd.DateOffset(months=months)
    mine = births[births["unit_code"].isin(township_villages) & (births["birth_date"] >= day)]
    fixed = mine.sort_values("birth_date").head(1).copy()
    fixed["sex"] = fixed["sex"].map({"M": "F", "F": "M"})
    out = dict(increment)
    out["births"] = pd.concat([increment.get("births", births.iloc[:0]), fixed], ignore_index=True)
    return out


# --------------------------------------------------------------------------- databases


class _Databases:
    """Fresh databases and copies of one, on SQLite (files) or PostgreSQL (template copies)."""

    def __init__(self, engine_name: str, tmp: Path, pg_url: str | None) -> None:
        self.name, self.tmp, self.pg_url, self.made = engine_name, tmp, pg_url, 0

    def fresh(self) -> str:
        self.made += 1
        if self.name == "sqlite":
            return f"sqlite:///{self.tmp}/db{self.made}.sqlite"
        return self._pg(f"CREATE DATABASE bench{self.made} TEMPLATE template0")

    def copy(self, url: str) -> str:
        self.made += 1
        if self.name == "sqlite":
            target = self.tmp / f"db{self.made}.sqlite"
            shutil.copy(url.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        return self._pg(f"CREATE DATABASE bench{self.made} TEMPLATE {url.rsplit('/', 1)[1]}")

    def drop(self, url: str) -> None:
        if self.name == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            self._admin(f"DROP DATABASE {url.rsplit('/', 1)[1]}")

    def _pg(self, statement: str) -> str:
        self._admin(statement)
        assert self.pg_url is not None
        return f"{self.pg_url.rsplit('/', 1)[0]}/bench{self.made}"

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        assert self.pg_url is not None
        admin = create_engine(f"{self.pg_url.rsplit('/', 1)[0]}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(statement))
        finally:
            admin.dispose()


def _derived(url: str) -> dict[str, pd.DataFrame]:
    from sqlalchemy import select

    from queries.analytics.tables import DERIVED_TABLES
    from queries.store.db import make_engine

    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in DERIVED_TABLES:
            key = [c.name for c in table.primary_key.columns]
            rows = pd.DataFrame(conn.execute(select(*table.c)).all(), columns=[c.name for c in table.columns])
            out[table.name] = rows.sort_values(key).reset_index(drop=True)
    engine.dispose()
    return out


def _same(a: str, b: str) -> bool:
    left, right = _derived(a), _derived(b)
    try:
        for name in left:
            pd.testing.assert_frame_equal(left[name], right[name], check_dtype=False)
    except AssertionError:
        return False
    return True


# --------------------------------------------------------------------------- the run


def _row(label: str, r: dict) -> str:
    cells = [f"{r['seconds'].get(s, 0.0):.2f}" for s in STEPS]
    memory = f"{r['peak_mb']:.0f} MB ({r['baseline_mb']:.0f} MB)"
    return f"| {label} | {r['total']:.1f} s | {' | '.join(cells)} | {memory} |"


def _share(frames: dict[str, pd.DataFrame], since: pd.Timestamp) -> float:
    """The share of the raw events dated on or after ``since`` (as ``worth_updating`` counts)."""
    days = {
        "births": "birth_date",
        "deaths": "death_date",
        "prepregnancy_checks": "check_date",
        "migrants": "arrival_date",
        "migrant_services": "service_date",
    }
    after = sum(int((frames[t][c] >= since).sum()) for t, c in days.items())
    return after / sum(len(frames[t]) for t in days)


def _prepare(size: int, tmp: str, reach: str) -> None:
    """Write the county's files, the month's increment and the corrections; print what
    they hold as JSON. In a child of its own, so the parent stays small: a child inherits
    its parent's peak memory in ``ru_maxrss``."""
    from queries.demo.county import write_csv

    base, month = _frames(size, BASE_UNTIL), _frames(size, MONTH_UNTIL)
    increment, township = _increment(base, month)
    write_csv(base, Path(tmp) / f"base{size}")
    write_csv(increment, Path(tmp) / f"inc{size}")
    villages = set(month["units"].loc[month["units"]["parent_code"] == township, "code"])
    shares = {}
    for months in [int(m) for m in reach.split(",") if m]:
        since = (pd.Timestamp(BASE_UNTIL) - pd.DateOffset(months=months)).replace(day=1)
        shares[months] = _share(base, since)
        write_csv(_with_correction(increment, base, villages, months), Path(tmp) / f"reach{size}-{months}")
    if reach:  # the whole county through the month, as a bureau exporting everything again sends it
        write_csv(month, Path(tmp) / f"all{size}")
    rows = ", ".join(f"{name} {len(f):,}" for name, f in increment.items())
    print(json.dumps({"township": township, "rows": rows, "shares": shares}))


def _child_json(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.import_bench", *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=3, metavar=("MODE", "URL", "FOLDER"), help=argparse.SUPPRESS)
    ap.add_argument("--prepare", nargs=3, metavar=("SIZE", "TMP", "REACH"), help=argparse.SUPPRESS)
    ap.add_argument("--compare", nargs=2, metavar=("URL", "URL"), help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="1,10")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--reach", default="", help="months back for the correction runs, e.g. 1,12,24,36,48")
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    if args.prepare:
        _prepare(int(args.prepare[0]), args.prepare[1], args.prepare[2])
        return 0
    if args.compare:
        print(json.dumps({"same": _same(*args.compare)}))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from tests.pg_server import running_postgres

    sizes = [int(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    lines: list[str] = []
    notes: list[str] = []
    reach_lines: list[str] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_postgres() if "postgresql" in engines else nullcontext(None) as pg_url,
    ):
        for size in sizes:
            reach = args.reach if size == max(sizes) and "sqlite" in engines else ""
            made = _child_json("--prepare", str(size), tmp, reach)
            notes.append(f"{size}×: the increment is township {made['township']}'s November: {made['rows']}")
            log.info("%s", notes[-1])
            for name in engines:
                dbs = _Databases(name, Path(tmp), pg_url)
                url = dbs.fresh()
                first = _import("update", url, Path(tmp) / f"base{size}")
                lines.append(_row(f"{size}× {name}: the county, first import", first))
                log.info("%s", lines[-1])
                copies = {}
                for mode in ("full", "update"):
                    copies[mode] = dbs.copy(url)
                    result = _import(mode, copies[mode], Path(tmp) / f"inc{size}")
                    label = "before (built whole)" if mode == "full" else "after (updated)"
                    lines.append(_row(f"{size}× {name}: one township's month, {label}", result))
                    log.info("%s", lines[-1])
                same = _child_json("--compare", copies["full"], copies["update"])["same"]
                notes.append(f"{size}× {name}: derived tables after both equal: {'yes' if same else 'NO'}")
                log.info("%s", notes[-1])
                for copy in copies.values():
                    dbs.drop(copy)
                if reach and name == "sqlite":
                    for mode in ("full", "update"):
                        copy = dbs.copy(url)
                        r = _import(mode, copy, Path(tmp) / f"all{size}")
                        dbs.drop(copy)
                        label = "before (built whole)" if mode == "full" else "after (updated)"
                        lines.append(
                            _row(f"{size}× {name}: the whole county again with November, {label}", r)
                        )
                        log.info("%s", lines[-1])
                    for months, share in made["shares"].items():
                        for mode in ("full", "forced"):
                            copy = dbs.copy(url)
                            r = _import(mode, copy, Path(tmp) / f"reach{size}-{months}")
                            dbs.drop(copy)
                            derived = sum(r["seconds"].get(s, 0.0) for s in STEPS[4:-1])
                            reach_lines.append(
                                f"| {months} ({share:.0%}) | {mode} | {r['total']:.1f} s | {derived:.1f} s | "
                                f"{r['peak_mb']:.0f} MB |"
                            )
                            log.info("%s", reach_lines[-1])
                dbs.drop(url)
    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        f"demo county up to {BASE_UNTIL}, increment dated {MONTH_UNTIL:%B %Y}; seconds per step.\n"
    )
    print(f"| import | total | {' | '.join(STEPS)} | peak memory (at start) |")
    print(f"|---|---|{'---|' * len(STEPS)}---|")
    print("\n".join(lines))
    print()
    print("\n".join(f"- {n}" for n in notes))
    if reach_lines:
        print(
            "\n| correction reaching back, months (events since) | path | total | closure + derived tables | peak |"
        )
        print("|---|---|---|---|---|")
        print("\n".join(reach_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
