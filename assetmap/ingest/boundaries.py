"""Area boundaries from GeoJSON, Shapefile (zipped too) or GeoPackage, as Area nodes.

The code and name columns are found by their ONS names (``LSOA21CD``/``LSOA21NM``,
``WD23CD``/``WD23NM``, ``area_code``/``area_name``, …) or given as options; geometries are
reprojected to WGS84 and invalid ones repaired with shapely's ``make_valid`` (or reported).

Where the polygons live: the graph holds each area's code, name, level, parent and a point inside
it; the polygons go to a GeoPackage beside the SQLite store (``assetmap.db`` ->
``assetmap.areas.gpkg``, layer ``areas``: ``area_id``, ``name``, ``level``, ``geometry`` in
EPSG:4326), read back with :func:`load_area_geometries`. It is replaced atomically after the store
transaction commits.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.graph.store import GraphStore
from assetmap.ingest.report import ImportReport, check_file, write_nodes
from assetmap.model import Node

LAYER = "areas"
_READABLE = (".geojson", ".json", ".shp", ".gpkg")
_CODE = re.compile(r"^(?:area_code|code|areacode|([a-z]{2,5})\d{2}cd)$", re.IGNORECASE)
_NAME = re.compile(r"^(?:area_name|name|areaname|([a-z]{2,5})\d{2}nm)$", re.IGNORECASE)
_LEVELS = {"lsoa": "lsoa", "msoa": "msoa", "wd": "ward", "ward": "ward", "lad": "la",
           "la": "la", "ltla": "la", "utla": "la", "cty": "la"}


def area_geometry_path(store: GraphStore) -> Path:
    """Where a store's area polygons are kept: beside a SQLite file, else in the data dir."""
    path = getattr(store, "path", None)
    if isinstance(path, Path) and str(path) != ":memory:":
        return path.with_name(path.stem + ".areas.gpkg")
    from assetmap import settings

    digest = hashlib.sha256(store.url.encode()).hexdigest()[:12]
    return settings.data_dir() / f"areas-{digest}.gpkg"


def load_area_geometries(store: GraphStore):
    """The saved area polygons (GeoDataFrame: area_id, name, level, geometry), or None."""
    path = area_geometry_path(store)
    if not path.exists():
        return None
    import geopandas as gpd  # only when there is something to read: it is a heavy import

    return gpd.read_file(path, layer=LAYER)


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


def _find_column(columns: list[str], pattern: re.Pattern) -> tuple[str | None, str | None]:
    for col in columns:
        m = pattern.match(col)
        if m:
            return col, (m.group(1) or "").lower() or None
    return None, None


def read_boundaries(path: str | Path, *, code_column: str | None = None,
                    name_column: str | None = None, layer: str | None = None,
                    limit_bytes: int | None = None):
    """Read a boundary file into a WGS84 GeoDataFrame; returns (frame, code col, name col, level
    guessed from the column names or None). Raises ValidationError for unreadable input."""
    import geopandas as gpd

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
    level = None
    if code_column is None:
        code_column, level = _find_column(columns, _CODE)
    if name_column is None:
        name_column, _ = _find_column(columns, _NAME)
    for what, col in (("code", code_column), ("name", name_column)):
        if col is None or col not in frame.columns:
            raise ValidationError(
                f"The file {path.name} has no area {what} column that assetmap recognises "
                f"(columns: {', '.join(columns[:12])}); name it with --{what}-column.")
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValidationError(
                f"The file {path.name} has no coordinate reference system and its coordinates "
                "are not longitude/latitude.")
        frame = frame.set_crs("EPSG:4326")
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    return frame, code_column, name_column, _LEVELS.get(level or "")


def import_boundaries(store: GraphStore, path: str | Path, *, level: str | None = None,
                      code_column: str | None = None, name_column: str | None = None,
                      parent_column: str | None = None, parent: str | None = None,
                      layer: str | None = None, fix_invalid: bool = True,
                      dry_run: bool = False, limit_bytes: int | None = None) -> ImportReport:
    """Import area boundaries as Area nodes and save their polygons for the map and spatial joins.

    ``level`` (lsoa/msoa/ward/locality/la) is guessed from the code column (LSOA21CD -> lsoa)
    unless given; ``parent_column`` or ``parent`` names each area's enclosing area.
    """
    import geopandas as gpd
    import pandas as pd
    from shapely import make_valid
    from shapely.geometry import MultiPolygon, Polygon

    frame, code_col, name_col, guessed = read_boundaries(
        path, code_column=code_column, name_column=name_column, layer=layer,
        limit_bytes=limit_bytes)
    level = level or guessed
    if level not in vocab.AREA_LEVELS:
        raise ValidationError(
            f"The area level could not be told from the columns; give --level as one of "
            f"{', '.join(vocab.AREA_LEVELS)}.")
    if parent_column is not None and parent_column not in frame.columns:
        raise ValidationError(f"The file has no column {parent_column!r} for the parent area.")
    report = ImportReport("boundaries", str(path), dry_run=dry_run)
    nodes: list[tuple[str, Node]] = []
    kept: list[dict[str, Any]] = []
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
            fixed = make_valid(geom)
            polys = [g for g in getattr(fixed, "geoms", [fixed])
                     if isinstance(g, Polygon | MultiPolygon)]
            if not polys:
                report.reject(where, "geometry", "the geometry is invalid and could not be "
                              "repaired into a polygon")
                continue
            geom = polys[0] if len(polys) == 1 else MultiPolygon(
                [p for g in polys for p in getattr(g, "geoms", [g])])
            report.note(where, "geometry", "the geometry was invalid and has been repaired")
        if not isinstance(geom, Polygon | MultiPolygon):
            report.reject(where, "geometry", f"the geometry is a {geom.geom_type}, not an area")
            continue
        props: dict[str, Any] = {"level": level, "source": "boundaries"}
        par = rec.get(parent_column) if parent_column else parent
        if par is not None and str(par).strip():
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
        kept.append({"area_id": code, "name": name, "level": level, "geometry": geom})
    if dry_run:
        report.written = len(nodes)
        return report
    target = area_geometry_path(store)
    new = gpd.GeoDataFrame(kept, geometry="geometry", crs="EPSG:4326") if kept else None
    old = load_area_geometries(store)
    if old is not None and new is not None:
        old = old[~old["area_id"].isin(new["area_id"])]
        combined = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), crs="EPSG:4326")
    else:
        combined = new if new is not None else old
    tmp = target.with_name(target.stem + ".tmp.gpkg")
    if combined is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            tmp.unlink()
        combined.to_file(tmp, layer=LAYER, driver="GPKG")
    try:
        with store.transaction():
            write_nodes(store, nodes, report)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    if combined is not None:
        os.replace(tmp, target)
    return report
