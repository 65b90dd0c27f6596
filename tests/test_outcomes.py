"""Outcomes over time: person records in both stores (never nodes), erased and exported with the
person and carried by copy; a circle on a date from hand-built histories; cohort change with
suppression; and ``assetmap outcomes --out DIR`` on a small demo."""

from __future__ import annotations

import csv
import datetime as _dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from assetmap import settings, vocab
from assetmap.cli import main
from assetmap.governance import rights
from assetmap.governance.access import AccessDB
from assetmap.graph.analysis import circles
from assetmap.graph.analysis.outcomes import (
    ASSOCIATION_NOTE,
    circle_on,
    cohort_outcomes,
    cohort_people,
    level_on,
    parse_when,
    person_timeline,
)
from assetmap.graph.store import GraphStore
from assetmap.graph.store.copy import copy_store
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.measures import measure_record, record_measure
from assetmap.model import Node, Tie
from assetmap.render.charts import timeline_spec

P, Q, R, S = "person:p1", "person:p2", "person:p3", "person:p4"
WALK, CHOIR = "group:walk", "group:choir"


def _history(store: GraphStore) -> None:
    """Ann (p1): a friend from 2020 until 2024-06-01, family with no start recorded, a walking
    group joined 2024-03-10, a choir from 2024-09 she left on 2025-01-15, her GP since 2010."""
    store.upsert_nodes([
        Node(P, vocab.PERSON, "Ann A.", props={"lonely": "often_always"}),
        Node(Q, vocab.PERSON, "Bea B."), Node(R, vocab.PERSON, "Cy C."),
        Node(S, vocab.PERSON, "Di D."),
        Node(WALK, vocab.GROUP, "Walk", props={"activities": ["walking"]}),
        Node(CHOIR, vocab.GROUP, "Choir", props={"activities": ["singing"]}),
        Node("practitioner:gp", vocab.PRACTITIONER, "Dr G.", props={"role": "gp"}),
    ])
    store.upsert_ties([
        Tie(P, Q, "FRIEND", {"since": "2020", "until": "2024-06-01"}),
        Tie(P, R, "FAMILY", {}),
        Tie(P, WALK, "ATTENDS", {"since": "2024-03-10"}),
        Tie(P, CHOIR, "ATTENDS", {"since": "2024-09", "until": "2025-01-15"}),
        Tie(P, "practitioner:gp", "SUPPORTED_BY", {"since_year": 2010}),
        Tie(S, "practitioner:gp", "SUPPORTED_BY", {"since": "2023-05-01"}),
        Tie(P, WALK, "REFERRED_TO", {"status": "attended", "date": "2024-03-01", "by": "lw"}),
    ])


# --- "this person's circle on a date" ------------------------------------------------------------

@pytest.mark.parametrize(("day", "community"), [
    ("2019-12-31", {R}),                 # family only (its start is not recorded)
    ("2020-01-01", {Q, R}),              # the friend from 2020
    ("2024-03-09", {Q, R}),
    ("2024-03-10", {Q, R, WALK}),        # joined the walk that day
    ("2024-06-01", {R, WALK}),           # the friendship ended that day
    ("2024-09-01", {R, WALK, CHOIR}),
    ("2025-01-15", {R, WALK}),           # left the choir that day
])
def test_circle_on_a_date_from_a_hand_built_history(sqlite_store: SQLiteStore, day: str,
                                                    community: set[str]) -> None:
    _history(sqlite_store)
    G = sqlite_store.to_networkx()
    from_graph = circle_on(G, P, day)
    from_store = circle_on(sqlite_store, P, day)
    assert from_graph.community == community == from_store.community
    assert from_graph.professional == {"practitioner:gp"}  # since_year 2010
    level = circles.level(from_graph)
    assert level == circles.level(from_store) == level_on(sqlite_store, P, day)
    if len(community) == 1:
        assert level == circles.AT_RISK
    else:
        assert circles.LEVEL_RANK[level] >= circles.LEVEL_RANK[circles.AT_RISK]


def test_levels_compare_across_dates(sqlite_store: SQLiteStore) -> None:
    _history(sqlite_store)
    G = sqlite_store.to_networkx()
    # Di's only tie is her GP from May 2023: isolated before, service-only after.
    assert level_on(G, S, "2023-04-30") == circles.ISOLATED
    assert level_on(G, S, "2023-05-01") == circles.SERVICE_ONLY
    assert circles.LEVEL_RANK[level_on(G, S, "2023-05-01")] > \
        circles.LEVEL_RANK[level_on(G, S, "2023-04-30")]


def test_partial_dates_read_as_their_first_day() -> None:
    assert parse_when("2019") == _dt.date(2019, 1, 1)
    assert parse_when("2024-01") == _dt.date(2024, 1, 1)
    assert parse_when(2010) == _dt.date(2010, 1, 1)
    assert parse_when("2024-02-30") is None and parse_when("soon") is None
    assert parse_when(None) is None


def test_timeline_has_ties_scores_and_events(sqlite_store: SQLiteStore) -> None:
    _history(sqlite_store)
    record_measure(sqlite_store, P, "ucla3", [3, 3, 2], "2024-02-20", "lw")
    record_measure(sqlite_store, P, "ucla3", [2, 1, 1], "2024-07-01", "lw")
    t = person_timeline(sqlite_store, P, today=_dt.date(2025, 6, 1))
    net = t["network"].set_index("date")
    assert net.loc["2024-02-20", "community_ties"] == 2
    assert net.loc["2024-07-01", "community_ties"] == 2  # friend gone, walk joined
    assert set(t["scores"]["score"]) == {"ucla3_total"}
    # UCLA-3 falls 8 -> 4: as a share of its range (higher is better) it rises
    shares = t["scores"].sort_values("date")["share"].tolist()
    assert shares[0] < shares[1]
    assert set(t["events"]["event"]) == {"referral", "joined"}
    spec = timeline_spec(t, "Their timeline")
    import altair as alt

    alt.VConcatChart.from_dict(spec, validate=True)  # a valid Vega-Lite spec, as Altair reads it
    top, bottom = spec["vconcat"]
    ties = {str(r["date"])[:10]: r["community_ties"] for r in top["layer"][0]["data"]["values"]}
    assert ties["2024-02-20"] == 2 and ties["2024-07-01"] == 2
    assert [r["event"] for r in top["layer"][2]["data"]["values"]] == ["referral"]
    assert {r["event"] for r in top["layer"][3]["data"]["values"]} == {"joined"}
    assert {r["score"] for r in bottom["layer"][0]["data"]["values"]} == {"ucla3_total"}
    assert spec["description"] == "Their timeline"


# --- records in both stores -------------------------------------------------------------------

def test_records_are_kept_beside_the_graph_in_both_stores(store: GraphStore) -> None:
    _history(store)
    nodes, ties = store.count(), store.count_ties()
    a = measure_record(P, "swemwbs", [3] * 7, "2024-02-01", "lw")
    b = measure_record(P, "ucla3", [2, 2, 2], "2024-02-01", "lw")
    c = measure_record(Q, "ucla3", [1, 1, 1], "2024-02-02", "lw")
    version = store.version()
    assert store.add_records([a, b, c]) == 3
    assert store.version() != version
    assert store.count() == nodes and store.count_ties() == ties
    G = store.to_networkx()
    assert not any(n.startswith("measure:") for n in G)
    assert {r.id for r in store.records(vocab.MEASURE, person_id=P)} == {a.id, b.id}
    assert store.records(vocab.RATING) == []
    assert store.records(subject_ids=[]) == []
    got = store.records(person_id=Q)[0]
    assert got.data["scores"] == {"ucla3_total": 3.0} and got.date == "2024-02-02"
    # writing the same person, scale and day again replaces it
    store.add_records([measure_record(Q, "ucla3", [3, 3, 3], "2024-02-02", "lw")])
    assert [r.data["scores"]["ucla3_total"] for r in store.records(person_id=Q)] == [9.0]
    with store.transaction():
        assert store.delete_records(P) == 2
    assert store.records(person_id=P) == [] and len(store.records()) == 1


def test_a_failed_block_writes_no_records(store: GraphStore) -> None:
    _history(store)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_records([measure_record(P, "ucla3", [2, 2, 2], "2024-02-01", "lw")])
        raise RuntimeError("boom")
    assert store.records() == []


