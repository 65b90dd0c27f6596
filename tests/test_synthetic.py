"""The synthetic Trafford population: deterministic, census-shaped, valid, private, atomic."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap import vocab
from assetmap.demo import census, synthetic, trafford
from assetmap.errors import StoreError, ValidationError
from assetmap.graph.store.sqlite_store import SQLiteStore, canonical_tie
from assetmap.model import Node, Tie, check_endpoints

#: Person props the generator may write: nothing else (no address, phone, date of birth ...).
PERSON_PROPS = {"synthetic", "postcode", "age_band", "carer_hours", "disability", "health",
                "lonely", "roles", "interests", "needs", "goals", "personal_budget", "consent",
                "ucla3", "budget_kind"}
NAME = re.compile(r"^(?:Dr )?(?P<first>[A-Z][a-z]+) (?P<initial>[A-Z])\.$")


def _fingerprint(people: int, seed: int) -> list[str]:
    out = []
    for nodes, ties in synthetic.generate(people, seed):
        out += [json.dumps([n.id, n.kind, n.name, n.area, n.lat, n.lon, n.props],
                           sort_keys=True) for n in nodes]
        out += [json.dumps([t.src, t.dst, t.kind, t.props], sort_keys=True) for t in ties]
    return out


def _check_stream(people: int, seed: int) -> tuple[dict[str, Node], list[Tie]]:
    """Generate, asserting batch by batch that every record validates, every id is new, and
    every tie names nodes already streamed and fits vocab.TIE_ENDPOINTS; return what came."""
    nodes: dict[str, Node] = {}
    ties: list[Tie] = []
    keys: set[tuple[str, str, str]] = set()
    for batch_nodes, batch_ties in synthetic.generate(people, seed):
        for node in batch_nodes:
            node.validate()
            assert node.id not in nodes, f"duplicate node id {node.id}"
            nodes[node.id] = node
        for tie in batch_ties:
            tie.validate()
            assert tie.src in nodes and tie.dst in nodes, f"dangling tie {tie.key}"
            check_endpoints(tie, nodes[tie.src].kind, nodes[tie.dst].kind)
            key = (*canonical_tie(tie.src, tie.dst, tie.kind), tie.kind)
            assert key not in keys, f"duplicate tie {key}"
            keys.add(key)
            ties.append(tie)
    return nodes, ties


@pytest.fixture(scope="module")
def sample() -> dict:
    """A 20,000-person population (the demo's size), summarised without a store."""
    tables = census.load()
    ward_people: Counter[str] = Counter()
    ward_carers: Counter[str] = Counter()
    ward_disabled: Counter[str] = Counter()
    ward_bad_health: Counter[str] = Counter()
    lats, lons = [], []
    community: Counter[str] = Counter()
    professional: Counter[str] = Counter()
    person_ids: list[str] = []
    group_status: dict[str, str] = {}
    attends_closed = 0
    kinds: dict[str, str] = {}
    for nodes, ties in synthetic.generate(20_000, 2021):
        for n in nodes:
            if n.kind == vocab.GROUP:
                group_status[n.id] = n.props.get("status", "active")
            if n.kind != vocab.PERSON:
                continue
            kinds[n.id] = n.kind
            person_ids.append(n.id)
            ward = tables.lsoa_ward[n.area]
            ward_people[ward] += 1
            ward_carers[ward] += n.props["carer_hours"] != "none"
            ward_disabled[ward] += n.props["disability"] != "none"
            ward_bad_health[ward] += n.props["health"] in ("bad", "very_bad")
            lats.append(n.lat)
            lons.append(n.lon)
        for t in ties:
            cls = vocab.tie_class(t.kind)
            for end in (t.src, t.dst):
                if end in kinds:
                    if cls == "community":
                        community[end] += 1
                    elif cls == "professional" and end == t.src:
                        professional[end] += 1
            if t.kind == "ATTENDS" and group_status.get(t.dst) == "closed":
                attends_closed += 1
    return {"ward_people": ward_people, "ward_carers": ward_carers,
            "ward_disabled": ward_disabled, "ward_bad_health": ward_bad_health,
            "lat": np.array(lats), "lon": np.array(lons), "community": community,
            "professional": professional, "people": person_ids,
            "attends_closed": attends_closed, "tables": tables}


def test_same_seed_same_output_and_different_seed_differs() -> None:
    first = _fingerprint(600, 11)
    assert first == _fingerprint(600, 11)
    other = _fingerprint(600, 12)
    people_first = [r for r in first if '"Person"' in r]
    people_other = [r for r in other if '"Person"' in r]
    assert len(people_first) == len(people_other) == 600
    assert people_first != people_other


def test_people_spread_over_lsoas_by_census_weight() -> None:
    tables = census.load()
    counts: Counter[str] = Counter()
    for nodes, _ in synthetic.generate(2_000, 3):
        counts.update(n.area for n in nodes if n.kind == vocab.PERSON)
    assert sum(counts.values()) == 2_000
    expected = tables.people_weights() * 2_000
    # Largest-remainder apportionment: every LSOA within one person of its share (census ward
    # totals spread over the ward's LSOAs by their adults; see test_census_demo.py).
    for code, n in expected.items():
        assert abs(counts.get(code, 0) - n) < 1.0, code


def test_carers_per_ward_match_the_census(sample: dict) -> None:
    """Carers are drawn from each LSOA's Census 2021 unpaid care table, so the share in each
    2022 ward should match the ward table up to sampling error. Tolerance: 4 binomial standard
    errors (~0.036 at ~900 people a ward; with 21 wards the chance of a false failure is ~0.1%)
    plus 0.005, the most the LSOA table aggregated by the best-fit lookup differs from the ward
    table (LSOAs do not nest exactly in wards; checked below)."""
    tables = sample["tables"]
    census_share = tables.carer_share_by_ward()
    pop = tables.lsoa_population
    lsoa_carers = (1 - tables.carer_hours["none"]) * pop
    aggregated = (lsoa_carers.groupby(tables.lsoa_ward).sum()
                  / pop.groupby(tables.lsoa_ward).sum())
    assert (aggregated - census_share).abs().max() <= 0.005
    total_people = total_carers = 0
    for ward, n in sample["ward_people"].items():
        p = census_share[ward]
        share = sample["ward_carers"][ward] / n
        assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n) + 0.005, (ward, share, p)
        total_people += n
        total_carers += sample["ward_carers"][ward]
    assert len(sample["ward_people"]) == 21
    borough = (lsoa_carers.sum() / pop.sum())
    assert abs(total_carers / total_people - borough) <= 4 * math.sqrt(
        borough * (1 - borough) / total_people)


