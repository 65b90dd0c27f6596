"""Area counts and the folium map: counts add up, small numbers are suppressed, wards roll up
their LSOAs, and the map's HTML holds no person's name or location and escapes asset text."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap.demo import trafford
from assetmap.governance import privacy
from assetmap.graph.store.areas import geometry_text
from assetmap.graph.store.sources import attribution_text, record_source
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node
from assetmap.render import maps

LA = "E08000009"
XSS_NAME = "<img src=x onerror=alert(1)>"
PERSON_LAT, PERSON_LON = 53.4123457, -2.3198761


def _real_areas() -> tuple[list[str], dict[str, list[str]]]:
    """Two real Trafford wards and (up to) three of their LSOAs each, from the postcode look-up."""
    pc = trafford.postcodes()
    wards = sorted(pc["ward_code"].dropna().unique())[:2]
    lsoas = {w: sorted(pc.loc[pc["ward_code"] == w, "lsoa_code"].dropna().unique())[:3]
             for w in wards}
    return wards, lsoas


def build_store(path: Path, people_per_lsoa: list[int], carers_per_lsoa: list[int]
                ) -> tuple[SQLiteStore, dict[str, list[str]]]:
    """A real SQLite store: the borough, two wards, their LSOAs, people and a few assets."""
    wards, lsoas = _real_areas()
    names = trafford.boundaries("ward").set_index("area_code")["area_name"]
    # The polygons live in the store, on each Area (as assetmap import boundaries writes them).
    shapes = {**trafford.boundaries("ward").set_index("area_code")["geometry"].to_dict(),
              **trafford.boundaries("lsoa").set_index("area_code")["geometry"].to_dict()}
    nodes = [Node(LA, "Area", "Trafford", props={"level": "la"})]
    nodes += [Node(w, "Area", names[w], props={"level": "ward", "parent": LA, "vintage": "2023",
                                                "geometry": geometry_text(shapes[w])})
              for w in wards]
    all_lsoas = [code for w in wards for code in lsoas[w]]
    nodes += [Node(code, "Area", f"LSOA {code}",
                   props={"level": "lsoa", "parent": w, "vintage": "2021",
                          "geometry": geometry_text(shapes[code])})
              for w in wards for code in lsoas[w]]
    i = 0
    for code, n_people, n_carers in zip(all_lsoas, people_per_lsoa, carers_per_lsoa,
                                        strict=False):
        for j in range(n_people):
            nodes.append(Node(
                f"person:s{i:06d}", "Person", f"Zebedee Quill {i}", area=code,
                lat=PERSON_LAT, lon=PERSON_LON,
                props={"roles": ["carer"] if j < n_carers else [],
                       "lonely": "often_always" if j % 2 else "never",
                       "disability": "limited_a_lot" if j % 3 == 0 else "none",
                       "synthetic": True}))
            i += 1
    first = all_lsoas[0]
    nodes += [
        Node("group:xss", "Group", XSS_NAME, area=first, lat=53.43, lon=-2.33,
             props={"activities": ["walking"], "needs": ["loneliness"], "cost": "free",
                    "website": "javascript:alert(1)", "opening_times": "Tuesdays 10:00"}),
        Node("group:choir", "Group", "Sale Community Choir", area=first, lat=53.42, lon=-2.32,
             props={"activities": ["singing"]}),
        Node("org:gp:P1", "Organisation", "Example Surgery", area=first, lat=53.44, lon=-2.31,
             props={"org_kind": "gp_practice", "website": "https://example.org/surgery",
                    "telephone": "0161 000 0000", "address": "1 High Street",
                    "postcode": "M33 7ZZ"}),
        Node("org:lib:1", "Organisation", "Example Library", area=first, lat=53.45, lon=-2.30,
             props={"org_kind": "library"}),
    ]
    store = SQLiteStore(path)
    store.upsert_nodes(nodes)
    return store, lsoas


PEOPLE = [30, 3, 0, 12, 7, 50]
CARERS = [9, 3, 0, 2, 7, 20]


@pytest.fixture
def small_store(tmp_path: Path):
    store, lsoas = build_store(tmp_path / "assetmap.db", PEOPLE, CARERS)
    yield store, lsoas
    store.close()


def test_ward_counts_roll_up_their_lsoas(small_store) -> None:
    store, lsoas = small_store
    by_lsoa = maps.people_by_area(store, "lsoa").set_index("area_code")
    by_ward = maps.people_by_area(store, "ward").set_index("area_code")
    assert set(by_ward.index) == set(lsoas)
    for ward, codes in lsoas.items():
        for key in ("people", "carers", "lonely", "disabled"):
            assert by_ward.loc[ward, key] == by_lsoa.loc[codes, key].sum()
    assert by_ward["people"].sum() == sum(PEOPLE) == store.count("Person")
    assert by_ward["carers"].sum() == sum(CARERS)
    assert by_ward.attrs["unplaced"] == 0
    # Real codes get their real boundary.
    assert by_ward.geometry.notna().all()
    assert str(by_ward.crs) == "EPSG:4326"


def test_published_counts_are_suppressed_and_rounded(small_store) -> None:
    store, _ = small_store
    by_lsoa = maps.people_by_area(store, "lsoa")
    assert "isolated" not in maps.available_measures(by_lsoa)  # only with extra counts
    for key in maps.available_measures(by_lsoa):
        for raw, published, masked in zip(by_lsoa[key], by_lsoa[f"{key}_published"],
                                          by_lsoa[f"{key}_masked"], strict=True):
            assert published == privacy.publish_count(raw)
            if 1 <= raw <= 7:
                assert published == "<8"
                assert pd.isna(masked)
            else:
                assert published != "<8" and int(published) % 5 == 0
                assert int(published) == masked
                assert not 1 <= int(published) <= 7
    row = by_lsoa.set_index("area_code")
    assert (row["people_published"] == "<8").sum() == sum(1 <= n <= 7 for n in PEOPLE)


def test_isolation_counts_join_the_area_counts(small_store) -> None:
    from assetmap.graph.analysis.isolation import isolated_people
    from assetmap.model import Tie

    store, lsoas = small_store
    # Two people become friends and one joins a group: they are no longer isolated.
    store.upsert_ties([Tie("person:s000000", "person:s000001", "FRIEND"),
                       Tie("person:s000002", "group:choir", "ATTENDS")])
    extra = maps.isolation_counts(isolated_people(store.to_networkx()))
    wards = maps.people_by_area(store, "ward", extra=extra).set_index("area_code")
    assert {"isolated", "no_community_ties", "at_risk"} <= set(maps.available_measures(wards))
    first_ward = next(iter(lsoas))
    assert wards["isolated"].sum() == sum(PEOPLE) - 3
    assert wards.loc[first_ward, "isolated"] == wards.loc[first_ward, "people"] - 3
    assert wards["at_risk"].sum() == 3  # one community tie each
    assert (wards["no_community_ties"] == wards["isolated"]).all()  # no one has services
    assert wards["isolated_published"].map(lambda v: v == "<8" or v == "0"
                                           or int(v) % 5 == 0).all()


def test_graph_and_store_give_the_same_counts(small_store) -> None:
    store, _ = small_store
    from_store = maps.people_by_area(store, "ward")
    from_graph = maps.people_by_area(store.to_networkx(), "ward")
    cols = [c for c in from_store.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(from_store[cols]), pd.DataFrame(from_graph[cols]))


def test_published_table_holds_only_published_values(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "lsoa")
    table = maps.published_table(areas)
    assert list(table.columns) == ["Area code", "Area", *(maps.MEASURES[k].label for k in
                                                          maps.available_measures(areas))]
    assert table["People"].tolist() == areas["people_published"].tolist()
    csv = table.to_csv(index=False)
    for value in table.iloc[:, 2:].to_numpy().ravel():
        assert value == "0" or value == "<8" or int(value) % 5 == 0
    assert "Zebedee" not in csv


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=300))
def test_counts_add_up_and_never_publish_small_numbers(assignments: list[int]) -> None:
    areas = pd.DataFrame({
        "area_code": ["W1", "W2", "L0", "L1", "L2", "L3", "L4", "L5"],
        "area_name": ["Ward one", "Ward two", *(f"L{i}" for i in range(6))],
        "level": ["ward", "ward", *["lsoa"] * 6],
        "parent": [None, None, "W1", "W1", "W1", "W2", "W2", "W2"],
    })
    people = pd.DataFrame({"area": [f"L{a}" for a in assignments]})
    for key in maps.MEASURES:
        if key != "people":
            people[key] = [i % 3 == 0 for i in range(len(assignments))]
    wards = maps.count_people(people, areas, "ward")
    assert wards["people"].sum() == len(assignments)
    assert wards.loc[wards.area_code == "W1", "people"].item() == sum(a < 3 for a in assignments)
    for key in maps.MEASURES:
        for value in wards[f"{key}_published"]:
            assert value in {"0", "<8"} or (int(value) >= 8 and int(value) % 5 == 0)


def test_summary_text_uses_published_counts(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "lsoa")
    text = maps.summary_text(areas, "people")
    top = areas.sort_values("people_masked", ascending=False).iloc[0]
    assert f"Highest: {top['area_name']}, about {top['people_published']} people" in text
    suppressed = int(areas["people_masked"].isna().sum())
    assert f"{suppressed} area" in text
    # A raw count between 1 and 7 never appears as a number.
    for n in range(1, 8):
        assert not re.search(rf"about {n}\b", text)


def test_share_of_people_uses_published_counts_only(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "lsoa")
    shares = maps.share_of_people(areas, "carers")
    for row, pct in zip(areas.itertuples(), shares, strict=True):
        if pd.isna(row.carers_masked) or not row.people_masked:
            assert pd.isna(pct)
        else:
            assert pct == round(100 * row.carers_masked / row.people_masked, 1)
    text = maps.summary_text(areas, "carers", share=True)
    best = areas.assign(s=shares).dropna(subset=["s"]).sort_values("s").iloc[-1]
    assert text.startswith(f"Highest share: {best['area_name']}, about {best['s']:g}%")
    fmap = maps.area_map(areas, "carers", share=True)
    choropleth = next(c for c in fmap._children.values() if isinstance(c, folium.GeoJson))
    values = sorted(f["properties"]["value"] for f in choropleth.data["features"]
                    if f["properties"]["value"] is not None)
    assert values == sorted(shares.dropna().tolist())


def _render(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def _features(layer: folium.GeoJson) -> list[dict]:
    """A map layer's features: an asset layer's (:class:`maps.AssetPoints`, sent as compact
    rows) or an area layer's GeoJSON."""
    if isinstance(layer, maps.AssetPoints):
        assert not layer.data["features"]  # folium writes none: the rows carry them
        return layer.features["features"]
    return layer.data["features"]


