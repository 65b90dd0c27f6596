"""Moving an area between stores: SQLite -> Neo4j (the Bolt test server) -> SQLite finds every
node and tie equal, the CLI verb does the same, and a failed copy leaves the target as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from bolt_server import BoltServer, open_bolt_store, wipe
from click.testing import CliRunner

from assetmap import vocab
from assetmap.cli import main
from assetmap.demo import synthetic
from assetmap.errors import ValidationError
from assetmap.graph.store.copy import compare_stores, copy_store
from assetmap.graph.store.neo4j_store import Neo4jStore
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node

SAME = {"nodes_only_in_a": [], "nodes_only_in_b": [], "nodes_differ": [],
        "ties_only_in_a": [], "ties_only_in_b": [], "ties_differ": []}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated area (300 synthetic people, the real Trafford assets) in SQLite."""
    path = tmp_path_factory.mktemp("copy") / "demo.db"
    store = SQLiteStore(path)
    synthetic.populate(store, people=300, seed=7)
    store.close()
    return path


@pytest.fixture
def bolt_store(bolt_server: BoltServer) -> Iterator[Neo4jStore]:
    wipe(bolt_server)
    store = open_bolt_store(bolt_server, batch_size=500)
    yield store
    store.close()


def _graph_signature(G: nx.MultiDiGraph) -> tuple[dict, dict]:
    nodes = {n: dict(d) for n, d in G.nodes(data=True)}
    edges = {(u, v, k): dict(d) for u, v, k, d in G.edges(keys=True, data=True)}
    return nodes, edges


def test_round_trip_sqlite_neo4j_sqlite(demo_db: Path, bolt_store: Neo4jStore,
                                        tmp_path: Path) -> None:
    src = SQLiteStore(demo_db)
    back = SQLiteStore(tmp_path / "back.db")
    try:
        there = copy_store(src, bolt_store, batch_size=400)
        assert there["nodes"] == src.count() > 1000
        assert there["ties"] == src.count_ties() > 500
        assert bolt_store.count() == src.count()
        for kind in vocab.TIE_KINDS:
            assert bolt_store.count_ties(kind) == src.count_ties(kind), kind
        assert compare_stores(src, bolt_store) == SAME

        home = copy_store(bolt_store, back, batch_size=400)
        assert home["nodes"] == there["nodes"] and home["ties"] == there["ties"]
        assert compare_stores(src, back) == SAME
        assert list(src.nodes()) == list(back.nodes())
        assert list(src.ties()) == list(back.ties())

        # the analysis view is the same graph whichever store it comes from
        assert _graph_signature(bolt_store.to_networkx()) == _graph_signature(src.to_networkx())
        ward = next(a.id for a in src.find(vocab.AREA, level="ward"))
        assert _graph_signature(bolt_store.to_networkx(area=ward, kinds=[vocab.PERSON])) == \
            _graph_signature(src.to_networkx(area=ward, kinds=[vocab.PERSON]))
    finally:
        src.close()
        back.close()


def test_compare_stores_sees_a_difference(demo_db: Path, tmp_path: Path) -> None:
    src = SQLiteStore(demo_db)
    other = SQLiteStore(tmp_path / "other.db")
    try:
        copy_store(src, other)
        person = next(src.find(vocab.PERSON))
        changed = Node(person.id, person.kind, person.name + " changed", person.area,
                       person.lat, person.lon, person.props)
        other.upsert_nodes([changed])
        tie = next(other.ties())
        other.delete_tie(*tie.key)
        diff = compare_stores(src, other)
        assert diff["nodes_differ"] == [person.id]
        assert diff["ties_only_in_a"] == [tie.key]
    finally:
        src.close()
        other.close()


def test_failed_copy_leaves_the_target_as_it_was(demo_db: Path, bolt_store: Neo4jStore) -> None:
    src = SQLiteStore(demo_db)
    try:
        # the target already holds, as a Group, an id the source has as a Person: the batch
        # holding it is refused after earlier batches were sent, and the whole copy rolls back
        last_person = list(src.find(vocab.PERSON))[-1]
        bolt_store.upsert_nodes([Node(last_person.id, vocab.GROUP, "Not a person")])
        before = (list(bolt_store.nodes()), list(bolt_store.ties()), bolt_store.version())
        with pytest.raises(ValidationError):
            copy_store(src, bolt_store, batch_size=100)
        assert (list(bolt_store.nodes()), list(bolt_store.ties()), bolt_store.version()) == before
        assert bolt_store.count() == 1
    finally:
        src.close()


def test_cli_copy_verb_both_ways(demo_db: Path, bolt_server: BoltServer, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    wipe(bolt_server)
    monkeypatch.setenv("ASSETMAP_NEO4J_USER", bolt_server.user)
    monkeypatch.setenv("ASSETMAP_NEO4J_PASSWORD", bolt_server.password)
    if bolt_server.database:
        monkeypatch.setenv("ASSETMAP_NEO4J_DATABASE", bolt_server.database)
    else:
        monkeypatch.delenv("ASSETMAP_NEO4J_DATABASE", raising=False)
    runner = CliRunner()
    there = runner.invoke(main, ["copy", "--from", f"sqlite:///{demo_db}",
                                 "--to", bolt_server.uri])
    assert there.exit_code == 0, there.output
    assert "copied" in there.output and bolt_server.password not in there.output
    back_db = tmp_path / "back.db"
    home = runner.invoke(main, ["copy", "--from", bolt_server.uri, "--to",
                                f"sqlite:///{back_db}", "--batch-size", "250"])
    assert home.exit_code == 0, home.output
    a, b = SQLiteStore(demo_db), SQLiteStore(back_db)
    try:
        assert compare_stores(a, b) == SAME
        assert f"{a.count():,} records" in there.output
    finally:
        a.close()
        b.close()


def test_cli_copy_reports_a_bad_url_in_one_sentence(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["copy", "--from", "ftp://x", "--to",
                                       f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "not known" in result.output
