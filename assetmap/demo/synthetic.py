"""A synthetic population for the Trafford demo and the benchmarks: no real person's data.

:func:`generate` streams batches of (nodes, ties): first Trafford's real areas and community
assets, then synthetic provision hosted at real venues (community and peer support groups, a few
user-led organisations, a carers' centre, a Shared Lives scheme, wellbeing hubs, practitioners),
then synthetic people LSOA by LSOA, each placed at a real postcode centroid in their LSOA, with
carer hours from the LSOA's Census 2021 table, age bands from the LSOA's own ages, and disability
/ general health at the adult rates the LSOA's all-age tables imply (indirect standardisation,
:meth:`census.CensusTables.adult_shares`). People per 2022 ward match the census
(:meth:`census.CensusTables.people_weights`).
Memory stays bounded: only one LSOA's people, a fixed-size reservoir of earlier people (for
family and friends elsewhere) and per-group attendance counts are held at once.
:func:`populate` writes the whole stream into a store in one transaction.

Rates are approximate national figures (cited where used) or plain modelling choices (said so);
they make the demo look like a real area, they are not estimates of Trafford.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from assetmap import vocab
from assetmap.demo import census, trafford
from assetmap.geo import haversine_km_array
from assetmap.graph.store import GraphStore
from assetmap.model import Node, Tie

SOURCE = "synthetic"
MAX_PEOPLE = 1_000_000
#: Earlier people kept for ties that cross LSOAs (family and friends elsewhere, cared-for).
RESERVOIR_SIZE = 4_000

#: A small built-in list of first names; display names are "First I." (never a real record).
FIRST_NAMES: tuple[str, ...] = (
    "Aisha", "Alan", "Alex", "Amir", "Ann", "Barbara", "Ben", "Bilal", "Carol", "Chen",
    "Chris", "Dave", "Deepa", "Denise", "Eileen", "Fatima", "Frank", "Gary", "Grace", "Hannah",
    "Harry", "Imran", "Irene", "Jack", "Jan", "Jean", "Joe", "Karen", "Kim", "Leon",
    "Linda", "Maria", "Mark", "Maureen", "Mo", "Nadia", "Neil", "Olu", "Pat", "Paul",
    "Priya", "Ravi", "Rose", "Ruth", "Sam", "Sandra", "Sean", "Shirley", "Sue", "Tariq",
    "Tom", "Val", "Wei", "Zara",
)
SURNAME_INITIALS = "ABCDEFGHJKLMNOPRSTWY"

# --- rates (each cited, approximate) -----------------------------------------------------------

#: Adults 16+ by age band. Census 2021 (England and Wales, TS007), shares of usual residents
#: aged 16+, rounded: approximate.
AGE_SHARES = (0.135, 0.169, 0.236, 0.236, 0.118, 0.076, 0.030)
#: "How often do you feel lonely?" (often/always, some of the time, occasionally, hardly ever,
#: never). ONS / DCMS Community Life Survey 2021/22, adults in England: about 7% often or always
#: lonely; the other bands rounded from the same release: approximate.
LONELY_SHARES = (0.07, 0.19, 0.23, 0.32, 0.19)
#: Formal volunteering at least once a month: about 16% of adults (Community Life Survey
#: 2021/22): approximate.
VOLUNTEER_RATE = 0.16
#: Personal budgets taken as direct payments: NHS Digital, Adult Social Care Activity and Finance
#: Report 2022-23 / ASCOF 1C(2a): about 26% of the ~0.5M people on long-term community support
#: (~1% of adults) take a direct payment, concentrated among people whose activities are limited
#: a lot. Shares by disability below are approximate and lean high so the demo has budgets to pool.
PERSONAL_BUDGET_BY_DISABILITY = (0.002, 0.015, 0.08)
#: How budgets are held (``vocab.BUDGET_KINDS``: phb, direct_payment, isb). Modelling choice,
#: approximate: direct payments are the commonest personal budget taken as money (ASCOF 1C(2a)),
#: NHS personal health budgets are growing (NHS England PHB data, ~200k a year incl. wheelchair
#: budgets) and individual service funds are uncommon.
BUDGET_KIND_SHARES = (0.3, 0.6, 0.1)
#: Households by number of adults (1, 2, 3, 4). Census 2021 (TS017, household size; ~30% of
#: households are one person, mean 2.4 people incl. children), re-expressed per adult: approximate.
HOUSEHOLD_ADULTS = (0.28, 0.50, 0.14, 0.08)
#: Carers who look after someone in their own household: Census 2021 does not split this; the
#: GP Patient Survey and Carers UK "State of Caring" put it at roughly half. Modelling choice: 0.5.
CARE_IN_HOUSEHOLD = 0.5
#: Registered with a GP: nearly everyone (NHS Digital patient registrations exceed the resident
#: population), but a coordinator's record shows the GP only for some. Modelling choice: 70% plus
#: more for people in poor health or disabled, 50% for the isolated (so some are "service-only").
GP_RECORDED = 0.70
#: Isolated (no community tie at all): modelling choice ~5% of adults, drawn mostly from people who
#: are often/always lonely (ONS 7%, above) so the analysis has something realistic to find.
ISOLATED_BY_LONELY = (0.35, 0.10, 0.04, 0.02, 0.015)
#: One community tie only (and living alone): modelling choice, ~8% of adults, leaning lonely.
THIN_BY_LONELY = (0.30, 0.14, 0.07, 0.05, 0.05)
#: Family living elsewhere (a tie to an earlier, nearby person): ONS Opinions and Lifestyle
#: Survey and Understanding Society find most adults have relatives within reach, but a tie a
#: coordinator records is rarer. Modelling choice: 0.3 per person.
FAMILY_ELSEWHERE_RATE = 0.3
#: A neighbour tie: the Community Life Survey 2021/22 finds most adults chat to neighbours at
#: least monthly (approximate); a tie strong enough to record is rarer. Modelling choice: 0.25.
NEIGHBOUR_RATE = 0.25
#: Friends kept in the graph per person (Poisson mean) by loneliness: modelling choice; ONS finds
#: chronic loneliness strongly associated with having fewer close ties.
FRIENDS_BY_LONELY = (0.6, 1.2, 1.6, 2.0, 2.2)
#: Taking part in a group at least monthly: Community Life Survey 2021/22 ~ a third of adults in
#: "civic participation" or a club; modelling choice 0.33, lower for the often lonely.
ATTEND_RATE = 0.33
#: How often people are in touch (a tie's ``frequency``; the isolation levels count contact by
#: it, after LSNS-6 and Cohen's SNI). Modelling choices, leaning on the Community Life Survey
#: 2021/22 and Understanding Society (most adults see or speak to friends and relatives at
#: least monthly; the lonely less often): approximate. Values: (words, shares).
FRIEND_FREQUENCY = (("weekly", "fortnightly", "monthly", "few_times_a_year"),
                    (0.40, 0.15, 0.30, 0.15))
FAMILY_ELSEWHERE_FREQUENCY = (("weekly", "fortnightly", "monthly", "few_times_a_year", "yearly"),
                              (0.35, 0.15, 0.30, 0.15, 0.05))
NEIGHBOUR_FREQUENCY = (("weekly", "monthly", "few_times_a_year"), (0.55, 0.30, 0.15))
#: Two adults sharing a household are a couple in about two cases out of three (Census 2021
#: TS003 household composition: couples are most two-adult households): approximate.
HOUSEHOLD_COUPLE = 0.65
#: Referral outcomes (social prescribing): modelling choice.
REFERRAL_OUTCOMES = {"suggested": 0.25, "referred": 0.30, "attended": 0.30, "declined": 0.15}

_INTERESTS = tuple(vocab.INTERESTS)
_NEEDS = tuple(vocab.NEEDS)
_N_INT = len(_INTERESTS)
_N_NEED = len(_NEEDS)
_II = {w: i for i, w in enumerate(_INTERESTS)}
_NI = {w: i for i, w in enumerate(_NEEDS)}
_OLD = (4, 5, 6)  # 65-74, 75-84, 85+

#: Base interest weights (modelling choice) and multipliers for young (16-34) and old (65+).
_INTEREST_WEIGHT = {
    "walking": 10, "singing": 4, "gardening": 6, "crafts": 5, "reading": 6, "football": 4,
    "bowls": 2, "swimming": 5, "exercise": 9, "cricket": 2, "tennis": 2, "golf": 2,
    "martial_arts": 1.5, "faith": 4, "cooking": 5, "men_shed": 1.5, "coffee_and_chat": 6,
    "nature": 5, "digital": 2, "learning": 4, "volunteering": 3, "games": 4,
}
_YOUNG_X = {"football": 2.0, "exercise": 1.5, "martial_arts": 2.0, "bowls": 0.1, "men_shed": 0.3,
            "learning": 1.5, "coffee_and_chat": 0.6}
_OLD_X = {"bowls": 3.0, "coffee_and_chat": 2.0, "crafts": 1.5, "faith": 1.5, "football": 0.3,
          "martial_arts": 0.2, "exercise": 0.7, "golf": 1.5, "digital": 1.5, "games": 1.5}

_GOALS = {
    "loneliness": ("meet new people", "get out of the house more"),
    "carer_support": ("have a regular break from caring", "talk to other carers"),
    "mental_health": ("feel calmer and more confident", "find people who understand"),
    "physical_disability": ("get about more independently",),
    "long_term_condition": ("manage my condition better",),
    "physical_activity": ("get more active",),
    "employment": ("find paid work",),
    "dementia": ("stay active and social with memory loss",),
    "older_people": ("stay independent at home",),
    "bereavement": ("cope with losing someone",),
    "money_advice": ("sort out money worries",),
    "learning_disability": ("make friends and try new things",),
}


@dataclass(frozen=True)
class _Template:
    label: str
    activities: tuple[str, ...]
    needs: tuple[str, ...]
    cost: str
    venues: tuple[str, ...]
    weight: float
    peer: bool = False
    runner: str | None = None  # a synthetic org kind that co-runs it


_TEMPLATES: tuple[_Template, ...] = (
    _Template("Health Walk", ("walking", "nature"), ("physical_activity", "loneliness"),
              "free", ("library", "charity", "leisure_centre", "wellbeing_hub"), 4),
    _Template("Community Choir", ("singing",), ("loneliness", "mental_health"), "low",
              ("place_of_worship", "community_centre", "library"), 2),
    _Template("Carers' Café", ("coffee_and_chat",), ("carer_support", "loneliness"), "free",
              ("place_of_worship", "library", "carers_centre", "community_centre"), 3,
              peer=True, runner="carers_centre"),
    _Template("Men's Shed", ("men_shed", "crafts"), ("loneliness", "mental_health"), "low",
              ("charity", "community_centre", "place_of_worship"), 1.5),
    _Template("Mental Health Peer Support", ("coffee_and_chat",), ("mental_health",), "free",
              ("charity", "wellbeing_hub", "place_of_worship", "mental_health_service"), 2.5,
              peer=True, runner="ulo"),
    _Template("Memory Café", ("coffee_and_chat", "games", "singing"),
              ("dementia", "carer_support", "older_people"), "free",
              ("place_of_worship", "library", "care_home", "community_centre"), 2, peer=True),
    _Template("Long-term Conditions Peer Group", ("coffee_and_chat", "exercise"),
              ("long_term_condition", "physical_activity"), "free",
              ("wellbeing_hub", "library", "charity", "place_of_worship"), 2, peer=True,
              runner="ulo"),
    _Template("Disabled People's Peer Group", ("coffee_and_chat", "games"),
              ("physical_disability", "loneliness"), "free",
              ("ulo", "library", "community_centre"), 1.5, peer=True, runner="ulo"),
    _Template("Learning Disability Social", ("games", "singing", "cooking"),
              ("learning_disability", "loneliness"), "low",
              ("ulo", "community_centre", "place_of_worship"), 1, peer=True, runner="ulo"),
    _Template("Coffee Morning", ("coffee_and_chat",), ("loneliness", "older_people"), "free",
              ("place_of_worship", "library", "community_centre", "charity"), 4),
    _Template("Lunch Club", ("cooking", "coffee_and_chat"), ("loneliness", "older_people", "food"),
              "low", ("place_of_worship", "community_centre", "charity"), 3),
    _Template("Knit and Natter", ("crafts", "coffee_and_chat"), ("loneliness",), "free",
              ("library", "place_of_worship", "community_centre"), 2.5),
    _Template("Craft Group", ("crafts",), ("loneliness", "mental_health"), "low",
              ("library", "community_centre", "charity"), 2),
    _Template("Chair Exercise", ("exercise",),
              ("physical_activity", "older_people", "long_term_condition"), "low",
              ("place_of_worship", "community_centre", "leisure_centre", "care_home"), 2.5),
    _Template("Book Club", ("reading",), ("loneliness",), "free", ("library",), 2),
    _Template("Digital Drop-in", ("digital", "learning"), ("older_people",), "free",
              ("library", "community_centre"), 1.5),
    _Template("Community Garden", ("gardening", "nature"), ("mental_health", "physical_activity"),
              "free", ("charity", "place_of_worship", "community_centre"), 2),
    _Template("Bereavement Support Group", ("coffee_and_chat",), ("bereavement",), "free",
              ("place_of_worship", "charity", "wellbeing_hub"), 1, peer=True),
    _Template("Walking Football", ("football", "exercise"), ("physical_activity", "older_people"),
              "low", ("leisure_centre", "charity", "community_centre"), 1.5),
    _Template("Games Afternoon", ("games", "coffee_and_chat"), ("loneliness", "older_people"),
              "free", ("place_of_worship", "library", "community_centre"), 2),
)
_VENUE_FALLBACK = ("library", "place_of_worship", "charity", "community_centre", "wellbeing_hub",
                   "ulo", "childrens_centre", "leisure_centre")
_VOLUNTEER_ORG_KINDS = frozenset({"charity", "food_bank", "ulo", "carers_centre", "wellbeing_hub",
                                  "library", "community_centre", "place_of_worship"})
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_TIMES = ("10:00", "10:30", "11:00", "13:30", "14:00", "18:30", "19:00")
_ORDINALS = ("1st", "2nd", "3rd", "last")
_ACCESS_P = {"step_free": 0.7, "accessible_toilet": 0.55, "hearing_loop": 0.25,
             "quiet_space": 0.3, "bsl": 0.05, "carer_welcome": 0.4}
_LOCALITIES = ("North", "Central", "South", "West")


# --- small helpers ------------------------------------------------------------------------------

def _apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` over ``weights`` by largest remainder (deterministic, sums to total)."""
    raw = weights / weights.sum() * total
    base = np.floor(raw).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.lexsort((np.arange(len(raw)), -(raw - base)))
        base[order[:short]] += 1
    return base


