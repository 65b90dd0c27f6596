"""Area boundaries from GeoJSON, Shapefile (zipped too) or GeoPackage, as Area nodes.

The code and name columns are found by their ONS names (``LSOA21CD``/``LSOA21NM``,
``WD23CD``/``WD23NM``, ``area_code``/``area_name``, …) or given as options; geometries are
reprojected to WGS84 and invalid ones repaired with shapely's ``make_valid`` (or reported).

Where the polygons live: in the store, on each Area node (``geometry`` prop, GeoJSON text), with
its code, name, level, parent, vintage and source; read back only through
:mod:`assetmap.graph.store.areas`. One import is one store transaction: a failed import leaves the
store as it was. Areas with no parent column nest by geometry (largest overlap, falling back to a
point inside) in the next coarser level already in the store (LSOAs in wards, wards in the local
authority), or by a postcode lookup's LSOA and ward columns; the report says how many nested.
Each area records its vintage: the year in its ONS column name (``WD13CD`` -> 2013) or
``vintage``. Files in British National Grid (declared, or undeclared with coordinates that look
like eastings/northings) are reprojected to WGS84.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.graph.store import GraphStore
from assetmap.graph.store.areas import GEOMETRY_PROP, areas_from_nodes, geometry_text
from assetmap.graph.store.sources import record_source
from assetmap.ingest.report import ImportReport, check_file, write_nodes
from assetmap.model import Node

_READABLE = (".geojson", ".json", ".shp", ".gpkg")
_CODE = re.compile(r"^(?:area_code|code|areacode|([a-z]{2,5})(\d{2})cd)$", re.IGNORECASE)
_NAME = re.compile(r"^(?:area_name|name|areaname|([a-z]{2,5})\d{2}nm)$", re.IGNORECASE)
_LEVELS = {"lsoa": "lsoa", "msoa": "msoa", "wd": "ward", "ward": "ward", "lad": "la",
           "la": "la", "ltla": "la", "utla": "la", "cty": "la"}


#: For each level, the coarser levels an area of it nests in, preferred first.
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    "lsoa": ("ward", "msoa", "locality", "la"), "msoa": ("la",), "ward": ("la",),
    "locality": ("la",), "la": (),
}
#: Bounds of British National Grid eastings/northings (EPSG:27700), in metres.
_BNG_BOUNDS = (-10_000.0, -10_000.0, 700_000.0, 1_300_000.0)
_BNG = "EPSG:27700"


def load_area_geometries(store: GraphStore):
    """The store's area polygons as ``area_id``, ``name``, ``level``, ``geometry`` (or None when
    there are none): kept for the importers that place points; see
    :func:`assetmap.graph.store.areas.areas`."""
    from assetmap.graph.store.areas import areas

    frame = areas(store)
    if frame.empty:
        return None
    return frame.rename(columns={"area_code": "area_id", "area_name": "name"})


def _source_path(path: Path) -> str:
    """A path geopandas can read; a zip must hold exactly one readable dataset."""
    if path.is_dir() or path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(_READABLE)
                     and not n.startswith("__MACOSX")]
    except zipfile.BadZipFile:
        raise ValidationError(f"The file {path.name} is not a readable zip file.") from None
    if len(names) != 1:
        raise ValidationError(
            f"The zip {path.name} should hold one shapefile, GeoJSON or GeoPackage; it holds "
            f"{len(names)}.")
    if names[0].lower().endswith(".shp"):
        stem = names[0][:-4]
        with zipfile.ZipFile(path) as zf:
            members = {n.lower() for n in zf.namelist()}
        missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in members]
        if missing:
            raise ValidationError(
                f"The shapefile in {path.name} is incomplete: it lacks its "
                f"{' and '.join(missing)} file.")
    return f"/vsizip/{path}/{names[0]}"


def _find_column(columns: list[str], pattern: re.Pattern) -> tuple[str | None, re.Match | None]:
    for col in columns:
        m = pattern.match(col)
        if m:
            return col, m
    return None, None


def vintage_from_column(column: str | None) -> str | None:
    """The year an ONS code column names: ``WD13CD`` -> "2013", ``LSOA21CD`` -> "2021"."""
    m = _CODE.match(column or "")
    if not m or not m.group(2):
        return None
    return f"20{m.group(2)}"


def _looks_like_lonlat(bounds: Any) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _looks_like_bng(bounds: Any) -> bool:
    minx, miny, maxx, maxy = bounds
    lo_x, lo_y, hi_x, hi_y = _BNG_BOUNDS
    return lo_x <= minx <= maxx <= hi_x and lo_y <= miny <= maxy <= hi_y and maxx > 1_000


@dataclass
class BoundaryRead:
    """A boundary file read into WGS84, with what was found out about it."""

    frame: Any
    code_column: str
    name_column: str
    level: str | None
    vintage: str | None
    crs_note: str | None = None


def read_boundaries(path: str | Path, *, code_column: str | None = None,
                    name_column: str | None = None, layer: str | None = None,
                    crs: str | None = None, limit_bytes: int | None = None) -> BoundaryRead:
    """Read a boundary file into a WGS84 GeoDataFrame, with its code and name columns, the level
    and vintage guessed from the column names (or None). ``crs`` (e.g. "EPSG:27700") says what
    the coordinates are when the file does not, or overrides what it says. Raises
    ValidationError for unreadable input."""
    import geopandas as gpd
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    path = check_file(path, limit_bytes)
    source = _source_path(path)
    try:
        frame = gpd.read_file(source, layer=layer) if layer else gpd.read_file(source)
    except Exception as exc:  # pyogrio raises its own DataSourceError, fiona others
        raise ValidationError(
            f"The file {path.name} is not a readable GeoJSON, Shapefile or GeoPackage "
            f"({type(exc).__name__}).") from None
    if frame.empty:
        raise ValidationError(f"The file {path.name} holds no areas.")
    columns = [c for c in frame.columns if c != frame.geometry.name]
    match = None
    if code_column is None:
        code_column, match = _find_column(columns, _CODE)
    else:
        match = _CODE.match(code_column)
    if name_column is None:
        name_column, _ = _find_column(columns, _NAME)
    for what, col in (("code", code_column), ("name", name_column)):
        if col is None or col not in frame.columns:
            raise ValidationError(
                f"The file {path.name} has no area {what} column that assetmap recognises "
                f"(columns: {', '.join(columns[:12])}); name it with --{what}-column.")
    assert code_column is not None and name_column is not None  # checked just above
    prefix = (match.group(1) or "").lower() if match and match.group(1) else ""
    level = _LEVELS.get(prefix)
    vintage = vintage_from_column(code_column)
    note = None
    bounds = frame.total_bounds
    if crs is not None:
        try:
            declared = CRS.from_user_input(crs)
        except CRSError:
            raise ValidationError(f"--crs {crs!r} is not a coordinate reference system "
                                  "assetmap knows (try EPSG:27700 or EPSG:4326).") from None
        frame = frame.set_crs(declared, allow_override=True)
    else:
        # GeoJSON without a "crs" member is read as WGS84 whatever its numbers say.
        stated = frame.crs
        if stated is None or (stated.to_epsg() == 4326 and not _looks_like_lonlat(bounds)):
            if _looks_like_lonlat(bounds):
                frame = frame.set_crs("EPSG:4326", allow_override=True)
            elif _looks_like_bng(bounds):
                frame = frame.set_crs(_BNG, allow_override=True)
                note = ("the file declares no coordinate system but its coordinates look like "
                        "British National Grid eastings/northings: read as EPSG:27700 (give "
                        "--crs to say otherwise)")
            else:
                raise ValidationError(
                    f"The file {path.name} declares no coordinate system and its coordinates "
                    "look projected, not longitude/latitude; give it with --crs (for example "
                    "--crs EPSG:27700 for British National Grid).")
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    if not _looks_like_lonlat(frame.total_bounds):
        raise ValidationError(
            f"The file {path.name} does not reproject to longitude/latitude; check its "
            "coordinate system (--crs).")
    return BoundaryRead(frame, code_column, name_column, level, vintage, note)


@dataclass
class BoundaryReport(ImportReport):
    """An import report that also says how the areas nest and their vintage."""

    level: str = ""
    vintage: str | None = None
    nested: int = 0
    not_nested: int = 0
    nested_in: str = ""
    nested_by: str = ""
    renested: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The import line, then how many areas nested in a coarser level and how many did not."""
        text = super().summary()
        if self.vintage:
            text += f" Boundaries of {self.vintage}."
        if self.nested or self.not_nested:
            text += (f" {self.nested:,} {self.level} area(s) nested in {self.nested_in}s "
                     f"by {self.nested_by}; {self.not_nested:,} in no {self.nested_in}.")
        if self.renested:
            text += f" {self.renested:,} finer area(s) already in the store now nest in these."
        return text

    def to_dict(self) -> dict[str, Any]:
        """Counts, nesting and the summary line."""
        out = super().to_dict()
        out.update(level=self.level, vintage=self.vintage, nested=self.nested,
                   not_nested=self.not_nested, nested_in=self.nested_in)
        return out


