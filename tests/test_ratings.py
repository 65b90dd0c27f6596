"""Experts by experience: ratings need consent and use, show only as aggregates of at least
five raters, comments wait for an administrator, and poor accessibility weakens provision."""

from __future__ import annotations

import pytest

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.governance.access import AccessDB
from assetmap.governance.rights import erase_person
from assetmap.graph.store import GraphStore
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie
from assetmap.ratings import (
    MIN_RATINGS,
    SUMMARY_COLUMNS,
    moderate,
    pending_comments,
    provision_weight,
    provision_weights,
    rate,
    ratings_summary,
)

CAFE, HALL = "group:cafe", "org:hall"
GOOD = {"welcoming": 5, "accessible": 4, "helpful": 5, "would_recommend": 5}


class _User:
    """A signed-in account as the app passes it (role and name only)."""

    def __init__(self, name: str, role: str):
        self.name, self.role = name, role


ADMIN, COORDINATOR = _User("admin-1", "admin"), _User("coord-1", "coordinator")


def _place(store: GraphStore, raters: int) -> list[str]:
    ids = [f"person:r{i}" for i in range(raters)]
    store.upsert_nodes([Node(CAFE, vocab.GROUP, "Cafe"),
                        Node(HALL, vocab.ORGANISATION, "Hall", props={"org_kind": "charity"}),
                        *(Node(i, vocab.PERSON, f"R{n}") for n, i in enumerate(ids))])
    store.upsert_ties([Tie(i, CAFE, "ATTENDS") for i in ids])
    return ids


def _rate_all(store: GraphStore, ids: list[str], **answers: int) -> None:
    for i in ids:
        rate(store, i, CAFE, {**GOOD, **answers}, consent=True, recorded_by="coord-1")


def test_fewer_than_five_raters_show_nothing(store: GraphStore) -> None:
    ids = _place(store, MIN_RATINGS)
    _rate_all(store, ids[:-1])
    assert ratings_summary(store).empty
    assert list(ratings_summary(store).columns) == SUMMARY_COLUMNS
    rate(store, ids[-1], CAFE, {**GOOD, "accessible": 1}, consent=True, recorded_by="x")
    summary = ratings_summary(store, [CAFE, HALL])
    assert summary["asset_id"].tolist() == [CAFE]
    row = summary.iloc[0]
    assert row["ratings"] == MIN_RATINGS
    assert row["accessible_mean"] == pytest.approx((4 * 4 + 1) / 5)
    assert row["welcoming_mean"] == 5.0
    assert "person_id" not in summary.columns  # aggregates only: no rater is ever named


def test_one_rater_rating_again_does_not_count_twice(sqlite_store: SQLiteStore) -> None:
    ids = _place(sqlite_store, 4)
    _rate_all(sqlite_store, ids)
    _rate_all(sqlite_store, ids[:1])
    assert len(sqlite_store.records(vocab.RATING)) == 4
    assert ratings_summary(sqlite_store).empty


def test_a_rating_needs_consent_use_and_answers_1_to_5(sqlite_store: SQLiteStore) -> None:
    ids = _place(sqlite_store, 1)
    with pytest.raises(ValidationError, match="agreement"):
        rate(sqlite_store, ids[0], CAFE, GOOD, consent=False, recorded_by="x")
    with pytest.raises(ValidationError, match="a place the rater uses"):
        rate(sqlite_store, ids[0], HALL, GOOD, consent=True, recorded_by="x")
    with pytest.raises(ValidationError, match=r"^Helpful must be a whole number from 1 to 5\.$"):
        rate(sqlite_store, ids[0], CAFE, {**GOOD, "helpful": 6}, consent=True, recorded_by="x")
    with pytest.raises(ValidationError, match="Welcoming"):
        rate(sqlite_store, ids[0], CAFE, {k: v for k, v in GOOD.items() if k != "welcoming"},
             consent=True, recorded_by="x")
    with pytest.raises(ValidationError, match="only a group or an organisation"):
        sqlite_store.upsert_nodes([Node("person:z", vocab.PERSON, "Z")])
        sqlite_store.upsert_ties([Tie(ids[0], "person:z", "FRIEND")])
        rate(sqlite_store, ids[0], "person:z", GOOD, consent=True, recorded_by="x")
    assert sqlite_store.records(vocab.RATING) == []


def test_comments_wait_for_an_administrator(sqlite_store: SQLiteStore) -> None:
    ids = _place(sqlite_store, MIN_RATINGS)
    _rate_all(sqlite_store, ids[1:])
    rec = rate(sqlite_store, ids[0], CAFE, GOOD, "Lovely people, step-free door.",
               consent=True, recorded_by="x")
    assert rec.data["comment_status"] == "pending"
    assert ratings_summary(sqlite_store).iloc[0]["comments"] == []
    queue = pending_comments(sqlite_store)
    assert queue["comment"].tolist() == ["Lovely people, step-free door."]
    assert "person_id" not in queue.columns
    with pytest.raises(ValidationError, match="only an administrator"):
        moderate(sqlite_store, rec.id, True, COORDINATOR)
    assert ratings_summary(sqlite_store).iloc[0]["comments"] == []
    moderate(sqlite_store, rec.id, True, ADMIN)
    assert ratings_summary(sqlite_store).iloc[0]["comments"] == ["Lovely people, step-free door."]
    assert pending_comments(sqlite_store).empty
    moderate(sqlite_store, rec.id, False, ADMIN)
    assert ratings_summary(sqlite_store).iloc[0]["comments"] == []


