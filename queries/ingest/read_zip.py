"""A zipped folder of CSV files: the members an import reads, after checking the archive.

The CSV files are at the zip's top level or in one folder inside it (zipping a folder on
Windows or macOS gives the second). ``__MACOSX/`` and hidden files are ignored. Member names
written without the UTF-8 flag are decoded as UTF-8 if they are, else as GBK (Windows'
zip names a Chinese folder in GBK). Refused before anything is read: names that climb out of
the archive (``..``, absolute, drive letters), links, encrypted members, an archive inside
the archive, and sizes beyond the limits (``limits``). Members are read straight from the
archive, never unpacked to disk.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.limits import Limits
from queries.store.db import first_line

_ARCHIVES = (".zip", ".xlsx", ".xlsm", ".xls", ".7z", ".rar", ".gz", ".tar")
_ZIP_MAGIC = b"PK\x03\x04"


def open_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    limits.check_size(path.name, path.stat().st_size)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed(RowError.of(path.name, None, None, "not_a_zip", reason=first_line(exc))) from exc
    try:
        limits.check_archive(path.name, archive)
    except ImportFailed:
        archive.close()
        raise
    return archive


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its writer meant it."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")  # how zipfile decoded it
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def csv_members(path: Path, archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """The files of the import, by their name within the one folder (e.g. ``births.csv``)."""
    errors: list[RowError] = []
    files: dict[str, zipfile.ZipInfo] = {}
    folders: set[str] = set()
    for info in archive.infolist():
        name = member_name(info).replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
            errors.append(RowError.of(path.name, None, None, "zip_unsafe_name", member=name))
            continue
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            errors.append(RowError.of(path.name, None, None, "zip_link", member=name))
            continue
        if info.flag_bits & 0x1:
            errors.append(RowError.of(path.name, None, None, "zip_encrypted", member=name))
            continue
        if name.lower().endswith(_ARCHIVES) or _starts_like_zip(archive, info):
            errors.append(RowError.of(path.name, None, None, "zip_nested", member=name))
            continue
        try:
            limits.check_size(name, info.file_size)
        except ImportFailed as exc:
            errors.extend(exc.errors)
            continue
        folders.add("/".join(parts[:-1]))
        files[name] = info
    if len(folders) > 1:
        shown = ", ".join(sorted(f or "(top level)" for f in folders))
        errors.append(RowError.of(path.name, None, None, "zip_folders", folders=shown))
    if errors:
        raise ImportFailed(errors)
    return {PurePosixPath(name).name: info for name, info in files.items()}


def _starts_like_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.file_size < len(_ZIP_MAGIC):
        return False
    with archive.open(info) as fh:
        return fh.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC
