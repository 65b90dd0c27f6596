"""No personal data in logs: canary names and postcodes go into a real store through the
spreadsheet importer (with a bad row too), then through the analyses and the app's pages with
every logger at DEBUG; none of them may appear in any log record, stdout or stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from conftest import signed_in
from streamlit.testing.v1 import AppTest
from test_maps import CARERS, PEOPLE, build_store

from assetmap.governance import audit, rights
from assetmap.governance.access import AccessDB, User
from assetmap.graph import analysis
from assetmap.ingest.spreadsheet import import_spreadsheet

TRAFFORD_POSTCODES = (Path(__file__).resolve().parent.parent / "assetmap" / "demo" / "data"
                      / "trafford_postcodes.csv")
APP = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "app.py"
PAGES = APP.parent / "views"
CANARY_NAMES = ("Xanthippe", "Canaryfeather", "Bartholomew", "Quibbleworth")
TIMEOUT = 60


def _real_postcodes(n: int) -> list[str]:
    lines = TRAFFORD_POSTCODES.read_text().splitlines()[1:]
    return [line.split(",")[0] for line in lines[100:100 + n]]


@pytest.fixture
def canary_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    store, _ = build_store(tmp_path / "assetmap.db", PEOPLE, CARERS)
    postcodes = _real_postcodes(2)
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "id,First name,Surname,Post Code,interests,needs,consent_suggest,consent_map\n"
        f"c1,{CANARY_NAMES[0]},{CANARY_NAMES[1]},{postcodes[0]},walking,loneliness,yes,yes\n"
        f"c2,{CANARY_NAMES[2]},{CANARY_NAMES[3]},{postcodes[1]},singing,loneliness,yes,no\n"
        # A bad row: its (canary) values must not reach the logs through the error path.
        f"c3,{CANARY_NAMES[0]},{CANARY_NAMES[3]},{postcodes[0]},walking,not-a-need,maybe,yes\n",
        encoding="utf-8")
    ties = tmp_path / "ties.csv"
    ties.write_text("src,dst,kind\nc1,group:choir,ATTENDS\nc1,c2,FRIEND\n", encoding="utf-8")
    reports = [import_spreadsheet(store, sheet, "people", postcodes=TRAFFORD_POSTCODES),
               import_spreadsheet(store, ties, "ties")]
    people = [n for n in store.find("Person") if n.name and CANARY_NAMES[0] in n.name]
    store.close()
    assert people, [r.summary() for r in reports]  # the canaries really are in the store
    url = f"sqlite:///{tmp_path / 'assetmap.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    return url, [p.id for p in people] + postcodes


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("streamlit", "assetmap", "neo4j", "")]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield caplog
    for lg, level in zip(loggers, before, strict=True):
        lg.setLevel(level)
    # Handlers made while output was captured point at a closed stream: point them back.
    for lg in logging.root.manager.loggerDict.values():
        for handler in getattr(lg, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "closed",
                                                                      False):
                handler.stream = sys.stderr


def test_canaries_never_reach_the_logs(canary_store, debug_logging, capfd, tmp_path):
    url, ids_and_postcodes = canary_store
    person_ids, postcodes = ids_and_postcodes[:-2], ids_and_postcodes[-2:]
    logging.getLogger("assetmap.test").debug("logging is captured")  # the capture works

    from assetmap.graph.store.sqlite_store import SQLiteStore

    store = SQLiteStore.from_url(url)
    G = store.to_networkx()
    analysis.isolated_people(G)
    for pid in person_ids:
        analysis.suggest_connections(G, pid, k=5)
    analysis.carer_support_gaps(G)
    analysis.keystone_assets(G)
    analysis.closure_impact(G, "group:choir")
    with AccessDB.for_store(url) as access:
        rights.export_person(store, access, person_ids[0], tmp_path / "export", User("a", "admin"))
        audit.record(access, User("a", "admin"), "view", person_ids[0])
    store.close()

    visited = []
    for role in ("coordinator", "hub_analyst", "admin"):
        at = signed_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT), role=role,
                       name=f"logs-{role.replace('_', '-')}",
                       caseload=person_ids if role == "coordinator" else ()).run()
        assert not at.exception
        for page in sorted(PAGES.glob("*.py")):
            at = signed_in(AppTest.from_file(str(page), default_timeout=TIMEOUT), role=role,
                           name=f"logs-{role.replace('_', '-')}")
            if page.name == "person.py":
                at.query_params["person"] = person_ids[0]
            at.run()
            assert not at.exception, (role, page.name)
            visited.append((role, page.name))

    assert len(visited) == 3 * len(list(PAGES.glob("*.py")))
    out, err = capfd.readouterr()
    logged = debug_logging.text + "\n".join(r.getMessage() for r in debug_logging.records)
    assert "logging is captured" in logged
    everything = "\n".join((logged, out, err))
    for canary in (*CANARY_NAMES, *postcodes):
        assert canary not in everything, canary
