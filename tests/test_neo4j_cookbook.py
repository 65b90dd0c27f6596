"""The Neo4j cookbook (docs/neo4j.md, notebook 03) on the real Bolt test server: each question's
Cypher gives the answer worked out by hand for a small synthetic area copied in with
``copy_store``; counts leave suppressed; the small queries agree with the SQLite store; and the
access database is one per server, however its URL is spelt, and travels with ``--with-accounts``.
"""

from __future__ import annotations

import pytest
from bolt_server import open_bolt_store, wipe
from click.testing import CliRunner

from assetmap import settings, vocab
from assetmap.errors import NotFoundError, StoreError
from assetmap.governance import privacy
from assetmap.governance.access import AccessDB
from assetmap.graph.store import cookbook, cypher
from assetmap.graph.store.copy import copy_store
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

HOME = (53.45, -2.30)


def _at(km_north: float) -> dict:
    """A point ``km_north`` km north of HOME."""
    return {"lat": HOME[0] + km_north / 111.2, "lon": HOME[1]}


def _area(tmp_path) -> SQLiteStore:
    """A ward of two LSOAs: in L1 one isolated person, one with services only, two friends; in
    L2 ten people at a group run by a user-led organisation, nine of them with no other tie."""
    store = SQLiteStore(tmp_path / "area.db")
    consent = {"suggest": True, "map": False}
    nodes = [
        Node("t:W", vocab.AREA, "Ward", props={"level": "ward", "parent": None}),
        Node("t:L1", vocab.AREA, "LSOA 1", props={"level": "lsoa", "parent": "t:W"}),
        Node("t:L2", vocab.AREA, "LSOA 2", props={"level": "lsoa", "parent": "t:W"}),
        Node("t:a1", vocab.PERSON, "A1", area="t:L1", **_at(0)),
        Node("t:a2", vocab.PERSON, "A2", area="t:L1", **_at(0)),
        Node("t:a3", vocab.PERSON, "A3", area="t:L1", **_at(0), props={"consent": consent}),
        Node("t:a4", vocab.PERSON, "A4", area="t:L1", **_at(0), props={"consent": consent}),
        Node("t:a5", vocab.PERSON, "A5", area="t:L1", props={"consent": {"suggest": False}}),
        Node("t:pr", vocab.PRACTITIONER, "GP", props={"role": "gp"}),
        Node("t:u1", vocab.ORGANISATION, "Our Voice", **_at(1),
             props={"org_kind": "ulo", "user_led": True}),
        Node("t:u2", vocab.ORGANISATION, "Peer Power", **_at(1),
             props={"org_kind": "ulo", "user_led": True}),
        Node("t:g1", vocab.GROUP, "Walk and Talk", **_at(1.2), props={"status": "active"}),
        Node("t:g2", vocab.GROUP, "Choir", **_at(2.1), props={"status": "active"}),
        Node("t:g3", vocab.GROUP, "Peer Cafe", **_at(2.6), props={"status": "active"}),
        Node("t:g4", vocab.GROUP, "Allotment", **_at(4.5), props={"status": "active"}),
        Node("t:g5", vocab.GROUP, "Chess", **_at(6.0), props={"status": "active"}),
        Node("t:g6", vocab.GROUP, "Closed Club", **_at(0.5), props={"status": "closed"}),
    ]
    nodes += [Node(f"t:b{i}", vocab.PERSON, f"B{i}", area="t:L2") for i in range(10)]
    ties = [Tie("t:a2", "t:pr", "SUPPORTED_BY"), Tie("t:a3", "t:a4", "FRIEND"),
            Tie("t:a3", "t:a5", "FRIEND"), Tie("t:a4", "t:g4", "ATTENDS"),
            Tie("t:a5", "t:g5", "ATTENDS"), Tie("t:a3", "t:g3", "ATTENDS"),
            Tie("t:u1", "t:g1", "RUNS"), Tie("t:u2", "t:g3", "RUNS"),
            Tie("t:b9", "t:g2", "ATTENDS")]
    ties += [Tie(f"t:b{i}", "t:g1", "ATTENDS") for i in range(10)]
    with store.transaction():
        store.upsert_nodes(nodes)
        store.upsert_ties(ties)
    return store


