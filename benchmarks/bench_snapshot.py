"""The columnar snapshot: store -> snapshot, and one write made visible, against full reloads.

For each cached synthetic store (see ``bench_analyse.py``; built on first use) prints, in CPU
seconds (``time.process_time``) with peak RSS:

- store -> :class:`Snapshot`, cold (no saved snapshot: the node numbers and codes read as
  integers, ``SQLiteStore.snapshot_arrays``; median of 5, CPU and wall), cold plus saving
  it for the next reader, and warm (the saved snapshot of this version), against the read
  by text ids it replaced (``analysis_columns``) and ``store.to_networkx()`` (the plain
  path), all in the same run; opening a schema-2 store migrates it first (timed on its own);
- store -> snapshot after a write (a referral): the saved snapshot, now one version older,
  patched from the change log (``Snapshot.from_store``; median of 5, CPU and wall, with the
  ratio to cold), and once with the patched one saved back (what a reader pays every
  ``SAVE_AFTER`` versions);
- the shared tie counts (every person's circle as counts) and the isolation levels from them;
- one write (a referral: a person ATTENDS a group) made visible: ``Snapshot.refresh`` and
  ``patched_graph`` (what the app does) against reading the snapshot / graph again;
- a suggested next step for every person (``suggest_all``), and one person's full
  ``suggest_connections`` (median of 25 people).

    python benchmarks/bench_snapshot.py --sizes 20000 100000
    python benchmarks/bench_snapshot.py --sizes 100000 --snapshot-only
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_analyse import build  # noqa: E402

from assetmap import vocab  # noqa: E402
from assetmap.graph.analysis.isolation import isolation_levels  # noqa: E402
from assetmap.graph.analysis.nextstep import suggest_all  # noqa: E402
from assetmap.graph.analysis.snapshot import (  # noqa: E402
    SAVE_AFTER,
    SAVED_FORMAT,
    Snapshot,
    patched_graph,
)
from assetmap.graph.analysis.suggestions import suggest_connections  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402
from assetmap.model import Tie  # noqa: E402


def cpu(fn):  # noqa: ANN001, ANN201 - a tiny timing helper
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def cold_median(store: SQLiteStore, runs: int = 5) -> tuple[float, float]:
    """Store -> snapshot cold (no saved snapshot read), median of ``runs``: CPU and wall s."""
    cpus, walls = [], []
    for _ in range(runs):
        wall = time.perf_counter()
        _, t = cpu(lambda: Snapshot.from_arrays(store.snapshot_arrays()))
        cpus.append(t)
        walls.append(time.perf_counter() - wall)
    return statistics.median(cpus), statistics.median(walls)


def after_a_write(store: SQLiteStore, runs: int = 5) -> tuple[float, float, float]:
    """One referral written, then store -> snapshot from the saved (older) one patched from the
    log: median CPU and wall s of ``runs`` (not saved back), and CPU s once saved back."""
    person = next(store.find(vocab.PERSON)).id
    group = next(store.find(vocab.GROUP)).id
    saved = store.load_saved_snapshot(SAVED_FORMAT)
    store.upsert_ties([Tie(person, group, "ATTENDS", {"frequency": "monthly"})])
    assert saved is not None and store.load_saved_snapshot(SAVED_FORMAT) == saved  # kept
    cpus, walls = [], []
    for _ in range(runs):
        wall = time.perf_counter()
        got, t = cpu(lambda: Snapshot.from_store(store, save=False))
        cpus.append(t)
        walls.append(time.perf_counter() - wall)
    assert got.version == store.version()
    for i in range(SAVE_AFTER):  # enough versions past it for the next reader to save back
        store.upsert_ties([Tie(person, group, "ATTENDS", {"frequency": "weekly", "n": i})])
    _, t_save = cpu(lambda: Snapshot.from_store(store))
    held = store.load_saved_snapshot(SAVED_FORMAT)
    assert held is not None and held[0] == store.version()  # saved back
    return statistics.median(cpus), statistics.median(walls), t_save


def measure(people: int, path: Path, snapshot_only: bool = False) -> None:
    """Print the figures for one store (a copy: the one write is made there)."""
    store, t_open = cpu(lambda: SQLiteStore(path))  # a schema-2 store is migrated here, once
    store.drop_snapshot()
    _, t_first = cpu(lambda: Snapshot.from_arrays(store.snapshot_arrays()))  # just opened
    t_cold, w_cold = cold_median(store)
    snap, t_save = cpu(lambda: Snapshot.from_store(store))  # cold, then saved
    _, t_warm = cpu(lambda: Snapshot.from_store(store))
    t_patch_read, w_patch_read, t_patch_save = after_a_write(store)
    snap = Snapshot.from_store(store)  # the current version, for what follows
    _, t_text = cpu(lambda: Snapshot.from_columns(store.analysis_columns(),
                                                  store.analysis_tie_columns(), 0))
    G, t_graph = cpu(store.to_networkx)
    _, t_counts = cpu(lambda: snap.counts)
    _, t_levels = cpu(lambda: isolation_levels(snap))
    print(f"{people:>9,} people: open {t_open:.3f} s (migration, once); store -> snapshot cold "
          f"{t_cold:.3f} s CPU, {w_cold:.3f} s wall (median of 5; first after opening "
          f"{t_first:.3f} s), cold + save {t_save:.3f} s, "
          f"warm {t_warm:.3f} s; by text ids "
          f"(before) {t_text:.3f} s ({t_text / t_cold:.1f}x cold); store -> networkx "
          f"{t_graph:.3f} s (ratio {t_graph / t_cold:.1f}x cold, {t_graph / t_warm:.0f}x warm)"
          f"; tie counts {t_counts:.3f} s; isolation levels {t_levels:.3f} s", flush=True)
    print(f"{'':>9}  after a write: saved + patch {t_patch_read:.3f} s CPU, "
          f"{w_patch_read:.3f} s wall (median of 5; {t_patch_read / t_cold:.2f}x cold CPU, "
          f"{w_patch_read / w_cold:.2f}x cold wall); saved + patch + save back "
          f"{t_patch_save:.3f} s CPU (once every {SAVE_AFTER} versions)", flush=True)
    if snapshot_only:
        store.close()
        return
    person = next(store.find(vocab.PERSON)).id
    group = next(store.find(vocab.GROUP)).id
    since = store.version()
    store.upsert_ties([Tie(person, group, "ATTENDS", {"frequency": "weekly"})])
    snap2, t_refresh = cpu(lambda: snap.refresh(store))
    _, t_relevel = cpu(lambda: isolation_levels(snap2))
    _, t_patch = cpu(lambda: patched_graph(G, store, since))
    _, t_reread = cpu(lambda: Snapshot.from_store(store))
    print(f"{'':>9}  one write: snapshot refresh {t_refresh:.3f} s + levels {t_relevel:.3f} s "
          f"(re-read {t_reread:.3f} s); graph patched {t_patch:.3f} s (re-read {t_graph:.3f} s,"
          f" {t_graph / max(t_patch, 1e-6):.0f}x)", flush=True)
    everyone, t_all = cpu(lambda: suggest_all(snap2))
    sample = sorted(everyone["person_id"].unique())[:: max(1, everyone["person_id"].nunique()
                                                          // 25)][:25]
    G2 = patched_graph(G, store, since)
    times = sorted(cpu(lambda p=p: suggest_connections(G2, p))[1] for p in sample)
    print(f"{'':>9}  next step for everyone (suggest_all): {t_all:.3f} s, "
          f"{len(everyone):,} people; one person's suggest_connections on the graph: median "
          f"{1000 * times[len(times) // 2]:.1f} ms", flush=True)
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "assetmap-bench")
    ap.add_argument("--snapshot-only", action="store_true",
                    help="only the store -> snapshot figures (no write, no suggestions)")
    args = ap.parse_args()
    for people in args.sizes:
        cached = build(people, args.seed, args.cache)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "copy.db"
            shutil.copyfile(cached, path)
            measure(people, path, args.snapshot_only)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
