"""Benchmark the Person page on the demo, server side: the real page run by Streamlit's AppTest,
signed in as a coordinator, for one isolated person.

Prints CPU seconds (time.process_time, median of 3; Streamlit runs the page in a thread of this
process, which process_time counts) for:

- the first render of a person (new session; the shared graph and isolation table already
  built, as the app's warm-up builds them);
- the render after a write, as the page shows it: a contact note (the graph does not change)
  and a tie (it does), each written through the library between runs;
- the same renders on the uncached path: the session's circle, suggestions and timeline chart
  forgotten and pyvis' templates compiled afresh, as before issue 14's caching, in the same
  process; the ratio is uncached / cached;
- a note and a tie saved through the page's own form, as the browser makes them: the save
  button's callback writes, then only the parts of the page the save changes rerun (keyed
  fragments; the picker and the rest are not run);
- one section breakdown of a render after a tie (where the time goes), and peak RSS.

``tests/test_browser_journeys.py`` times the whole round trip in a real browser.

    python benchmarks/bench_person_page.py --people 20000
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from page_session import checked, signed_in_page  # benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "assetmap" / "ui" / "views" / "person.py"


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def median(fn: Callable[[], float], repeat: int = 3) -> float:
    return statistics.median(fn() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true",
                        help="also print where one tie saved on the page spends its time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ASSETMAP_STORE"] = url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        os.environ["ASSETMAP_HOME"] = tmp
        os.environ.pop("ASSETMAP_ACCESS_DB", None)
        run(url, Path(tmp), args.people, args.profile)


def run(url: str, home: Path, people: int, profile: bool = False) -> None:

    from assetmap import settings, vocab
    from assetmap.demo.build import build_demo
    from assetmap.governance import recording
    from assetmap.governance.access import AccessDB, new_password
    from assetmap.graph.analysis import isolated_people
    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.render import network
    from assetmap.ui import common

    settings.reset()
    store = SQLiteStore(home / "demo.db")
    build_demo(store, people=people, seed=2021)
    iso = isolated_people(store.to_networkx())
    isolated = iso.loc[iso["level"] == "isolated", "person_id"].tolist()
    me = isolated[0]
    hubs = sorted(o.id for o in store.find(vocab.ORGANISATION) if o.lat is not None)
    access = AccessDB(settings.access_db_path(url))
    access.add_user("bench", "coordinator", new_password())
    access.add_to_caseload("bench", [me])
    user = access.user("bench")
    common.isolation_table(url, store.version())  # the app's warm-up: shared, not timed

    def session() -> Any:
        at = signed_in_page(PAGE, access, user)
        at.query_params["person"] = me
        return at

    def uncached(at: Any) -> None:
        for key in ("_person_memo", "_person_graph_epoch"):
            if key in at.session_state:
                del at.session_state[key]
        network._templates.cache_clear()

    def first(cached: bool) -> float:
        at = session()
        if not cached:
            network._templates.cache_clear()
        return cpu(lambda: checked(at.run()))

    hub_iter = iter(hubs)

    def after(write: str, cached: bool, at: Any) -> float:
        if write == "note":
            recording.add_note(store, access, user, me, "Phoned: going well.")
        else:
            recording.add_tie(store, access, user, me, next(hub_iter), "SUPPORTED_BY")
        if not cached:
            uncached(at)
        return cpu(lambda: checked(at.run()))

    first_cached = median(lambda: first(True))
    first_uncached = median(lambda: first(False))
    at = session()
    checked(at.run())
    rows = [("first render of a person", first_cached, first_uncached)]
    for write in ("note", "tie"):
        cached = median(lambda w=write: after(w, True, at))  # type: ignore[misc]
        plain = median(lambda w=write: after(w, False, at))  # type: ignore[misc]
        rows.append((f"render after a {write}", cached, plain))
    write_note = median(lambda: cpu(lambda: recording.add_note(store, access, user, me, "x")))

    def saved(kind: str) -> float:
        """A save through the page's own form, as the browser makes it: the button's callback
        writes, then only the parts of the page the save changes run (keyed fragments)."""
        if kind == "note":
            at.session_state["record_tab"] = "Contact notes"
            checked(at.run())
            at.text_area(key="note_text").input("Phoned: going well.")
            button = at.button(key="FormSubmitter:note_form-Save note")
        else:
            hub = next(hub_iter)
            at.session_state["record_tab"] = "Add a tie"
            checked(at.run())
            at.text_input(key="tie_place_find").input(store.get(hub).name)
            checked(at.run())
            at.selectbox(key="tie_place_pick").set_value(hub)
            at.selectbox(key="tie_kind").set_value("SUPPORTED_BY")
            button = at.button(key="FormSubmitter:add_tie_form-Add tie")
        return cpu(lambda: checked(button.click().run()))

    saves = [(f"a {kind} saved on the page (write + the parts it reruns)",
              median(lambda k=kind: saved(k))) for kind in ("note", "tie")]  # type: ignore[misc]
    save_parts = breakdown(lambda: saved("tie")) if profile else []
    sections = breakdown(lambda: after("tie", True, at))
    store.close()
    access.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"people: {people:,} (Person page, coordinator, one isolated person)")
    print("CPU seconds, median of 3: cached | uncached (same process) | ratio")
    for name, cached, plain in rows:
        print(f"  {name}: {cached:.3f} s | {plain:.3f} s | {plain / cached:.2f}x")
    print(f"  the write itself (an audited note): {write_note:.3f} s")
    for name, secs in saves:
        print(f"  {name}: {secs:.3f} s")
    print("where a render after a tie goes (CPU s, one run):")
    for name, secs in sections:
        print(f"  {name}: {secs:.3f}")
    if save_parts:
        print("where a tie saved on the page goes (CPU s, one run):")
        for name, secs in save_parts:
            print(f"  {name}: {secs:.3f}")
    print(f"peak RSS: {rss:.0f} MiB")


def breakdown(fn: Callable[[], float]) -> list[tuple[str, float]]:
    """CPU seconds of the page's main parts during one ``fn()`` (the rest: Streamlit itself)."""
    import streamlit_folium

    from assetmap.governance import recording
    from assetmap.graph.analysis import linkpred, outcomes, suggestions
    from assetmap.render import network
    from assetmap.ui import common, outcomes_ui, recording_ui

    spent: dict[str, float] = {}
    parts = [(common, "selectable_people"), (common, "graph"), (common, "isolation_table"),
             (suggestions, "suggest_connections"), (network, "circle_html"),
             (streamlit_folium, "st_folium"), (outcomes_ui, "outcomes_summary"),
             (outcomes_ui, "outcomes_forms"),
             (recording_ui, "person_panel"), (recording, "add_tie"),
             (linkpred, "person_closure"), (common, "patched_isolation"),
             (recording_ui, "places_version"), (outcomes, "person_timeline"),
             (network, "circle_ties"), (network, "suggestions_map")]
    saved = [(mod, name, getattr(mod, name)) for mod, name in parts]

    def timed(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.process_time()
            try:
                return f(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - start
        wrapper.clear = getattr(f, "clear", None)  # type: ignore[attr-defined]
        return wrapper

    import assetmap.graph.analysis as analysis

    analysis_fn = analysis.suggest_connections
    try:
        for mod, name, f in saved:
            setattr(mod, name, timed(name, f))
        analysis.suggest_connections = suggestions.suggest_connections
        total = fn()
    finally:
        for mod, name, f in saved:
            setattr(mod, name, f)
        analysis.suggest_connections = analysis_fn
    return [("whole render", total), *sorted(spent.items(), key=lambda kv: -kv[1])]


if __name__ == "__main__":
    main()
