"""Offline geocoding from a postcode lookup file, kept in the store for later imports.

A lookup gives each postcode a centroid, and where the file has them its LSOA and ward and
whether it is terminated. Files come as councils have them: ONS ONSPD/NSPL extracts with a header
(``pcds, lat, long`` or ``oseast1m, osnrth1m``), or OS Code-Point Open with no header row
(postcode, positional quality, easting, northing in British National Grid). A header-less file is
recognised by its first row, or its columns are named (``columns=["postcode", "quality",
"easting", "northing"]``); projected coordinates are reprojected to WGS84 (British National Grid,
EPSG:27700, unless ``crs`` says otherwise).

:func:`import_postcodes` keeps the lookup in the store (so later spreadsheet imports place people
by postcode without being given the file again: :func:`stored_lookup`), then places the store's
records that carry a ``postcode`` prop; where the lookup gives no LSOA, a record is put in the
smallest saved area boundary that holds its point (a spatial join). A postcode given twice with
different places is reported and left out, never settled by whichever row came last.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assetmap import vocab
from assetmap.batching import batched
from assetmap.errors import ValidationError
from assetmap.geo import normalise_postcode
from assetmap.graph.store import GraphStore, PostcodeRecord, public_url
from assetmap.ingest.report import ImportReport, check_file, detect_encoding, write_nodes
from assetmap.model import Node

__all__ = ["BNG", "PostcodeEntry", "PostcodeImport", "PostcodeLookup", "StoredPostcodeLookup",
           "as_lookup", "import_postcodes", "normalise_postcode", "place_points", "stored_lookup"]

#: British National Grid: the CRS of ONS ``oseast1m``/``osnrth1m`` and OS Code-Point Open.
BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Column name -> the header spellings recognised for it (ONS names first).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": ("pcds", "pcd", "pcd2", "pcd7", "pcd8", "postcode", "post_code", "postcodes"),
    "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "lng", "longitude"),
    "easting": ("oseast1m", "easting", "eastings", "east", "x"),
    "northing": ("osnrth1m", "northing", "northings", "north", "y"),
    "lsoa": ("lsoa21cd", "lsoa21", "lsoa_code", "lsoa21_code", "lsoa11cd", "lsoa11", "lsoa"),
    "ward": ("wd23cd", "wd24cd", "wd22cd", "wd13cd", "osward", "ward_code", "ward",
             "admin_ward_code"),
    "terminated": ("doterm", "terminated", "date_of_termination", "date_terminated",
                   "termination_date"),
    "quality": ("quality", "positional_quality_indicator", "pqi"),  # read, never used
}
_ALIAS = {alias: name for name, aliases in _COLUMNS.items() for alias in aliases}
#: Names ``--columns`` accepts for a column to skip.
_SKIP = {"", "-", "_", "skip"}
#: OS Code-Point Open's columns (the first four; the full product has ten, the last a ward code).
CODEPOINT_COLUMNS = ("postcode", "quality", "easting", "northing")
_CODEPOINT_WARD_INDEX = 9

#: WGS84 box around the UK and the Crown Dependencies (for "does this look right" checks).
_UK_LAT = (49.0, 61.5)
_UK_LON = (-9.0, 2.5)
#: British National Grid's extent in metres.
_BNG_E = (0.0, 700_000.0)
_BNG_N = (0.0, 1_300_000.0)


@dataclass(frozen=True, slots=True)
class PostcodeEntry:
    """One postcode's centroid (WGS84), LSOA and ward codes, and whether it is terminated."""

    lat: float | None
    lon: float | None
    lsoa: str | None
    ward: str | None
    terminated: bool


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _float(text: str | None) -> float | None:
    """A number from a cell; None for an empty cell; ValueError for text that is not one."""
    if text is None or not text.strip():
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class PostcodeLookup:
    """Postcode -> :class:`PostcodeEntry`, read once from a lookup file (or the store)."""

    def __init__(self, entries: dict[str, PostcodeEntry], source: str = ""):
        self.entries = entries
        self.source = source
        #: kind -> [records that asked the lookup, records it gave a location or area]
        self.usage: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_csv(cls, path: str | Path, limit_bytes: int | None = None, *,
                 columns: Sequence[str] | str | None = None, crs: str | None = None,
                 report: ImportReport | None = None) -> PostcodeLookup:
        """Read a lookup file (CSV, or CSV.gz read as it is).

        Columns are recognised by their ONS names (pcds, lat, long, oseast1m, osnrth1m, lsoa21cd,
        osward, doterm, ...) or plain ones (postcode, lat, lon, easting, northing); a file with
        no header row is OS Code-Point Open's layout, or ``columns`` names its columns in order.
        Easting/northing are British National Grid unless ``crs`` names another CRS. Rows that
        cannot be read, and postcodes given twice with different places, go to ``report``.
        """
        path = check_file(path, limit_bytes)
        report = report if report is not None else ImportReport("postcodes", str(path))
        wanted = _parse_columns(columns) if columns is not None else None
        with _open_text(path) as fh:
            rows = csv.reader(fh)
            try:
                first = next(rows)
            except StopIteration:
                raise ValidationError(f"The postcode lookup {path.name} is empty.") from None
            col, header = _layout(path.name, first, wanted)
            raw = _read_rows(path.name, rows if header else _chain([first], rows), col,
                             report, start_line=2 if header else 1)
        entries = _to_wgs84(path.name, raw, col, crs, report)
        return cls(entries, str(path))

    def _entry(self, postcode: str) -> PostcodeEntry | None:
        return self.entries.get(postcode)

    def get(self, postcode: str | None) -> PostcodeEntry | None:
        """The entry for a postcode in any spelling, or None."""
        pc = normalise_postcode(postcode)
        return None if pc is None else self._entry(pc)

    def check(self, postcode: str | None, kind: str | None = None
              ) -> tuple[PostcodeEntry | None, str | None]:
        """(entry, None) for a live postcode with a location; else (entry or None, reason).

        Each call is counted in :attr:`usage` under ``kind`` (asked, and found with a place).
        """
        counts = self.usage.setdefault(kind or "", [0, 0])
        counts[0] += 1
        pc = normalise_postcode(postcode)
        if pc is None:
            return None, "the postcode is not in a valid UK postcode format"
        entry = self._entry(pc)
        if entry is None:
            return None, "the postcode is not in the postcode lookup (it may not exist)"
        if entry.lat is None:
            return entry, "the postcode has no location in the lookup"
        counts[1] += 1
        if entry.terminated:
            return entry, "the postcode is terminated (no longer in use); its old centroid " \
                          "was used"
        return entry, None

    def records(self) -> Iterator[PostcodeRecord]:
        """Every entry as a store record (postcode, lat, lon, lsoa, ward, terminated)."""
        for pc in sorted(self.entries):
            e = self.entries[pc]
            yield (pc, e.lat, e.lon, e.lsoa, e.ward, e.terminated)

    def save(self, store: GraphStore, batch_size: int | None = None) -> int:
        """Keep this lookup in the store (replacing entries for the same postcodes), in batches
        inside one transaction; returns how many postcodes were written."""
        written = 0
        with store.transaction():
            for batch in batched(self.records(), batch_size):
                written += store.upsert_postcodes(batch)
        return written


