"""What every page shares: the store (one connection per store URL), cached area results keyed
on the store's version, one-sentence errors and the data attribution footer."""

from __future__ import annotations

import bisect
import threading
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import streamlit as st

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.errors import AssetmapError
from assetmap.graph.store import GraphStore, open_store

if TYPE_CHECKING:  # no import at run time: access imports this module's neighbours
    from assetmap.governance.access import User
from assetmap.render import maps

EMPTY_STORE_MESSAGE = ("No one in this store yet — import your own data (`assetmap import "
                       "boundaries`, then `assetmap import spreadsheet`), or run `assetmap demo` "
                       "to build the demo area.")


def store_url() -> str:
    """The store this app shows: the ``ASSETMAP_STORE`` setting (or the default file)."""
    return _settings.default_store_url()


@st.cache_resource(show_spinner=False)
def _open(url: str) -> GraphStore:
    return open_store(url)


def get_store() -> GraphStore:
    """The shared connection to the configured store (opened once per URL per server)."""
    return _open(store_url())


@st.cache_data(show_spinner="Finding who is isolated…", max_entries=8)
def isolation_counts(url: str, version: int) -> pd.DataFrame:
    """Isolation levels counted per smallest area (an aggregate), cached per store version."""
    return maps.isolation_counts(isolation_table(url, version))


@st.cache_data(show_spinner="Counting people by area…", max_entries=32)
def people_by_area(url: str, version: int, level: str,
                   with_isolation: bool = False) -> gpd.GeoDataFrame:
    """Area counts (aggregates only, safe to share between users), cached per store version.

    ``with_isolation`` adds the structural isolation measures (builds the graph: slower)."""
    extra = isolation_counts(url, version) if with_isolation else None
    return maps.people_by_area(_open(url), level, extra=extra,
                               boundaries=boundaries(url, version, level))


@st.cache_data(show_spinner=False, max_entries=8)
def assets(url: str, version: int) -> pd.DataFrame:
    """The public assets (groups and organisations with a location), cached per store version."""
    return maps.asset_frame(_open(url))


#: The last store version each store URL was seen at (shared by every session on this server).
_SEEN_VERSIONS: dict[str, int] = {}


def forget_stale(url: str, version: int) -> bool:
    """When the store has changed, drop every cached result of older versions at once.

    Caches are keyed on the version, so old entries are never served again; dropping them also
    means a person erased from the store (``assetmap person erase``) leaves no copy in this
    server's memory. Returns True when something was dropped."""
    previous = _SEEN_VERSIONS.get(url)
    _SEEN_VERSIONS[url] = version
    if previous is None or previous == version:
        return False
    st.cache_data.clear()  # every data cache in the app is keyed on a store version
    graph.clear()
    isolation_table.clear()
    keystone_table.clear()
    _SNAPSHOT_OPTIONS.pop(url, None)  # the snapshot's picker list (it holds people's labels)
    return True


_WARMED: set[tuple[str, int]] = set()


def forget_everything() -> None:
    """Drop every cached result of every store, as a restarted app server starts: for a store
    replaced whole under a running app (wiped and copied into again, so its version numbers
    may repeat with other content), and for tests that do just that."""
    from assetmap.graph.analysis import snapshot as _snapshot
    from assetmap.ui import recording_ui, snapshots

    st.cache_data.clear()
    st.cache_resource.clear()
    with _ISOLATION_LOCK:
        for held in (_SEEN_VERSIONS, _ISOLATION, _OPTIONS, _FRAMES, _SNAPSHOT_OPTIONS, _LABELS,
                     snapshots._SEEN, _snapshot._LIVE, recording_ui._PLACES_AT):
            held.clear()
        _WARMED.clear()
        snapshots._WARMED.clear()


def warm_up() -> threading.Thread | None:
    """Start building the shared graph and isolation table (never keystones) in the background,
    once per store version, so the first Person page after sign-in does not wait for them.
    Returns the thread (tests join it), or None when it is already done or the store cannot be
    read."""
    url = store_url()
    try:
        version = get_store().version()
    except Exception:  # the page itself reports a store that cannot be read
        return None
    if (url, version) in _WARMED:
        return None
    _WARMED.add((url, version))
    thread = threading.Thread(target=_warm, args=(url, version), name="assetmap-warm-up",
                              daemon=True)
    thread.start()
    return thread


