"""Benchmark: build the synthetic Trafford population into a SQLite store at several sizes.

For each size, a fresh Python process (so peak memory is that size's alone) loads the packaged
Trafford data, then (1) streams ``synthetic.generate`` without a store and (2) runs
``synthetic.populate`` into a new SQLite file. It reports wall time, peak resident memory
(``resource.getrusage(...).ru_maxrss``) before and after, the record counts and the file size,
then the ratios of the largest size to the smallest.

    python benchmarks/bench_synthetic.py                       # 20,000 and 200,000 people
    python benchmarks/bench_synthetic.py --sizes 20000 200000 1000000 --generate-only
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _child(people: int, seed: int, db: Path | None) -> dict:
    from assetmap.demo import census, trafford

    # Load the packaged data first so the figures show what the generator itself adds.
    trafford.area_nodes()
    trafford.asset_nodes()
    trafford.postcodes()
    census.load()
    from assetmap.demo import synthetic

    out: dict = {"people": people, "rss_loaded_mb": round(_rss_mb(), 1)}
    start = time.perf_counter()
    nodes = ties = 0
    for batch_nodes, batch_ties in synthetic.generate(people, seed):
        nodes += len(batch_nodes)
        ties += len(batch_ties)
    out.update(generate_s=round(time.perf_counter() - start, 2), nodes=nodes, ties=ties,
               rss_after_generate_mb=round(_rss_mb(), 1))
    if db is not None:
        from assetmap.graph.store.sqlite_store import SQLiteStore

        store = SQLiteStore(db)
        start = time.perf_counter()
        counts = synthetic.populate(store, people=people, seed=seed)
        out["populate_s"] = round(time.perf_counter() - start, 2)
        out["stored_nodes"] = store.count()
        out["stored_ties"] = store.count_ties()
        store.close()
        out["db_mb"] = round(sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
                             / 2**20, 1)
        out["written"] = sum(counts.values())
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark at each size in its own process and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--generate-only", action="store_true", help="do not write a store")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(args.child, args.seed, args.db)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="assetmap-bench-") as tmp:
        for size in args.sizes:
            cmd = [sys.executable, __file__, "--child", str(size), "--seed", str(args.seed)]
            if not args.generate_only:
                cmd += ["--db", str(Path(tmp) / f"synthetic-{size}.db")]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(json.dumps(result))
    print()
    print(f"{'people':>10} {'generate s':>11} {'populate s':>11} {'loaded MB':>10} "
          f"{'peak MB':>8} {'nodes':>9} {'ties':>10} {'db MB':>7}")
    for r in results:
        print(f"{r['people']:>10,} {r['generate_s']:>11} {r.get('populate_s', '-'):>11} "
              f"{r['rss_loaded_mb']:>10} {r['peak_rss_mb']:>8} {r['nodes']:>9,} {r['ties']:>10,} "
              f"{r.get('db_mb', '-'):>7}")
    if len(results) > 1:
        a, b = results[0], results[-1]
        key = "populate_s" if "populate_s" in a else "generate_s"
        added_a = a["peak_rss_mb"] - a["rss_loaded_mb"]
        grow = (b["peak_rss_mb"] - b["rss_loaded_mb"]) / max(1e-9, added_a)
        print(f"\n{b['people']:,}/{a['people']:,} people: time x{b[key] / a[key]:.1f} ({key}), "
              f"peak memory x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f} "
              f"(above the loaded data: x{grow:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
