"""Every word assetmap uses for people, ties, needs and interests, in one place.

Node kinds, tie kinds (with their class), roles, interests, needs and organisation kinds live
here, so that the stores, the importers, the analysis and the UI speak one language. Cypher
labels and relationship types are taken only from these allow-lists, never from user input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# --- Node kinds -----------------------------------------------------------------------------

PERSON = "Person"
GROUP = "Group"
ORGANISATION = "Organisation"
PRACTITIONER = "Practitioner"
AREA = "Area"
#: Where imported data came from and its licence (one record per source; shown as attribution).
SOURCE = "Source"

NODE_KINDS: tuple[str, ...] = (PERSON, GROUP, ORGANISATION, PRACTITIONER, AREA, SOURCE)
#: Groups and organisations: the public side of the map, drawn where they are.
ASSET_KINDS: frozenset[str] = frozenset({GROUP, ORGANISATION})

# --- Tie kinds and their class ----------------------------------------------------------------

COMMUNITY = "community"
PROFESSIONAL = "professional"
REFERRAL = "referral"
ORGANISATIONAL = "organisational"
#: A Shared Lives arrangement: paid, but lived in the carer's own home, "sharing their own
#: homes, family and community life" (the seed); counted with community ties for isolation
#: while ``ASSETMAP_SHARED_LIVES_COUNTS_AS_COMMUNITY`` is on (the default), else as a service.
SHARED_LIFE = "shared life"
TIE_CLASSES: tuple[str, ...] = (COMMUNITY, PROFESSIONAL, REFERRAL, ORGANISATIONAL, SHARED_LIFE)

#: Tie kind -> class, exactly as in DESIGN.md.
TIE_KINDS: dict[str, str] = {
    # natural, unpaid connections: "a life"
    "FAMILY": COMMUNITY,
    "FRIEND": COMMUNITY,
    "NEIGHBOUR": COMMUNITY,
    "PEER": COMMUNITY,
    "CARES_FOR": COMMUNITY,
    "ATTENDS": COMMUNITY,
    "VOLUNTEERS_AT": COMMUNITY,
    # paid or clinical relationships: "a service"
    "SUPPORTED_BY": PROFESSIONAL,
    "PAID_SUPPORT": PROFESSIONAL,
    "SHARED_LIVES": SHARED_LIFE,
    # the social prescribing record
    "REFERRED_TO": REFERRAL,
    # the provision side
    "RUNS": ORGANISATIONAL,
    "WORKS_AT": ORGANISATIONAL,
    "PARTNERS_WITH": ORGANISATIONAL,
    "IN_AREA": ORGANISATIONAL,
}

#: Ties that mean the same thing in both directions (stored once, read both ways).
SYMMETRIC_TIES: frozenset[str] = frozenset(
    {"FAMILY", "FRIEND", "NEIGHBOUR", "PEER", "PARTNERS_WITH"}
)

#: Which node kinds each tie may join: (allowed source kinds, allowed target kinds).
TIE_ENDPOINTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "FAMILY": (frozenset({PERSON}), frozenset({PERSON})),
    "FRIEND": (frozenset({PERSON}), frozenset({PERSON})),
    "NEIGHBOUR": (frozenset({PERSON}), frozenset({PERSON})),
    "PEER": (frozenset({PERSON}), frozenset({PERSON})),
    "CARES_FOR": (frozenset({PERSON}), frozenset({PERSON})),
    "ATTENDS": (frozenset({PERSON}), frozenset({GROUP, ORGANISATION})),
    "VOLUNTEERS_AT": (frozenset({PERSON}), frozenset({GROUP, ORGANISATION})),
    "SUPPORTED_BY": (frozenset({PERSON}), frozenset({PRACTITIONER, ORGANISATION})),
    "PAID_SUPPORT": (frozenset({PERSON}), frozenset({PERSON, PRACTITIONER, ORGANISATION})),
    "SHARED_LIVES": (frozenset({PERSON}), frozenset({PERSON, ORGANISATION})),
    "REFERRED_TO": (frozenset({PERSON}), frozenset({GROUP, ORGANISATION, PRACTITIONER})),
    "RUNS": (frozenset({PERSON, ORGANISATION}), frozenset({GROUP})),
    "WORKS_AT": (frozenset({PRACTITIONER, PERSON}), frozenset({ORGANISATION, GROUP})),
    "PARTNERS_WITH": (frozenset({ORGANISATION, GROUP}), frozenset({ORGANISATION, GROUP})),
    "IN_AREA": (frozenset({GROUP, ORGANISATION, PRACTITIONER, AREA}), frozenset({AREA})),
}

REFERRAL_STATUSES: tuple[str, ...] = ("suggested", "referred", "attended", "declined")

#: How often the two ends of a tie are in touch (a tie's ``frequency``), as days between
#: contacts; the social-network scales (graph/analysis/scales.py) count contact by these.
FREQUENCY_DAYS: dict[str, float] = {
    "daily": 1, "several_times_a_week": 3, "weekly": 7, "fortnightly": 14, "monthly": 30,
    "less_often": 91,
    "every_few_months": 91, "quarterly": 91, "few_times_a_year": 91, "yearly": 365,
    "less_than_yearly": 730, "rarely": 730,
}
#: What the other end of a FAMILY tie is to its source (a tie's ``role``; Cohen's SNI roles).
FAMILY_ROLES: tuple[str, ...] = ("spouse", "partner", "parent", "child", "parent_in_law",
                                 "sibling", "grandparent", "grandchild", "other")


def tie_class(kind: str) -> str:
    """The class (community / professional / referral / organisational) of a tie kind."""
    return TIE_KINDS[kind]


# --- People ----------------------------------------------------------------------------------

#: Roles a person may hold (besides being someone a coordinator supports).
PERSON_ROLES: tuple[str, ...] = (
    "carer",  # unpaid family carer
    "shared_lives_carer",
    "peer_supporter",
    "expert_by_experience",
    "volunteer",
)

#: What a family carer may have in place (a carer's ``carer_supports`` prop; the seeds on carers
#: ask for training, equipment, medical know-how and emergency back-up, and breaks): see
#: graph/analysis/carer_readiness.py.
CARER_SUPPORTS: tuple[str, ...] = ("training", "equipment", "emergency_plan", "respite")
#: Census 2021 bands for unpaid care provided a week.
CARER_HOURS: tuple[str, ...] = ("none", "9_or_less", "10_to_19", "20_to_49", "50_or_more")
#: Census 2021 disability (Equality Act) categories.
DISABILITY: tuple[str, ...] = ("none", "limited_a_little", "limited_a_lot")
#: Census 2021 general health.
HEALTH: tuple[str, ...] = ("very_good", "good", "fair", "bad", "very_bad")
#: ONS direct loneliness question (Community Life Survey): "How often do you feel lonely?"
LONELINESS: tuple[str, ...] = (
    "often_always",
    "some_of_the_time",
    "occasionally",
    "hardly_ever",
    "never",
)
AGE_BANDS: tuple[str, ...] = ("16-24", "25-34", "35-49", "50-64", "65-74", "75-84", "85+")

#: Uses of a person's record that need their consent (direct care does not; see privacy.py).
CONSENT_USES: tuple[str, ...] = ("suggest", "map")

# --- Groups and organisations ------------------------------------------------------------------

GROUP_STATUSES: tuple[str, ...] = ("active", "at_risk", "closed")
FUNDING_STATUSES: tuple[str, ...] = ("stable", "at_risk")
COSTS: tuple[str, ...] = ("free", "low", "paid")
ACCESS_FEATURES: tuple[str, ...] = (
    "step_free",
    "accessible_toilet",
    "hearing_loop",
    "quiet_space",
    "bsl",
    "carer_welcome",
)

ORGANISATION_KINDS: tuple[str, ...] = (
    "ulo",  # user-led organisation
    "charity",
    "social_enterprise",
    "micro_enterprise",
    "gp_practice",
    "council_service",
    "carers_centre",
    "shared_lives_scheme",
    "wellbeing_hub",
    "healthwatch",
    "library",
    "place_of_worship",
    "food_bank",
    "mental_health_service",
    "care_home",
    "pharmacy",
    "leisure_centre",
    "childrens_centre",
    "community_centre",
)

#: Organisation kinds that count as a "hub": a route into the wider system of support.
HUB_KINDS: frozenset[str] = frozenset(
    {"gp_practice", "wellbeing_hub", "council_service", "carers_centre", "mental_health_service"}
)

PRACTITIONER_ROLES: tuple[str, ...] = (
    "gp",
    "nurse",
    "therapist",
    "social_worker",
    "link_worker",  # social prescribing link worker
    "local_area_coordinator",
    "personal_assistant",
)

AREA_LEVELS: tuple[str, ...] = ("lsoa", "msoa", "ward", "locality", "la")

# --- Interests and needs, with synonyms ----------------------------------------------------------

#: Canonical interest -> words people and directories use for it.
INTERESTS: dict[str, tuple[str, ...]] = {
    "walking": ("walk", "walks", "rambling", "ramblers", "hiking", "health walk", "nordic walking"),
    "singing": ("choir", "singing", "sing", "a cappella", "music"),
    "gardening": ("garden", "allotment", "growing", "horticulture", "green gym"),
    "crafts": ("craft", "knitting", "sewing", "crochet", "art", "painting", "pottery"),
    "reading": ("book club", "books", "reading group", "library", "storytelling"),
    "football": ("soccer", "walking football", "five-a-side"),
    "bowls": ("bowling", "crown green", "lawn bowls"),
    "swimming": ("swim", "aqua", "pool"),
    "exercise": ("fitness", "gym", "keep fit", "exercise class", "chair exercise", "yoga",
                 "pilates", "tai chi", "dance", "dancing", "zumba", "sport", "sports"),
    "cricket": ("cricket",),
    "tennis": ("tennis", "badminton", "racquet", "squash", "table tennis"),
    "golf": ("golf",),
    "martial_arts": ("martial arts", "karate", "judo", "taekwondo", "boxing", "kickboxing"),
    "faith": ("church", "mosque", "temple", "synagogue", "gurdwara", "worship", "prayer",
              "faith", "religious"),
    "cooking": ("cook", "cookery", "baking", "lunch club", "food"),
    "men_shed": ("men's shed", "mens shed", "woodwork", "diy", "repair cafe"),
    "coffee_and_chat": ("coffee morning", "cafe", "café", "social", "chat", "friendship",
                        "befriending", "tea"),
    "nature": ("wildlife", "conservation", "park", "parks", "outdoors", "birdwatching"),
    "digital": ("computer", "computers", "digital skills", "internet", "it class"),
    "learning": ("class", "course", "education", "language", "esol", "training"),
    "volunteering": ("volunteer", "volunteering"),
    "games": ("bingo", "chess", "cards", "board games", "quiz"),
}

#: Canonical need -> words people and directories use for it.
NEEDS: dict[str, tuple[str, ...]] = {
    "loneliness": ("lonely", "isolation", "isolated", "social isolation", "befriending",
                   "friendship", "company"),
    "mental_health": ("mental health", "mood", "depression", "anxiety", "wellbeing",
                      "emotional", "counselling", "talking therapy", "stress", "bipolar",
                      "psychosis"),
    "carer_support": ("carer", "carers", "caring", "young carers", "respite", "carers cafe",
                      "carer support", "break"),
    "physical_activity": ("exercise", "activity", "fitness", "sport", "active", "move more"),
    "dementia": ("dementia", "memory", "alzheimer", "alzheimer's", "memory cafe"),
    "learning_disability": ("learning disability", "learning disabilities", "autism",
                            "autistic", "neurodiverse"),
    "physical_disability": ("disability", "disabled", "mobility", "wheelchair", "sensory",
                            "sight loss", "hearing loss", "deaf", "blind"),
    "long_term_condition": ("diabetes", "copd", "heart", "stroke", "arthritis", "cancer",
                            "long-term condition", "pain", "parkinson"),
    "food": ("food bank", "foodbank", "food parcels", "hunger", "meals", "food poverty"),
    "money_advice": ("money", "debt", "benefits", "welfare rights", "financial", "budget"),
    "housing": ("housing", "homeless", "homelessness", "tenancy", "accommodation"),
    "employment": ("job", "jobs", "employment", "work", "cv", "jobcentre", "skills"),
    "substance_use": ("alcohol", "drugs", "addiction", "recovery", "substance"),
    "bereavement": ("bereavement", "grief", "loss", "bereaved"),
    "older_people": ("older people", "elderly", "over 50s", "over 60s", "later life", "age uk"),
    "young_people": ("young people", "youth", "teenagers", "children", "family", "families"),
    "health_advice": ("gp", "doctor", "health check", "nurse", "medical", "pharmacy",
                      "prescription"),
}

_WORD = re.compile(r"[^a-z0-9']+")


def _norm(text: str) -> str:
    return " " + _WORD.sub(" ", text.lower()).strip() + " "


def _compile(vocab: dict[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((canonical, tuple(_norm(w) for w in (canonical.replace("_", " "), *synonyms)))
                 for canonical, synonyms in vocab.items())


_INTEREST_WORDS = _compile(INTERESTS)
_NEED_WORDS = _compile(NEEDS)


def _lookup(compiled: tuple[tuple[str, tuple[str, ...]], ...], text: str) -> set[str]:
    hay = _norm(text)
    return {canonical for canonical, words in compiled if any(w in hay for w in words)}


def interests_in(text: str) -> set[str]:
    """Canonical interests mentioned in free text ("Tuesday rambling group" -> {"walking"})."""
    return _lookup(_INTEREST_WORDS, text)


def needs_in(text: str) -> set[str]:
    """Canonical needs mentioned in free text ("carers' cafe" -> {"carer_support"})."""
    return _lookup(_NEED_WORDS, text)


@lru_cache(maxsize=16_384)
def canonical_interest(word: str) -> str | None:
    """The canonical interest a single word or phrase names, or None if it is not one we know."""
    key = word.strip().lower().replace(" ", "_")
    if key in INTERESTS:
        return key
    found = interests_in(word)
    return sorted(found)[0] if found else None


@lru_cache(maxsize=16_384)
def canonical_need(word: str) -> str | None:
    """The canonical need a single word or phrase names, or None if it is not one we know."""
    key = word.strip().lower().replace(" ", "_")
    if key in NEEDS:
        return key
    found = needs_in(word)
    return sorted(found)[0] if found else None


def canonical_interests(words: Iterable[str]) -> list[str]:
    """Map a list of interest words to canonical names, dropping unknown ones, sorted."""
    return sorted({c for w in words if (c := canonical_interest(w))})


def canonical_needs(words: Iterable[str]) -> list[str]:
    """Map a list of need words to canonical names, dropping unknown ones, sorted."""
    return sorted({c for w in words if (c := canonical_need(w))})


def label(word: str) -> str:
    """A vocabulary word as a person reads it: "carer_support" -> "carer support"."""
    return word.replace("_", " ")


# --- Outcomes and ratings (issue 18) --------------------------------------------------------------

#: Kinds of record kept about a person beside the graph (not nodes or ties; see records.py).
MEASURE = "measure"
GOAL = "goal"
RATING = "rating"
NOTE = "note"  # a dated contact note: free text, sensitive (issue 14; governance/recording.py)
RECORD_KINDS: tuple[str, ...] = (MEASURE, GOAL, RATING, NOTE)

#: Validated scales a coordinator may record (items and scoring in assetmap.measures).
SCALES: tuple[str, ...] = ("ons4", "swemwbs", "ucla3", "lsns6", "mycaw")

#: The Care Act 2014 s.1(2) wellbeing domains, (a) to (i), recorded as goals and outcomes.
CARE_ACT_DOMAINS: dict[str, str] = {
    "personal_dignity": "Personal dignity (including being treated with respect)",
    "health": "Physical and mental health and emotional wellbeing",
    "protection": "Protection from abuse and neglect",
    "control": "Control over day-to-day life (including care and support)",
    "participation": "Participation in work, education, training or recreation",
    "social_economic": "Social and economic wellbeing",
    "relationships": "Domestic, family and personal relationships",
    "accommodation": "Suitability of living accommodation",
    "contribution": "Contribution to society",
}
#: Where a recorded goal has got to.
GOAL_STATUSES: tuple[str, ...] = ("set", "partly_met", "met", "not_met")

#: The structured questions of an expert-by-experience rating, each answered 1 (poor) to 5.
RATING_QUESTIONS: dict[str, str] = {
    "welcoming": "Welcoming",
    "accessible": "Accessible",
    "helpful": "Helpful",
    "would_recommend": "Would recommend",
}
#: Moderation states of a rating's optional comment (only "approved" is ever shown).
COMMENT_STATUSES: tuple[str, ...] = ("none", "pending", "approved", "rejected")


# --- Open Referral term mapping (issue 12) ------------------------------------------------------

#: The vocabulary (ORUK ``taxonomy``) assetmap's own tags are exported under, as codes
#: ``activity:<interest>`` and ``need:<need>``, so a re-import reads them back exactly.
ORUK_VOCABULARY = "assetmap"

#: Words that name a need or interest only when they are in a service's *name*: in free-text
#: descriptions they usually mean something else ("the benefits of baby massage", "a short
#: break", "family fun"), so a description alone never tags with them.
AMBIGUOUS_TEXT_WORDS: frozenset[str] = frozenset({
    "benefits", "budget", "break", "work", "skills", "job", "jobs", "loss", "recovery",
    "memory", "company", "heart", "pain", "active", "activity", "social", "chat", "tea",
    "class", "course", "art", "park", "parks", "family", "families", "children", "food",
    "cook", "music", "sport", "sports", "training", "language", "pool", "games", "cards",
    "money", "financial", "caring", "emotional", "stress", "mood", "medical", "nurse",
})

#: Location accessibility wording -> assetmap access feature.
ACCESS_WORDS: dict[str, tuple[str, ...]] = {
    "step_free": ("step free", "step-free", "wheelchair", "level access", "ramp", "ramped",
                  "lift"),
    "accessible_toilet": ("accessible toilet", "disabled toilet", "changing places",
                          "accessible toilets"),
    "hearing_loop": ("hearing loop", "induction loop", "induction loops", "loop system"),
    "quiet_space": ("quiet space", "quiet room", "sensory room"),
    "bsl": ("bsl", "british sign language", "sign language"),
    "carer_welcome": ("carers welcome", "carer welcome", "carers go free"),
}
_ACCESS_WORDS = _compile(ACCESS_WORDS)


def _phrase_index(compiled: tuple[tuple[str, tuple[str, ...]], ...]
                  ) -> tuple[dict[str, list[str]], int]:
    """normalised phrase -> the canonicals it names (in vocabulary order), and the longest
    phrase in words: one pass over a text's word n-grams then finds every match."""
    index: dict[str, list[str]] = {}
    longest = 1
    for canonical, words in compiled:
        for w in words:
            phrase = w.strip()
            if canonical not in index.setdefault(phrase, []):
                index[phrase].append(canonical)
            longest = max(longest, phrase.count(" ") + 1)
    return index, longest


