"""Benchmark the directory search, the coordinator's worklist and one recorded write on the demo.

Prints CPU seconds (time.process_time, median of 3) for ``find_assets`` (first search after a
store change, then a repeat), a 25-person worklist, and one audited write (a contact note), each
with its ratio against a baseline run in the same process: reading the whole store as a networkx
graph (what a page needs when it rebuilds the network), plus peak RSS.

    python benchmarks/bench_directory.py --people 20000
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assetmap import directory
from assetmap.demo.build import build_demo
from assetmap.governance import recording
from assetmap.governance.access import AccessDB, new_password
from assetmap.graph.analysis import isolated_people
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.worklist import caseload_worklist


def cpu(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median CPU seconds of ``fn`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "demo.db")
        build_demo(store, people=args.people, seed=2021)
        baseline = cpu(store.to_networkx)

        def cold_search() -> None:
            directory._CACHE.clear()  # as after a store change
            directory.find_assets(store, need="loneliness", near="M33 7AA", within_km=3,
                                  day="tuesday")

        cold = cpu(cold_search)
        warm = cpu(lambda: directory.find_assets(store, interest="walking", near="M33 7AA",
                                                 within_km=3))
        G = store.to_networkx()
        iso = isolated_people(G)
        ids = list(iso["person_id"][::4][:25])
        worklist = cpu(lambda: caseload_worklist(store, G, iso, ids))
        with AccessDB(Path(tmp) / "access.db") as access:
            access.add_user("bench", "coordinator", new_password())
            access.add_to_caseload("bench", ids)
            user = access.user("bench")
            note = cpu(lambda: recording.add_note(store, access, user, ids[0], "called"))
        store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"people: {args.people:,}")
    print(f"baseline store.to_networkx: {baseline:.3f} s CPU")
    for name, secs in (("find_assets, first after a change", cold),
                       ("find_assets, repeat", warm),
                       ("worklist, 25 people", worklist),
                       ("add_note (audited write)", note)):
        print(f"{name}: {secs:.3f} s CPU ({secs / baseline:.2f}x baseline)")
    print(f"peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
