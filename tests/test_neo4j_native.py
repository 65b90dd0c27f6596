"""The Neo4j store's native schema on the real Bolt test server: list, boolean and date
properties, ``location`` points, and IN_AREA / PART_OF relationships that plain Cypher can query
after ``assetmap copy``; an older store migrates; a server lost mid-import says what to do."""

from __future__ import annotations

import socket
import threading

import neo4j
import pytest
from bolt_server import open_bolt_store, wipe
from click.testing import CliRunner

from assetmap import vocab
from assetmap.errors import StoreError
from assetmap.graph.store import cypher, store_summary
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A small synthetic demo in SQLite (Trafford's areas and assets, 200 people)."""
    from assetmap.demo import synthetic

    path = tmp_path_factory.mktemp("native") / "demo.db"
    store = SQLiteStore(path)
    synthetic.populate(store, 200, 3)
    store.close()
    return path


def _query(server, text: str, **params) -> list[dict]:
    with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        records = driver.execute_query(text, params, database_=server.database).records
    return [dict(r) for r in records]


def test_copy_of_the_demo_is_queryable_with_plain_cypher(bolt_server, demo_db):
    from assetmap.cli import main

    wipe(bolt_server)
    host = bolt_server.uri.split("://", 1)[1]
    target = f"bolt://{bolt_server.user}:{bolt_server.password}@{host}/{bolt_server.database}"
    result = CliRunner().invoke(main, ["copy", "--from", f"sqlite:///{demo_db}", "--to", target])
    assert result.exit_code == 0, result.output
    walkers = _query(bolt_server, "MATCH (p:Person) WHERE 'walking' IN p.interests "
                                  "RETURN p.id AS id")
    located = _query(bolt_server, "MATCH (g:Group) WHERE g.location IS NOT NULL "
                                  "RETURN g.id AS id, g.location AS location")
    wards = _query(bolt_server, "MATCH (:Area)-[:PART_OF]->(w:Area) RETURN DISTINCT w.id AS id")
    placed = _query(bolt_server, "MATCH (p:Person)-[:IN_AREA]->(a:Area) "
                                 "RETURN p.id AS id, p.area AS area, a.id AS area_id")
    assert walkers and located and wards and placed
    assert all(r["area"] == r["area_id"] for r in placed)
    assert all(r["location"].latitude and r["location"].longitude for r in located)
    # the derived relationships are not ties: the store reads back exactly what was copied
    with open_bolt_store(bolt_server) as store, SQLiteStore(demo_db) as src:
        assert store.count_ties() == src.count_ties()
        assert store.count_ties("IN_AREA") == src.count_ties("IN_AREA")


def test_native_types_and_area_links_follow_every_write(bolt_server):
    wipe(bolt_server)
    with open_bolt_store(bolt_server) as store:
        store.upsert_nodes([
            Node("p1", vocab.PERSON, "Ann", area="L1", lat=53.4, lon=-2.3,
                 props={"interests": ["walking"], "personal_budget": True,
                        "consent": {"suggest": True, "map": False}, "ucla3": 5}),
            Node("L1", vocab.AREA, "LSOA", props={"level": "lsoa", "parent": "W1"}),
            Node("W1", vocab.AREA, "Ward", props={"level": "ward", "parent": None}),
            Node("g1", vocab.GROUP, "Walkers", area="L1", props={"status": "active"}),
        ])
        store.upsert_ties([Tie("p1", "g1", "REFERRED_TO", {"date": "2026-11-01"}),
                           Tie("g1", "L1", "IN_AREA")])
        row = _query(bolt_server, "MATCH (p:Person {id: 'p1'}) RETURN p.interests AS i, "
                                  "p.personal_budget AS b, p.consent_suggest AS s, "
                                  "p.consent_map AS m, p.location AS loc, p.ucla3 AS u")[0]
        assert row["i"] == ["walking"] and row["b"] is True and row["s"] is True
        assert row["m"] is False and row["u"] == 5 and row["loc"].latitude == 53.4
        date = _query(bolt_server, "MATCH (:Person)-[r:REFERRED_TO]->() RETURN r.date AS d")
        assert str(date[0]["d"]) == "2026-11-01"
        assert _query(bolt_server, "MATCH (:Area {id: 'L1'})-[:PART_OF]->(w:Area) "
                                   "RETURN w.id AS id") == [{"id": "W1"}]
        # the stored IN_AREA tie and the derived one are one relationship; the tie reads back
        assert store.count_ties("IN_AREA") == 1
        store.delete_tie("g1", "L1", "IN_AREA")
        assert store.count_ties("IN_AREA") == 0
        assert _query(bolt_server, "MATCH (:Group)-[:IN_AREA]->(a) RETURN a.id AS id") == \
            [{"id": "L1"}]  # still in L1 by its area column
        # moving a person moves their IN_AREA; a location removed removes the point
        store.upsert_nodes([Node("p1", vocab.PERSON, "Ann", area="W1", props={})])
        assert _query(bolt_server, "MATCH (:Person {id: 'p1'})-[:IN_AREA]->(a) "
                                   "RETURN a.id AS id, a.location AS loc") == \
            [{"id": "W1", "loc": None}]
        assert _query(bolt_server, "MATCH (p:Person {id: 'p1'}) RETURN p.interests AS i, "
                                   "p.location AS loc") == [{"i": None, "loc": None}]
        assert store.get("p1").props == {}


def test_a_store_written_before_schema_2_migrates_once(bolt_server):
    wipe(bolt_server)
    # the version 1 layout: props only as JSON, no schema mark, no area relationships
    _query(bolt_server, f"CREATE (:{cypher.NODE_LABEL}:Person {{id: 'p1', kind: 'Person', "
                        f"name: 'Ann', area: 'L1', props_json: $props}}) "
                        f"CREATE (:{cypher.NODE_LABEL}:Area {{id: 'L1', kind: 'Area', name: 'L', "
                        f"props_json: '{{}}'}})",
           props='{"interests":["walking"]}')
    with open_bolt_store(bolt_server) as store:
        assert store.get("p1").props == {"interests": ["walking"]}
        assert store.migrate() == 0  # already done on open
    assert _query(bolt_server, "MATCH (p:Person)-[:IN_AREA]->(:Area) WHERE 'walking' IN "
                               "p.interests RETURN p.id AS id") == [{"id": "p1"}]


def test_point_index_or_its_fallback(bolt_server):
    wipe(bolt_server)  # no schema mark: the schema statements run
    with open_bolt_store(bolt_server) as store:
        # ArcadeDB accepts the statement; a server that refuses it runs without the index
        assert store.point_index in (True, False)
        if bolt_server.is_stand_in:
            assert store.point_index is True
    with open_bolt_store(bolt_server) as store:  # marked now: one read, no schema statements
        assert store.point_index is None


def test_info_counts_by_label(bolt_server):
    wipe(bolt_server)
    with open_bolt_store(bolt_server) as store:
        store.upsert_nodes([Node("p1", vocab.PERSON, "Ann")])
        summary = store_summary(store)
    assert summary["nodes"][vocab.PERSON] == 1
    assert "MATCH (n:`Person`)" in cypher.count_nodes(vocab.PERSON)  # one label: counts store


class _Proxy:
    """A TCP relay to the Bolt server that the test can cut, as a lost network would."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target = port
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_a_server_lost_mid_import_says_where_and_what_to_do(bolt_server):
    from assetmap.graph.store.neo4j_store import Neo4jStore

    wipe(bolt_server)
    port = int(bolt_server.uri.rsplit(":", 1)[1])
    proxy = _Proxy(port)
    store = Neo4jStore(f"bolt://127.0.0.1:{proxy.port}", user=bolt_server.user,
                       password=bolt_server.password, database=bolt_server.database,
                       connection_acquisition_timeout=5, max_transaction_retry_time=1)
    with pytest.raises(StoreError) as err, store.transaction():
        store.upsert_nodes([Node("p1", vocab.PERSON, "Ann")])
        proxy.cut()
        store.upsert_nodes([Node("p2", vocab.PERSON, "Bo")])
    assert str(err.value) == (f"could not reach Neo4j at 127.0.0.1:{proxy.port}; nothing was "
                              "written; run the import again")
    with open_bolt_store(bolt_server) as direct:
        assert direct.count(vocab.PERSON) == 0