def _thresholds(shares: np.ndarray) -> np.ndarray:
    """Standard-normal cut points that split a latent N(0,1) into categories with ``shares``."""
    cum = np.cumsum(shares)[:-1]
    nd = NormalDist()
    return np.array([nd.inv_cdf(min(max(c, 1e-12), 1 - 1e-12)) for c in cum])


def _km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    return haversine_km_array(lat, lon, lats, lons) if len(lats) else np.zeros(0)


def _pick(rng: np.random.Generator, cum: np.ndarray, size: int | None = None) -> Any:
    """Index drawn from a cumulative weight vector (fast repeated weighted choice)."""
    u = rng.random(size) * cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def _tie(src: str, dst: str, kind: str, **props: Any) -> Tie:
    props["source"] = SOURCE
    return Tie(src, dst, kind, props)


def _age_z() -> np.ndarray:
    cum = np.cumsum(AGE_SHARES)
    mids = cum - np.asarray(AGE_SHARES) / 2
    nd = NormalDist()
    return np.array([nd.inv_cdf(m) for m in mids])


# --- provision ---------------------------------------------------------------------------------

@dataclass
class _Provision:
    """The provision side, as arrays the people generator can score against."""

    nodes: list[Node] = field(default_factory=list)
    ties: list[Tie] = field(default_factory=list)
    # targets for ATTENDS / VOLUNTEERS_AT (all Groups, then volunteer-friendly Organisations)
    t_ids: list[str] = field(default_factory=list)
    t_lat: list[float] = field(default_factory=list)
    t_lon: list[float] = field(default_factory=list)
    t_feat: list[np.ndarray] = field(default_factory=list)
    t_group: list[bool] = field(default_factory=list)
    t_open: list[bool] = field(default_factory=list)
    t_capacity: list[int] = field(default_factory=list)
    t_peer: list[bool] = field(default_factory=list)
    gp_ids: list[str] = field(default_factory=list)
    gp_lat: list[float] = field(default_factory=list)
    gp_lon: list[float] = field(default_factory=list)
    gp_patients: list[float] = field(default_factory=list)
    connector_ids: list[str] = field(default_factory=list)  # link workers and LACs
    connector_lat: list[float] = field(default_factory=list)
    connector_lon: list[float] = field(default_factory=list)
    social_workers: list[str] = field(default_factory=list)
    assistants: list[str] = field(default_factory=list)
    home_support: list[str] = field(default_factory=list)
    carers_centre: str | None = None
    shared_lives: str | None = None

    def add_target(self, node: Node, *, group: bool, is_open: bool, capacity: int,
                   peer: bool) -> None:
        props = node.props
        feat = np.zeros(_N_INT + _N_NEED, dtype=np.float32)
        for a in props.get("activities") or ():
            if a in _II:
                feat[_II[a]] = 1.0
        for n in props.get("needs") or ():
            if n in _NI:
                feat[_N_INT + _NI[n]] = 1.0
        self.t_ids.append(node.id)
        self.t_lat.append(float(node.lat))  # type: ignore[arg-type]
        self.t_lon.append(float(node.lon))  # type: ignore[arg-type]
        self.t_feat.append(feat)
        self.t_group.append(group)
        self.t_open.append(is_open)
        self.t_capacity.append(capacity)
        self.t_peer.append(peer)


