"""How long ``assetmap info`` (``store_summary``: counts by label and type) takes on Bolt, against
the same summary of the same area in SQLite (the baseline, same process), and the cookbook's
questions on Bolt.

    .venv/bin/python benchmarks/bench_neo4j_info.py [--people 2000]

Uses the Neo4j named by ``ASSETMAP_NEO4J_URI`` (user, password, database from the environment;
its database is emptied) or starts the test suite's ArcadeDB stand-in. Prints wall and CPU
seconds (time.process_time), peak RSS and the Bolt/SQLite ratio.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from assetmap.demo import synthetic  # noqa: E402
from assetmap.graph.store import cookbook, store_summary  # noqa: E402
from assetmap.graph.store.copy import copy_store  # noqa: E402
from assetmap.graph.store.neo4j_store import Neo4jStore  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402


def timed(label: str, fn, repeat: int = 5) -> float:
    """Best wall seconds of ``repeat`` runs of ``fn``; prints wall and CPU seconds."""
    best, cpu = float("inf"), 0.0
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        cpu = time.process_time() - c0
    print(f"{label:40s} wall {best:7.3f} s   cpu {cpu:7.3f} s")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-info-"))
    import bolt_server

    with bolt_server.bench_server(work) as server:
        uri, user, password, database = server.uri, server.user, server.password, server.database
        src = SQLiteStore(work / "area.db")
        synthetic.populate(src, args.people, 3)
        neo = Neo4jStore(uri, user=user, password=password, database=database)
        empty = timed("info, empty Bolt store", lambda: store_summary(neo))
        copy_store(src, neo)
        print(f"area: {src.count():,} records, {src.count_ties():,} ties")
        base = timed("info, SQLite (baseline)", lambda: store_summary(src))
        bolt = timed("info, Bolt", lambda: store_summary(neo))
        # open + info, as the CLI does it (connect, schema check, counts)
        timed("open + info, Bolt (the CLI verb)", lambda: store_summary(
            Neo4jStore(uri, user=user, password=password, database=database)), repeat=3)
        ward = next(n.id for n in src.find("Area", level="ward"))
        timed("cookbook: isolated_per_lsoa", lambda: cookbook.isolated_per_lsoa(neo, ward))
        timed("cookbook: ulo_closure_ranking", lambda: cookbook.ulo_closure_ranking(neo))
        person = next(src.find("Person")).id
        timed("cookbook: groups_near_person 3 km",
              lambda: cookbook.groups_near_person(neo, person, 3))
        print(f"empty Bolt info {empty:.3f} s; Bolt/SQLite ratio {bolt / max(base, 1e-9):.1f}x; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        neo.close()
        src.close()


if __name__ == "__main__":
    main()
