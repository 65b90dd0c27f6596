"""The Person page's suggestion filters and what it keeps between runs (issue 14), on real
stores: the filters' semantics on a small hand-made SQLite store, and the real page (Streamlit's
AppTest) on a small demo store, filtering its table and numbered map, and showing a write made
elsewhere at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from browser_app import TEST_PERSON, demo_store_fixtures
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap import vocab
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node
from assetmap.ui.views import person

PAGE = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views" / "person.py"
TIMEOUT = 120
NEAR_BANDS = {"under 0.5 km", "0.5–1 km"}


# --- the filters, on a hand-made store ----------------------------------------------------------


@pytest.fixture
def graph(tmp_path: Path) -> nx.MultiDiGraph:
    """A venue with two sessions (a free, step-free Tuesday walk; a paid Thursday choir), a
    library open weekdays far away, and a café with no time listed."""
    s = SQLiteStore(tmp_path / "filters.db")
    s.upsert_nodes([
        Node("person:ann", "Person", "Ann Example", lat=53.400, lon=-2.300,
             props={"interests": ["walking", "singing", "reading"]}),
        Node("org:hall", "Organisation", "Church Hall", lat=53.401, lon=-2.301,
             props={"org_kind": "community_centre", "activities": ["walking", "singing"]}),
        Node("group:walk", "Group", "Tuesday Walk", lat=53.401, lon=-2.301,
             props={"venue": "org:hall", "activities": ["walking"], "cost": "free",
                    "access": ["step_free"], "schedule": "Tuesdays 10:00, weekly"}),
        Node("group:choir", "Group", "Thursday Choir", lat=53.401, lon=-2.301,
             props={"venue": "org:hall", "activities": ["singing"], "cost": "paid",
                    "schedule": "Thursdays 19:00"}),
        Node("org:library", "Organisation", "Far Library", lat=53.440, lon=-2.300,
             props={"org_kind": "library", "activities": ["reading"], "cost": "free",
                    "access": ["step_free"], "opening_times": "Mon-Fri 9am-5pm"}),
        Node("group:cafe", "Group", "Reading Café", lat=53.4005, lon=-2.2995,
             props={"activities": ["reading"], "cost": "low"}),
    ])
    G = s.to_networkx()
    s.close()
    return G


def _candidates(G: nx.MultiDiGraph) -> pd.DataFrame:
    from assetmap.graph.analysis import suggest_connections

    return suggest_connections(G, "person:ann", k=100, max_km=10, merge_venues=False,
                               kinds={vocab.GROUP, vocab.ORGANISATION})


def test_place_matches_reads_day_cost_and_access_as_the_directory_does(
        graph: nx.MultiDiGraph) -> None:
    walk, choir, library = (graph.nodes[n] for n in ("group:walk", "group:choir",
                                                       "org:library"))
    assert person.place_matches(walk, day=1) and not person.place_matches(walk, day=3)
    assert person.place_matches(choir, day=3) and not person.place_matches(choir, day=1)
    assert person.place_matches(library, day=4) and not person.place_matches(library, day=5)
    assert person.place_matches(walk, free_or_low_cost=True)
    assert not person.place_matches(choir, free_or_low_cost=True)
    assert person.place_matches(graph.nodes["group:cafe"], free_or_low_cost=True)  # low
    assert not person.place_matches(graph.nodes["group:cafe"], day=1)  # no time listed
    assert person.place_matches(walk, step_free=True)
    assert not person.place_matches(choir, step_free=True)


def test_filtered_places_filter_each_session_then_merge_the_venue(
        graph: nx.MultiDiGraph) -> None:
    candidates = _candidates(graph)
    assert {"group:walk", "group:choir", "org:library", "group:cafe"} <= set(
        candidates["candidate_id"])
    everything = person.filtered_places(graph, candidates, k=10)
    hall = everything[everything["session_ids"].map(lambda ids: "group:walk" in ids)]
    assert len(hall) == 1 and "group:choir" in hall.iloc[0]["session_ids"]  # one venue
    tuesday = person.filtered_places(graph, candidates, day=1, k=10)
    assert set(tuesday["candidate_id"]) == {"group:walk", "org:library"}  # Mon-Fri too
    walk = tuesday[tuesday["candidate_id"] == "group:walk"].iloc[0]
    assert list(walk["session_ids"]) == ["group:walk"]  # the choir's Thursday left out
    assert person.filtered_places(graph, candidates, day=5, k=10).empty  # Saturday: none
    cheap = person.filtered_places(graph, candidates, free_or_low_cost=True, k=10)
    assert "group:choir" not in set(cheap["candidate_id"]) and "group:cafe" in set(
        cheap["candidate_id"])
    step = person.filtered_places(graph, candidates, step_free=True, k=10)
    assert set(step["candidate_id"]) == {"group:walk", "org:library"}
    origin = (53.400, -2.300)
    near = person.filtered_places(graph, candidates, within_km=1.0, origin=origin, k=10)
    assert "org:library" not in set(near["candidate_id"])  # about 4.4 km away
    assert "group:cafe" in set(near["candidate_id"])
    assert person.filtered_places(graph, candidates, within_km=1.0, origin=None).empty
    assert len(person.filtered_places(graph, candidates, k=1)) == 1


# --- the real page -----------------------------------------------------------------------------


template_store, store_url = demo_store_fixtures(800)


def _open(store_url: str) -> AppTest:
    """The Person page for the test person, as a coordinator whose caseload they are on."""
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    signed_in(at, role="coordinator", caseload=(TEST_PERSON,), store_url=store_url)
    at.query_params["person"] = TEST_PERSON
    return _ok(at.run())


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _frame(at: AppTest, which: str) -> pd.DataFrame | None:
    """The suggested places table (it has a "How far" column) or people's (Name, Why, and no
    "Kind": never a distance between people); None when the page shows none."""
    for d in at.dataframe:
        columns = set(d.value.columns)
        if which == "places" and "How far" in columns:
            return d.value
        if which == "people" and {"Name", "Why"} <= columns and "Kind" not in columns:
            return d.value
    return None


def _markers(at: AppTest) -> list[int]:
    """The numbers on the suggestions map's markers, as the page sends them to the browser."""
    maps = [e.proto.srcdoc for e in at.get("iframe") if "assetmap-rank" in e.proto.srcdoc]
    if not maps:
        return []
    return [int(n) for n in re.findall(r"bindTooltip\(\s*`<div>\s*(\d+)\. ", maps[0])]