_INDEXES: dict[int, tuple[dict[str, list[str]], int]] = {}


@lru_cache(maxsize=8_192)
def _found_cached(which: int, text: str, ambiguous: bool) -> tuple[tuple[str, str], ...]:
    compiled = (_INTEREST_WORDS, _NEED_WORDS, _ACCESS_WORDS)[which]
    if which not in _INDEXES:
        _INDEXES[which] = _phrase_index(compiled)
    index, longest = _INDEXES[which]
    tokens = _norm(text).split()
    out: dict[str, str] = {}
    for i in range(len(tokens)):
        for n in range(1, longest + 1):
            if i + n > len(tokens):
                break
            phrase = " ".join(tokens[i:i + n])
            if phrase in index and (ambiguous or phrase not in AMBIGUOUS_TEXT_WORDS):
                for canonical in index[phrase]:
                    out.setdefault(canonical, phrase)
    return tuple(sorted(out.items()))


def _words_found(compiled: tuple[tuple[str, tuple[str, ...]], ...], text: str,
                 skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """canonical -> the first word or phrase of ``text`` (whole words) that named it."""
    which = (_INTEREST_WORDS, _NEED_WORDS, _ACCESS_WORDS).index(compiled)
    return dict(_found_cached(which, text, not skip))


def interests_named(text: str, *, ambiguous: bool = True) -> dict[str, str]:
    """Interests whole words of ``text`` name, each with the word that named it; with
    ``ambiguous=False`` the words in :data:`AMBIGUOUS_TEXT_WORDS` do not count."""
    return _words_found(_INTEREST_WORDS, text, frozenset() if ambiguous else
                        AMBIGUOUS_TEXT_WORDS)


def needs_named(text: str, *, ambiguous: bool = True) -> dict[str, str]:
    """Needs whole words of ``text`` name, each with the word that named it (see
    :func:`interests_named`)."""
    return _words_found(_NEED_WORDS, text, frozenset() if ambiguous else AMBIGUOUS_TEXT_WORDS)


def access_in(text: str) -> list[str]:
    """The access features a location's accessibility text names ("induction loop" ->
    hearing_loop), sorted."""
    return sorted(_words_found(_ACCESS_WORDS, text))


def contact_days(frequency: Any) -> float | None:
    """Days between contacts for a tie's ``frequency`` (a vocabulary word such as "weekly",
    a phrase such as "twice a week" / "every 2 weeks", or a number of days), or None."""
    if frequency is None or frequency == "":
        return None
    if isinstance(frequency, int | float) and not isinstance(frequency, bool):
        return float(frequency) if frequency > 0 and math.isfinite(frequency) else None
    text = str(frequency).strip().lower().replace("-", "_").replace(" ", "_")
    if text in FREQUENCY_DAYS:
        return float(FREQUENCY_DAYS[text])
    words = str(frequency).lower()
    m = re.search(r"(once|twice|\d+)\s*(?:times\s*)?(?:a|per|every)\s*(day|week|fortnight|"
                  r"month|year)", words)
    if m:
        n = {"once": 1, "twice": 2}.get(m.group(1)) or int(m.group(1))
        per = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}[m.group(2)]
        return per / max(n, 1)
    m = re.search(r"every\s*(\d+)?\s*(day|week|fortnight|month|year)s?", words)
    if m:
        per = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}[m.group(2)]
        return per * int(m.group(1) or 1)
    return None


