"""Benchmark: what the LSNS-6 / SNI estimates add to ``isolated_people`` (issue 17).

Builds the synthetic demo (``--people``, default 20,000) into a temporary SQLite store, then times
``isolated_people`` with the scales and, in the same process, with the per-tie scale codes
switched off (the structural pass alone), printing CPU seconds (time.process_time), the ratio,
peak RSS (resource.getrusage) and the level counts.

    .venv/bin/python benchmarks/bench_scales.py --people 20000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assetmap.demo import synthetic  # noqa: E402
from assetmap.graph.analysis import isolation  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=20_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        store = SQLiteStore(Path(d) / "bench.db")
        try:
            synthetic.populate(store, args.people, 2021)
            G = store.to_networkx()
        finally:
            store.close()
    t = time.process_time()
    df = isolation.isolated_people(G)
    with_scales = time.process_time() - t
    real = isolation._scale_codes
    isolation._scale_codes = lambda kind, out, attrs, other: (0, -1)
    try:
        t = time.process_time()
        isolation.isolated_people(G)
        structural = time.process_time() - t
    finally:
        isolation._scale_codes = real
    print("levels:", df["level"].value_counts().to_dict())
    print(f"isolated_people, {args.people:,} people: {with_scales:.2f} CPU s with the scales, "
          f"{structural:.2f} s structural only (ratio {with_scales / structural:.2f}); "
          f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