def nest_by_geometry(children: Any, parents: Any) -> dict[str, str | None]:
    """Each child area's parent: the parent polygon it overlaps most (in an equal-area
    projection), else the one holding a point inside it, else None. Both frames need
    ``area_code`` and ``geometry`` in WGS84."""
    import geopandas as gpd
    import shapely

    result: dict[str, str | None] = {str(c): None for c in children["area_code"]}
    if children.empty or parents.empty:
        return result
    kids = gpd.GeoDataFrame(children[["area_code", "geometry"]], geometry="geometry",
                            crs="EPSG:4326").to_crs("EPSG:6933").reset_index(drop=True)
    pars = gpd.GeoDataFrame(parents[["area_code", "geometry"]], geometry="geometry",
                            crs="EPSG:4326").to_crs("EPSG:6933").reset_index(drop=True)
    pairs = gpd.sjoin(kids, pars, how="inner", predicate="intersects",
                      lsuffix="child", rsuffix="parent")
    if len(pairs):
        left = kids.geometry.to_numpy()[pairs.index.to_numpy()]
        right = pars.geometry.to_numpy()[pairs["index_parent"].to_numpy()]
        pairs = pairs.assign(_overlap=shapely.area(shapely.intersection(left, right)))
        pairs = pairs[pairs["_overlap"] > 0]
        best = pairs.sort_values(["area_code_child", "_overlap", "area_code_parent"],
                                 ascending=[True, False, True]).drop_duplicates("area_code_child")
        result.update(zip(best["area_code_child"].astype(str),
                          best["area_code_parent"].astype(str), strict=True))
    left_over = [c for c, p in result.items() if p is None]
    if left_over:
        rest = kids[kids["area_code"].astype(str).isin(left_over)].copy()
        rest["geometry"] = rest.geometry.representative_point()
        hit = gpd.sjoin(rest, pars, how="inner", predicate="within",
                        lsuffix="child", rsuffix="parent").drop_duplicates("area_code_child")
        result.update(zip(hit["area_code_child"].astype(str),
                          hit["area_code_parent"].astype(str), strict=True))
    return result


