"""What the Neo4j store does beyond the shared contract (tests/test_store_contract.py): URLs and
credentials, schema, transactions without savepoints, batching and isolation, against the Bolt
test server (ArcadeDB, or the real Neo4j named by ASSETMAP_NEO4J_URI)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import quote

import neo4j
import pytest
from bolt_server import BoltServer, open_bolt_store, wipe

from assetmap import vocab
from assetmap.errors import StoreError, ValidationError
from assetmap.graph.store import GraphStore, cypher, open_store, store_summary
from assetmap.graph.store.neo4j_store import Neo4jStore
from assetmap.model import Node, Tie


@pytest.fixture
def neo(bolt_server: BoltServer) -> Iterator[Neo4jStore]:
    wipe(bolt_server)
    store = open_bolt_store(bolt_server, batch_size=100)
    yield store
    store.close()


def _people(n: int, start: int = 0) -> list[Node]:
    return [Node(f"person:{i:05d}", vocab.PERSON, f"P{i}", area="L1",
                 props={"interests": ["walking"] if i % 2 else ["singing"]})
            for i in range(start, start + n)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- URLs and credentials -------------------------------------------------------------------------

def test_open_store_dispatches_bolt_urls_with_env_credentials(
        bolt_server: BoltServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETMAP_NEO4J_USER", bolt_server.user)
    monkeypatch.setenv("ASSETMAP_NEO4J_PASSWORD", bolt_server.password)
    monkeypatch.delenv("ASSETMAP_NEO4J_DATABASE", raising=False)
    url = bolt_server.uri + (f"/{bolt_server.database}" if bolt_server.database else "")
    store = open_store(url)
    try:
        assert isinstance(store, Neo4jStore) and isinstance(store, GraphStore)
        assert store.database == bolt_server.database
        assert bolt_server.password not in store.url and bolt_server.password not in repr(store)
        assert store_summary(store)["nodes"][vocab.PERSON] == store.count(vocab.PERSON)
    finally:
        store.close()


def test_credentials_and_database_from_the_url(bolt_server: BoltServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSETMAP_NEO4J_USER", raising=False)
    monkeypatch.delenv("ASSETMAP_NEO4J_PASSWORD", raising=False)
    monkeypatch.setenv("ASSETMAP_NEO4J_DATABASE", "not-this-one")
    wipe(bolt_server)
    scheme, rest = bolt_server.uri.split("://", 1)
    url = (f"{scheme}://{quote(bolt_server.user, safe='')}:"
           f"{quote(bolt_server.password, safe='')}@{rest}")
    if bolt_server.database:
        url += f"/{bolt_server.database}"
        expected = bolt_server.database
    else:
        url += "?database=neo4j"
        expected = "neo4j"
    store = Neo4jStore.from_url(url)
    try:
        assert store.database == expected
        assert bolt_server.password not in store.url
        store.upsert_nodes(_people(1))
        assert store.count() == 1
    finally:
        store.close()


def test_wrong_password_is_one_clear_sentence(bolt_server: BoltServer) -> None:
    wrong = "not-the-" + bolt_server.password
    with pytest.raises(StoreError) as err:
        store = Neo4jStore(bolt_server.uri, user=bolt_server.user, password=wrong,
                           database=bolt_server.database)
        store.close()
    message = str(err.value)
    assert "Cannot connect" in message and wrong not in message and "\n" not in message


def test_no_server_is_one_clear_sentence() -> None:
    port = _free_port()
    with pytest.raises(StoreError) as err:
        Neo4jStore(f"bolt://127.0.0.1:{port}", user="neo4j", password="x",  # noqa: S106
                   connection_timeout=5, max_transaction_retry_time=1)
    assert f"127.0.0.1:{port}" in str(err.value)


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(StoreError):
        Neo4jStore("http://127.0.0.1:7474")


# --- schema ---------------------------------------------------------------------------------------

def test_schema_is_idempotent_and_ids_are_unique(neo: Neo4jStore,
                                                 bolt_server: BoltServer) -> None:
    neo.ensure_schema()
    neo.ensure_schema()
    neo.upsert_nodes(_people(1))
    with neo4j.GraphDatabase.driver(bolt_server.uri,
                                    auth=(bolt_server.user, bolt_server.password)) as driver:
        with pytest.raises(neo4j.exceptions.ConstraintError):
            driver.execute_query(f"CREATE (n:{cypher.NODE_LABEL}:Group {{id: $id}})",
                                 id="person:00000", database_=bolt_server.database)
    assert neo.count() == 1 and neo.get("person:00000").kind == vocab.PERSON


def test_nodes_carry_their_kind_as_a_label(neo: Neo4jStore, bolt_server: BoltServer) -> None:
    neo.upsert_nodes([Node("org:1", vocab.ORGANISATION, "Org", props={"org_kind": "ulo"})])
    with neo4j.GraphDatabase.driver(bolt_server.uri,
                                    auth=(bolt_server.user, bolt_server.password)) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n:Organisation {id: $id}) RETURN labels(n) AS labels, n.props_json AS p",
            id="org:1", database_=bolt_server.database)
    assert set(records[0]["labels"]) == {cypher.NODE_LABEL, vocab.ORGANISATION}
    assert records[0]["p"] == '{"org_kind":"ulo"}'


# --- batches and transactions ---------------------------------------------------------------------

def test_many_batches_land_whole(neo: Neo4jStore) -> None:
    assert neo.batch_size == 100
    people = _people(1234)
    v0 = neo.version()
    assert neo.upsert_nodes(people) == 1234
    assert neo.version() == v0 + 1  # one call, one transaction, one version step
    ties = [Tie(people[i].id, people[i + 1].id, "FRIEND") for i in range(0, 1233, 2)]
    assert neo.upsert_ties(ties) == len(ties)
    assert neo.count(vocab.PERSON) == 1234 and neo.count_ties("FRIEND") == len(ties)
    assert [n.id for n in neo.nodes()] == sorted(p.id for p in people)
    walkers = [n.id for n in neo.find(vocab.PERSON, interests="walking")]
    assert walkers == [p.id for p in people if "walking" in p.props["interests"]]


def test_dangling_tie_in_a_late_batch_writes_nothing(neo: Neo4jStore) -> None:
    neo.upsert_nodes(_people(300))
    ties = [Tie(f"person:{i:05d}", f"person:{i + 1:05d}", "NEIGHBOUR") for i in range(299)]
    ties.append(Tie("person:00000", "person:99999", "NEIGHBOUR"))
    with pytest.raises(StoreError) as err:
        neo.upsert_ties(ties)
    assert "person:99999" in str(err.value)
    assert neo.count_ties() == 0


def test_transaction_block_is_one_commit(neo: Neo4jStore, bolt_server: BoltServer) -> None:
    other = open_bolt_store(bolt_server)
    try:
        with neo.transaction():
            neo.upsert_nodes(_people(150))
            neo.upsert_nodes(_people(150, start=150))
            assert neo.count() == 300  # the block sees its own writes ...
            assert other.count() == 0  # ... nobody else does until it commits
            assert neo.get("person:00299").name == "P299"
        assert other.count() == 300
    finally:
        other.close()


def test_other_threads_do_not_join_a_transaction(neo: Neo4jStore) -> None:
    seen: list[int] = []
    with neo.transaction():
        neo.upsert_nodes(_people(5))
        worker = threading.Thread(target=lambda: seen.append(neo.count()))
        worker.start()
        worker.join(30)
    assert seen == [0]
    assert neo.count() == 5


def test_nested_block_refused_before_writing_keeps_the_outer(neo: Neo4jStore) -> None:
    neo.upsert_nodes([Node("group:1", vocab.GROUP, "G")])
    with neo.transaction():
        neo.upsert_nodes(_people(3))
        with pytest.raises(ValidationError):
            with neo.transaction():
                neo.upsert_nodes([Node("group:1", vocab.PERSON, "Now a person")])
        neo.upsert_nodes(_people(2, start=3))
    assert neo.count(vocab.PERSON) == 5 and neo.get("group:1").kind == vocab.GROUP


def test_nested_block_failing_after_writing_rolls_back_everything(neo: Neo4jStore) -> None:
    """Neo4j has no savepoints: a nested block that raises after writing dooms the outer
    transaction, and leaving the outer block says so instead of committing half an import."""
    neo.upsert_nodes(_people(2))
    before = (list(neo.nodes()), neo.version())
    with pytest.raises(StoreError) as err:
        with neo.transaction():
            neo.upsert_nodes(_people(3, start=10))
            try:
                with neo.transaction():
                    neo.delete("person:00000")
                    raise RuntimeError("interrupted")
            except RuntimeError:
                pass
    assert "nothing was written" in str(err.value)
    assert (list(neo.nodes()), neo.version()) == before


def test_version_is_shared_between_connections(neo: Neo4jStore, bolt_server: BoltServer) -> None:
    other = open_bolt_store(bolt_server)
    try:
        v = other.version()
        neo.upsert_nodes(_people(1))
        assert other.version() != v
        v = other.version()
        neo.delete_tie("person:00000", "person:00001", "FRIEND")  # nothing to delete
        assert other.version() == v
    finally:
        other.close()


def test_to_networkx_streams_a_large_graph(neo: Neo4jStore) -> None:
    people = _people(2000)
    neo.upsert_nodes(people)
    neo.upsert_ties([Tie(people[i].id, people[(i * 7 + 1) % 2000].id, "CARES_FOR")
                     for i in range(2000) if people[i].id != people[(i * 7 + 1) % 2000].id])
    G = neo.to_networkx(kinds=[vocab.PERSON])
    assert G.number_of_nodes() == 2000 and G.number_of_edges() == neo.count_ties()
    assert G.nodes["person:01999"]["interests"] == ["walking"]


def test_find_matches_the_sqlite_store(neo: Neo4jStore, sqlite_store) -> None:
    """Every kind of filter value gives the same answer from both stores (the server narrows
    by the props JSON text, the store then tests each prop exactly)."""
    nodes = [
        Node("person:a", vocab.PERSON, "A", area="L1",
             props={"capacity": 20, "score": 1.0, "note": 'say "hi"', "goals": ["x", "y"],
                    "consent": {"map": False, "suggest": True}, "personal_budget": True,
                    "tags": [1, 2], "empty": None}),
        Node("person:b", vocab.PERSON, "B", area="L2",
             props={"capacity": 2, "score": 1, "note": "say hi", "goals": ["y"],
                    "consent": {"suggest": True, "map": False}, "personal_budget": False,
                    "tags": [2, 1], "other": "20"}),
        Node("person:c", vocab.PERSON, "", props={"note": "\u00e9t\u00e9 \u263a", "goals": []}),
    ]
    for store in (neo, sqlite_store):
        store.upsert_nodes(nodes)
    filters = [
        {"capacity": 20}, {"capacity": 2}, {"score": 1.0}, {"score": 1}, {"note": 'say "hi"'},
        {"note": "say hi"}, {"goals": "y"}, {"goals": ["x", "y"]}, {"goals": []},
        {"consent": {"suggest": True, "map": False}}, {"personal_budget": True},
        {"personal_budget": False}, {"tags": [1, 2]}, {"tags": 2}, {"empty": None},
        {"other": "20"}, {"other": 20}, {"note": "\u00e9t\u00e9 \u263a"}, {"missing": None},
        {"name": ""}, {"area": None}, {"area": "L1", "goals": "y"}, {"note": "say"},
    ]
    for f in filters:
        assert [n.id for n in neo.find(vocab.PERSON, **f)] == \
            [n.id for n in sqlite_store.find(vocab.PERSON, **f)], f
