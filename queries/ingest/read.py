"""Reading an import: a folder of ``<table>.csv`` files, a .zip of them, or one ``.xlsx``
workbook, as raw text. ``read_source`` gives one all-string frame per table; checking them
is ``validate``'s job.

Decisions where interchange.md is silent:

* In a folder or zip, hidden files (``.name``) are ignored; any other file that is not one
  of the nine ``<table>.csv`` files is an error. Names are matched ignoring case.
* CSV text is UTF-8 (with or without BOM) or GB18030 (a superset of GBK); another encoding
  is refused, named (``read_csv``). A zip's layout and safety: ``read_zip``.
* Workbook cells are read as what they show (``read_workbook``). A hidden or empty sheet
  not named after a table (Excel's empty ``Sheet1``, a sheet WPS keeps) is ignored.
* Sizes are checked before reading (``limits``).

The readers, one a kind of source: ``read_csv``, ``read_zip``, ``read_workbook``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import IO

import pandas as pd

from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.limits import Limits
from queries.ingest.read_csv import Opener, read_csv
from queries.ingest.read_workbook import read_workbook
from queries.ingest.read_zip import csv_members, open_zip
from queries.ingest.spec import TABLE_NAMES, default_label

# progress(done, total, step): ``done`` of ``total`` files read, ``step`` the one starting.
ReadProgress = Callable[[int, int, str], None]

_KNOWN_TABLES = ", ".join(TABLE_NAMES)


def read_source(
    path: str | Path, progress: ReadProgress | None = None, limits: Limits | None = None
) -> dict[str, pd.DataFrame]:
    """Read a folder of CSV files, a .zip of them or an .xlsx workbook into raw all-string
    frames keyed by table.

    Row ``i`` (from 0) of a frame is spreadsheet row ``i + 2``; blank rows are kept (the
    import skips them) so that the numbers stay right. Raises ``ImportFailed`` for a path
    that cannot be read, an unknown file or sheet, a file too large (``limits``, default:
    the settings), text that is not UTF-8 or GB18030, or a cell that cannot be read as text.
    ``progress(done, total, step)`` hears of each file (sheet) as its reading starts.
    """
    limits = limits or Limits.from_settings()
    p = Path(path)
    if not p.exists():
        raise ImportFailed(RowError.of(str(p), None, None, "does_not_exist"))
    if p.is_dir():
        files: dict[str, tuple[Opener, int] | None] = {}
        for entry in sorted(p.iterdir()):
            if not entry.name.startswith("."):
                files[entry.name] = (_opener(entry), entry.stat().st_size) if entry.is_file() else None
        return _read_files(str(p), files, progress, limits)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return read_workbook(p, limits, progress)
    if suffix == ".zip":
        with open_zip(p, limits) as archive:
            members = csv_members(p, archive, limits)
            return _read_files(
                p.name,
                {name: (_member_opener(archive, info), info.file_size) for name, info in members.items()},
                progress,
                limits,
            )
    raise ImportFailed(RowError.of(str(p), None, None, "not_an_import"))


def _opener(path: Path) -> Opener:
    def open_file() -> IO[bytes]:
        return open(path, "rb")

    return open_file


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Opener:
    def open_member() -> IO[bytes]:
        return archive.open(info)

    return open_member


def _read_files(
    where: str, files: dict[str, tuple[Opener, int] | None], progress: ReadProgress | None, limits: Limits
) -> dict[str, pd.DataFrame]:
    """The CSV files of a folder or zip: by name, how to open each and its size (None: a folder)."""
    frames: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    found: dict[str, str] = {}
    chosen: list[tuple[str, str, Opener, int]] = []
    for name, entry in files.items():
        pure = PurePath(name)
        stem, suffix = pure.stem.lower(), pure.suffix.lower()
        if entry is None or suffix != ".csv" or stem not in TABLE_NAMES:
            errors.append(RowError.of(name, None, None, "unknown_import_file", tables=_KNOWN_TABLES))
            continue
        if stem in found:
            errors.append(RowError.of(name, None, None, "second_file", table=stem, other=found[stem]))
            continue
        found[stem] = name
        chosen.append((stem, name, *entry))
    if not found and not errors:
        errors.append(RowError.of(where, None, None, "no_csv_files", tables=_KNOWN_TABLES))
    for done, (stem, name, open_file, size) in enumerate(chosen):
        if progress is not None:
            progress(done, len(chosen), f"read {name}")
        label = default_label(stem)
        try:
            limits.check_size(label, size)
            frames[stem] = read_csv(open_file, label, limits)
        except ImportFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ImportFailed(errors)
    if progress is not None:
        progress(len(chosen), len(chosen), "read")
    return frames
