"""Recording in the app (assetmap.governance.recording and the referral additions): each write is
allowed by role, audited, one transaction; contact notes go with the person's own record and
with the person when they are erased. Real SQLite files under tmp_path."""

from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

import pytest

from assetmap.errors import NotFoundError, ValidationError
from assetmap.governance import audit, recording, referrals, rights
from assetmap.governance.access import AccessDB, User, new_password
from assetmap.graph.analysis import isolated_people
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

ME, FRIEND, GP, CLUB, HALL = ("person:kim", "person:ann", "prac:gp", "group:walk",
                              "org:hall")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An access database with a coordinator (caseload: Kim) and an analyst, made once (argon2
    hashing is slow on purpose) and copied for each test."""
    path = tmp_path_factory.mktemp("accounts") / "template.access.db"
    with AccessDB(path) as access:
        access.add_user("coord", "coordinator", new_password())
        access.add_user("analyst", "hub_analyst", new_password())
        access.add_to_caseload("coord", [ME])
    return path


@pytest.fixture
def world(tmp_path: Path, accounts: Path):
    store = SQLiteStore(tmp_path / "a.db")
    store.upsert_nodes([
        Node("E01", "Area", "Sale Central", lat=53.42, lon=-2.32, props={"level": "ward"}),
        Node(ME, "Person", "Kim W.", "E01", 53.42, -2.32,
             {"interests": ["walking"], "consent": {"suggest": True, "map": False}}),
        Node(FRIEND, "Person", "Ann B.", "E01", 53.421, -2.321, {}),
        Node(GP, "Practitioner", "Dr P.", "E01", 53.43, -2.33, {"role": "gp"}),
        Node(HALL, "Organisation", "Church Hall", "E01", 53.425, -2.31,
             {"org_kind": "community_centre", "activities": ["coffee_and_chat"]}),
        Node(CLUB, "Group", "Walking Football", "E01", 53.425, -2.31,
             {"activities": ["football", "walking"], "schedule": "Tuesdays 10:00, weekly",
              "venue": HALL, "status": "active"}),
    ])
    store.upsert_ties([Tie(ME, GP, "SUPPORTED_BY")])
    shutil.copyfile(accounts, tmp_path / "a.access.db")
    access = AccessDB(tmp_path / "a.access.db")
    yield store, access
    store.close()
    access.close()


def _rows(access: AccessDB) -> list[tuple]:
    return [(e.user, e.person_id, e.action, e.outcome) for e in audit.events(access)]


def test_a_coordinator_adds_a_person_who_joins_their_caseload(world) -> None:
    store, access = world
    coord = access.user("coord")
    node = recording.save_person(
        store, access, coord, name="Lee  M.", area="E01", age_band="50-64",
        goals=["find a football group nearby"], interests=["rambling"], needs=["lonely"],
        access_needs=["step_free"], consent={"suggest": True}, consent_date="2026-11-01",
        lawful_basis="direct_care")
    saved = store.get(node.id)
    assert saved.name == "Lee M." and saved.area == "E01"
    assert saved.props["interests"] == ["walking"] and saved.props["needs"] == ["loneliness"]
    assert saved.props["consent"] == {"suggest": True, "map": False}
    assert saved.props["consent_date"] == "2026-11-01"
    assert node.id in access.user("coord").caseload
    assert ("coord", node.id, "edit", "allowed") in _rows(access)


def test_an_analyst_may_not_record_and_is_audited_as_denied(world) -> None:
    store, access = world
    before = store.version()
    with pytest.raises(recording.RecordingDenied):
        recording.add_note(store, access, access.user("analyst"), ME, "called")
    assert store.version() == before
    assert _rows(access)[-1] == ("analyst", ME, "edit", "denied")


def test_a_coordinator_may_not_record_for_someone_off_their_caseload(world) -> None:
    store, access = world
    with pytest.raises(recording.RecordingDenied):
        recording.add_tie(store, access, access.user("coord"), FRIEND, ME, "FRIEND")
    assert store.count_ties("FRIEND") == 0


def test_add_a_tie_by_id_then_end_it(world) -> None:
    store, access = world
    coord = access.user("coord")
    tie = recording.add_tie(store, access, coord, ME, FRIEND, "FRIEND", frequency="weekly",
                            via=CLUB, since="2026-01-05")
    stored = store.get_tie(ME, FRIEND, "FRIEND")
    assert stored.props["via"] == CLUB and stored.props["since"] == "2026-01-05"
    assert tie.props["frequency"] == "weekly"
    recording.end_tie(store, access, coord, ME, FRIEND, "FRIEND", until="2026-11-20")
    ended = store.get_tie(ME, FRIEND, "FRIEND")
    assert ended.props["until"] == "2026-11-20" and ended.props["via"] == CLUB
    assert recording.tie_has_ended(ended.props, today=_dt.date(2026, 11, 30))
    assert [r[2:] for r in _rows(access)] == [("edit", "allowed")] * 2


def test_a_failed_write_leaves_the_store_as_it_was_and_is_audited(world) -> None:
    store, access = world
    before = store.version()
    with pytest.raises(ValidationError):  # a person cannot ATTEND a practitioner
        recording.add_tie(store, access, access.user("coord"), ME, GP, "ATTENDS")
    with pytest.raises(NotFoundError):
        recording.add_tie(store, access, access.user("coord"), ME, "group:none", "ATTENDS")
    assert store.version() == before and store.count_ties("ATTENDS") == 0
    assert [r[3] for r in _rows(access)] == ["failed", "failed"]


def test_notes_are_in_the_subject_access_export_and_erased_with_the_person(world) -> None:
    store, access = world
    coord = access.user("coord")
    recording.add_note(store, access, coord, ME, "Talked about the walking group.",
                       date="2026-11-28")
    recording.add_note(store, access, coord, ME, "Went once.", date="2026-11-29")
    assert [n["date"] for n in recording.notes_for(store, ME)] == ["2026-11-29", "2026-11-28"]
    assert recording.last_contact(store, ME) == "2026-11-29"
    # Records beside the graph: never in the network every page shares, nor its area work.
    G = store.to_networkx()
    assert "Went once" not in str(G.nodes[ME]) and recording.NOTES not in store.get(ME).props
    # In their own record (the subject access export).
    record = rights.person_record(store, access, ME)
    assert "Talked about the walking group." in str(record)
    # No audit row holds the note's words.
    assert not any("walking" in str(e.as_dict()) for e in audit.events(access))
    rights.erase_person(store, access, ME, coord, reason="request 1")
    with pytest.raises(NotFoundError):
        store.get(ME)
    assert store.records(person_id=ME) == []
    text = (Path(store.path)).read_bytes()
    assert b"Talked about the walking group" not in text


def test_refer_then_attended_records_the_tie_and_the_level_moves(world) -> None:
    store, access = world
    level = isolated_people(store.to_networkx()).set_index("person_id").at[ME, "level"]
    assert level == "service-only"
    referrals.record_referral(store, ME, CLUB, by="coord", reason="wants to play football",
                              follow_up="2026-12-10")
    open_refs = referrals.open_referrals(store, ME)
    assert list(open_refs["follow_up"]) == ["2026-12-10"]
    assert open_refs["reason"].iloc[0] == "wants to play football"
    referrals.update_referral(store, ME, CLUB, "attended", by="coord", outcome="went twice",
                              record_tie=True)
    assert store.get_tie(ME, CLUB, "ATTENDS").props["source"] == "referral"
    history = referrals.referrals_for(store, ME)
    assert list(history[["status", "outcome"]].iloc[0]) == ["attended", "went twice"]
    assert referrals.open_referrals(store, ME).empty
    level = isolated_people(store.to_networkx()).set_index("person_id").at[ME, "level"]
    assert level == "at risk"


def test_add_a_group_at_a_venue_then_edit_it(world) -> None:
    store, access = world
    coord = access.user("coord")
    group = recording.save_group(store, access, coord, name="Knit and Natter",
                                 activities=["knitting"], needs=["loneliness"],
                                 schedule="Thursdays 14:00, weekly", venue=HALL, cost="free",
                                 access_features=["step_free"], telephone="0161 000 0000")
    saved = store.get(group.id)
    assert saved.location == store.get(HALL).location and saved.props["activities"] == ["crafts"]
    assert store.get_tie(HALL, group.id, "RUNS")
    recording.save_group(store, access, coord, group.id, status="at_risk")
    assert store.get(group.id).props["status"] == "at_risk"
    assert store.get(group.id).props["schedule"] == "Thursdays 14:00, weekly"
    with pytest.raises(recording.RecordingDenied):
        recording.save_group(store, access, access.user("analyst"), name="x", venue=HALL)
    assert [r[3] for r in _rows(access)] == ["allowed", "allowed", "denied"]


def test_bad_values_are_one_sentence_errors(world) -> None:
    store, access = world
    coord = access.user("coord")
    with pytest.raises(ValidationError, match="not a known value"):
        recording.save_person(store, access, coord, ME, interests=["xyzzy"])
    with pytest.raises(ValidationError, match="not a date"):
        recording.add_note(store, access, coord, ME, "x", date="yesterday")
    with pytest.raises(ValidationError, match="cannot be recorded here"):
        recording.add_tie(store, access, coord, ME, CLUB, "REFERRED_TO")
    assert User("coord", "coordinator")  # the dataclass still builds as before


def test_a_goal_counts_in_suggestions(world) -> None:
    from assetmap.graph.analysis import suggest_connections

    store, access = world
    node = recording.save_person(store, access, access.user("coord"), name="Sam T.",
                                 area="E01", goals=["find a football group nearby"])
    found = suggest_connections(store.to_networkx(), node.id, k=5, kinds={"Group"})
    assert CLUB in set(found["candidate_id"])
    assert "football" in found.set_index("candidate_id").at[CLUB, "reasons"]
