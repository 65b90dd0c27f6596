"""Benchmark the Gaps page's whole-area tables (issues 13/14): the provision gap table, the
carers' table and the pooling table, as :mod:`assetmap.ui.snapshots` computes them once per
store version, on the demo at 20k and 100k people.

For each table it prints CPU seconds (time.process_time: the machine is shared, wall time is
noise) for the code before issue 13's array rewrite and for the current code, run in the same
process on the same graph (the old functions are kept in ``tests/reference_gap_publishing.py``;
the old polygon buffering is the current one with its cache emptied), their ratio, and the
process's peak RSS after each store. ``now`` starts with every cache empty (the first store
version); ``next`` keeps only the buffered boundaries (a later store version: the same
boundaries, every count worked out again). Each old/new pair is checked to publish identical
tables. ``gap_table*`` is the Gaps page's gap table with the one-pass change proposed for
``assetmap/ui/views/gaps.py`` (both levels from one pass over the graph, no raw words: the same
published table); ``gap_table`` is the page as it is now; ``all three*`` counts
``gap_table*``.

    python benchmarks/bench_gap_tables.py                 # 20k and 100k (demo stores built once)
    python benchmarks/bench_gap_tables.py --people 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the reference copy of the old publishing functions


def demo_store(people: int, folder: Path) -> Any:
    """The demo store with ``people`` people (seed 2021), built into ``folder`` once."""
    from assetmap.demo.build import build_demo
    from assetmap.graph.store.sqlite_store import SQLiteStore

    path = folder / f"demo-{people}-2021.db"
    if not path.exists():
        start = time.perf_counter()
        build_demo(SQLiteStore(str(path)), people=people, seed=2021)
        print(f"built {path} in {time.perf_counter() - start:.0f} s", flush=True)
    return SQLiteStore(str(path))


@contextlib.contextmanager
def old_path() -> Iterator[None]:
    """The code before the rewrite: the old people loop and publishing (the timed runs empty
    the buffer cache)."""
    import reference_gap_publishing as before

    from assetmap.governance import privacy
    from assetmap.ui.views import gaps

    def by_level(G: Any, areas: Any, max_km: Any = None, weights: Any = None, *,
                 reasons: bool = True) -> dict[str, Any]:
        """One level at a time with the old loop (it always worded the rows)."""
        tables = {lv: before.provision_gaps(G, a, max_km, weights) for lv, a in areas.items()}
        return tables if reasons else {lv: t.assign(reasons=None) for lv, t in tables.items()}

    olds = {"publish_provision_counts": before.publish_provision_counts,
            "protect_area_counts": before.protect_area_counts,
            "provision_gaps": before.provision_gaps, "provision_gaps_by_level": by_level}
    swaps = [(module, name) for module in (privacy, gaps) for name in olds
             if hasattr(module, name)]
    current = [getattr(module, name) for module, name in swaps]
    for module, name in swaps:
        setattr(module, name, olds[name])
    try:
        yield
    finally:
        for (module, name), value in zip(swaps, current, strict=True):
            setattr(module, name, value)


def fresh(boundaries: bool = True) -> None:
    """Empty the caches the tables keep between store versions: all of them (the first
    version), or all but the buffered boundaries (``boundaries=False``: a later version, the
    same boundaries, every count changed)."""
    import reference_gap_publishing as before

    from assetmap.governance import privacy
    from assetmap.graph.analysis import provision

    privacy._AREA_CACHE.clear()
    before._AREA_CACHE.clear()
    if boundaries:
        provision._REACH.clear()


def tables(store: Any, G: Any, level: str) -> dict[str, Callable[[], Any]]:
    """The three tables as :mod:`assetmap.ui.snapshots` makes them (gap_table, carer_table,
    pooling_table), each as a call."""
    from assetmap.graph.analysis import carer_support_gaps, pooling_opportunities
    from assetmap.graph.analysis.carers import carer_gaps_snapshot
    from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.graph.store.areas import area_levels, areas
    from assetmap.ratings import provision_weights
    from assetmap.ui.views.gaps import carer_gaps_by_area, gap_tables, published_pooling

    levels = area_levels(store)
    bounds = {lv: areas(store, lv) for lv in levels if lv in (levels[0], level)}
    weights = provision_weights(store)
    snap = isinstance(G, Snapshot)

    def carers() -> Any:
        rows = carer_gaps_snapshot(G) if snap else carer_support_gaps(G)
        return carer_gaps_by_area(rows, G, level)

    def pooling() -> Any:
        pool = pooling_opportunities_snapshot(G) if snap else pooling_opportunities(G)
        return published_pooling(pool, G)

    def proposed() -> Any:
        """gap_tables with one pass over the graph for both levels and no raw words (the
        change proposed for assetmap/ui/views/gaps.py; the same published table)."""
        from assetmap.graph.analysis.provision import provision_gaps_by_level
        from assetmap.reports import provision_gap_texts
        from assetmap.ui.views.gaps import published_gaps

        if snap:
            return gap_tables(G, bounds, level, weights)
        finest = next(iter(bounds))
        raw = provision_gaps_by_level(G, {lv: bounds[lv] for lv in dict.fromkeys((level, finest))},
                                      weights=weights, reasons=False)
        return published_gaps(raw[level], None, provision_gap_texts(G, raw[finest]))

    return {"gap_table": lambda: gap_tables(G, bounds, level, weights),
            "gap_table*": proposed, "carer_table": carers, "pooling_table": pooling}


def timed(call: Callable[[], Any], repeat: int, first: bool = True) -> tuple[float, Any]:
    """The least CPU seconds of ``repeat`` computations (of a first store version, or of a
    later one: see :func:`fresh`), and the result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        fresh(first)
        start = time.process_time()
        result = call()
        best = min(best, time.process_time() - start)
    return best, result


