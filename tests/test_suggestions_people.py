"""Suggestions people trust (issue 14): someone with no ties is offered people who share their
interests, needs or goals nearby (only people who consented), with reasons; people who share a
group are told so; the sessions of one venue are one suggestion."""

from __future__ import annotations

import pytest
from test_analysis_graphs import at_km, build, group, person, tie

from assetmap import vocab
from assetmap.governance.privacy import has_consent
from assetmap.graph.analysis import suggest_connections
from assetmap.graph.analysis.suggestions import merge_places

YES = {"suggest": True, "map": True}
NO = {"suggest": False, "map": True}


@pytest.fixture
def lonely_area(tmp_path):
    nodes = [
        person("ivy", "Ivy", at_km(0), interests=["walking", "gardening"], needs=["loneliness"],
               goals=["join a choir"]),
        person("amy", "Amy", at_km(0.4, 0), consent=YES, interests=["walking"]),
        person("ben", "Ben", at_km(1.5, 90), consent=YES, interests=["walking", "gardening"],
               needs=["loneliness"]),
        person("col", "Col", at_km(0.3, 180), consent=NO, interests=["walking", "gardening"]),
        person("dot", "Dot", at_km(0.2, 270), interests=["walking"]),  # no consent recorded
        person("eli", "Eli", at_km(0.6, 45), consent=YES, interests=["singing"]),  # goal: choir
        person("far", "Far", at_km(9.0, 0), consent=YES, interests=["walking"]),
        person("fay", "Fay", at_km(0.5, 300), consent=YES, interests=["football"]),
        group("walk", "Health walk", at_km(0.8, 10), activities=["walking"]),
    ]
    ties = [tie("person:amy", "group:walk", "ATTENDS"), tie("person:fay", "group:walk", "ATTENDS")]
    return build(tmp_path / "lonely.db", nodes, ties)


def test_someone_with_no_ties_is_offered_people_with_reasons(lonely_area):
    G = lonely_area
    df = suggest_connections(G, "person:ivy", k=20, max_km=3.0, kinds={vocab.PERSON})
    got = df.set_index("candidate_id")
    # shared interests, needs or goals within reach, and consent: Amy, Ben, and Eli (her goal
    # "join a choir" reads as singing); never Col (said no), Dot (never asked), Far (too far),
    # Fay (nothing in common, no link)
    assert set(got.index) == {"person:amy", "person:ben", "person:eli"}
    assert "also into walking" in got.loc["person:amy", "reasons"]
    assert "also into gardening, walking" in got.loc["person:ben", "reasons"]
    assert "shares a need" in got.loc["person:ben", "reasons"]
    assert "loneliness" not in got.loc["person:ben", "reasons"]  # another's need, not named
    assert got.loc["person:ben", "matched"] == ["gardening", "walking"]
    assert "also into singing" in got.loc["person:eli", "reasons"]
    for r in df.itertuples():
        assert has_consent(G.nodes[r.candidate_id], "suggest")
        assert r.match > 0 and r.social == 0
    # nearness as a band, then how much is shared: Amy (0.4 km) and Eli (0.6 km) are both in
    # the nearest bands ahead of Ben (1.5 km), who shares the most
    assert list(df["candidate_id"])[-1] == "person:ben"


def test_non_consenting_people_are_never_suggested(lonely_area):
    G = lonely_area
    for pid in ("person:ivy", "person:amy", "person:ben", "person:fay"):
        df = suggest_connections(G, pid, k=50, max_km=50.0)
        assert not {"person:col", "person:dot"} & set(df["candidate_id"])


def test_people_at_the_same_group_are_told_where(lonely_area):
    # Fay and Amy both go to the health walk: for Fay, Amy "also goes to Health walk"
    df = suggest_connections(lonely_area, "person:fay", k=20, max_km=3.0, kinds={vocab.PERSON})
    got = df.set_index("candidate_id")
    assert "also goes to Health walk" in got.loc["person:amy", "reasons"]
    assert got.loc["person:amy", "social"] > 0


@pytest.fixture
def venue_area(tmp_path):
    nodes = [
        person("ann", "Ann", at_km(0), interests=["walking", "singing", "crafts"]),
        group("hall", "St Mary's Hall", at_km(1.0), kind=vocab.ORGANISATION,
              activities=["crafts"], schedule="Mondays 10:00"),
        group("walk", "St Mary's Hall walking group", at_km(1.0), activities=["walking"],
              venue="org:hall", schedule="Tuesdays 10:00", cost="free"),
        group("sing", "St Mary's Hall choir", at_km(1.0), activities=["singing"],
              venue="org:hall", schedule="Thursdays 19:00", cost="low"),
        # one name at one point, recorded twice (two sessions of one class)
        group("yoga1", "Chair yoga", at_km(2.0, 0), activities=["walking"],
              schedule="Wednesdays 11:00"),
        group("yoga2", "Chair  Yoga", at_km(2.0, 0), activities=["walking"],
              schedule="Fridays 11:00"),
        group("park", "Park run", at_km(0.5, 200), activities=["walking"]),
    ]
    return build(tmp_path / "venue.db", nodes)