def _located(node: Node) -> bool:
    return node.lat is not None and node.lon is not None and node.area is not None


def _synthetic_orgs(rng: np.random.Generator, pcs: Any) -> list[Node]:
    """User-led organisations, a carers' centre, a Shared Lives scheme, wellbeing hubs, a council
    adult social care team and home-support micro-enterprises, at real postcodes."""
    specs: list[tuple[str, str, str, str, dict[str, Any]]] = [
        ("org:syn:hub-north", "North Trafford Wellbeing Hub", "wellbeing_hub", "North",
         {"activities": ["coffee_and_chat", "learning"],
          "needs": ["loneliness", "mental_health", "money_advice", "health_advice"]}),
        ("org:syn:hub-central", "Sale Wellbeing Hub", "wellbeing_hub", "Central",
         {"activities": ["coffee_and_chat", "exercise"],
          "needs": ["loneliness", "mental_health", "physical_activity", "health_advice"]}),
        ("org:syn:hub-south", "Altrincham Wellbeing Hub", "wellbeing_hub", "South",
         {"activities": ["coffee_and_chat", "walking"],
          "needs": ["loneliness", "older_people", "long_term_condition"]}),
        ("org:syn:hub-west", "Partington and Urmston Wellbeing Hub", "wellbeing_hub", "West",
         {"activities": ["coffee_and_chat", "digital"],
          "needs": ["loneliness", "employment", "money_advice", "food"]}),
        ("org:syn:carers-centre", "Trafford Carers' Centre", "carers_centre", "Central",
         {"activities": ["coffee_and_chat", "learning"],
          "needs": ["carer_support", "bereavement"]}),
        ("org:syn:shared-lives", "Trafford Shared Lives", "shared_lives_scheme", "Central",
         {"activities": [], "needs": ["learning_disability", "physical_disability"]}),
        ("org:syn:adult-social-care", "Adult Social Care Team", "council_service", "Central",
         {"activities": [], "needs": ["physical_disability", "learning_disability",
                                      "older_people", "carer_support"]}),
        ("org:syn:ulo-disabled-people", "Disabled People's Voice", "ulo", "Central",
         {"activities": ["coffee_and_chat"], "needs": ["physical_disability", "loneliness"]}),
        ("org:syn:ulo-mental-health", "Mind Matters Peer Network", "ulo", "North",
         {"activities": ["coffee_and_chat", "walking"], "needs": ["mental_health"]}),
        ("org:syn:ulo-learning-disability", "Speak Up Together", "ulo", "West",
         {"activities": ["games", "cooking"], "needs": ["learning_disability"]}),
        ("org:syn:ulo-long-term-conditions", "Living Well Together", "ulo", "South",
         {"activities": ["exercise", "coffee_and_chat"],
          "needs": ["long_term_condition", "physical_activity"]}),
    ]
    for i in range(6):
        specs.append((f"org:syn:home-support-{i + 1:02d}", f"Home Support Micro-enterprise {i + 1}",
                      "micro_enterprise", _LOCALITIES[i % 4],
                      {"activities": [], "needs": ["physical_disability", "older_people"]}))
    nodes = []
    for node_id, name, kind, locality, extra in specs:
        local = pcs.index[pcs["locality"].to_numpy() == locality] if "locality" in pcs else []
        rows = local if len(local) else pcs.index
        row = pcs.loc[rows[int(rng.integers(len(rows)))]]
        funding = "at_risk" if rng.random() < (0.4 if kind == "ulo" else 0.2) else "stable"
        props = {"org_kind": kind, "user_led": kind == "ulo", "funding": funding,
                 "status": "active", "cost": "free", "synthetic": True,
                 "access": sorted(a for a, p in _ACCESS_P.items() if rng.random() < p + 0.2),
                 **extra}
        nodes.append(Node(node_id, vocab.ORGANISATION, name, str(row["lsoa_code"]),
                          float(row["lat"]), float(row["lon"]), props))
    return nodes