@pytest.fixture(scope="module")
def stores(bolt_server, tmp_path_factory):
    """The area in SQLite, and copied into the Bolt server (emptied first)."""
    src = _area(tmp_path_factory.mktemp("cookbook"))
    wipe(bolt_server)
    neo = open_bolt_store(bolt_server)
    copy_store(src, neo)
    yield src, neo
    neo.close()
    src.close()


def test_isolated_people_per_lsoa_in_a_ward(stores):
    _, neo = stores
    raw = neo._read(cypher.ISOLATED_PER_LSOA, ward="t:W", community=cookbook.community_kinds(),
                    professional=cookbook.professional_kinds())
    assert [(r["lsoa"], r["people"], r["isolated"], r["service_only"]) for r in raw] == [
        ("t:L1", 5, 1, 1), ("t:L2", 10, 0, 0)]
    published = cookbook.isolated_per_lsoa(neo, "t:W")
    assert list(published.index) == ["t:L1", "t:L2", privacy.TOTAL_LABEL]
    assert published.loc[privacy.TOTAL_LABEL, privacy.TOTAL_LABEL] == "15"
    # no count from 1 to 7 is ever shown as itself
    shown = {v for v in published.to_numpy().ravel()}
    assert not shown & {str(n) for n in range(1, settings.load().suppress_below)}
    assert published.loc["t:L1", "isolated"] in ("<8", privacy.SECONDARY_MARK)


def test_groups_near_a_person_and_where_their_friends_go(stores):
    _, neo = stores
    found = cookbook.groups_near_person(neo, "t:a3", km=3)
    rows = {r.group_id: r for r in found.itertuples()}
    # within 3 km and open: g1, g2, g3 (g6 is closed); friends go to g4 (a4 consented), not g5
    assert {g for g, r in rows.items() if r.nearby} == {"t:g1", "t:g2", "t:g3"}
    assert {g for g, r in rows.items() if r.friends_go} == {"t:g4"}
    assert found.iloc[0].group_id == "t:g4"  # where friends go first
    assert rows["t:g1"].distance == privacy.distance_band(1.2)
    assert set(found["distance"]) <= {privacy.distance_band(k) for k in (1.2, 2.1, 2.6, 4.5)}
    with pytest.raises(NotFoundError):
        cookbook.groups_near_person(neo, "t:nobody")


def test_user_led_organisation_whose_closure_cuts_most_people_off(stores):
    _, neo = stores
    raw = neo._read(cypher.ULO_CLOSURE_RANKING, membership=list(cookbook.MEMBERSHIP),
                    community=cookbook.community_kinds())
    assert [(r["id"], r["groups_run"], r["reached"], r["cut_off"]) for r in raw] == [
        ("t:u1", 1, 10, 9), ("t:u2", 1, 1, 0)]
    ranking = cookbook.ulo_closure_ranking(neo)
    assert list(ranking["id"]) == ["t:u1", "t:u2"]
    assert list(ranking["cut_off"]) == [privacy.publish_count(9), "0"]
    assert list(ranking["reached"]) == [privacy.publish_count(10), "<8"]


def test_small_queries_agree_on_both_stores(stores):
    src, neo = stores
    for store in (src, neo):
        assert [r["id"] for r in store.groups_near(*HOME, 3)] == ["t:g1", "t:g2", "t:g3"]
        assert {(r["person_id"], r["place_id"]) for r in store.place_dependants("t:u1")} == \
            {(f"t:b{i}", "t:g1") for i in range(10)}
        assert store.place_dependants("t:g2") == [
            {"person_id": "t:b9", "place_id": "t:g2", "tie_kind": "ATTENDS"}]
    near_neo = cookbook.groups_near(neo, *HOME, 5.5)
    near_sql = cookbook.groups_near(src, *HOME, 5.5)
    assert list(near_neo["id"]) == list(near_sql["id"]) == ["t:g1", "t:g2", "t:g3", "t:g4"]
    assert (near_neo["km"] - near_sql["km"]).abs().max() < 0.01
    neo._no_point_distance = True  # a server without point.distance: the bounding box
    try:
        assert list(cookbook.groups_near(neo, *HOME, 5.5)["id"]) == list(near_sql["id"])
    finally:
        neo._no_point_distance = False


def test_the_cookbook_asks_for_a_neo4j_store(stores):
    src, _ = stores
    with pytest.raises(StoreError, match="open a Neo4j store"):
        cookbook.ulo_closure_ranking(src)


