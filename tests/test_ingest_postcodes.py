"""Offline postcode lookups as councils have them (ONS CSV, OS Code-Point Open with no header in
British National Grid, gzipped), kept in the store for later imports and copies, and placing
records in areas. The normaliser itself: test_postcode_normaliser.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assetmap.errors import ValidationError
from assetmap.ingest.boundaries import import_boundaries
from assetmap.ingest.postcodes import PostcodeLookup, import_postcodes, stored_lookup
from assetmap.model import Node


def write_lookup(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def test_lookup_with_lat_lon_and_terminated(tmp_path):
    f = write_lookup(tmp_path / "pc.csv", ["pcds", "lat", "long", "lsoa21cd", "osward", "doterm"],
                     [["M15 4AB", 53.465578, -2.26046, "E01034001", "E05015247", ""],
                      ["M15 4ZZ", 53.46, -2.26, "E01034001", "E05015247", "202001"],
                      ["M15 4ZY", 99.999999, 0, "", "", ""]])
    lookup = PostcodeLookup.from_csv(f)
    assert len(lookup) == 3
    entry, problem = lookup.check("m154ab")
    assert problem is None and entry.lsoa == "E01034001" and entry.lat == pytest.approx(53.465578)
    assert "terminated" in lookup.check("M15 4ZZ")[1]
    assert "no location" in lookup.check("M15 4ZY")[1]
    assert "not in the postcode lookup" in lookup.check("M1 1AA")[1]
    assert "format" in lookup.check("nonsense")[1]


def test_lookup_with_osgb_easting_northing(tmp_path):
    from pyproj import Transformer

    lat, lon = 53.465578, -2.26046
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    assert 370_000 < e < 400_000 and 390_000 < n < 410_000  # Manchester on the National Grid
    f = write_lookup(tmp_path / "pc.csv", ["pcd", "oseast1m", "osnrth1m"],
                     [["M15 4AB", round(e), round(n)]])
    entry = PostcodeLookup.from_csv(f).get("M15 4AB")
    assert entry.lat == pytest.approx(lat, abs=2e-5) and entry.lon == pytest.approx(lon, abs=2e-5)


def test_lookup_without_postcode_or_location_columns_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="no postcode column"):
        PostcodeLookup.from_csv(write_lookup(tmp_path / "a.csv", ["code", "lat", "lon"], []))
    with pytest.raises(ValidationError, match="neither lat/long"):
        PostcodeLookup.from_csv(write_lookup(tmp_path / "b.csv", ["postcode", "ward"], []))


def _square(x0: float, y0: float, size: float) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_import_postcodes_places_records_and_reports_unknown(tmp_path, sqlite_store):
    f = write_lookup(tmp_path / "pc.csv", ["postcode", "lat", "lon", "lsoa_code", "doterm"],
                     [["M15 4AB", 53.465578, -2.26046, "E01034001", ""],
                      ["M15 4ZZ", 53.46, -2.26, "E01034001", "2020-01"]])
    sqlite_store.upsert_nodes([
        Node("person:1", "Person", "A", props={"postcode": "M15 4AB"}),
        Node("person:2", "Person", "B", props={"postcode": "M15 4ZZ"}),
        Node("person:3", "Person", "C", props={"postcode": "ZZ99 1ZZ"}),
        Node("group:1", "Group", "G", props={"postcode": "m154ab"}),
        Node("person:4", "Person", "D")])
    result = import_postcodes(sqlite_store, f)
    assert (result.lookup.read, result.kept) == (2, 2)
    rep = result.placed
    assert (rep.read, rep.written, rep.rejected) == (4, 3, 1)
    assert rep.rejections[0].where == "record person:3"
    assert "ZZ99" not in rep.rejections[0].reason
    assert any(n.where == "record person:2" and "terminated" in n.reason for n in rep.notes)
    assert sqlite_store.get("person:1").area == "E01034001"
    assert sqlite_store.get("group:1").lat == pytest.approx(53.465578)
    assert sqlite_store.get("person:4").lat is None


def test_records_are_placed_by_spatial_join_where_the_lookup_has_no_lsoa(tmp_path, sqlite_store):
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LSOA21CD": "E01000001", "LSOA21NM": "West"},
         "geometry": _square(-2.30, 53.44, 0.04)},
        {"type": "Feature", "properties": {"LSOA21CD": "E01000002", "LSOA21NM": "East"},
         "geometry": _square(-2.26, 53.44, 0.04)}]}
    (tmp_path / "areas.geojson").write_text(json.dumps(areas), encoding="utf-8")
    assert import_boundaries(sqlite_store, tmp_path / "areas.geojson").written == 2
    f = write_lookup(tmp_path / "pc.csv", ["pcds", "lat", "long"],
                     [["M15 4AB", 53.46, -2.25], ["M15 4AD", 53.46, -2.29],
                      ["M15 4AE", 52.0, -1.0]])
    sqlite_store.upsert_nodes([
        Node("person:e", "Person", "E", props={"postcode": "M15 4AB"}),
        Node("person:w", "Person", "W", props={"postcode": "M15 4AD"}),
        Node("person:far", "Person", "F", props={"postcode": "M15 4AE"})])
    rep = import_postcodes(sqlite_store, f, dry_run=True).placed
    assert rep.written == 3 and sqlite_store.get("person:e").area is None
    assert sqlite_store.count_postcodes() == 0  # a dry run keeps nothing
    rep = import_postcodes(sqlite_store, f).placed
    assert sqlite_store.get("person:e").area == "E01000002"
    assert sqlite_store.get("person:w").area == "E01000001"
    assert sqlite_store.get("person:far").area is None
    assert any(n.where == "record person:far" for n in rep.notes)


# --- files as councils have them (issue 11) ------------------------------------------------------

#: Real OS Code-Point Open rows (postcode, quality, easting, northing), copied from
#: ../shared/data/salford/codepoint_open_M.csv.gz: Salford, and two Trafford postcodes whose
#: WGS84 centroids the ONS gives independently (assetmap/demo/data/trafford_postcodes.csv).
CODEPOINT_ROWS = [
    "M5 4WT,10,382137,398564",
    "M6 5FX,10,381204,399108",
    "M7 1AA,10,382755,399906",
    "M27 5AD,10,377856,401495",
    "M30 0AA,10,377740,398497",
    "M41 0AA,10,376635,394934",
    "M41 0AB,10,376532,394754",
]
#: The ONS postcode directory's centroids for the two Trafford postcodes.
ONS_LATLON = {"M41 0AA": (53.450643, -2.353289), "M41 0AB": (53.449021, -2.354827)}


def write_codepoint(path: Path, rows: list[str] = CODEPOINT_ROWS) -> Path:
    """A header-less Code-Point Open file, gzipped as OS ships it."""
    import gzip

    with gzip.open(path, "wt", encoding="ascii", newline="") as fh:
        fh.write("\r\n".join(rows) + "\r\n")
    return path


def test_codepoint_open_without_a_header_is_recognised_and_reprojected(tmp_path):
    lookup = PostcodeLookup.from_csv(write_codepoint(tmp_path / "m.csv.gz"))
    assert len(lookup) == len(CODEPOINT_ROWS)
    for pc, (lat, lon) in ONS_LATLON.items():
        entry = lookup.get(pc)
        assert entry.lat == pytest.approx(lat, abs=1e-4)
        assert entry.lon == pytest.approx(lon, abs=1e-4)
    salford = lookup.get("m5 4wt")
    assert 53.4 < salford.lat < 53.6 and -2.4 < salford.lon < -2.2


def test_columns_name_a_headerless_file_that_is_not_codepoint(tmp_path):
    f = tmp_path / "pc.csv"
    f.write_text("382137,398564,M5 4WT,E05000705\n377856,401495,M27 5AD,E05000700\n",
                 encoding="utf-8")
    with pytest.raises(ValidationError, match="--columns"):
        PostcodeLookup.from_csv(f)
    lookup = PostcodeLookup.from_csv(f, columns="easting,northing,postcode,ward")
    assert lookup.get("M5 4WT").ward == "E05000705"
    assert lookup.get("M27 5AD").lat == pytest.approx(53.5097, abs=1e-3)
    with pytest.raises(ValidationError, match="not a postcode lookup column"):
        PostcodeLookup.from_csv(f, columns="easting,northing,postcode,colour")


def test_projected_values_in_lat_lon_columns_get_a_hint_and_crs_fixes_them(tmp_path):
    f = write_lookup(tmp_path / "pc.csv", ["postcode", "lat", "lon"],
                     [["M41 0AA", 394934, 376635], ["M41 0AB", 394754, 376532]])
    with pytest.raises(ValidationError, match="look like projected.*--crs EPSG:27700"):
        PostcodeLookup.from_csv(f)
    g = write_lookup(tmp_path / "en.csv", ["postcode", "x", "y"],
                     [["M41 0AA", 376635, 394934], ["M41 0AB", 376532, 394754]])
    entry = PostcodeLookup.from_csv(g, crs="EPSG:27700").get("M41 0AA")
    assert entry.lat == pytest.approx(ONS_LATLON["M41 0AA"][0], abs=1e-4)
    with pytest.raises(ValidationError, match="not a coordinate reference system"):
        PostcodeLookup.from_csv(g, crs="EPSG:999999")


def test_conflicting_duplicates_are_reported_never_last_one_wins(tmp_path):
    from assetmap.ingest.report import ImportReport

    rows = [*CODEPOINT_ROWS, "M5 4WT,10,382137,398564",  # identical repeat: collapses
            "M6 5FX,10,390000,399108"]                    # a different place: a conflict
    report = ImportReport("postcodes", "m.csv.gz")
    lookup = PostcodeLookup.from_csv(write_codepoint(tmp_path / "m.csv.gz", rows), report=report)
    assert lookup.get("M6 5FX") is None  # neither the first nor the last place is trusted
    assert lookup.get("M5 4WT") is not None
    assert report.rejected == 2
    (conflict,) = report.rejections
    assert conflict.where == "line 9" and "lines 2 and 9" in conflict.reason


def _people_csv(path: Path) -> Path:
    path.write_text("name,postcode\nAnn Example,M5 4WT\nBob Example,m27 5ad\n"
                    "Cy Example,ZZ99 1ZZ\n", encoding="utf-8")
    return path


def test_the_lookup_is_kept_and_places_a_later_import_after_reopening(tmp_path):
    from assetmap.graph.store import open_store
    from assetmap.graph.store.copy import copy_url
    from assetmap.ingest.spreadsheet import import_spreadsheet

    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = open_store(url)
    try:
        result = import_postcodes(store, write_codepoint(tmp_path / "m.csv.gz"))
        assert result.kept == store.count_postcodes() == len(CODEPOINT_ROWS)
        assert store.count() == 0  # postcodes are not records of the network
    finally:
        store.close()
    copy_url(url, f"sqlite:///{tmp_path / 'b.db'}")
    for name in ("a.db", "b.db"):  # the store reopened, and its copy
        store = open_store(f"sqlite:///{tmp_path / name}")
        try:
            lookup = stored_lookup(store)
            assert len(lookup) == len(CODEPOINT_ROWS)
            import_spreadsheet(store, _people_csv(tmp_path / "people.csv"), "people")
            placed = [n for n in store.nodes() if n.lat is not None]
            assert len(placed) == 2 and store.count("Person") == 3
            assert store.to_networkx().number_of_nodes() == 3
        finally:
            store.close()


def test_cli_keeps_the_lookup_and_says_so_in_a_new_process(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'a.db'}"
    env = {"ASSETMAP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "assetmap.cli", *args], capture_output=True,
                             text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    gz = write_codepoint(tmp_path / "m.csv.gz", [*CODEPOINT_ROWS, "M6 5FX,10,390000,399108"])
    out = cli("import", "postcodes", "--store", url, "--columns",
              "postcode,quality,easting,northing", "--report", str(tmp_path / "r.csv"), str(gz))
    assert "kept 6 postcodes in the store's lookup, rejected 2" in out
    with (tmp_path / "r.csv").open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["status"] == "rejected" and row["where"] == "line 8"
    assert "M6 5FX is given at lines 2 and 8 with different places" in row["reason"]
    out = cli("import", "spreadsheet", "--store", url, "--kind", "people",
              str(_people_csv(tmp_path / "people.csv")))
    assert "placed 2 of 3 people using the store's postcode lookup (6 postcodes)" in out


def test_the_lookup_survives_a_copy_to_the_bolt_server(tmp_path, sqlite_store, bolt_server):
    from bolt_server import open_bolt_store, wipe

    from assetmap.graph.store.copy import copy_store

    import_postcodes(sqlite_store, write_codepoint(tmp_path / "m.csv.gz"))
    wipe(bolt_server)
    bolt = open_bolt_store(bolt_server)
    try:
        result = copy_store(sqlite_store, bolt)
        assert result["postcodes"] == len(CODEPOINT_ROWS) == bolt.count_postcodes()
        assert bolt.count() == 0 and bolt.to_networkx().number_of_nodes() == 0
        assert list(bolt.postcodes("M41")) == list(sqlite_store.postcodes("M41"))
        assert stored_lookup(bolt).get("M41 0AA").lat == pytest.approx(53.450643, abs=1e-4)
    finally:
        bolt.close()


def test_codepoint_with_all_ten_columns_gives_the_ward(tmp_path):
    rows = ["M5 4WT,10,382137,398564,E92000001,E19000001,E18000002,,E08000006,E05000705"]
    lookup = PostcodeLookup.from_csv(write_codepoint(tmp_path / "full.csv.gz", rows))
    assert lookup.get("M5 4WT").ward == "E05000705"


def test_every_store_keeps_a_lookup_apart_from_the_network(store):
    """The store side, on SQLite and the Bolt server alike: replace by postcode, one district
    at a time, all or nothing in a transaction, and never a node of the network."""
    store.upsert_nodes([Node("person:1", "Person", "A")])
    v0 = store.version()
    rows = [("M5 4WT", 53.48, -2.27, None, "E05000705", False),
            ("M50 1AA", 53.47, -2.29, "E01005000", None, True),
            ("M41 0AA", 53.450643, -2.353289, "E01006198", "E05015259", False)]
    assert store.upsert_postcodes(rows) == 3
    assert store.version() > v0
    store.upsert_postcodes([("M5 4WT", 53.5, -2.2, None, None, False)])  # replaced, not added
    assert store.count_postcodes() == 3
    assert [r[0] for r in store.postcodes()] == ["M41 0AA", "M5 4WT", "M50 1AA"]
    assert list(store.postcodes("M5")) == [("M5 4WT", 53.5, -2.2, None, None, False)]
    assert list(store.postcodes("M50"))[0][5] is True
    assert store.count() == 1 and store.to_networkx().number_of_nodes() == 1
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_postcodes([("M7 1AA", 53.49, -2.26, None, None, False)])
            raise RuntimeError("an import failed")
    assert store.count_postcodes() == 3
