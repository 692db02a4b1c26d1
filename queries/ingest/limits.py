"""How large an import may be, checked before a file is read: a hostile or mistaken upload
is refused in well under a second, before it takes memory or minutes.

Settings (``queries.store.config.setting``: ``POPDASH_<NAME>`` or ``.streamlit/secrets.toml``):

* ``import_max_file_mb`` (100): one file: a CSV, a workbook, a zip, or a CSV inside a zip.
* ``import_max_rows`` (5,000,000): rows of one file or sheet (a CSV's line count is checked
  before reading; a workbook's declared sheet size before loading it).
* ``import_max_unpacked_mb`` (1024): what a workbook or zip holds once unpacked, all its
  members together, from the sizes its central directory declares (reading never goes past
  a declared size: Python's zipfile stops there).
* ``import_max_ratio`` (100): how many times a member larger than 1 MB may have been
  compressed; the demo's LibreOffice workbook is 13×, a zip bomb a thousand.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from queries.ingest.errors import ImportFailed, RowError
from queries.store.config import SettingsError, setting

MB = 1024 * 1024
# Members smaller than this are not held to the ratio: a tiny file of repeated cells
# compresses a thousandfold and costs nothing.
RATIO_FROM = MB


@dataclass(frozen=True)
class Limits:
    file_mb: float = 100
    rows: int = 5_000_000
    unpacked_mb: float = 1024
    ratio: float = 100

    @classmethod
    def from_settings(cls) -> Limits:
        d = cls()
        return cls(
            file_mb=_number("import_max_file_mb", d.file_mb),
            rows=int(_number("import_max_rows", d.rows)),
            unpacked_mb=_number("import_max_unpacked_mb", d.unpacked_mb),
            ratio=_number("import_max_ratio", d.ratio),
        )

    def check_size(self, label: str, size: int) -> None:
        """A file of ``size`` bytes, refused if above ``file_mb``."""
        if size > self.file_mb * MB:
            raise ImportFailed(
                RowError.of(label, None, None, "file_too_large", size=_mb(size), limit=_mb(self.file_mb * MB))
            )

    def check_rows(self, label: str, rows: int) -> None:
        """A file of ``rows`` data rows (the header not counted), refused if above ``rows``."""
        if rows > self.rows:
            raise ImportFailed(RowError.of(label, None, None, "too_many_rows", rows=rows, limit=self.rows))

    def check_archive(self, label: str, archive: zipfile.ZipFile) -> None:
        """A workbook or zip by its central directory: what it unpacks to, and how compressed."""
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > self.unpacked_mb * MB:
            raise ImportFailed(
                RowError.of(
                    label,
                    None,
                    None,
                    "unpacks_too_large",
                    size=_mb(unpacked),
                    limit=_mb(self.unpacked_mb * MB),
                )
            )
        for m in members:
            if m.file_size >= RATIO_FROM and m.file_size > self.ratio * max(m.compress_size, 1):
                raise ImportFailed(
                    RowError.of(
                        label,
                        None,
                        None,
                        "compressed_too_much",
                        member=m.filename,
                        ratio=round(m.file_size / max(m.compress_size, 1)),
                        limit=f"{self.ratio:g}",
                    )
                )


def _mb(size: float) -> str:
    if size >= 10 * MB:
        return f"{size / MB:,.0f} MB"
    if size >= MB:
        return f"{size / MB:,.1f} MB"
    if size >= 10 * 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size:,.0f} bytes"


def _number(name: str, default: float) -> float:
    raw = setting(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"setting {name} must be a number, not {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"setting {name} must be above 0, not {raw!r}")
    return value
