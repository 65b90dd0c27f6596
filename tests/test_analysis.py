"""Hand-built graphs with hand-worked answers for every analysis and every isolation level."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import box
from test_analysis_graphs import ORIGIN, at_km, build, group, person, practitioner, tie

from assetmap import vocab
from assetmap.graph import analysis
from assetmap.graph.analysis import linkpred
from assetmap.graph.analysis.suggestions import adamic_adar

YES = {"suggest": True, "map": True}


# --- isolated_people ---------------------------------------------------------------------------

@pytest.fixture
def levels_graph(tmp_path):
    nodes = [
        person("iso", ucla3=3),
        person("service"),
        person("one"), person("pal"),
        person("through"), person("mate"),
        person("conn", lsns6=18, lonely="hardly_ever"), person("sis"), person("bff"),
        person("closedonly"),
        practitioner("gp"),
        group("walk", activities=["walking"]),
        group("shut", status="closed"),
    ]
    ties = [
        tie("person:service", "practitioner:gp", "SUPPORTED_BY"),
        tie("person:one", "person:pal", "FRIEND"),
        tie("person:through", "group:walk", "ATTENDS"),
        tie("person:through", "person:mate", "PEER", via="group:walk"),
        tie("person:mate", "group:walk", "ATTENDS"),
        tie("person:mate", "person:pal", "NEIGHBOUR"),
        tie("person:conn", "person:sis", "FAMILY"),
        tie("person:conn", "person:bff", "FRIEND"),
        tie("person:conn", "group:walk", "ATTENDS"),
        tie("person:conn", "practitioner:gp", "SUPPORTED_BY"),
        tie("person:closedonly", "group:shut", "ATTENDS"),
    ]
    return build(tmp_path / "levels.db", nodes, ties)


def test_each_level_as_defined(levels_graph):
    df = analysis.isolated_people(levels_graph).set_index("person_id")
    level = df["level"].astype(str).to_dict()
    assert level["person:iso"] == "isolated"
    assert level["person:service"] == "service-only"
    assert level["person:one"] == "at risk"          # exactly one community tie
    assert level["person:through"] == "at risk"      # every tie runs through the walking group
    # one sister, one friend and a group: an estimated LSNS-6 of 3 + 3 = 6, below Lubben's 12
    assert level["person:conn"] == "at risk"
    assert level["person:closedonly"] == "isolated"  # a closed group is no longer a tie
    assert level["person:mate"] == "at risk"         # two friends and a group: LSNS-6 about 6
    assert "LSNS-6 6" in df.loc["person:conn", "reasons"]
    assert df.loc["person:conn", "lsns6_estimate"] == 6  # the self-reported 18 sits beside it
    assert "walk" in df.loc["person:through", "reasons"].lower()
    assert "professional" in df.loc["person:service", "reasons"]


def test_counts_and_lsns_split(levels_graph):
    df = analysis.isolated_people(levels_graph).set_index("person_id")
    row = df.loc["person:conn"]
    assert (row.community_ties, row.professional_ties, row.groups_attended) == (3, 1, 1)
    assert (row.family, row.friends) == (1, 1)
    assert row.tie_diversity == 3  # family, friend, group member
    # symmetric ties are read both ways: sis has conn as family
    assert df.loc["person:sis", "family"] == 1
    assert df.loc["person:pal", "friends"] == 2  # FRIEND from one, NEIGHBOUR from mate


def test_self_reported_scores_sit_beside_the_level(levels_graph):
    df = analysis.isolated_people(levels_graph).set_index("person_id")
    assert df.loc["person:iso", "ucla3"] == 3 and df.loc["person:iso", "level"] == "isolated"
    assert df.loc["person:conn", "lsns6"] == 18
    assert df.loc["person:conn", "lonely"] == "hardly_ever"
    assert pd.isna(df.loc["person:one", "ucla3"])


def test_levels_partition_people_worst_first(levels_graph):
    df = analysis.isolated_people(levels_graph)
    n_people = sum(1 for _n, k in levels_graph.nodes(data="kind") if k == vocab.PERSON)
    assert len(df) == n_people == df["person_id"].nunique()
    ranks = [analysis.LEVELS.index(str(x)) for x in df["level"]]
    assert ranks == sorted(ranks)


# --- suggest_connections --------------------------------------------------------------------

@pytest.fixture
def ann_graph(tmp_path):
    home = ORIGIN
    nodes = [
        person("ann", "Ann Smith", home, interests=["walking"], needs=["loneliness"],
               age_band="65-74", max_cost="low", access_needs=["step_free"]),
        person("bob", "Bob", at_km(0.5, 0), consent=YES),
        person("cat", "Cat", at_km(0.7, 180), consent=YES),
        person("dan", "Dan", at_km(1.0, 270), consent=YES, interests=["walking"]),
        person("eve", "Eve", at_km(0.4, 90), interests=["walking"]),   # no consent
        group("walk", "Health walk", at_km(0.6), activities=["walking"], needs=["loneliness"],
              cost="free", access=["step_free"]),
        group("choir", "Community choir", at_km(1.0, 0), activities=["singing"], cost="free",
              access=["step_free"]),
        group("ramblers", "Tuesday Ramblers", at_km(2.0, 45), access=["step_free"]),
        group("farwalk", "Far walk", at_km(5.0), activities=["walking"], access=["step_free"]),
        group("closedwalk", "Closed walk", at_km(0.2), activities=["walking"], status="closed",
              access=["step_free"]),
        group("pricey", "Paid walk", at_km(0.3), activities=["walking"], cost="paid",
              access=["step_free"]),
        group("full", "Full walk", at_km(0.3), activities=["walking"], capacity=1,
              access=["step_free"]),
        group("stairs", "Upstairs walk", at_km(0.3), activities=["walking"]),
        group("youth", "Youth walk", at_km(0.3), activities=["walking"], max_age=25,
              access=["step_free"]),
        group("mine", "Ann's club", at_km(0.3), activities=["walking"], access=["step_free"]),
    ]
    ties = [
        tie("person:ann", "person:bob", "FRIEND"),
        tie("person:ann", "person:cat", "FRIEND"),
        tie("person:ann", "group:mine", "ATTENDS"),
        tie("person:bob", "group:choir", "ATTENDS"),
        tie("person:cat", "group:choir", "ATTENDS"),
        tie("person:bob", "person:dan", "FRIEND"),
        tie("person:bob", "person:eve", "FRIEND"),
        tie("person:dan", "group:full", "ATTENDS"),
    ]
    return build(tmp_path / "ann.db", nodes, ties)


def test_suggestions_respect_every_hard_filter(ann_graph):
    df = analysis.suggest_connections(ann_graph, "person:ann", k=50, max_km=3.0)
    got = set(df["candidate_id"])
    assert {"group:walk", "group:choir", "group:ramblers", "person:dan"} == got
    # never: far, closed, too dear, full, no step-free access, age limit, existing tie, self,
    # a person who has not consented, an existing friend
    for bad in ("group:farwalk", "group:closedwalk", "group:pricey", "group:full",
                "group:stairs", "group:youth", "group:mine", "person:ann", "person:eve",
                "person:bob"):
        assert bad not in got


def test_suggestion_score_is_the_documented_sum(ann_graph):
    df = analysis.suggest_connections(ann_graph, "person:ann", k=50).set_index("candidate_id")
    walk = df.loc["group:walk"]
    assert walk.match == 1.0  # walking and loneliness both met
    assert walk.distance_km == pytest.approx(0.6, abs=0.01)
    b = linkpred.BLEND["group"]
    assert walk.score == pytest.approx(b["match"] * 1.0 + b["proximity"] * (1 - 0.6 / 3.0)
                                       + b["social"] * walk.social, abs=1e-3)
    assert walk.reasons.startswith("matches walking; helps with loneliness; 0.6 km")
    choir = df.loc["group:choir"]
    # Bob knows Ann, Dan, Eve and the choir (degree 4); Cat knows Ann and the choir (2): the
    # choir has the largest resource allocation (1/4 + 1/2) and the most members among the
    # groups within reach, no co-membership path (linkpred's factors, each scaled to 0..1).
    w = linkpred.WEIGHTS["group"]
    social = (w["ra2"] + w["popularity"]) / (w["ra2"] + w["comember"] + w["popularity"])
    assert choir.match == 0
    assert choir.social == pytest.approx(social, abs=1e-6)
    assert choir.score == pytest.approx(b["proximity"] * (1 - 1.0 / 3.0) + b["social"] * social,
                                        abs=1e-3)
    assert "2 people Ann knows go" in choir.reasons
    # "Tuesday Ramblers" has no activities recorded: its name matches walking by synonym.
    assert df.loc["group:ramblers", "matched"] == ["walking"]
    assert "also into walking" in df.loc["person:dan", "reasons"]
    assert list(df.index) == list(df.sort_values("score", ascending=False).index)


def test_adamic_adar_matches_networkx(ann_graph):
    ours, _ = adamic_adar(ann_graph, "person:ann")
    H = nx.Graph()
    for u, v, kind in ann_graph.edges(data="kind"):
        H.add_edge(u, v)
        assert vocab.TIE_KINDS[kind] == vocab.COMMUNITY
    theirs = {v: s for _u, v, s in nx.adamic_adar_index(H, [("person:ann", x) for x in ours])}
    assert ours.keys() == theirs.keys()
    for x in ours:
        assert ours[x] == pytest.approx(theirs[x])


def test_max_km_and_kinds_narrow_suggestions(ann_graph):
    near = analysis.suggest_connections(ann_graph, "person:ann", max_km=0.8)
    assert list(near["candidate_id"]) == ["group:walk"]  # choir, ramblers and Dan are further
    people_only = analysis.suggest_connections(ann_graph, "person:ann", kinds=[vocab.PERSON])
    assert list(people_only["candidate_id"]) == ["person:dan"]


def test_unknown_person_is_a_key_error(ann_graph):
    with pytest.raises(KeyError):
        analysis.suggest_connections(ann_graph, "person:nobody")
    with pytest.raises(KeyError):
        analysis.suggest_connections(ann_graph, "group:walk")


# --- carer_support_gaps ------------------------------------------------------------------------

def test_carer_support_gaps(tmp_path):
    nodes = [
        person("carer1", carer_hours="50_or_more"), person("mum1", "Mum One"),
        person("carer2"), person("mum2"),
        person("carer3a"), person("carer3b"), person("mum3"),
        person("carer4"), person("mum4"), person("sl", roles=["shared_lives_carer"]),
        person("rolecarer", roles=["carer"]),
        group("cafe", "Carers' cafe", needs=["carer_support"]),
        group("centre", "Carers centre", kind=vocab.ORGANISATION, org_kind="carers_centre"),
    ]
    ties = [
        tie("person:carer1", "person:mum1", "CARES_FOR"),
        tie("person:carer2", "person:mum2", "CARES_FOR"),
        tie("person:carer2", "group:cafe", "ATTENDS"),
        tie("person:carer3a", "person:mum3", "CARES_FOR"),
        tie("person:carer3b", "person:mum3", "CARES_FOR"),
        tie("person:carer3a", "org:centre", "SUPPORTED_BY"),
        tie("person:carer3b", "group:cafe", "ATTENDS"),
        tie("person:carer4", "person:mum4", "CARES_FOR"),
        tie("person:carer4", "group:cafe", "VOLUNTEERS_AT"),
        tie("person:mum4", "person:sl", "SHARED_LIVES"),
    ]
    df = analysis.carer_support_gaps(build(tmp_path / "carers.db", nodes, ties))
    gaps = set(zip(df["person_id"], df["gap"], strict=True))
    assert gaps == {
        ("person:carer1", "carer without carers' support"),
        ("person:rolecarer", "carer without carers' support"),
        ("person:mum1", "one carer and no back-up"),
        ("person:mum2", "one carer and no back-up"),
    }
    row = df.set_index("person_id").loc["person:carer1"]
    assert "Mum One" in row.reasons and "50 or more hours" in row.reasons
    assert df.set_index("person_id").loc["person:mum2", "carer_id"] == "person:carer2"


# --- pooling_opportunities ---------------------------------------------------------------------

def test_pooling_finds_nearby_budget_holders_with_a_shared_interest(tmp_path):
    walkers = [person(f"w{i}", where=at_km(0.3 * i, 90), personal_budget=True, consent=YES,
                      interests=["walking"]) for i in range(4)]
    nodes = [
        *walkers,
        person("nocons", where=at_km(0.1), personal_budget=True, interests=["walking"]),
        person("far", where=at_km(10), personal_budget=True, consent=YES, interests=["walking"]),
        person("nobudget", where=at_km(0.2), consent=YES, interests=["walking"]),
        person("s1", where=at_km(0.1, 0), personal_budget=True, consent=YES,
               interests=["swimming"]),
        person("s2", where=at_km(0.2, 0), personal_budget=True, consent=YES,
               interests=["swimming"]),
    ]
    df = analysis.pooling_opportunities(build(tmp_path / "pool.db", nodes), max_km=2.0)
    assert len(df) == 1
    row = df.iloc[0]
    assert row.goal == "interest:walking"
    assert row.members == [f"person:w{i}" for i in range(4)]
    assert row.max_km_apart == pytest.approx(0.9, abs=0.01)
    assert row.max_km_apart <= 2.0
    assert "4 people with personal budgets are into walking" in row.reasons
    tight = analysis.pooling_opportunities(build(tmp_path / "pool2.db", nodes), max_km=0.5)
    assert tight.empty or all(tight["max_km_apart"] <= 0.5)


# --- provision_gaps ------------------------------------------------------------------------

def test_provision_gaps_flags_demand_without_supply(tmp_path):
    # Two 2 km squares, 20 km apart; a dementia cafe in A only.
    a_centre, b_centre = ORIGIN, at_km(20.0)

    def square(c):
        d = 0.009  # about 1 km in latitude
        return box(c[1] - 1.5 * d, c[0] - d, c[1] + 1.5 * d, c[0] + d)

    areas = gpd.GeoDataFrame({"area_code": ["A", "B"], "area_name": ["Area A", "Area B"]},
                             geometry=[square(a_centre), square(b_centre)], crs="EPSG:4326")
    nodes = [
        *[person(f"a{i}", where=a_centre, area="A", needs=["dementia"]) for i in range(3)],
        person("b0", where=b_centre, area="B", needs=["dementia"]),
        person("b1", where=b_centre, area="E0B1", needs=["dementia", "housing"]),  # LSOA in B
        person("b2", where=b_centre, needs=["dementia"]),  # no area: placed by location
        vocab_area("B", None), vocab_area("E0B1", "B"),
        group("memory", "Memory cafe", where=at_km(0.5), needs=["dementia"]),
        group("gone", "Closed cafe", where=b_centre, needs=["dementia"], status="closed"),
    ]
    out = analysis.provision_gaps(build(tmp_path / "gaps.db", nodes), areas, max_km=3.0)
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == areas.crs
    assert len(out) == 2 * len(vocab.NEEDS)
    got = out.set_index(["area_code", "need"])
    a, b = got.loc[("A", "dementia")], got.loc[("B", "dementia")]
    assert (a.people_with_need, a.providers_within_reach, a.people_without_provider) == (3, 1, 0)
    assert not a.flagged
    assert (b.people_with_need, b.providers_within_reach, b.people_without_provider) == (3, 0, 3)
    assert b.flagged
    assert b.median_nearest_km == pytest.approx(19.5, abs=0.05)
    assert "<8 people need help with dementia; no provider within 3 km" in b.reasons
    housing = got.loc[("B", "housing")]
    assert housing.flagged and "none anywhere" in housing.reasons
    assert not got.loc[("A", "housing")].flagged
    assert out.geometry.notna().all()


def vocab_area(code, parent):
    from assetmap.model import Node
    return Node(code, vocab.AREA, code, None, None, None,
                {"level": "lsoa" if parent else "ward", **({"parent": parent} if parent else {})})


# --- closure_impact / keystone_assets ---------------------------------------------------------

@pytest.fixture
def closure_graph(tmp_path):
    nodes = [
        person("only"), person("two"), person("friend"), person("safe"), person("lone"),
        group("walk", "Walking group"),
        group("bowls", "Bowls club"),
        group("empty", "Nobody's club"),
        group("gp", "Riverside GP", kind=vocab.ORGANISATION, org_kind="gp_practice"),
        practitioner("lw", "link_worker"),
    ]
    ties = [
        tie("person:only", "group:walk", "ATTENDS"),
        tie("person:two", "group:walk", "ATTENDS"),
        tie("person:two", "person:friend", "FRIEND"),
        tie("group:walk", "org:gp", "PARTNERS_WITH"),
        tie("person:safe", "group:walk", "ATTENDS"),
        tie("person:safe", "group:bowls", "ATTENDS"),
        tie("person:safe", "practitioner:lw", "SUPPORTED_BY"),
        tie("practitioner:lw", "org:gp", "WORKS_AT"),
    ]
    return build(tmp_path / "closure.db", nodes, ties)


def test_closure_impact_of_a_keystone_group(closure_graph):
    df = analysis.closure_impact(closure_graph, "group:walk").set_index("person_id")
    assert set(df.index) == {"person:only", "person:two", "person:friend"}
    only = df.loc["person:only"]
    assert only.loses_only_community_tie and only.loses_hub_path
    assert (only.level_before, only.level_after) == ("at risk", "isolated")
    two = df.loc["person:two"]
    # a group and one friend: an estimated LSNS-6 of 3, at risk before and after
    assert (two.level_before, two.level_after) == ("at risk", "at risk")
    assert two.loses_hub_path and not two.loses_only_community_tie
    friend = df.loc["person:friend"]
    assert friend.loses_hub_path and friend.level_before == friend.level_after == "at risk"
    assert "Walking group is their only community tie" in only.reasons
    # safe: walk and bowls but no relative or friend (LSNS-6 0) is at risk with or without the
    # walk, and still reaches the link worker: not affected
    assert "person:safe" not in df.index


def test_closure_of_an_unused_asset_is_empty(closure_graph):
    assert analysis.closure_impact(closure_graph, "group:empty").empty
    with pytest.raises(ValueError):
        analysis.closure_impact(closure_graph, "person:only")


def test_keystones_ranked_by_impact(closure_graph):
    df = analysis.keystone_assets(closure_graph)
    assert df.iloc[0]["asset_id"] == "group:walk"
    walk = df.set_index("asset_id").loc["group:walk"]
    # only "only" drops a level (at risk -> isolated): "two" and "safe" were at risk already
    assert (walk.lose_only_community_tie, walk.level_drops, walk.lose_hub_path) == (1, 1, 3)
    assert walk.splits_network
    assert walk["rank"] == 1
    empty = df.set_index("asset_id").loc["group:empty"]
    assert (empty.people_tied, empty.lose_hub_path, empty.level_drops) == (0, 0, 0)


# --- disconnected_clusters ---------------------------------------------------------------------

def test_disconnected_clusters_split_by_louvain(tmp_path):
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    nodes = [person(x, area="E1") for x in a + b] + [
        group("shed", "Men's shed"), person("seen"), practitioner("gp"), person("alone")]
    ties = [tie(f"person:{x}", f"person:{y}", "FRIEND")
            for grp in (a, b) for i, x in enumerate(grp) for y in grp[i + 1:]]
    ties += [tie("person:a0", "person:b0", "NEIGHBOUR"),
             tie("person:b1", "group:shed", "ATTENDS"),
             tie("person:seen", "practitioner:gp", "SUPPORTED_BY")]
    G = build(tmp_path / "clusters.db", nodes, ties)
    df = analysis.disconnected_clusters(G, seed=7)
    assert len(df) == 2
    members = sorted(tuple(m) for m in df["members"])
    assert members == sorted([tuple(sorted(f"person:{x}" for x in a)),
                              tuple(sorted([*(f"person:{x}" for x in b), "group:shed"]))])
    shed = df[df["groups"] == 1].iloc[0]
    assert "Men's shed" in shed.reasons and shed.areas == ["E1"]
    again = analysis.disconnected_clusters(G, seed=7)
    assert again["members"].tolist() == df["members"].tolist()


# --- inputs it refuses ---------------------------------------------------------------------------

def test_refuses_what_it_cannot_analyse(closure_graph):
    with pytest.raises(TypeError):
        analysis.isolated_people(nx.Graph(closure_graph))
    with pytest.raises(KeyError):
        analysis.closure_impact(closure_graph, "group:nowhere")
    areas = gpd.GeoDataFrame({"area_code": ["A"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    with pytest.raises(ValueError, match="area_name"):
        analysis.provision_gaps(closure_graph, areas)


def test_empty_graph_gives_empty_frames():
    G = nx.MultiDiGraph()
    assert analysis.isolated_people(G).empty
    assert analysis.carer_support_gaps(G).empty
    assert analysis.pooling_opportunities(G).empty
    assert analysis.keystone_assets(G).empty
    assert analysis.disconnected_clusters(G).empty
    assert "reasons" in analysis.isolated_people(G).columns


def test_fast_and_plain_isolation_agree_on_the_levels_graph(levels_graph):
    from assetmap.graph.analysis.isolation import isolated_people_plain

    pd.testing.assert_frame_equal(analysis.isolated_people(levels_graph),
                                  isolated_people_plain(levels_graph))
