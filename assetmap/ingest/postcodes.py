"""Offline geocoding from an ONS-style postcode lookup CSV (ONSPD, NSPL or a local extract).

The lookup gives each postcode a centroid (lat/lon, or OSGB36 easting/northing converted with
pyproj), its LSOA and ward, and whether it is terminated. :func:`import_postcodes` places the
store's records that carry a ``postcode`` prop; where the lookup gives no LSOA, a record is put
in the smallest saved area boundary that holds its point (a spatial join).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.graph.store import GraphStore
from assetmap.ingest.report import ImportReport, check_file, detect_encoding, write_nodes
from assetmap.model import Node

# A UK postcode without its space: outward code (area, district) + inward code (sector, unit).
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[0-9][A-Z]{2}$")
_SPACES = re.compile(r"\s+")

_COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": ("pcds", "pcd", "pcd2", "pcd7", "pcd8", "postcode", "post_code", "postcodes"),
    "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "lng", "longitude"),
    "easting": ("oseast1m", "easting", "east", "x"),
    "northing": ("osnrth1m", "northing", "north", "y"),
    "lsoa": ("lsoa21cd", "lsoa21", "lsoa_code", "lsoa21_code", "lsoa11cd", "lsoa11", "lsoa"),
    "ward": ("wd23cd", "wd24cd", "osward", "ward_code", "ward"),
    "terminated": ("doterm", "terminated", "date_of_termination", "date_terminated",
                   "termination_date"),
}


def normalise_postcode(text: str | None) -> str | None:
    """A UK postcode in ONS ``pcds`` form ("m15 4ab", "M154AB" -> "M15 4AB"), or None."""
    if not isinstance(text, str):
        return None
    compact = _SPACES.sub("", text).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


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
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value


class PostcodeLookup:
    """Postcode -> :class:`PostcodeEntry`, loaded once from an ONS-style CSV."""

    def __init__(self, entries: dict[str, PostcodeEntry], source: str = ""):
        self.entries = entries
        self.source = source

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_csv(cls, path: str | Path, limit_bytes: int | None = None) -> PostcodeLookup:
        """Read a lookup CSV; columns are recognised by their ONS names (pcds, lat, long,
        oseast1m, osnrth1m, lsoa21cd, osward, doterm, …) or plain ones (postcode, lat, lon)."""
        path = check_file(path, limit_bytes)
        with path.open(newline="", encoding=detect_encoding(path)) as fh:
            reader = csv.reader(fh)
            try:
                header = [_key(h) for h in next(reader)]
            except StopIteration:
                raise ValidationError(f"The postcode lookup {path.name} is empty.") from None
            col: dict[str, int] = {}
            for name, aliases in _COLUMNS.items():
                for alias in aliases:
                    if alias in header:
                        col[name] = header.index(alias)
                        break
            if "postcode" not in col:
                raise ValidationError(
                    f"The postcode lookup {path.name} has no postcode column (pcds or postcode).")
            has_latlon = "lat" in col and "lon" in col
            has_en = "easting" in col and "northing" in col
            if not (has_latlon or has_en):
                raise ValidationError(
                    f"The postcode lookup {path.name} has neither lat/long nor "
                    "easting/northing columns.")
            rows: dict[str, tuple] = {}
            width = max(col.values()) + 1
            for cells in reader:
                if len(cells) < width:
                    continue
                pc = normalise_postcode(cells[col["postcode"]])
                if pc is None:
                    continue
                got = {name: cells[i].strip() for name, i in col.items()}
                if has_latlon:
                    a, b = _float(got["lat"]), _float(got["lon"])
                    if a is not None and (abs(a) > 90 or a == 99.999999):
                        a = b = None  # ONSPD marks "no grid reference" with 99.999999
                else:
                    a, b = _float(got["easting"]), _float(got["northing"])
                rows[pc] = (a, b, got.get("lsoa") or None, got.get("ward") or None,
                            bool(got.get("terminated")))
        if not has_latlon:
            rows = _osgb_to_wgs84(rows)
        entries = {pc: PostcodeEntry(*r) for pc, r in rows.items()}
        return cls(entries, str(path))

    def get(self, postcode: str | None) -> PostcodeEntry | None:
        """The entry for a postcode in any spelling, or None."""
        pc = normalise_postcode(postcode)
        return None if pc is None else self.entries.get(pc)

    def check(self, postcode: str | None) -> tuple[PostcodeEntry | None, str | None]:
        """(entry, None) for a live postcode with a location; else (entry or None, reason)."""
        pc = normalise_postcode(postcode)
        if pc is None:
            return None, "the postcode is not in a valid UK postcode format"
        entry = self.entries.get(pc)
        if entry is None:
            return None, "the postcode is not in the postcode lookup (it may not exist)"
        if entry.lat is None:
            return entry, "the postcode has no location in the lookup"
        if entry.terminated:
            return entry, "the postcode is terminated (no longer in use); its old centroid " \
                          "was used"
        return entry, None


def _osgb_to_wgs84(rows: dict[str, tuple]) -> dict[str, tuple]:
    from pyproj import Transformer

    keys = [k for k, r in rows.items() if r[0] is not None and r[1] is not None]
    if not keys:
        return {k: (None, None, *r[2:]) for k, r in rows.items()}
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lons, lats = to_wgs.transform([rows[k][0] for k in keys], [rows[k][1] for k in keys])
    out = {k: (None, None, *r[2:]) for k, r in rows.items()}
    for k, lat, lon in zip(keys, lats, lons, strict=True):
        out[k] = (round(float(lat), 6), round(float(lon), 6), *rows[k][2:])
    return out


def as_lookup(postcodes: PostcodeLookup | str | Path | None) -> PostcodeLookup | None:
    """A lookup object from a lookup or a path to a lookup CSV (None stays None)."""
    if postcodes is None or isinstance(postcodes, PostcodeLookup):
        return postcodes
    return PostcodeLookup.from_csv(postcodes)


def place_points(points: Iterable[tuple[float, float]], areas) -> list[str | None]:
    """For each (lat, lon), the id of the smallest area polygon that holds it (or None)."""
    import geopandas as gpd
    from shapely.geometry import Point

    pts = list(points)
    if not pts or areas is None or len(areas) == 0:
        return [None] * len(pts)
    frame = gpd.GeoDataFrame({"i": range(len(pts))},
                             geometry=[Point(lon, lat) for lat, lon in pts], crs="EPSG:4326")
    polys = areas[["area_id", "geometry"]].copy()
    polys["_size"] = polys.geometry.to_crs("EPSG:6933").area  # equal-area metres
    joined = gpd.sjoin(frame, polys, how="inner", predicate="within")
    joined = joined.sort_values(["i", "_size"]).drop_duplicates("i")
    found = dict(zip(joined["i"], joined["area_id"], strict=True))
    return [found.get(i) for i in range(len(pts))]


def import_postcodes(store: GraphStore, lookup: PostcodeLookup | str | Path, *,
                     dry_run: bool = False, overwrite: bool = False) -> ImportReport:
    """Geocode the store's records that carry a ``postcode`` prop and have no location yet
    (all of them with ``overwrite``): set lat/lon and the LSOA (or the area by spatial join).

    Unknown, malformed and terminated postcodes are reported by record id, never by value.
    """
    from assetmap.ingest.boundaries import load_area_geometries

    source = str(lookup.source if isinstance(lookup, PostcodeLookup) else lookup)
    table = as_lookup(lookup)
    report = ImportReport("postcodes", source, dry_run=dry_run)
    updated: list[tuple[str, Node]] = []
    need_join: list[int] = []
    for node in store.nodes():
        if node.kind == vocab.AREA or not node.props.get("postcode"):
            continue
        if node.lat is not None and node.area is not None and not overwrite:
            continue
        report.read += 1
        where = f"record {node.id}"
        entry, problem = table.check(node.props["postcode"])
        if entry is None or entry.lat is None:
            report.reject(where, "postcode", problem or "the postcode has no location")
            continue
        if problem:
            report.note(where, "postcode", problem)
        if node.lat is None or overwrite:
            node.lat, node.lon = entry.lat, entry.lon
        if entry.lsoa and (node.area is None or overwrite):
            node.area = entry.lsoa
        elif node.area is None:
            need_join.append(len(updated))
        updated.append((where, node))
    if need_join:
        areas = load_area_geometries(store)
        placed = place_points([(updated[i][1].lat, updated[i][1].lon) for i in need_join], areas)
        for i, area in zip(need_join, placed, strict=True):
            if area is None:
                report.note(updated[i][0], "area", "the postcode lies in no known area boundary")
            updated[i][1].area = area
    if dry_run:
        report.written = len(updated)
        return report
    with store.transaction():
        write_nodes(store, updated, report)
    return report
