"""Helpers for the page and browser tests: a small demo store with a hostile group name, and the
real app served by ``streamlit run`` on 127.0.0.1 (ready when its health endpoint answers)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assetmap.demo.build import build_demo
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "assetmap" / "ui" / "app.py"
#: A group name that would run script if any page put it into HTML unescaped.
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ID = "group:test-xss"
#: The person the tests open: a demo person who attends the hostile group.
TEST_PERSON = "person:s0000001"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS: list[str] = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def build_test_store(path: Path, people: int = 2000, seed: int = 7) -> SQLiteStore:
    """A real SQLite store: the Trafford demo (synthetic people) plus an at-risk group with a
    script-like name that :data:`TEST_PERSON` attends."""
    store = SQLiteStore(path)
    build_demo(store, people=people, seed=seed)
    me = store.get(TEST_PERSON)
    lat, lon = me.lat or 53.42, me.lon or -2.35
    with store.transaction():
        store.upsert_nodes([Node(XSS_ID, "Group", XSS_NAME, area=me.area, lat=lat + 0.004,
                                 lon=lon + 0.004,
                                 props={"activities": ["walking"], "needs": ["loneliness"],
                                        "status": "at_risk", "cost": "free",
                                        "description": XSS_NAME})])
        store.upsert_ties([Tie(TEST_PERSON, XSS_ID, "ATTENDS", {"source": "test"})])
    return store


def copy_store(template: Path, target: Path) -> str:
    """Copy a closed store file and return its sqlite URL (each test gets its own copy)."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def use_store_copy(template: Path, tmp_path: Path, monkeypatch) -> str:
    """Point the app at a fresh copy of ``template`` in ``tmp_path``, with its own home and the
    default access rules (what every AppTest page test starts from); return the store's URL."""
    url = copy_store(template, tmp_path / "assetmap.db")
    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.delenv("ASSETMAP_AUTH", raising=False)
    return url


def store_version(url: str) -> int:
    """The version of the store at ``url`` (opened and closed again): what the pages' caches
    are keyed on."""
    store = SQLiteStore.from_url(url)
    try:
        return store.version()
    finally:
        store.close()


def demo_store_fixtures(people: int) -> tuple[Any, Any]:
    """The two fixtures every AppTest page module uses: ``template_store`` (a demo store of
    ``people`` built once per module) and ``store_url`` (a fresh copy of it per test, the app
    pointed at it). Assign them in the module: ``template_store, store_url = ...``."""
    import pytest

    @pytest.fixture(scope="module")
    def template_store(tmp_path_factory: Any) -> Path:
        path = tmp_path_factory.mktemp("template") / "demo.db"
        build_test_store(path, people=people).close()
        return path

    @pytest.fixture
    def store_url(template_store: Path, tmp_path: Path, monkeypatch: Any) -> Iterator[str]:
        yield use_store_copy(template_store, tmp_path, monkeypatch)

    return template_store, store_url


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Poll ``url`` until it answers 200 (no fixed sleeps); fail if the server exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (127.0.0.1)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # Wait on the process (not a sleep): returns at once if it dies.
        try:
            proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
    raise TimeoutError(f"the app did not answer {url} within {timeout:.0f} s")


@contextmanager
def served_app(store_url: str, home: Path, log: Path) -> Iterator[str]:
    """Run the app on 127.0.0.1 on ``store_url`` exactly as ``assetmap serve`` starts it
    (:func:`assetmap.ui.launch.serve_command`: its security headers, session-cookie route and
    settings), with no file watcher; yield its base URL once healthy; stop it afterwards."""
    from assetmap.ui.launch import serve_command

    port = free_port()
    env = dict(os.environ, ASSETMAP_STORE=store_url, ASSETMAP_HOME=str(home),
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    cmd = [*serve_command(port, "127.0.0.1"), "--server.fileWatcherType", "none"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(f"{base}/_stcore/health", proc)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
