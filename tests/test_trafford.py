"""The Trafford demo area: real boundaries, postcodes and community assets as graph records.

Expected counts are computed from the shipped source files, not typed in, so the tests check
the loader against the data rather than against itself.
"""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from assetmap import vocab
from assetmap.demo import trafford
from assetmap.graph.store.sqlite_store import SQLiteStore

DATA = trafford.DATA_DIR
ASSETS = DATA / "assets"


@pytest.fixture(scope="module")
def outline():
    """The borough polygon, read straight from the file (not through the loader)."""
    frame = gpd.read_file(DATA / "trafford_local_authority_2023_generalised.geojson")
    return frame.to_crs("EPSG:4326").geometry.union_all()


@pytest.fixture(scope="module")
def lsoa_polygons() -> dict:
    frame = gpd.read_file(DATA / "trafford_lsoa_2021_generalised.geojson").to_crs("EPSG:4326")
    return dict(zip(frame["area_code"], frame.geometry, strict=True))


@pytest.fixture(scope="module")
def raw_postcodes() -> pd.DataFrame:
    return pd.read_csv(DATA / "trafford_postcodes.csv", dtype=str)


@pytest.fixture(scope="module")
def areas():
    return trafford.area_nodes()


@pytest.fixture(scope="module")
def assets():
    nodes, ties = trafford.asset_nodes()
    return nodes, ties


def _by_layer(nodes, layer: str) -> list:
    return [n for n in nodes if n.props["layer"] == layer]


# --- boundaries ----------------------------------------------------------------------------


def test_boundaries_have_the_agreed_columns_crs_and_counts() -> None:
    expected = {"ward": 21, "lsoa": 139, "la": 1, "locality": 4}
    for level, n in expected.items():
        frame = trafford.boundaries(level)
        assert list(frame.columns) == ["area_code", "area_name", "level", "geometry"]
        assert frame.crs.to_epsg() == 4326
        assert len(frame) == n
        assert frame["area_code"].is_unique
        assert (frame["level"] == level).all()
        assert frame.geometry.is_valid.all()
    assert trafford.boundaries("la")["area_code"].tolist() == [trafford.LA_CODE]
    assert trafford.boundaries()["area_code"].str.match(r"^E05\d{6}$").all()
    assert trafford.boundaries("lsoa")["area_code"].str.match(r"^E01\d{6}$").all()


def test_boundaries_returns_a_copy_that_callers_cannot_corrupt() -> None:
    first = trafford.boundaries("ward")
    first.loc[:, "area_name"] = "changed"
    first["area_code"] = "X"
    again = trafford.boundaries("ward")
    assert "changed" not in set(again["area_name"]) and again["area_code"].is_unique


def test_unknown_boundary_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown boundary level"):
        trafford.boundaries("county")


# --- postcodes -------------------------------------------------------------------------------


def test_postcodes_are_all_inside_trafford_and_coded(outline, raw_postcodes) -> None:
    frame = trafford.postcodes()
    for col in ("postcode", "lat", "lon", "lsoa_code", "ward_code"):
        assert col in frame.columns
    assert frame["postcode"].is_unique
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    assert points.within(outline).all()
    # every raw row lies inside the borough, so none may be lost
    assert len(frame) == len(raw_postcodes.dropna(subset=["lat", "lon"]))
    assert set(frame["lsoa_code"]) == set(trafford.boundaries("lsoa")["area_code"])
    assert set(frame["ward_code"]) == set(trafford.boundaries("ward")["area_code"])


def test_postcodes_returns_a_copy() -> None:
    frame = trafford.postcodes()
    frame.loc[:, "lat"] = 0.0
    frame["postcode"] = "X"
    again = trafford.postcodes()
    assert (again["lat"] > 53).all() and again["postcode"].is_unique


@settings(max_examples=60, deadline=None)
@given(index=st.integers(min_value=0, max_value=11_000), lower=st.booleans(),
       spaces=st.sampled_from(["", " ", "  "]))
