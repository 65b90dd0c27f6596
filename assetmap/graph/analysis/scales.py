"""Published social-network scales estimated from a person's recorded ties.

Two validated scales a coordinator may also ask in person, estimated here from the ties alone
(kind, ``role`` and ``frequency``) so that the isolation level is calibrated to their cut-offs
rather than to a bare count of ties:

- **LSNS-6**, the abbreviated Lubben Social Network Scale (Lubben J. et al. 2006, "Performance
  of an abbreviated version of the Lubben Social Network Scale among three European
  community-dwelling older adult populations", *The Gerontologist* 46(4):503–513). Three items
  about relatives and the same three about friends (neighbours count as friends): how many
  you see or hear from at least once a month, can talk to about private matters, could call on
  for help; each answered 0 (none), 1, 2, 3 (three or four), 4 (five to eight) or 5 (nine or
  more). Total 0–30; **below 12: at risk of social isolation**; a subscale below 6: marginal
  ties of that kind. Ties cannot say who someone confides in, so all three items of a subscale
  take the count of people in contact at least monthly: an upper estimate, so "at risk" by
  the estimate is at risk by the scale whenever the recorded ties are complete.
- **SNI**, Cohen's Social Network Index (Cohen S. et al. 1997, "Social ties and susceptibility
  to the common cold", *JAMA* 277(24):1940–1944). Twelve roles — spouse, parents,
  parents-in-law, children, other close family, close neighbours, friends, workmates,
  schoolmates, fellow volunteers, members of groups without religious affiliation, members of
  religious groups — each counted when the person is in touch (in person or by phone) with at
  least one person in it **at least once every two weeks**. Network diversity is the number of
  roles: 1–3 low, 4–5 moderate, 6 or more high (Cohen's bands).

A tie with no recorded ``frequency`` is taken as regular contact (recording a tie is evidence
of a current relationship); record how often to let rare contact count for less. A FAMILY
tie's ``role`` names what the other end is to the tie's source ("spouse", "child", "parent",
"parent_in_law", "sibling", ...); read from the other end, "child" and "parent" swap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assetmap import vocab
from assetmap.vocab import contact_days

#: LSNS-6 below this total: at risk of social isolation (Lubben et al. 2006).
LSNS6_AT_RISK_BELOW = 12
#: An LSNS-6 subscale (family or friends) below this: marginal ties of that kind.
LSNS6_SUBSCALE_MARGINAL_BELOW = 6
#: Cohen's SNI: a role counts with contact at least this often (days between contacts).
SNI_CONTACT_DAYS = 14.0
#: LSNS-6: "see or hear from at least once a month".
LSNS_CONTACT_DAYS = 31.0
#: SNI diversity (number of roles) at or above this is moderate (4–5) or high (6+): not low.
SNI_NOT_LOW_FROM = 4
SNI_HIGH_FROM = 6

#: Cohen's twelve SNI roles, in the order of the questionnaire.
SNI_ROLES: tuple[str, ...] = (
    "spouse", "parents", "parents_in_law", "children", "other_close_family", "close_neighbours",
    "friends", "workmates", "schoolmates", "fellow_volunteers", "other_group_members",
    "religious_group_members",
)

_FAMILY_SNI = {"spouse": "spouse", "partner": "spouse", "husband": "spouse", "wife": "spouse",
               "parent": "parents", "mother": "parents", "father": "parents",
               "parent_in_law": "parents_in_law", "child": "children", "son": "children",
               "daughter": "children"}
#: A FAMILY role read from the other end of the tie.
_INVERSE = {"parent": "child", "mother": "child", "father": "child", "child": "parent",
            "son": "parent", "daughter": "parent", "parent_in_law": "child_in_law"}
_PEER_SNI = {"workmate": "workmates", "colleague": "workmates", "schoolmate": "schoolmates",
             "classmate": "schoolmates"}


@dataclass(frozen=True, slots=True)
class ScaleTie:
    """One of a person's community ties, as the scales read it.

    ``kind`` is the tie kind; ``outgoing`` whether the person is its source; ``other`` the id of
    the other end; ``role`` and ``frequency`` the tie's props; ``religious`` whether a group or
    organisation at the other end is a place of worship or a faith group."""

    kind: str
    other: str
    outgoing: bool = True
    role: str | None = None
    frequency: Any = None
    religious: bool = False

    @property
    def days(self) -> float | None:
        return contact_days(self.frequency)


def _within(days: float | None, limit: float) -> bool:
    return days is None or days <= limit


def is_religious(attrs: Mapping[str, Any]) -> bool:
    """Whether a group or organisation is a place of worship or a faith group."""
    if attrs.get("org_kind") == "place_of_worship":
        return True
    acts = attrs.get("activities") or []
    if isinstance(acts, str):
        acts = [acts]
    return any(vocab.canonical_interest(str(a)) == "faith" for a in acts)


def lsns_side(kind: str, role: str | None, shared_lives_count: bool = True) -> str | None:
    """"family", "friends" or None: which LSNS-6 subscale a tie of this kind counts in.

    Relatives (FAMILY; CARES_FOR, since unpaid care is mostly given by relatives, unless its
    ``role`` says friend or neighbour; a Shared Lives household when that counts as community)
    are family; FRIEND, NEIGHBOUR and PEER are friends (LSNS-6 counts neighbours as friends)."""
    if kind == "FAMILY":
        return "family"
    if kind in ("FRIEND", "NEIGHBOUR", "PEER"):
        return "friends"
    if kind == "CARES_FOR":
        return "friends" if (role or "").lower() in ("friend", "neighbour") else "family"
    if kind == "SHARED_LIVES" and shared_lives_count:
        return "family"
    return None


def sni_role(t: ScaleTie, shared_lives_count: bool = True) -> str | None:
    """Cohen's SNI role a tie puts its other end in, or None (not a role the SNI counts)."""
    role = (t.role or "").strip().lower().replace(" ", "_").replace("-", "_")
    kind = t.kind
    if kind in ("FAMILY", "CARES_FOR"):
        if kind == "CARES_FOR" and role in ("friend", "neighbour"):
            return "friends" if role == "friend" else "close_neighbours"
        if not t.outgoing:
            role = _INVERSE.get(role, role)
        return _FAMILY_SNI.get(role, "other_close_family")
    if kind in ("FRIEND", "PEER"):
        return _PEER_SNI.get(role, "friends")
    if kind == "NEIGHBOUR":
        return "close_neighbours"
    if kind == "ATTENDS":
        return "religious_group_members" if t.religious else "other_group_members"
    if kind == "VOLUNTEERS_AT":
        return "fellow_volunteers"
    if kind == "SHARED_LIVES" and shared_lives_count:
        return "other_close_family"
    return None