# --- one access database per server (issue 16 item 3) ---------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("bolt://localhost:7687", "bolt://127.0.0.1:7687"),
    ("neo4j://127.0.0.1", "bolt+s://user:pw@[::1]:7687/"),
    ("bolt://DB.Example.org:7687/area", "neo4j://db.example.org/area"),
    ("bolt://db.example.org?database=area", "neo4j://db.example.org:7687/area"),
])
def test_two_spellings_of_one_server_share_one_server_key(tmp_path, monkeypatch, a, b):
    # The accounts themselves are nodes in the database (tests/test_governance_neo4j.py shows
    # two spellings of the Bolt test server seeing one set); the key file that signs sessions
    # and keys the audit chain is found the same way however the URL is spelt.
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.delenv("ASSETMAP_NEO4J_DATABASE", raising=False)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    assert settings.access_db_path(a) == settings.access_db_path(b)


@pytest.mark.parametrize("a, b", [
    ("bolt://localhost:7687/one", "bolt://localhost:7687/two"),
    ("bolt://localhost:7687", "bolt://localhost:7688"),
    ("bolt://db.example.org", "bolt://127.0.0.1"),
])
def test_other_servers_or_databases_do_not(tmp_path, monkeypatch, a, b):
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    assert settings.access_db_path(a) != settings.access_db_path(b)


def test_an_access_database_keyed_by_url_text_is_adopted(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    old = tmp_path / f"access-{hashlib.sha256(b'bolt://localhost:7687').hexdigest()[:16]}.db"
    with AccessDB(old) as db:
        db.add_user("coord.one", "coordinator", "a long and unusual passphrase 42")
    # another server: not adopted
    assert settings.access_db_path("bolt://db.example.org") != old and old.exists()
    new = settings.access_db_path("bolt://localhost:7687")  # the old spelling: adopted
    assert not old.exists() and new.exists()
    assert settings.access_db_path("neo4j://127.0.0.1") == new  # and every spelling finds it
    # (the first AccessDB.for_store on that server then moves it into the database:
    # tests/test_governance_neo4j.py::test_an_access_file_from_before_moves_into_the_database_once)


def test_copy_with_accounts_moves_them_to_the_target_server(bolt_server, tmp_path, monkeypatch):
    from assetmap.cli import main

    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSETMAP_NEO4J_USER", bolt_server.user)
    monkeypatch.setenv("ASSETMAP_NEO4J_PASSWORD", bolt_server.password)
    src = SQLiteStore(tmp_path / "small.db")
    src.upsert_nodes([Node("t:p", vocab.PERSON, "P")])
    src.close()
    from_url = f"sqlite:///{tmp_path / 'small.db'}"
    with AccessDB.for_store(from_url) as db:
        db.add_user("coord.one", "coordinator", "a long and unusual passphrase 42")
        db.add_to_caseload("coord.one", ["t:p"])
    port = bolt_server.uri.rsplit(":", 1)[1]
    target = f"bolt://127.0.0.1:{port}/{bolt_server.database}"
    wipe(bolt_server)
    result = CliRunner().invoke(main, ["copy", "--from", from_url, "--to", target,
                                       "--with-accounts"])
    assert result.exit_code == 0, result.output
    assert "1 accounts" in result.output
    with AccessDB.for_store(f"neo4j://localhost:{port}/{bolt_server.database}") as db:
        user = db.user("coord.one")
        assert user.caseload == frozenset({"t:p"})
    # a second copy would overwrite those accounts: refused before the graph moves
    again = CliRunner().invoke(main, ["copy", "--from", from_url, "--to", target,
                                      "--with-accounts"])
    assert again.exit_code != 0 and "already has accounts" in again.output
    assert "Traceback" not in again.output


@pytest.mark.parametrize("hostile", [
    "x' OR 1=1 //", "t:u1\"}) MATCH (n) DETACH DELETE n //", "') RETURN 1 UNION MATCH (n) RETURN n",
    "t:W} ]-(x) //", "\u0000", "$id",
])
def test_user_text_is_only_ever_a_parameter(stores, hostile):
    src, neo = stores
    before = neo.count()
    assert neo.place_dependants(hostile) == src.place_dependants(hostile) == []
    assert cookbook.isolated_per_lsoa(neo, hostile).loc[privacy.TOTAL_LABEL].tolist() == \
        ["0"] * 4
    with pytest.raises(NotFoundError):
        cookbook.groups_near_person(neo, hostile)
    assert neo.count() == before
