"""``python -m dashboard import|undo|history|indicators|demo|report``: the pages' numbers for scripts.

Every failure ends in one line on stderr and a non-zero exit, never a traceback; a refused
import adds its errors grouped by file, column and reason, a screen at most.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from datetime import date
from typing import NoReturn

from dashboard.runtime import logs
from dashboard.runtime.settings import database_url, default_url, describe, open_engine
from queries.store.db import first_line

log = logging.getLogger(__name__)

CLI_COLUMNS = ["unit_code", "indicator", "numerator", "denominator", "value", "target", "status", "verdict"]


# Groups of import errors printed at most (one line each, and one for those left out).
IMPORT_ERROR_LINES = 30


class CliError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    imp = sub.add_parser(
        "import",
        help="import a folder of CSV files, a .zip of them or an .xlsx workbook",
        description=(
            "Import a folder of <table>.csv files, the same zipped, or an .xlsx workbook with a sheet "
            "per table, all or nothing. CSV text: UTF-8 (with or without BOM) or GB18030/GBK. Dates year "
            "first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D, YYYY年M月D日, or a date cell. Limits "
            "(settings): import_max_file_mb 100, import_max_rows 5000000 a file, import_max_unpacked_mb "
            "1024 for a workbook or zip, import_max_ratio 100."
        ),
    )
    imp.add_argument("path", help="a folder, a .zip or an .xlsx file")
    imp.add_argument("--db", help="database URL (default: the embedded database)")
    imp.add_argument(
        "--dry-run", dest="dry_run", action="store_true", help="print what it would change; write nothing"
    )
    imp.add_argument(
        "--allow-duplicates",
        dest="allow_duplicates",
        action="store_true",
        help="import even rows that match stored records under other ids",
    )

    und = sub.add_parser("undo", help="undo the latest import")
    und.add_argument("--db")

    his = sub.add_parser("history", help="print the latest imports, target saves and undos")
    his.add_argument("--db")
    his.add_argument("--limit", type=int, default=50)

    ind = sub.add_parser("indicators", help="print every indicator for a unit and every unit below it")
    ind.add_argument("--year", type=int, required=True)
    ind.add_argument(
        "--as-of",
        dest="as_of",
        help="YYYY-MM-DD within the year (default: today in the running year, else 31 Dec)",
    )
    ind.add_argument("--basis", choices=["registered", "resident"], default="registered")
    ind.add_argument("--unit", help="unit code (default: the county)")
    ind.add_argument("--db")
    ind.add_argument("--format", choices=["csv", "json"], default="csv")

    demo = sub.add_parser("demo", help="build the demo county into a database (and optionally CSV files)")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--until", help="last day with events, YYYY-MM-DD (default: the bureau's today)")
    demo.add_argument("--villages", type=int, default=388)
    demo.add_argument("--communities", type=int, default=12)
    demo.add_argument("--townships", type=int, default=15)
    demo.add_argument("--years", type=int, default=5)
    demo.add_argument("--scale", type=float, default=1.0, help="multiplies population and events")
    demo.add_argument("--db")
    demo.add_argument("--csv", help="also write the interchange CSV files to this folder")

    rep = sub.add_parser("report", help="write the year-end assessment papers (考核_<year>.xlsx and .pdf)")
    rep.add_argument("--year", type=int, required=True)
    rep.add_argument(
        "--as-of",
        dest="as_of",
        help="YYYY-MM-DD within the year (default: today in the running year, else 31 Dec)",
    )
    rep.add_argument("--basis", choices=["registered", "resident"], default="registered")
    rep.add_argument("--rules", help="assessment rules file (default config/assessment.toml)")
    rep.add_argument("--db")
    rep.add_argument("--out", required=True, help="folder to write the two files to")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line usage error
        return int(exc.code or 0)
    # The file only: stdout is the command's output and stderr one line per failure.
    logs.setup(console=False)
    started = time.perf_counter()
    try:
        log.info("command %s, database %s", args.command, describe(args.db or database_url()))
        commands = {
            "import": _import,
            "undo": _undo,
            "history": _history,
            "indicators": _indicators,
            "demo": _demo,
            "report": _report,
        }
        code = commands[args.command](args)
        log.info("command %s done in %.1f s", args.command, time.perf_counter() - started)
        return code
    except CliError as exc:
        # The text may quote a record (a couple's id); the log says only that it failed.
        log.warning("command %s refused its input", args.command)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        ref = logs.reference()
        log.exception("command %s failed, reference %s", args.command, ref)
        print(f"error: {first_line(exc)} (reference {ref})", file=sys.stderr)
        return 1


def _import(args) -> int:
    from queries.ingest.errors import ImportFailed
    from queries.ingest.load import import_path, plan_import

    engine = open_engine(args.db, build_demo=False)
    try:
        if args.dry_run:
            plan = plan_import(engine, args.path, progress=_progress_on_terminal())
            _print_effect(plan.effect)
            for err in (d.error() for d in plan.suspects):
                print(f"would be refused: {err}", file=sys.stderr)
            return 0
        report = import_path(
            engine, args.path, progress=_progress_on_terminal(), allow_duplicates=args.allow_duplicates
        )
    except ImportFailed as exc:
        _fail(exc)
    print(report.summary())
    added, replaced = (int(report.effect[c].sum()) for c in ("added", "replaced"))
    print(f"added {added:,}, replaced {replaced:,}, unchanged {int(report.effect['unchanged'].sum()):,}")
    return 0


def _fail(exc) -> NoReturn:
    """The first error as it is, then every error grouped by file, column and reason: a
    screen at most, whatever the number of bad rows."""
    lines = [exc.one_line("en")]
    if len(exc.errors) > 1:
        lines += [f"  {line}" for line in exc.lines("en", limit=IMPORT_ERROR_LINES)]
    raise CliError("\n".join(lines)) from None


def _print_effect(effect) -> None:
    """The effect as a table on stdout: file, year, added, replaced, unchanged."""
    import pandas as pd

    print(f"{'file':<28} {'year':>4} {'added':>9} {'replaced':>9} {'unchanged':>9}")
    for r in effect.to_dict("records"):
        year = "" if pd.isna(r["year"]) else str(r["year"])
        print(f"{r['file']:<28} {year:>4} {r['added']:>9,} {r['replaced']:>9,} {r['unchanged']:>9,}")
    print(
        f"{'total':<28} {'':>4} {int(effect['added'].sum()):>9,} {int(effect['replaced'].sum()):>9,} "
        f"{int(effect['unchanged'].sum()):>9,}"
    )
    print("dry run: nothing was written")


def _undo(args) -> int:
    from queries.ingest.errors import ImportFailed
    from queries.ingest.undo import undo_latest

    engine = open_engine(args.db, build_demo=False)
    try:
        report = undo_latest(engine, progress=_progress_on_terminal())
    except ImportFailed as exc:
        _fail(exc)
    print(report.summary())
    return 0


def _history(args) -> int:
    from queries.ingest.history import history
    from queries.store.clock import zone

    engine = open_engine(args.db, build_demo=False)
    with engine.connect() as conn:
        rows = history(conn, args.limit)
    print(f"{'id':>4}  {'started':<16}  {'kind':<7} {'result':<8} {'added':>9} {'replaced':>9}  file")
    for r in rows.to_dict("records"):
        started = r["started_at"].tz_convert(zone()).strftime("%Y-%m-%d %H:%M")
        added, replaced = sum(r["rows_added"].values()), sum(r["rows_replaced"].values())
        what = ""
        if r["kind"] == "undo":
            what = f" (undid #{r['undo_of']})"
        elif r["result"] == "refused":
            what = f" ({r['error_code']})"
        print(
            f"{r['id']:>4}  {started:<16}  {r['kind']:<7} {r['result']:<8} {added:>9,} {replaced:>9,}  "
            f"{r['file_name']}{what}"
        )
    return 0


def _indicators(args) -> int:
    from queries.engine.indicators import UnknownUnit, compute, county_code
    from queries.engine.period import PeriodError, make_period

    try:
        period = make_period(args.year, args.as_of)
    except PeriodError as exc:
        raise CliError(str(exc)) from None
    engine = _open_announcing_demo(args.db)
    with engine.connect() as conn:
        try:
            root = args.unit or county_code(conn)
            table = compute(conn, root, period, args.basis)
        except UnknownUnit as exc:
            raise CliError(str(exc)) from None
    rows = [{c: _cell(c, row[c]) for c in CLI_COLUMNS} for row in table.to_dict("records")]
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=CLI_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return 0


def _progress_on_terminal():
    """Steps of long work on stderr, for a person at a terminal; scripts (stderr not a
    terminal) keep the promise of one line on failure and nothing else."""
    if not sys.stderr.isatty():
        return None

    def progress(done: int, total: int, step: str) -> None:
        print(f"[{done}/{total}] {step}…" if step else f"[{done}/{total}] done", file=sys.stderr)

    return progress


def _open_announcing_demo(url: str | None):
    """Open the database; say so on stderr when the embedded demo is about to be built."""
    from queries.store.db import DEFAULT_DB_PATH

    if (
        (url is None or url == default_url())
        and database_url() == default_url()
        and not DEFAULT_DB_PATH.exists()
    ):
        print(
            f"building the demo database at {DEFAULT_DB_PATH} (first run, about a minute)…", file=sys.stderr
        )
    return open_engine(url)


def _cell(column: str, value):
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    if column in ("numerator", "denominator", "target", "value") and isinstance(value, float):
        if value.is_integer():
            return int(value)
        return round(value, 6)
    return value


def _demo(args) -> int:
    from queries.demo.county import build_demo, create_demo, write_csv

    until = None
    if args.until:
        try:
            until = date.fromisoformat(args.until)
        except ValueError:
            raise CliError(f"--until {args.until!r} is not a YYYY-MM-DD date") from None
    kwargs = dict(
        seed=args.seed,
        until=until,
        villages=args.villages,
        communities=args.communities,
        townships=args.townships,
        years=args.years,
        scale=args.scale,
    )
    url = args.db or database_url()
    engine = open_engine(url, build_demo=False)
    if args.csv:
        from pathlib import Path

        frames = build_demo(**kwargs)
        write_csv(frames, Path(args.csv))
        print(f"wrote the demo files to {args.csv}")
    report = create_demo(engine, _progress_on_terminal(), **kwargs)
    print(f"demo county written to {describe(url)}: {report.summary()}")
    return 0


def _report(args) -> int:
    from dashboard.papers.make import default_boundaries, write_papers
    from queries.engine.indicators import UnknownUnit, county_code
    from queries.engine.period import PeriodError, make_period
    from queries.services.assessment import RulesError, load_rules
    from queries.services.catalogue import years

    try:
        make_period(args.year, args.as_of)
        rules = load_rules(args.rules)
    except (PeriodError, RulesError) as exc:
        raise CliError(str(exc)) from None
    engine = _open_announcing_demo(args.db)
    with engine.connect() as conn:
        try:
            root = county_code(conn)
        except UnknownUnit as exc:
            raise CliError(str(exc)) from None
        known = years(conn)
        if args.year not in known:
            raise CliError(
                f"the database has no data for {args.year}; years with data: {', '.join(map(str, known))}"
            )
        boundaries, why = default_boundaries(conn)
        paths = write_papers(conn, root, args.year, rules, args.out, args.basis, args.as_of, boundaries, why)
    for path in paths:
        print(path)
    return 0