def test_disability_and_health_per_ward_match_the_census(sample: dict) -> None:
    """Disability and general health come from each person's LSOA table at the adult rates it
    implies (indirect standardisation by age), through a latent variable correlated with age
    (so older people are more often disabled) whose cut points keep those shares; a ward's
    expected share is its LSOAs' adult rates weighted by the people each holds. Tolerance: 4
    binomial standard errors plus 0.01, because age bands are coarse (the latent is only
    approximately standard normal)."""
    tables = sample["tables"]
    w = tables.people_weights()
    dis = tables.adult_shares("disability")
    hea = tables.adult_shares("health")
    ward_of = tables.lsoa_ward.loc[w.index]
    disabled = ((1 - dis["none"]).loc[w.index] * w).groupby(ward_of).sum() / w.groupby(
        ward_of).sum()
    bad_health = ((hea["bad"] + hea["very_bad"]).loc[w.index] * w).groupby(ward_of).sum() / (
        w.groupby(ward_of).sum())
    for ward, n in sample["ward_people"].items():
        for expected, got in ((disabled[ward], sample["ward_disabled"][ward]),
                              (bad_health[ward], sample["ward_bad_health"][ward])):
            se = math.sqrt(expected * (1 - expected) / n)
            assert abs(got / n - expected) <= 4 * se + 0.01, (ward, got / n, expected)


def test_every_person_lives_inside_trafford(sample: dict) -> None:
    outline = trafford.boundaries("la").geometry.union_all()
    inside = shapely.contains_xy(outline, sample["lon"], sample["lat"])
    assert len(inside) == 20_000
    assert inside.all(), f"{int((~inside).sum())} people outside the borough"


def test_isolated_and_service_only_people_exist_in_realistic_shares(sample: dict) -> None:
    people = sample["people"]
    isolated = [p for p in people if sample["community"][p] == 0]
    service_only = [p for p in isolated if sample["professional"][p] > 0]
    at_risk = [p for p in people if sample["community"][p] == 1]
    n = len(people)
    # Modelling choice in synthetic.py: ~5% isolated (ONS: 7% often/always lonely), about half
    # of them known to a service; ~8% with a single community tie.
    assert 0.02 <= len(isolated) / n <= 0.10
    assert 0.2 <= len(service_only) / max(1, len(isolated)) <= 0.8
    assert 0.02 <= len(at_risk) / n <= 0.15
    assert sample["attends_closed"] == 0