def lsns_item(n: int) -> int:
    """An LSNS-6 item's answer for ``n`` people: 0, 1, 2, 3 (3–4), 4 (5–8), 5 (9 or more)."""
    return 0 if n <= 0 else n if n <= 2 else 3 if n <= 4 else 4 if n <= 8 else 5


@dataclass(frozen=True, slots=True)
class LSNS6:
    """An estimated LSNS-6: the two subscales (0–15 each), the total (0–30) and its band."""

    family: int
    friends: int

    @property
    def total(self) -> int:
        return self.family + self.friends

    @property
    def at_risk(self) -> bool:
        return self.total < LSNS6_AT_RISK_BELOW

    @property
    def band(self) -> str:
        return "at risk of isolation" if self.at_risk else "not at risk"


def lsns6_from_counts(family: int, friends: int) -> LSNS6:
    """LSNS-6 from the numbers of relatives and friends in touch at least monthly."""
    return LSNS6(3 * lsns_item(family), 3 * lsns_item(friends))


def estimate_lsns6(ties: Iterable[ScaleTie], shared_lives_count: bool = True) -> LSNS6:
    """Estimated LSNS-6 from a person's community ties (see the module docstring)."""
    fam: set[str] = set()
    fri: set[str] = set()
    for t in ties:
        side = lsns_side(t.kind, t.role, shared_lives_count)
        if side and _within(t.days, LSNS_CONTACT_DAYS):
            (fam if side == "family" else fri).add(t.other)
    return lsns6_from_counts(len(fam), len(fri - fam))


@dataclass(frozen=True, slots=True)
class SNI:
    """An estimated Social Network Index: the roles held (contact ≥ every two weeks) and the
    number of people in them."""

    roles: frozenset[str]
    people: int

    @property
    def diversity(self) -> int:
        return len(self.roles)

    @property
    def band(self) -> str:
        d = self.diversity
        return ("none" if d == 0 else "low" if d < SNI_NOT_LOW_FROM
                else "moderate" if d < SNI_HIGH_FROM else "high")


def estimate_sni(ties: Iterable[ScaleTie], shared_lives_count: bool = True) -> SNI:
    """Estimated Cohen SNI from a person's community ties (see the module docstring)."""
    roles: set[str] = set()
    people: set[str] = set()
    for t in ties:
        role = sni_role(t, shared_lives_count)
        if role and _within(t.days, SNI_CONTACT_DAYS):
            roles.add(role)
            if t.kind not in ("ATTENDS", "VOLUNTEERS_AT"):
                people.add(t.other)
    return SNI(frozenset(roles), len(people))


def level_name(community: int, professional: int, through_one_group: bool, lsns_total: int,
               sni_diversity: int) -> str:
    """The isolation level these measures give (the rule :func:`circles.level` applies):

    *isolated*: no community tie and no service; *service-only*: services but no community tie;
    *at risk*: estimated LSNS-6 below 12 (Lubben 2006), or one community tie, or every
    community tie runs through one group; *some support*: LSNS-6 12 or more but low network
    diversity (SNI 1–3 roles, Cohen 1997); *well connected*: LSNS-6 12 or more and SNI 4+ roles.
    """
    if community == 0:
        return "service-only" if professional else "isolated"
    if community == 1 or through_one_group or lsns_total < LSNS6_AT_RISK_BELOW:
        return "at risk"
    return "well connected" if sni_diversity >= SNI_NOT_LOW_FROM else "some support"


def level_codes(community: Any, professional: Any, through: Any, lsns_total: Any,
                sni_diversity: Any) -> Any:
    """:func:`level_name` over numpy arrays: codes indexing ``circles.LEVELS`` (0 isolated,
    1 service-only, 2 at risk, 3 some support, 4 well connected)."""
    import numpy as np

    community = np.asarray(community)
    at_risk = (community == 1) | np.asarray(through, dtype=bool) | (
        np.asarray(lsns_total) < LSNS6_AT_RISK_BELOW)
    return np.where(community == 0, np.where(np.asarray(professional) > 0, 1, 0),
                    np.where(at_risk, 2,
                             np.where(np.asarray(sni_diversity) >= SNI_NOT_LOW_FROM, 4, 3)))


def lsns_items(counts: Any) -> Any:
    """:func:`lsns_item` over a numpy array of counts."""
    import numpy as np

    n = np.asarray(counts)
    return np.select([n <= 0, n <= 2, n <= 4, n <= 8], [0, n, 3, 4], 5)