def same(a: Any, b: Any) -> bool:
    """Whether two published tables are identical (values, columns, order)."""
    return list(a.columns) == list(b.columns) and a.astype(str).equals(b.astype(str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure (the least)")
    parser.add_argument("--level", default="ward")
    parser.add_argument("--source", choices=("graph", "snapshot"), default="graph",
                        help="what the tables read: the networkx graph (SQLite) or the "
                             "columnar snapshot (a server store)")
    parser.add_argument("--stores", default=str(Path(tempfile.gettempdir())
                                                / "assetmap-bench-gaps"),
                        help="folder for the demo stores (built once)")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    folder = Path(args.stores)
    folder.mkdir(parents=True, exist_ok=True)
    from assetmap.graph.analysis.snapshot import Snapshot, live_graph

    for people in args.people:
        store = demo_store(people, folder)
        G = Snapshot.from_store(store) if args.source == "snapshot" else live_graph(store)
        calls = tables(store, G, args.level)
        for call in calls.values():  # imports and lazy indexes once, outside the figures
            call()
        print(f"\n{people} people ({args.source}, {args.level}): CPU-s, least of "
              f"{args.repeat}")
        print(f"{'table':<15}{'before':>9}{'now':>9}{'ratio':>8}{'next':>9}{'ratio':>8}"
              "  identical")
        total_old = total_new = total_next = 0.0
        for name, call in calls.items():
            with old_path():
                old_s, old_out = timed(calls["gap_table" if name == "gap_table*" else name],
                                       args.repeat)
            new_s, new_out = timed(call, args.repeat)
            next_s, next_out = timed(call, args.repeat, first=False)
            if name != "gap_table":  # the totals count the gap table once (as proposed)
                total_old += old_s
                total_new += new_s
                total_next += next_s
            print(f"{name:<15}{old_s:9.3f}{new_s:9.3f}{old_s / max(new_s, 1e-9):8.1f}"
                  f"{next_s:9.3f}{old_s / max(next_s, 1e-9):8.1f}  "
                  f"{same(old_out, new_out) and same(old_out, next_out)}", flush=True)
        print(f"{'all three*':<15}{total_old:9.3f}{total_new:9.3f}"
              f"{total_old / max(total_new, 1e-9):8.1f}{total_next:9.3f}"
              f"{total_old / max(total_next, 1e-9):8.1f}")
        print(f"peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
              " MiB")


if __name__ == "__main__":
    main()