def nest_by_postcodes(lookup: Any, lsoas: list[str]) -> dict[str, str | None]:
    """Each LSOA's ward from a postcode lookup's LSOA and ward columns: the ward holding most of
    its postcodes (ties broken by ward code); None where the lookup names none."""
    from collections import Counter

    counts: dict[str, Counter] = {}
    for entry in lookup.entries.values():
        if entry.lsoa and entry.ward:
            counts.setdefault(entry.lsoa, Counter())[entry.ward] += 1
    out: dict[str, str | None] = {}
    for code in lsoas:
        c = counts.get(code)
        out[code] = min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else None
    return out


def _repair(geom: Any) -> Any:
    from shapely import make_valid
    from shapely.geometry import MultiPolygon, Polygon

    fixed = make_valid(geom)
    polys = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon | MultiPolygon)]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else MultiPolygon(
        [p for g in polys for p in getattr(g, "geoms", [g])])


def import_boundaries(store: GraphStore, path: str | Path, *, level: str | None = None,
                      code_column: str | None = None, name_column: str | None = None,
                      parent_column: str | None = None, parent: str | None = None,
                      layer: str | None = None, fix_invalid: bool = True,
                      vintage: str | None = None, crs: str | None = None,
                      postcodes: Any = None, source: str | None = None,
                      licence: str | None = None, dry_run: bool = False,
                      limit_bytes: int | None = None) -> BoundaryReport:
    """Import area boundaries into the store as Area nodes carrying their polygons.

    ``level`` (lsoa/msoa/ward/locality/la) and ``vintage`` (the boundaries' year) are read from
    the code column's ONS name (WD13CD -> ward, 2013) unless given. ``parent_column`` or
    ``parent`` names each area's enclosing area; otherwise an area keeps the parent it already
    has in the store, or nests by geometry in the next coarser level present (LSOAs in wards) —
    or, for LSOAs, by a ``postcodes`` lookup (path or PostcodeLookup) with LSOA and ward
    columns. Finer areas already in the store with no parent nest in the new ones. ``source``
    and ``licence`` are recorded as the data's attribution. All in one transaction.
    """
    from shapely.geometry import MultiPolygon, Polygon

    read = read_boundaries(path, code_column=code_column, name_column=name_column, layer=layer,
                           crs=crs, limit_bytes=limit_bytes)
    frame, code_col, name_col = read.frame, read.code_column, read.name_column
    level = level or read.level
    if level not in vocab.AREA_LEVELS:
        raise ValidationError(
            f"The area level could not be told from the columns; give --level as one of "
            f"{', '.join(vocab.AREA_LEVELS)}.")
    vintage = str(vintage).strip() if vintage else read.vintage
    if parent_column is not None and parent_column not in frame.columns:
        raise ValidationError(f"The file has no column {parent_column!r} for the parent area.")
    report = BoundaryReport("boundaries", str(path), dry_run=dry_run, level=level,
                            vintage=vintage)
    if read.crs_note:
        report.note("file", "crs", read.crs_note)
    existing = {n.id: n for n in store.find(vocab.AREA)}
    nodes: list[tuple[str, Node]] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False)):
        report.read += 1
        where = f"feature {i + 1}"
        rec = row._asdict()
        code = rec.get(code_col)
        code = str(code).strip() if code is not None and str(code).strip() else None
        name = rec.get(name_col)
        name = str(name).strip() if name is not None else ""
        geom = rec.get(frame.geometry.name)
        if code is None:
            report.reject(where, code_col, "the area has no code")
            continue
        if code in seen:
            report.reject(where, code_col, f"the area code {code} appears twice in the file")
            continue
        if geom is None or geom.is_empty:
            report.reject(where, "geometry", "the area has no geometry")
            continue
        if not geom.is_valid:
            if not fix_invalid:
                report.reject(where, "geometry", "the geometry is invalid (e.g. it crosses "
                              "itself); re-run with fixing on, or repair it in a GIS")
                continue
            geom = _repair(geom)
            if geom is None:
                report.reject(where, "geometry", "the geometry is invalid and could not be "
                              "repaired into a polygon")
                continue
            report.note(where, "geometry", "the geometry was invalid and has been repaired")
        if not isinstance(geom, Polygon | MultiPolygon):
            report.reject(where, "geometry", f"the geometry is a {geom.geom_type}, not an area")
            continue
        old = existing.get(code)
        props: dict[str, Any] = dict(old.props) if old is not None and old.kind == vocab.AREA \
            else {}
        props.update({"level": level, "source": Path(str(path)).name,
                      GEOMETRY_PROP: geometry_text(geom)})
        if vintage:
            props["vintage"] = vintage
        par = rec.get(parent_column) if parent_column else parent
        if par is not None and str(par).strip() and str(par) != "nan":
            props["parent"] = str(par).strip()
        point = geom.representative_point()
        node = Node(code, vocab.AREA, name, None, round(point.y, 6), round(point.x, 6), props)
        try:
            node.validate()
        except ValidationError as exc:
            report.reject(where, exc.field or code_col, str(exc))
            continue
        seen.add(code)
        nodes.append((where, node))
    renest = _nest(store, existing, nodes, level, report, postcodes)
    if dry_run:
        report.written = len(nodes)
        return report
    with store.transaction():
        write_nodes(store, nodes, report)
        if renest:
            store.upsert_nodes(renest)
        if nodes:
            record_source(store, "boundaries", source, licence, path,
                          data=f"{level} boundaries" + (f" ({vintage})" if vintage else ""))
    return report


