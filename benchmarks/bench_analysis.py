"""Time every analysis on a generated area: ``python benchmarks/bench_analysis.py --people 20000``.

The graph comes from :func:`assetmap.demo.synthetic.generate` (Trafford's real areas and assets
plus synthetic people), built straight into the same ``nx.MultiDiGraph`` shape that
``store.to_networkx()`` returns; ``--via-store`` writes it to a SQLite file first and reads it
back (slower to build, identical graph). Prints one line per function: median and worst seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assetmap import vocab  # noqa: E402
from assetmap.demo import synthetic
from assetmap.graph import analysis  # noqa: E402
from assetmap.ingest import trafford  # noqa: E402


def build_graph(people: int, seed: int, via_store: bool) -> nx.MultiDiGraph:
    """The demo area as the analysis sees it."""
    if via_store:
        from assetmap.graph.store.sqlite_store import SQLiteStore

        with tempfile.TemporaryDirectory() as d:
            store = SQLiteStore(Path(d) / "bench.db")
            synthetic.populate(store, people, seed)
            G = store.to_networkx()
            store.close()
            return G
    G = nx.MultiDiGraph()
    for nodes, ties in synthetic.generate(people, seed):
        for n in nodes:
            G.add_node(n.id, **{**n.props, "kind": n.kind, "name": n.name, "area": n.area,
                                "lat": n.lat, "lon": n.lon})
        for t in ties:
            G.add_edge(t.src, t.dst, key=t.kind,
                       **{**t.props, "kind": t.kind, "tie_class": vocab.TIE_KINDS[t.kind]})
    return G


CPU: list[float] = []  # CPU seconds of the last timed() call, per repeat


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median wall seconds, worst wall seconds, last result); CPU seconds land in CPU."""
    times, out = [], None
    CPU.clear()
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        CPU.append(time.process_time() - c0)
    return statistics.median(times), max(times), out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--via-store", action="store_true")
    ap.add_argument("--persons", type=int, default=25, help="people to time suggestions for")
    ap.add_argument("--closures", type=int, default=25, help="assets to time closure for")
    ap.add_argument("--repeat", type=int, default=3, help="runs of isolated_people to time")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    G = build_graph(args.people, args.seed, args.via_store)
    kinds: dict[str, int] = {}
    for _n, k in G.nodes(data="kind"):
        kinds[k] = kinds.get(k, 0) + 1
    print(f"graph: {G.number_of_nodes():,} nodes {kinds}, {G.number_of_edges():,} ties, "
          f"built in {time.perf_counter() - t0:.1f} s")
    areas = trafford.boundaries("lsoa")
    print(f"areas: {len(areas)} LSOAs; columns {list(areas.columns)}")

    def line(name: str, med: float, worst: float, note: str = "") -> None:
        cpu = statistics.median(CPU) if CPU else float("nan")
        print(f"{name:<34} median {med:8.3f} s  (cpu {cpu:7.3f} s)  worst {worst:8.3f} s   "
              f"{note}")

    med, worst, iso = timed(lambda: analysis.isolated_people(G), args.repeat)
    line("isolated_people (everyone)", med, worst,
         str(iso["level"].value_counts().sort_index().to_dict()))

    people = iso["person_id"].tolist()
    step = max(1, len(people) // args.persons)
    sample = people[::step][: args.persons]
    per: list[float] = []
    n_rows = 0
    CPU.clear()
    for p in sample:
        c, t = time.process_time(), time.perf_counter()
        n_rows += len(analysis.suggest_connections(G, p, k=10))
        per.append(time.perf_counter() - t)
        CPU.append(time.process_time() - c)
    line(f"suggest_connections (x{len(sample)})", statistics.median(per), max(per),
         f"{n_rows / max(1, len(sample)):.1f} rows each")

    med, worst, pool = timed(lambda: analysis.pooling_opportunities(G), 1)
    line("pooling_opportunities", med, worst, f"{len(pool)} sets")
    med, worst, car = timed(lambda: analysis.carer_support_gaps(G), 1)
    line("carer_support_gaps", med, worst, str(car["gap"].value_counts().to_dict()))
    med, worst, gaps = timed(lambda: analysis.provision_gaps(G, areas), 1)
    line("provision_gaps (LSOAs x needs)", med, worst,
         f"{len(gaps)} rows, {int(gaps['flagged'].sum())} flagged")

    assets = [n for n, k in G.nodes(data="kind") if k in vocab.ASSET_KINDS]
    med, worst, ks = timed(lambda: analysis.keystone_assets(G), 1)
    line("keystone_assets (every asset)", med, worst, f"{len(ks)} assets ranked")
    top = ks["asset_id"].head(args.closures // 2).tolist()
    stride = max(1, len(assets) // max(1, args.closures - len(top)))
    chosen = top + sorted(assets)[::stride][: args.closures - len(top)]
    per = []
    CPU.clear()
    for a in chosen:
        c, t = time.process_time(), time.perf_counter()
        analysis.closure_impact(G, a)
        per.append(time.perf_counter() - t)
        CPU.append(time.process_time() - c)
    line(f"closure_impact (x{len(chosen)})", statistics.median(per), max(per),
         "top keystones and a spread of others")
    med, worst, cl = timed(lambda: analysis.disconnected_clusters(G), 1)
    line("disconnected_clusters", med, worst,
         f"{len(cl)} clusters, {int(cl['people'].sum()) if len(cl) else 0} people")


if __name__ == "__main__":
    main()