def _asset_layers(fmap: folium.Map) -> list[maps.AssetPoints]:
    return [c for c in fmap._children.values() if isinstance(c, maps.AssetPoints)]


def test_area_map_html_is_private_escaped_and_attributed(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "ward")
    assets = maps.asset_frame(store)
    # The credit is what was imported into the store, escaped (a source line is data too).
    record_source(store, "boundaries", "Example boundaries <b>", "OGL v3", "wards.geojson")
    fmap = maps.area_map(areas, "carers", assets, tiles=None,
                         attribution=attribution_text(store, tiles=False))
    page = _render(fmap)
    assert "Zebedee" not in page
    for coordinate in ("53.4123457", "-2.3198761", "53.41234", "-2.31987"):
        assert coordinate not in page
    assert XSS_NAME not in page  # in the page's JSON its "<" is written \u003c
    # The areas' tooltips go into innerHTML (folium's GeoJsonTooltip): their values are escaped.
    layers = [layer for layer in fmap._children.values() if isinstance(layer, folium.GeoJson)]
    area_values = [v for layer in layers if not isinstance(layer, maps.AssetPoints)
                   for f in layer.data["features"]
                   for v in f["properties"].values() if isinstance(v, str)]
    assert area_values and all("<img" not in v for v in area_values)
    # The assets carry their details as plain text, the name as written; the browser puts them
    # in the tooltip and popup as text nodes only (tests/test_browser_map.py shows it).
    points = {f["properties"]["name"]: f["properties"] for layer in _asset_layers(fmap)
              for f in _features(layer)}
    assert points[XSS_NAME]["what"] == "walking"
    assert points[XSS_NAME]["web"] == "javascript:alert(1)"  # shown as text, never a link
    assert not any("<div" in str(v) for p in points.values() for v in p.values())
    for layer in _asset_layers(fmap):  # no folium tooltip or popup: they set innerHTML
        assert not any(isinstance(c, folium.GeoJsonTooltip | folium.GeoJsonPopup)
                       for c in layer._children.values())
    script = maps._AssetDetails._template.module.script(maps._AssetDetails(), {})
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "textContent" in script and "/^https?:\\/\\//i.test(p.web)" in script
    assert 'href="javascript:' not in page and "href=\\\"javascript" not in page
    credit = json.loads(re.search(r'addAttribution\(("(?:[^"\\]|\\.)*")\)', page).group(1))
    assert html.escape("Example boundaries <b> (OGL v3).") in credit and "Trafford" not in credit
    assert "fewer than 8" in page
    assert "openstreetmap" not in page.lower().replace("openstreetmap contributors", "")


