"""Benchmark the embedded store: bulk upsert, re-upsert, to_networkx, neighbours.

Prints seconds per operation, and the ratio of assetmap's validated upsert against a baseline
of raw ``sqlite3.executemany`` into the same schema, run in the same process.

    python benchmarks/bench_store.py --people 20000 --ties-per-person 8
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from assetmap.graph.store.sqlite_store import _SCHEMA, SQLiteStore
from assetmap.model import Node, Tie


def make_records(people: int, ties_per_person: int, seed: int = 1) -> tuple[list, list]:
    rng = random.Random(seed)
    groups = max(10, people // 50)
    nodes = [Node(f"group:{g}", "Group", f"Group {g}", area=f"A{g % 100}",
                  props={"activities": ["walking"], "status": "active"}) for g in range(groups)]
    nodes += [Node(f"person:{i}", "Person", f"P{i}", area=f"A{i % 100}", lat=53.4, lon=-2.3,
                   props={"interests": ["walking", "singing"], "consent": {"map": True}})
              for i in range(people)]
    ties = {}
    for i in range(people):
        for _ in range(ties_per_person - 1):
            j = rng.randrange(people)
            if j != i:
                a, b = sorted((f"person:{i}", f"person:{j}"))
                ties[(a, b, "FRIEND")] = Tie(a, b, "FRIEND")
        g = rng.randrange(groups)
        ties[(f"person:{i}", f"group:{g}", "ATTENDS")] = Tie(f"person:{i}", f"group:{g}",
                                                               "ATTENDS")
    return nodes, list(ties.values())


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--ties-per-person", type=int, default=8)
    args = ap.parse_args()
    nodes, ties = make_records(args.people, args.ties_per_person)
    with tempfile.TemporaryDirectory() as tmp:
        # Baseline: raw executemany, no validation, no endpoint checks.
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.executescript(_SCHEMA)

        def raw_load() -> None:
            raw.execute("BEGIN")
            raw.executemany("INSERT INTO nodes VALUES (?,?,?,?,?,?,?)",
                            [(n.id, n.kind, n.name, n.area, n.lat, n.lon, json.dumps(n.props))
                             for n in nodes])
            raw.executemany("INSERT INTO ties VALUES (?,?,?,?)",
                            [(t.src, t.dst, t.kind, "{}") for t in ties])
            raw.execute("COMMIT")

        t_raw = timed(raw_load)
        raw.close()

        store = SQLiteStore(Path(tmp) / "store.db")

        def load() -> None:
            with store.transaction():
                store.upsert_nodes(nodes)
                store.upsert_ties(ties)

        t_load = timed(load)
        t_reload = timed(load)
        graph = {}
        t_nx = timed(lambda: graph.setdefault("G", store.to_networkx()))
        t_area = timed(lambda: store.to_networkx(area="A7"))
        sample = [f"person:{i}" for i in range(0, args.people, max(1, args.people // 1000))]
        t_nb = timed(lambda: [store.neighbours(p) for p in sample])
        size_mb = (Path(tmp) / "store.db").stat().st_size / 1e6
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"people={args.people:,} groups={len(nodes) - args.people:,} ties={len(ties):,}")
    print(f"raw sqlite3 executemany (baseline)   {t_raw:8.2f} s")
    print(f"SQLiteStore upsert, validated        {t_load:8.2f} s   ratio {t_load / t_raw:5.2f}x")
    print(f"SQLiteStore re-upsert (no changes)   {t_reload:8.2f} s")
    print(f"to_networkx whole store              {t_nx:8.2f} s   "
          f"({graph['G'].number_of_nodes():,} nodes, {graph['G'].number_of_edges():,} edges)")
    print(f"to_networkx one area                 {t_area:8.2f} s")
    print(f"neighbours x{len(sample):,}                  {t_nb:8.2f} s   "
          f"({1000 * t_nb / len(sample):.2f} ms each)")
    print(f"store file {size_mb:.1f} MB; peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
