"""Every word assetmap uses for people, ties, needs and interests, in one place.

Node kinds, tie kinds (with their class), roles, interests, needs and organisation kinds live
here, so that the stores, the importers, the analysis and the UI speak one language. Cypher
labels and relationship types are taken only from these allow-lists, never from user input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# --- Node kinds -----------------------------------------------------------------------------

PERSON = "Person"
GROUP = "Group"
ORGANISATION = "Organisation"
PRACTITIONER = "Practitioner"
AREA = "Area"

NODE_KINDS: tuple[str, ...] = (PERSON, GROUP, ORGANISATION, PRACTITIONER, AREA)
#: Groups and organisations: the public side of the map, drawn where they are.
ASSET_KINDS: frozenset[str] = frozenset({GROUP, ORGANISATION})

# --- Tie kinds and their class ----------------------------------------------------------------

COMMUNITY = "community"
PROFESSIONAL = "professional"
REFERRAL = "referral"
ORGANISATIONAL = "organisational"
TIE_CLASSES: tuple[str, ...] = (COMMUNITY, PROFESSIONAL, REFERRAL, ORGANISATIONAL)

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
    "SHARED_LIVES": PROFESSIONAL,
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
