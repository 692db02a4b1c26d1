"""Prove a change moved no number: build the demo county, print every indicator and write the
year-end papers with an earlier commit and with this checkout, and compare them byte for byte.

    python scripts/compare_outputs.py [REF]        (default REF: HEAD, i.e. the last commit)

Each side runs its own command line (``python -m dashboard demo|indicators|report``) in its
own checkout, so the demo generator, the importer, the engine and the papers are all under
test. Compared: ``indicators`` for every year of the demo county, both bases, CSV and JSON,
the running year also as of a fixed day; ``考核_<year>.pdf`` byte for byte; ``考核_<year>.xlsx``
member by member, byte for byte, except the workbook's creation time in docProps/core.xml,
which xlsxwriter sets to the moment of writing. Exits 1 and names every file that differs.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

log = logging.getLogger("compare_outputs")

REPO = Path(__file__).resolve().parent.parent
# A small county, so both sides take a minute: 4 townships, 60 villages, five years.
DEMO = ["--seed", "7", "--until", "2026-11-15", "--villages", "56", "--communities", "4", "--townships", "4"]
YEARS = [2022, 2023, 2024, 2025, 2026]
RUNNING_AS_OF = "2026-11-15"
PAPER_YEARS = [(2025, None), (2026, RUNNING_AS_OF)]
_CREATED = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def _cli(checkout: Path, *args: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=checkout, capture_output=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{checkout}: python -m dashboard {' '.join(args)} failed: {done.stderr.decode()}")
    return done.stdout


def write_outputs(checkout: Path, out: Path) -> None:
    """Everything a user reads off the command line, from one checkout, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{out / 'demo.sqlite'}"
    _cli(checkout, "demo", *DEMO, "--db", db)
    for year in YEARS:
        for basis in ("registered", "resident"):
            for fmt in ("csv", "json"):
                args = ["indicators", "--year", str(year), "--basis", basis, "--format", fmt, "--db", db]
                (out / f"indicators_{year}_{basis}.{fmt}").write_bytes(_cli(checkout, *args))
                if year == YEARS[-1]:
                    fixed = _cli(checkout, *args, "--as-of", RUNNING_AS_OF)
                    (out / f"indicators_{year}_{basis}_{RUNNING_AS_OF}.{fmt}").write_bytes(fixed)
    for year, as_of in PAPER_YEARS:
        extra = ["--as-of", as_of] if as_of else []
        _cli(checkout, "report", "--year", str(year), *extra, "--db", db, "--out", str(out / "papers"))


def _xlsx_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = _CREATED.sub(b"", members["docProps/core.xml"])
    return members


def differences(before: Path, after: Path) -> list[str]:
    """Names of the outputs that are not the same on both sides."""
    names = sorted(
        {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
        | {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    )
    differ = []
    for name in names:
        if name.suffix == ".sqlite":
            continue  # the numbers read from it are compared; SQLite pages carry free-list noise
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            differ.append(f"{name}: only on the {'after' if b.exists() else 'before'} side")
        elif name.suffix == ".xlsx":
            if _xlsx_members(a) != _xlsx_members(b):
                differ.append(str(name))
        elif a.read_bytes() != b.read_bytes():
            differ.append(str(name))
    return differ


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", nargs="?", default="HEAD", help="the commit to compare against")
    parser.add_argument("--keep", help="write both sides' outputs under this folder and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        old = Path(tmp) / "checkout"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), args.ref], cwd=REPO, check=True)
        try:
            log.info("before: %s", args.ref)
            write_outputs(old, root / "before")
            log.info("after: this checkout")
            write_outputs(REPO, root / "after")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=REPO, check=False)
        differ = differences(root / "before", root / "after")
        compared = sum(1 for p in (root / "after").rglob("*") if p.is_file() and p.suffix != ".sqlite")
    for name in differ:
        log.error("differs: %s", name)
    log.info("%d outputs compared, %d differ", compared, len(differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
