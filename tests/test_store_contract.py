"""The GraphStore contract: every store (SQLite, Neo4j) must pass these tests unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap import vocab
from assetmap.errors import DanglingTieError, NotFoundError, ValidationError
from assetmap.model import Node, Tie

AWKWARD = [
    "O'Brien",
    'Say "hello"',
    "'); DROP TABLE nodes; --",
    "Robert'); MATCH (n) DETACH DELETE n; //",
    "`backtick` } RETURN n //",
    "Café ☕ — Ünïcödé",
    "👩‍👧 family 🏳️‍🌈",
    "שלום עליכם",
    "line one\nline two\ttabbed",
    "\\ back\\slash %_ like",
    "<img src=x onerror=alert(1)>",
]


def sample_nodes() -> list[Node]:
    """One node of every kind, with the props each kind carries."""
    return [
        Node("W1", vocab.AREA, "Ward One", lat=53.4, lon=-2.3,
             props={"level": "ward", "parent": None}),
        Node("L1", vocab.AREA, "LSOA One", area=None, lat=53.41, lon=-2.31,
             props={"level": "lsoa", "parent": "W1"}),
        Node("L2", vocab.AREA, "LSOA Two", props={"level": "lsoa", "parent": "W1"}),
        Node("person:1", vocab.PERSON, "Ann B.", area="L1", lat=53.41, lon=-2.31,
             props={"roles": ["carer"], "interests": ["walking", "singing"],
                    "needs": ["carer_support"], "personal_budget": True,
                    "consent": {"suggest": True, "map": False}, "carer_hours": "20_to_49",
                    "goals": ["get out of the house"], "ucla3": 7}),
        Node("person:2", vocab.PERSON, "Bob C.", area="L1",
             props={"consent": {"suggest": False, "map": False}}),
        Node("person:3", vocab.PERSON, "Cat D.", area="L2", props={"roles": ["volunteer"]}),
        Node("group:walk", vocab.GROUP, "Tuesday Walkers", area="L1", lat=53.42, lon=-2.32,
             props={"activities": ["walking"], "needs": ["loneliness"], "cost": "free",
                    "status": "active", "capacity": 20, "access": ["step_free"]}),
        Node("org:ulo", vocab.ORGANISATION, "Our Voice ULO", area="L2", lat=53.43, lon=-2.33,
             props={"org_kind": "ulo", "user_led": True, "funding": "at_risk"}),
        Node("org:gp", vocab.ORGANISATION, "Park Practice", area="L2",
             props={"org_kind": "gp_practice"}),
        Node("pr:1", vocab.PRACTITIONER, "Link Worker 1", area="L2", props={"role": "link_worker"}),
        Node("source:1", vocab.SOURCE, "Example boundaries",
             props={"licence": "OGL v3", "imported": ["boundaries"]}),
    ]


def sample_ties() -> list[Tie]:
    """One tie of every kind in the vocabulary, each between allowed node kinds."""
    return [
        Tie("person:1", "person:2", "FAMILY", {"since": "1990"}),
        Tie("person:1", "person:3", "FRIEND", {"frequency": "weekly"}),
        Tie("person:2", "person:3", "NEIGHBOUR"),
        Tie("person:3", "person:1", "PEER"),
        Tie("person:1", "person:2", "CARES_FOR", {"hours": "20_to_49"}),
        Tie("person:1", "group:walk", "ATTENDS", {"frequency": "weekly"}),
        Tie("person:3", "group:walk", "VOLUNTEERS_AT"),
        Tie("person:2", "pr:1", "SUPPORTED_BY"),
        Tie("person:2", "org:ulo", "PAID_SUPPORT"),
        Tie("person:2", "person:3", "SHARED_LIVES"),
        Tie("person:1", "group:walk", "REFERRED_TO",
            {"status": "referred", "date": "2026-11-01", "by": "pr:1"}),
        Tie("org:ulo", "group:walk", "RUNS"),
        Tie("pr:1", "org:gp", "WORKS_AT"),
        Tie("org:ulo", "org:gp", "PARTNERS_WITH"),
        Tie("org:ulo", "L2", "IN_AREA"),
    ]


def load(store) -> None:
    with store.transaction():
        store.upsert_nodes(sample_nodes())
        store.upsert_ties(sample_ties())


def snapshot(store) -> tuple[list, list]:
    return list(store.nodes()), list(store.ties())


def test_every_tie_kind_is_sampled():
    assert {t.kind for t in sample_ties()} == set(vocab.TIE_KINDS)
    assert {n.kind for n in sample_nodes()} == set(vocab.NODE_KINDS)


def test_round_trip_every_node_kind(store):
    load(store)
    for node in sample_nodes():
        got = store.get(node.id)
        assert got == node, node.id


def test_round_trip_every_tie_kind(store):
    load(store)
    for tie in sample_ties():
        got = store.get_tie(tie.src, tie.dst, tie.kind)
        assert got.kind == tie.kind
        assert {got.src, got.dst} == {tie.src, tie.dst}
        assert got.props == tie.props
    assert store.count_ties() == len(sample_ties())
    for kind in vocab.TIE_KINDS:
        assert store.count_ties(kind) == 1


def test_counts_by_kind(store):
    load(store)
    assert store.count() == len(sample_nodes())
    assert store.count(vocab.PERSON) == 3
    assert store.count(vocab.AREA) == 3


def test_reupsert_is_idempotent(store):
    load(store)
    before = snapshot(store)
    load(store)
    assert snapshot(store) == before


def test_upsert_updates_by_id(store):
    load(store)
    store.upsert_nodes([Node("group:walk", vocab.GROUP, "Tuesday Walkers",
                             props={"activities": ["walking"], "status": "closed"})])
    got = store.get("group:walk")
    assert got.props["status"] == "closed"
    assert got.area is None and got.lat is None
    # ties survive an update of their endpoint
    assert store.get_tie("person:1", "group:walk", "ATTENDS").kind == "ATTENDS"
    store.upsert_ties([Tie("person:1", "group:walk", "REFERRED_TO", {"status": "attended"})])
    assert store.get_tie("person:1", "group:walk", "REFERRED_TO").props == {"status": "attended"}


def test_symmetric_tie_is_stored_once(store):
    load(store)
    store.upsert_ties([Tie("person:3", "person:1", "FRIEND", {"frequency": "daily"})])
    assert store.count_ties("FRIEND") == 1
    assert store.get_tie("person:1", "person:3", "FRIEND").props == {"frequency": "daily"}
    # a directed tie the other way round is a different tie
    store.upsert_ties([Tie("person:2", "person:1", "CARES_FOR")])
    assert store.count_ties("CARES_FOR") == 2


def test_transaction_rolls_back_everything(store):
    load(store)
    before = snapshot(store)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_nodes([Node("person:9", vocab.PERSON, "New")])
            store.upsert_ties([Tie("person:9", "person:1", "FRIEND")])
            store.delete("person:2")
            raise RuntimeError("interrupted import")
    assert snapshot(store) == before


def test_bad_record_in_a_batch_writes_nothing(store):
    load(store)
    before = snapshot(store)
    batch = [Node("person:7", vocab.PERSON, "Ok"), Node("person:8", "Martian", "Bad"),
             Node("person:9", vocab.PERSON, "Ok too")]
    with pytest.raises(ValidationError) as err:
        store.upsert_nodes(batch)
    assert "Martian" in str(err.value)
    assert snapshot(store) == before


def test_dangling_tie_is_rejected_clearly(store):
    load(store)
    before = snapshot(store)
    with pytest.raises(DanglingTieError) as err:
        store.upsert_ties([Tie("person:1", "person:3", "FAMILY"),
                           Tie("person:1", "person:404", "FRIEND")])
    message = str(err.value)
    assert "person:404" in message and "not in the store" in message
    assert "\n" not in message
    assert snapshot(store) == before


def test_tie_between_wrong_kinds_is_rejected(store):
    load(store)
    with pytest.raises(ValidationError) as err:
        store.upsert_ties([Tie("group:walk", "person:1", "FRIEND")])
    assert "cannot run from a Group to a Person" in str(err.value)


def test_node_cannot_change_kind(store):
    load(store)
    with pytest.raises(ValidationError):
        store.upsert_nodes([Node("person:1", vocab.GROUP, "Now a group")])
    assert store.get("person:1").kind == vocab.PERSON


def test_delete_person_removes_their_ties(store):
    load(store)
    touching = {t.key for t in store.ties() if "person:1" in (t.src, t.dst)}
    assert touching
    store.delete("person:1")
    with pytest.raises(NotFoundError):
        store.get("person:1")
    assert all("person:1" not in (t.src, t.dst) for t in store.ties())
    assert store.count_ties() == len(sample_ties()) - len(touching)
    assert store.get("person:2").name == "Bob C."


def test_delete_unknown_is_not_found(store):
    with pytest.raises(NotFoundError) as err:
        store.delete("person:nobody")
    assert "person:nobody" in str(err.value)


def test_delete_tie(store):
    load(store)
    store.delete_tie("person:3", "person:1", "FRIEND")  # symmetric: either direction
    with pytest.raises(NotFoundError):
        store.get_tie("person:1", "person:3", "FRIEND")
    assert store.count_ties() == len(sample_ties()) - 1


def test_get_unknown_is_not_found(store):
    with pytest.raises(NotFoundError):
        store.get("nope")
    with pytest.raises(NotFoundError):
        store.get_tie("person:1", "nope", "FRIEND")


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_strings_are_stored_verbatim(store, text):
    key = " ".join(text.split())  # ids and area codes may not hold control characters
    node = Node(f"person:{key}", vocab.PERSON, text, area=key,
                props={"note": text, "goals": [text], text[:20]: text})
    group = Node("group:x", vocab.GROUP, text, props={"schedule": text})
    store.upsert_nodes([node, group])
    store.upsert_ties([Tie(node.id, "group:x", "ATTENDS", {"note": text})])
    assert store.get(node.id) == node
    assert store.get("group:x").name == text
    assert store.get_tie(node.id, "group:x", "ATTENDS").props == {"note": text}
    assert [n.id for n in store.find(vocab.PERSON, name=text)] == [node.id]
    assert store.count() == 2


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                           blacklist_characters="\x00"), max_size=60),
       note=st.text(max_size=40).filter(lambda s: "\x00" not in s))
def test_any_text_round_trips(store, name, note):
    node = Node("person:prop", vocab.PERSON, name, props={"note": note})
    store.upsert_nodes([node])
    assert store.get("person:prop") == node


def test_find_by_kind_column_and_props(store):
    load(store)
    assert [n.id for n in store.find(vocab.PERSON)] == ["person:1", "person:2", "person:3"]
    assert [n.id for n in store.find(vocab.PERSON, area="L1")] == ["person:1", "person:2"]
    assert [n.id for n in store.find(vocab.PERSON, interests="walking")] == ["person:1"]
    assert [n.id for n in store.find(vocab.ORGANISATION, org_kind="ulo")] == ["org:ulo"]
    assert [n.id for n in store.find(vocab.ORGANISATION, user_led=True)] == ["org:ulo"]
    assert [n.id for n in store.find(vocab.AREA, parent="W1")] == ["L1", "L2"]
    assert list(store.find(vocab.PERSON, interests="'); DROP TABLE nodes; --")) == []
    assert store.count() == len(sample_nodes())


def test_find_rejects_odd_field_names(store):
    with pytest.raises(ValidationError):
        list(store.find(vocab.PERSON, **{"x') OR 1=1 --": 1}))


def test_neighbours_both_directions(store):
    load(store)
    got = store.neighbours("person:3")
    kinds = sorted((t.kind, n.id) for t, n in got)
    assert ("FRIEND", "person:1") in kinds
    assert ("PEER", "person:1") in kinds
    assert ("VOLUNTEERS_AT", "group:walk") in kinds
    assert ("SHARED_LIVES", "person:2") in kinds
    only = store.neighbours("person:3", kinds=["FRIEND"])
    assert [(t.kind, n.id) for t, n in only] == [("FRIEND", "person:1")]


def test_to_networkx_whole_graph(store):
    load(store)
    G = store.to_networkx()
    assert G.number_of_nodes() == len(sample_nodes())
    assert G.number_of_edges() == len(sample_ties())
    ann = G.nodes["person:1"]
    assert ann["kind"] == vocab.PERSON and ann["name"] == "Ann B."
    assert ann["interests"] == ["walking", "singing"] and ann["area"] == "L1"
    assert ann["consent"] == {"suggest": True, "map": False}
    data = G.get_edge_data("person:1", "group:walk", key="ATTENDS")
    assert data["tie_class"] == "community" and data["frequency"] == "weekly"
    assert G.get_edge_data("person:2", "pr:1", key="SUPPORTED_BY")["tie_class"] == "professional"


def test_to_networkx_by_area_and_kind(store):
    load(store)
    lsoa = store.to_networkx(area="L1")
    assert set(lsoa) == {"L1", "person:1", "person:2", "group:walk"}
    ward = store.to_networkx(area="W1")  # a ward holds its LSOAs and what lies in them
    assert {"person:1", "person:3", "org:ulo", "pr:1", "L1", "L2"} <= set(ward)
    people = store.to_networkx(area="W1", kinds=[vocab.PERSON])
    assert set(people) == {"person:1", "person:2", "person:3"}
    assert all(d["tie_class"] == "community" or d["kind"] == "SHARED_LIVES"
               for _, _, d in people.edges(data=True))
    assert all(u in people and v in people for u, v in people.edges())


def test_version_changes_with_content(store):
    v0 = store.version()
    load(store)
    v1 = store.version()
    assert v1 != v0
    store.delete("person:3")
    assert store.version() != v1