def test_filters_narrow_the_suggestions_and_their_numbered_markers(store_url: str) -> None:
    at = _open(store_url)
    places = _frame(at, "places")
    assert places is not None and len(places) > 0
    assert {"Rank", "Name", "Kind", "How far", "Why"} <= set(places.columns)
    assert _markers(at) == list(range(1, len(_markers(at)) + 1)) and _markers(at)
    assert _frame(at, "people") is not None or any(
        "No one nearby" in c.value for c in at.caption)
    # Within 1 km of a point near their home: only the two nearest bands.
    at.selectbox(key="person_within").set_value(1.0)
    at = _ok(at.run())
    near = _frame(at, "places")
    if near is not None:
        assert set(near["How far"]) <= NEAR_BANDS
        assert len(_markers(at)) <= len(near)
    at.selectbox(key="person_within").set_value(20.0)
    at = _ok(at.run())
    wide = _frame(at, "places")
    assert wide is not None and len(wide) >= len(places)
    # Free or low cost, step-free: every place shown says so.
    at.checkbox(key="person_low_cost").check()
    at.checkbox(key="person_step_free").check()
    at = _ok(at.run())
    narrowed = _frame(at, "places")
    if narrowed is None:
        assert any("matches these filters" in i.value for i in at.info)
    else:
        assert set(" / ".join(narrowed["Cost"]).split(" / ")) <= {"free", "low"}
        assert narrowed["Access"].str.contains("step free", case=False).all()
        assert _markers(at) == list(range(1, len(_markers(at)) + 1))
    at.checkbox(key="person_low_cost").uncheck()
    at.checkbox(key="person_step_free").uncheck()
    # Only groups; then only people (no places table, no map).
    at.multiselect(key="person_show").set_value(["Groups"])
    at = _ok(at.run())
    groups = _frame(at, "places")
    assert groups is not None and set(groups["Kind"]) == {vocab.GROUP}
    at.multiselect(key="person_show").set_value(["People"])
    at = _ok(at.run())
    assert _frame(at, "places") is None and not _markers(at)
    # A day: every place shown meets that day.
    at.multiselect(key="person_show").set_value(["Groups", "Organisations"])
    at.selectbox(key="person_day").set_value("tuesday")
    at = _ok(at.run())
    tuesday = _frame(at, "places")
    if tuesday is not None:
        from assetmap.directory import parse_when

        for when in tuesday["When"]:
            assert any(1 in s.days for s in parse_when(when)), when


