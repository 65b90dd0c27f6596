"""Benchmark boundary and postcode imports: CPU seconds, peak memory and a baseline ratio.

Boundaries: Salford's 20 wards (2013) then its 150 LSOAs (2011, no parent column: nested in the
wards by geometry, polygons kept in the store), from ``tests/data/salford/``. Postcodes: the whole
OS Code-Point Open file for postcode area M (32,267 rows, no header, British National Grid) from
``../shared/data/salford/`` (or ``--postcodes FILE``). Each runs in its own subprocess, so each
peak RSS is its own. Baselines in the same process: ``geopandas.read_file`` of the same files
(no store, no nesting) and ``pandas.read_csv`` of the postcode file plus one pyproj transform.
CPU seconds are ``time.process_time``; peak RSS is ``resource.getrusage`` ``ru_maxrss``.

    python benchmarks/bench_areas.py
    python benchmarks/bench_areas.py --postcodes /path/to/codepoint_open_M.csv.gz
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

ROOT = Path(__file__).resolve().parent.parent
SALFORD = ROOT / "tests" / "data" / "salford"
WARDS = SALFORD / "wards_2013_E08000006.geojson"
LSOAS = SALFORD / "lsoa_2011_E08000006.geojson"
POSTCODES = ROOT.parent / "shared" / "data" / "salford" / "codepoint_open_M.csv.gz"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_boundaries() -> dict:
    """Import wards then LSOAs into a fresh store; baseline: read both files with geopandas."""
    import geopandas as gpd

    from assetmap.graph.store.areas import areas
    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.ingest.boundaries import import_boundaries

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "b.db")
        start = time.process_time()
        import_boundaries(store, WARDS)
        rep = import_boundaries(store, LSOAS)
        cpu = time.process_time() - start
        start = time.process_time()
        read_back = len(areas(store))
        read_cpu = time.process_time() - start
        store.close()
    start = time.process_time()
    gpd.read_file(WARDS)
    gpd.read_file(LSOAS)
    base = time.process_time() - start
    return {"what": "boundaries", "areas": rep.read + 20, "nested": rep.nested,
            "cpu_s": round(cpu, 3), "read_back_cpu_s": round(read_cpu, 3),
            "areas_read_back": read_back, "baseline_cpu_s": round(base, 3),
            "ratio": round(cpu / base, 1) if base else None, "peak_rss_mib": round(_peak_mib())}


def run_postcodes(path: Path) -> dict:
    """Import the Code-Point Open file into a fresh store; baseline: pandas + one transform."""
    import pandas as pd
    from pyproj import Transformer

    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.ingest.postcodes import import_postcodes

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "p.db")
        start = time.process_time()
        rep = import_postcodes(store, path)
        cpu = time.process_time() - start
        store.close()
    start = time.process_time()
    frame = pd.read_csv(path, header=None, names=["pc", "q", "e", "n"], dtype={"pc": str})
    Transformer.from_crs(27700, 4326, always_xy=True).transform(frame["e"].to_numpy(),
                                                                frame["n"].to_numpy())
    base = time.process_time() - start
    rows = getattr(rep, "read", None) or len(frame)
    return {"what": "postcodes", "rows": rows, "cpu_s": round(cpu, 3),
            "rows_per_cpu_s": round(rows / cpu) if cpu else None,
            "baseline_cpu_s": round(base, 3), "ratio": round(cpu / base, 1) if base else None,
            "peak_rss_mib": round(_peak_mib())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postcodes", type=Path, default=POSTCODES)
    parser.add_argument("--one", choices=["boundaries", "postcodes"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "boundaries":
        print(json.dumps(run_boundaries()))
        return
    if args.one == "postcodes":
        print(json.dumps(run_postcodes(args.postcodes)))
        return
    jobs = ["boundaries"] + (["postcodes"] if args.postcodes.exists() else [])
    for job in jobs:
        out = subprocess.run([sys.executable, __file__, "--one", job, "--postcodes",
                              str(args.postcodes)], capture_output=True, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1])
    if "postcodes" not in jobs:
        print(json.dumps({"what": "postcodes", "skipped": f"{args.postcodes} not found"}))


if __name__ == "__main__":
    main()