def test_any_spelling_of_a_trafford_postcode_geocodes_to_its_centroid(
        index: int, lower: bool, spaces: str) -> None:
    frame = trafford.postcodes()
    row = frame.iloc[index % len(frame)]
    outward, inward = row["postcode"].split(" ")
    typed = f"{outward}{spaces}{inward}"
    typed = typed.lower() if lower else typed
    assert trafford.normalise_postcode(typed) == row["postcode"]
    assert trafford.geocode_postcode(typed) == (row["lat"], row["lon"])


def test_postcodes_outside_trafford_or_malformed_do_not_geocode() -> None:
    assert trafford.geocode_postcode("M1 1AA") is None  # central Manchester
    assert trafford.geocode_postcode("not a postcode") is None
    assert trafford.geocode_postcode(None) is None
    assert trafford.normalise_postcode("wa14 1ah") == "WA14 1AH"


# --- areas -----------------------------------------------------------------------------------


def test_area_nodes_are_the_borough_its_wards_and_lsoas(areas) -> None:
    levels = collections.Counter(n.props["level"] for n in areas)
    assert levels == {"la": 1, "ward": 21, "lsoa": 139}
    ids = [n.id for n in areas]
    assert len(ids) == len(set(ids))
    for node in areas:
        node.validate()
        assert node.kind == vocab.AREA and node.name
    wards = {n.id for n in areas if n.props["level"] == "ward"}
    la = [n for n in areas if n.props["level"] == "la"][0]
    assert la.id == trafford.LA_CODE and la.props["parent"] is None
    assert all(n.props["parent"] == la.id for n in areas if n.props["level"] == "ward")
    assert all(n.props["parent"] in wards for n in areas if n.props["level"] == "lsoa")


def test_each_lsoa_parent_is_the_ward_holding_most_of_its_postcodes(areas, raw_postcodes) -> None:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for lsoa, ward in zip(raw_postcodes["lsoa_code"], raw_postcodes["ward_code"], strict=True):
        counts[lsoa][ward] += 1
    for node in (n for n in areas if n.props["level"] == "lsoa"):
        top = max(counts[node.id].values())
        assert counts[node.id][node.props["parent"]] == top


def test_area_points_lie_inside_their_own_polygon(areas) -> None:
    polygons = {}
    for level in ("la", "ward", "lsoa"):
        frame = trafford.boundaries(level)
        polygons.update(zip(frame["area_code"], frame.geometry, strict=True))
    for node in areas:
        assert polygons[node.id].contains(Point(node.lon, node.lat)), node.id


# --- assets ----------------------------------------------------------------------------------


def test_every_asset_validates_is_unique_and_lies_in_trafford(assets, outline, areas,
                                                              lsoa_polygons) -> None:
    nodes, ties = assets
    assert ties == []
    ids = [n.id for n in nodes]
    assert len(ids) == len(set(ids))
    lsoa_ids = {n.id for n in areas if n.props["level"] == "lsoa"}
    outside_own_lsoa = 0
    for node in nodes:
        node.validate()
        assert node.kind in vocab.ASSET_KINDS
        assert node.name.strip()
        assert outline.covers(Point(node.lon, node.lat)), node.id
        assert node.area in lsoa_ids, node.id
        if not lsoa_polygons[node.area].covers(Point(node.lon, node.lat)):
            outside_own_lsoa += 1  # only on a generalised border, assigned to the nearest
    assert outside_own_lsoa <= len(nodes) * 0.01


def test_asset_ids_and_records_are_stable_between_loads() -> None:
    first = [(n.id, n.area, n.lat, n.lon, json.dumps(n.props, sort_keys=True))
             for n in trafford.asset_nodes()[0]]
    trafford.clear_caches()
    second = [(n.id, n.area, n.lat, n.lon, json.dumps(n.props, sort_keys=True))
              for n in trafford.asset_nodes()[0]]
    assert first == second
    assert all(re.fullmatch(r"(org|group):[a-z_]+:[A-Za-z0-9_.:-]+", i) for i, *_ in first)


