"""Benchmark the Resilience page in a real browser (issue 14: every page ≤ 1 s on the 20k demo):
Debian's Chromium driven by Playwright against ``assetmap serve`` on 127.0.0.1, as
``tests/test_browser.py`` does, on the demo with the tests' hostile group name.

Each round is a new browser session (a fresh context): sign in, wait for the Map (the first page
after sign-in) and its map, then open Resilience from the menu. Printed per round and as medians:

- ``ready``: seconds from the click until the page's script has finished and its title shows;
- ``map drawn``: until the closure map has drawn its layers in its frame;
- ``sent``: bytes the server sent over the websocket for the page;
- ``server``: the server process's CPU seconds for it (from /proc);
- ``browser``: the tab's main-thread task seconds (Chrome's ``TaskDuration``).

The baseline, run in the same server and browser, is the About page (text only) opened the
same way; the ratio is Resilience's ``ready`` over About's. The first round warms the server
(its after-sign-in warm-ups) and is not counted.

    python benchmarks/bench_resilience_browser.py --people 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' helpers: the store, the server

ACCOUNT = "bench-admin"
ABOUT = "About and data sources"  # the baseline page's title (and its menu link)
DRAWN = ("() => !!document.querySelector('.leaflet-overlay-pane canvas, "
         ".leaflet-overlay-pane path')")
READY = """([title]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    return Array.from(document.querySelectorAll('h1')).some(h => h.innerText.trim() === title);
}"""


def server_cpu(port: str) -> float:
    """CPU seconds (user + system) of the app server listening on ``port``."""
    pids = subprocess.run(["pgrep", "-f", f"server.port {port} "], capture_output=True,
                          text=True, check=False).stdout.split()
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def map_drawn(tab: Any) -> bool:
    """Whether any frame of the tab shows a drawn Leaflet layer."""
    for frame in tab.frames[1:]:
        try:
            if frame.evaluate(DRAWN):
                return True
        except Exception:  # noqa: S112 - a frame that navigated away meanwhile
            continue
    return False


def wait_for_map(tab: Any, began: float, limit: float = 30.0) -> float:
    """Seconds from ``began`` until a map is drawn (polled every 20 ms; ``limit`` at most)."""
    while not map_drawn(tab) and time.perf_counter() - began < limit:
        tab.wait_for_timeout(20)
    return time.perf_counter() - began


def new_session(browser: Any) -> tuple[Any, Any, Counter[str], Any]:
    """A new browser session (a fresh context) and its tab, counting the bytes the server
    sends over the websocket (``frames["bytes"]``), with ``task()``: the tab's main-thread
    task seconds so far (CDP ``TaskDuration``). Returns (context, tab, frames, task)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(120_000)
    cdp = context.new_cdp_session(tab)
    cdp.send("Performance.enable")
    frames: Counter[str] = Counter()
    tab.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.update({"bytes": len(payload)})))

    def task() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")
    return context, tab, frames, task


def one_visit(browser: Any, base: str, password: str, port: str, title: str) -> dict[str, float]:
    """Sign in in a new session, wait for the Map, open ``title``: its figures."""
    context, tab, frames, task = new_session(browser)
    tab.goto(base + "/")
    tab.get_by_label("Account name").fill(ACCOUNT)
    tab.get_by_role("textbox", name="Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_function(READY, arg=["Map"])
    wait_for_map(tab, time.perf_counter())

    task0, cpu0, bytes0 = task(), server_cpu(port), frames["bytes"]
    began = time.perf_counter()
    tab.get_by_role("link", name=title, exact=True).click()
    tab.wait_for_function(READY, arg=[title])
    out = {"ready": time.perf_counter() - began, "server": server_cpu(port) - cpu0,
           "sent": float(frames["bytes"] - bytes0)}
    if title == "Resilience":
        out["map drawn"] = wait_for_map(tab, began)
    out["browser"] = task() - task0
    context.close()
    return out


@contextmanager
def served_demo(people: int, prefix: str, account: str) -> Iterator[tuple[Any, str, str, str]]:
    """The browser tests' demo store of ``people`` with an administrator ``account``, served as
    ``assetmap serve`` serves it, and Chromium launched: (browser, base URL, password, the
    server's port). Shared by the browser benchmarks."""
    from browser_app import CHROMIUM, CHROMIUM_ARGS, build_test_store, served_app
    from playwright.sync_api import sync_playwright

    from assetmap import settings
    from assetmap.governance.access import AccessDB, new_password

    home = Path(tempfile.mkdtemp(prefix=prefix))
    db = home / "assetmap.db"
    build_test_store(db, people=people).close()
    url = f"sqlite:///{db}"
    password = new_password()
    with AccessDB(settings.access_db_path(url)) as access:
        access.add_user(account, "admin", password)
    with served_app(url, home, home / "streamlit.log") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser, base, password, base.rsplit(":", 1)[1]
        finally:
            browser.close()


def main() -> None:
    """Serve the demo, time the Resilience and About pages over ``--rounds`` sessions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"Resilience": [], ABOUT: []}
    with served_demo(args.people, "bench-resilience-", ACCOUNT) as (browser, base, password,
                                                                    port):
        one_visit(browser, base, password, port, "Resilience")  # warms the server: not counted
        for n in range(1, args.rounds + 1):
            for title in runs:
                got = one_visit(browser, base, password, port, title)
                runs[title].append(got)
                print(f"round {n} {title}: " + ", ".join(
                    f"{k} {v:,.0f} B" if k == "sent" else f"{k} {v:.2f} s"
                    for k, v in got.items()), flush=True)
    print(f"people: {args.people:,}; medians of {args.rounds} new sessions:")
    for title, rounds in runs.items():
        print(f"  {title.split()[0]:<11}" + "; ".join(
            f"{k} {statistics.median(r[k] for r in rounds):,.0f} B" if k == "sent" else
            f"{k} {statistics.median(r[k] for r in rounds):.2f} s" for k in rounds[0]))
    ratio = (statistics.median(r["ready"] for r in runs["Resilience"])
             / statistics.median(r["ready"] for r in runs[ABOUT]))
    print(f"  ready, Resilience / About (same server and browser): {ratio:.2f}")


if __name__ == "__main__":
    main()