def is_server_store(store: GraphStore) -> bool:
    """A store on a server (Neo4j): pages read small queries and snapshots from it, never the
    whole graph, for the Person page and its picker (issue 16)."""
    return getattr(store, "person_neighbourhood", None) is not None


def _warm(url: str, version: int) -> None:
    """Build what the Person page needs for this version: on SQLite the whole graph (read over
    a connection of its own, :func:`_read_graph_aside`), the isolation table and the graph-based
    picker; on a server store the picker from the snapshot."""
    try:
        if is_server_store(_open(url)):
            _people_options(url, version)  # the picker, from the pages' columnar snapshot
            return
        _read_graph_aside(url)
        isolation_table(url, version)  # builds graph(url, version) on the way
        # the picker too, so a search moves to the graph's labels as soon as this is done
        _people_options(url, version)
        # keystones are not warmed: ranking every place holds the GIL for seconds and would
        # block the Person page; the Resilience page computes them when it is opened
    except Exception:  # noqa: S110 - a page that needs it will show the error as one sentence
        pass


def _read_graph_aside(url: str) -> None:
    """Read the whole graph (:func:`assetmap.graph.analysis.snapshot.live_graph`, which
    :func:`graph` then serves) over a second connection to the same SQLite file, closed after.

    Reading the whole store holds its connection's lock for seconds at 20k people; on the
    pages' shared connection every page (even one asking only the store's version, or the
    search reading the saved snapshot) would wait that long right after sign-in. Skipped when
    the graph is held already (then it is patched, quickly) or the store is not a file."""
    from assetmap.graph.analysis.snapshot import _LIVE, live_graph
    from assetmap.graph.store import open_store

    shared = _open(url)
    path = getattr(shared, "path", None)
    if path is None or str(path) == ":memory:" or getattr(shared, "url", None) in _LIVE:
        return
    aside = open_store(url)
    try:
        if getattr(aside, "url", None) == shared.url:  # the key graph() looks it up by
            live_graph(aside)
    finally:
        aside.close()


def store_with_people() -> tuple[GraphStore, int] | None:
    """The store and its version when it holds people; otherwise show why (one sentence, or the
    empty state) with the footer, and return None so the page can stop."""
    try:
        store = get_store()
        version = store.version()
        forget_stale(store_url(), version)
        has_people = store.count(vocab.PERSON) > 0
    except Exception as exc:
        show_error(exc)
        footer()
        return None
    if not has_people:
        st.info(EMPTY_STORE_MESSAGE)
        footer()
        return None
    return store, version


def error_text(exc: BaseException) -> str:
    """A problem as one sentence a user can read, never a traceback."""
    if isinstance(exc, AssetmapError):
        return str(exc)
    return (f"Something went wrong: {type(exc).__name__}. Check the store setting and try "
            "again.")


def show_error(exc: BaseException) -> None:
    """Show a problem as one sentence, never a traceback."""
    st.error(error_text(exc))


@st.cache_data(show_spinner=False, max_entries=8)
def _attribution(url: str, version: int) -> str:
    from assetmap.graph.store.sources import attribution_text

    return attribution_text(_open(url))


def attribution() -> str:
    """The data and map credits every page shows: the sources recorded in the store by what was
    imported (:mod:`assetmap.graph.store.sources`), never a fixed area's."""
    try:
        return _attribution(store_url(), get_store().version())
    except Exception:  # a store that cannot be read credits nothing but the map tiles
        return f"{maps.OSM_ATTRIBUTION}."


@st.cache_data(show_spinner=False, max_entries=8)
def sources_table(url: str, version: int) -> pd.DataFrame:
    """The data sources recorded in the store, for the About and Data pages (one row each)."""
    from assetmap.graph.store.sources import MAP_TILES, sources

    rows = [{"Data": r["data"] or r["imported"], "From": r["source"], "Licence": r["licence"],
             "Imported": r["date"]} for r in sources(_open(url))]
    rows.append({"Data": "Street map tiles (optional background)", "From": MAP_TILES,
                 "Licence": "ODbL", "Imported": ""})
    return pd.DataFrame(rows, columns=["Data", "From", "Licence", "Imported"])