def test_asset_nodes_returns_copies(assets) -> None:
    nodes, _ = trafford.asset_nodes()
    nodes[0].props["activities"].append("not-a-word")
    nodes[0].name = "changed"
    again, _ = trafford.asset_nodes()
    assert again[0].name != "changed"
    assert "not-a-word" not in again[0].props["activities"]


def test_gp_practices_match_the_source_and_carry_registered_patients(assets) -> None:
    gps = _by_layer(assets[0], "gp_practices")
    source = pd.read_csv(ASSETS / "general_practice" / "trafford_general_practices.csv")
    regs = pd.read_csv(ASSETS / "general_practice_patient_registrations"
                       / "trafford_gp_patient_registrations.csv", dtype={"practice_code": str})
    assert len(gps) == len(source)
    patients = dict(zip(regs["practice_code"], regs["registered_patients"], strict=True))
    for node in gps:
        assert node.props["org_kind"] == "gp_practice"
        assert node.id == f"org:gp:{node.props['practice_code']}"
        assert node.props["registered_patients"] == patients[node.props["practice_code"]]
        assert "health_advice" in node.props["needs"]


@pytest.mark.parametrize(("layer", "path", "org_kind", "activities", "needs"), [
    ("libraries", "libraries/trafford_libraries.csv", "library",
     {"reading", "digital", "learning"}, set()),
    ("food_banks", "food_banks/trafford_food_banks.geojson", "food_bank", set(), {"food"}),
    ("pharmacies", "pharmacies/trafford_pharmacies.geojson", "pharmacy", set(),
     {"health_advice"}),
    ("childrens_centres", "childrens_centres/trafford_childrens_centres.csv", "childrens_centre",
     set(), {"young_people"}),
])
def test_whole_layers_are_all_loaded_with_their_defaults(assets, layer, path, org_kind,
                                                         activities, needs) -> None:
    file = ASSETS / path
    source = gpd.read_file(file) if file.suffix == ".geojson" else pd.read_csv(file)
    nodes = _by_layer(assets[0], layer)
    assert len(nodes) == len(source)
    for node in nodes:
        assert node.kind == vocab.ORGANISATION
        assert node.props["org_kind"] == org_kind
        assert activities <= set(node.props["activities"])
        assert needs <= set(node.props["needs"])


def test_sports_clubs_are_groups_geocoded_by_postcode(assets, raw_postcodes) -> None:
    clubs = _by_layer(assets[0], "sports_clubs")
    source = pd.read_csv(ASSETS / "sports_clubs" / "sports_clubs.csv")
    known = set(raw_postcodes["postcode"])
    assert len(clubs) == source["postcode"].str.upper().str.strip().isin(known).sum()
    centroid = {r.postcode: (float(r.lat), float(r.lon)) for r in raw_postcodes.itertuples()}
    for node in clubs:
        assert node.kind == vocab.GROUP and node.id.startswith("group:sport:")
        assert (node.lat, node.lon) == pytest.approx(centroid[node.props["postcode"]])
        assert node.props["activities"] and "physical_activity" in node.props["needs"]
    bowls = [n for n in clubs if n.props["category"] == "Bowling"]
    assert bowls and all("bowls" in n.props["activities"] for n in bowls)


def test_only_mental_health_services_inside_trafford_are_kept(assets, outline) -> None:
    source = gpd.read_file(ASSETS / "mental_health" / "trafford_mental_health_services.geojson")
    inside = source.to_crs("EPSG:4326").within(outline)
    assert 0 < inside.sum() < len(source)
    nodes = _by_layer(assets[0], "mental_health")
    assert len(nodes) == inside.sum()
    assert all("mental_health" in n.props["needs"] for n in nodes)
    assert {n.props["org_kind"] for n in nodes} <= {"mental_health_service", "carers_centre"}