def test_a_rejected_comment_is_never_shown(sqlite_store: SQLiteStore) -> None:
    ids = _place(sqlite_store, MIN_RATINGS)
    _rate_all(sqlite_store, ids[1:])
    rec = rate(sqlite_store, ids[0], CAFE, GOOD, "Names a volunteer unkindly.", consent=True,
               recorded_by="x")
    moderate(sqlite_store, rec.id, False, ADMIN)
    assert ratings_summary(sqlite_store).iloc[0]["comments"] == []
    plain = next(r for r in sqlite_store.records(vocab.RATING) if r.id != rec.id)
    with pytest.raises(ValidationError, match="no comment"):
        moderate(sqlite_store, plain.id, True, ADMIN)


def test_provision_weight_falls_with_accessibility() -> None:
    assert provision_weight(None) == 1.0 == provision_weight(float("nan"))
    assert provision_weight(5) == 1.0 == provision_weight(3)
    assert provision_weight(2) == 0.5
    assert provision_weight(1) == 0.25 == provision_weight(1.5)


def test_weights_come_only_from_published_ratings(sqlite_store: SQLiteStore) -> None:
    ids = _place(sqlite_store, MIN_RATINGS)
    _rate_all(sqlite_store, ids[:-1], accessible=1)
    assert provision_weights(sqlite_store) == {}
    _rate_all(sqlite_store, ids[-1:], accessible=1)
    assert provision_weights(sqlite_store) == {CAFE: 0.25}


def test_erasing_a_rater_removes_their_rating(sqlite_store: SQLiteStore, tmp_path) -> None:
    ids = _place(sqlite_store, MIN_RATINGS)
    _rate_all(sqlite_store, ids)
    with AccessDB(tmp_path / "access.db") as access:
        erase_person(sqlite_store, access, ids[0], by="admin")
    assert len(sqlite_store.records(vocab.RATING)) == MIN_RATINGS - 1
    assert ratings_summary(sqlite_store).empty


def test_a_place_rated_inaccessible_counts_as_a_quarter_provider(sqlite_store: SQLiteStore,
                                                                 tmp_path) -> None:
    """Issue 18: the Gaps measure weighs a provider by its published accessibility rating: five
    raters answering 1 make the cafe count as 0.25 of a provider, so its area's food need is
    weak provision; the fast (snapshot) path and ``analyse`` agree."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    from assetmap.graph.analysis import provision_gaps
    from assetmap.graph.analysis.provision import provision_gaps_snapshot
    from assetmap.graph.analysis.snapshot import Snapshot

    ids = _place(sqlite_store, MIN_RATINGS)
    sqlite_store.upsert_nodes([
        Node(CAFE, vocab.GROUP, "Cafe", lat=53.45, lon=-2.30, props={"needs": ["food"]}),
        Node("area:A", vocab.AREA, "Area A", props={"level": "lsoa"}),
        *(Node(i, vocab.PERSON, f"R{n}", area="area:A", lat=53.45, lon=-2.30,
               props={"needs": ["food"]}) for n, i in enumerate(ids))])
    areas = gpd.GeoDataFrame({"area_code": ["area:A"], "area_name": ["Area A"]},
                             geometry=[box(-2.32, 53.44, -2.28, 53.46)], crs="EPSG:4326")
    G = sqlite_store.to_networkx()

    def food(frame: pd.DataFrame) -> pd.Series:
        return frame.set_index("need").loc["food"]

    plain = food(provision_gaps(G, areas, max_km=2.0, weights=provision_weights(sqlite_store)))
    assert plain.providers_within_reach == 1 and plain.weighted_providers == 1.0
    assert not plain.weak_provision
    _rate_all(sqlite_store, ids, accessible=1)
    weights = provision_weights(sqlite_store)
    assert weights == {CAFE: 0.25}
    G = sqlite_store.to_networkx()
    rated = provision_gaps(G, areas, max_km=2.0, weights=weights)
    row = food(rated)
    assert (row.providers_within_reach, row.weighted_providers) == (1, 0.25)
    assert row.weak_provision and not row.flagged
    assert "weak provision" in row.reasons
    fast = provision_gaps_snapshot(Snapshot.from_store(sqlite_store), areas, max_km=2.0,
                                   weights=weights)
    pd.testing.assert_frame_equal(pd.DataFrame(fast.drop(columns="geometry")),
                                  pd.DataFrame(rated.drop(columns="geometry")))
    # without ratings, the weighted count is the plain count
    unweighted = provision_gaps(G, areas, max_km=2.0)
    assert (unweighted["weighted_providers"] == unweighted["providers_within_reach"]).all()


def test_a_group_rates_a_place_it_works_with_on_the_outcomes_page(tmp_path, monkeypatch) -> None:
    """Experts by experience include groups: a coordinator records a peer group's rating of the
    hall it partners with, through the real Outcomes page; it is stored as the group's rating."""
    from pathlib import Path

    from conftest import signed_in
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "assetmap.db"
    store = SQLiteStore(db)
    ids = _place(store, 1)
    store.upsert_ties([Tie(CAFE, HALL, "PARTNERS_WITH")])
    store.close()
    url = f"sqlite:///{db}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    page = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views" / "outcomes.py"
    at = signed_in(AppTest.from_file(str(page), default_timeout=60)).run()
    assert not at.exception
    assert at.selectbox(key="outcomes_group_rater").value == CAFE
    at.checkbox(key="outcomes_rate_consent").check()
    form_buttons = [b for b in at.button if b.proto.label == "Record rating"]
    form_buttons[0].click().run()
    assert not at.exception, at.exception
    with SQLiteStore(db) as store:
        given = [r for r in store.records(vocab.RATING) if r.person_id == CAFE]
        assert [r.subject_id for r in given] == [HALL]
        assert not [r for r in store.records(vocab.RATING) if r.person_id == ids[0]]
