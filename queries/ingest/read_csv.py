"""One CSV file, from a folder or a zip, as an all-string frame: its encoding found, its
header checked, its cells read by pandas' C parser straight from the file.

Encodings: UTF-8 (with or without its byte-order mark) and GB18030, a superset of GBK and
GB2312, as Chinese Excel saves "CSV". Anything else is refused naming what it is: GB18030
decodes most byte sequences, so a Big5 or Shift-JIS file would otherwise import as garbled
names. ``charset-normalizer`` names the encoding; a file is refused as another encoding
only when GB18030 is not among its plausible readings as well, so that a short file of
Chinese names (where every East Asian encoding fits) always reads as GBK.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from typing import IO

import charset_normalizer
import pandas as pd

from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.limits import Limits

Opener = Callable[[], IO[bytes]]

CHUNK = 4 * 1024 * 1024
SAMPLE = 32 * 1024  # lines holding non-ASCII bytes, for the encoding's name
GB_FAMILY = {"gb18030", "gbk", "gb2312", "cp936", "hz"}
# The readings charset-normalizer may come up with, as a clerk knows them.
ENCODING_NAMES = {
    "big5": "Big5 (traditional Chinese)",
    "big5hkscs": "Big5-HKSCS (traditional Chinese)",
    "cp950": "Big5 (traditional Chinese)",
    "shift_jis": "Shift-JIS (Japanese)",
    "shift_jis_2004": "Shift-JIS (Japanese)",
    "cp932": "Shift-JIS (Japanese)",
    "euc_jp": "EUC-JP (Japanese)",
    "euc_jis_2004": "EUC-JP (Japanese)",
    "iso2022_jp": "ISO-2022-JP (Japanese)",
    "euc_kr": "EUC-KR (Korean)",
    "cp949": "EUC-KR (Korean)",
    "johab": "Johab (Korean)",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "utf_32": "UTF-32",
    "utf_32_le": "UTF-32",
    "utf_32_be": "UTF-32",
    "cp1252": "Windows-1252 (Western European)",
    "latin_1": "Latin-1 (Western European)",
}
BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def read_csv(open_file: Opener, label: str, limits: Limits) -> pd.DataFrame:
    """The file ``open_file`` opens (twice: once to find the encoding) as all-string columns.

    Row ``i`` of the frame is line ``i + 2`` of the file; blank lines are kept.
    """
    try:
        encoding = _encoding(open_file, label, limits)
        header = _header(open_file, encoding)
    except OSError as exc:
        raise ImportFailed(
            RowError.of(label, None, None, "unreadable", reason=exc.strerror or str(exc))
        ) from exc
    if header is None:
        raise ImportFailed(RowError.of(label, None, None, "empty_csv"))
    names = check_header(label, header)
    try:
        with open_file() as fh:
            frame = pd.read_csv(
                fh,
                encoding=encoding,
                header=0,
                names=list(range(len(header))),
                dtype=str,  # pandas' str: Arrow-backed, a third of object strings' memory
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
    except pd.errors.ParserError as exc:
        # pandas puts the useful part, "Expected 5 fields in line 7, saw 6", last
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot be parsed"
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if m:
            raise ImportFailed(
                RowError.of(label, int(m.group(2)), None, "ragged_row", cells=m.group(3), header=m.group(1))
            ) from exc
        m = re.search(r"EOF inside string starting at row (\d+)", message)
        if m:  # pandas counts lines from 0
            raise ImportFailed(RowError.of(label, int(m.group(1)) + 1, None, "unclosed_quote")) from exc
        raise ImportFailed(RowError.of(label, None, None, "not_csv", reason=message)) from exc
    limits.check_rows(label, len(frame))
    return keep_named(label, frame.fillna(""), names)


def check_header(label: str, header: list[str]) -> list[str]:
    """The header's names, stripped; a name given to two columns is refused, with their letters."""
    names = [h.strip() for h in header]
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        if n:
            seen.setdefault(n, []).append(i)
    errors = [
        RowError.of(
            label,
            None,
            None,
            "duplicate_column",
            name=n,
            times="twice" if len(at) == 2 else f"{len(at)} times",
            n=len(at),
            letters=", ".join(letter(i) for i in at[:-1]) + " and " + letter(at[-1]),
            letters_zh="、".join(letter(i) for i in at),
        )
        for n, at in seen.items()
        if len(at) > 1
    ]
    if errors:
        raise ImportFailed(errors)
    return names