def test_records_validate_and_ties_fit_the_vocabulary() -> None:
    nodes, ties = _check_stream(1_500, 5)
    kinds = Counter(n.kind for n in nodes.values())
    assert kinds[vocab.PERSON] == 1_500
    assert kinds[vocab.AREA] == 1 + 21 + 139
    assert kinds[vocab.PRACTITIONER] > 0 and kinds[vocab.GROUP] > 0
    tie_kinds = Counter(t.kind for t in ties)
    for kind in ("FAMILY", "FRIEND", "NEIGHBOUR", "PEER", "CARES_FOR", "ATTENDS",
                 "VOLUNTEERS_AT", "SUPPORTED_BY", "PAID_SUPPORT", "REFERRED_TO", "RUNS",
                 "WORKS_AT"):
        assert tie_kinds[kind] > 0, kind
    lsoas = {n.id for n in nodes.values() if n.props.get("level") == "lsoa"}
    for node in nodes.values():
        if node.kind == vocab.PERSON:
            assert node.area in lsoas
            assert trafford.geocode_postcode(node.props["postcode"]) == (node.lat, node.lon)
    for tie in ties:
        if tie.kind == "REFERRED_TO":
            assert tie.props["status"] in vocab.REFERRAL_STATUSES
            assert nodes[tie.props["by"]].kind == vocab.PRACTITIONER
        if tie.kind == "CARES_FOR":
            assert "carer" in nodes[tie.src].props["roles"]
        if tie.kind == "ATTENDS" and nodes[tie.dst].kind == vocab.GROUP:
            assert nodes[tie.dst].props.get("status") != "closed"
    # Cared-for people are more often disabled than people in general; most have one carer.
    carers_of = Counter(t.dst for t in ties if t.kind == "CARES_FOR")
    people = [n for n in nodes.values() if n.kind == vocab.PERSON]
    disabled = sum(p.props["disability"] != "none" for p in people) / len(people)
    cared_disabled = sum(nodes[c].props["disability"] != "none" for c in carers_of) / len(carers_of)
    assert cared_disabled > 1.5 * disabled
    assert 0 < sum(v >= 2 for v in carers_of.values()) < len(carers_of) / 2
    # Group attendance never exceeds a synthetic group's stated capacity.
    attendance = Counter(t.dst for t in ties if t.kind == "ATTENDS")
    for group_id, count in attendance.items():
        cap = nodes[group_id].props.get("capacity")
        if nodes[group_id].props.get("synthetic"):
            assert count <= cap


def test_no_real_personal_data() -> None:
    nodes, _ = _check_stream(800, 9)
    people = [n for n in nodes.values() if n.kind == vocab.PERSON]
    assert people
    for person in people:
        assert person.props["synthetic"] is True
        assert set(person.props) <= PERSON_PROPS, set(person.props) - PERSON_PROPS
        m = NAME.match(person.name)
        assert m and m["first"] in synthetic.FIRST_NAMES, person.name
        assert m["initial"] in synthetic.SURNAME_INITIALS
        assert re.fullmatch(r"person:s\d{7}", person.id)
        if "ucla3" in person.props:
            assert 3 <= person.props["ucla3"] <= 9
    for node in nodes.values():
        if node.kind == vocab.PRACTITIONER:
            assert node.props["synthetic"] is True
            m = NAME.match(node.name)
            assert m and m["first"] in synthetic.FIRST_NAMES, node.name
        if node.id.startswith(("group:syn:", "org:syn:")):
            assert node.props["synthetic"] is True


def test_populate_writes_the_expected_counts(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "demo.db")
    try:
        counts = synthetic.populate(store, people=700, seed=4, batch_size=1_000)
        assert counts[vocab.PERSON] == 700 == store.count(vocab.PERSON)
        for kind in vocab.NODE_KINDS:
            assert store.count(kind) == counts.get(kind, 0), kind
        for kind in vocab.TIE_KINDS:
            assert store.count_ties(kind) == counts.get(kind, 0), kind
        person = next(store.find(vocab.PERSON))
        assert person.props["synthetic"] is True
    finally:
        store.close()
    reopened = SQLiteStore(tmp_path / "demo.db")
    try:
        assert reopened.count(vocab.PERSON) == 700
    finally:
        reopened.close()


