"""Benchmark the spreadsheet importer: rows per second and peak memory for big people CSVs.

Generates synthetic people CSVs (10k, 100k, 1M rows by default) in a temporary directory and
imports each into a fresh SQLite store in its own subprocess, so each peak RSS is its own.

    python benchmarks/bench_ingest.py                 # 10k, 100k, 1M
    python benchmarks/bench_ingest.py --rows 100000   # one size
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INTERESTS = ["walking", "singing", "gardening", "knitting", "book club", "football", "cooking"]
NEEDS = ["loneliness", "carer support", "mental health", "dementia", "money advice"]
AGE_BANDS = ["16-24", "25-34", "35-49", "50-64", "65-74", "75-84", "85+"]


def write_people(path: Path, rows: int, seed: int = 1) -> None:
    """A synthetic people CSV with the columns a coordinator's export typically has."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Client Ref", "First name", "Surname", "Post Code", "lat", "lon",
                      "interests", "needs", "age_band", "consent_map", "personal_budget"])
        for i in range(rows):
            out.writerow([
                f"s{i:07d}", f"Synthetic{i % 997}", f"Person{i}",
                f"M{rng.randrange(1, 46)} {rng.randrange(10)}{rng.choice('ABDEFGHJ')}"
                f"{rng.choice('ABDEFGHJ')}",
                f"{53.38 + rng.random() * 0.1:.6f}", f"{-2.45 + rng.random() * 0.2:.6f}",
                "; ".join(rng.sample(INTERESTS, 2)), rng.choice(NEEDS), rng.choice(AGE_BANDS),
                rng.choice(["yes", "no"]), rng.choice(["yes", "no"])])


def worker(csv_path: str, db_path: str) -> None:
    """Import one file into a fresh store; print JSON with seconds, rows/s and peak RSS."""
    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.ingest.spreadsheet import import_spreadsheet

    store = SQLiteStore(db_path)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = import_spreadsheet(store, csv_path, "people",
                                mapping={"Client Ref": "id"})
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = store.count("Person")
    store.close()
    print(json.dumps({"rows": report.read, "written": report.written, "in_store": count,
                      "rejected": report.rejected, "seconds": round(seconds, 2),
                      "rows_per_s": round(report.read / seconds),
                      "rss_before_mb": round(base / 1024), "peak_rss_mb": round(peak / 1024)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, action="append",
                    help="rows per file (repeatable; default 10k, 100k and 1M)")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sizes = args.rows or [10_000, 100_000, 1_000_000]
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = Path(tmp) / f"people_{rows}.csv"
            start = time.perf_counter()
            write_people(path, rows)
            made = time.perf_counter() - start
            out = subprocess.run([sys.executable, __file__, "--worker", str(path),
                                  str(Path(tmp) / f"store_{rows}.db")],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout)
            result["csv_mb"] = round(path.stat().st_size / 1e6, 1)
            result["generate_s"] = round(made, 1)
            print(json.dumps(result), flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
