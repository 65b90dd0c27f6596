"""Benchmark an administrator's person search right after sign-in (issue 14), on a copy of a
SQLite store, server side: the Person page's ``common.selectable_people`` and ``_search``'s
filter, as the page runs them, without Streamlit's browser round trip.

Each case starts cold (``common.forget_everything``: as a freshly started app server) and prints
the search's CPU seconds (``time.thread_time`` of the searching thread; ``process_time`` too
where no other thread runs) and its wall seconds, and which picker answered:

- **snapshot (cold)**: no warm-up; the graph's picker is not built, so the search answers from
  the pages' columnar snapshot (saved in the store; the first case reads and saves it);
- **graph (cold)**: what the search did before: build the graph's picker (whole graph,
  isolation table, labels) in the searching thread;
- **graph (ready)**: the same search once the warm-up has built the graph's picker;
- **during warm-up**: ``common.warm_up()`` started (as sign-in starts it) and the search made at
  once, (a) as now, (b) with the warm-up reading the graph over the pages' shared connection
  (as before), (c) as before this change (the graph's picker, waiting for the warm-up);
- **coordinator during warm-up**: a coordinator's list (``--caseload`` people) made at once
  after sign-in, as now (the caseload's rows of the snapshot's list) and as before (the
  graph's picker, waiting for the warm-up).

Ratios are against the graph (cold) case of the same run. Peak RSS at the end.

    python benchmarks/bench_person_search.py --store /tmp/work/demo20k.db
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """(thread CPU-s, process CPU-s, wall s, result) of ``fn()``."""
    t, p, w = time.thread_time(), time.process_time(), time.perf_counter()
    out = fn()
    return time.thread_time() - t, time.process_time() - p, time.perf_counter() - w, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", required=True, help="a SQLite store file (copied first)")
    parser.add_argument("--words", default="leon", help="what the administrator types")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--caseload", type=int, default=25,
                        help="people on the coordinator's caseload")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        shutil.copyfile(args.store, path)
        os.environ["ASSETMAP_STORE"] = url = f"sqlite:///{path}"
        from assetmap.governance import access
        from assetmap.ui import common

        admin = access.User("bench-admin", access.ADMIN)
        version = common.get_store().version()
        words = args.words.casefold()

        def search() -> tuple[int, bool]:
            """The page's search: the admin's list, then the matches (as ``_search``)."""
            ready = common._graph_picker_ready(url, version)
            people = common.selectable_people(common.get_store(), admin)
            found = people["label"].str.casefold().str.contains(words, regex=False).sum()
            return int(found), ready

        everyone = common.selectable_people(common.get_store(), admin)["person_id"].tolist()
        step = max(1, len(everyone) // max(1, args.caseload))
        coordinator = access.User("bench-coordinator", access.COORDINATOR,
                                  caseload=frozenset(everyone[::step][:args.caseload]))

        def coordinators_list_before() -> int:
            """A coordinator's list as before this change: from the graph's picker."""
            shown = common._picker(url)[1]
            return sum(p in shown for p in coordinator.caseload)

        def cold() -> None:
            common.forget_everything()
            common.get_store()

        rows: dict[str, list[tuple[float, float, float]]] = {}

        def record(name: str, got: tuple[float, float, float, Any]) -> None:
            rows.setdefault(name, []).append(got[:3])

        cold()
        first = timed(search)
        print(f"first search ever (snapshot read from the tables and saved): thread CPU "
              f"{first[0]:.3f} s, wall {first[2]:.3f} s; {first[3][0]} matches, graph picker "
              f"ready: {first[3][1]}")
        real_aside = common._read_graph_aside
        for _ in range(args.repeat):
            cold()
            record("snapshot (cold)", timed(search))
            cold()
            record("graph (cold)", timed(lambda: common._people_options(url, version)))
            thread = common.warm_up()
            assert thread is not None
            thread.join()
            record("graph (ready)", timed(search))
            for name, aside, old in (("during warm-up (a) as now", True, False),
                                     ("during warm-up (b) shared connection", False, False),
                                     ("during warm-up (c) before: graph picker", False, True)):
                cold()
                if not aside:
                    common._read_graph_aside = lambda url: None  # type: ignore[assignment]
                try:
                    thread = common.warm_up()
                    assert thread is not None
                    time.sleep(0.05)  # a benchmark, not a test: let the warm-up start reading
                    record(name, timed((lambda: common._people_options(url, version)) if old
                                       else search))
                    thread.join()
                finally:
                    common._read_graph_aside = real_aside  # type: ignore[method-assign]
            for name, fn in (("coordinator during warm-up, now",
                              lambda: len(common.selectable_people(common.get_store(),
                                                                   coordinator))),
                             ("coordinator during warm-up, before", coordinators_list_before)):
                cold()
                thread = common.warm_up()
                assert thread is not None
                time.sleep(0.05)  # a benchmark, not a test: let the warm-up start reading
                record(name, timed(fn))
                thread.join()
        base = statistics.median(r[0] for r in rows["graph (cold)"])
        print(f"{'case':42} {'thread CPU-s':>12} {'process CPU-s':>13} {'wall s':>8} "
              f"{'CPU ratio':>9}")
        for name, got in rows.items():
            t, p, w = (statistics.median(r[i] for r in got) for i in range(3))
            print(f"{name:42} {t:12.3f} {p:13.3f} {w:8.3f} {t / base:9.3f}")
        print("(medians of", args.repeat, "runs; process CPU includes the warm-up's thread "
              "where one runs; CPU ratio: thread CPU / graph (cold))")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
