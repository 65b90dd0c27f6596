"""Areas live in the store: boundaries import with their vintage, nest without a parent column,
come in from British National Grid, and are read back only through assetmap.graph.store.areas
(on SQLite and the real Bolt server alike); copy carries them with their sources."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from assetmap.cli import main
from assetmap.errors import ValidationError
from assetmap.graph.store.areas import (
    COLUMNS,
    area_levels,
    areas,
    has_boundaries,
    level_label,
    vintage_label,
)
from assetmap.graph.store.copy import copy_store
from assetmap.graph.store.sources import NO_LICENCE, attribution_text, sources
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.boundaries import import_boundaries, vintage_from_column
from assetmap.model import Node
from assetmap.render import maps

#: Two wards side by side (WGS84, near Salford): west x -2.40..-2.35, east -2.35..-2.30.
WEST, EAST = box(-2.40, 53.48, -2.35, 53.52), box(-2.35, 53.48, -2.30, 53.52)


def _write(tmp_path: Path, name: str, frame: gpd.GeoDataFrame) -> Path:
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON")
    return path


def wards_2013(tmp_path: Path) -> Path:
    return _write(tmp_path, "wards.geojson", gpd.GeoDataFrame(
        {"WD13CD": ["E05000001", "E05000002"], "WD13NM": ["West Ward", "East Ward"]},
        geometry=[WEST, EAST], crs="EPSG:4326"))


def lsoas_2011(tmp_path: Path) -> Path:
    """Three LSOAs: one mostly in the west ward (70/30 across the line), one inside the east
    ward, one far away in no ward. No parent column, as ONS files come."""
    return _write(tmp_path, "lsoas.geojson", gpd.GeoDataFrame(
        {"LSOA11CD": ["E01000001", "E01000002", "E01000003"],
         "LSOA11NM": ["Straddling 001A", "East 001B", "Elsewhere 001C"]},
        geometry=[box(-2.385, 53.49, -2.335, 53.50), box(-2.33, 53.49, -2.32, 53.50),
                  box(-1.50, 52.00, -1.49, 52.01)], crs="EPSG:4326"))


def test_vintage_comes_from_ons_column_names_or_the_option(tmp_path, sqlite_store):
    assert vintage_from_column("WD13CD") == "2013"
    assert vintage_from_column("LSOA21CD") == "2021"
    assert vintage_from_column("area_code") is None
    rep = import_boundaries(sqlite_store, wards_2013(tmp_path))
    assert rep.level == "ward" and rep.vintage == "2013" and "Boundaries of 2013" in rep.summary()
    wards = areas(sqlite_store, "ward")
    assert set(wards["vintage"]) == {"2013"}
    assert level_label("ward", wards) == "Wards (2013 boundaries)"
    rep = import_boundaries(sqlite_store, wards_2013(tmp_path), vintage="2023")
    assert set(areas(sqlite_store, "ward")["vintage"]) == {"2023"}
    assert vintage_label(areas(sqlite_store)) == "2023 boundaries"


def test_lsoas_nest_in_wards_by_largest_overlap_and_the_report_says_so(tmp_path, sqlite_store):
    import_boundaries(sqlite_store, wards_2013(tmp_path))
    rep = import_boundaries(sqlite_store, lsoas_2011(tmp_path))
    assert (rep.nested, rep.not_nested, rep.nested_in, rep.nested_by) == (2, 1, "ward",
                                                                         "geometry")
    assert "2 lsoa area(s) nested in wards by geometry; 1 in no ward" in rep.summary()
    parent = {n.id: n.props.get("parent") for n in sqlite_store.find("Area", level="lsoa")}
    assert parent == {"E01000001": "E05000001", "E01000002": "E05000002", "E01000003": None}


def test_wards_imported_after_lsoas_take_them_in(tmp_path, sqlite_store):
    import_boundaries(sqlite_store, lsoas_2011(tmp_path))
    assert not any(n.props.get("parent") for n in sqlite_store.find("Area"))
    rep = import_boundaries(sqlite_store, wards_2013(tmp_path))
    assert rep.renested == 2
    assert sqlite_store.get("E01000001").props["parent"] == "E05000001"
    # a re-import keeps the parent an area already has
    import_boundaries(sqlite_store, lsoas_2011(tmp_path))
    assert sqlite_store.get("E01000002").props["parent"] == "E05000002"


def test_lsoas_nest_by_a_postcode_files_ward_column(tmp_path, sqlite_store):
    import_boundaries(sqlite_store, wards_2013(tmp_path))
    lookup = tmp_path / "lookup.csv"
    # By postcodes the straddling LSOA belongs to the east ward (geometry would say west).
    lookup.write_text("pcds,lat,long,lsoa11cd,osward\n"
                      "M5 1AA,53.495,-2.34,E01000001,E05000002\n"
                      "M5 1AB,53.495,-2.34,E01000001,E05000002\n"
                      "M5 1AD,53.495,-2.36,E01000001,E05000001\n", encoding="utf-8")
    rep = import_boundaries(sqlite_store, lsoas_2011(tmp_path), postcodes=lookup)
    assert rep.nested_by == "the postcode lookup's ward column"
    assert sqlite_store.get("E01000001").props["parent"] == "E05000002"
    assert (rep.nested, rep.not_nested) == (1, 2)


def _bng(tmp_path: Path, declare: bool) -> Path:
    frame = gpd.GeoDataFrame({"WD13CD": ["E05000001"], "WD13NM": ["West Ward"]},
                             geometry=[WEST], crs="EPSG:4326").to_crs("EPSG:27700")
    path = _write(tmp_path, f"bng_{declare}.geojson", frame)
    if not declare:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("crs", None)
        path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("declare", [True, False])
def test_british_national_grid_is_detected_and_reprojected(tmp_path, sqlite_store, declare):
    path = _bng(tmp_path, declare)
    assert json.loads(path.read_text())["features"][0]["geometry"]["coordinates"][0][0][0] > 1000
    rep = import_boundaries(sqlite_store, path)
    ward = areas(sqlite_store, "ward").iloc[0]
    assert ward.geometry.equals_exact(WEST, tolerance=1e-5)  # back in longitude/latitude
    notes = [n.reason for n in rep.notes]
    assert any("British National Grid" in n for n in notes) == (not declare)


def test_crs_option_and_a_hint_for_projected_coordinates(tmp_path, sqlite_store):
    frame = gpd.GeoDataFrame({"WD13CD": ["E05000001"], "WD13NM": ["West Ward"]},
                             geometry=[WEST], crs="EPSG:4326").to_crs("EPSG:3857")
    path = _write(tmp_path, "mercator.geojson", frame)
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("crs", None)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError, match="look projected.*--crs"):
        import_boundaries(sqlite_store, path)
    with pytest.raises(ValidationError, match="not a coordinate reference system"):
        import_boundaries(sqlite_store, path, crs="EPSG:nonsense")
    import_boundaries(sqlite_store, path, crs="EPSG:3857")
    assert areas(sqlite_store).iloc[0].geometry.equals_exact(WEST, tolerance=1e-5)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    bng = _bng(tmp_path, declare=False)
    result = CliRunner().invoke(main, ["import", "boundaries", "--store", url, str(bng),
                                       "--crs", "EPSG:27700", "--source", "Test wards",
                                       "--licence", "OGL v3"])
    assert result.exit_code == 0, result.output
    with SQLiteStore(tmp_path / "cli.db") as store:
        assert areas(store).iloc[0].geometry.equals_exact(WEST, tolerance=1e-5)
        assert [(s["source"], s["licence"]) for s in sources(store)] == [("Test wards", "OGL v3")]


def test_the_provider_on_every_store(tmp_path, store):
    """SQLite and Neo4j (the real Bolt server) keep the polygons alike."""
    empty = areas(store)
    assert empty.empty and list(empty.columns) == COLUMNS and not has_boundaries(store)
    import_boundaries(store, wards_2013(tmp_path))
    import_boundaries(store, lsoas_2011(tmp_path))
    assert area_levels(store) == ["lsoa", "ward"] and has_boundaries(store, "ward")
    wards = areas(store, "ward")
    assert list(wards["area_name"]) == ["West Ward", "East Ward"]
    assert wards.geometry.iloc[0].equals_exact(WEST, tolerance=1e-6)
    lsoas = areas(store, "lsoa")
    assert dict(zip(lsoas["area_code"], lsoas["parent"], strict=True))["E01000002"] == \
        "E05000002"


def test_copy_carries_boundaries_and_sources(tmp_path, sqlite_store):
    import_boundaries(sqlite_store, wards_2013(tmp_path), source="Test wards", licence="OGL v3")
    target = SQLiteStore(tmp_path / "copy.db")
    copy_store(sqlite_store, target)
    assert areas(target).drop(columns="geometry").equals(
        areas(sqlite_store).drop(columns="geometry"))
    assert sources(target) == sources(sqlite_store)
    assert attribution_text(target).startswith("Test wards (OGL v3).")
    target.close()


def test_default_source_and_no_trafford_in_a_fresh_stores_credit(tmp_path, sqlite_store):
    assert "Trafford" not in attribution_text(sqlite_store)
    import_boundaries(sqlite_store, wards_2013(tmp_path))
    (row,) = sources(sqlite_store)
    assert row["source"] == "Area boundaries from wards.geojson" and row["licence"] == NO_LICENCE


def test_a_map_with_no_boundaries_draws_without_error(tmp_path, sqlite_store):
    """The class of bug behind "The field tooltip is not available in the data": a layer with a
    tooltip and no features. With no polygons the map has no choropleth, and still renders."""
    sqlite_store.upsert_nodes([
        Node("W1", "Area", "Ward One", props={"level": "ward"}),
        Node("person:1", "Person", "Example One", area="W1"),
        Node("group:1", "Group", "Walking group", area="W1", lat=53.5, lon=-2.3)])
    counted = maps.people_by_area(sqlite_store, "ward")
    assert counted.attrs["boundaries"] == 0 and counted.geometry.isna().all()
    fmap = maps.area_map(counted, "people", maps.asset_frame(sqlite_store))
    page = fmap.get_root().render()
    assert "Walking group" in page
    no_assets = maps.area_map(counted, "people", None)
    no_assets.get_root().render()


def test_one_areas_outline_for_the_person_page(tmp_path, sqlite_store):
    """The Person page outlines a neighbourhood with the store's own polygon (never a home)."""
    from assetmap.graph.store.areas import area_shape, parse_geometry

    import_boundaries(sqlite_store, wards_2013(tmp_path))
    assert area_shape(sqlite_store, "E05000001").equals_exact(WEST, tolerance=1e-6)
    sqlite_store.upsert_nodes([Node("person:1", "Person", "Example One", area="E05000001")])
    assert area_shape(sqlite_store, "nowhere") is None and area_shape(sqlite_store, None) is None
    assert area_shape(sqlite_store, "person:1") is None
    assert parse_geometry("not json") is None and parse_geometry(None) is None