def _schedule(rng: np.random.Generator) -> str:
    day, time = _DAYS[int(rng.integers(len(_DAYS)))], _TIMES[int(rng.integers(len(_TIMES)))]
    r = rng.random()
    if r < 0.6:
        return f"{day}s {time}, weekly"
    if r < 0.8:
        return f"Every other {day} {time}"
    return f"{_ORDINALS[int(rng.integers(len(_ORDINALS)))]} {day} of the month, {time}"


def _provision(people: int, rng: np.random.Generator, assets: list[Node], pcs: Any) -> _Provision:
    """Synthetic organisations, groups at real venues and practitioners, with their ties."""
    prov = _Provision()
    syn_orgs = _synthetic_orgs(rng, pcs)
    prov.nodes.extend(syn_orgs)
    by_id = {n.id: n for n in syn_orgs}
    hubs = [n for n in syn_orgs if n.props["org_kind"] == "wellbeing_hub"]
    ulos = [n for n in syn_orgs if n.props["org_kind"] == "ulo"]
    prov.carers_centre = "org:syn:carers-centre"
    prov.shared_lives = "org:syn:shared-lives"
    prov.home_support = [n.id for n in syn_orgs if n.props["org_kind"] == "micro_enterprise"]
    for hub in hubs:
        for other in (*ulos, by_id["org:syn:carers-centre"]):
            prov.ties.append(_tie(hub.id, other.id, "PARTNERS_WITH"))

    orgs = [n for n in (*assets, *syn_orgs) if n.kind == vocab.ORGANISATION and _located(n)]
    venues_by_kind: dict[str, list[Node]] = {}
    for org in orgs:
        venues_by_kind.setdefault(str(org.props.get("org_kind")), []).append(org)

    # Synthetic groups at real venues: scale with the population (~1 per 70 people, 150..3000).
    n_groups = int(min(3000, max(150, round(people / 70))))
    weights = np.array([t.weight for t in _TEMPLATES])
    cum = np.cumsum(weights)
    runners = {"ulo": ulos, "carers_centre": [by_id["org:syn:carers-centre"]]}
    groups: list[Node] = []
    for g in range(n_groups):
        tpl = _TEMPLATES[int(_pick(rng, cum))]
        candidates = [v for k in tpl.venues for v in venues_by_kind.get(k, ())]
        if not candidates:
            candidates = [v for k in _VENUE_FALLBACK for v in venues_by_kind.get(k, ())] or orgs
        venue = candidates[int(rng.integers(len(candidates)))]
        r = rng.random()
        status = "active" if r < 0.85 else ("at_risk" if r < 0.96 else "closed")
        cost = tpl.cost
        if cost == "free" and rng.random() < 0.15:
            cost = "low"
        elif cost == "low" and rng.random() < 0.1:
            cost = "paid"
        access = sorted(a for a, p in _ACCESS_P.items() if rng.random() < p)
        if "carer_support" in tpl.needs and "carer_welcome" not in access:
            access = sorted([*access, "carer_welcome"])
        props = {"activities": sorted(tpl.activities), "needs": sorted(tpl.needs), "cost": cost,
                 "access": access, "capacity": int(rng.integers(12, 61)), "status": status,
                 "schedule": _schedule(rng), "venue": venue.id, "peer_support": tpl.peer,
                 "synthetic": True}
        node = Node(f"group:syn:{g + 1:05d}", vocab.GROUP, f"{venue.name} {tpl.label}",
                    venue.area, venue.lat, venue.lon, props)
        groups.append(node)
        prov.ties.append(_tie(venue.id, node.id, "RUNS"))
        if tpl.runner and rng.random() < 0.5:
            pool = runners[tpl.runner]
            runner = pool[int(rng.integers(len(pool)))]
            if runner.id != venue.id:
                prov.ties.append(_tie(runner.id, node.id, "RUNS"))
    prov.nodes.extend(groups)

    for node in [n for n in assets if n.kind == vocab.GROUP and _located(n)] + groups:
        status = node.props.get("status") or "active"
        capacity = node.props.get("capacity")
        capacity = int(capacity) if isinstance(capacity, int | float) and capacity > 0 else 60
        prov.add_target(node, group=True, is_open=status != "closed", capacity=capacity,
                        peer=bool(node.props.get("peer_support")))
    for org in orgs:
        if org.props.get("org_kind") in _VOLUNTEER_ORG_KINDS:
            prov.add_target(org, group=False, is_open=org.props.get("status") != "closed",
                            capacity=0, peer=False)

    # Practitioners: GPs and nurses at real GP practices; link workers at practices and hubs;
    # local area coordinators at hubs; social workers at the council team; personal assistants
    # with the home-support micro-enterprises.
    practices = sorted((o for o in orgs if o.props.get("org_kind") == "gp_practice"),
                       key=lambda o: o.id)
    practitioners: list[tuple[str, Node]] = []
    for practice in practices:
        patients = practice.props.get("registered_patients")
        patients = float(patients) if isinstance(patients, int | float) and patients > 0 else 5000.0
        prov.gp_ids.append(practice.id)
        prov.gp_lat.append(float(practice.lat))  # type: ignore[arg-type]
        prov.gp_lon.append(float(practice.lon))  # type: ignore[arg-type]
        prov.gp_patients.append(patients)
        # About one GP per ~2,300 patients in England (NHS Digital GP workforce): shown at
        # one in three (a coordinator sees a few named GPs, not the whole rota).
        for _ in range(int(min(4, max(1, round(patients / 7000))))):
            practitioners.append(("gp", practice))
        practitioners.append(("nurse", practice))
    by_patients = [practices[i] for i in sorted(range(len(practices)),
                                                key=lambda i: (-prov.gp_patients[i], i))]
    n_link = int(min(500, max(4, people // 2000)))
    n_lac = int(min(250, max(3, people // 4000)))
    for i in range(n_link):
        if by_patients and i % 3 != 2:
            practitioners.append(("link_worker", by_patients[i % len(by_patients)]))
        else:
            practitioners.append(("link_worker", hubs[i % len(hubs)]))
    for i in range(n_lac):
        practitioners.append(("local_area_coordinator", hubs[i % len(hubs)]))
    asc = by_id["org:syn:adult-social-care"]
    for _ in range(int(min(300, max(3, people // 3000)))):
        practitioners.append(("social_worker", asc))
    for i in range(int(min(2000, max(4, people // 500)))):
        practitioners.append(("personal_assistant",
                              by_id[prov.home_support[i % len(prov.home_support)]]))
    for k, (role, place) in enumerate(practitioners):
        pid = f"practitioner:s{k + 1:05d}"
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        initial = SURNAME_INITIALS[int(rng.integers(len(SURNAME_INITIALS)))]
        name = f"Dr {first} {initial}." if role == "gp" else f"{first} {initial}."
        prov.nodes.append(Node(pid, vocab.PRACTITIONER, name, place.area, place.lat, place.lon,
                               {"role": role, "synthetic": True}))
        prov.ties.append(_tie(pid, place.id, "WORKS_AT"))
        if role in ("link_worker", "local_area_coordinator"):
            prov.connector_ids.append(pid)
            prov.connector_lat.append(float(place.lat))  # type: ignore[arg-type]
            prov.connector_lon.append(float(place.lon))  # type: ignore[arg-type]
        elif role == "social_worker":
            prov.social_workers.append(pid)
        elif role == "personal_assistant":
            prov.assistants.append(pid)
    return prov


# --- people ------------------------------------------------------------------------------------

class _Reservoir:
    """A fixed-size uniform sample of earlier (non-isolated) people, by Algorithm R."""

    def __init__(self, size: int):
        self.size = size
        self.seen = 0
        self.ids: list[str] = []
        self.lat = np.zeros(size)
        self.lon = np.zeros(size)
        self.needy = np.zeros(size, dtype=bool)

    def __len__(self) -> int:
        return len(self.ids)

    def offer(self, rng: np.random.Generator, pid: str, lat: float, lon: float,
              needy: bool) -> None:
        if len(self.ids) < self.size:
            slot = len(self.ids)
            self.ids.append(pid)
        else:
            slot = int(rng.integers(self.seen + 1))
            if slot >= self.size:
                self.seen += 1
                return
            self.ids[slot] = pid
        self.lat[slot], self.lon[slot], self.needy[slot] = lat, lon, needy
        self.seen += 1


@dataclass
class _State:
    """What carries from one LSOA to the next (all bounded in size)."""

    prov: _Provision
    t_lat: np.ndarray
    t_lon: np.ndarray
    t_feat: np.ndarray
    t_open: np.ndarray
    t_group: np.ndarray
    remaining: np.ndarray
    peers: dict[int, list[str]]
    reservoir: _Reservoir
    next_person: int = 0


def _by_feature(t_feat: np.ndarray, decay: np.ndarray, mask: np.ndarray
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per interest/need column: the targets in ``mask`` within reach offering it, and the
    cumulative distance-decay weights to draw one of them."""
    out = []
    ok = mask & (decay > 0)
    for f in range(t_feat.shape[1]):
        idx = np.flatnonzero(ok & (t_feat[:, f] > 0))
        out.append((idx, np.cumsum(decay[idx])))
    return out


def _ucla3(rng: np.random.Generator, lonely: int) -> int:
    """A UCLA 3-item score (3..9) consistent with the direct loneliness answer."""
    low = (7, 6, 5, 4, 3)[lonely]
    return int(min(9, low + int(rng.integers(0, 3))))


def _people_in_lsoa(state: _State, lsoa: str, n: int, carer_p: np.ndarray, dis_cut: np.ndarray,
                    health_cut: np.ndarray, pcs_lat: np.ndarray, pcs_lon: np.ndarray,
                    pcs_code: np.ndarray, rng: np.random.Generator,
                    age_p: np.ndarray | None = None) -> tuple[list[Node], list[Tie]]:
    """Generate ``n`` people living in ``lsoa`` and every tie they start (``age_p``: the
    LSOA's adult age-band shares, national shares if not given)."""
    prov, res = state.prov, state.reservoir
    ids = [f"person:s{state.next_person + i + 1:07d}" for i in range(n)]
    state.next_person += n

    # Attributes, vectorised. Latent "frailty" correlated with age feeds disability and health
    # through the ward's census cut points (so the ward marginals hold); loneliness leans on it.
    age = _pick(rng, np.cumsum(AGE_SHARES if age_p is None else age_p), n)
    carer = _pick(rng, np.cumsum(carer_p), n)
    common = 0.55 * _AGE_Z[age] + math.sqrt(1 - 0.55 ** 2) * rng.standard_normal(n)
    spread = math.sqrt(1 - 0.85 ** 2)
    dis = np.searchsorted(dis_cut, 0.85 * common + spread * rng.standard_normal(n))
    hl = 0.85 * common + spread * rng.standard_normal(n)
    health = np.searchsorted(health_cut, hl)
    lonely_latent = 0.4 * hl + math.sqrt(1 - 0.16) * rng.standard_normal(n)
    # vocab.LONELINESS runs often_always -> never; latent high = lonelier.
    lonely = 4 - np.searchsorted(_LONELY_CUT, lonely_latent)
    old = np.isin(age, _OLD)
    very_old = age >= 5
    bad_health = health >= 3

    u = rng.random((n, 8))
    volunteer = u[:, 0] < VOLUNTEER_RATE * np.where(health >= 3, 0.4, 1.0)
    isolated = ((carer == 0) & ~volunteer
                & (u[:, 1] < np.asarray(ISOLATED_BY_LONELY)[lonely] * np.where(very_old, 1.5, 1)))
    # "Thin" networks: people who live alone with exactly one community tie of their own (a
    # friend, a relative elsewhere or one group), so the analysis finds people "at risk".
    thin = ((carer == 0) & ~volunteer & ~isolated
            & (rng.random(n) < np.asarray(THIN_BY_LONELY)[lonely]))
    peer_supporter = ~isolated & (u[:, 2] < 0.02 + 0.03 * (dis > 0))
    expert = ~isolated & (u[:, 3] < 0.005 + 0.02 * (dis > 0))
    shared_lives_carer = ~isolated & (age >= 2) & (u[:, 4] < 0.0008)
    consent_suggest = u[:, 5] < 0.9
    consent_map = u[:, 6] < 0.85
    has_ucla = u[:, 7] < 0.35

    # Needs (probabilities are modelling choices; see module notes).
    pn = np.zeros((n, _N_NEED))
    pn[:, _NI["loneliness"]] = np.asarray((0.9, 0.5, 0.05, 0.02, 0.01))[lonely]
    pn[:, _NI["carer_support"]] = np.asarray((0.0, 0.3, 0.5, 0.75, 0.9))[carer]
    # ~1 in 6 adults has a common mental health problem (APMS 2014): approximate.
    pn[:, _NI["mental_health"]] = (0.08 + 0.12 * (health == 2) + 0.25 * bad_health
                                   + 0.1 * (lonely <= 1))
    pn[:, _NI["physical_disability"]] = np.asarray((0.0, 0.25, 0.55))[dis]
    pn[:, _NI["long_term_condition"]] = (np.asarray((0.05, 0.08, 0.45, 0.7, 0.7))[health]
                                         + 0.15 * old)
    # Dementia: ~1 in 14 over 65, rising steeply with age (Alzheimer's Society): approximate.
    pn[:, _NI["dementia"]] = np.asarray((0, 0, 0, 0.002, 0.01, 0.04, 0.12))[age]
    # Learning disability known to GPs ~0.5% of adults (NHS Digital QOF): approximate.
    pn[:, _NI["learning_disability"]] = 0.006
    pn[:, _NI["food"]] = 0.02
    pn[:, _NI["money_advice"]] = 0.05
    pn[:, _NI["housing"]] = 0.02
    pn[:, _NI["employment"]] = np.asarray((0.06, 0.06, 0.03, 0.03, 0, 0, 0))[age]
    pn[:, _NI["substance_use"]] = 0.015
    pn[:, _NI["bereavement"]] = 0.02 + 0.03 * old
    pn[:, _NI["older_people"]] = 0.3 * very_old
    pn[:, _NI["young_people"]] = 0.1 * (age == 0)
    pn[:, _NI["physical_activity"]] = 0.1
    pn[:, _NI["health_advice"]] = 0.03
    need = rng.random((n, _N_NEED)) < pn

    # Interests: 1-4 per person, weighted by age band, without replacement (Gumbel top-k).
    k_int = _pick(rng, np.cumsum((0.3, 0.35, 0.2, 0.15)), n) + 1
    keys = _LOG_INTEREST[age] + rng.gumbel(size=(n, _N_INT))
    top = np.argsort(-keys, axis=1)[:, :4]
    interest = np.zeros((n, _N_INT), dtype=bool)
    rows = np.arange(n)
    for j in range(4):
        sel = k_int > j
        interest[rows[sel], top[sel, j]] = True

    budget_p = np.asarray(PERSONAL_BUDGET_BY_DISABILITY)[dis] + 0.3 * need[:, _NI[
        "learning_disability"]]
    personal_budget = rng.random(n) < budget_p

    # Households: isolated people live alone; the rest form households of 1-4 adults, each at
    # one real postcode in the LSOA.
    alone = isolated | thin
    hh = np.full(n, -1, dtype=np.int64)
    order = rng.permutation(n)
    order = order[~alone[order]]
    sizes = _pick(rng, np.cumsum(HOUSEHOLD_ADULTS), max(1, len(order))) + 1
    h = 0
    pos = 0
    members: list[list[int]] = []
    p: int | np.integer[Any]  # a person's row: Python ints here, numpy's from flatnonzero below
    while pos < len(order):
        size = int(sizes[h % len(sizes)])
        chunk = [int(x) for x in order[pos:pos + size]]
        for p in chunk:
            hh[p] = h
        members.append(chunk)
        pos += size
        h += 1
    for p in np.flatnonzero(alone):
        hh[p] = h
        members.append([int(p)])
        h += 1
    hh_pc = rng.integers(len(pcs_code), size=h)
    pc_idx = hh_pc[hh]
    lat, lon = pcs_lat[pc_idx], pcs_lon[pc_idx]
    c_lat, c_lon = float(pcs_lat.mean()), float(pcs_lon.mean())

    ties: list[Tie] = []
    seen: set[tuple[str, str, str]] = set()
    # How often people are in touch and family roles, from a child generator (spawning draws
    # nothing from ``rng``, so every other attribute and tie stays as it was).
    f_rng = rng.spawn(1)[0]
    how_often = {"FRIEND": FRIEND_FREQUENCY, "NEIGHBOUR": NEIGHBOUR_FREQUENCY}

    def frequency(kind: str, relation: str | None) -> str | None:
        words: tuple[str, ...]
        shares: tuple[float, ...]
        if kind == "FAMILY":
            if relation == "household":
                return "daily"
            words, shares = FAMILY_ELSEWHERE_FREQUENCY
        elif kind in how_often:
            words, shares = how_often[kind]
        else:
            return None
        return words[int(_pick(f_rng, np.cumsum(shares)))]

    def add(src: str, dst: str, kind: str, **props: Any) -> bool:
        if src == dst:
            return False
        key = (min(src, dst), max(src, dst), kind) if kind in vocab.SYMMETRIC_TIES \
            else (src, dst, kind)
        if key in seen:
            return False
        seen.add(key)
        if "frequency" not in props and (often := frequency(kind, props.get("relation"))):
            props["frequency"] = often
        ties.append(_tie(src, dst, kind, **props))
        return True

    # People others may tie to: not the isolated, and not the thin (their one tie is their own).
    social = np.flatnonzero(~alone)
    # Reservoir weights: distance decay from this LSOA (family and friends mostly live near).
    if len(res):
        d_res = _km(c_lat, c_lon, res.lat[:len(res)], res.lon[:len(res)])
        near_cum = np.cumsum(np.exp(-d_res / 2.0))
        needy_cum = np.cumsum(1.0 + 9.0 * res.needy[:len(res)])
    else:
        near_cum = needy_cum = np.zeros(0)

    # FAMILY within households, and some family elsewhere (from the reservoir).
    for group in members:
        couple = len(group) == 2 and f_rng.random() < HOUSEHOLD_COUPLE
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if couple:
                    add(ids[a], ids[b], "FAMILY", relation="household", role="spouse")
                else:
                    add(ids[a], ids[b], "FAMILY", relation="household")
    if len(res):
        for p in social[rng.random(len(social)) < FAMILY_ELSEWHERE_RATE]:
            add(ids[p], res.ids[int(_pick(rng, near_cum))], "FAMILY", relation="elsewhere")

    # The one tie of each thin-network person: a group (40%), a friend here (35%), or family.
    thin_kind = rng.random(n)
    thin_group = thin & (thin_kind < 0.4)
    for p in np.flatnonzero(thin & ~thin_group):
        if (thin_kind[p] < 0.75 or not len(res)) and len(social):
            add(ids[p], ids[int(social[int(rng.integers(len(social)))])], "FRIEND")
        elif len(res):
            add(ids[p], res.ids[int(_pick(rng, near_cum))], "FAMILY", relation="elsewhere")

    # NEIGHBOUR: someone at the same postcode if there is one, else elsewhere in the LSOA.
    if len(social) > 1:
        by_pc: dict[int, list[int]] = {}
        for p in social:
            by_pc.setdefault(int(pc_idx[p]), []).append(int(p))
        for p in social[rng.random(len(social)) < NEIGHBOUR_RATE]:
            same = [q for q in by_pc[int(pc_idx[p])] if hh[q] != hh[p]]
            pool = same if same else social
            q = int(pool[int(rng.integers(len(pool)))])
            if hh[q] != hh[p]:
                add(ids[p], ids[q], "NEIGHBOUR")

    # FRIEND: Poisson by loneliness; 75% in the LSOA, the rest nearby earlier people.
    n_friends = rng.poisson(np.asarray(FRIENDS_BY_LONELY)[lonely])
    for p in social:
        for _ in range(int(n_friends[p])):
            if len(res) and rng.random() < 0.25:
                add(ids[p], res.ids[int(_pick(rng, near_cum))], "FRIEND")
            elif len(social) > 1:
                q = int(social[int(rng.integers(len(social)))])
                if hh[q] != hh[p]:
                    add(ids[p], ids[q], "FRIEND")

    # CARES_FOR: each carer cares for one person: the neediest other member of their household
    # (about half, when someone there is disabled, in fair or poor health or 75+), else an
    # earlier person elsewhere, ten times as likely to be one of those (and usually family).
    # Two carers in one household can share a cared-for person.
    need_score = dis * 2 + np.maximum(health - 1, 0) + (age >= 5)
    for p in np.flatnonzero(carer > 0):
        band = vocab.CARER_HOURS[int(carer[p])]
        others = [q for q in members[hh[p]] if q != p]
        target = None
        scores = [(int(need_score[q]), float(rng.random()), q) for q in others]
        if (scores and max(scores)[0] > 0
                and rng.random() < CARE_IN_HOUSEHOLD + 0.2 * (carer[p] >= 3)):
            target = ids[max(scores)[2]]
        elif len(res):
            target = res.ids[int(_pick(rng, needy_cum))]
            if rng.random() < 0.8:
                add(ids[p], target, "FAMILY", relation="elsewhere")
        elif others:
            target = ids[others[0]]
        if target is not None:
            add(ids[p], target, "CARES_FOR", hours=band)

    # Groups: each choice starts from one of the person's interests or needs (needs weigh 1.5)
    # and picks a target offering it, with probability falling with distance from the LSOA
    # (exp(-d / 1.2 km), none beyond 8 km); closed groups and full groups are never picked.
    # O(1) per person, so the cost does not grow with the number of groups.
    feat = np.concatenate([interest, need], axis=1)
    d_t = _km(c_lat, c_lon, state.t_lat, state.t_lon)
    decay = np.exp(-d_t / 1.2) * (d_t < 8.0)
    group_mask = state.t_group & state.t_open
    attend_by = _by_feature(state.t_feat, decay, group_mask)
    volunteer_by = _by_feature(state.t_feat, decay, state.t_open)
    reach = np.flatnonzero(state.t_open & (decay > 0))
    reach_cum = np.cumsum(decay[reach])
    attend_p = ATTEND_RATE * np.where(lonely == 0, 0.6, 1.0) * ~alone
    wants = (rng.random(n) < attend_p) | thin_group
    how_many = np.where((rng.random(n) < 0.25) & ~thin, 2, 1)
    volunteering = volunteer & (rng.random(n) < 0.7)
    attends: dict[int, list[int]] = {}
    volunteers_at: dict[int, int] = {}
    for p in np.flatnonzero(wants | volunteering):
        motives = [f for f in np.flatnonzero(feat[p]) if len(attend_by[f][0])]
        if wants[p] and motives:
            m_cum = np.cumsum(_FEATURE_W[motives])
            chosen: list[int] = []
            for _ in range(3 * int(how_many[p])):  # a few tries: groups fill up
                idx, cum = attend_by[motives[int(_pick(rng, m_cum))]]
                t = int(idx[int(_pick(rng, cum))])
                if t not in chosen and state.remaining[t] > 0:
                    chosen.append(t)
                    state.remaining[t] -= 1
                    if len(chosen) == how_many[p]:
                        break
            if chosen:
                attends[int(p)] = chosen
        if volunteering[p]:
            motives = [f for f in np.flatnonzero(feat[p]) if len(volunteer_by[f][0])]
            if motives and rng.random() < 0.6:
                idx, cum = volunteer_by[motives[int(rng.integers(len(motives)))]]
                volunteers_at[int(p)] = int(idx[int(_pick(rng, cum))])
            elif len(reach):
                volunteers_at[int(p)] = int(reach[int(_pick(rng, reach_cum))])
    t_ids = prov.t_ids
    for p, chosen in attends.items():
        for t in chosen:
            add(ids[p], t_ids[t], "ATTENDS", frequency="weekly" if rng.random() < 0.6
                else "monthly")
            if prov.t_peer[t] and not thin[p]:
                earlier = state.peers.setdefault(t, [])
                for j in rng.permutation(len(earlier))[:2]:
                    add(ids[p], earlier[int(j)], "PEER", via=t_ids[t])  # met at this group
                earlier.append(ids[p])
    for p in np.flatnonzero(thin_group):
        if int(p) not in attends and len(social):  # no group fits them: a friend instead
            add(ids[p], ids[int(social[int(rng.integers(len(social)))])], "FRIEND")
    for p, t in volunteers_at.items():
        add(ids[p], t_ids[t], "VOLUNTEERS_AT")

    # Professional ties. GP: nearest practices weighted by list size (distance decay).
    gp_p = GP_RECORDED + 0.2 * ((dis > 0) | (health >= 2)) + 0.1 * old
    gp_p = np.where(isolated, 0.5, np.minimum(gp_p, 0.97))
    if prov.gp_ids:
        d_gp = _km(c_lat, c_lon, np.asarray(prov.gp_lat), np.asarray(prov.gp_lon))
        gp_cum = np.cumsum(np.asarray(prov.gp_patients) * np.exp(-d_gp / 1.5))
        for p in np.flatnonzero(rng.random(n) < gp_p):
            add(ids[p], prov.gp_ids[int(_pick(rng, gp_cum))], "SUPPORTED_BY", since_year=int(
                2000 + rng.integers(0, 26)))
    # Link worker / local area coordinator: more likely if lonely, disabled, a heavy carer.
    conn_p = (0.01 + 0.12 * (lonely == 0) + 0.05 * (lonely == 1) + 0.04 * (dis == 2)
              + 0.03 * (carer == 4) + 0.05 * isolated)
    d_c = _km(c_lat, c_lon, np.asarray(prov.connector_lat), np.asarray(prov.connector_lon))
    conn_cum = np.cumsum(np.exp(-d_c / 2.0))
    connected: np.ndarray | list[int] = (np.flatnonzero(rng.random(n) < conn_p)
                                         if prov.connector_ids else [])
    outcomes = tuple(REFERRAL_OUTCOMES)
    out_cum = np.cumsum(tuple(REFERRAL_OUTCOMES.values()))
    for p in connected:
        worker = prov.connector_ids[int(_pick(rng, conn_cum))]
        add(ids[p], worker, "SUPPORTED_BY")
        # A referral to a group meeting one of their needs, nearby (link workers refer on need).
        motives = [f for f in _N_INT + np.flatnonzero(need[p]) if len(attend_by[f][0])]
        if rng.random() < 0.7 and motives:
            idx, cum = attend_by[motives[int(rng.integers(len(motives)))]]
            t = int(idx[int(_pick(rng, cum))])
            status = outcomes[int(_pick(rng, out_cum))]
            if status == "attended" and (isolated[p] or state.remaining[t] <= 0):
                status = "referred"  # the isolated have not gone (yet); a full group waits
            day = _dt.date(2024, 1, 1) + _dt.timedelta(days=int(rng.integers(0, 670)))
            add(ids[p], t_ids[t], "REFERRED_TO", status=status, date=day.isoformat(), by=worker)
            if status == "attended" and add(ids[p], t_ids[t], "ATTENDS", frequency="weekly",
                                            via="referral"):
                state.remaining[t] -= 1
    # Carers' centre support for some carers (heavier caring, more likely).
    if prov.carers_centre:
        for p in np.flatnonzero((carer > 0) & (rng.random(n) < 0.04 + 0.06 * (carer >= 3))):
            add(ids[p], prov.carers_centre, "SUPPORTED_BY")
    # Social worker and paid support for some disabled people (modelling choice).
    for p in np.flatnonzero((dis == 2) & (rng.random(n) < 0.06)):
        if prov.social_workers:
            add(ids[p], prov.social_workers[int(rng.integers(len(prov.social_workers)))],
                "SUPPORTED_BY")
    paid = np.flatnonzero(rng.random(n) < np.asarray((0.0, 0.03, 0.15))[dis])
    for p in paid:
        if personal_budget[p] and prov.assistants:
            add(ids[p], prov.assistants[int(rng.integers(len(prov.assistants)))], "PAID_SUPPORT",
                funded_by="direct_payment")
        elif prov.home_support:
            add(ids[p], prov.home_support[int(rng.integers(len(prov.home_support)))],
                "PAID_SUPPORT", funded_by="council")
    # Shared Lives: a carer works with the scheme and supports one disabled person nearby.
    for p in np.flatnonzero(shared_lives_carer):
        if prov.shared_lives:
            add(ids[p], prov.shared_lives, "WORKS_AT")
        cand = np.flatnonzero(((dis == 2) | need[:, _NI["learning_disability"]])
                              & (np.arange(n) != p))
        if len(cand):
            add(ids[int(cand[int(rng.integers(len(cand)))])], ids[p], "SHARED_LIVES")

    # Nodes.
    first = rng.integers(len(FIRST_NAMES), size=n)
    initial = rng.integers(len(SURNAME_INITIALS), size=n)
    goal_pick = rng.random((n, 2))
    nodes: list[Node] = []
    for p in range(n):
        roles = []
        if carer[p] > 0:
            roles.append("carer")
        if expert[p]:
            roles.append("expert_by_experience")
        if peer_supporter[p]:
            roles.append("peer_supporter")
        if shared_lives_carer[p]:
            roles.append("shared_lives_carer")
        if volunteer[p]:
            roles.append("volunteer")
        needs = [_NEEDS[j] for j in np.flatnonzero(need[p])]
        interests = [_INTERESTS[j] for j in np.flatnonzero(interest[p])]
        options = [g for nd in needs for g in _GOALS.get(nd, ())]
        options += [f"find a {vocab.label(i)} group nearby" for i in interests[:1]]
        goals = sorted({options[int(goal_pick[p, j] * len(options))]
                        for j in range(1 if len(options) < 3 else 2)})
        props: dict[str, Any] = {
            "synthetic": True,
            "postcode": str(pcs_code[pc_idx[p]]),
            "age_band": vocab.AGE_BANDS[int(age[p])],
            "carer_hours": vocab.CARER_HOURS[int(carer[p])],
            "disability": vocab.DISABILITY[int(dis[p])],
            "health": vocab.HEALTH[int(health[p])],
            "lonely": vocab.LONELINESS[int(lonely[p])],
            "roles": roles,
            "interests": interests,
            "needs": needs,
            "goals": goals,
            "personal_budget": bool(personal_budget[p]),
            "consent": {"suggest": bool(consent_suggest[p]), "map": bool(consent_map[p])},
        }
        if has_ucla[p]:
            props["ucla3"] = _ucla3(rng, int(lonely[p]))
        name = f"{FIRST_NAMES[int(first[p])]} {SURNAME_INITIALS[int(initial[p])]}."
        nodes.append(Node(ids[p], vocab.PERSON, name, lsoa, float(lat[p]), float(lon[p]), props))

    # Offer this LSOA's connected people to the reservoir for later LSOAs.
    needy = (dis > 0) | (health >= 3) | (age >= 5)
    for p in social:
        res.offer(rng, ids[p], float(lat[p]), float(lon[p]), bool(needy[p]))
    return nodes, ties


_AGE_Z = _age_z()
# Latent cut points for loneliness, ordered never -> often_always (latent high = lonelier).
_FEATURE_W = np.array([1.0] * _N_INT + [1.5] * _N_NEED)
_LONELY_CUT = _thresholds(np.asarray(LONELY_SHARES[::-1]))
_LOG_INTEREST = np.log(np.array([
    [_INTEREST_WEIGHT[i] * (_YOUNG_X.get(i, 1.0) if a <= 1 else
                            _OLD_X.get(i, 1.0) if a >= 4 else 1.0) for i in _INTERESTS]
    for a in range(len(vocab.AGE_BANDS))]))


def generate(people: int, seed: int = 2021) -> Iterator[tuple[list[Node], list[Tie]]]:
    """Stream the Trafford demo area as (nodes, ties) batches: real areas and assets first, then
    synthetic provision, then ``people`` synthetic adults LSOA by LSOA (same seed, same output).

    Every tie in a batch names only nodes of that batch or of earlier batches.
    """
    if (isinstance(people, bool) or not isinstance(people, numbers.Integral)
            or not 0 <= people <= MAX_PEOPLE):
        raise ValueError(f"people must be a whole number from 0 to {MAX_PEOPLE:,}.")
    people = int(people)
    tables = census.load()
    pcs = trafford.postcodes()
    area_nodes = trafford.area_nodes()
    assets, asset_ties = trafford.asset_nodes()
    yield list(area_nodes) + list(assets), list(asset_ties)

    rng = np.random.default_rng([seed, 0])
    prov = _provision(people, rng, assets, pcs)
    yield prov.nodes, prov.ties

    lsoa_ids = {n.id for n in area_nodes if n.props.get("level") == "lsoa"}
    by_lsoa = {code: frame for code, frame in pcs.groupby("lsoa_code", sort=True)}
    # People per 2022 ward as the census counts them; LSOAs by their adults within each ward.
    adults = tables.adult_population()
    codes = [c for c in adults.index if c in by_lsoa and c in lsoa_ids]
    weights = census.ward_weighted(adults.loc[codes], tables.lsoa_ward, tables.ward_population)
    counts = _apportion(weights.loc[codes].to_numpy(), people)
    age_p = tables.adult_age_shares()
    adult_dis = tables.adult_shares("disability")
    adult_health = tables.adult_shares("health")
    t_feat = np.vstack(prov.t_feat) if prov.t_feat else np.zeros((0, _N_INT + _N_NEED))
    state = _State(
        prov=prov, t_lat=np.asarray(prov.t_lat), t_lon=np.asarray(prov.t_lon),
        t_feat=t_feat.astype(np.float32), t_open=np.asarray(prov.t_open, dtype=bool),
        t_group=np.asarray(prov.t_group, dtype=bool),
        remaining=np.asarray(prov.t_capacity, dtype=np.int64), peers={},
        reservoir=_Reservoir(RESERVOIR_SIZE))
    for i, (code, n) in enumerate(zip(codes, counts, strict=True)):
        if n == 0:
            continue
        pc = by_lsoa[code]
        lsoa_rng = np.random.default_rng([seed, 1, i])
        people_nodes, people_ties = _people_in_lsoa(
            state, code, int(n), tables.carer_hours.loc[code, list(vocab.CARER_HOURS)].to_numpy(),
            _thresholds(adult_dis.loc[code, list(vocab.DISABILITY)].to_numpy()),
            _thresholds(adult_health.loc[code, list(vocab.HEALTH)].to_numpy()),
            pc["lat"].to_numpy(dtype=float), pc["lon"].to_numpy(dtype=float),
            pc["postcode"].to_numpy(dtype=str), lsoa_rng,
            age_p.loc[code, list(vocab.AGE_BANDS)].to_numpy())
        _budget_kinds(people_nodes, np.random.default_rng([seed, 17, i]))
        yield people_nodes, people_ties


def _budget_kinds(nodes: list[Node], rng: np.random.Generator) -> None:
    """Give each budget holder a ``budget_kind`` from its own random stream (issue 17), so
    every other draw of the demo is unchanged."""
    cum = np.cumsum(BUDGET_KIND_SHARES)
    for node in nodes:
        if node.kind == vocab.PERSON and node.props.get("personal_budget") is True:
            node.props["budget_kind"] = vocab.BUDGET_KINDS[int(_pick(rng, cum))]


def populate(store: GraphStore, people: int, seed: int = 2021,
             batch_size: int = 5000) -> dict[str, int]:
    """Write the demo area with ``people`` synthetic people into ``store`` in ONE transaction
    (a failure leaves the store as it was); return how many records of each kind were written.

    Keys are node kinds ("Person", "Group", ...) and tie kinds ("FRIEND", "ATTENDS", ...).
    """
    counts: Counter[str] = Counter()
    nodes_buf: list[Node] = []
    ties_buf: list[Tie] = []

    def flush() -> None:
        if nodes_buf:
            store.upsert_nodes(nodes_buf)
        if ties_buf:
            store.upsert_ties(ties_buf)
        nodes_buf.clear()
        ties_buf.clear()

    with store.transaction():
        for nodes, ties in generate(people, seed):
            nodes_buf.extend(nodes)
            ties_buf.extend(ties)
            counts.update(n.kind for n in nodes)
            counts.update(t.kind for t in ties)
            if len(nodes_buf) + len(ties_buf) >= batch_size:
                flush()
        flush()
    return dict(sorted(counts.items()))
