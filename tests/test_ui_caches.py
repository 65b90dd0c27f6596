"""The app's shared caches hold nothing of an older store version once the store changes."""

from __future__ import annotations

from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node
from assetmap.ui import common


def test_an_erased_person_leaves_no_cached_copy(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'area.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "area.db")
    store.upsert_nodes([Node("L1", "Area", "LSOA", props={"level": "lsoa"}),
                        Node("person:1", "Person", "Canary Quill", area="L1"),
                        Node("person:2", "Person", "Other Person", area="L1")])
    before = store.version()
    common.forget_stale(url, before)
    assert "person:1" in set(common._people_options(url, before)["person_id"])
    assert "person:1" in common.graph(url, before)

    store.delete("person:1")  # as `assetmap person erase` does, from another process
    after = store.version()
    assert common.forget_stale(url, after) is True
    # Asking with the old key can no longer return the cached copy: it is read afresh.
    assert "person:1" not in set(common._people_options(url, before)["person_id"])
    assert "person:1" not in common.graph(url, before)
    assert common.forget_stale(url, after) is False  # nothing more to drop
    store.close()


def test_warm_up_builds_the_network_once_per_version(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'warm.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "warm.db")
    store.upsert_nodes([Node("person:1", "Person", "A"), Node("person:2", "Person", "B")])
    builds = []
    real = SQLiteStore.to_networkx

    def counting(self, *args, **kwargs):
        builds.append(self.version())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "to_networkx", counting)
    thread = common.warm_up()
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    version = store.version()
    assert builds == [version]
    assert set(common.graph(url, version)) == {"person:1", "person:2"}
    assert common.isolation_table(url, version)["person_id"].tolist()  # ready, not rebuilt
    assert builds == [version]  # the page's call was served from the warm cache
    assert common.warm_up() is None  # once per version
    store.upsert_nodes([Node("person:3", "Person", "C")])
    again = common.warm_up()
    assert again is not None
    again.join(timeout=60)
    # one write: the graph is patched with what it touched, never read again whole (issue 13)
    assert builds == [version]
    assert "person:3" in common.graph(url, store.version())
    store.close()
