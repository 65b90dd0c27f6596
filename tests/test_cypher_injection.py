"""Injection corpus: hostile text goes through every store call, is stored verbatim and matched by
``find``, never executed; the graph is intact afterwards. Runs against every store (SQLite and the
Bolt server), plus checks that Cypher text is only ever built from the vocabulary's names."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.graph.store import cypher, neo4j_store
from assetmap.model import Node, Tie

PAYLOADS: list[str] = [
    # quotes and string terminators
    "'", '"', "''", '""', "O'Brien", 'Say "hi"', "\\'", '\\"', "\\", "`",
    "``", "`Person`", "a`b", "' OR 1=1 //", '" OR ""="', "') RETURN 1 //",
    # Cypher structure
    "} RETURN n //", "}) RETURN n //", "}]->() RETURN 1 //", "x' }) DETACH DELETE n //",
    "MATCH (n) DETACH DELETE n", "'; MATCH (n) DETACH DELETE n; //",
    "\"}) MATCH (n) DETACH DELETE n //", "` } RETURN n // `",
    "n`) DETACH DELETE n //", "Person`:Admin", "FRIEND]->(x) DELETE r //",
    "$rows", "$id", "{id: 'x'}", "[1, 2, 3]", "{{}}", "/* comment */ RETURN 1",
    "// line comment", "CALL db.labels()", "CALL dbms.security.createUser('x','y')",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "apoc.cypher.run('MATCH (n) DELETE n')",
    ":begin", "UNION MATCH (n) RETURN n", "\u0060 RETURN 1 \u0060",
    # SQL, for the SQLite store
    "'); DROP TABLE nodes; --", "1; DELETE FROM ties", "%", "_", "%_%", "' OR '1'='1",
    # unicode and odd characters
    "Café ☕ — Ünïcödé", "👩‍👧 family 🏳️‍🌈", "שלום עליכם", "مرحبا", "日本語のテキスト",
    "\u202eevil\u202c", "zero\u200bwidth", "\ufeffbom", "ʼapostrophe modifier ʼ",
    "＇fullwidth quote＇", "\u2028line separator", "tab\there", "new\nline", "cr\rreturn",
    "<script>alert(1)</script>", "${jndi:ldap://x/a}", "{{7*7}}", "null", "NULL", "true", " ",
]


def test_corpus_is_big_and_distinct() -> None:
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def _id(i: int, text: str) -> str:
    # ids may not hold control characters (the model refuses them), so those are dropped
    return f"person:{i}:" + "".join(c for c in text if ord(c) >= 32)


def _baseline(store) -> None:
    store.upsert_nodes([
        Node("L1", vocab.AREA, "LSOA", props={"level": "lsoa", "parent": None}),
        Node("group:hub", vocab.GROUP, "Hub", area="L1", props={"activities": ["walking"]}),
        Node("person:anchor", vocab.PERSON, "Anchor", area="L1"),
    ])
    store.upsert_ties([Tie("person:anchor", "group:hub", "ATTENDS")])


def test_payloads_are_stored_verbatim_and_never_run(store) -> None:
    _baseline(store)
    people = [Node(_id(i, text), vocab.PERSON, text, area=_id(i, text),
                   props={"note": text, "goals": [text, "plain"], "bio": {"text": text}})
              for i, text in enumerate(PAYLOADS)]
    store.upsert_nodes(people)
    store.upsert_ties([Tie(p.id, "group:hub", "ATTENDS", {"note": p.name}) for p in people])
    store.upsert_ties([Tie(p.id, "person:anchor", "FRIEND", {"how": p.name}) for p in people])
    nodes_after, ties_after = store.count(), store.count_ties()
    assert nodes_after == 3 + len(PAYLOADS) and ties_after == 1 + 2 * len(PAYLOADS)

    for person, text in zip(people, PAYLOADS, strict=True):
        assert store.get(person.id) == person, text
        assert store.get_tie(person.id, "group:hub", "ATTENDS").props == {"note": text}
        assert store.get_tie("person:anchor", person.id, "FRIEND").props == {"how": text}
        assert [n.id for n in store.find(vocab.PERSON, name=text)] == [person.id], text
        assert [n.id for n in store.find(vocab.PERSON, note=text)] == [person.id], text
        assert [n.id for n in store.find(vocab.PERSON, goals=text)] == [person.id], text
        assert [n.id for n in store.find(area=person.area)] == [person.id], text
        assert sorted(n.id for _, n in store.neighbours(person.id)) == \
            ["group:hub", "person:anchor"]
        # hostile text where a kind, tie kind or id is expected: refused or not found
        assert list(store.find(text)) == []
        assert store.count(text) == 0 and store.count_ties(text) == 0
        assert store.neighbours(person.id, kinds=[text]) == []
        store.delete_tie(person.id, "group:hub", text)
        with pytest.raises(NotFoundError):
            store.get_tie(person.id, "group:hub", text)
        with pytest.raises(NotFoundError):
            store.get(text + "\u2063")
        with pytest.raises(NotFoundError):
            store.delete(f"missing:{person.id}")
        assert set(store.to_networkx(area=person.area)) == {person.id}

    # the graph is intact: nothing was deleted or added by any payload
    assert store.count() == nodes_after and store.count_ties() == ties_after
    assert store.get("person:anchor").name == "Anchor"
    assert store.count_ties("ATTENDS") == 1 + len(PAYLOADS)
    G = store.to_networkx()
    assert G.number_of_nodes() == nodes_after and G.number_of_edges() == ties_after
    assert {G.nodes[p.id]["name"] for p in people} == set(PAYLOADS)


def test_hostile_filter_names_are_refused(store) -> None:
    _baseline(store)
    hostile = [f"x{text}" for text in PAYLOADS if not f"x{text}".isidentifier()]
    assert len(hostile) >= 50
    for key in hostile:
        with pytest.raises(ValidationError):
            list(store.find(vocab.PERSON, **{key: 1}))
    assert store.count() == 3


@pytest.mark.parametrize("text", PAYLOADS[:30])
def test_labels_and_types_only_from_the_vocabulary(text: str) -> None:
    with pytest.raises(ValidationError):
        cypher.label(text)
    with pytest.raises(ValidationError):
        cypher.rel_type(text)
    with pytest.raises(ValidationError):
        cypher.create_nodes(text)
    with pytest.raises(ValidationError):
        cypher.merge_ties(text)


def test_every_name_in_query_text_is_from_the_allow_lists() -> None:
    for kind in vocab.NODE_KINDS:
        assert cypher.label(kind) == f"`{kind}`"
    for kind in vocab.TIE_KINDS:
        assert cypher.rel_type(kind) == f"`{kind}`"
        assert f"[r:`{kind}`]" in cypher.merge_ties(kind)
        assert "$rows" in cypher.merge_ties(kind)


def test_store_runs_no_cypher_of_its_own() -> None:
    """Every query the store runs is a name from assetmap.graph.store.cypher, never a literal string
    or an f-string put together in the store module."""
    tree = ast.parse(Path(inspect.getfile(neo4j_store)).read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute)
             and n.func.attr in {"run", "execute_query", "_read", "_stream"}]
    assert len(calls) >= 10
    for call in calls:
        first = call.args[0]
        target = first.func if isinstance(first, ast.Call) else first
        if isinstance(target, ast.Name):  # a loop variable over cypher.schema_statements()
            assert target.id in {"statement", "query"}, ast.dump(call)
            continue
        assert isinstance(target, ast.Attribute), ast.dump(call)
        assert isinstance(target.value, ast.Name) and target.value.id == "cypher", \
            ast.unparse(call)
