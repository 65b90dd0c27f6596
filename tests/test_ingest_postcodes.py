"""Postcode normalisation, offline lookups (lat/lon and OSGB36) and placing records in areas."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmap.errors import ValidationError
from assetmap.ingest.boundaries import import_boundaries
from assetmap.ingest.postcodes import PostcodeLookup, import_postcodes, normalise_postcode
from assetmap.model import Node

PCDS = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


@pytest.mark.parametrize("raw, expected", [
    ("m15 4ab", "M15 4AB"), ("M154AB", "M15 4AB"), ("  m 1 5 4 a b ", "M15 4AB"),
    ("M32 8RY", "M32 8RY"), ("wa14 1aa", "WA14 1AA"), ("EC1A1BB", "EC1A 1BB"),
    ("W1A 0AX", "W1A 0AX"), ("", None), ("M15", None), ("not a postcode", None),
    ("M15 4A", None), ("1M5 4AB", None), (None, None), (1234, None)])
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


outward = st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]?\Z")
inward = st.from_regex(r"\A[0-9][A-Z]{2}\Z")


@given(outward, inward, st.lists(st.sampled_from([" ", "\t", ""]), min_size=0, max_size=3),
       st.booleans())
def test_any_spelling_of_a_postcode_normalises_to_one_form(out, inw, gaps, lower):
    canonical = f"{out} {inw}"
    spelt = "".join(gaps) + out + "".join(gaps) + inw
    spelt = spelt.lower() if lower else spelt
    assert normalise_postcode(spelt) == canonical
    assert normalise_postcode(canonical) == canonical


@given(st.text(max_size=20))
def test_normalise_is_none_or_canonical_and_idempotent(text):
    got = normalise_postcode(text)
    assert got is None or (PCDS.match(got) and normalise_postcode(got) == got)


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
    rep = import_postcodes(sqlite_store, f)
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
    rep = import_postcodes(sqlite_store, f, dry_run=True)
    assert rep.written == 3 and sqlite_store.get("person:e").area is None
    rep = import_postcodes(sqlite_store, f)
    assert sqlite_store.get("person:e").area == "E01000002"
    assert sqlite_store.get("person:w").area == "E01000001"
    assert sqlite_store.get("person:far").area is None
    assert any(n.where == "record person:far" for n in rep.notes)
