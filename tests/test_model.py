"""Records are validated against the vocabulary with one readable sentence per problem."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.model import Node, Tie, check_endpoints


def test_valid_records_pass():
    Node("person:1", "Person", "Ann", lat=53.4, lon=-2.3,
         props={"roles": ["carer"], "interests": ["walking"], "consent": {"map": True}}).validate()
    Tie("person:1", "group:1", "REFERRED_TO", {"status": "referred"}).validate()


@pytest.mark.parametrize("node, field", [
    (Node("", "Person"), "id"),
    (Node("x", "Alien"), "kind"),
    (Node("x", "Person", lat=91.0, lon=0.0), "lat"),
    (Node("x", "Person", lat=53.0, lon=None), "lat"),
    (Node("x", "Person", lat=math.nan, lon=0.0), "lat"),
    (Node("x", "Person", props={"roles": ["wizard"]}), "roles"),
    (Node("x", "Person", props={"roles": "carer"}), "roles"),
    (Node("x", "Person", props={"personal_budget": "yes"}), "personal_budget"),
    (Node("x", "Person", props={"consent": {"sell": True}}), "consent"),
    (Node("x", "Group", props={"status": "paused"}), "status"),
    (Node("x", "Organisation", props={"org_kind": "bank"}), "org_kind"),
    (Node("x", "Practitioner", props={"role": "wizard"}), "role"),
    (Node("x", "Person", props={"when": {1, 2}}), "props"),
    (Node("x" * 201, "Person"), "id"),
])
def test_invalid_nodes_say_what_is_wrong(node, field):
    with pytest.raises(ValidationError) as err:
        node.validate()
    assert err.value.field == field
    message = str(err.value)
    assert "\n" not in message and message.endswith((".", ")"))


@pytest.mark.parametrize("tie, field", [
    (Tie("a", "b", "LOVES"), "kind"),
    (Tie("a", "a", "FRIEND"), "dst"),
    (Tie("a", "", "FRIEND"), "dst"),
    (Tie("a", "b", "REFERRED_TO", {"status": "maybe"}), "status"),
])
def test_invalid_ties_say_what_is_wrong(tie, field):
    with pytest.raises(ValidationError) as err:
        tie.validate()
    assert err.value.field == field


def test_endpoints_follow_the_vocabulary():
    check_endpoints(Tie("p", "g", "ATTENDS"), "Person", "Group")
    with pytest.raises(ValidationError):
        check_endpoints(Tie("g", "p", "ATTENDS"), "Group", "Person")


def test_tie_class_matches_design():
    assert Tie("a", "b", "CARES_FOR").tie_class == "community"
    assert Tie("a", "b", "SHARED_LIVES").tie_class == "shared life"
    assert Tie("a", "b", "REFERRED_TO").tie_class == "referral"
    assert Tie("a", "b", "IN_AREA").tie_class == "organisational"
    assert set(vocab.TIE_KINDS.values()) == set(vocab.TIE_CLASSES)
    assert set(vocab.TIE_ENDPOINTS) == set(vocab.TIE_KINDS)


@given(st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180))
def test_any_real_coordinate_is_valid(lat, lon):
    Node("x", "Group", lat=lat, lon=lon).validate()


@pytest.mark.parametrize("text, interest", [
    ("Tuesday rambling group", "walking"),
    ("Community choir", "singing"),
    ("Allotment society", "gardening"),
    ("Crown green bowling club", "bowls"),
])
def test_interest_synonyms(text, interest):
    assert interest in vocab.interests_in(text)


@pytest.mark.parametrize("text, need", [
    ("Carers' cafe for family carers", "carer_support"),
    ("Memory cafe", "dementia"),
    ("Foodbank voucher scheme", "food"),
    ("Anxiety and depression peer support", "mental_health"),
])
def test_need_synonyms(text, need):
    assert need in vocab.needs_in(text)


def test_unknown_words_map_to_nothing():
    assert vocab.canonical_interest("quantum chromodynamics") is None
    assert vocab.canonical_interests(["Rambling", "choir", "zzz"]) == ["singing", "walking"]
    assert vocab.canonical_needs(["lonely"]) == ["loneliness"]


@given(st.text(max_size=80))
def test_vocabulary_lookup_never_fails(text):
    assert vocab.interests_in(text) <= set(vocab.INTERESTS)
    assert vocab.needs_in(text) <= set(vocab.NEEDS)
