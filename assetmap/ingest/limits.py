"""Limits that keep a hostile file from exhausting memory or disk: a zip's decompressed size and
compression ratio (checked from its directory before anything is decompressed), rows per file
and characters per cell (checked while streaming). Settings: ``ASSETMAP_IMPORT_MAX_UNZIPPED_BYTES``,
``ASSETMAP_IMPORT_MAX_ROWS``, ``ASSETMAP_IMPORT_MAX_CELL_CHARS``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from assetmap import settings as _settings
from assetmap.errors import ValidationError

#: A member this much bigger unpacked than packed (and over 10 MB) is a zip bomb, not a sheet:
#: real XLSX sheets and shapefiles compress 5-30 times.
MAX_RATIO = 200
_RATIO_FLOOR = 10 * 1024 * 1024


def _limit(name: str, default: int) -> int:
    return int(getattr(_settings.load(), name, default))


def check_archive(path: str | Path) -> None:
    """Refuse a zip (an XLSX is one) whose members would unpack past the size limit, or with
    a member compressed suspiciously well, before any of it is decompressed. Zip readers stop
    at the sizes the directory declares (and fail the CRC if the data disagrees), so the
    declared sizes bound what can be unpacked."""
    path = Path(path)
    limit = _limit("import_max_unzipped_bytes", 512 * 1024**2)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the reader says so in its own words
    total = 0
    for info in members:
        total += info.file_size
        if total > limit:
            raise ValidationError(
                f"The file {path.name} would unpack to more than {limit // 1024**2:,} MB "
                f"(ASSETMAP_IMPORT_MAX_UNZIPPED_BYTES); it was not read.")
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                1, info.compress_size):
            raise ValidationError(
                f"The file {path.name} holds {info.filename[:60]!r}, which unpacks "
                f"{info.file_size // max(1, info.compress_size):,} times larger than it is "
                "stored (a zip bomb?); it was not read.")


def bounded_rows(rows: Iterator[tuple[int, list[str]]], path: str | Path
                 ) -> Iterator[tuple[int, list[str]]]:
    """The same rows, stopping with one sentence at the first row past the row limit or the
    first cell longer than the cell limit."""
    name = Path(path).name
    max_rows = _limit("import_max_rows", 5_000_000)
    max_chars = _limit("import_max_cell_chars", 32_767)
    for count, (line, cells) in enumerate(rows, start=1):
        if count > max_rows:
            raise ValidationError(f"The file {name} has more than {max_rows:,} rows "
                                  "(ASSETMAP_IMPORT_MAX_ROWS); split it and import the parts.")
        if cells and max(map(len, cells)) > max_chars:  # one C-level pass over the row
            raise ValidationError(
                f"The file {name}, line {line}: a cell is longer than {max_chars:,} "
                "characters (ASSETMAP_IMPORT_MAX_CELL_CHARS); it was not imported.")
        yield line, cells
