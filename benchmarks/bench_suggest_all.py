"""A suggested next step for everyone at once (``nextstep.suggest_all``), with the social factor
and people's own cost / access limits, against the same pass without the social factor (the
baseline, measured in the same process).

For each cached synthetic store (see ``bench_analyse.py``; built on first use) prints, in CPU
seconds (``time.process_time``): store -> snapshot; ``suggest_all`` without the social factor;
with it (the default); with it and limits for 5 % of people; one person's ``suggest_for``
(median of 25); and peak RSS.

    python benchmarks/bench_suggest_all.py --sizes 20000 100000
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_analyse import build  # noqa: E402

from assetmap.graph.analysis.nextstep import suggest_all, suggest_for  # noqa: E402
from assetmap.graph.analysis.snapshot import Snapshot  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402


def cpu(fn):  # noqa: ANN001, ANN201 - a tiny timing helper
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def fresh(snap: Snapshot) -> Snapshot:
    """Drop the suggestion indexes cached on the snapshot, so each pass builds its own."""
    for key in [k for k in snap._cache if k != "index"]:
        snap._cache.pop(key)
    return snap


def measure(people: int, path: Path) -> None:
    with SQLiteStore(path) as store:
        snap, t_snap = cpu(lambda: Snapshot.from_store(store))
    base, t_base = cpu(lambda: suggest_all(fresh(snap), social=False))
    full, t_full = cpu(lambda: suggest_all(fresh(snap)))
    ids = [snap.ids[i] for i in range(len(snap.ids)) if snap.is_person[i]]
    limits = {p: {"max_cost": "free", "access_needs": ["step_free"]} for p in ids[::20]}
    _, t_lim = cpu(lambda: suggest_all(fresh(snap), limits=limits))
    sample = ids[:: max(1, len(ids) // 25)][:25]
    one = statistics.median(cpu(lambda p=p: suggest_for(snap, p))[1] for p in sample)
    print(f"{people:>9,} people: store -> snapshot {t_snap:.2f} s; suggest_all without social "
          f"{t_base:.2f} s ({base['person_id'].nunique():,} people); with social "
          f"{t_full:.2f} s ({full['person_id'].nunique():,} people, "
          f"{int((full['social'] > 0).sum()):,} top picks with a social link; ratio "
          f"{t_full / max(t_base, 1e-9):.2f}x); with limits for 5 % {t_lim:.2f} s; one "
          f"person's suggest_for median {1000 * one:.1f} ms", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "assetmap-bench")
    args = ap.parse_args()
    for people in args.sizes:
        measure(people, build(people, args.seed, args.cache))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
