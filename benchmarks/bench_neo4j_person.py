"""The Person page's read on Bolt (issue 16, "small queries for small questions"): one person's
neighbourhood (``Neo4jStore.person_neighbourhood``) against the whole-graph load it replaces
(``to_networkx``, the baseline, same process and store), for an isolated person and the best
connected one.

    .venv/bin/python benchmarks/bench_neo4j_person.py [--people 2000]

Uses the Neo4j named by ``ASSETMAP_NEO4J_URI`` (user, password, database from the environment;
its database is emptied) or starts the test suite's ArcadeDB stand-in. Prints wall and CPU
seconds (time.process_time), records read, peak RSS and the whole/neighbourhood ratio.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from assetmap import settings, vocab  # noqa: E402
from assetmap.demo import synthetic  # noqa: E402
from assetmap.graph.store.copy import copy_store  # noqa: E402
from assetmap.graph.store.neo4j_store import Neo4jStore  # noqa: E402
from assetmap.graph.store.sqlite_store import SQLiteStore  # noqa: E402

#: The widest "within" the Person page's filters offer (what the page reads places within).
PLACE_KM = 20.0


def timed(label: str, fn, repeat: int = 3):  # noqa: ANN201
    """Best wall seconds of ``repeat`` runs of ``fn`` and its last result; prints wall, CPU."""
    best, cpu, out = float("inf"), 0.0, None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        cpu = time.process_time() - c0
    people = sum(1 for _n, a in out.nodes(data=True) if a.get("kind") == vocab.PERSON)
    print(f"{label:52s} wall {best:6.3f} s  cpu {cpu:6.3f} s  "
          f"{out.number_of_nodes():5,} records ({people:5,} people) "
          f"{out.number_of_edges():5,} ties")
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-person-"))
    import bolt_server

    with bolt_server.bench_server(work) as server:
        uri, user, password, database = server.uri, server.user, server.password, server.database
        src = SQLiteStore(work / "area.db")
        synthetic.populate(src, args.people, 3)
        neo = Neo4jStore(uri, user=user, password=password, database=database)
        copy_store(src, neo)
        print(f"area: {src.count():,} records, {src.count_ties():,} ties")
        km = settings.load().max_travel_km
        base, whole = timed("whole graph (to_networkx, baseline)", neo.to_networkx)
        people = sorted((n for n, a in whole.nodes(data=True) if a.get("kind") == vocab.PERSON),
                        key=lambda n: (whole.degree(n), n))
        for name, p in (("isolated", people[0]), ("median", people[len(people) // 2]),
                        ("best connected", people[-1])):
            small, _ = timed(f"neighbourhood, {name} ({whole.degree(p)} ties), page",
                             lambda p=p: neo.person_neighbourhood(p, km, PLACE_KM))
            near, _ = timed(f"  the same, places within {km:g} km only",
                            lambda p=p: neo.person_neighbourhood(p, km))
            print(f"  whole/neighbourhood ratio {base / max(small, 1e-9):.1f}x as the page reads "
                  f"it, {base / max(near, 1e-9):.1f}x with places within {km:g} km")
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        neo.close()
        src.close()


if __name__ == "__main__":
    main()
