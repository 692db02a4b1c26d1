"""The demo county imported from a LibreOffice workbook, against the same county from CSV.

    python -m benchmarks.workbook_bench [--rounds 2] [--rebuild]

The demo county up to ``import_bench.BASE_UNTIL`` is written as CSV files and as one .xlsx
with a sheet per table, each cell typed as LibreOffice Calc types a CSV it opens (numbers,
ISO dates as date cells, the rest text), then rewritten by LibreOffice itself
(``soffice --headless --convert-to xlsx``) so the file is one LibreOffice wrote, as issue 12
tried. Both are cached in ``$TMPDIR/workbook_bench`` (``--rebuild`` writes them again).

Then, each in a child process of its own (its peak memory is ``ru_maxrss``), ``--rounds``
times in turn: the workbook read only by the reader before calamine (``_read_workbook`` of
commit 159e587, pandas ``read_excel`` with openpyxl, copied below), read only by
``read_source`` as it is, the whole import from the workbook into a fresh SQLite and the
whole import from the CSV folder into another (``import_bench``'s child, steps timed). The
two readers must give the same cells and the two imports the same derived tables: checked.
Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from benchmarks.import_bench import BASE_UNTIL, STEPS, _child_json, _import, _row

log = logging.getLogger("workbook_bench")

CACHE = Path(tempfile.gettempdir()) / "workbook_bench"
WORKBOOK = "demo.xlsx"
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# --------------------------------------------------------------------------- the reader before calamine


def _old_cell(v) -> str:
    """A workbook cell as the text Excel shows (``_cell`` of 159e587's queries/ingest/read.py)."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _old_read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """``_read_workbook`` of commit 159e587 (queries/ingest/read.py), its reading unchanged;
    its errors, which this benchmark never meets, raised as ``ValueError``."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=object, keep_default_na=False, engine="openpyxl")
    frames: dict[str, pd.DataFrame] = {}
    for sheet, frame in sheets.items():
        name = str(sheet).strip()
        frames[name.lower()] = pd.DataFrame(
            {str(c): frame[c].map(_old_cell).astype(str) for c in frame.columns}, index=frame.index
        )
    if not frames:
        raise ValueError(f"{path.name}: no sheet")
    return frames


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    """The cells read, as one hash: two readers giving the same text give the same digest."""
    h = hashlib.sha256()
    for name in sorted(frames):
        h.update(name.encode())
        h.update(frames[name].to_csv(index=False).encode())
    return h.hexdigest()[:16]


def _read_child(reader: str, path: str) -> None:
    """Read ``path`` with the old or the new reader; print seconds, peak memory and digest."""
    from queries.ingest.read import read_source

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    frames = _old_read_workbook(Path(path)) if reader == "old" else read_source(path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    rows = sum(len(f) for f in frames.values())
    print(
        json.dumps(
            {
                "total": seconds,
                "peak_mb": peak,
                "baseline_mb": baseline,
                "rows": rows,
                "digest": _digest(frames),
            }
        )
    )


# --------------------------------------------------------------------------- the files


def _typed(text: str):
    """A CSV cell as LibreOffice Calc types it with standard column types."""
    if text == "":
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _ISO_DAY.fullmatch(text):
        return date.fromisoformat(text)
    return text


def _build(folder: str) -> None:
    """Write the demo county's CSV files and its LibreOffice workbook into ``folder``."""
    from benchmarks.import_bench import SEED, SIZES
    from queries.demo.county import build_demo, write_csv

    out = Path(folder)
    csv = out / "csv"
    write_csv(build_demo(seed=SEED, until=BASE_UNTIL, **SIZES[1]), csv)
    first = out / "openpyxl" / WORKBOOK
    first.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with pd.ExcelWriter(first, engine="openpyxl", date_format="YYYY-MM-DD") as writer:
        for file in sorted(csv.glob("*.csv")):
            text = pd.read_csv(file, dtype=str, keep_default_na=False)
            typed = pd.DataFrame({c: text[c].map(_typed).astype(object) for c in text.columns})
            typed.to_excel(writer, sheet_name=file.stem, index=False)
    log.info("workbook written by openpyxl in %.0f s", time.perf_counter() - started)
    started = time.perf_counter()
    # a profile of its own: another LibreOffice running on the machine would take the call
    profile = (out / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx"]
        + ["--outdir", str(out), str(first)],
        check=True,
        capture_output=True,
    )
    log.info("rewritten by LibreOffice in %.0f s", time.perf_counter() - started)
    shutil.rmtree(first.parent)
    version = subprocess.run(["soffice", "--version"], capture_output=True, text=True, check=False).stdout
    (out / "libreoffice-version").write_text(version.strip())


# --------------------------------------------------------------------------- the run


def _read(reader: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.workbook_bench", "--read", reader, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"reading {path} with the {reader} reader failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--read", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--build", metavar="FOLDER", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=2, help="times each of the four runs, in turn")
    ap.add_argument("--rebuild", action="store_true", help="write the cached CSV files and workbook again")
    args = ap.parse_args()
    if args.read:
        _read_child(*args.read)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.build:
        _build(args.build)
        return 0
    workbook, csv = CACHE / WORKBOOK, CACHE / "csv"
    if args.rebuild or not workbook.exists():
        shutil.rmtree(CACHE, ignore_errors=True)
        CACHE.mkdir(parents=True)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.workbook_bench", "--build", str(CACHE)], check=False
        )
        if done.returncode:
            raise SystemExit("building the workbook failed")
    log.info(
        "workbook %s: %.1f MB; CSV folder %.1f MB",
        workbook,
        workbook.stat().st_size / 1e6,
        sum(f.stat().st_size for f in csv.iterdir()) / 1e6,
    )
    reads: list[str] = []
    imports: list[str] = []
    loads: list[str] = []
    digests: dict[str, set[str]] = {"old": set(), "new": set()}
    with tempfile.TemporaryDirectory() as tmp:
        made = 0
        last: dict[str, str] = {}
        for round_ in range(1, args.rounds + 1):
            for reader, label in (
                ("old", "before: openpyxl (159e587)"),
                ("new", "after: calamine + XML scan"),
            ):
                r = _read(reader, workbook)
                digests[reader].add(r["digest"])
                load = os.getloadavg()[0]  # the last minute's: about the run's own
                reads.append(
                    f"| {label} | {round_} | {r['total']:.1f} s | {r['peak_mb']:,.0f} MB ({r['baseline_mb']:.0f} MB) "
                    f"| {r['rows']:,} | {load:.1f} |"
                )
                log.info("%s", reads[-1])
            for source, path in (("workbook", workbook), ("CSV folder", csv)):
                made += 1
                url = f"sqlite:///{tmp}/db{made}.sqlite"
                r = _import("update", url, path)
                imports.append(_row(f"from the {source}, round {round_}", r))
                loads.append(f"{os.getloadavg()[0]:.1f}")
                log.info("%s", imports[-1])
                if source in last:
                    Path(last[source].removeprefix("sqlite:///")).unlink()
                last[source] = url
        same = _child_json("--compare", last["workbook"], last["CSV folder"])["same"]
    version = (CACHE / "libreoffice-version").read_text() if (CACHE / "libreoffice-version").exists() else "?"
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {version}; demo county up to {BASE_UNTIL}; "
        f"workbook {workbook.stat().st_size / 1e6:.1f} MB.\n"
    )
    print("| workbook read only | round | seconds | peak memory (at start) | rows | load after |")
    print("|---|---|---|---|---|---|")
    print("\n".join(reads))
    print(f"\n| import into a fresh SQLite | total | {' | '.join(STEPS)} | peak memory (at start) |")
    print(f"|---|---|{'---|' * len(STEPS)}---|")
    print("\n".join(imports))
    agree = len(digests["old"] | digests["new"]) == 1
    print(f"\n- load (1-minute average) after each import, in turn: {', '.join(loads)}")
    print(f"- both readers read the same cells: {'yes' if agree else 'NO'}")
    print(f"- derived tables from the workbook and from the CSV folder equal: {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