def test_erasure_removes_records_and_export_includes_them(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    _history(store)
    record_measure(store, P, "ucla3", [3, 3, 3], "2024-02-01", "lw")
    record_measure(store, Q, "ucla3", [1, 1, 1], "2024-02-01", "lw")
    with AccessDB(tmp_path / "access.db") as access:
        exported = rights.person_record(store, access, P)
        assert [m["scale"] for m in exported["measures"]] == ["ucla3"]
        paths = rights.export_person(store, access, P, tmp_path / "out", by="admin")
        assert "ucla3_total" in paths[1].read_text()
        rights.erase_person(store, access, P, by="admin")
    assert store.records(person_id=P) == [] and len(store.records(person_id=Q)) == 1
    store.close()


def test_copy_carries_records_both_ways(tmp_path: Path, bolt_server) -> None:
    from bolt_server import open_bolt_store, wipe

    src = SQLiteStore(tmp_path / "a.db")
    _history(src)
    src.add_records([measure_record(P, "ucla3", [2, 2, 2], "2024-02-01", "lw")])
    wipe(bolt_server)
    neo = open_bolt_store(bolt_server)
    back = SQLiteStore(tmp_path / "b.db")
    try:
        assert copy_store(src, neo)["records"] == 1
        assert copy_store(neo, back)["records"] == 1
        assert [r.as_dict() for r in back.records()] == [r.as_dict() for r in src.records()]
        assert back.count() == src.count()
    finally:
        neo.close()
        back.close()
        src.close()


# --- cohort outcomes --------------------------------------------------------------------------

def _cohort(n_joined: int, n_not: int) -> pd.DataFrame:
    rows = []
    for i in range(n_joined + n_not):
        joined = i < n_joined
        rows.append({"person_id": f"person:{i}", "baseline_date": "2024-01-01",
                     "follow_up_date": "2024-05-01", "community_ties_baseline": 1,
                     "community_ties_follow_up": 2 if joined else 1,
                     "community_ties_change": 1 if joined else 0, "level_baseline": "at risk",
                     "level_follow_up": "connected" if joined else "at risk",
                     "level_change": 1 if joined else 0,
                     "referral": "attended" if joined else "referred",
                     "group_kind": "group: walking",
                     "swemwbs_metric_change": 3.0 if joined else 0.0,
                     "ucla3_total_change": -1.0 if joined else 0.0})
    return pd.DataFrame(rows)


def test_cohort_table_names_the_changes_it_reports() -> None:
    table = cohort_outcomes(_cohort(20, 20))
    assert {"community_ties_change_mean", "swemwbs_metric_change_mean",
            "ucla3_total_change_mean"} <= set(table.columns)
    rows = table.set_index(["breakdown", "group"])
    joined, not_joined = rows.loc[("referral", "attended")], rows.loc[("referral", "referred")]
    assert joined["community_ties_change_mean"] == 1.0 == joined["level_change_mean"]
    assert joined["swemwbs_metric_change_mean"] == 3.0
    assert joined["ucla3_total_change_mean"] == -1.0
    assert not_joined["community_ties_change_mean"] == 0.0
    assert rows.loc[("all", "everyone"),
                    "community_ties_change_mean"] == 0.5


def test_cohort_suppresses_small_groups_and_what_would_reveal_them() -> None:
    threshold = settings.load().suppress_below
    table = cohort_outcomes(_cohort(20, threshold - 1))
    rows = table.set_index(["breakdown", "group"])
    small = rows.loc[("referral", "referred")]
    assert small["people"] == f"<{threshold}"
    assert pd.isna(small["community_ties_change_mean"])
    assert pd.isna(small["swemwbs_metric_change_mean"])
    # the total minus the other group would give the small one away: that count is hidden too
    other = rows.loc[("referral", "attended")]
    assert other["people"] == "*" and pd.isna(other["community_ties_change_mean"])
    everyone = rows.loc[("all", "everyone")]
    assert everyone["people"].isdigit() and not pd.isna(everyone["community_ties_change_mean"])


def test_a_whole_cohort_under_the_threshold_shows_no_means() -> None:
    threshold = settings.load().suppress_below
    table = cohort_outcomes(_cohort(2, 1))
    assert (table["people"] == f"<{threshold}").all()
    assert table["community_ties_change_mean"].isna().all()


def test_cohort_people_reads_changes_from_records_and_history(sqlite_store: SQLiteStore) -> None:
    _history(sqlite_store)
    record_measure(sqlite_store, P, "swemwbs", [2] * 7, "2024-02-20", "lw")
    record_measure(sqlite_store, P, "swemwbs", [3] * 7, "2024-07-01", "lw")
    record_measure(sqlite_store, Q, "swemwbs", [3] * 7, "2024-07-01", "lw")  # no follow-up
    people = cohort_people(sqlite_store, sqlite_store.to_networkx())
    assert people["person_id"].tolist() == [P]
    row = people.iloc[0]
    assert row["community_ties_change"] == 0  # lost the friend, gained the walk
    assert row["swemwbs_metric_change"] == pytest.approx(19.25 - 15.32)  # raw 14 -> 21
    assert row["referral"] == "attended" and row["group_kind"] == "group: walking"
    later = cohort_people(sqlite_store, sqlite_store.to_networkx(), date_from="2024-03-01")
    assert later.empty


def test_cohort_can_be_limited_to_an_area(sqlite_store: SQLiteStore) -> None:
    _history(sqlite_store)
    sqlite_store.upsert_nodes([
        Node("W1", vocab.AREA, "Ward", props={"level": "ward"}),
        Node("L1", vocab.AREA, "Neighbourhood", props={"level": "lsoa", "parent": "W1"}),
        Node("W2", vocab.AREA, "Other ward", props={"level": "ward"})])
    ann = sqlite_store.get(P)
    ann.area = "L1"
    sqlite_store.upsert_nodes([ann])
    record_measure(sqlite_store, P, "ucla3", [3, 3, 3], "2024-02-20", "lw")
    record_measure(sqlite_store, P, "ucla3", [2, 2, 2], "2024-07-01", "lw")
    G = sqlite_store.to_networkx()
    assert cohort_people(sqlite_store, G, area="W1")["person_id"].tolist() == [P]
    assert cohort_people(sqlite_store, G, area="W2").empty


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    from assetmap.demo.build import build_demo

    path = tmp_path_factory.mktemp("outcomes") / "demo.db"
    store = SQLiteStore(path)
    build_demo(store, people=1500, seed=5)
    store.close()
    return f"sqlite:///{path}"


def test_outcomes_cli_writes_a_csv_naming_its_changes(small_demo: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["outcomes", "--store", small_demo, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "association, not cause" in result.output
    with (out / "outcomes.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    columns = set(rows[0])
    assert {"community_ties_change_mean", "swemwbs_metric_change_mean",
            "ucla3_total_change_mean"} <= columns
    assert all(c in {"breakdown", "group", "people", "share_gained_community_ties"}
               or "_change" in c or c.endswith("_people") for c in columns)
    overall = rows[0]
    assert overall["breakdown"] == "all" and float(overall["community_ties_change_mean"]) > 0
    spec = json.loads((out / "outcomes_chart.vl.json").read_text())
    assert "association, not cause" in json.dumps(spec)
    assert ASSOCIATION_NOTE in (out / "outcomes_README.txt").read_text()


def test_demo_people_who_gained_ties_improve_on_average(small_demo: str) -> None:
    from assetmap.demo.outcomes import outcome_records

    store = SQLiteStore(small_demo[len("sqlite:///"):])
    try:
        people = cohort_people(store, store.to_networkx())
        assert all(r.data.get("synthetic") for r in store.records())
        # the generator's noise pooled over a few seeds, so the check is not a coin toss
        pooled = {(score, joined): [] for score in ("ucla3_total", "swemwbs_metric")
                  for joined in (True, False)}
        for seed in range(4):
            records, redated = outcome_records(store, seed=seed)
            gained = {t.src for t in redated}
            series: dict[tuple[str, str], list[tuple[str, float]]] = {}
            for r in records:
                for score, value in (r.data.get("scores") or {}).items():
                    if score in ("ucla3_total", "swemwbs_metric"):
                        series.setdefault((r.person_id, score), []).append((r.date, value))
            for (pid, score), points in series.items():
                if len(points) == 2:
                    (_, before), (_, after) = sorted(points)
                    pooled[(score, pid in gained)].append(after - before)
    finally:
        store.close()
    assert (people["community_ties_change"] > 0).any()
    assert (people.loc[people["community_ties_change"] > 0, "referral"] == "attended").all()

    def mean(key: tuple[str, bool]) -> float:
        assert len(pooled[key]) >= 10, key
        return sum(pooled[key]) / len(pooled[key])

    assert mean(("ucla3_total", True)) < mean(("ucla3_total", False)) - 0.5  # less lonely
    assert mean(("swemwbs_metric", True)) > mean(("swemwbs_metric", False)) + 1.0


def test_outcomes_cli_refuses_a_bad_date(small_demo: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["outcomes", "--store", small_demo, "--out",
                                       str(tmp_path), "--from", "last year"])
    assert result.exit_code == 1
    assert "is not a date like" in result.output and "Traceback" not in result.output