def test_sessions_of_one_venue_are_one_suggestion(venue_area):
    G = venue_area
    merged = suggest_connections(G, "person:ann", k=10, max_km=3.0)
    apart = suggest_connections(G, "person:ann", k=10, max_km=3.0, merge_venues=False)
    assert len(apart) == 6 and len(merged) == 3
    assert merged["candidate_id"].tolist()[0] == apart["candidate_id"].tolist()[0]
    hall = merged[merged["session_ids"].map(lambda s: "org:hall" in s)].iloc[0]
    assert hall["place"] == "St Mary's Hall"
    assert hall["sessions"] == 3
    assert sorted(hall["session_ids"]) == ["group:sing", "group:walk", "org:hall"]
    assert "Tuesdays 10:00" in hall["when"] and "Thursdays 19:00" in hall["when"]
    assert hall["cost"] == "free / low"
    yoga = merged[merged["session_ids"].map(lambda s: "group:yoga1" in s)].iloc[0]
    assert sorted(yoga["session_ids"]) == ["group:yoga1", "group:yoga2"]
    # the order is the unmerged order, each place at its best session's rank
    firsts = [ids[0] for ids in merged["session_ids"]]
    assert firsts == [c for c in apart["candidate_id"] if c in firsts]
    # merging is idempotent and never merges people
    again = merge_places(G, merged)
    assert again["candidate_id"].tolist() == merged["candidate_id"].tolist()


def test_k_counts_places_not_sessions(venue_area):
    top2 = suggest_connections(venue_area, "person:ann", k=2, max_km=3.0)
    assert len(top2) == 2 and sum(top2["sessions"]) > 2


def test_few_asked_for_are_the_first_of_many(tmp_path):
    """The shared-interest prefilter keeps only the first few people: asking for 3 gives the
    first 3 of asking for all."""
    nodes = [person("me", "Me", at_km(0), interests=["walking", "bowls"])]
    nodes += [person(f"p{i:02d}", f"P{i}", at_km(0.1 * i, 37 * i), consent=YES,
                     interests=["walking", "bowls"][: 1 + i % 2]) for i in range(1, 29)]
    G = build(tmp_path / "many.db", nodes)
    every = suggest_connections(G, "person:me", k=100, max_km=3.0, kinds={vocab.PERSON})
    assert len(every) == 28
    for k in (1, 3, 7):
        few = suggest_connections(G, "person:me", k=k, max_km=3.0, kinds={vocab.PERSON})
        assert few["candidate_id"].tolist() == every["candidate_id"].head(k).tolist()
    # within a band, those who share more come first
    first_band = every[every["proximity"] == every["proximity"].max()]
    assert list(first_band["match"]) == sorted(first_band["match"], reverse=True)


def test_people_take_at_most_a_third_of_the_list_while_places_can_fill_it():
    import pandas as pd

    from assetmap.graph.analysis.suggestions import mix_people_and_places

    def frame(people: int, places: int) -> pd.DataFrame:
        rows = [{"candidate_id": f"p{i}", "kind": vocab.PERSON, "score": 0.9 - i / 100}
                for i in range(people)]
        rows += [{"candidate_id": f"g{i}", "kind": vocab.GROUP, "score": 0.5 - i / 100}
                 for i in range(places)]
        return pd.DataFrame(rows).sort_values("score", ascending=False, ignore_index=True)

    mixed = mix_people_and_places(frame(10, 10), 10)
    assert (mixed["kind"] == vocab.PERSON).sum() == 3 and len(mixed) == 10
    assert mixed["score"].is_monotonic_decreasing  # score order kept
    assert list(mixed["candidate_id"][:3]) == ["p0", "p1", "p2"]  # the best people, not any
    few_places = mix_people_and_places(frame(10, 2), 10)
    assert (few_places["kind"] == vocab.GROUP).sum() == 2 and len(few_places) == 10
    assert (mix_people_and_places(frame(0, 4), 10)["kind"] == vocab.GROUP).all()
    assert (mix_people_and_places(frame(5, 0), 3)["kind"] == vocab.PERSON).sum() == 3