def test_area_map_has_one_layer_per_asset_kind(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "ward")
    assets = maps.asset_frame(store)
    assert sorted(assets["layer"].unique()) == ["GP practices", "Groups and clubs", "Libraries"]
    fmap = maps.area_map(areas, "people", assets, tiles="OpenStreetMap")
    point_layers = _asset_layers(fmap)
    assert len(point_layers) == 3
    sizes = sorted(len(_features(layer)) for layer in point_layers)
    assert sizes == [1, 1, 2]
    assert all(f["geometry"]["type"] == "Point" for layer in point_layers
               for f in _features(layer))
    assert sum(isinstance(c, folium.LayerControl) for c in fmap._children.values()) == 1
    page = _render(fmap)
    assert "openstreetmap.org/copyright" in page
    only_gp = maps.area_map(areas, "people", assets, layers=["GP practices"])
    assert sum(isinstance(c, folium.GeoJson) for c in only_gp._children.values()) == 2


def test_suppressed_area_is_grey_with_less_than_eight_tooltip(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "lsoa")
    fmap = maps.area_map(areas, "people", None)
    choropleth = next(c for c in fmap._children.values() if isinstance(c, folium.GeoJson))
    tooltips = {f["properties"]["area_code"]: f["properties"]["tooltip"]
                for f in choropleth.data["features"]}
    for row in areas.itertuples():
        if 1 <= row.people <= 7:
            assert "&lt;8" in tooltips[row.area_code]
            assert choropleth.style_function(
                {"properties": {"value": None}})["fillColor"] == maps._SUPPRESSED_FILL


