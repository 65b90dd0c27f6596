"""``GraphStore.get_ties_many`` on every store (SQLite and the Bolt server), and the tie merge
that reads each batch of ties with it instead of one tie at a time (issue 12)."""

from __future__ import annotations

from test_store_contract import load, sample_ties

from assetmap import vocab
from assetmap.ingest.merge import merge_ties
from assetmap.ingest.report import ImportReport
from assetmap.model import Tie


def test_get_ties_many_finds_every_stored_tie_by_the_key_asked(store):
    load(store)
    ties = sample_ties()
    keys = [t.key for t in ties]
    flipped = [(t.dst, t.src, t.kind) for t in ties]
    absent = [("person:1", "person:2", "NOT_A_KIND"), ("person:1", "nobody", "FRIEND"),
              ("person:3", "group:walk", "ATTENDS")]
    found = store.get_ties_many([*keys, *flipped, *absent])
    for key in keys:
        assert found[key] == store.get_tie(*key), key
    for (src, dst, kind), key in zip(flipped, keys, strict=True):
        if kind in vocab.SYMMETRIC_TIES:  # stored once: found whichever way round
            assert found[(src, dst, kind)] == store.get_tie(*key)
        else:
            assert (src, dst, kind) not in found
    for key in absent:
        assert key not in found
    assert store.get_ties_many([]) == {}
    assert store.get_ties_many(iter(keys[:1])) == {keys[0]: store.get_tie(*keys[0])}


def test_tie_merge_reads_batches_not_single_ties(store, monkeypatch):
    load(store)

    def one_at_a_time(*args):
        raise AssertionError("merge_ties read a tie on its own")

    monkeypatch.setattr(store, "get_tie", one_at_a_time)
    incoming = [("line 2", Tie("person:1", "person:3", "FRIEND", {"frequency": "weekly"})),
                ("line 3", Tie("person:3", "person:2", "NEIGHBOUR", {"since": "2001"})),
                ("line 4", Tie("person:2", "group:walk", "ATTENDS", {})),
                ("line 5", Tie("person:3", "person:1", "FRIEND", {"since": "2020"}))]
    report = ImportReport("spreadsheet", "ties.csv")
    with store.transaction():
        merge_ties(store, incoming[:3], report)
    # unchanged; a prop added to a symmetric tie asked the other way round; a new tie
    assert (report.new, report.changed, report.unchanged) == (1, 1, 1)
    assert report.field_changes == {"since": 1}
    assert report.written == 2
    again = ImportReport("spreadsheet", "ties.csv")
    version = store.version()
    with store.transaction():
        merge_ties(store, incoming, again)
    assert (again.new, again.changed, again.unchanged) == (0, 1, 3)
    assert store.version() != version
    monkeypatch.undo()
    assert store.get_tie("person:1", "person:3", "FRIEND").props == {
        "frequency": "weekly", "since": "2020"}