# --- Personal budgets and pooling (issue 17 item 7) -------------------------------------------

#: How a person's personal budget is held: an NHS personal health budget ("phb"), a council
#: social-care direct payment ("direct_payment") or an individual service fund held by a
#: provider for the person ("isb"). NHS and council money answer to different rules (NHS
#: England PHB guidance; Care Act 2014 s.31-33), so pooling only ever groups one kind.
BUDGET_KINDS: tuple[str, ...] = ("phb", "direct_payment", "isb")
BUDGET_KIND_LABELS: dict[str, str] = {"phb": "personal health budget (NHS)",
                                      "direct_payment": "direct payment (social care)",
                                      "isb": "individual service fund",
                                      "unrecorded": "budget type not recorded"}
#: What a pooled group could commission (``pooling_opportunities`` ``could_commission``).
COMMISSION_NEW = "something new"
COMMISSION_STRENGTHEN = "strengthen a group at risk"
COMMISSION_EXISTING = "join what is there"
COMMISSION_KINDS: tuple[str, ...] = (COMMISSION_NEW, COMMISSION_STRENGTHEN, COMMISSION_EXISTING)


def budget_kind(value: Any) -> str | None:
    """A recorded budget type as a :data:`BUDGET_KINDS` word ("Direct payment" ->
    direct_payment, "PHB" -> phb), or None when unrecorded or unknown."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("-", "_").replace(" ", "_")
    text = {"personal_health_budget": "phb", "dp": "direct_payment",
            "direct_payments": "direct_payment", "individual_service_fund": "isb",
            "isf": "isb"}.get(text, text)
    return text if text in BUDGET_KINDS else None


def carer_supports_in(value: Any) -> list[str]:
    """The :data:`CARER_SUPPORTS` words a carer's ``carer_supports`` prop records ("Emergency
    plan" -> emergency_plan), sorted; anything else is ignored."""
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set):
        return []
    return sorted({str(v).strip().lower().replace(" ", "_") for v in value}
                  & set(CARER_SUPPORTS))
