"""Boundary import from real GeoJSON, Shapefile (zipped too) and GeoPackage files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from assetmap.errors import ValidationError
from assetmap.graph.store.areas import areas
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.boundaries import import_boundaries, load_area_geometries
from assetmap.model import Node

TRAFFORD = Path(__file__).resolve().parent.parent / "assetmap/demo/data"


def osgb_wards() -> gpd.GeoDataFrame:
    """Two ward squares on the British National Grid (near Sale, Trafford)."""
    return gpd.GeoDataFrame(
        {"WD23CD": ["E05000001", "E05000002"], "WD23NM": ["North Ward", "South Ward"],
         "LAD23CD": ["E08000009", "E08000009"]},
        geometry=[box(377000, 391000, 379000, 393000), box(377000, 389000, 379000, 391000)],
        crs="EPSG:27700")


def test_real_trafford_wards_geojson(sqlite_store):
    path = TRAFFORD / "trafford_ward_2023_generalised.geojson"
    expected = len(gpd.read_file(path))
    rep = import_boundaries(sqlite_store, path, level="ward", parent="E08000009")
    assert rep.read == rep.written == expected and rep.rejected == 0
    wards = list(sqlite_store.find("Area"))
    assert len(wards) == expected
    assert all(w.props["level"] == "ward" and w.props["parent"] == "E08000009" for w in wards)
    assert all(53.3 < w.lat < 53.5 and -2.5 < w.lon < -2.2 for w in wards)
    saved = load_area_geometries(sqlite_store)
    assert sorted(saved["area_id"]) == sorted(w.id for w in wards)
    assert not list(Path(str(sqlite_store.url)[len("sqlite:///"):]).parent.glob("*.gpkg"))
    assert set(areas(sqlite_store, "ward")["source"]) == {path.name}


@pytest.mark.parametrize("fmt", ["shp", "zip", "gpkg", "geojson"])
def test_formats_columns_and_reprojection(tmp_path, sqlite_store, fmt):
    frame = osgb_wards()
    if fmt == "shp":
        path = tmp_path / "wards.shp"
        frame.to_file(path)
    elif fmt == "zip":
        frame.to_file(tmp_path / "wards.shp")
        path = tmp_path / "wards.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for part in tmp_path.glob("wards.*"):
                if part.suffix != ".zip":
                    zf.write(part, f"inside/{part.name}")
    elif fmt == "gpkg":
        path = tmp_path / "wards.gpkg"
        frame.to_file(path, driver="GPKG")
    else:
        path = tmp_path / "wards.geojson"
        frame.to_file(path, driver="GeoJSON")
    rep = import_boundaries(sqlite_store, path, parent_column="LAD23CD")
    assert rep.written == 2, rep.rejections
    north = sqlite_store.get("E05000001")
    geometry = north.props.pop("geometry")
    assert north.name == "North Ward" and north.props == {
        "level": "ward", "parent": "E08000009", "source": path.name, "vintage": "2023"}
    assert json.loads(geometry)["type"] == "Polygon"  # the polygon lives in the store
    assert 53.3 < north.lat < 53.5 and -2.4 < north.lon < -2.3  # reprojected to WGS84
    saved = load_area_geometries(sqlite_store)
    assert saved.crs.to_epsg() == 4326 and len(saved) == 2


def test_columns_from_options_and_level_required(tmp_path, sqlite_store):
    frame = gpd.GeoDataFrame({"zone": ["Z1"], "label": ["Zone one"]},
                             geometry=[box(-2.3, 53.4, -2.29, 53.41)], crs="EPSG:4326")
    path = tmp_path / "zones.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(ValidationError, match="no area code column"):
        import_boundaries(sqlite_store, path)
    with pytest.raises(ValidationError, match="level"):
        import_boundaries(sqlite_store, path, code_column="zone", name_column="label")
    rep = import_boundaries(sqlite_store, path, code_column="zone", name_column="label",
                            level="locality")
    assert rep.written == 1 and sqlite_store.get("Z1").props["level"] == "locality"


def _features(*geoms) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"area_code": code, "area_name": code},
         "geometry": geom} for code, geom in geoms]}


def test_invalid_geometries_are_repaired_or_reported(tmp_path, tmp_path_factory):
    bowtie = {"type": "Polygon", "coordinates": [[[-2.3, 53.4], [-2.2, 53.5], [-2.2, 53.4],
                                                  [-2.3, 53.5], [-2.3, 53.4]]]}
    good = json.loads(json.dumps(Polygon([(-2.4, 53.4), (-2.35, 53.4), (-2.35, 53.45)])
                                 .__geo_interface__))
    line = {"type": "LineString", "coordinates": [[-2.3, 53.4], [-2.2, 53.5]]}
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(_features(("E01000001", bowtie), ("E01000002", good),
                                         ("E01000003", line), ("E01000002", good))))
    fixed = SQLiteStore(tmp_path / "fixed.db")
    rep = import_boundaries(fixed, path, level="lsoa")
    assert (rep.written, rep.rejected) == (2, 2)
    assert any(n.where == "feature 1" and "repaired" in n.reason for n in rep.notes)
    reasons = {r.where: r.reason for r in rep.rejections}
    assert "LineString" in reasons["feature 3"] and "twice" in reasons["feature 4"]
    saved = load_area_geometries(fixed)
    assert saved.geometry.is_valid.all()
    strict = SQLiteStore(tmp_path / "strict.db")
    rep = import_boundaries(strict, path, level="lsoa", fix_invalid=False)
    assert rep.rejections[0].where == "feature 1" and "invalid" in rep.rejections[0].reason
    assert strict.count("Area") == 1 and strict.count("Source") == 1  # and where it came from
    fixed.close()
    strict.close()


def test_zip_with_wrong_contents_and_broken_files(tmp_path, sqlite_store):
    bad = tmp_path / "notes.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "no shapes here")
    with pytest.raises(ValidationError, match="holds 0"):
        import_boundaries(sqlite_store, bad)
    half = tmp_path / "half.zip"
    osgb_wards().to_file(tmp_path / "w.shp")
    with zipfile.ZipFile(half, "w") as zf:
        zf.write(tmp_path / "w.shp", "w.shp")
    with pytest.raises(ValidationError, match="incomplete"):
        import_boundaries(sqlite_store, half)
    junk = tmp_path / "junk.geojson"
    junk.write_text("{not geojson", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a readable"):
        import_boundaries(sqlite_store, junk)
    assert sqlite_store.count() == 0


def test_rerun_is_idempotent_and_failure_leaves_everything_as_it_was(tmp_path):
    path = TRAFFORD / "trafford_ward_2023_generalised.geojson"

    class FailingStore(SQLiteStore):
        fail = False

        def upsert_nodes(self, nodes):
            if self.fail:
                raise RuntimeError("interrupted")
            return super().upsert_nodes(nodes)

    store = FailingStore(tmp_path / "s.db")
    store.upsert_nodes([Node("E08000009", "Area", "Trafford", props={"level": "la"})])
    import_boundaries(store, path, level="ward")
    nodes, version = list(store.nodes()), store.version()
    import_boundaries(store, path, level="ward")
    assert list(store.nodes()) == nodes and store.version() == version
    saved = load_area_geometries(store)
    store.fail = True
    with pytest.raises(RuntimeError):
        import_boundaries(store, path, level="lsoa")
    assert list(store.nodes()) == nodes
    assert set(load_area_geometries(store)["level"]) == set(saved["level"]) == {"ward"}
    assert not list(tmp_path.glob("*.gpkg"))
    store.close()
