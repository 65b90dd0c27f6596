"""Ended ties stop counting (issues 14 and 18): a tie whose ``until`` day has come is history,
so ending it with ``recording.end_tie`` moves the person's level on every path (circles, the
fast and plain isolation tables, the SQLite columns and the snapshot); and paid support is not
a carer's emergency back-up (issue 17). Real SQLite files under tmp_path."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from assetmap.governance import recording
from assetmap.governance.access import AccessDB, new_password
from assetmap.graph.analysis import carer_support_gaps, isolated_people
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis.carers import NO_BACKUP, carer_gaps_snapshot
from assetmap.graph.analysis.isolation import isolated_people_plain, isolation_levels
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie, tie_ended, until_day

KIM, ANN, GP, PA, CLUB = "person:kim", "person:ann", "prac:gp", "prac:pa", "group:walk"


@pytest.fixture
def world(tmp_path: Path):
    store = SQLiteStore(tmp_path / "a.db")
    store.upsert_nodes([
        Node(KIM, "Person", "Kim W."), Node(ANN, "Person", "Ann B."),
        Node(GP, "Practitioner", "Dr P.", props={"role": "gp"}),
        Node(PA, "Practitioner", "Pat A.", props={"role": "personal_assistant"}),
        Node(CLUB, "Group", "Walking Football", props={"status": "active"}),
    ])
    store.upsert_ties([Tie(KIM, ANN, "FRIEND", {"since": "2024-01"}),
                       Tie(KIM, GP, "SUPPORTED_BY")])
    access = AccessDB(tmp_path / "a.access.db")
    access.add_user("coord", "coordinator", new_password())
    access.add_to_caseload("coord", [KIM])
    yield store, access
    store.close()
    access.close()


def _level_everywhere(store: SQLiteStore, person: str) -> str:
    """The person's level by each path; they must all agree."""
    G = store.to_networkx()
    by_circle = _c.level(_c.circle(G, person))
    fast = isolated_people(G).set_index("person_id")["level"]
    plain = isolated_people_plain(G).set_index("person_id")["level"]
    snap = isolation_levels(Snapshot.from_store(store)).set_index("person_id")["level"]
    from_graph = isolation_levels(Snapshot.from_networkx(G)).set_index("person_id")["level"]
    levels = {by_circle, str(fast[person]), str(plain[person]), str(snap[person]),
              str(from_graph[person])}
    assert len(levels) == 1, levels
    return by_circle


def test_ending_a_tie_with_end_tie_changes_the_level(world) -> None:
    store, access = world
    assert _level_everywhere(store, KIM) == _c.AT_RISK  # one friend and a GP
    old = Snapshot.from_store(store)
    recording.end_tie(store, access, access.user("coord"), KIM, ANN, "FRIEND")  # today
    assert store.get_tie(KIM, ANN, "FRIEND").props["since"] == "2024-01"  # kept as history
    assert _level_everywhere(store, KIM) == _c.SERVICE_ONLY
    assert _level_everywhere(store, ANN) == _c.ISOLATED
    # a snapshot brought up to date by the change log agrees with a fresh read
    levels = isolation_levels(old.refresh(store)).set_index("person_id")["level"]
    assert levels[KIM] == _c.SERVICE_ONLY


def test_a_tie_ending_in_the_future_still_counts(world) -> None:
    store, access = world
    later = dt.date.today() + dt.timedelta(days=30)
    recording.end_tie(store, access, access.user("coord"), KIM, ANN, "FRIEND", until=later)
    assert _level_everywhere(store, KIM) == _c.AT_RISK


def test_until_is_read_as_a_day_and_compared_with_today() -> None:
    assert until_day("2024") == "2024-01-01" and until_day("2024-3") == "2024-03-01"
    assert until_day(2019) == "2019-01-01" and until_day(dt.date(2025, 2, 3)) == "2025-02-03"
    assert until_day("soon") is None and until_day(None) is None and until_day(True) is None
    assert tie_ended({"until": "2025-06-30"}, today="2025-06-30")  # on the day: ended
    assert not tie_ended({"until": "2025-06-30"}, today="2025-06-29")
    assert not tie_ended({"until": "whenever"}, today="2025-06-29")  # unreadable: current
    assert not tie_ended({})


def test_an_older_store_gains_the_until_column_on_open(world, tmp_path: Path) -> None:
    store, _access = world
    store.upsert_ties([Tie(KIM, CLUB, "ATTENDS", {"until": "2021-05"})])
    store.close()
    db = sqlite3.connect(tmp_path / "a.db")
    db.execute("UPDATE ties SET until = NULL")
    db.execute("UPDATE meta SET value = 'older' WHERE key = 'fields_fingerprint'")
    db.commit()
    db.close()
    again = SQLiteStore(tmp_path / "a.db")
    try:
        (got,) = again._db.execute("SELECT until FROM ties WHERE kind = 'ATTENDS'").fetchone()
        assert got == "2021-05-01"
        assert _level_everywhere(again, KIM) == _c.AT_RISK  # the ended membership not counted
    finally:
        again.close()


def test_paid_support_is_not_emergency_back_up(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "c.db") as store:
        store.upsert_nodes([Node(KIM, "Person", "Kim W."), Node(ANN, "Person", "Ann B."),
                            Node(PA, "Practitioner", "Pat A.",
                                 props={"role": "personal_assistant"})])
        store.upsert_ties([Tie(ANN, KIM, "CARES_FOR"), Tie(KIM, PA, "PAID_SUPPORT")])
        G = store.to_networkx()
        assert not _c.circle(G, KIM).backup
        for gaps in (carer_support_gaps(G), carer_gaps_snapshot(Snapshot.from_store(store))):
            assert list(gaps.loc[gaps["gap"] == NO_BACKUP, "person_id"]) == [KIM]
        # a Shared Lives carer is back-up
        store.upsert_nodes([Node("person:sl", "Person", "Sam L.")])
        store.upsert_ties([Tie(KIM, "person:sl", "SHARED_LIVES")])
        G = store.to_networkx()
        for gaps in (carer_support_gaps(G), carer_gaps_snapshot(Snapshot.from_store(store))):
            assert NO_BACKUP not in set(gaps["gap"])