def keep_named(label: str, frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``frame`` (columns by position) under ``names``; a column without a name must be empty.

    A spreadsheet leaves empty columns behind after the last header (``a,b,,``): they are
    dropped. A value under no header is refused: it belongs to no column, and dropping it
    would lose it silently.
    """
    errors: list[RowError] = []
    keep: dict[str, pd.Series] = {}
    for i, name in enumerate(names):
        s = frame[frame.columns[i]]
        if name:
            keep[name] = s
            continue
        filled = (s.str.strip() != "").to_numpy()
        for row in filled.nonzero()[0]:
            errors.append(RowError.of(label, int(row) + 2, None, "no_header", letter=letter(i)))
    if errors:
        raise ImportFailed(errors)
    return pd.DataFrame(keep, index=frame.index)


def letter(i: int) -> str:
    """Column ``i`` (from 0) as a spreadsheet names it: A, B, …, Z, AA, …"""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _header(open_file: Opener, encoding: str) -> list[str] | None:
    with open_file() as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")
        for record in csv.reader(text):
            if any(cell.strip() for cell in record):
                return record
            return None  # a blank first line: no header
    return None


def _encoding(open_file: Opener, label: str, limits: Limits) -> str:
    """The codec pandas reads the file with: ``utf-8-sig`` or ``gb18030``; else refused.

    One streaming pass checks every byte as UTF-8 and counts lines (the row limit); a file
    that is not UTF-8 gets a second pass as GB18030.
    """
    lines = 0
    sample = bytearray()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_error: int | None = None
    first = b""
    offset = 0
    with open_file() as fh:
        while chunk := fh.read(CHUNK):
            if not first:
                first = chunk[:65536]
                for bom, name in BOMS:
                    if first.startswith(bom):
                        raise ImportFailed(RowError.of(label, None, None, "encoding_refused", encoding=name))
            lines += chunk.count(b"\n")
            if len(sample) < SAMPLE and not chunk.isascii():
                sample += b"\n".join(line for line in chunk.split(b"\n") if not line.isascii())[:SAMPLE]
            if utf8_error is None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_error = offset + exc.start
            offset += len(chunk)
            if lines - 1 > limits.rows:  # lines less the header; the exact count after reading
                limits.check_rows(label, lines - 1)
    if utf8_error is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = offset
    if not first.strip():
        raise ImportFailed(RowError.of(label, None, None, "empty_csv"))
    if _looks_utf16(first[:4096]):
        raise ImportFailed(RowError.of(label, None, None, "encoding_refused", encoding=_name(first)))
    if utf8_error is None:
        return "utf-8-sig"
    gb_error = _first_error(open_file, "gb18030", skip=3 if first.startswith(codecs.BOM_UTF8) else 0)
    if first.startswith(codecs.BOM_UTF8):
        if gb_error is None:
            raise ImportFailed(RowError.of(label, None, None, "bom_on_gbk"))
        raise ImportFailed(RowError.of(label, _line_of(open_file, utf8_error), None, "not_utf8_nor_gb"))
    if gb_error is not None:
        guess = _guess(bytes(sample))
        if guess and guess not in GB_FAMILY and guess != "utf_8":
            raise ImportFailed(
                RowError.of(label, None, None, "encoding_refused", encoding=_name(bytes(sample)))
            )
        # the encoding that reads further is the file's: where it stops is the bad byte
        raise ImportFailed(
            RowError.of(label, _line_of(open_file, max(gb_error, utf8_error)), None, "not_utf8_nor_gb")
        )
    if not _gb_plausible(bytes(sample)):
        raise ImportFailed(RowError.of(label, None, None, "encoding_refused", encoding=_name(bytes(sample))))
    return "gb18030"


def _first_error(open_file: Opener, encoding: str, skip: int = 0) -> int | None:
    """Where the file stops being ``encoding`` (a byte offset), None if it never does."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open_file() as fh:
        fh.read(skip)
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return skip + offset + exc.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return skip + offset
    return None


def _line_of(open_file: Opener, offset: int) -> int:
    """The line (from 1) holding byte ``offset``."""
    lines = 1
    with open_file() as fh:
        while offset > 0 and (chunk := fh.read(min(CHUNK, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 or -32 without a byte-order mark: text with a zero byte for every other one."""
    return len(head) >= 4 and head.count(0) >= len(head) // 4


def _guess(sample: bytes) -> str | None:
    """charset-normalizer's best reading; UTF-16 or -32 only if there are zero bytes (a CSV in
    them has commas and digits, each half zero), which tiny samples otherwise get."""
    for result in charset_normalizer.from_bytes(sample) if sample else ():
        if b"\x00" in sample or not result.encoding.startswith("utf_"):
            return str(result.encoding)
    return None


def _gb_plausible(sample: bytes) -> bool:
    """GB18030 is among the readings of ``sample`` as plausible as the best one."""
    if not sample:
        return True
    results = list(charset_normalizer.from_bytes(sample))
    if not results:
        return True
    best = min(r.chaos for r in results)
    return any(r.encoding in GB_FAMILY and r.chaos <= best + 0.02 for r in results)


def _name(sample: bytes) -> str:
    guess = _guess(sample)
    if guess is None:
        return "an unknown encoding"
    return ENCODING_NAMES.get(guess, guess.upper().replace("_", "-"))
