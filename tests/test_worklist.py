"""The coordinator's worklist (assetmap.worklist) and the Worklist, Directory and Person pages'
recording run by Streamlit's AppTest on a small demo store in a SQLite file under tmp_path."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest
from browser_app import TEST_PERSON, demo_store_fixtures
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap.governance import referrals
from assetmap.graph.analysis import isolated_people
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node
from assetmap.worklist import LEVEL_ORDER, caseload_worklist, person_labels, picker_labels

PAGES = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
TIMEOUT = 90


def test_labels_tell_people_apart(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "l.db")
    store.upsert_nodes([
        Node("W1", "Area", "Sale Central", props={"level": "ward"}),
        Node("L1", "Area", "Trafford 001A", props={"level": "lsoa", "parent": "W1"}),
        *[Node(f"person:{i}", "Person", "Kim W.", "L1", props={"age_band": "35-49"})
          for i in range(300)],
    ])
    labels = person_labels(store, [f"person:{i}" for i in range(300)])
    assert len(set(labels.values())) == 300  # 300 "Kim W."s in one ward, all told apart
    first = labels["person:0"]
    name, ward, band, tag = first.split(" · ")
    assert (name, ward, band) == ("Kim W.", "Sale Central", "35–49")
    assert tag.startswith("#") and len(tag) >= 5
    # The Person page's picker reads the same labels from the graph, with the level added.
    G = store.to_networkx()
    picker = picker_labels(G, isolated_people(G))
    assert len(set(picker.values())) == 300
    assert picker["person:0"] == f"{first} · isolated"
    store.close()


template_store, store_url = demo_store_fixtures(600)


def _caseload(url: str, n: int = 12) -> list[str]:
    store = SQLiteStore.from_url(url)
    try:
        iso = isolated_people(store.to_networkx())
    finally:
        store.close()
    # Some of each level, and the test person.
    picked = [TEST_PERSON, *iso.groupby("level").head(3)["person_id"]]
    return list(dict.fromkeys(picked))[:n]


def test_worklist_orders_by_need_and_follow_up(store_url: str) -> None:
    ids = _caseload(store_url)
    store = SQLiteStore.from_url(store_url)
    try:
        G = store.to_networkx()
        iso = isolated_people(G)
        connected = next(p for p in ids if iso.set_index("person_id").at[p, "level"]
                         == LEVEL_ORDER[-1])
        referrals.record_referral(store, connected, "group:test-xss", by="c",
                                  follow_up="2026-11-01")
        frame = caseload_worklist(store, store.to_networkx(), iso, ids,
                                  today=_dt.date(2026, 11, 30))
    finally:
        store.close()
    assert set(frame["person_id"]) == set(ids)
    top = frame.iloc[0]
    assert top["person_id"] == connected and top["overdue"]
    assert top["next_step"].startswith("Follow up the referral to")
    rest = frame.iloc[1:]
    ranks = [LEVEL_ORDER.index(lv) for lv in rest["level"]]
    assert ranks == sorted(ranks)
    unconnected = rest[rest["level"].isin(LEVEL_ORDER[:3])]
    assert unconnected["next_step"].str.startswith("Suggest").any()


def test_worklist_page_for_a_coordinator(store_url: str) -> None:
    ids = _caseload(store_url)
    at = AppTest.from_file(str(PAGES / "worklist.py"), default_timeout=TIMEOUT)
    at = signed_in(at, role="coordinator", caseload=ids).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert len(table) == len(ids) and list(table.columns)[:2] == ["Person", "Level"]
    assert table["Suggested next step"].str.len().min() > 0
    at.multiselect(key="worklist_levels").set_value(["isolated"]).run()
    assert set(at.dataframe[0].value["Level"]) <= {"isolated"}
    # Add someone new: they join this coordinator's worklist at once.
    at.multiselect(key="worklist_levels").set_value([]).run()
    at.text_input(key="new_person_name").input("Robin Q.")
    at.multiselect(key="new_person_interests").set_value(["walking"])
    at.button(key="FormSubmitter:new_person_form-Save person").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Robin Q." in p for p in at.dataframe[0].value["Person"])


def test_an_analyst_cannot_open_the_worklist(store_url: str) -> None:
    at = AppTest.from_file(str(PAGES / "worklist.py"), default_timeout=TIMEOUT)
    at = signed_in(at, role="hub_analyst").run()
    assert at.error and not at.dataframe


def test_directory_page_search_and_printable_list(store_url: str) -> None:
    at = AppTest.from_file(str(PAGES / "directory.py"), default_timeout=TIMEOUT)
    at = signed_in(at, role="hub_analyst").run()
    assert not at.exception
    at.selectbox(key="dir_need").set_value("loneliness")
    at.text_input(key="dir_near").input("M33 7AA")
    at.selectbox(key="dir_day").set_value("tuesday")
    at.button(key="FormSubmitter:directory_search-Search").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert len(table) > 0 and list(table["No."]) == list(range(1, len(table) + 1))
    assert table["How far"].str.contains("km").all()
    assert "loneliness · near M33 7AA · Tuesday" in " ".join(m.value for m in at.markdown)
    assert "Printable list (HTML)" in [b.label for b in at.get("download_button")]


def _allotments(url: str) -> str:
    """An allotments group of the test store (a place a person can volunteer at)."""
    store = SQLiteStore.from_url(url)
    try:
        return next(n.id for n in store.find("Group") if "allotments" in n.name.casefold())
    finally:
        store.close()


def test_person_page_records_a_note_and_a_tie(store_url: str) -> None:
    at = AppTest.from_file(str(PAGES / "person.py"), default_timeout=TIMEOUT)
    at.query_params["person"] = TEST_PERSON
    at = signed_in(at, role="coordinator", caseload=[TEST_PERSON]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # only the open tab of the Record panel is drawn: open "Contact notes", as a user does
    assert "note_text" not in {getattr(w, "key", None) for w in at.text_area}
    at.session_state["record_tab"] = "Contact notes"
    at.run()
    at.text_area(key="note_text").input("Rang: keen to try the walking group.")
    at.button(key="FormSubmitter:note_form-Save note").click().run()
    assert any("note saved" in s.value for s in at.success)
    assert any("keen to try" in m.value for m in at.markdown)
    at.session_state["record_tab"] = "Add a tie"
    at.run()
    at.text_input(key="tie_place_find").input("allotments").run()
    options = at.selectbox(key="tie_place_pick").options
    assert options and all("allotments" in o.casefold() for o in options)
    place = _allotments(store_url)
    at.selectbox(key="tie_place_pick").set_value(place)
    at.selectbox(key="tie_kind").set_value("VOLUNTEERS_AT")
    at.button(key="FormSubmitter:add_tie_form-Add tie").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("tie recorded" in s.value for s in at.success)
    store = SQLiteStore.from_url(store_url)
    try:
        assert store.count_ties("VOLUNTEERS_AT") >= 1
        assert any(t.kind == "VOLUNTEERS_AT" for t, _ in store.neighbours(TEST_PERSON))
    finally:
        store.close()


def test_resilience_explains_in_bands_and_offers_a_chart(store_url: str) -> None:
    at = AppTest.from_file(str(PAGES / "resilience.py"), default_timeout=TIMEOUT)
    at = signed_in(at, role="hub_analyst").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    bands = at.table[0].value
    assert "everyone who goes" in set(bands.index)
    published = {str(v) for v in bands.to_numpy().ravel()}
    assert all(v == "0" or v.startswith(("<", "over")) or "–" in v for v in published)
    labels = [b.label for b in at.get("download_button")]
    assert "Download chart (PNG)" in labels and "Download chart (Vega-Lite)" in labels
    assert not any("on your caseload" in c.value for c in at.caption)


def test_who_depends_and_the_area_profile_publish_bands_only(store_url: str) -> None:
    from assetmap import explain
    from assetmap.graph.analysis import keystone_assets

    store = SQLiteStore.from_url(store_url)
    try:
        G = store.to_networkx()
        ward = store.get(store.get(store.get(TEST_PERSON).area).props["parent"])
    finally:
        store.close()
    table = explain.who_depends(G, ["group:test-xss"])
    assert table.set_index("people").at["everyone who goes", "band"] == "<8"
    assert table["published"].isna().any()  # a small count has no bar
    assert set(table["band"]) <= {"0", "<8"} | {b for b in table["band"] if "–" in b}
    page = explain.area_profile_html(G, ward.id, isolated_people(G), keystone_assets(G))
    assert f"{ward.name}: area profile" in page and 'alt="Bar chart of people in' in page
    assert "data:image/png;base64," in page and "<script" not in page.casefold()
    assert "&lt;img" in page or "test-xss" not in page  # names escaped where shown


def test_a_coordinator_adds_a_group_and_the_directory_finds_it(store_url: str) -> None:
    at = AppTest.from_file(str(PAGES / "directory.py"), default_timeout=TIMEOUT)
    at = signed_in(at, role="coordinator", caseload=[TEST_PERSON]).run()
    at.text_input(key="group_name").input("Knit and Natter Sale")
    at.multiselect(key="group_acts").set_value(["crafts"])
    at.text_input(key="group_when").input("Thursdays 14:00, weekly")
    at.text_input(key="group_venue").input("library")
    at.button(key="FormSubmitter:group_form-Save group").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Knit and Natter Sale" in s.value for s in at.success)
    at.text_input(key="dir_text").input("knit and natter sale")
    at.selectbox(key="dir_day").set_value("thursday")
    at.button(key="FormSubmitter:directory_search-Search").click().run()
    table = at.dataframe[0].value
    assert table["When"].str.contains("Knit and Natter Sale: Thursdays 14:00").any()


def test_a_save_reruns_only_the_parts_of_the_page_it_changes(store_url: str,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Issue 14 speed: a contact note reruns the Record panel alone; a tie reruns the circle
    and level too, which then show it; the picker and the rest of the page are not run."""
    import assetmap.render.network as network_view
    from assetmap.ui import common, recording_ui

    runs: list[str] = []

    def counted(name: str, real):  # counts calls, then does the real work
        return lambda *a, **k: runs.append(name) or real(*a, **k)

    monkeypatch.setattr(network_view, "circle_ties",
                        counted("summary", network_view.circle_ties))
    monkeypatch.setattr(recording_ui, "person_panel", counted("record", recording_ui.person_panel))
    monkeypatch.setattr(common, "selectable_people", counted("picker", common.selectable_people))
    at = AppTest.from_file(str(PAGES / "person.py"), default_timeout=TIMEOUT)
    at.query_params["person"] = TEST_PERSON
    at = signed_in(at, role="coordinator", caseload=[TEST_PERSON]).run()
    at.session_state["record_tab"] = "Contact notes"
    at.run()
    runs.clear()
    at.text_area(key="note_text").input("Rang: going well.")
    at.button(key="FormSubmitter:note_form-Save note").click().run()
    assert runs == ["record"] and any("note saved" in s.value for s in at.success)
    at.session_state["record_tab"] = "Add a tie"
    at.run()
    def counts() -> str:
        return next(c.value for c in at.caption if "community tie" in c.value)

    before = counts()
    at.text_input(key="tie_place_find").input("allotments").run()
    place = _allotments(store_url)
    at.selectbox(key="tie_place_pick").set_value(place)
    at.selectbox(key="tie_kind").set_value("VOLUNTEERS_AT")
    runs.clear()
    at.button(key="FormSubmitter:add_tie_form-Add tie").click().run()
    assert not at.error, [e.value for e in at.error]
    assert sorted(set(runs)) == ["record", "summary"] and "picker" not in runs
    assert any("tie recorded" in s.value for s in at.success)
    ties = next(t.value for t in at.table if t.value.index.name == "With")
    assert any("allotments" in str(w).casefold() for w in ties.index)  # the circle shows it
    assert counts() != before  # and their counts beside the level moved
    # a save that could not be made says why, in one sentence, and writes nothing
    version = common.get_store().version()
    at.session_state["tie_place_pick"] = None
    at.button(key="FormSubmitter:add_tie_form-Add tie").click().run()
    assert any("Choose who or where first" in e.value for e in at.error)
    assert common.get_store().version() == version
