"""Isolation graded and frequency-aware: LSNS-6 and Cohen's SNI estimated from ties, and the
textbook cases the levels must get right (Lubben et al. 2006; Cohen et al. 1997)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_analysis_graphs import build, group, person, practitioner, tie

from assetmap import settings, vocab
from assetmap.graph import analysis
from assetmap.graph.analysis import circles
from assetmap.graph.analysis.isolation import isolated_people_plain
from assetmap.graph.analysis.scales import (
    ScaleTie,
    contact_days,
    estimate_lsns6,
    estimate_sni,
    level_name,
    lsns_item,
)

# --- the estimators on their own --------------------------------------------------------------


def test_lsns_items_follow_the_published_answer_bands():
    # 0 none, 1 one, 2 two, 3 three or four, 4 five to eight, 5 nine or more
    assert [lsns_item(n) for n in (0, 1, 2, 3, 4, 5, 8, 9, 30)] == [0, 1, 2, 3, 3, 4, 4, 5, 5]


def test_spouse_and_two_children_score_about_9_at_risk():
    ties = [ScaleTie("FAMILY", "spouse", role="spouse", frequency="daily"),
            ScaleTie("FAMILY", "son", role="child", frequency="weekly"),
            ScaleTie("FAMILY", "daughter", role="child", frequency="monthly")]
    lsns = estimate_lsns6(ties)
    assert (lsns.family, lsns.friends, lsns.total) == (9, 0, 9)
    assert lsns.at_risk and lsns.band == "at risk of isolation"
    sni = estimate_sni(ties)  # the daughter seen monthly is not a role by Cohen's rule ...
    assert sni.roles == {"spouse", "children"}  # ... but the son, weekly, is
    assert sni.band == "low"


def test_friends_seen_yearly_count_for_neither_scale():
    ties = [ScaleTie("FRIEND", "a", frequency="yearly"),
            ScaleTie("FRIEND", "b", frequency="once a year")]
    assert estimate_lsns6(ties).total == 0
    assert estimate_sni(ties).diversity == 0


def test_sni_counts_roles_by_contact_every_two_weeks():
    ties = [ScaleTie("FAMILY", "mum", role="parent", frequency="fortnightly"),
            ScaleTie("FAMILY", "mum", outgoing=False, role="child"),  # read from her side
            ScaleTie("PEER", "jo", role="workmate", frequency="daily"),
            ScaleTie("NEIGHBOUR", "next door", frequency="weekly"),
            ScaleTie("ATTENDS", "church", religious=True, frequency="weekly"),
            ScaleTie("ATTENDS", "choir", frequency="every 3 weeks"),
            ScaleTie("VOLUNTEERS_AT", "foodbank", frequency="twice a week")]
    sni = estimate_sni(ties)
    assert sni.roles == {"parents", "workmates", "close_neighbours",
                         "religious_group_members", "fellow_volunteers"}
    assert sni.diversity == 5 and sni.band == "moderate"
    assert sni.people == 3  # mum, Jo, next door (groups are roles, not people)


def test_contact_days_reads_words_phrases_and_numbers():
    assert contact_days("weekly") == 7
    assert contact_days("Every 2 weeks") == 14
    assert contact_days("twice a month") == 15
    assert contact_days("less often") > 31  # the recording form's own word
    assert contact_days(None) is None and contact_days("whenever") is None


@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 12))
def test_more_of_anything_never_lowers_the_level(community, lsns, sni):
    rank = circles.LEVEL_RANK
    here = rank[level_name(community, 0, False, lsns, sni)]
    assert rank[level_name(community + 1, 0, False, lsns, sni)] >= here or community == 0
    assert rank[level_name(community, 0, False, min(lsns + 3, 30), sni)] >= here
    assert rank[level_name(community, 0, False, lsns, sni + 1)] >= here


# --- the textbook cases on real stores ---------------------------------------------------------

@pytest.fixture
def cases(tmp_path):
    nodes = [
        person("married"), person("wife"), person("son"), person("daughter"),
        person("yearly"), person("f1"), person("f2"),
        person("churchgoer"), person("c1"), person("c2"), person("c3"),
        person("rich"), person("sis"), person("bro"), person("pal1"), person("pal2"),
        person("alone_at_home"), person("pal3"), person("pal4"),
        person("shared"), person("sl_carer"),
        group("church", "St Mary's", kind=vocab.ORGANISATION, org_kind="place_of_worship"),
        group("walk", "Health walk", activities=["walking"]),
        practitioner("gp"),
    ]
    ties = [
        tie("person:married", "person:wife", "FAMILY", role="spouse", frequency="daily"),
        tie("person:married", "person:son", "FAMILY", role="child", frequency="weekly"),
        tie("person:married", "person:daughter", "FAMILY", role="child", frequency="weekly"),
        tie("person:yearly", "person:f1", "FRIEND", frequency="yearly"),
        tie("person:yearly", "person:f2", "FRIEND", frequency="yearly"),
        tie("person:churchgoer", "org:church", "ATTENDS", frequency="weekly"),
        *[tie("person:churchgoer", f"person:c{i}", "FRIEND", via="org:church",
              frequency="weekly") for i in (1, 2, 3)],
        # two relatives and two friends, weekly, plus a walk and volunteering: well connected
        tie("person:rich", "person:sis", "FAMILY", role="sibling", frequency="weekly"),
        tie("person:rich", "person:bro", "FAMILY", frequency="fortnightly"),
        tie("person:rich", "person:pal1", "FRIEND", frequency="weekly"),
        tie("person:rich", "person:pal2", "NEIGHBOUR", frequency="daily"),
        tie("person:rich", "group:walk", "ATTENDS", frequency="weekly"),
        tie("person:rich", "org:church", "VOLUNTEERS_AT", frequency="weekly"),
        # LSNS-6 12 from friends alone (3-4 friends monthly -> 9 ...) plus a brother monthly
        tie("person:alone_at_home", "person:pal3", "FRIEND", frequency="monthly"),
        tie("person:alone_at_home", "person:pal4", "FRIEND", frequency="monthly"),
        tie("person:alone_at_home", "person:bro", "FAMILY", frequency="monthly"),
        tie("person:alone_at_home", "person:sis", "FAMILY", frequency="monthly"),
        tie("person:shared", "person:sl_carer", "SHARED_LIVES"),
        tie("person:shared", "practitioner:gp", "SUPPORTED_BY"),
    ]
    return build(tmp_path / "cases.db", nodes, ties)


def _levels(G):
    df = analysis.isolated_people(G).set_index("person_id")
    plain = isolated_people_plain(G).set_index("person_id")
    assert df["level"].astype(str).to_dict() == plain["level"].astype(str).to_dict()
    assert df["lsns6_estimate"].to_dict() == plain["lsns6_estimate"].to_dict()
    assert df["sni_roles"].to_dict() == plain["sni_roles"].to_dict()
    return df


def test_spouse_and_two_children_only_is_at_risk(cases):
    df = _levels(cases)
    row = df.loc["person:married"]
    assert row.level == "at risk" and row.lsns6_estimate == 9
    assert "LSNS-6 9" in row.reasons


def test_two_friends_seen_yearly_are_not_well_connected(cases):
    row = _levels(cases).loc["person:yearly"]
    assert row.level == "at risk" and row.lsns6_estimate == 0 and row.sni_roles == 0


def test_a_church_and_three_friends_met_there_runs_through_one_group(cases):
    row = _levels(cases).loc["person:churchgoer"]
    assert row.level == "at risk"
    assert "through one group (St Mary's)" in row.reasons


def test_well_connected_needs_both_scales(cases):
    df = _levels(cases)
    rich = df.loc["person:rich"]
    # 2 relatives + 2 friends: 3*2 + 3*2 = 12; roles: family, friends, neighbours, group,
    # volunteers = 5 (moderate diversity)
    assert (rich.lsns6_estimate, rich.sni_roles, rich.level) == (12, 5, "well connected")
    some = df.loc["person:alone_at_home"]
    # LSNS-6 12 but everyone seen only monthly: no SNI role at all -> some support
    assert (some.lsns6_estimate, some.sni_roles, some.level) == (12, 0, "some support")
    assert "low diversity" in some.reasons


def test_shared_lives_is_its_own_class_and_counts_as_community_by_setting(cases, monkeypatch):
    assert vocab.tie_class("SHARED_LIVES") == vocab.SHARED_LIFE == "shared life"
    row = _levels(cases).loc["person:shared"]
    assert row.level == "at risk"  # one community tie: the Shared Lives household
    assert (row.community_ties, row.professional_ties) == (1, 1)
    monkeypatch.setenv("ASSETMAP_SHARED_LIVES_COUNTS_AS_COMMUNITY", "false")
    settings.reset()
    try:
        row = _levels(cases).loc["person:shared"]
        assert row.level == "service-only"  # the older reading: a service, not a life
        assert (row.community_ties, row.professional_ties) == (0, 2)
    finally:
        monkeypatch.delenv("ASSETMAP_SHARED_LIVES_COUNTS_AS_COMMUNITY")
        settings.reset()


def test_levels_are_named_worst_first():
    assert analysis.LEVELS == ("isolated", "service-only", "at risk", "some support",
                               "well connected")


# --- via, role, frequency and weight are importable -----------------------------------------

def test_via_role_frequency_and_weight_import_from_a_spreadsheet(tmp_path):
    """A tie sheet carrying where two people met (``via``), the family role, how often they are
    in touch and a weight: the through-one-group rule and the scales can fire on imported
    data (issue 17: the importer used to drop ``via``)."""
    import csv

    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.ingest.spreadsheet import import_spreadsheet

    def write(name, rows):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        return path

    store = SQLiteStore(tmp_path / "imported.db")
    try:
        import_spreadsheet(store, write("people.csv", [["id", "name"], ["p1", "Ann"],
                                                        ["p2", "Bea"], ["p3", "Cy"],
                                                        ["p4", "Di"]]))
        import_spreadsheet(store, write("groups.csv", [["id", "name"], ["church", "St Mary's"]]))
        rep = import_spreadsheet(store, write("ties.csv", [
            ["src", "dst", "kind", "via", "frequency", "role", "weight"],
            ["p1", "church", "ATTENDS", "", "weekly", "", ""],
            ["p1", "p2", "FRIEND", "church", "weekly", "", "2.5"],
            ["p1", "p3", "FRIEND", "church", "weekly", "", ""],
            ["p4", "p2", "FAMILY", "", "yearly", "Spouse", ""],
            ["p4", "p3", "FRIEND", "nowhere", "", "", ""],      # via names nothing
            ["p4", "p1", "FRIEND", "", "", "", "-1"],          # weight not positive
        ]), "ties")
        assert (rep.written, rep.rejected) == (4, 2)
        fields = {r.field for r in rep.rejections}
        assert fields == {"via", "weight"}
        G = store.to_networkx()
    finally:
        store.close()
    tie = next(d for _u, _v, d in G.edges(data=True) if d.get("weight"))
    assert tie["via"].endswith("church") and tie["weight"] == 2.5
    spouse = next(d for _u, _v, d in G.edges(data=True) if d.get("role"))
    assert spouse["role"] == "spouse" and spouse["frequency"] == "yearly"
    df = _levels(G)
    ann = df.loc[next(i for i in df.index if df.loc[i, "name"] == "Ann")]
    assert ann.level == "at risk" and "through one group" in ann.reasons
