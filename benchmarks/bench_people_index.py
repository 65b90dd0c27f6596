"""Benchmark the index of people who may be suggested (``suggestions._people_index``) after one
write, as the app sees it: the store's graph patched copy on write
(:func:`assetmap.graph.analysis.snapshot.live_graph`), then the index patched for the nodes the
write touched, against building the index afresh (the path before issue 14's patching) in the
same process. Synthetic people on a real SQLite store in a temporary folder.

Prints CPU seconds (time.process_time, median of 5), the ratio afresh / patched, and peak RSS.

    python benchmarks/bench_people_index.py --people 100000
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from assetmap import vocab
from assetmap.graph.analysis import suggestions
from assetmap.graph.analysis.snapshot import live_graph
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node

INTERESTS = sorted(vocab.INTERESTS)[:40]


def person(i: int, rng: random.Random) -> Node:
    """A synthetic person near Trafford with a few interests; most consented to suggestions."""
    return Node(f"person:{i}", vocab.PERSON, f"P{i}", None, 53.42 + rng.uniform(-0.05, 0.05),
                -2.33 + rng.uniform(-0.08, 0.08),
                {"interests": rng.sample(INTERESTS, 3),
                 "consent": {"suggest": rng.random() < 0.7, "map": True}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "people.db")
        store.upsert_nodes([person(i, rng) for i in range(args.people)])
        G = live_graph(store)
        suggestions._people_index(G)
        patched: list[float] = []
        afresh: list[float] = []
        for w in range(5):
            # one write: a person's interests edited (as the Person page's edit form does)
            store.upsert_nodes([person(w, rng)])
            G = live_graph(store)
            start = time.process_time()
            got = suggestions._people_index(G)
            patched.append(time.process_time() - start)
            suggestions._PEOPLE_INDEX.clear()
            start = time.process_time()
            fresh = suggestions._people_index(G)
            afresh.append(time.process_time() - start)
            live = [i for i, b in enumerate(got[3].tolist()) if b]
            assert sorted(got[0][i] for i in live) == sorted(fresh[0])  # the same people
        store.close()
    p, f = statistics.median(patched), statistics.median(afresh)
    print(f"people: {args.people:,}; index of people who may be suggested, after one write")
    print(f"  patched: {p:.4f} CPU-s | afresh (before): {f:.4f} CPU-s | ratio {f / p:.1f}x")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
