"""A real Bolt server for the tests: ArcadeDB (PyPI ``arcadedb-embedded``) with its Neo4j Bolt
listener, run in a child process so its JVM never shares the test process.

``python tests/bolt_server.py ROOT PASSWORD`` starts the server on a free loopback port, prints one
JSON line (``{"bolt_port": ..., "database": ...}``) and serves until its standard input closes.
The ``bolt_server`` session fixture starts it once per test run; :func:`bolt_factory` gives each
test an empty database. With ``ASSETMAP_NEO4J_URI`` set, a real Neo4j is used instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DATABASE = "assetmap_test"
USER = "root"
START_TIMEOUT_S = 120


@dataclass(frozen=True)
class BoltServer:
    """Where the test server listens and how to log in."""

    uri: str
    user: str
    password: str
    database: str | None
    kind: str  # "arcadedb" (the stand-in) or "neo4j" (a real Neo4j from the environment)

    @property
    def is_stand_in(self) -> bool:
        """True for the ArcadeDB stand-in (tests of Neo4j-only behaviour are marked for it)."""
        return self.kind == "arcadedb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(root: str, password: str) -> None:
    """Run ArcadeDB with the Bolt plugin on loopback until standard input closes."""
    from arcadedb_embedded import ArcadeDBServer

    bolt_port, http_port = _free_port(), _free_port()
    server = ArcadeDBServer(
        root_path=root, root_password=password,
        config={"server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
                "bolt_port": bolt_port, "http_port": http_port, "host": "127.0.0.1"})
    server.start()
    try:
        server.create_database(DATABASE)
        print(json.dumps({"bolt_port": bolt_port, "database": DATABASE}), flush=True)
        sys.stdin.read()  # until the parent closes the pipe (or dies)
    finally:
        server.stop()
        sys.stdout.flush()
        os._exit(0)  # skip the JVM's shutdown dance inside the interpreter's own


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


def _unavailable(reason: str) -> None:
    # In CI a Bolt test that cannot run is a failure, never a quiet skip.
    if _in_ci():
        pytest.fail(f"The Bolt test server is not available in CI: {reason}", pytrace=False)
    pytest.skip(f"Bolt test server not available: {reason}")


def _start_arcadedb(root: Path) -> tuple[subprocess.Popen, BoltServer]:
    password = secrets.token_hex(12)
    proc = subprocess.Popen(
        [sys.executable, __file__, str(root), password], cwd=root,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    if not line or not line[0].strip():
        proc.kill()
        proc.wait()
        raise RuntimeError(f"ArcadeDB did not start within {START_TIMEOUT_S} s "
                           f"(exit code {proc.poll()}).")
    info = json.loads(line[0])
    return proc, BoltServer(f"bolt://127.0.0.1:{info['bolt_port']}", USER, password,
                            info["database"], "arcadedb")


def _stop(proc: subprocess.Popen) -> None:
    try:
        proc.stdin.close()
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _from_environment() -> BoltServer | None:
    """The real Neo4j named by ``ASSETMAP_NEO4J_URI`` (and its user, password, database)."""
    uri = os.environ.get("ASSETMAP_NEO4J_URI")
    if not uri:
        return None
    return BoltServer(uri, os.environ.get("ASSETMAP_NEO4J_USER", "neo4j"),
                      os.environ.get("ASSETMAP_NEO4J_PASSWORD", ""),
                      os.environ.get("ASSETMAP_NEO4J_DATABASE") or None, "neo4j")


@contextlib.contextmanager
def bench_server(work: Path) -> Iterator[BoltServer]:
    """The Bolt server a benchmark runs against: the real Neo4j from the environment, else an
    ArcadeDB server started in ``work`` and stopped afterwards."""
    server = _from_environment()
    if server is not None:
        yield server
        return
    proc, server = _start_arcadedb(work)
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltServer]:
    """One Bolt server for the whole run: a real Neo4j from ``ASSETMAP_NEO4J_URI``, or ArcadeDB."""
    real = _from_environment()
    if real is not None:
        yield real
        return
    try:
        import arcadedb_embedded  # noqa: F401
    except ImportError:
        _unavailable("the arcadedb-embedded package is not installed (pip install -e '.[test]')")
    try:
        proc, server = _start_arcadedb(tmp_path_factory.mktemp("arcadedb"))
    except Exception as exc:  # noqa: BLE001 - any start failure is reported the same way
        _unavailable(str(exc))
    try:
        yield server
    finally:
        _stop(proc)


def open_bolt_store(server: BoltServer, **kwargs):
    """A Neo4jStore on the test server (credentials passed in, never read from code)."""
    from assetmap.graph.store.neo4j_store import Neo4jStore

    return Neo4jStore(server.uri, user=server.user, password=server.password,
                      database=server.database, **kwargs)


def wipe(server: BoltServer) -> None:
    """Empty the test database (every node and relationship). The app's caches in this
    process are dropped too, as a store replaced whole needs (its versions may repeat)."""
    import neo4j

    from assetmap.ui import common

    with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=server.database)
    common.forget_everything()


def bolt_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:
    """A fresh, empty Neo4jStore on the session's Bolt server (for ``STORE_FACTORIES``)."""
    server: BoltServer = request.getfixturevalue("bolt_server")
    wipe(server)
    store = open_bolt_store(server)
    try:
        yield store
    finally:
        store.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
