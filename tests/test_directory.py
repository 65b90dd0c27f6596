"""The directory (assetmap.directory, ``assetmap find``, the Directory page): filters, distance
bands, one place per venue with its sessions, register entries left out, the printable list.
Real SQLite stores under tmp_path; the CLI runs on a small real demo store."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from assetmap import directory
from assetmap.cli import main
from assetmap.errors import ValidationError
from assetmap.governance.privacy import count_band, distance_band
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

HOME = (53.4250, -2.3200)  # the search point: "M33 7AA" in this store
EAST_1KM = -2.3200 + 0.0151  # ~1 km east at this latitude


def _group(gid: str, name: str, lon: float, **props) -> Node:
    base = {"activities": ["walking"], "needs": ["loneliness"], "status": "active",
            "cost": "free", "access": ["step_free"]}
    return Node(gid, "Group", name, "E01", HOME[0], lon, {**base, **props})


@pytest.fixture
def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "dir.db")
    s.upsert_nodes([
        Node("E01", "Area", "Sale Central", lat=HOME[0], lon=HOME[1], props={"level": "ward"}),
        # A venue with two sessions, ~1 km east; its postcode places "M33 7AA".
        Node("org:hall", "Organisation", "Church Hall", "E01", HOME[0], EAST_1KM,
             {"org_kind": "community_centre", "activities": ["coffee_and_chat"], "needs": [],
              "postcode": "M33 7AA", "telephone": "0161 111 1111", "status": "active"}),
        _group("group:walk-tue", "Health Walk", EAST_1KM, venue="org:hall",
               schedule="Tuesdays 10:00, weekly"),
        _group("group:walk-thu", "Evening Stroll", EAST_1KM, venue="org:hall",
               schedule="Thursdays 19:00, weekly", cost="paid", access=[]),
        # Nearer (~0.3 km), monthly on the first Monday, low cost, no step-free access.
        _group("group:rambling", "Ramblers", HOME[1] + 0.0045,
               schedule="First Monday of the month, 14:00", cost="low", access=[]),
        # Far away (~7 km west).
        _group("group:far", "Far Walk", HOME[1] - 0.105, schedule="Saturdays 09:00, weekly"),
        # Not attendable: closed; no place; a charity register entry with no time.
        _group("group:closed", "Closed Walk", HOME[1], status="closed"),
        Node("group:nowhere", "Group", "Walk Nowhere", None, None, None,
             {"activities": ["walking"], "status": "active"}),
        Node("org:charity:1", "Organisation", "Ramblers Trust", "E01", HOME[0], HOME[1] + 0.001,
             {"org_kind": "charity", "activities": ["walking"], "needs": [], "status": "active"}),
    ])
    yield s
    s.close()


def test_nearest_first_with_bands_and_venues_merged(store: SQLiteStore) -> None:
    found = directory.find_assets(store, interest="walking", near="M33 7AA")
    assert list(found.columns) == directory.COLUMNS
    # "M33 7AA" is placed at the hall (its postcode); the ramblers ~0.7 km, far walk ~8 km.
    assert list(found["place"]) == ["Church Hall", "Ramblers", "Far Walk"]
    hall = found.set_index("place_id").loc["org:hall"]
    assert hall["sessions"] == 2 and hall["place"] == "Church Hall"
    assert set(hall["session_ids"]) == {"group:walk-tue", "group:walk-thu"}
    assert "Health Walk: Tuesdays 10:00, weekly" in hall["when"]
    assert hall["contact"] == "0161 111 1111"  # the venue's contact for its sessions
    assert hall["cost"] == "free / paid"
    # Distances only in bands, never a number of metres or an exact km.
    assert list(found["distance_band"]) == ["under 0.5 km", "0.5–1 km", "5–10 km"]
    assert found["rank"].tolist() == list(range(1, len(found) + 1))
    assert found["place"].iloc[-1] == "Far Walk"


def test_records_nobody_can_attend_are_left_out_unless_asked(store: SQLiteStore) -> None:
    ids = {i for ids in directory.find_assets(store)["session_ids"] for i in ids}
    assert not ids & {"group:closed", "group:nowhere", "org:charity:1"}
    everything = directory.find_assets(store, include_unattendable=True)
    ids = {i for ids in everything["session_ids"] for i in ids}
    assert "org:charity:1" in ids
    assert not ids & {"group:closed", "group:nowhere"}  # closed or nowhere: never


def test_filters(store: SQLiteStore) -> None:
    def places(**kw) -> set[str]:
        return set(directory.find_assets(store, near="M33 7AA", **kw)["place_id"])

    assert places(within_km=2) == {"org:hall", "group:rambling"}
    assert places(interest="rambling", day="tuesday") == {"org:hall"}  # a synonym
    assert places(day="thu", time_of_day="morning") == set()
    assert places(day="thursday", time_of_day="evening") == {"org:hall"}
    assert places(free_or_low_cost=True, within_km=2) == {"org:hall", "group:rambling"}
    assert places(step_free=True) == {"org:hall", "group:far"}
    assert places(activity_text="stroll") == {"org:hall"}
    assert places(need="isolation") == {"org:hall", "group:rambling", "group:far"}
    # "First Monday": in the week from Monday 7 Dec 2026, not from Tuesday 8 Dec.
    monday = _dt.date(2026, 12, 7)
    assert "group:rambling" in places(open_this_week=True, today=monday)
    assert "group:rambling" not in places(open_this_week=True, today=monday
                                          + _dt.timedelta(days=1))
    # A session's step-free access is that session's: the paid evening one is not step-free.
    hall = directory.find_assets(store, step_free=True).set_index("place_id").loc["org:hall"]
    assert hall["session_ids"] == ["group:walk-tue"]


def test_where_near_is(store: SQLiteStore) -> None:
    assert directory.locate(store, "m33 7aa") == pytest.approx((HOME[0], EAST_1KM))
    assert directory.locate(store, "M33 7ZZ") == pytest.approx((HOME[0], EAST_1KM))  # sector
    assert directory.locate(store, "sale central") == pytest.approx(HOME)
    assert directory.locate(store, "53.4, -2.3") == (53.4, -2.3)
    with pytest.raises(ValidationError, match="not in this area"):
        directory.locate(store, "SW1A 1AA")
    with pytest.raises(ValidationError, match="No postcode, area or place"):
        directory.locate(store, "Atlantis")


def test_bad_filters_are_one_sentence(store: SQLiteStore) -> None:
    with pytest.raises(ValidationError, match="not one we know"):
        directory.find_assets(store, interest="xyzzy")
    with pytest.raises(ValidationError, match="needs a postcode"):
        directory.find_assets(store, within_km=3)
    with pytest.raises(ValidationError, match="not a day"):
        directory.find_assets(store, day="someday")


@pytest.mark.parametrize(("text", "days", "hours", "freq"), [
    ("Tuesdays 19:00, weekly", {1}, ((19.0, 19.0),), "weekly"),
    ("Every other Wednesday 10:30", {2}, ((10.5, 10.5),), "fortnightly"),
    ("3rd Thursday of the month, 14:00", {3}, ((14.0, 14.0),), "monthly"),
    ("Friday 2 - 4.30pm", {4}, ((14.0, 16.5),), "weekly"),
    ("Monday 12noon - 2pm", {0}, ((12.0, 14.0),), "weekly"),
    ("Mon-Fri 9am-5pm", {0, 1, 2, 3, 4}, ((9.0, 17.0),), "weekly"),
])
def test_parse_when(text: str, days: set[int], hours: tuple, freq: str) -> None:
    (session,) = directory.parse_when(text)
    assert session.days == days and session.hours == hours and session.frequency == freq


def test_parse_when_drops_closed_days() -> None:
    sessions = directory.parse_when("Mon 08:30-18:00; Sat closed; Sun closed")
    assert [set(s.days) for s in sessions] == [{0}]


@given(st.text(max_size=80))
def test_parse_when_never_fails(text: str) -> None:
    for s in directory.parse_when(text):
        assert s.days and s.days <= set(range(7))


@given(st.floats(min_value=0, max_value=500, allow_nan=False))
def test_distance_band_is_a_band_holding_the_distance(km: float) -> None:
    band = distance_band(km).removesuffix(" km")
    if band.startswith("under "):
        low, high = 0.0, float(band.removeprefix("under "))
    elif band.startswith("over "):
        low, high = float(band.removeprefix("over ")), float("inf")
    else:
        low, high = (float(x) for x in band.split("–"))
    assert low <= km < high or (band.startswith("over") and km >= low)


def test_bands() -> None:
    assert [distance_band(k) for k in (0.2, 0.7, 1.5, 4, 12)] == [
        "under 0.5 km", "0.5–1 km", "1–2 km", "3–5 km", "over 10 km"]
    assert [count_band(n) for n in (0, 3, 8, 20, 21, 1500)] == [
        "0", "<8", "8–20", "8–20", "21–50", "over 1000"]


def test_printable_list_is_escaped_and_prints(store: SQLiteStore) -> None:
    store.upsert_nodes([_group("group:x", "<script>alert(1)</script>", HOME[1])])
    page = directory.directory_html(directory.find_assets(store, near="M33 7AA"),
                                    "walking · near M33 7AA")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "@media print" in page and '<li value="1">' in page


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from assetmap.demo.build import build_demo

    path = tmp_path_factory.mktemp("dirdemo") / "demo.db"
    s = SQLiteStore(path)
    build_demo(s, people=500, seed=3)
    s.close()
    return f"sqlite:///{path}"


def test_cli_find_on_the_demo(demo_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["find", "--store", demo_url, "--interest", "walking",
                                  "--near", "M33 7AA", "--within", "3", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "No.,Place,What,When,Cost,Access,Rated,Contact,Address,How far"
    assert len(lines) > 3 and all("km" in line for line in lines[1:])
    as_json = json.loads(runner.invoke(main, [
        "find", "--store", demo_url, "--need", "loneliness", "--near", "M33 7AA", "--day",
        "tuesday", "--format", "json", "--limit", "5"]).output)
    assert 0 < len(as_json) <= 5 and "distance_band" in as_json[0]
    bad = runner.invoke(main, ["find", "--store", demo_url, "--interest", "xyzzy"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "is not one we know" in bad.output


def test_a_postcode_lookup_kept_in_the_store_comes_first(store: SQLiteStore) -> None:
    store.upsert_postcodes([("M33 7AA", 53.4300, -2.3000, None, None, False),
                            ("M33 7AB", 53.4310, -2.3010, None, None, False)])
    assert directory.locate(store, "M33 7AA") == pytest.approx((53.43, -2.30))
    assert directory.locate(store, "M33 7AZ") == pytest.approx((53.4305, -2.3005))  # sector
    assert directory.locate(store, "M33 6QQ") == pytest.approx((HOME[0], EAST_1KM))  # assets


def test_ratings_filter_and_sort_the_directory(store: SQLiteStore) -> None:
    """What experts by experience say reaches the directory: a place rated by 5 or more shows
    its overall rating, can be required (min_rating) and sorted on; fewer raters show nothing."""
    from assetmap.ratings import rate

    raters = [f"person:r{i}" for i in range(5)]
    store.upsert_nodes([Node(r, "Person", f"R{i}") for i, r in enumerate(raters)])
    store.upsert_ties([Tie(r, "group:far", "ATTENDS") for r in raters]
                      + [Tie(raters[0], "group:rambling", "ATTENDS")])
    for r in raters:
        rate(store, r, "group:far", {"welcoming": 5, "accessible": 4, "helpful": 5,
                                     "would_recommend": 5}, consent=True, recorded_by="t")
    rate(store, raters[0], "group:rambling", {"welcoming": 1, "accessible": 1, "helpful": 1,
                                              "would_recommend": 1}, consent=True, recorded_by="t")
    find_assets = directory.find_assets
    found = find_assets(store, near=HOME)
    rated = found.set_index("place_id")
    assert rated.loc["group:far", "rating"] == "4.8 of 5"
    assert rated.loc["group:rambling", "rating"] == ""  # one rater: never shown
    best = find_assets(store, near=HOME, sort="rating")
    assert best.iloc[0]["place_id"] == "group:far"
    assert list(find_assets(store, near=HOME, min_rating=4)["place_id"]) == ["group:far"]
    with pytest.raises(ValidationError):
        find_assets(store, sort="stars")
