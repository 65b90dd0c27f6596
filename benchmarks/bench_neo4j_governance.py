"""Two Neo4j reads and writes of issue 16 on Bolt, each against a baseline in the same process:

- the analysis snapshot from native properties (``Neo4jStore.analysis_nodes``/``analysis_ties``,
  what ``Snapshot.from_store`` now reads) against decoding every record's props JSON (the read it
  replaces);
- an audit row written to the database (``:AssetmapAudit``, head node locked) against the SQLite
  access file.

    .venv/bin/python benchmarks/bench_neo4j_governance.py [--people 2000] [--rows 200]

Uses the Neo4j named by ``ASSETMAP_NEO4J_URI`` (user, password, database from the environment;
its database is emptied) or starts the test suite's ArcadeDB stand-in. Prints wall and CPU
seconds (time.process_time), peak RSS and the ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from assetmap.demo import synthetic  # noqa: E402
from assetmap.governance import audit  # noqa: E402
from assetmap.governance.access import AccessDB  # noqa: E402
from assetmap.graph.analysis.snapshot import Snapshot, _row_of  # noqa: E402
from assetmap.graph.store.copy import copy_store  # noqa: E402
from assetmap.graph.store.neo4j_store import Neo4jStore  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore, tie_weight  # noqa: E402
from assetmap.model import tie_fields  # noqa: E402


def timed(label: str, fn, repeat: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` runs of ``fn``; printed."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(f"{label:44s} wall {best:7.3f} s   cpu {best_cpu:7.3f} s")
    return best, best_cpu


def decoded(store: Neo4jStore) -> Snapshot:
    """The snapshot from every record's props JSON (the read before issue 16's leftover)."""
    nodes = (_row_of(n) for n in sorted(store.nodes(), key=lambda n: n.id))
    ties = ((t.src, t.dst, t.kind, *tie_fields(t.props), tie_weight(t.props))
            for t in store.ties())
    return Snapshot.from_rows(nodes, ties, store.version())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-gov-"))
    os.environ["ASSETMAP_HOME"] = str(work / "home")
    import bolt_server

    with bolt_server.bench_server(work) as server:
        uri, user, password, database = server.uri, server.user, server.password, server.database
        os.environ["ASSETMAP_NEO4J_USER"], os.environ["ASSETMAP_NEO4J_PASSWORD"] = user, password
        neo = Neo4jStore(uri, user=user, password=password, database=database)
        neo._driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)
        src = SQLiteStore(work / "area.db")
        synthetic.populate(src, args.people, 7)
        copy_store(src, neo)
        print(f"{neo.count():,} records, {neo.count_ties():,} ties on Bolt")
        old, _ = timed("snapshot, every record's JSON decoded", lambda: decoded(neo))
        new, _ = timed("snapshot, native properties", lambda: Snapshot.from_store(neo))
        print(f"{'':44s} ratio native/decoded {new / old:.2f}")

        url = uri + (f"/{database}" if database else "")
        with AccessDB(work / "access.db") as lite, AccessDB.for_store(url) as db:
            def rows(access: AccessDB) -> None:
                for i in range(args.rows):
                    audit.record(access, "bench", "view", f"person:{i}")

            base, _ = timed(f"{args.rows} audit rows, SQLite access file", lambda: rows(lite), 1)
            on, _ = timed(f"{args.rows} audit rows, Neo4j (head locked)", lambda: rows(db), 1)
            print(f"{'':44s} ratio Neo4j/SQLite {on / base:.2f}")
            report = audit.verify(db)
            print(f"chain on Neo4j: {report.rows} rows, intact={report.intact}")
        neo.close()
        src.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