def test_a_failing_write_leaves_the_store_empty(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real_generate = synthetic.generate

    def with_a_bad_record(people: int, seed: int = 2021):
        batches = list(real_generate(people, seed))
        yield from batches
        # After everything good has been written, one tie to a record that does not exist.
        yield [], [Tie("person:s0000001", "group:does-not-exist", "ATTENDS")]

    monkeypatch.setattr(synthetic, "generate", with_a_bad_record)
    store = SQLiteStore(tmp_path / "demo.db")
    try:
        before = store.version()
        with pytest.raises(StoreError):
            synthetic.populate(store, people=300, seed=1, batch_size=200)
        assert store.count() == 0
        assert store.count_ties() == 0
        assert store.version() == before
    finally:
        store.close()


def test_bad_sizes_are_refused() -> None:
    for bad in (-1, synthetic.MAX_PEOPLE + 1, 2.5, True):
        with pytest.raises(ValueError):
            next(synthetic.generate(bad))  # type: ignore[arg-type]


def test_census_tables_are_distributions() -> None:
    tables = census.load()
    assert len(tables.lsoa_population) == 139
    assert set(tables.lsoa_ward.unique()) == set(tables.disability.index)
    for frame in (tables.carer_hours, tables.disability, tables.health, tables.ward_carer_hours):
        assert np.allclose(frame.sum(axis=1), 1.0)
        assert (frame >= 0).all().all()
    assert abs(tables.lsoa_weights().sum() - 1) < 1e-9


def test_malformed_census_file_is_reported(tmp_path: Path) -> None:
    for name in (census.UNPAID_CARE_WARD, census.DISABILITY_WARD, census.HEALTH_WARD,
                 census.AGE_LSOA, census.DISABILITY_LSOA, census.HEALTH_LSOA):
        (tmp_path / name).write_bytes((census.CENSUS_DIR / name).read_bytes())
    lsoa = (census.CENSUS_DIR / census.UNPAID_CARE_LSOA).read_text().splitlines()
    lsoa[3] = lsoa[3].rsplit(",", 1)[0] + ",lots"
    (tmp_path / census.UNPAID_CARE_LSOA).write_text("\n".join(lsoa) + "\n")
    with pytest.raises(ValidationError, match=r"line 4"):
        census.read_tables(tmp_path)
    (tmp_path / census.UNPAID_CARE_LSOA).write_text("area_code,value\nE01006109,3\n")
    with pytest.raises(ValidationError, match="lacks the column"):
        census.read_tables(tmp_path)
    (tmp_path / census.UNPAID_CARE_LSOA).unlink()
    with pytest.raises(ValidationError, match="missing"):
        census.read_tables(tmp_path)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.integers(min_value=0, max_value=250),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_invariants_hold_for_any_small_population(people: int, seed: int) -> None:
    nodes, ties = _check_stream(people, seed)
    persons = [n for n in nodes.values() if n.kind == vocab.PERSON]
    assert len(persons) == people
    for tie in ties:
        if tie.kind in ("FAMILY", "FRIEND", "NEIGHBOUR", "PEER", "CARES_FOR"):
            assert nodes[tie.src].kind == nodes[tie.dst].kind == vocab.PERSON
    carers = {p.id for p in persons if p.props["carer_hours"] != "none"}
    assert carers == {p.id for p in persons if "carer" in p.props["roles"]}


def test_ties_say_how_often_people_are_in_touch() -> None:
    """Friends, neighbours and relatives elsewhere carry a ``frequency`` (some only a few times a
    year), households see each other daily and two-adult households are often couples: what
    the LSNS-6 / SNI estimates read (issue 17)."""
    freq: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    for _nodes, ties in synthetic.generate(800, 5):
        for t in ties:
            if t.kind in ("FRIEND", "NEIGHBOUR", "FAMILY"):
                freq[(t.kind, t.props.get("frequency"))] += 1
                roles[t.props.get("role")] += 1
    assert freq[("FRIEND", None)] == freq[("NEIGHBOUR", None)] == freq[("FAMILY", None)] == 0
    assert freq[("FRIEND", "few_times_a_year")] > 0 and freq[("FRIEND", "weekly")] > 0
    assert freq[("FAMILY", "daily")] > 0 and roles["spouse"] > 0
    for (_kind, word), _n in freq.items():
        assert word in vocab.FREQUENCY_DAYS
