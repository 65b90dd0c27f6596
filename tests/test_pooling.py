"""Pooling tells NHS personal health budgets from social-care direct payments, never mixes them,
and says what each pooled set could commission (issue 17 item 7): hand-worked graphs, the
snapshot twin equal to the plain path (hypothesis), the spreadsheet column and the demo."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_analysis_graphs import at_km, build, group, person
from test_analysis_properties import small_areas

from assetmap import vocab
from assetmap.graph import analysis
from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.spreadsheet import import_spreadsheet
from assetmap.model import Node

YES = {"suggest": True, "map": True}


def _holders(prefix: str, n: int, kind: str | None, bearing: float = 90.0,
             **props) -> list[Node]:
    extra = {"budget_kind": kind} if kind else {}
    return [person(f"{prefix}{i}", where=at_km(0.2 * i, bearing), personal_budget=True,
                   consent=YES, interests=["walking"], **extra, **props) for i in range(n)]


def test_budget_kind_words():
    assert vocab.budget_kind("PHB") == "phb"
    assert vocab.budget_kind("Direct payment") == "direct_payment"
    assert vocab.budget_kind("personal health budget") == "phb"
    assert vocab.budget_kind("ISF") == "isb"
    assert vocab.budget_kind("voucher") is None
    assert vocab.budget_kind(None) is None


def test_health_budgets_and_direct_payments_never_pool_together(tmp_path):
    nodes = [*_holders("h", 4, "phb"), *_holders("d", 3, "direct_payment", bearing=270)]
    df = analysis.pooling_opportunities(build(tmp_path / "p.db", nodes), max_km=3.0)
    assert sorted(df["budget_kind"]) == ["direct_payment", "phb"]
    for row in df.itertuples():
        prefix = "person:h" if row.budget_kind == "phb" else "person:d"
        assert all(m.startswith(prefix) for m in row.members)
    phb = df[df["budget_kind"] == "phb"].iloc[0]
    assert phb.people == 4
    assert "4 people holding a personal health budget (NHS) are into walking" in phb.reasons
    # two of each kind are not a set of three, however close they live
    mixed = [*_holders("h", 2, "phb"), *_holders("d", 2, "direct_payment", bearing=270)]
    assert analysis.pooling_opportunities(build(tmp_path / "m.db", mixed), max_km=3.0).empty


def test_unrecorded_budget_kind_pools_apart_and_says_so(tmp_path):
    nodes = [*_holders("u", 3, None), *_holders("h", 2, "phb", bearing=0)]
    df = analysis.pooling_opportunities(build(tmp_path / "p.db", nodes), max_km=3.0)
    assert list(df["budget_kind"]) == ["unrecorded"]
    assert df.iloc[0].members == ["person:u0", "person:u1", "person:u2"]
    assert "budget type not recorded: check before pooling" in df.iloc[0].reasons


def test_a_recorded_budget_kind_makes_a_budget_holder(tmp_path):
    nodes = [person(f"k{i}", where=at_km(0.2 * i), consent=YES, interests=["walking"],
                    budget_kind="direct_payment") for i in range(3)]
    df = analysis.pooling_opportunities(build(tmp_path / "p.db", nodes), max_km=3.0)
    assert list(df["people"]) == [3]


@pytest.mark.parametrize(("provider", "could", "target"), [
    (None, vocab.COMMISSION_NEW, None),
    (group("far", where=at_km(9.0), activities=["walking"]), vocab.COMMISSION_NEW, None),
    (group("shut", where=at_km(0.3), activities=["walking"], status="closed"),
     vocab.COMMISSION_NEW, None),
    (group("sing", where=at_km(0.3), activities=["singing"], status="at_risk"),
     vocab.COMMISSION_NEW, None),
    (group("walk", where=at_km(0.3), activities=["walking"], status="active"),
     vocab.COMMISSION_EXISTING, None),
    (group("walk", where=at_km(0.3), activities=["walking"], status="at_risk"),
     vocab.COMMISSION_STRENGTHEN, "group:walk"),
])
def test_what_a_pooled_set_could_commission(tmp_path, provider, could, target):
    nodes = [*_holders("h", 3, "phb"), *([provider] if provider else [])]
    row = analysis.pooling_opportunities(build(tmp_path / "p.db", nodes), max_km=3.0).iloc[0]
    assert row.could_commission == could
    assert row.commission_target == target
    if could == vocab.COMMISSION_NEW:
        assert "no open group or service for walking within 3.0 km" in row.commission_reasons
    if could == vocab.COMMISSION_STRENGTHEN:
        assert row.commission_reasons.startswith("Walk offers walking within reach and is at risk")


def test_a_shared_need_with_an_at_risk_provider_is_strengthened(tmp_path):
    nodes = [person(f"n{i}", where=at_km(0.1 * i), personal_budget=True, consent=YES,
                    needs=["dementia"], budget_kind="isb") for i in range(3)]
    nodes += [group("cafe", where=at_km(1.0), needs=["dementia"], status="at_risk"),
              group("cafe2", where=at_km(2.0), needs=["dementia"], status="at_risk")]
    row = analysis.pooling_opportunities(build(tmp_path / "p.db", nodes), max_km=3.0).iloc[0]
    assert (row.goal, row.budget_kind) == ("need:dementia", "isb")
    assert row.commission_target == "group:cafe"  # the nearest at-risk one


@st.composite
def areas_with_budget_kinds(draw):
    nodes, ties = draw(small_areas())
    out = []
    for n in nodes:
        props = dict(n.props)
        if n.kind == vocab.PERSON:
            kind = draw(st.sampled_from([None, None, *vocab.BUDGET_KINDS, "voucher"]))
            if kind:
                props["budget_kind"] = kind
        out.append(Node(n.id, n.kind, n.name, n.area, n.lat, n.lon, props))
    return out, ties


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(areas_with_budget_kinds(), st.sampled_from([1.0, 3.0, 6.0]), st.integers(1, 3))
def test_snapshot_pooling_equals_the_plain_path(area, max_km, min_size):
    nodes, ties = area
    d = Path(tempfile.mkdtemp())
    G = build(d / "a.db", nodes, ties)
    store = SQLiteStore(d / "a.db")
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    plain = analysis.pooling_opportunities(G, max_km=max_km, min_size=min_size)
    fast = pooling_opportunities_snapshot(snap, max_km=max_km, min_size=min_size)
    pd.testing.assert_frame_equal(fast, plain, check_dtype=False)
    again = pooling_opportunities_snapshot(Snapshot.from_networkx(G), max_km=max_km,
                                           min_size=min_size)
    pd.testing.assert_frame_equal(again, plain, check_dtype=False)
    # never a mix of budget kinds in one set
    kinds = {n.id: vocab.budget_kind(n.props.get("budget_kind")) or "unrecorded"
             for n in nodes if n.kind == vocab.PERSON}
    for row in plain.itertuples():
        assert {kinds[m] for m in row.members} == {row.budget_kind}


def test_spreadsheet_imports_budget_kind_and_names_a_bad_row(tmp_path):
    sheet = tmp_path / "people.csv"
    sheet.write_text("id,name,lat,lon,personal_budget,budget_kind\n"
                     "a,Ann,53.44,-2.30,yes,PHB\n"
                     "b,Bob,53.44,-2.30,yes,Direct payment\n"
                     "c,Cat,53.44,-2.30,yes,voucher\n"
                     "d,Dan,53.44,-2.30,no,\n", encoding="utf-8")
    store = SQLiteStore(tmp_path / "s.db")
    try:
        report = import_spreadsheet(store, sheet, "Person")
        kinds = {n.id: n.props.get("budget_kind") for n in store.nodes()}
    finally:
        store.close()
    assert sorted(kinds.values(), key=lambda k: k or "") == [None, "direct_payment", "phb"]
    assert report.rejected == 1
    bad = report.rejections[0]
    assert bad.field == "budget_kind"
    assert "budget_kind is not one of the known values" in bad.reason
    assert "4" in bad.where  # the bad record's line


def test_demo_budget_holders_have_a_budget_kind():
    from assetmap.demo.synthetic import generate

    holders = kinds = 0
    for nodes, _ in generate(people=400, seed=7):
        for n in nodes:
            if n.kind != vocab.PERSON:
                continue
            if n.props.get("personal_budget"):
                holders += 1
                kinds += n.props.get("budget_kind") in vocab.BUDGET_KINDS
            else:
                assert "budget_kind" not in n.props
    assert holders and kinds == holders


def _published_store(tmp_path):
    areas = [Node("W1", vocab.AREA, "Ward One", None, None, None, {"level": "ward"}),
             Node("L1", vocab.AREA, "L1", None, None, None, {"level": "lsoa", "parent": "W1"})]
    holders = [person(f"h{i}", where=at_km(0.1 * i), area="L1", personal_budget=True,
                      consent=YES, interests=["walking"], budget_kind="phb") for i in range(8)]
    walk = group("walk", "Walk Club", where=at_km(0.5), area="L1", activities=["walking"],
                 status="at_risk")
    build(tmp_path / "pub.db", [*areas, *holders, walk])
    return tmp_path / "pub.db"


def test_published_tables_say_budget_kind_and_what_to_commission(tmp_path):
    from assetmap.reports import analyse_store
    from assetmap.ui.views.gaps import published_pooling

    path = _published_store(tmp_path)
    store = SQLiteStore(path)
    try:
        G = store.to_networkx()
        files = analyse_store(store, tmp_path / "out")["files"]
    finally:
        store.close()
    shown = published_pooling(analysis.pooling_opportunities(G), G)
    row = shown.iloc[0]
    assert row["Budget"] == "personal health budget (NHS)"
    assert row["Could commission"].startswith("Walk Club offers walking within reach")
    written = pd.read_csv(files["pooling_opportunities.csv"], dtype=str)
    assert list(written["budget_kind"]) == ["phb"]
    assert list(written["could_commission"]) == [vocab.COMMISSION_STRENGTHEN]
    assert list(written["commission_target"]) == ["group:walk"]
    text = files["pooling_opportunities.csv"].read_text(encoding="utf-8")
    assert "person:" not in text and "km apart" not in text
