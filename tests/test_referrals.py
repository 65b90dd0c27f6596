"""Referrals recorded and updated in a real SQLite store: REFERRED_TO ties with status, date and
who referred; validated statuses; one transaction each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.governance.referrals import record_referral, referrals_for, update_referral
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "referrals.db")
    s.upsert_nodes([
        Node("person:a", "Person", "Ann A.", props={"synthetic": True}),
        Node("person:b", "Person", "Bob B.", props={"synthetic": True}),
        Node("group:walk", "Group", "Walking group", props={"activities": ["walking"]}),
        Node("org:cafe", "Organisation", "Carers' café", props={"org_kind": "carers_centre"}),
    ])
    yield s
    s.close()


def test_record_writes_a_referred_to_tie_with_status_date_and_by(store: SQLiteStore) -> None:
    before = store.version()
    tie = record_referral(store, "person:a", "group:walk", by="Link Worker",
                          date=dt.date(2025, 3, 4))
    stored = store.get_tie("person:a", "group:walk", "REFERRED_TO")
    assert stored.props == {"status": "referred", "date": "2025-03-04", "by": "Link Worker"}
    assert tie.props == stored.props
    assert stored.tie_class == vocab.REFERRAL
    assert store.version() == before + 1  # one transaction, one version step


def test_default_date_is_today_and_status_can_be_suggested(store: SQLiteStore) -> None:
    record_referral(store, "person:a", "org:cafe", by="LAC", status="suggested")
    props = store.get_tie("person:a", "org:cafe", "REFERRED_TO").props
    assert props["date"] == dt.date.today().isoformat()
    assert props["status"] == "suggested"


def test_update_keeps_when_and_by_and_records_who_updated(store: SQLiteStore) -> None:
    record_referral(store, "person:a", "group:walk", by="Link Worker", date="2025-01-02")
    before = store.version()
    update_referral(store, "person:a", "group:walk", "attended", by="Hub Analyst")
    props = store.get_tie("person:a", "group:walk", "REFERRED_TO").props
    assert props["status"] == "attended"
    assert props["date"] == "2025-01-02" and props["by"] == "Link Worker"
    assert props["updated_by"] == "Hub Analyst"
    assert props["updated"] == dt.date.today().isoformat()
    assert store.version() == before + 1


def test_referrals_for_lists_newest_first_and_only_that_person(store: SQLiteStore) -> None:
    record_referral(store, "person:a", "group:walk", by="x", date="2025-01-02")
    record_referral(store, "person:a", "org:cafe", by="y", date="2025-02-03")
    record_referral(store, "person:b", "org:cafe", by="z", date="2025-02-04")
    table = referrals_for(store, "person:a")
    assert list(table["target_id"]) == ["org:cafe", "group:walk"]
    assert list(table["name"]) == ["Carers' café", "Walking group"]
    assert set(table["status"]) == {"referred"}
    assert referrals_for(store, "person:b")["by"].tolist() == ["z"]


def test_empty_referrals_have_the_columns(store: SQLiteStore) -> None:
    table = referrals_for(store, "person:b")
    assert table.empty and "status" in table.columns and "target_id" in table.columns


@pytest.mark.parametrize("bad", ["", "lost", "ATTENDED", "attended "])
def test_unknown_status_is_refused_and_nothing_written(store: SQLiteStore, bad: str) -> None:
    before = store.version()
    with pytest.raises(ValidationError, match="status"):
        record_referral(store, "person:a", "group:walk", by="x", status=bad)
    assert store.count_ties("REFERRED_TO") == 0 and store.version() == before


def test_update_refuses_bad_status_and_missing_referral(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError, match="no referral"):
        update_referral(store, "person:a", "group:walk", "attended", by="x")
    record_referral(store, "person:a", "group:walk", by="x")
    with pytest.raises(ValidationError):
        update_referral(store, "person:a", "group:walk", "gone", by="x")
    assert store.get_tie("person:a", "group:walk", "REFERRED_TO").props["status"] == "referred"


def test_who_referred_and_the_ends_are_checked(store: SQLiteStore) -> None:
    with pytest.raises(ValidationError, match="who made it"):
        record_referral(store, "person:a", "group:walk", by="  ")
    with pytest.raises(ValidationError, match="cannot run from a Person to a Person"):
        record_referral(store, "person:a", "person:b", by="x")
    with pytest.raises(NotFoundError):
        record_referral(store, "person:a", "group:nowhere", by="x")
    with pytest.raises(ValidationError, match="date"):
        record_referral(store, "person:a", "group:walk", by="x", date="next week")
    assert store.count_ties("REFERRED_TO") == 0


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(st.sampled_from(vocab.REFERRAL_STATUSES), min_size=1, max_size=6))
def test_the_last_status_written_is_the_one_listed(tmp_path_factory: pytest.TempPathFactory,
                                                   steps: list[str]) -> None:
    s = SQLiteStore(tmp_path_factory.mktemp("hyp") / "r.db")
    try:
        s.upsert_nodes([Node("person:a", "Person", "A"), Node("group:g", "Group", "G")])
        record_referral(s, "person:a", "group:g", by="first", status=steps[0])
        for status in steps[1:]:
            update_referral(s, "person:a", "group:g", status, by="later")
        row = referrals_for(s, "person:a").iloc[0]
        assert row["status"] == steps[-1]
        assert row["by"] == "first"
        assert s.count_ties("REFERRED_TO") == 1
    finally:
        s.close()