def test_asset_popup_has_what_a_link_worker_needs() -> None:
    popup = maps.asset_popup({
        "name": "Walk & Talk", "layer": "Groups and clubs", "activities": ["walking"],
        "needs": ["loneliness", "mental_health"], "opening_times": "Tuesdays 10:00",
        "address": "Town Hall", "postcode": "M33 7ZZ", "cost": "free",
        "access": ["step_free"], "website": "https://example.org/?a=1&b=<2>",
        "telephone": "0161 000 0000", "status": "at_risk"})
    for text in ("Walk &amp; Talk", "walking", "mental health", "Tuesdays 10:00",
                 "Town Hall, M33 7ZZ", "free", "step free", "0161 000 0000", "at risk"):
        assert text in popup
    assert 'href="https://example.org/?a=1&amp;b=&lt;2&gt;"' in popup
    assert "<2>" not in popup


def test_asset_details_are_the_popup_s_lines_as_plain_text() -> None:
    row = {"name": "<b>Walk</b> & {{ 7*7 }}", "layer": "Groups and clubs",
           "activities": ["walking"], "needs": ["mental_health"], "status": "at_risk",
           "user_led": True, "description": "x " * 200, "website": "https://example.org/",
           "telephone": "0161 000 0000", "source": "Council <list>", "cost": None,
           "access": float("nan")}
    details = maps.asset_details(row)
    assert details["name"] == "<b>Walk</b> & {{ 7*7 }}"  # as written: the browser writes text
    assert details["status"] == "at risk" and details["led"] == 1
    assert details["helps"] == "mental health" and details["src"] == "Council <list>"
    assert details["about"].endswith("…") and len(details["about"]) <= 241
    assert "cost" not in details and "access" not in details  # empty lines are left out
    # The HTML popup writes the same lines, escaped, in the same order.
    popup = maps.asset_popup(row)
    assert popup.startswith(f"<div style='min-width:200px;max-width:300px'><b>"
                            f"{html.escape(details['name'])}</b><br><i>Groups and clubs</i>")
    order = [html.escape(details[k]) for k in ("status", "about", "what", "helps", "web",
                                                "tel", "src")]
    assert [popup.index(text) for text in order] == sorted(popup.index(text) for text in order)


