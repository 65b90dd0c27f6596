"""``assetmap analyse`` end to end (read the store, every analysis, write the reports) by size.

Builds a synthetic Trafford store at each size, then times ``analyse_store`` — what the CLI verb
runs — and prints seconds, seconds per 1,000 people (to show how near-linear it scales) and peak
memory. The smallest size is the baseline for the ratios.

    python benchmarks/bench_analyse.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from assetmap.demo import synthetic
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.reports import analyse_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()
    rows = []
    for people in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = SQLiteStore(Path(tmp) / "area.db")
            start = time.perf_counter()
            synthetic.populate(store, people, args.seed)
            built = time.perf_counter() - start
            start = time.perf_counter()
            result = analyse_store(store, Path(tmp) / "out")
            took = time.perf_counter() - start
            store.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append((people, built, took, peak, len(result["files"])))
        print(f"{people:>9,} people: store built {built:7.1f} s; analyse {took:7.1f} s "
              f"({1000 * took / people:.2f} s per 1,000 people); peak RSS so far {peak:,.0f} MB",
              flush=True)
    base_people, _, base_took, _, _ = rows[0]
    for people, _, took, _, _ in rows[1:]:
        print(f"{people:,} vs {base_people:,}: {people / base_people:.0f}x the people, "
              f"{took / base_took:.1f}x the time")


if __name__ == "__main__":
    main()
