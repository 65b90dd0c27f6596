"""The person's circle as pyvis HTML and the suggestions map, built from a real SQLite store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import box

from assetmap import vocab
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie
from assetmap.render import network as nv

XSS = "<img src=x onerror=alert(1)>"
BREAKOUT_ID = "group:</script><script>alert(2)</script>"


@pytest.fixture
def graph(tmp_path: Path) -> nx.MultiDiGraph:
    """Ann: a friend (Bob), a group (with an XSS name), a GP; Bob's friend Cy; the GP's other
    patient Dee; a referral to a café; an area."""
    s = SQLiteStore(tmp_path / "circle.db")
    s.upsert_nodes([
        Node("E01000001", "Area", "Somewhere 001A", props={"level": "lsoa"}),
        Node("person:ann", "Person", "Ann Example", area="E01000001", lat=53.40, lon=-2.30),
        Node("person:bob", "Person", "Bob Example", lat=53.41, lon=-2.31),
        Node("person:cy", "Person", "Cy Secondstep", lat=53.42, lon=-2.32),
        Node("person:dee", "Person", "Dee Otherpatient", lat=53.43, lon=-2.33),
        Node(BREAKOUT_ID, "Group", XSS, lat=53.401, lon=-2.301, props={"status": "at_risk"}),
        Node("org:gp", "Organisation", "The Surgery", lat=53.402, lon=-2.302,
             props={"org_kind": "gp_practice"}),
        Node("org:cafe", "Organisation", "Carers' café & more", lat=53.403, lon=-2.303,
             props={"org_kind": "carers_centre"}),
    ])
    s.upsert_ties([
        Tie("person:ann", "person:bob", "FRIEND"),
        Tie("person:bob", "person:cy", "FRIEND"),
        Tie("person:ann", BREAKOUT_ID, "ATTENDS"),
        Tie("person:ann", "org:gp", "SUPPORTED_BY"),
        Tie("person:dee", "org:gp", "SUPPORTED_BY"),
        Tie("person:ann", "org:cafe", "REFERRED_TO", {"status": "referred"}),
    ])
    G = s.to_networkx()
    s.close()
    return G


def _dataset(page: str, name: str) -> list[dict]:
    match = re.search(rf"{name} = new vis\.DataSet\((\[.*?\])\);", page, re.S)
    assert match, f"no {name} data set in the page"
    return json.loads(match.group(1))


def test_circle_is_two_steps_out_through_people_and_groups_only(graph: nx.MultiDiGraph) -> None:
    view = nv.circle_view(graph, "person:ann")
    assert view.steps["person:ann"] == 0
    assert view.steps["person:bob"] == 1 and view.steps[BREAKOUT_ID] == 1
    assert view.steps["org:gp"] == 1 and view.steps["org:cafe"] == 1
    assert view.steps["person:cy"] == 2  # a friend of a friend
    assert "person:dee" not in view.steps  # the GP's other patients are not her circle
    assert "E01000001" not in view.steps  # areas are not drawn
    assert view.ties[("person:ann", "person:bob")] == {"FRIEND"}


def test_circle_caps_the_second_step(graph: nx.MultiDiGraph) -> None:
    view = nv.circle_view(graph, "person:ann", max_nodes=5)
    assert len(view.steps) == 5 and "person:cy" not in view.steps and view.truncated == 1
    with pytest.raises(KeyError):
        nv.circle_view(graph, "org:gp")


def test_circle_html_is_offline_escaped_and_coloured_by_class(graph: nx.MultiDiGraph) -> None:
    page = nv.circle_html(graph, "person:ann")
    # Works with no internet: every script is inline, nothing is fetched from a CDN.
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
    assert "vis.Network" in page
    # Data text never reaches the page as markup (pyvis writes JSON with <, > and & escaped;
    # vis draws labels on a canvas and sets tooltips as text), and record ids never reach it.
    assert XSS not in page and "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    assert "</script><script>alert(2)" not in page and "alert(2)" not in page
    assert "popup.innerHTML" not in page  # pyvis' HTML tooltip mode is never switched on
    nodes = _dataset(page, "nodes")
    assert XSS in {n["label"] for n in nodes}  # shown as written, as text
    edges = _dataset(page, "edges")
    by_label = {n["label"]: n for n in nodes}
    centre = by_label["Ann Example"]
    assert centre["fixed"] is True and (centre["x"], centre["y"]) == (0, 0)
    assert centre["color"] == nv.CENTRE_COLOUR
    # People two steps away are drawn but not named.
    assert "Cy Secondstep" not in page and "Person" in by_label
    assert by_label["The Surgery"]["shape"] == "diamond"
    colours = {e["title"]: (e["color"], e["dashes"]) for e in edges}
    assert colours["friend"] == (nv.CLASS_COLOURS[vocab.COMMUNITY], False)
    assert colours["supported by"] == (nv.CLASS_COLOURS[vocab.PROFESSIONAL], False)
    assert colours["referred to"] == (nv.CLASS_COLOURS[vocab.REFERRAL], True)
    assert len(edges) == 5  # ann-bob, bob-cy, ann-group, ann-gp, ann-cafe; nothing to Dee
    # The legend names every tie class.
    for label in nv.CLASS_LABELS.values():
        assert label in page or label.replace("'", "&#x27;") in page


def test_a_title_with_href_cannot_switch_on_html_tooltips(graph: nx.MultiDiGraph) -> None:
    graph.nodes["person:bob"]["name"] = "<a HREF='javascript:alert(3)'>Bob</a>"
    page = nv.circle_html(graph, "person:ann")
    assert "popup.innerHTML" not in page
    titles = [n["title"] for n in _dataset(page, "nodes")]
    assert not any("href" in t.lower() for t in titles)
    assert any("HR\u200cEF" in t for t in titles)


def test_palette_is_distinct_and_colour_blind_safe() -> None:
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                 "#000000", "#999999"}
    assert set(nv.CLASS_COLOURS.values()) <= okabe_ito
    assert len(set(nv.CLASS_COLOURS.values())) == len(nv.CLASS_COLOURS)
    assert len({shape for shape, _ in nv.KIND_STYLE.values()}) == len(nv.KIND_STYLE)


def test_suggestions_map_draws_places_not_people(graph: nx.MultiDiGraph) -> None:
    suggestions = pd.DataFrame([
        {"candidate_id": BREAKOUT_ID, "name": XSS, "kind": "Group", "distance_km": 0.1,
         "reasons": "matches walking"},
        {"candidate_id": "person:dee", "name": "Dee Otherpatient", "kind": "Person",
         "distance_km": 3.0, "reasons": "also into walking"},
        {"candidate_id": "org:cafe", "name": "Carers' café & more", "kind": "Organisation",
         "distance_km": None, "reasons": "helps with carer support"},
    ])
    area = box(-2.31, 53.39, -2.29, 53.41)
    fmap = nv.suggestions_map(suggestions, graph, area, assets_base="/app/static/vendor",
                              local_js=(("leaflet", "leaflet/leaflet.js"),))
    page = fmap.get_root().render()
    assert page.count("L.marker(") == 2  # the group and the café; never Dee
    assert "53.43" not in page  # Dee's home
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "/app/static/vendor/leaflet/leaflet.js" in page
    assert "Their neighbourhood" in page
    text = nv.suggestions_text(suggestions)
    assert text.startswith("Suggestions by rank: 1. ") and "(0.1 km)" in text
    assert nv.suggestions_text(suggestions.iloc[0:0]) == "No suggestions to show on the map."


def test_ties_table_is_the_circles_text_alternative(graph: nx.MultiDiGraph) -> None:
    graph["person:ann"]["person:bob"]["FRIEND"].update(frequency="weekly", since="2025-03-01",
                                                        via=BREAKOUT_ID)
    table = nv.circle_ties(graph, "person:ann")
    assert list(table.columns) == nv.TIE_COLUMNS
    rows = {r["With"]: r for r in table.to_dict("records")}
    # one step out, named; two steps out (Cy) and the GP's other patient (Dee) never listed
    assert set(rows) == {"Bob Example", XSS, "The Surgery", "Carers' café & more"}
    bob = rows["Bob Example"]
    assert (bob["Tie"], bob["Class"], bob["How often"], bob["Since"], bob["Via"]) == (
        "friend", "Community", "weekly", "2025-03-01", XSS)
    assert rows["The Surgery"]["Class"] == "Professional"
    assert table["Class"].iloc[0] == "Community"  # strongest class first
    hidden = nv.circle_ties(graph, "person:ann", name_people=False)
    assert "Bob Example" not in set(hidden["With"]) and "Person" in set(hidden["With"])
    page = nv.circle_html(graph, "person:ann", name_people=False)
    assert "Bob Example" not in page and "Ann Example" in page


def test_suggestion_markers_show_their_rank(graph: nx.MultiDiGraph) -> None:
    suggestions = pd.DataFrame([
        {"candidate_id": "org:cafe", "name": "Café", "kind": "Organisation", "reasons": "x"},
        {"candidate_id": BREAKOUT_ID, "name": "G", "kind": "Group", "reasons": "y"},
    ])
    page = nv.suggestions_map(suggestions, graph).get_root().render()
    assert page.count("assetmap-rank") >= 2
    for rank in (1, 2):
        assert f"\\u003e{rank}\\u003c/div\\u003e" in page  # the number drawn on the marker


def test_the_same_suggestions_give_the_same_map_page(graph: nx.MultiDiGraph) -> None:
    """A frame draws the map again whenever its page changes: folium's random element names
    changed it on every run, so a save that left the suggestions as they were redrew the map.
    Named by place, the same suggestions give the same page; other suggestions do not."""
    rows = [{"candidate_id": "org:cafe", "name": "Café", "kind": "Organisation",
             "reasons": "helps with carer support"},
            {"candidate_id": BREAKOUT_ID, "name": "G", "kind": "Group", "reasons": "y"}]
    area = box(-2.31, 53.39, -2.29, 53.41)

    def page(frame: pd.DataFrame) -> str:
        fmap = nv.suggestions_map(frame, graph, area)
        return fmap.get_root().render()

    first = page(pd.DataFrame(rows))
    assert first == page(pd.DataFrame(rows))
    assert "popup_" in first and "html_sg" in first  # popups' own parts are named too
    assert first != page(pd.DataFrame(rows[::-1]))  # another order: other ranks, a new page
