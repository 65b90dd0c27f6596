"""The Person, Gaps, Resilience and Data pages run for real by Streamlit's AppTest against a
small demo store (synthetic people) in a SQLite file under tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from browser_app import (
    TEST_PERSON,
    XSS_ID,
    XSS_NAME,
    demo_store_fixtures,
)
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap import vocab
from assetmap.demo import trafford
from assetmap.graph.analysis import keystone_assets, provision_gaps
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ui import auth

PAGES = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
TIMEOUT = 90
PUBLISHED = re.compile(r"^(0|<8|\d*[05])$")


template_store, store_url = demo_store_fixtures(1000)


def _page(name: str, role: str = "admin", caseload: tuple[str, ...] = ()) -> AppTest:
    """A page run on its own (as the app runs it), signed in as a real account of ``role``."""
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    return signed_in(at, role=role, caseload=caseload).run()


def _open_test_person(at: AppTest, store_url: str) -> AppTest:
    """Find the test person by name (an admin's list is searched first) and open them."""
    store = SQLiteStore.from_url(store_url)
    try:
        name = store.get(TEST_PERSON).name
    finally:
        store.close()
    at.text_input(key="person_find").input(name).run()
    return at.selectbox(key="person_pick").set_value(TEST_PERSON).run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _published(values: pd.Series) -> bool:
    return all(PUBLISHED.match(str(v)) and str(v) not in {"5"} for v in values)


# --- Person ----------------------------------------------------------------------------------


def test_person_page_shows_circle_level_and_suggestions(store_url: str) -> None:
    at = _page("person")
    _ok(at)
    assert any("Choose a person" in i.value for i in at.info)
    picker = at.selectbox(key="person_pick")
    assert picker.options == []  # 1,000 people: an administrator searches first
    assert any("1,000 people" in c.value for c in at.caption)
    name = at.session_state["person_find"] if "person_find" in at.session_state else ""
    assert name == ""
    at.text_input(key="person_find").input("bowdon").run()
    found = at.selectbox(key="person_pick").options
    assert found and all("bowdon" in label.casefold() for label in found)
    at.selectbox(key="person_pick").set_value(TEST_PERSON).run()
    _ok(at)
    assert [s.value for s in at.subheader] == ["Their circle", "Isolation",
                                               "Suggested connections", "Referrals",
                                               "Outcomes over time"]
    assert at.metric[0].value.lower() in {"isolated", "service-only", "at risk", "some support",
                                          "well connected"}
    assert any(m.value.startswith("**Why:**") for m in at.markdown)
    scores = at.table[0].value
    assert "How often they feel lonely (ONS question)" in set(scores.index)
    # The circle's text alternative: a table of their own ties beside the picture (issue 14).
    ties = at.table[1].value
    assert list(ties.columns) == ["What", "Tie", "Class", "How often", "Since", "Via"]
    assert len(ties) > 0 and "Person" not in set(ties.index)  # an admin may see the names
    # The picker tells people apart and shows the level: name · ward · … · #id · level.
    picked = at.selectbox(key="person_pick")
    label = picked.format_func(picked.value) if callable(picked.format_func) else ""
    assert label.count(" · ") >= 3 and "#" in label
    assert label.rsplit(" · ", 1)[1] == at.metric[0].value.lower()
    suggestions = at.dataframe[0].value
    assert 0 < len(suggestions) <= 10 and list(suggestions["Rank"]) == list(
        range(1, len(suggestions) + 1))
    assert suggestions["Why"].str.len().min() > 0
    assert any("No referrals recorded" in i.value for i in at.info)


def test_referral_round_trip_without_restart(store_url: str) -> None:
    at = _open_test_person(_page("person"), store_url)
    target = at.selectbox(key="person_refer_to").value
    assert target and target.split(":")[0] in {"group", "org"}
    first = at.dataframe[0].value
    assert set(first["Kind"]) <= {"Group", "Organisation"}
    place = first.iloc[0]  # the form offers the places by rank
    chosen = (place["Name"], place["How far"])
    assert chosen in set(zip(first["Name"], first["How far"], strict=True))
    at.button[0].click().run()  # the form's "Record referral"
    _ok(at)
    assert any("recorded" in s.value for s in at.success)
    referrals = at.dataframe[-1].value
    assert list(referrals["Status"]) == ["referred"] and list(referrals["By"]) == [
        "test-admin"]  # who is signed in
    # The page reflects the write: the referred place, first before, is no longer suggested
    # (two places may share a name and a distance band, so it is checked by its id).
    assert at.selectbox(key="person_refer_to").value not in (None, target)
    assert referrals["Referred to"].iloc[0] == chosen[0]
    store = SQLiteStore.from_url(store_url)
    try:
        assert store.get_tie(TEST_PERSON, target, "REFERRED_TO").props["status"] == "referred"
    finally:
        store.close()
    # Update the status: attended.
    assert at.selectbox(key="person_update_target").value == target
    at.radio(key="person_update_status").set_value("attended").run()
    next(b for b in at.button if b.label == "Update status").click().run()
    _ok(at)
    assert any("marked attended" in s.value for s in at.success)
    referrals = at.dataframe[-1].value
    assert list(referrals["Status"]) == ["attended"]
    assert referrals["By"].iloc[0] == "test-admin"
    store = SQLiteStore.from_url(store_url)
    try:
        assert store.get_tie(TEST_PERSON, target, "REFERRED_TO").props["status"] == "attended"
    finally:
        store.close()


def test_a_coordinator_sees_only_their_caseload(store_url: str) -> None:
    store = SQLiteStore.from_url(store_url)
    try:
        names = {p: store.get(p).name for p in (TEST_PERSON, "person:s0000002",
                                                 "person:s0000003")}
    finally:
        store.close()
    at = _page("person", role="coordinator", caseload=(TEST_PERSON, "person:s0000003"))
    _ok(at)
    labels = at.selectbox(key="person_pick").options
    assert len(labels) == 2
    assert sorted(label.split(" · ")[0] for label in labels) == sorted(
        [names[TEST_PERSON], names["person:s0000003"]])
    at.selectbox(key="person_pick").set_value(TEST_PERSON).run()
    _ok(at)
    assert at.metric  # the record opened, and the view was audited
    from assetmap.governance import audit
    from assetmap.governance.access import AccessDB

    with AccessDB.for_store(store_url) as db:
        views = [(e.user, e.person_id, e.outcome) for e in audit.events(db, action="view")]
    assert views == [("test-coordinator", TEST_PERSON, "allowed")]


def test_a_hub_analyst_cannot_open_the_person_page(store_url: str) -> None:
    at = _page("person", role="hub_analyst")
    assert not at.exception
    assert [e.value for e in at.error] == [auth.NOT_ALLOWED]
    assert not at.selectbox and not at.dataframe


def test_pages_on_an_empty_store_say_how_to_start(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    SQLiteStore(tmp_path / "empty.db").close()
    monkeypatch.setenv("ASSETMAP_STORE", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    for name in ("person", "gaps", "resilience"):
        at = _page(name)
        _ok(at)
        assert any("assetmap demo" in i.value for i in at.info), name
    at = _page("data")
    _ok(at)
    assert set(at.dataframe[0].value["How many"]) == {0}


# --- Gaps ------------------------------------------------------------------------------------


def test_gaps_page_tables_are_published_counts(store_url: str) -> None:
    at = _page("gaps")
    _ok(at)
    table = at.dataframe[0].value
    assert set(table["Need"]) == {vocab.label(n) for n in vocab.NEEDS}
    assert len(table) == 21 * len(vocab.NEEDS)  # 21 wards × every need
    assert _published(table["People with the need"])
    assert _published(table["People with no provider near home"])
    assert any(m.value.startswith("**In words:**") for m in at.markdown)
    carers = at.dataframe[1].value
    for col in carers.columns[2:]:
        assert _published(carers[col])
    at.radio(key="gaps_level").set_value("lsoa").run()
    _ok(at)
    assert at.dataframe[0].value["Area code"].nunique() > 21
    at.toggle(key="gaps_only_flagged").set_value(True).run()
    _ok(at)
    assert at.dataframe[0].value["No provider in reach"].all()


def test_published_gaps_suppress_small_numbers(store_url: str) -> None:
    from assetmap.ui.views.gaps import published_gaps

    store = SQLiteStore.from_url(store_url)
    try:
        G = store.to_networkx()
    finally:
        store.close()
    raw = provision_gaps(G, trafford.boundaries("ward"))
    out = published_gaps(raw)
    assert _published(out["People with the need"])
    few = (raw["people_with_need"] > 0) & (raw["people_with_need"] < 8)
    assert few.any()
    assert set(out.loc[few.to_numpy(), "People with the need"]) == {"<8"}
    assert out.loc[few.to_numpy(), "Median km to nearest provider"].isna().all()
    without = raw["people_without_provider"].to_numpy()
    shade = out["_shade"].to_numpy()
    small = (without > 0) & (without < 8)
    assert small.any() and pd.isna(shade[small]).all()  # 1-7 is never coloured
    assert (shade[without == 0] == 0).all()
    geojson = out.drop(columns="_shade").to_json(drop_id=True)
    assert '"type": "Polygon"' in geojson or '"type": "MultiPolygon"' in geojson
    assert "people_with_need" not in geojson  # raw columns never leave


# --- Resilience ------------------------------------------------------------------------------


def test_a_hub_analyst_sees_counts_not_people_on_resilience(store_url: str) -> None:
    at = _page("resilience", role="hub_analyst")
    _ok(at)
    assert any(m.value.startswith("**In words:**") for m in at.markdown)
    assert len(at.dataframe) == 1  # the keystone ranking only; no list of people
    assert "Person" not in at.dataframe[0].value.columns


def test_resilience_page_impact_and_keystones(store_url: str) -> None:
    at = _page("resilience")
    _ok(at)
    pick = at.selectbox(key="resilience_pick")
    assert pick.value == "__all_at_risk__"
    words = next(m.value for m in at.markdown if m.value.startswith("**In words:**"))
    assert "at\\-risk" in words
    keystones = at.dataframe[-1].value
    assert list(keystones["Rank"])[:5] == [1, 2, 3, 4, 5]
    for col in ("People tied to it", "Would lose their only community tie",
                "Would lose every route to a GP or hub"):
        assert _published(keystones[col])
    assert not keystones["Why"].str.contains(r"\b[1-7] (?:people|person)\b").any()
    pick.set_value(XSS_ID).run()
    _ok(at)
    words = next(m.value for m in at.markdown if m.value.startswith("**In words:**"))
    # The hostile name is escaped for Markdown: shown as written, never as markup.
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in words
    assert XSS_NAME not in words


def test_published_keystones_rank_on_raw_counts(store_url: str) -> None:
    from assetmap.ui.views.resilience import published_keystones

    store = SQLiteStore.from_url(store_url)
    try:
        raw = keystone_assets(store.to_networkx())
    finally:
        store.close()
    out = published_keystones(raw)
    assert list(out["Rank"]) == list(raw["rank"]) and list(out["asset_id"]) == list(
        raw["asset_id"])
    assert _published(out["Would lose their only community tie"])


# --- Data ------------------------------------------------------------------------------------

GROUPS_CSV = (b"id,name,Post Code,activities,needs,status,cost\n"
              b"g901,Test Walking Group,WA14 4JT,walking,loneliness,active,free\n"
              b"g902,Test Choir,WA14 4JT,singing,,active,free\n"
              b"g903,Bad Status Group,WA14 4JT,walking,,exploded,free\n")


def test_data_page_dry_run_then_commit(store_url: str) -> None:
    at = _page("data")
    _ok(at)
    before = at.dataframe[0].value.set_index("Records")["How many"]
    sources = at.dataframe[-1].value
    # the sources the demo recorded in the store, each with its licence line
    assert any("Open Government Licence v3.0" in v for v in sources["Licence"])
    at.file_uploader[0].set_value(("groups.csv", GROUPS_CSV, "text/csv")).run()
    _ok(at)
    assert at.selectbox[0].value == "spreadsheet"
    summary = at.info[0].value
    assert "read 3" in summary and "would write 2" in summary and "rejected 1" in summary
    report = at.dataframe[0].value
    assert list(report["status"]) == ["rejected"] and list(report["field"]) == ["status"]
    store = SQLiteStore.from_url(store_url)
    try:
        assert store.count(vocab.GROUP) == before[vocab.GROUP]  # dry run wrote nothing
    finally:
        store.close()
    at.button(key="data_commit").click().run()
    _ok(at)
    assert any("wrote 2" in s.value for s in at.success)
    after = at.dataframe[0].value.set_index("Records")["How many"]
    assert after[vocab.GROUP] == before[vocab.GROUP] + 2
    assert not [b for b in at.button if b.key == "data_commit"]  # the report is gone


def test_data_page_cancel_writes_nothing(store_url: str) -> None:
    at = _page("data")
    before = at.dataframe[0].value.set_index("Records")["How many"]
    at.file_uploader[0].set_value(("groups.csv", GROUPS_CSV, "text/csv")).run()
    at.button(key="data_cancel").click().run()
    _ok(at)
    assert any("cancelled" in i.value for i in at.info)
    after = at.dataframe[0].value.set_index("Records")["How many"]
    assert after.equals(before)


def test_data_page_reports_an_unreadable_file_in_one_sentence(store_url: str) -> None:
    at = _page("data")
    at.file_uploader[0].set_value(("people.csv", b"just,a,header\n", "text/csv")).run()
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert "Traceback" not in at.error[0].value


def test_area_map_png_for_a_commissioner_shows_published_counts_only(store_url: str) -> None:
    """The map image (issue 14, item 7): a real PNG of the published (rounded) counts."""
    from assetmap.render import maps

    store = SQLiteStore.from_url(store_url)
    try:
        areas = maps.people_by_area(store, "ward")
    finally:
        store.close()
    png = maps.area_map_png(areas, "people", attribution="Test credits")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    isolated = maps.area_map_png(areas, "people", share=True, title="People by ward")
    assert isolated[:8] == b"\x89PNG\r\n\x1a\n"


def test_described_charts_name_themselves_and_hide_their_marks() -> None:
    """axe-core's svg-img-alt (issue 14): the chart has a description; no mark has a role."""
    import json

    import altair as alt

    from assetmap.ui.a11y import described

    frame = pd.DataFrame({"day": [1, 2], "score": [3, 4]})
    line = alt.Chart(frame).mark_line(point=True).encode(x="day", y="score")
    rule = alt.Chart(frame).mark_rule().encode(x="day")
    spec = described(alt.vconcat(alt.layer(line, rule), line), "Scores over time").to_dict()
    assert spec["description"] == "Scores over time"
    text = json.dumps(spec["vconcat"])
    # three marks, and each line's points
    assert text.count('"aria": false') == 5 and '"point": {"aria": false}' in text
    assert "aria" not in json.dumps(line.to_dict())  # the caller's chart is unchanged


def test_an_administrators_first_person_page_reads_no_ones_label(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before any search or choice, an administrator's Person page is the search box and an
    empty picker: no one's label is read (labels carry levels, which need the whole network,
    which may still be being built just after sign-in; issue 14). Searching reads them."""
    from assetmap.ui import common

    real = common.selectable_people
    calls: list[int] = []
    monkeypatch.setattr(common, "selectable_people",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    at = _page("person")
    _ok(at)
    assert calls == [] and at.selectbox(key="person_pick").options == []
    assert any("1,000 people" in c.value for c in at.caption)
    at.text_input(key="person_find").input("bowdon").run()
    _ok(at)
    assert calls and at.selectbox(key="person_pick").options