def test_a_write_elsewhere_shows_at_once_and_a_note_redraws_nothing(store_url: str) -> None:
    from assetmap import settings
    from assetmap.governance import recording
    from assetmap.governance.access import AccessDB

    at = _open(store_url)
    memo = at.session_state["_person_memo"]
    circle = memo["circle"][1]
    places = memo["suggest_places"][1]
    ties_before = at.table[1].value
    store = SQLiteStore.from_url(store_url)
    access = AccessDB(settings.access_db_path(store_url))
    coordinator = access.user("test-coordinator")
    try:
        # A note moves the store's version, not the graph: nothing graph-drawn is made again.
        recording.add_note(store, access, coordinator, TEST_PERSON, "Phoned: all well.")
        at = _ok(at.run())
        memo = at.session_state["_person_memo"]
        assert memo["circle"][1] is circle and memo["suggest_places"][1] is places
        # A tie made elsewhere (another tab) shows on the next run: circle, table and level.
        tied = {other.id for _tie, other in store.neighbours(TEST_PERSON)}
        hub = next(o for o in store.find(vocab.ORGANISATION, org_kind="wellbeing_hub")
                   if o.lat is not None and o.id not in tied)
        recording.add_tie(store, access, coordinator, TEST_PERSON, hub.id, "SUPPORTED_BY")
    finally:
        store.close()
        access.close()
    at = _ok(at.run())
    memo = at.session_state["_person_memo"]
    assert memo["circle"][1] is not circle and hub.name in memo["circle"][1]
    ties = at.table[1].value
    assert len(ties) == len(ties_before) + 1 and hub.name in set(ties.index)


def test_only_the_open_outcomes_tab_is_drawn(store_url: str) -> None:
    """A save that reruns the outcomes part draws one form, not three (issue 14 speed); the
    other forms are one click away and work as before."""
    at = _open(store_url)
    labels = {b.proto.label for b in at.button}
    assert "Record scale" in labels and not {"Record goal", "Record rating"} & labels
    at.session_state["outcomes_tab"] = "Record a goal"
    at = _ok(at.run())
    labels = {b.proto.label for b in at.button}
    assert "Record goal" in labels and "Record scale" not in labels


def test_a_tie_saved_redraws_the_timeline_but_not_the_outcomes_forms(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tie saved on the page reruns its timeline (the level moves) and leaves the scale form
    as it was (issue 14: the browser draws less); with the rating form open (it lists the
    places they use, which a tie changes) that form is drawn again too."""
    from assetmap.ui import outcomes_ui

    drawn: list[str] = []
    for name in ("outcomes_summary", "_measure_form", "_rating_form"):
        real = getattr(outcomes_ui, name)
        monkeypatch.setattr(outcomes_ui, name, lambda *a, _n=name, _f=real, **k: (
            drawn.append(_n), _f(*a, **k))[1])
    at = _open(store_url)
    assert {"outcomes_summary", "_measure_form"} <= set(drawn)
    store = SQLiteStore.from_url(store_url)
    tied = {other.id for _tie, other in store.neighbours(TEST_PERSON)}
    hubs = [o for o in store.find(vocab.ORGANISATION, org_kind="wellbeing_hub")
            if o.lat is not None and o.id not in tied][:2]
    store.close()

    def save_tie(hub: Any) -> list[str]:
        nonlocal at
        at.session_state["record_tab"] = "Add a tie"
        at = _ok(at.run())
        at.text_input(key="tie_place_find").input(hub.name)
        at = _ok(at.run())
        at.selectbox(key="tie_place_pick").set_value(hub.id)
        at.selectbox(key="tie_kind").set_value("SUPPORTED_BY")
        drawn.clear()
        at = _ok(at.button(key="FormSubmitter:add_tie_form-Add tie").click().run())
        return list(drawn)

    assert save_tie(hubs[0]) == ["outcomes_summary"]  # the timeline, not the scale form
    assert any("tie recorded" in s.value for s in at.success)
    at.session_state["outcomes_tab"] = outcomes_ui.RATE_TAB
    at = _ok(at.run())
    assert save_tie(hubs[1]) == ["outcomes_summary", "_rating_form"]