def test_charities_are_those_whose_contact_postcode_is_in_trafford(assets, raw_postcodes) -> None:
    source = pd.read_csv(ASSETS / "charities" / "charities_operating_in_trafford.csv",
                         dtype=str)
    postcodes = source["charity_contact_postcode"].map(trafford.normalise_postcode)
    in_trafford = source[postcodes.isin(set(raw_postcodes["postcode"]))]
    nodes = _by_layer(assets[0], "charities")
    numbers = {n.props["charity_number"] for n in nodes}
    assert numbers <= set(in_trafford["registered_charity_number"])
    # only exact repeats of a name at one place are merged
    assert len(nodes) >= in_trafford["charity_contact_postcode"].size - \
        in_trafford.duplicated(["charity_name", "charity_contact_postcode"]).sum()
    carers = [n for n in nodes if n.props["org_kind"] == "carers_centre"]
    assert carers and all("carer_support" in n.props["needs"] for n in carers)


def test_repeated_polygons_of_one_place_of_worship_become_one_node(assets) -> None:
    source = gpd.read_file(ASSETS / "places_of_worship" / "trafford_places_of_worship.geojson")
    nodes = _by_layer(assets[0], "places_of_worship")
    assert source["DISTNAME"].nunique() <= len(nodes) < len(source)
    assert all("faith" in n.props["activities"] for n in nodes)


def test_tags_use_only_vocabulary_words(assets) -> None:
    for node in assets[0]:
        props = node.props
        assert set(props["activities"]) <= set(vocab.INTERESTS)
        assert set(props["needs"]) <= set(vocab.NEEDS)
        assert props["activities"] == sorted(props["activities"])
        assert props["status"] in vocab.GROUP_STATUSES
        assert isinstance(props["user_led"], bool)
        assert props["layer"] in trafford.LAYERS and props["source"]
        if node.kind == vocab.ORGANISATION:
            assert props["org_kind"] in vocab.ORGANISATION_KINDS
            assert props["funding"] in vocab.FUNDING_STATUSES


def test_user_led_is_set_only_where_the_text_says_so(assets) -> None:
    led = [n for n in assets[0] if n.props["user_led"]]
    assert led
    for node in led:
        text = (node.props.get("description") or "").lower()
        assert re.search(r"user[- ]led|peer[- ]led|run by and for|member[- ]led|run by .*members"
                         r"|self[- ]help group", text), node.id


def test_contact_details_are_organisational(assets) -> None:
    generic = ("info", "enquir", "admin", "office", "contact", "hello", "team", "mail",
               "reception", "booking", "help", "support", "librar", "foodbank", "church",
               "parish", "centre", "center", "club", "secretary", "general", "service",
               "charity", "trust", "clerk")
    for node in assets[0]:
        email = node.props.get("email")
        if email:
            local = email.split("@")[0]
            assert any(word in local for word in generic), node.id
        phone = node.props.get("telephone")
        if phone:
            assert re.fullmatch(r"0[\d ]{10,12}", phone), node.id
            if node.props["layer"] in ("charities", "sport_facilities", "leisure_centres"):
                assert not phone.startswith("07"), node.id


def test_assets_load_into_a_real_store_and_read_back_by_ward(tmp_path: Path, areas,
                                                             assets) -> None:
    nodes, _ = assets
    with SQLiteStore(tmp_path / "trafford.db") as store:
        store.upsert_nodes(areas)
        store.upsert_nodes(nodes)
        assert store.count(vocab.AREA) == len(areas)
        assert store.count(vocab.ORGANISATION) + store.count(vocab.GROUP) == len(nodes)
        gp = store.get("org:gp:P91003")
        assert gp is not None and gp.props["registered_patients"] > 0
        ward = next(n for n in areas if n.props["level"] == "ward")
        lsoas = {n.id for n in areas if n.props.get("parent") == ward.id}
        graph = store.to_networkx(area=ward.id, kinds=vocab.ASSET_KINDS)
        expected = {n.id for n in nodes if n.area in lsoas}
        assert expected and set(graph.nodes) == expected


def test_attribution_and_readme_cover_every_shipped_file() -> None:
    assert "Open Government Licence" in trafford.ATTRIBUTION
    assert "Crown copyright" in trafford.ATTRIBUTION
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in DATA.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert path.name in readme, path.name
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert size < 4 * 1024 * 1024
