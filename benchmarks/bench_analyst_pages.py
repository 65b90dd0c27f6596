"""Benchmark the analyst pages (Map, Gaps, Resilience, Data, About) on the demo, server side: the
real pages run by Streamlit's AppTest, signed in as an administrator.

Prints, per page, CPU seconds (time.process_time; Streamlit runs the page in a thread of this
process, which process_time counts):

- ``first``: the first render in a new session after the app's warm-ups have run (what a
  user opening the page after sign-in waits for on the server; the Map page's cold column
  includes the thread it starts, the others do not);
- ``again``: a rerun of the same session (any widget change reruns the page);

With ``--warm-map`` the Map page's counts are first worked out as the sign-in screen does it
(:func:`assetmap.ui.snapshots.warm_map`, not timed in the page), so ``first`` for the Map is what
the first page after sign-in costs when someone takes a moment to sign in.

Also printed: the bytes the page sends to the browser (the protobuf of every element: folium
maps go as HTML inside their component's arguments), then peak RSS. ``tests/test_browser.py``
times the same pages in a real browser (``tests/artifacts/timings.txt``).

    python benchmarks/bench_analyst_pages.py --people 20000
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from page_session import checked, signed_in_page  # benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "assetmap" / "ui" / "views"
PAGES = ("map", "gaps", "resilience", "data", "about")


def sent_bytes(at: Any) -> int:
    """Bytes of every element the run produced, as protobuf (what goes over the websocket)."""
    total = 0
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--profile", default="", help="a page to profile (cProfile, first run)")
    parser.add_argument("--store", default="", help="an existing demo store file to copy")
    parser.add_argument("--warm-map", action="store_true",
                        help="warm the Map page's counts first, as the sign-in screen does")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        if args.store:
            import shutil

            shutil.copyfile(args.store, db)
        os.environ["ASSETMAP_STORE"] = url = f"sqlite:///{db}"
        os.environ["ASSETMAP_HOME"] = tmp
        os.environ.pop("ASSETMAP_ACCESS_DB", None)
        run(url, db, args.people, args.profile, bool(args.store), args.warm_map)


def run(url: str, db: Path, people: int, profile: str, built: bool,
        warm_map: bool = False) -> None:

    from assetmap import settings
    from assetmap.demo.build import build_demo
    from assetmap.governance.access import AccessDB, new_password
    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.ui import common

    settings.reset()
    if not built:
        store = SQLiteStore(db)
        build_demo(store, people=people, seed=7)
        store.close()
    access = AccessDB(settings.access_db_path(url))
    access.add_user("bench", "admin", new_password())
    user = access.user("bench")

    def session(page: str) -> Any:
        return signed_in_page(VIEWS / f"{page}.py", access, user)

    def cpu(at: Any) -> float:
        start = time.process_time()
        checked(at.run())
        return time.process_time() - start

    # the app's warm-up after sign-in (shared caches), not timed
    start = time.process_time()
    warm = common.warm_up()
    if warm is not None:
        warm.join()
    warm_s = time.process_time() - start
    map_s = 0.0
    if warm_map:  # what the sign-in screen starts (issue 14), not timed in the page
        from assetmap.ui import snapshots

        start = time.process_time()
        snapshots.warm_map(url, common.get_store().version())
        map_s = time.process_time() - start
    rows = []
    for page in PAGES:
        if page == profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            at = session(page)
            profiler.enable()
            checked(at.run())
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        cold = cpu(session(page))  # the first session to open it fills the page's caches
        for thread in threading.enumerate():  # the Map page's background warm-up, not timed
            if thread.name == "assetmap-warm-analyst":
                thread.join()
        firsts, agains, size = [], [], 0
        for _ in range(3):
            at = session(page)
            firsts.append(cpu(at))
            size = sent_bytes(at)
            agains.append(cpu(at))
        rows.append((page, cold, statistics.median(firsts), statistics.median(agains), size))
    access.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"people: {people:,}; warm-up after sign-in: {warm_s:.2f} CPU s (background)"
          + (f"; Map warm-up at the sign-in screen: {map_s:.2f} CPU s" if warm_map else ""))
    print("CPU seconds: first session after warm-up | next sessions (median of 3) | rerun; "
          "bytes sent")
    for page, cold, first, again, size in rows:
        print(f"  {page:<11} {cold:6.2f} | {first:6.2f} | {again:6.2f}   {size / 1024:8.0f} KiB")
    print(f"peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