def _nest(store: GraphStore, existing: dict[str, Node], nodes: list[tuple[str, Node]],
          level: str, report: BoundaryReport, postcodes: Any) -> list[Node]:
    """Give the new areas with no parent one (by postcodes or geometry), and the finer areas
    already in the store with no parent a place in the new ones; return those to rewrite."""
    new_ids = {n.id for _, n in nodes}
    others = [n for n in existing.values() if n.id not in new_ids]
    orphans = [n for _, n in nodes if not n.props.get("parent")]
    for candidate in PARENT_LEVELS.get(level, ()):
        pool = [n for n in others if n.props.get("level") == candidate]
        if not pool or not orphans:
            continue
        if postcodes is not None and level == "lsoa" and candidate == "ward":
            from assetmap.ingest.postcodes import as_lookup

            found = nest_by_postcodes(as_lookup(postcodes), [n.id for n in orphans])
            known = {n.id for n in pool}
            found = {k: (v if v in known else None) for k, v in found.items()}
            report.nested_by = "the postcode lookup's ward column"
        else:
            found = nest_by_geometry(areas_from_nodes(orphans), areas_from_nodes(pool))
            report.nested_by = "geometry"
        for node in orphans:
            node.props["parent"] = found.get(node.id)
        report.nested_in = candidate
        report.nested = sum(1 for n in orphans if n.props.get("parent"))
        report.not_nested = len(orphans) - report.nested
        for node in orphans:
            if not node.props.get("parent"):
                node.props.pop("parent", None)
        break
    # Finer areas already in the store with no parent, whose preferred parent level (the first
    # of PARENT_LEVELS present now) is this one: LSOAs imported before their wards.
    present = {o.props.get("level") for o in others} | {level}

    def preferred(lv: Any) -> str | None:
        return next((p for p in PARENT_LEVELS.get(lv or "", ()) if p in present), None)

    waiting = [n for n in others
               if not n.props.get("parent") and preferred(n.props.get("level")) == level]
    if not waiting or not nodes:
        return []
    found = nest_by_geometry(areas_from_nodes(waiting), areas_from_nodes([n for _, n in nodes]))
    changed = []
    for node in waiting:
        if found.get(node.id):
            node.props["parent"] = found[node.id]
            changed.append(node)
    report.renested = len(changed)
    return changed
