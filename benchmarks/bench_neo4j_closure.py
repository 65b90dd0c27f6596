"""The Resilience page's closure of one place on a server store (issue 16): the columnar snapshot
(``Snapshot.from_store`` + ``closure_impact_snapshot``) against the whole-graph path it replaces
(``to_networkx`` + ``closure_impact``, the baseline), in the same process, on the same store, for
the same places (the ten whose closure cuts most people off a hub, and every at-risk place);
then the same two paths on the SQLite store the data was copied from.

    .venv/bin/python benchmarks/bench_neo4j_closure.py [--people 2000] [--sqlite-people 20000]

Uses the Neo4j named by ``ASSETMAP_NEO4J_URI`` (user, password, database from the environment;
its database is emptied) or starts the test suite's ArcadeDB stand-in. Prints CPU seconds
(time.process_time) and wall seconds (best of ``--repeat``, the two paths alternated), each
path's own peak memory (tracemalloc: Python objects and numpy arrays, a separate untimed pass),
the process's peak RSS and the whole/snapshot ratios. The closures of both paths are checked
equal.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402

from assetmap import vocab  # noqa: E402
from assetmap.demo import synthetic  # noqa: E402
from assetmap.graph.analysis.resilience import (  # noqa: E402
    closure_impact,
    closure_impact_snapshot,
    keystone_assets_snapshot,
)
from assetmap.graph.analysis.snapshot import Snapshot  # noqa: E402
from assetmap.graph.store.copy import copy_store  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402


def peak_mib() -> float:
    """This process's peak resident memory so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU seconds, wall seconds, result) of one run of ``fn``."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - t0, out


def places(store: Any) -> list[str]:
    """The places the page would be asked about: the ten whose closure cuts most people off
    every route to a hub, and every open at-risk place."""
    snap = Snapshot.from_store(store, save=False)
    ks = keystone_assets_snapshot(snap)
    worst = ks.sort_values(["lose_hub_path", "asset_id"], ascending=[False, True])
    chosen = list(worst["asset_id"].head(10))
    chosen += [n.id for kind in sorted(vocab.ASSET_KINDS) for n in store.find(kind)
               if n.props.get("status") == "at_risk"]
    return sorted(set(chosen))


def traced_peak_mib(fn: Callable[[], Any]) -> float:
    """Peak memory traced (Python objects and numpy arrays) while ``fn`` runs, MiB: each path's
    own peak, apart from what the process held before (a pass of its own, not timed)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def compare(label: str, store: Any, chosen: list[str], repeat: int) -> None:
    """Both paths on ``store`` for ``chosen``, alternated ``repeat`` times (best kept; the
    snapshot first, so a server's warm-up counts against it), then each path's own peak."""
    def by_snapshot() -> tuple[Any, list[pd.DataFrame]]:
        snap = Snapshot.from_store(store)
        return snap, [closure_impact_snapshot(snap, a) for a in chosen]

    def by_graph() -> tuple[Any, list[pd.DataFrame]]:
        G = store.to_networkx()
        return G, [closure_impact(G, a) for a in chosen]

    s_cpu = s_wall = g_cpu = g_wall = float("inf")
    for _ in range(repeat):
        cpu, wall, (snap, fast) = timed(by_snapshot)
        s_cpu, s_wall = min(s_cpu, cpu), min(s_wall, wall)
        cpu, wall, (G, plain) = timed(by_graph)
        g_cpu, g_wall = min(g_cpu, cpu), min(g_wall, wall)
    s_warm, _w, _ = timed(lambda s=snap: [closure_impact_snapshot(s, a) for a in chosen])
    g_warm, _w, _ = timed(lambda g=G: [closure_impact(g, a) for a in chosen])
    for a, b in zip(fast, plain, strict=True):
        pd.testing.assert_frame_equal(a, b)
    rows = sum(len(f) for f in fast)
    del snap, G, fast, plain
    s_mem = traced_peak_mib(by_snapshot)
    g_mem = traced_peak_mib(by_graph)
    print(f"{label}: {len(chosen)} places, {rows:,} people rows (equal on both paths)")
    print(f"  snapshot + closures     cpu {s_cpu:7.3f} s  wall {s_wall:7.3f} s  "
          f"peak traced {s_mem:6.1f} MiB")
    print(f"  whole graph + closures  cpu {g_cpu:7.3f} s  wall {g_wall:7.3f} s  "
          f"peak traced {g_mem:6.1f} MiB (baseline)")
    print(f"  ratio whole/snapshot    cpu {g_cpu / max(s_cpu, 1e-9):5.1f}x  "
          f"wall {g_wall / max(s_wall, 1e-9):5.1f}x  memory {g_mem / max(s_mem, 1e-9):5.1f}x")
    print(f"  closures alone, warm    snapshot cpu {s_warm:6.3f} s, whole graph cpu "
          f"{g_warm:6.3f} s ({g_warm / max(s_warm, 1e-9):.1f}x)")
    print(f"  process peak RSS so far {peak_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000, help="people copied into Bolt")
    parser.add_argument("--sqlite-people", type=int, default=20000,
                        help="people in the SQLite-only comparison (0: skip it)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each path")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-closure-"))
    import bolt_server

    from assetmap.graph.store.neo4j_store import Neo4jStore

    with bolt_server.bench_server(work) as server:
        src = SQLiteStore(work / "area.db")
        synthetic.populate(src, args.people, 3)
        neo = Neo4jStore(server.uri, user=server.user, password=server.password,
                         database=server.database)
        bolt_server.wipe(server)
        copy_store(src, neo)
        print(f"area: {src.count():,} records, {src.count_ties():,} ties")
        chosen = places(src)
        compare(f"Bolt ({server.kind})", neo, chosen, args.repeat)
        neo.close()
        compare("SQLite, same data", src, chosen, args.repeat)
        src.close()
    if args.sqlite_people:
        big = SQLiteStore(work / "big.db")
        synthetic.populate(big, args.sqlite_people, 3)
        print(f"area: {big.count():,} records, {big.count_ties():,} ties")
        compare(f"SQLite, {args.sqlite_people:,} people", big, places(big), args.repeat)
        big.close()


if __name__ == "__main__":
    main()
