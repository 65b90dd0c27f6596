"""Benchmark the Map (the first page after sign-in) and Gaps pages' maps in a real browser
(issue 14): Debian's Chromium driven by Playwright against ``assetmap serve`` on 127.0.0.1, as
``tests/test_browser.py`` does, on the browser tests' demo store.

Each round is a new browser session (a fresh context): sign in, wait for the Map page and its
map, open Gaps from the menu and wait for its map, then go back to the Map. Printed per round
and as medians:

- ``map ready`` / ``map drawn``: seconds from pressing "Sign in" until the Map page's script
  has finished and its title shows / until its map has drawn its layers in its frame;
- ``gaps ready`` / ``gaps drawn``: the same from clicking Gaps in the menu;
- ``map again``: from clicking Map in the menu (after Gaps) until its map is drawn;
- ``sent``: bytes the server sent over the websocket from opening the app (the sign-in
  screen) to the Map's map drawn;
- ``server``: the server process's CPU seconds for the whole round (from /proc);
- ``browser``: the tab's main-thread task seconds for the whole round (``TaskDuration``).

The first round warms the server and is not counted. To compare with other code, run this
script from a copy of the repository with ``PYTHONPATH`` set to that copy (same machine, one
after the other) and compare the medians.

    python benchmarks/bench_map_browser.py --people 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' helpers: the store, the server
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_resilience_browser import (  # noqa: E402
    DRAWN,
    READY,
    new_session,
    served_demo,
    server_cpu,
)

ACCOUNT = "bench-map-admin"
#: A frame holding the Map page's map (its legend), or not (the Gaps page's map).
_IS_AREA_MAP = "() => !!document.querySelector('.assetmap-scale')"


def wait_for_map(tab: Any, began: float, area_map: bool, limit: float = 30.0) -> float:
    """Seconds from ``began`` until the page's own map is drawn (the Map page's when
    ``area_map``, else one without its legend), polled every 20 ms; ``limit`` at most."""
    def drawn() -> bool:
        for frame in tab.frames[1:]:
            try:
                if frame.evaluate(DRAWN) and frame.evaluate(_IS_AREA_MAP) == area_map:
                    return True
            except Exception:  # noqa: S112 - a frame that navigated away meanwhile
                continue
        return False

    while not drawn() and time.perf_counter() - began < limit:
        tab.wait_for_timeout(20)
    return time.perf_counter() - began


def one_round(browser: Any, base: str, password: str, port: str) -> dict[str, float]:
    """Sign in in a new session; time the Map, Gaps and the Map again."""
    context, tab, frames, task = new_session(browser)
    tab.goto(base + "/")
    tab.get_by_label("Account name").fill(ACCOUNT)
    tab.get_by_role("textbox", name="Password").fill(password)
    task0, cpu0 = task(), server_cpu(port)
    out: dict[str, float] = {}
    began = time.perf_counter()
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_function(READY, arg=["Map"])
    out["map ready"] = time.perf_counter() - began
    out["map drawn"] = wait_for_map(tab, began, True)
    out["sent"] = float(frames["bytes"])
    for title, key in (("Gaps", "gaps"), ("Map", "map again")):
        began = time.perf_counter()
        tab.get_by_role("link", name=title, exact=True).click()
        tab.wait_for_function(READY, arg=[title])
        if title == "Gaps":
            out["gaps ready"] = time.perf_counter() - began
            out["gaps drawn"] = wait_for_map(tab, began, False)
        else:
            out[key] = wait_for_map(tab, began, True)
    out["server"] = server_cpu(port) - cpu0
    out["browser"] = task() - task0
    context.close()
    return out


def main() -> None:
    """Serve the demo and time ``--rounds`` new sessions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds: list[dict[str, float]] = []
    with served_demo(args.people, "bench-map-", ACCOUNT) as (browser, base, password, port):
        one_round(browser, base, password, port)  # warms the server: not counted
        for n in range(1, args.rounds + 1):
            got = one_round(browser, base, password, port)
            rounds.append(got)
            print(f"round {n}: " + ", ".join(
                f"{k} {v:,.0f} B" if k == "sent" else f"{k} {v:.2f} s"
                for k, v in got.items()), flush=True)
    print(f"people: {args.people:,}; medians of {args.rounds} new sessions: " + "; ".join(
        f"{k} {statistics.median(r[k] for r in rounds):,.0f} B" if k == "sent" else
        f"{k} {statistics.median(r[k] for r in rounds):.2f} s" for k in rounds[0]))


if __name__ == "__main__":
    main()