@st.cache_data(show_spinner=False, max_entries=32)
def boundaries(url: str, version: int, level: str | None) -> gpd.GeoDataFrame:
    """The store's boundaries at ``level`` (None: every level), from the one provider,
    :func:`assetmap.graph.store.areas.areas`, cached per store version; empty when none."""
    from assetmap.graph.store.areas import areas

    return areas(_open(url), level)


@st.cache_data(show_spinner=False, max_entries=8)
def boundary_levels(url: str, version: int) -> list[str]:
    """The levels the store has boundaries for, finest first."""
    from assetmap.graph.store.areas import area_levels

    return area_levels(_open(url))


def no_boundaries(level: str | None = None) -> None:
    """Say what to import when the store has no boundaries to draw (instead of a map)."""
    from assetmap.graph.store.areas import import_hint

    st.info(import_hint(level))


def footer() -> None:
    """The attribution footer."""
    st.divider()
    st.caption(attribution())


# --- shared by the Person, Gaps and Resilience pages (additive helpers) ---------------------------


@st.cache_resource(show_spinner="Reading the network…", max_entries=2)
def graph(url: str, version: int) -> nx.MultiDiGraph:
    """The whole store as a networkx graph, built once per store version and shared read-only
    (the store's content, not any one user's view: pages filter what a user may see). After a
    write, the previous version's graph is patched with what the write touched (copy on write,
    :func:`assetmap.graph.analysis.snapshot.live_graph`), never read again whole."""
    from assetmap.graph.analysis.snapshot import live_graph

    return live_graph(_open(url))


@st.cache_resource(show_spinner="Finding who is isolated…", max_entries=2)
def isolation_table(url: str, version: int) -> pd.DataFrame:
    """Every person's isolation level and reasons at the store's current version (read-only).

    After a write only the people it touched are measured again and the last table is patched
    (:func:`patched_isolation`), so a write shows at once instead of re-measuring everyone."""
    store = _open(url)
    with _ISOLATION_LOCK:
        now = store.version()
        G = graph(url, now)
        held = _ISOLATION.get(url)
        if held is not None and held[0] == now:
            return held[1]
        table = None
        if held is not None:
            changes = _changes_since(store, held[0])
            if changes is not None:
                table = patched_isolation(G, held[1], touched_people(G, changes, held[2]))
        if table is None:
            from assetmap.graph.analysis.isolation import isolated_people

            table = isolated_people(G)
        _ISOLATION[url] = (now, table, G)  # the graph it is of: who a deletion was tied to
        return table


#: The last isolation table per store URL, the version and graph it is of (patched after writes;
#: the graph is replaced by the next one, copy on write, so an erased person is let go).
_ISOLATION: dict[str, tuple[int, pd.DataFrame, nx.MultiDiGraph]] = {}
_ISOLATION_LOCK = threading.RLock()


def _changes_since(store: GraphStore, version: int) -> dict[str, set] | None:
    """What the store's writes since ``version`` touched, or None when the store keeps no change
    log (or no longer has that version's): then the caller reads afresh."""
    since = getattr(store, "changes_since", None)
    return since(version) if since is not None else None


def touched_people(G: nx.MultiDiGraph, changes: dict[str, set],
                   before: nx.MultiDiGraph | None = None) -> set[str]:
    """The people whose isolation a set of changes (``SQLiteStore.changes_since``) may move:
    people written or deleted, both ends of a tie written or ended, everyone tied to a group
    or organisation that changed (its closing changes their level) and everyone who was tied,
    in the ``before`` graph, to something now deleted."""
    ids = set(changes.get("nodes", ()))
    touched: set[str] = set()
    for src, dst, _kind in changes.get("ties", ()):
        # a tie moves its own ends' rows; one between two places (an organisation running a
        # group) may move everyone tied to them, so those ends count as changed places
        ends = [n for n in (src, dst) if G._node.get(n, {}).get("kind") == vocab.PERSON]
        if ends or not all(n in G._node for n in (src, dst)):
            touched.update(ends)
            ids.update(n for n in (src, dst) if n not in G._node)
        else:
            ids.update((src, dst))

    def people_tied_to(H: nx.MultiDiGraph, n: str) -> None:
        for adj in (H._succ[n], H._pred[n]):
            touched.update(o for o in adj if H._node[o].get("kind") == vocab.PERSON)

    for n in ids:
        attrs = G._node.get(n)
        if attrs is None:  # deleted: its row goes, and its ties went with it
            touched.add(n)
            if before is not None and n in before._node:
                people_tied_to(before, n)
        elif attrs.get("kind") == vocab.PERSON:
            touched.add(n)
        elif attrs.get("kind") in vocab.ASSET_KINDS:
            people_tied_to(G, n)
    return touched


