"""Benchmark the Neo4j store against the embedded store on the same generated area.

Writes a synthetic area into SQLite (the baseline, same process) and into a Bolt server — the
ArcadeDB stand-in the tests use, or a real Neo4j when ``ASSETMAP_NEO4J_URI`` is set — and prints
nodes/s, ties/s, ``to_networkx`` seconds and the ratios.

    python benchmarks/bench_neo4j.py --people 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import bolt_server  # noqa: E402  (the tests' Bolt server helper)

from assetmap.graph.store.copy import _batches  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402
from assetmap.ingest import synthetic  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=20_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    src = SQLiteStore(tmp / "src.db")
    synthetic.populate(src, people=args.people)
    nodes, ties = list(src.nodes()), list(src.ties())
    print(f"people={args.people:,} nodes={len(nodes):,} ties={len(ties):,}")
    proc, server = bolt_server._start_arcadedb(tmp)
    results = {}
    try:
        for name in ("sqlite", "bolt"):
            dst = SQLiteStore(tmp / "dst.db") if name == "sqlite" \
                else bolt_server.open_bolt_store(server)
            start = time.perf_counter()
            with dst.transaction():
                for batch in _batches(nodes, 5000):
                    dst.upsert_nodes(batch)
                t_nodes = time.perf_counter() - start
                mid = time.perf_counter()
                for batch in _batches(ties, 5000):
                    dst.upsert_ties(batch)
            t_ties = time.perf_counter() - mid
            start = time.perf_counter()
            dst.to_networkx()
            t_nx = time.perf_counter() - start
            dst.close()
            results[name] = (len(nodes) / t_nodes, len(ties) / t_ties, t_nx)
            print(f"{name:<7} nodes {results[name][0]:9,.0f}/s  ties {results[name][1]:9,.0f}/s  "
                  f"to_networkx {t_nx:6.2f} s")
    finally:
        bolt_server._stop(proc)
    s, b = results["sqlite"], results["bolt"]
    print(f"ratios (sqlite / bolt): nodes {s[0] / b[0]:.1f}x, ties {s[1] / b[1]:.1f}x, "
          f"to_networkx {b[2] / s[2]:.1f}x slower on bolt")


if __name__ == "__main__":
    main()
