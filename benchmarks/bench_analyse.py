"""``assetmap analyse`` end to end at each size: the columnar path against the plain networkx path.

For each size, a synthetic Trafford store is built once and cached (``--cache``, default
/tmp/assetmap-bench), then each path runs in a child process of its own so that its CPU seconds
(``time.process_time``) and peak RSS are its own: **fast** = store -> :class:`Snapshot` -> every
analysis -> the reports (what the CLI verb runs); **plain** = ``store.to_networkx()`` -> the same
analyses on the graph -> the same reports. The two output folders are compared byte for byte.
Prints each path's figures, the plain/fast ratio, and the time exponent between sizes
(``log(t2/t1) / log(n2/n1)``: 1.0 is linear).

    python benchmarks/bench_analyse.py --sizes 10000 100000
    python benchmarks/bench_analyse.py --sizes 100000 --skip-plain
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(people: int, seed: int, cache: Path) -> Path:
    """The cached synthetic store for ``people`` (built on first use)."""
    from assetmap.demo import synthetic
    from assetmap.graph.store.sqlite_store import SQLiteStore

    path = cache / f"synthetic-{people}-{seed}.db"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        part.unlink(missing_ok=True)
        store = SQLiteStore(part)
        synthetic.populate(store, people, seed)
        store.close()
        part.rename(path)
    return path


def one(path: str, mode: str, out: str) -> None:
    """Run one path in this (child) process and print its figures as JSON."""
    from assetmap import reports
    from assetmap.demo.trafford import boundaries
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.graph.store import areas as area_store
    from assetmap.graph.store.sqlite_store import SQLiteStore

    store = SQLiteStore(path)  # a store of an older schema migrates here, before timing
    levels = area_store.area_levels(store)
    areas = area_store.areas(store, levels[0]) if levels else boundaries("lsoa")
    start = time.process_time()
    source = Snapshot.from_store(store) if mode == "fast" else store.to_networkx()
    read = time.process_time() - start
    reports.analyse(source, out, areas=areas, level="ward")
    took = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu_s": took, "read_s": read, "peak_mb": peak}))


def run(path: Path, mode: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", str(path), mode, str(out)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "assetmap-bench")
    ap.add_argument("--skip-plain", action="store_true", help="time the columnar path only")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(*args.one)
        return
    fast_times = []
    for people in args.sizes:
        path = build(people, args.seed, args.cache)
        with tempfile.TemporaryDirectory() as tmp:
            fast = run(path, "fast", Path(tmp) / "fast")
            line = (f"{people:>9,} people: fast {fast['cpu_s']:6.2f} CPU-s (store->snapshot "
                    f"{fast['read_s']:.2f} s), peak {fast['peak_mb']:,.0f} MB")
            if not args.skip_plain:
                plain = run(path, "plain", Path(tmp) / "plain")
                same = all(filecmp.cmp(p, Path(tmp) / "fast" / p.name, shallow=False)
                           for p in (Path(tmp) / "plain").iterdir())
                line += (f"; plain {plain['cpu_s']:6.2f} CPU-s, peak {plain['peak_mb']:,.0f} MB"
                         f"; ratio {plain['cpu_s'] / fast['cpu_s']:.1f}x CPU, "
                         f"{plain['peak_mb'] / fast['peak_mb']:.1f}x memory; reports "
                         f"{'byte-identical' if same else 'DIFFER'}")
        fast_times.append((people, fast["cpu_s"]))
        print(line, flush=True)
    for (n1, t1), (n2, t2) in zip(fast_times, fast_times[1:], strict=False):
        print(f"time exponent {n1:,} -> {n2:,}: {math.log(t2 / t1) / math.log(n2 / n1):.2f}")


if __name__ == "__main__":
    main()