def patched_isolation(G: nx.MultiDiGraph, table: pd.DataFrame,
                      touched: set[str]) -> pd.DataFrame:
    """``table`` (:func:`assetmap.graph.analysis.isolated_people` of an earlier graph) with the
    rows of ``touched`` people measured again on ``G``: each is measured on the small graph of
    them, everything tied to them and the groups their ties run through, which holds all that
    their row depends on. Equal to measuring the whole of ``G`` again."""
    from assetmap.graph.analysis.isolation import isolated_people

    nodes = G._node
    alive = {p for p in touched if nodes.get(p, {}).get("kind") == vocab.PERSON}
    keep = set(alive)
    for p in alive:
        for adj in (G._succ[p], G._pred[p]):
            for other, keyed in adj.items():
                keep.add(other)
                for attrs in keyed.values():
                    via = attrs.get("via")
                    if isinstance(via, str) and via in nodes:
                        keep.add(via)
    fresh = isolated_people(G.subgraph(keep).copy()) if alive else table.iloc[0:0]
    fresh = fresh[fresh["person_id"].isin(alive)]
    from assetmap.graph.analysis.circles import LEVELS

    kept = ~table["person_id"].isin(touched).to_numpy(dtype=bool)
    levels = table["level"]
    if (fresh.empty or not isinstance(levels.dtype, pd.CategoricalDtype)
            or list(levels.cat.categories) != list(LEVELS)
            or not isinstance(fresh["level"].dtype, pd.CategoricalDtype)
            or list(fresh["level"].cat.categories) != list(LEVELS)):
        out = pd.concat([table[kept], fresh], ignore_index=True)
        if out.empty:
            return out
        out["level"] = pd.Categorical(out["level"].astype(str), categories=list(LEVELS),
                                      ordered=True)
        return out.sort_values(["level", "person_id"], kind="stable").reset_index(drop=True)
    # The rows kept are in order already (worst level first, then id): place each fresh row
    # among them by binary search instead of sorting everyone again.
    rest = np.flatnonzero(kept)
    all_ids = _table_ids(table)
    codes = levels.cat.codes.to_numpy()[rest]
    ids = all_ids[rest]
    at = []
    for code, pid in zip(fresh["level"].cat.codes.tolist(), fresh["person_id"].tolist(),
                         strict=True):
        lo, hi = np.searchsorted(codes, code, "left"), np.searchsorted(codes, code, "right")
        at.append(int(lo + np.searchsorted(ids[lo:hi], pid)))
    order = np.insert(rest, at, len(table) + np.arange(len(fresh)))
    # the new table is a few runs of the old one with the fresh rows between: joined as
    # slices (views) rather than every row taken again
    # (a run never crosses from the old rows into the fresh ones)
    breaks = np.flatnonzero((np.diff(order) != 1) | (order[1:] == len(table))) + 1
    pieces = []
    for run in np.split(order, breaks):
        first = int(run[0])
        pieces.append(table.iloc[first:first + len(run)] if first < len(table)
                      else fresh.iloc[first - len(table):first - len(table) + len(run)])
    out = pd.concat(pieces, ignore_index=True)
    _keep_ids(out, np.concatenate([all_ids, fresh["person_id"].to_numpy(dtype=object)])[order])
    return out


#: id of an isolation table -> (that table, its ``person_id`` column as objects): made once per
#: table, and for a patched table from the one it was patched from
_TABLE_IDS: dict[int, tuple[pd.DataFrame, np.ndarray]] = {}