class StoredPostcodeLookup(PostcodeLookup):
    """The lookup a store keeps, read one postcode district (outward code) at a time, as
    records ask for it, so a national lookup is never loaded whole."""

    def __init__(self, store: GraphStore):
        super().__init__({}, f"the postcode lookup kept in {public_url(store.url)}")
        self.store = store
        self._size = store.count_postcodes()
        self._districts: set[str] = set()

    def __len__(self) -> int:
        return self._size

    def _entry(self, postcode: str) -> PostcodeEntry | None:
        outward = postcode.split(" ", 1)[0]
        if outward not in self._districts:
            self._districts.add(outward)
            for pc, lat, lon, lsoa, ward, terminated in self.store.postcodes(outward):
                self.entries[pc] = PostcodeEntry(lat, lon, lsoa, ward, bool(terminated))
        return self.entries.get(postcode)


def stored_lookup(store: GraphStore) -> StoredPostcodeLookup | None:
    """The postcode lookup the store keeps (from an earlier ``import postcodes``), or None."""
    lookup = StoredPostcodeLookup(store)
    return lookup if len(lookup) else None


# --- reading files --------------------------------------------------------------------------------

def _chain(first: list[list[str]], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from first
    yield from rest


def _open_text(path: Path) -> IO[str]:
    """The file as text: a ``.gz`` is decompressed as it is read; the encoding is detected."""
    if path.suffix.lower() != ".gz":
        return path.open(newline="", encoding=detect_encoding(path))
    encoding = "utf-8-sig"
    with gzip.open(path, "rb") as raw:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1252"
        except (OSError, EOFError):
            raise ValidationError(f"The file {path.name} is not a readable gzip file.") from None
    return io.TextIOWrapper(gzip.open(path, "rb"), encoding=encoding, newline="")


def _parse_columns(columns: Sequence[str] | str) -> list[str | None]:
    """``--columns postcode,quality,easting,northing`` as canonical names (None: skip)."""
    names = columns.split(",") if isinstance(columns, str) else list(columns)
    out: list[str | None] = []
    for name in names:
        key = _key(name)
        if key in _SKIP:
            out.append(None)
        elif key in _ALIAS:
            out.append(_ALIAS[key])
        else:
            known = ", ".join(n for n in _COLUMNS)
            raise ValidationError(f"--columns names {name.strip()!r}, which is not a postcode "
                                  f"lookup column (use {known}, or - to skip one).")
    if "postcode" not in out:
        raise ValidationError("--columns must name the postcode column.")
    return out


def _looks_like_data(cells: list[str]) -> bool:
    """True when a first row is a record, not a header: a cell is a postcode, none a header."""
    if any(_key(c) in _ALIAS for c in cells):
        return False
    return any(normalise_postcode(c) is not None for c in cells)


def _is_codepoint(cells: list[str]) -> bool:
    """A row in OS Code-Point Open's layout: postcode, quality, easting, northing[, ...]."""
    if len(cells) < 4 or normalise_postcode(cells[0]) is None:
        return False
    try:
        int(cells[1])
        float(cells[2])
        float(cells[3])
    except ValueError:
        return False
    return True


def _layout(name: str, first: list[str], wanted: list[str | None] | None
            ) -> tuple[dict[str, int], bool]:
    """Column name -> index, and whether the first row is a header."""
    header = not _looks_like_data(first)
    if wanted is not None:
        col = {n: i for i, n in enumerate(wanted) if n is not None}
    elif header:
        keys = [_key(h) for h in first]
        col = {}
        for cname, aliases in _COLUMNS.items():
            for alias in aliases:
                if alias in keys:
                    col[cname] = keys.index(alias)
                    break
        if "postcode" not in col:
            raise ValidationError(
                f"The postcode lookup {name} has no postcode column (pcds or postcode); if it "
                "has no header row, name its columns with --columns "
                "postcode,quality,easting,northing.")
    elif _is_codepoint(first):
        col = {n: i for i, n in enumerate(CODEPOINT_COLUMNS)}
        if len(first) > _CODEPOINT_WARD_INDEX and first[_CODEPOINT_WARD_INDEX].strip():
            col["ward"] = _CODEPOINT_WARD_INDEX  # Code-Point Open's Admin_ward_code
    else:
        raise ValidationError(
            f"The postcode lookup {name} has no header row and its columns are not OS "
            "Code-Point Open's (postcode, quality, easting, northing): name them with --columns, "
            "e.g. --columns postcode,quality,easting,northing.")
    has_latlon = "lat" in col and "lon" in col
    has_en = "easting" in col and "northing" in col
    if not (has_latlon or has_en):
        raise ValidationError(
            f"The postcode lookup {name} has neither lat/long nor easting/northing columns.")
    return col, header


@dataclass(slots=True)
class _Row:
    line: int
    a: float | None  # lat or easting
    b: float | None  # lon or northing
    lsoa: str | None
    ward: str | None
    terminated: bool


def _read_rows(name: str, rows: Iterable[list[str]], col: dict[str, int],
               report: ImportReport, start_line: int) -> dict[str, _Row]:
    """Postcode -> its row; bad rows and conflicting duplicates are reported, not kept."""
    latlon = "lat" in col and "lon" in col
    first_col, second_col = ("lat", "lon") if latlon else ("easting", "northing")
    width = max(col.values()) + 1
    kept: dict[str, _Row] = {}
    conflicted: dict[str, int] = {}
    for line, cells in enumerate(rows, start=start_line):
        if not any(c.strip() for c in cells):
            continue
        report.read += 1
        where = f"line {line}"
        if len(cells) < width:
            report.reject(where, "row", f"the row has {len(cells)} cells; the lookup's columns "
                          f"need {width}")
            continue
        pc = normalise_postcode(cells[col["postcode"]])
        if pc is None:
            report.reject(where, "postcode", "the postcode is not in a valid UK postcode format")
            continue
        try:
            a, b = _float(cells[col[first_col]]), _float(cells[col[second_col]])
        except ValueError:
            report.reject(where, f"{first_col}/{second_col}",
                          f"{first_col} or {second_col} is not a number")
            continue
        if a is None or b is None:
            a = b = None
        elif latlon and a == 99.999999:
            a = b = None  # ONSPD marks "no grid reference" with 99.999999
        elif not latlon and a == 0 and b == 0:
            a = b = None  # Code-Point Open: quality 90, no coordinates
        got = {n: cells[i].strip() for n, i in col.items()}
        row = _Row(line, a, b, got.get("lsoa") or None, got.get("ward") or None,
                   bool(got.get("terminated")))
        if pc in conflicted:
            report.reject(where, "postcode", f"postcode {pc} is given again with a different "
                          f"place (first at line {conflicted[pc]}); it was left out")
            continue
        earlier = kept.get(pc)
        if earlier is None:
            kept[pc] = row
        elif (earlier.a, earlier.b, earlier.lsoa, earlier.ward, earlier.terminated) != \
                (a, b, row.lsoa, row.ward, row.terminated):
            del kept[pc]
            conflicted[pc] = earlier.line
            report.rejected += 1  # the earlier row is not kept either
            report.reject(where, "postcode", f"postcode {pc} is given at lines {earlier.line} "
                          f"and {line} with different places (coordinates, LSOA or ward); "
                          "neither was kept")
        # an identical repeat adds nothing: it collapses into the first
    return kept


def _to_wgs84(name: str, rows: dict[str, _Row], col: dict[str, int], crs: str | None,
              report: ImportReport) -> dict[str, PostcodeEntry]:
    """Entries in WGS84: lat/lon kept, projected coordinates reprojected in one vectorised
    call; coordinates that look projected with no CRS given are refused with a hint."""
    latlon = "lat" in col and "lon" in col
    located: list[str] = []
    xs: list[float] = []  # x, y in the file's CRS (x = easting or longitude)
    ys: list[float] = []
    for pc, r in rows.items():
        if r.a is not None and r.b is not None:
            located.append(pc)
            xs.append(r.b if latlon else r.a)
            ys.append(r.a if latlon else r.b)
    source_crs = crs
    if source_crs is None and located:
        degrees = all(abs(x) <= 180 and abs(y) <= 90 for x, y in zip(xs, ys, strict=True))
        if latlon and not degrees:
            raise ValidationError(
                f"The postcode lookup {name} has lat/long values such as {ys[0]:g}, {xs[0]:g} "
                "that look like projected coordinates, not degrees: give the file's CRS, e.g. "
                "--crs EPSG:27700 for British National Grid.")
        if latlon or degrees:
            source_crs = WGS84
            if not latlon:
                report.note("file", "easting/northing", "the coordinates are degrees, so they "
                            "were read as longitude/latitude (WGS84)")
        else:
            inside = all(_BNG_E[0] <= x <= _BNG_E[1] and _BNG_N[0] <= y <= _BNG_N[1]
                         for x, y in zip(xs, ys, strict=True))
            if not inside:
                raise ValidationError(
                    f"The postcode lookup {name} has easting/northing values such as {xs[0]:g}, "
                    f"{ys[0]:g} outside British National Grid: give the file's CRS with --crs.")
            source_crs = BNG
    lats, lons = _reproject(xs, ys, source_crs or WGS84)
    if located:
        outside = sum(not (_UK_LAT[0] <= la <= _UK_LAT[1] and _UK_LON[0] <= lo <= _UK_LON[1])
                      for la, lo in zip(lats, lons, strict=True))
        if outside * 2 > len(located):
            raise ValidationError(
                f"Most postcodes in {name} land outside the UK when read as {source_crs}: give "
                "the file's CRS with --crs (e.g. EPSG:27700 for British National Grid).")
        if outside:
            report.note("file", "coordinates", f"{outside:,} postcodes lie outside the UK")
    out = {pc: PostcodeEntry(None, None, r.lsoa, r.ward, r.terminated) for pc, r in rows.items()}
    for pc, la, lo in zip(located, lats, lons, strict=True):
        r = rows[pc]
        out[pc] = PostcodeEntry(round(la, 6), round(lo, 6), r.lsoa, r.ward, r.terminated)
    return out


def _reproject(xs: Sequence[float], ys: Sequence[float], crs: str
               ) -> tuple[list[float], list[float]]:
    """(lats, lons) in WGS84 from x/y (easting/northing, or lon/lat) in ``crs``: one call."""
    import numpy as np
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        raise ValidationError(f"--crs {crs!r} is not a coordinate reference system "
                              "(use e.g. EPSG:27700 or EPSG:4326).") from None
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if source == CRS.from_epsg(4326) or not len(x):
        return y.tolist(), x.tolist()
    to_wgs = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    lons, lats = to_wgs.transform(x, y)
    return np.asarray(lats, dtype=float).tolist(), np.asarray(lons, dtype=float).tolist()


def as_lookup(postcodes: PostcodeLookup | str | Path | None) -> PostcodeLookup | None:
    """A lookup object from a lookup or a path to a lookup file (None stays None)."""
    if postcodes is None or isinstance(postcodes, PostcodeLookup):
        return postcodes
    return PostcodeLookup.from_csv(postcodes)


# --- placing records ------------------------------------------------------------------------------

def place_points(points: Iterable[tuple[float | None, float | None]], areas: Any
                 ) -> list[str | None]:
    """For each (lat, lon), the id of the smallest area polygon that holds it (or None; a
    point without coordinates is in no area)."""
    import geopandas as gpd
    from shapely.geometry import Point

    given = list(points)
    located = [(i, lat, lon) for i, (lat, lon) in enumerate(given)
               if lat is not None and lon is not None]
    if not located or areas is None or len(areas) == 0:
        return [None] * len(given)
    frame = gpd.GeoDataFrame({"i": [i for i, _, _ in located]},
                             geometry=[Point(lon, lat) for _, lat, lon in located],
                             crs="EPSG:4326")
    polys = areas[["area_id", "geometry"]].copy()
    polys["_size"] = polys.geometry.to_crs("EPSG:6933").area  # equal-area metres
    joined = gpd.sjoin(frame, polys, how="inner", predicate="within")
    joined = joined.sort_values(["i", "_size"]).drop_duplicates("i")
    found = dict(zip(joined["i"], joined["area_id"], strict=True))
    return [found.get(i) for i in range(len(given))]


def place_records(store: GraphStore, table: PostcodeLookup, *, dry_run: bool = False,
                  overwrite: bool = False, report: ImportReport | None = None) -> ImportReport:
    """Geocode the store's records that carry a ``postcode`` prop and have no location yet
    (all of them with ``overwrite``): set lat/lon and the LSOA (or the area by spatial join).

    Unknown, malformed and terminated postcodes are reported by record id, never by value.
    """
    from assetmap.ingest.boundaries import load_area_geometries

    report = report or ImportReport("placing", table.source, dry_run=dry_run)
    updated: list[tuple[str, Node]] = []
    need_join: list[int] = []
    for node in store.nodes():
        if node.kind == vocab.AREA or not node.props.get("postcode"):
            continue
        if node.lat is not None and node.area is not None and not overwrite:
            continue
        report.read += 1
        where = f"record {node.id}"
        entry, problem = table.check(node.props["postcode"], node.kind)
        if entry is None or entry.lat is None:
            report.reject(where, "postcode", problem or "the postcode has no location", "store")
            continue
        if problem:
            report.note(where, "postcode", problem, "store")
        if node.lat is None or overwrite:
            node.lat, node.lon = entry.lat, entry.lon
        if entry.lsoa and (node.area is None or overwrite):
            node.area = entry.lsoa
        elif node.area is None:
            need_join.append(len(updated))
        updated.append((where, node))
    if need_join:
        areas = load_area_geometries(store)
        placed = place_points([(updated[i][1].lat, updated[i][1].lon) for i in need_join],
                              areas)
        for i, area in zip(need_join, placed, strict=True):
            if area is None:
                report.note(updated[i][0], "area", "the postcode lies in no known area boundary",
                            "store")
            updated[i][1].area = area
    if dry_run:
        report.written = len(updated)
        return report
    with store.transaction():
        write_nodes(store, updated, report, "store")
    return report


@dataclass
class PostcodeImport:
    """What ``import postcodes`` did: the lookup file's rows (``lookup``: read, kept in the
    store, rejected with line and reason) and the store's records it placed (``placed``)."""

    lookup: ImportReport
    placed: ImportReport
    kept: int = 0
    extra: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        """True when nothing was written."""
        return self.lookup.dry_run

    def summary(self) -> str:
        """Two lines: the lookup's rows, then the records placed by it."""
        lk = self.lookup
        verb = "would keep" if lk.dry_run else "kept"
        rows = "row" if lk.read == 1 else "rows"
        first = (f"postcodes import of {Path(lk.source).name}: read {lk.read:,} {rows}, {verb} "
                 f"{self.kept:,} postcodes in the store's lookup, rejected {lk.rejected:,}")
        if lk.notes:
            first += f", {len(lk.notes):,} notes"
        pl = self.placed
        verb = "would place" if pl.dry_run else "placed"
        second = (f"{verb} {pl.written:,} of {pl.read:,} records that give a postcode"
                  + (f" ({pl.rejected:,} not found)" if pl.rejected else "")
                  + (" (dry run: nothing was written)" if pl.dry_run else ""))
        return "\n".join([first + ".", second + ".", *self.extra])

    def to_csv(self, path: str | Path) -> Path:
        """Every rejection and note of both parts as one CSV (status, file, where, field,
        reason)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["status", "file", "where", "field", "reason"])
            for rep in (self.lookup, self.placed):
                for status, items in (("rejected", rep.rejections), ("note", rep.notes)):
                    for r in items:
                        out.writerow([status, r.file, r.where, r.field, r.reason])
        return path

    def to_dict(self) -> dict[str, Any]:
        """Both parts' counts and the summary, for the UI and JSON output."""
        return {"lookup": self.lookup.to_dict(), "placed": self.placed.to_dict(),
                "kept": self.kept, "summary": self.summary()}


def import_postcodes(store: GraphStore, lookup: PostcodeLookup | str | Path, *,
                     columns: Sequence[str] | str | None = None, crs: str | None = None,
                     dry_run: bool = False, overwrite: bool = False) -> PostcodeImport:
    """Keep a postcode lookup in the store and place the store's records by it, in one
    transaction (a failure writes nothing).

    ``lookup`` is a file (see :meth:`PostcodeLookup.from_csv` for ``columns`` and ``crs``) or a
    lookup already read. Later ``import spreadsheet`` runs use the kept lookup to place rows that
    give only a postcode (:func:`stored_lookup`).
    """
    source = str(lookup.source if isinstance(lookup, PostcodeLookup) else lookup)
    rows = ImportReport("postcodes", source, dry_run=dry_run)
    if isinstance(lookup, PostcodeLookup):
        table = lookup
        rows.read = len(table)
    else:
        table = PostcodeLookup.from_csv(lookup, columns=columns, crs=crs, report=rows)
    placed = ImportReport("placing", source, dry_run=dry_run)
    result = PostcodeImport(rows, placed, kept=len(table))
    if dry_run:
        place_records(store, table, dry_run=True, overwrite=overwrite, report=placed)
        return result
    store.count_postcodes()  # a read before the transaction: lets Neo4j make its lookup index
    with store.transaction():
        result.kept = table.save(store)
        rows.written = result.kept
        place_records(store, table, overwrite=overwrite, report=placed)
    return result
