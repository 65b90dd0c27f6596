"""How long the whole ``assetmap info`` command takes, as a person runs it (a fresh Python each
time: start-up, imports, opening the store, counting), on a SQLite demo store and on Bolt, with
the imports that cost most.

    .venv/bin/python benchmarks/bench_info.py [--people 2000] [--runs 5] [--no-bolt]

The baseline is a bare ``python -c pass`` run the same way in the same process, so the ratio
shows what assetmap adds to Python's own start-up. Bolt uses the Neo4j named by
``ASSETMAP_NEO4J_URI`` (user, password, database from the environment; its database is emptied)
or starts the test suite's ArcadeDB stand-in (tests/bolt_server.py). Prints wall and CPU seconds
(the child processes' user + system time), the peak RSS of one run and the import-time top 5
(``python -X importtime``, cumulative, top-level imports). To compare with another tree (say
the last commit, from ``git archive HEAD assetmap | tar -x -C /tmp/old``), run it from outside
the repository with ``PYTHONPATH=/tmp/old``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(label: str, argv: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall seconds of ``runs`` fresh processes of ``argv``; prints wall and CPU."""
    walls, cpus = [], []
    for _ in range(runs):
        c0, t0 = _child_cpu(), time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(_child_cpu() - c0)
        if done.returncode != 0:
            raise SystemExit(f"{label}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    wall, cpu = sorted(walls)[len(walls) // 2], sorted(cpus)[len(cpus) // 2]
    print(f"{label:44s} wall {wall:6.3f} s   cpu {cpu:6.3f} s   (median of {runs})")
    return wall


#: Runs ``python -m MODULE ARGS`` and then writes its own peak RSS (KiB) on stderr's last line:
#: VmHWM from /proc (this process image only; getrusage's maxrss also counts the memory of the
#: benchmark process it was forked from), else getrusage.
_RSS_WRAPPER = ("import resource, runpy, sys\n"
                "sys.argv = sys.argv[1:]\n"
                "try:\n    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
                "except SystemExit:\n    pass\n"
                "try:\n"
                "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')]\n"
                "    kib = int(hwm[0].split()[1])\n"
                "except (OSError, IndexError):\n"
                "    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "print(kib, file=sys.stderr)\n")


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> float:
    """Peak RSS of one run of ``python -m MODULE ARGS`` (``argv`` as for :func:`run_cli`)."""
    assert argv[1] == "-m"
    done = subprocess.run([argv[0], "-c", _RSS_WRAPPER, *argv[2:]], env=env,
                          capture_output=True, text=True, check=False)
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def import_top(argv: list[str], env: dict[str, str], top: int = 5) -> list[tuple[int, str]]:
    """The ``top`` top-level imports by cumulative microseconds under ``-X importtime``."""
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env,
                          capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and not name.startswith("  "):
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def show_imports(label: str, argv: list[str], env: dict[str, str]) -> None:
    """Prints the import-time top 5 of one run."""
    print(f"  imports that cost most ({label}):")
    for micros, name in import_top(argv, env):
        print(f"    {micros / 1e6:6.3f} s  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-bolt", action="store_true", help="SQLite only.")
    args = parser.parse_args()

    from assetmap.demo import synthetic
    from assetmap.graph.store.sqlite_store import SQLiteStore

    work = Path(tempfile.mkdtemp(prefix="bench-cli-info-"))
    # Children start here: `python -m` puts the working folder first on sys.path, so the
    # package measured is the installed one (or PYTHONPATH's, to compare two trees).
    os.chdir(work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETMAP_")}
    env["ASSETMAP_HOME"] = str(work)
    src = SQLiteStore(work / "area.db")
    synthetic.populate(src, args.people, 3)
    print(f"area: {src.count():,} records, {src.count_ties():,} ties")
    py = sys.executable
    base = run_cli("python -c pass (baseline)", [py, "-c", "pass"], env, args.runs)
    sqlite_argv = [py, "-m", "assetmap.cli", "info", "--store", src.url]
    src.close()
    sqlite = run_cli("assetmap info, SQLite", sqlite_argv, env, args.runs)
    show_imports("SQLite", sqlite_argv, env)
    print(f"SQLite: {sqlite:.3f} s, {sqlite / max(base, 1e-9):.1f}x bare Python start-up; "
          f"peak RSS {peak_rss_mib(sqlite_argv, env):.0f} MiB")
    if args.no_bolt:
        return

    import bolt_server

    proc = None
    if os.environ.get("ASSETMAP_NEO4J_URI"):
        server = bolt_server.BoltServer(
            os.environ["ASSETMAP_NEO4J_URI"], os.environ.get("ASSETMAP_NEO4J_USER", "neo4j"),
            os.environ.get("ASSETMAP_NEO4J_PASSWORD", ""),
            os.environ.get("ASSETMAP_NEO4J_DATABASE") or None, "neo4j")
        bolt_server.wipe(server)
    else:
        try:
            proc, server = bolt_server._start_arcadedb(work)
        except Exception as exc:  # no ArcadeDB here: the SQLite figures stand alone
            print(f"Bolt: skipped (the ArcadeDB stand-in did not start: {type(exc).__name__})")
            return
    uri, user, password, database = server.uri, server.user, server.password, server.database
    try:
        from assetmap.graph.store.copy import copy_store
        from assetmap.graph.store.neo4j_store import Neo4jStore

        neo = Neo4jStore(uri, user=user, password=password, database=database)
        src = SQLiteStore(work / "area.db")
        copy_store(src, neo)
        src.close()
        neo.close()
        bolt_env = {**env, "ASSETMAP_NEO4J_USER": user, "ASSETMAP_NEO4J_PASSWORD": password}
        if database:
            bolt_env["ASSETMAP_NEO4J_DATABASE"] = database
        bolt_argv = [py, "-m", "assetmap.cli", "info", "--store", uri]
        bolt = run_cli("assetmap info, Bolt", bolt_argv, bolt_env, args.runs)
        show_imports("Bolt", bolt_argv, bolt_env)
        print(f"Bolt: {bolt:.3f} s, {bolt / max(base, 1e-9):.1f}x bare Python start-up, "
              f"{bolt / max(sqlite, 1e-9):.1f}x SQLite; peak RSS "
              f"{peak_rss_mib(bolt_argv, bolt_env):.0f} MiB")
    finally:
        if proc is not None:
            bolt_server._stop(proc)


if __name__ == "__main__":
    main()