def _table_ids(table: pd.DataFrame) -> np.ndarray:
    """``table``'s person ids as a numpy object array (kept for the next patch)."""
    got = _TABLE_IDS.get(id(table))
    if got is not None and got[0] is table:
        return got[1]
    return _keep_ids(table, table["person_id"].to_numpy(dtype=object))


def _keep_ids(table: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    while len(_TABLE_IDS) >= 4:
        _TABLE_IDS.pop(next(iter(_TABLE_IDS)), None)
    _TABLE_IDS[id(table)] = (table, ids)
    return ids


@st.cache_resource(show_spinner="Ranking keystone assets…", max_entries=2)
def keystone_table(url: str, version: int) -> pd.DataFrame:
    """Every group and organisation ranked by what its closure would do (raw counts: pages
    publish them through :mod:`assetmap.governance.privacy`), computed once per store version."""
    from assetmap.graph.analysis.resilience import keystone_assets

    return keystone_assets(graph(url, version))


def _people_options(url: str, version: int) -> pd.DataFrame:
    """Every person's picker label (see :func:`_picker`), sorted by label: ``person_id`` and
    ``label``. Made once per store version from the patched list; shared, so callers do not
    modify it."""
    state = _picker(url)
    with _ISOLATION_LOCK:
        held = _FRAMES.get(url)
        if held is not None and held[0] == state[0]:
            return held[1]
        frame = _options_frame(state[2])
        _FRAMES[url] = (state[0], frame)
        _SNAPSHOT_OPTIONS.pop(url, None)  # the graph's picker has taken over
        return frame


def _options_frame(order: list[tuple[str, str]]) -> pd.DataFrame:
    """The picker's (label, id) pairs as the frame pages read: ``person_id`` and ``label``."""
    return pd.DataFrame({"person_id": [pid for _, pid in order],
                         "label": [text for text, _ in order]})


def _labelled(now: int, table: pd.DataFrame,
              labels: dict[str, str]) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
    """Every person's picker label (their ``labels`` and level in ``table``) and the (label,
    id) pairs sorted: one rule for the graph's picker and the snapshot's, so they agree."""
    # plain lists: iterating pandas' (Arrow) string columns value by value is slow
    levels = dict(zip(table["person_id"].tolist(), table["level"].astype(str).tolist(),
                      strict=True))
    shown = {pid: f"{label} · {levels[pid]}" if pid in levels else label
             for pid, label in labels.items()}
    return now, shown, sorted((text, pid) for pid, text in shown.items())


def _graph_picker_ready(url: str, version: int) -> bool:
    """Whether the graph-based picker answers at ``version`` without reading or measuring the
    whole network: it is made for this version, or there is a picker or isolation table to
    patch from and no one is building (the warm-up holds the lock while it reads and measures
    everyone). Never waits for that lock. Always on a server store (its picker is the
    snapshot's)."""
    if is_server_store(_open(url)):
        return True
    held = _OPTIONS.get(url)
    if held is not None and held[0] == version:
        return True
    if not _ISOLATION_LOCK.acquire(blocking=False):
        return False
    try:
        return url in _OPTIONS or url in _ISOLATION
    finally:
        _ISOLATION_LOCK.release()


def _snapshot_options(url: str, version: int) -> pd.DataFrame:
    """:func:`_people_options` read from the pages' columnar snapshot (saved in the store: a
    fraction of a second at 20k people) instead of the whole graph, as a server store's picker
    is: what a search answers from while the graph-based picker is still being built, right
    after sign-in. The same labels (tests/test_small_reads_equal.py). Takes no lock of this
    module's, so it never waits for the warm-up; kept for the latest version only."""
    from assetmap.ui import snapshots
    from assetmap.worklist import snapshot_person_labels

    held = _SNAPSHOT_OPTIONS.get(url)
    if held is not None and held[0] == version:
        return held[1]
    table = snapshots.isolation_levels(url, version)
    labels = snapshot_person_labels(snapshots.snapshot(url, version))
    frame = _options_frame(_labelled(version, table, labels)[2])
    _SNAPSHOT_OPTIONS[url] = (version, frame)
    return frame


def _picker(url: str) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
    """The Person page's picker at the store's current version: each person's label
    (:func:`assetmap.worklist.graph_person_labels`: name · ward · age band · short id, never
    two alike, then their isolation level, so a coordinator can find the service-only person
    without opening records one by one) and the (label, id) pairs sorted.

    Held per store URL and patched after a write that added or removed no one: only the people
    it may have moved (:func:`touched_people`) or renamed are labelled again and re-placed in
    the sorted list, so a save costs what it touched, not the size of the area."""
    store = _open(url)
    now = store.version()
    with _ISOLATION_LOCK:
        held = _OPTIONS.get(url)
        if held is not None and held[0] == now:
            return held
    # What the list is made of is read outside the lock: each part is cached with a lock of
    # its own, and the isolation table takes this lock inside; holding it here while another
    # thread computes that table (the warm-up) would deadlock.
    server = is_server_store(store)
    if server:
        # a server store (Neo4j): the pages' one columnar snapshot, never the whole graph
        from assetmap.ui import snapshots
        from assetmap.worklist import snapshot_person_labels

        table = snapshots.isolation_levels(url, now)
        labels = snapshot_person_labels(snapshots.snapshot(url, now))
    else:
        table = isolation_table(url, now)
        labels = _person_labels(url)
        G = graph(url, now)
    with _ISOLATION_LOCK:
        held = _OPTIONS.get(url)
        if held is not None and held[0] == now:
            return held
        state = None
        changes = (_changes_since(store, held[0]) if held is not None and not server
                   else None)
        if held is not None and changes is not None and len(labels) == len(held[1]):
            moved = touched_people(G, changes) | {
                n for n in changes.get("nodes", ()) if n in labels}
            if all(p in held[1] for p in moved):  # the same people: patch the list
                shown, order = dict(held[1]), held[2]
                rows = table[table["person_id"].isin(moved)]
                levels = dict(zip(rows["person_id"].tolist(),
                                  rows["level"].astype(str).tolist(), strict=True))
                for pid in moved:
                    text = f"{labels[pid]} · {levels[pid]}" if pid in levels else labels[pid]
                    if shown[pid] != text:
                        del order[bisect.bisect_left(order, (shown[pid], pid))]
                        bisect.insort(order, (text, pid))
                        shown[pid] = text
                state = (now, shown, order)
        if state is None:
            state = _labelled(now, table, labels)
        _OPTIONS[url] = state
        return state


#: The Person page's picker per store URL: the version it is of, each person's label and the
#: (label, id) pairs in order (patched after writes); and the frame made of them per version.
_OPTIONS: dict[str, tuple[int, dict[str, str], list[tuple[str, str]]]] = {}
_FRAMES: dict[str, tuple[int, pd.DataFrame]] = {}
#: The picker's frame read from the snapshot per store URL and its version, while the graph's
#: is not ready (:func:`_snapshot_options`); dropped when the graph's is made.
_SNAPSHOT_OPTIONS: dict[str, tuple[int, pd.DataFrame]] = {}


#: The last people's labels (without level) per store URL, and the version they are of.
_LABELS: dict[str, tuple[int, dict[str, str]]] = {}


def _person_labels(url: str) -> dict[str, str]:
    """Every person's :func:`assetmap.worklist.graph_person_labels` at the store's current
    version. After a write that added or removed no one and changed no area, only the people
    it wrote are labelled again (the short ids depend on who is in the store, so an addition
    or removal labels everyone afresh)."""
    from assetmap.worklist import graph_person_labels

    store = _open(url)
    with _ISOLATION_LOCK:
        now = store.version()
        G = graph(url, now)
        held = _LABELS.get(url)
        if held is not None and held[0] == now:
            return held[1]
        labels = None
        if held is not None:
            changes = _changes_since(store, held[0])
            if changes is not None:
                nodes = G._node
                written = changes.get("nodes", set())
                people = {n for n in written if nodes.get(n, {}).get("kind") == vocab.PERSON}
                same = (all(n in nodes and nodes[n].get("kind") != vocab.AREA for n in written)
                        and people <= held[1].keys())
                if same:
                    labels = dict(held[1])
                    # the same people, so the same short ids: keep each one's, and label
                    # again only the people written
                    for p, text in graph_person_labels(G, people).items():
                        labels[p] = f"{text.rsplit(' · ', 1)[0]} · {held[1][p].rsplit(' · ', 1)[1]}"
        if labels is None:
            labels = graph_person_labels(
                G, [n for n, a in G._node.items() if a.get("kind") == vocab.PERSON])
        _LABELS[url] = (now, labels)
        return labels


def selectable_people(store: GraphStore, user: User | None = None) -> pd.DataFrame:
    """The people this user may open on the Person page: ``person_id`` and ``label`` (name,
    ward, age band, short id and isolation level), sorted; only those
    :func:`assetmap.governance.access.can_view_person` allows (a coordinator's caseload, an admin
    anyone,
    a hub analyst no one; no user, no one). The shared cache holds the whole list; the filter
    runs per user. Until the graph's picker is ready (right after sign-in, while the warm-up
    builds it) the list is read from the columnar snapshot (:func:`_snapshot_options`: the
    same labels, no wait); a coordinator's is their caseload's rows of it."""
    from assetmap.governance import access

    url = store_url()
    version = store.version()
    # right after sign-in the graph's picker may still be being built (the warm-up): answer
    # from the snapshot meanwhile, with the same labels, rather than wait for it
    ready = _graph_picker_ready(url, version)
    if user is not None and user.role == access.COORDINATOR:
        if ready:
            # a caseload is small: look its people up, never scan everyone in the area
            shown = _picker(url)[1]
            rows = sorted((shown[p], p) for p in user.caseload
                          if p in shown and access.can_view_person(user, p))
            return pd.DataFrame({"person_id": [p for _, p in rows],
                                 "label": [text for text, _ in rows]})
        everyone = _snapshot_options(url, version)  # sorted by label already
        mine = everyone[everyone["person_id"].isin(
            [p for p in user.caseload if access.can_view_person(user, p)])]
        return mine.reset_index(drop=True)
    people = _people_options(url, version) if ready else _snapshot_options(url, version)
    allowed = access.viewable_people(user, people["person_id"])
    return people if allowed.all() else people[allowed].reset_index(drop=True)


def download_table(frame: pd.DataFrame, file_name: str, key: str,
                   label: str = "Download CSV") -> None:
    """A CSV download button for a table (every table on a page is downloadable); cells that
    a spreadsheet would run as formulas are neutralised
    (:func:`assetmap.governance.privacy.neutralise_csv`)."""
    from assetmap.governance import privacy

    st.download_button(label, privacy.neutralise_csv(frame).to_csv(index=False).encode("utf-8"),
                       file_name=file_name,
                       mime="text/csv", key=key, disabled=frame.empty)


def leaflet_base() -> str | None:
    """Where maps load Leaflet from: the app's own copies when static serving is on (as
    ``assetmap serve`` starts it), so maps draw with no internet; None means public CDNs."""
    if not st.get_option("server.enableStaticServing"):
        return None
    return maps.local_assets_url(st.get_option("server.baseUrlPath") or "")


def blank_map(height: int) -> folium.Map:
    """An empty folium map with no tiles, loading Leaflet from :func:`leaflet_base` if set."""
    fmap = folium.Map(tiles=None, height=height, control_scale=True, prefer_canvas=True,
                      zoom_snap=0.25)
    base = leaflet_base()
    if base is not None:
        fmap.default_js = [(name, f"{base}/{path}") for name, path in maps.LOCAL_JS]
        fmap.default_css = [(name, f"{base}/{path}") for name, path in maps.LOCAL_CSS]
    return fmap


_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~$"


def md_escape(text: object) -> str:
    """Text from data made safe inside ``st.markdown``/``st.success``: every Markdown and HTML
    character backslash-escaped, so a name is shown as written and never as formatting."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in str(text))


def fit_view(fmap: folium.Map, south: float, west: float, north: float, east: float,
             height: int) -> None:
    """Open a map centred on these bounds at a zoom that shows them (a view rather than
    fitBounds, so it opens the same way inside streamlit-folium's frame)."""
    fmap.location = [(south + north) / 2, (west + east) / 2]
    fmap.options["zoom"] = maps._fit_zoom(west, south, east, north, height)