def test_a_layer_sends_the_details_its_assets_share_once(small_store) -> None:
    store, _ = small_store
    assets = pd.DataFrame([
        {"name": f"Surgery {i}", "kind": "Organisation", "lat": 53.4 + i / 100, "lon": -2.3,
         "layer": "GP practices", "cost": "free", "source": "NHS list", "telephone": f"0{i}"}
        for i in range(3)])
    fmap = maps.area_map(maps.people_by_area(store, "ward"), "people", assets)
    (layer,) = _asset_layers(fmap)
    (binding,) = [c for c in layer._children.values() if isinstance(c, maps._AssetLayerDetails)]
    assert binding.shared == {"cost": "free", "src": "NHS list"}
    assert [f["properties"] for f in _features(layer)] == [
        {"name": f"Surgery {i}", "tel": f"0{i}"} for i in range(3)]
    page = _render(fmap)
    assert '"NHS list"' in page and page.count("NHS list") == 1
    # The rows the page gets: [lon, lat, details], compact JSON.
    assert '[-2.3,53.4,{"name":"Surgery 0","tel":"00"}]' in page


def test_a_hostile_asset_name_reaches_the_page_as_data_only(small_store) -> None:
    """The name goes into the page's script as a JSON string (``<`` and ``>`` escaped, so it
    cannot end the script) and is never run as a template, in the page the Map's frame
    holds."""
    store, _ = small_store
    areas = maps.people_by_area(store, "ward")
    hostile = "<img src=x onerror=alert(1)>{{7*7}}</script>"
    assets = pd.DataFrame([{"name": hostile, "kind": "Group", "lat": 53.42, "lon": -2.33,
                            "layer": "Groups and clubs", "description": hostile}])
    written = maps.script_json(hostile)
    assert written == '"\\u003cimg src=x onerror=alert(1)\\u003e{{7*7}}\\u003c/script\\u003e"'
    page = _render(maps.area_map(areas, "people", assets))
    assert page.count(written[1:-1]) == 2  # the name and the "About" line, as data
    assert "onerror=alert(1)>" not in page and "{{7*7}}" in page
    assert ">49" not in page and "49\\u003c" not in page


def test_map_coordinates_are_rounded_to_about_a_metre(small_store) -> None:
    store, _ = small_store
    fmap = maps.area_map(maps.people_by_area(store, "ward"), "people", maps.asset_frame(store))
    layers = [c for c in fmap._children.values() if isinstance(c, folium.GeoJson)]
    coordinates = [f["geometry"]["coordinates"] for layer in layers for f in _features(layer)]
    assert len(coordinates) == 2 + 4  # two wards, four assets
    numbers = re.findall(r"-?\d+\.\d+", json.dumps(coordinates))
    assert numbers and max(len(n.split(".")[1]) for n in numbers) <= maps.COORDINATE_DECIMALS
    assert max(len(n.split(".")[1]) for n in numbers) == maps.COORDINATE_DECIMALS  # not fewer


def test_unknown_measure_is_refused(small_store) -> None:
    store, _ = small_store
    areas = maps.people_by_area(store, "ward")
    with pytest.raises(ValueError, match="measure"):
        maps.area_map(areas, "shoe_size")
