"""``assetmap import postcodes`` on a real OS Code-Point Open file (postcode area M, ~32k rows,
no header, British National Grid, gzipped): read + reproject, then kept in a SQLite store, then a
later spreadsheet import placed by the kept lookup.

Prints CPU seconds (time.process_time), wall seconds and peak RSS for each step, and the ratio of
the whole import to a baseline run in the same process: reading the same gzipped CSV with the
``csv`` module alone (the least any importer must do).

    python benchmarks/bench_postcodes.py [--file ../shared/data/salford/codepoint_open_M.csv.gz]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.postcodes import PostcodeLookup, import_postcodes, stored_lookup

T = TypeVar("T")
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/data/salford/codepoint_open_M.csv.gz"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{label:<44} CPU {cpu:6.2f} s, wall {wall:6.2f} s, peak RSS {_peak_mb():,.0f} MB",
          flush=True)
    return result, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=DEFAULT)
    args = ap.parse_args()

    def baseline() -> int:
        with gzip.open(args.file, "rb") as raw:
            return sum(1 for _ in csv.reader(io.TextIOWrapper(raw, encoding="utf-8")))

    rows, base_cpu = _timed("baseline: csv.reader over the .gz", baseline)
    lookup, read_cpu = _timed("read + reproject (PostcodeLookup.from_csv)",
                              lambda: PostcodeLookup.from_csv(args.file))
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "area.db")
        result, import_cpu = _timed("import postcodes (read, keep in the store)",
                                    lambda: import_postcodes(store, args.file))
        people = list(lookup.entries)[::16]  # every 16th postcode, as a people file would

        def place() -> int:
            kept = stored_lookup(store)
            assert kept is not None
            return sum(kept.check(pc, "Person")[0] is not None for pc in people)

        found, place_cpu = _timed(f"place {len(people):,} postcodes by the kept lookup", place)
        store.close()
    print(f"{rows:,} rows; {result.kept:,} postcodes kept; {found:,} of {len(people):,} placed")
    print(f"import vs baseline: {import_cpu / base_cpu:.1f}x the CPU of reading the file alone "
          f"(read + reproject alone: {read_cpu / base_cpu:.1f}x); "
          f"{1e6 * import_cpu / rows:.0f} µs CPU per row; "
          f"placing {1e6 * place_cpu / len(people):.0f} µs per postcode")


if __name__ == "__main__":
    main()
