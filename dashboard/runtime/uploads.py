"""Uploaded files kept on disk while an import is planned and confirmed.

Streamlit holds an upload in memory; the importer reads a path, so the upload is written to
a folder of its own under the upload folder (setting ``upload_dir``, default the system's
temporary folder) under a fixed name (``upload.zip`` / ``upload.xlsx``): the user's file name
never becomes a path, it is only shown and recorded. A folder is removed once its import is
committed or dropped; folders left behind by a stopped server are swept after a day.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from queries.store.config import setting

log = logging.getLogger(__name__)

KINDS = (".zip", ".xlsx")
_STALE_SECONDS = 24 * 3600


def root() -> Path:
    base = Path(setting("upload_dir") or Path(tempfile.gettempdir()) / "popdash-uploads")
    base.mkdir(parents=True, exist_ok=True)
    return base


def kind(name: str) -> str | None:
    """The upload's kind by its name's ending (``.zip``, ``.xlsx``), None if neither."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix in KINDS else None


def stash(name: str, data: bytes) -> Path:
    """Write an upload to a fresh folder; the path to give the importer."""
    suffix = kind(name)
    if suffix is None:
        raise ValueError(f"not an upload kind: {Path(name).suffix!r}")
    sweep()
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root()))
    path = folder / f"upload{suffix}"
    path.write_bytes(data)
    log.info("upload kept in %s (%d bytes)", folder.name, len(data))
    return path


def discard(path: Path | str | None) -> None:
    """Remove an upload's folder (only folders this module made)."""
    if path is None:
        return
    folder = Path(path).parent
    if folder.parent == root() and folder.name.startswith("upload-"):
        shutil.rmtree(folder, ignore_errors=True)


def sweep() -> None:
    """Remove upload folders older than a day (a server stopped before they were dropped)."""
    cutoff = time.time() - _STALE_SECONDS
    for folder in root().glob("upload-*"):
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
