"""Recording as people work: add or edit a person, add or end a tie, a dated contact note, add or
edit a group — each by role, in one store transaction, with one audit row.

Who may record: a coordinator for the people on their caseload (a person they add joins it), an
administrator for anyone; a hub analyst for no one. Groups are public records: coordinators and
administrators may add or edit them. A refused write is audited as denied and raises
:class:`RecordingDenied`; a write that fails is audited as failed and leaves the store as it was.

Contact notes are records *about* a person, not network nodes: person records of kind ``note``
(:mod:`assetmap.records`, kept beside the graph, so never in the shared network or area work);
a store without person records keeps them on the person's record (prop ``contact_notes``, kept
out of area work by :data:`assetmap.governance.privacy.PERSONAL_FIELDS`). Free text, so
sensitive: in the person's subject access export, gone when the person is erased.
Audit rows never hold the values written, only what kind of change it was.
"""

from __future__ import annotations

import datetime as _dt
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from assetmap import vocab
from assetmap.errors import AssetmapError, NotFoundError, ValidationError
from assetmap.governance import audit
from assetmap.governance.access import ADMIN, COORDINATOR, AccessDB, User, can_view_person
from assetmap.governance.privacy import LAWFUL_BASES
from assetmap.graph.store import GraphStore
from assetmap.model import Node, Tie, check_endpoints

NOTES = "contact_notes"
#: Ties a coordinator records from a person (community and professional; referrals have their
#: own module, :mod:`assetmap.governance.referrals`).
RECORDABLE_TIES: tuple[str, ...] = tuple(
    k for k, c in vocab.TIE_KINDS.items()
    if c in {vocab.COMMUNITY, vocab.PROFESSIONAL, vocab.SHARED_LIFE})
#: How often two people see each other or someone goes to a group.
FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "fortnightly", "monthly", "less often")
MAX_NOTE_LENGTH = 4000
MAX_NAME_LENGTH = 200

T = TypeVar("T")


class RecordingDenied(AssetmapError, PermissionError):
    """This account may not make this change (one sentence, no field values)."""


def _day(value: _dt.date | str | None, what: str) -> str:
    if value is None or value == "":
        return _dt.date.today().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError(f"The {what} {value!r} is not a date like 2026-11-25.",
                              field=what) from None


def _name(text: Any, what: str = "name") -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"A {what} is needed.", field=what)
    text = " ".join(text.split())
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(f"The {what} is longer than {MAX_NAME_LENGTH} characters.",
                              field=what)
    return text


def _choices(values: Iterable[str] | None, allowed: Iterable[str], what: str,
             canonical: Callable[[str], str | None] | None = None) -> list[str]:
    allowed = set(allowed)
    out = set()
    for v in values or []:
        c = canonical(v) if canonical else (v if v in allowed else None)
        if c is None or c not in allowed:
            raise ValidationError(f"{what} {v!r} is not a known value.", field=what)
        out.add(c)
    return sorted(out)


def _may_record_person(user: User, person_id: str | None) -> bool:
    if user.role == ADMIN:
        return True
    if user.role == COORDINATOR:
        return person_id is None or can_view_person(user, person_id)
    return False


def _audited(access: AccessDB, user: User, person_id: str | None, what: str,
             allowed: bool, write: Callable[[], T], action: str = "edit") -> T:
    """Run ``write`` (one store transaction) if allowed, with one audit row either way."""
    if not allowed:
        audit.record(access, user, action, person_id, outcome="denied", reason=what)
        raise RecordingDenied("Your account may not make this change (it is not on your "
                              "caseload, or your role only sees areas and counts).")
    try:
        result = write()
    except BaseException:
        audit.record(access, user, action, person_id, outcome="failed", reason=what)
        raise
    audit.record(access, user, action, person_id, reason=what)
    return result


def _person(store: GraphStore, person_id: str) -> Node:
    try:
        node = store.get(person_id)
    except NotFoundError:
        node = None
    if node is None or node.kind != vocab.PERSON:
        raise NotFoundError(f"No person with id {person_id!r}.")
    return node


def new_id(kind: str) -> str:
    """A fresh id for a record made in the app ("person:app:3f2a9c1e")."""
    return f"{kind.lower()}:app:{secrets.token_hex(4)}"


# --- people -------------------------------------------------------------------------------------

def save_person(store: GraphStore, access: AccessDB, user: User, person_id: str | None = None,
                *, name: str | None = None, area: str | None = None,
                postcode: str | None = None, goals: Iterable[str] | None = None,
                interests: Iterable[str] | None = None, needs: Iterable[str] | None = None,
                access_needs: Iterable[str] | None = None,
                consent: Mapping[str, bool] | None = None,
                consent_date: _dt.date | str | None = None,
                lawful_basis: str | None = None, age_band: str | None = None) -> Node:
    """Add a person (``person_id`` None: a new id; a coordinator gets them on their caseload)
    or change the fields given of one already recorded (others are kept). Consent is recorded
    with the date it was given and the lawful basis for holding the record."""
    editing = person_id is not None
    what = "edit person" if editing else "add person"
    props: dict[str, Any] = {}
    if goals is not None:
        props["goals"] = [g for g in (" ".join(str(x).split()) for x in goals) if g]
    if interests is not None:
        props["interests"] = _choices(interests, vocab.INTERESTS, "interest",
                                      vocab.canonical_interest)
    if needs is not None:
        props["needs"] = _choices(needs, vocab.NEEDS, "need", vocab.canonical_need)
    if access_needs is not None:
        props["access_needs"] = _choices(access_needs, vocab.ACCESS_FEATURES, "access need")
    if consent is not None:
        props["consent"] = {u: bool(consent.get(u, False)) for u in vocab.CONSENT_USES}
        props["consent_date"] = _day(consent_date, "consent date")
    if lawful_basis is not None:
        if lawful_basis not in LAWFUL_BASES:
            raise ValidationError(f"Lawful basis {lawful_basis!r} is not one of "
                                  f"{', '.join(LAWFUL_BASES)}.", field="lawful_basis")
        props["lawful_basis"] = lawful_basis
    if age_band is not None:
        props["age_band"] = _choices([age_band], vocab.AGE_BANDS, "age band")[0]
    location: tuple[float, float] | None = None
    if postcode is not None and postcode.strip():
        from assetmap.ingest.postcodes import normalise_postcode

        pc = normalise_postcode(postcode)
        if pc is None:
            raise ValidationError(f"{postcode!r} is not a UK postcode.", field="postcode")
        props["postcode"] = pc
    if area is not None and area:
        try:
            area_node = store.get(area)
        except NotFoundError:
            area_node = None
        if area_node is None or area_node.kind != vocab.AREA:
            raise ValidationError(f"Area {area!r} is not in the store.", field="area")
        location = area_node.location
    if not editing:
        name = _name(name)
    elif name is not None:
        name = _name(name)
    fresh = None if editing else new_id(vocab.PERSON)

    def write() -> Node:
        with store.transaction():
            if editing:
                assert person_id is not None  # editing means an id was given
                old = _person(store, person_id)
                node = Node(old.id, old.kind, name or old.name, area or old.area, old.lat,
                            old.lon, {**old.props, **props})
            else:
                # A new person is placed at their area's centre until a postcode lookup
                # places them (their home is never drawn either way).
                lat, lon = location if location else (None, None)
                node = Node(str(fresh), vocab.PERSON, name or "", area or None, lat,
                            lon, {"consent": {u: False for u in vocab.CONSENT_USES},
                                  "source": "app", **props})
            store.upsert_nodes([node])
        return node

    node = _audited(access, user, person_id or fresh, what,
                    _may_record_person(user, person_id), write)
    if not editing and user.role == COORDINATOR:
        access.add_to_caseload(user.name, [node.id])
        audit.record(access, user, "caseload_change", node.id, reason="added by them")
    return node


# --- ties ---------------------------------------------------------------------------------------

def add_tie(store: GraphStore, access: AccessDB, user: User, person_id: str, other_id: str,
            kind: str, *, frequency: str | None = None, via: str | None = None,
            since: _dt.date | str | None = None) -> Tie:
    """Record a tie from a person to another person, a group or an organisation (how often, via
    which group they met, since when); an ended tie of the same kind starts again."""
    if kind not in RECORDABLE_TIES:
        raise ValidationError(f"A {kind!r} tie cannot be recorded here (one of "
                              f"{', '.join(RECORDABLE_TIES)}).", field="kind")
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValidationError(f"How often {frequency!r} is not one of "
                              f"{', '.join(FREQUENCIES)}.", field="frequency")
    props: dict[str, Any] = {"since": _day(since, "since date"), "source": "app",
                             "recorded_by": user.name}
    if frequency:
        props["frequency"] = frequency

    def write() -> Tie:
        with store.transaction():
            me = _person(store, person_id)
            try:
                other = store.get(other_id)
            except NotFoundError:
                raise NotFoundError(f"No person, group or organisation with id "
                                    f"{other_id!r}.") from None
            if via:
                group = store.get(via)
                if group.kind not in vocab.ASSET_KINDS:
                    raise ValidationError("'via' must be a group or organisation.", field="via")
                props["via"] = via
            tie = Tie(person_id, other_id, kind, props)
            check_endpoints(tie.validate(), me.kind, other.kind)
            store.upsert_ties([tie])
        return tie

    return _audited(access, user, person_id, f"add {kind} tie",
                    _may_record_person(user, person_id), write)


def end_tie(store: GraphStore, access: AccessDB, user: User, person_id: str, other_id: str,
            kind: str, *, until: _dt.date | str | None = None) -> Tie:
    """Record that a tie has ended (``until``: the day it ended, default today). The tie is
    kept as history; analysis counts only ties that have not ended."""
    day = _day(until, "end date")

    def write() -> Tie:
        with store.transaction():
            _person(store, person_id)
            try:
                old = store.get_tie(person_id, other_id, kind)
            except NotFoundError:
                raise NotFoundError("There is no such tie to end for this person.") from None
            tie = Tie(old.src, old.dst, old.kind, {**old.props, "until": day})
            store.upsert_ties([tie])
        return tie

    return _audited(access, user, person_id, f"end {kind} tie",
                    _may_record_person(user, person_id), write)


def tie_has_ended(props: Mapping[str, Any], today: _dt.date | None = None) -> bool:
    """Whether a tie's ``until`` day has come (a tie with no ``until`` is ongoing)."""
    until = props.get("until")
    if not until:
        return False
    try:
        return _dt.date.fromisoformat(str(until)) <= (today or _dt.date.today())
    except ValueError:
        return False


# --- contact notes ------------------------------------------------------------------------------

def _has_records(store: GraphStore) -> bool:
    return callable(getattr(store, "add_records", None))


def add_note(store: GraphStore, access: AccessDB, user: User, person_id: str, text: str,
             *, date: _dt.date | str | None = None) -> dict[str, str]:
    """Add a dated contact note about a person (free text: sensitive; see the module docstring
    for where it goes and where it never goes)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("A note needs some text.", field="note")
    text = text.strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError(f"A note is at most {MAX_NOTE_LENGTH} characters.", field="note")
    note = {"date": _day(date, "note date"), "by": user.name, "text": text}

    def write() -> dict[str, str]:
        with store.transaction():
            old = _person(store, person_id)
            if _has_records(store):
                from assetmap.records import PersonRecord, record_id

                store.add_records([PersonRecord(
                    id=record_id(vocab.NOTE, person_id, secrets.token_hex(8)),
                    kind=vocab.NOTE, person_id=person_id, subject_id=None,
                    date=note["date"], data={"by": note["by"], "text": note["text"]})])
            else:  # a store without person records keeps notes on the person's record
                notes = [*(old.props.get(NOTES) or []), note]
                store.upsert_nodes([Node(old.id, old.kind, old.name, old.area, old.lat,
                                         old.lon, {**old.props, NOTES: notes})])
        return note

    return _audited(access, user, person_id, "contact note",
                    _may_record_person(user, person_id), write)


def notes_for(store: GraphStore, person_id: str) -> list[dict[str, str]]:
    """A person's contact notes, newest first (the caller has checked they may see them)."""
    notes = list(_person(store, person_id).props.get(NOTES) or [])
    if _has_records(store):
        notes += [{"date": r.date, "by": str(r.data.get("by", "")),
                   "text": str(r.data.get("text", ""))}
                  for r in store.records(vocab.NOTE, person_id=person_id)]
    return sorted(notes, key=lambda n: str(n.get("date", "")), reverse=True)


def last_contact(store: GraphStore, person_id: str) -> str | None:
    """The day of a person's latest contact note, or None."""
    days = [str(n.get("date")) for n in notes_for(store, person_id) if n.get("date")]
    return max(days) if days else None


# --- groups -------------------------------------------------------------------------------------

def save_group(store: GraphStore, access: AccessDB, user: User, group_id: str | None = None,
               *, name: str | None = None, activities: Iterable[str] | None = None,
               needs: Iterable[str] | None = None, schedule: str | None = None,
               venue: str | None = None, lat: float | None = None, lon: float | None = None,
               area: str | None = None, cost: str | None = None,
               access_features: Iterable[str] | None = None, telephone: str | None = None,
               email: str | None = None, website: str | None = None,
               status: str | None = None, description: str | None = None) -> Node:
    """Add a group (what, when, where, cost, access, contact, status) or change the fields given
    of one. ``venue``: the organisation where it meets (its place and area are used)."""
    editing = group_id is not None
    props: dict[str, Any] = {}
    if activities is not None:
        props["activities"] = _choices(activities, vocab.INTERESTS, "activity",
                                       vocab.canonical_interest)
    if needs is not None:
        props["needs"] = _choices(needs, vocab.NEEDS, "need", vocab.canonical_need)
    if access_features is not None:
        props["access"] = _choices(access_features, vocab.ACCESS_FEATURES, "access")
    if cost is not None:
        props["cost"] = _choices([cost], vocab.COSTS, "cost")[0]
    if status is not None:
        props["status"] = _choices([status], vocab.GROUP_STATUSES, "status")[0]
    for key, value in (("schedule", schedule), ("telephone", telephone), ("email", email),
                       ("website", website), ("description", description)):
        if value is not None:
            props[key] = " ".join(str(value).split())
    if (lat is None) != (lon is None):
        raise ValidationError("A place needs both latitude and longitude.", field="lat")
    name = _name(name, "group name") if (name is not None or not editing) else None

    def write() -> Node:
        with store.transaction():
            where: tuple[float | None, float | None, str | None] | None = None
            if venue:
                v = store.get(venue)
                if v.kind not in vocab.ASSET_KINDS:
                    raise ValidationError("The venue must be an organisation or group.",
                                          field="venue")
                props["venue"] = v.id
                where = (v.lat, v.lon, v.area)
            if lat is not None:
                where = (lat, lon, area if area else (where[2] if where else None))
            if editing:
                assert group_id is not None  # editing means an id was given
                old = store.get(group_id)
                if old.kind != vocab.GROUP:
                    raise NotFoundError(f"No group with id {group_id!r}.")
                w = where or (old.lat, old.lon, old.area)
                node = Node(old.id, old.kind, name or old.name, w[2], w[0], w[1],
                            {**old.props, **props})
            else:
                w = where or (None, None, area or None)
                node = Node(new_id(vocab.GROUP), vocab.GROUP, name or "", w[2], w[0], w[1],
                            {"status": "active", "activities": [], "needs": [],
                             "source": "app", **props})
            store.upsert_nodes([node])
            if venue and store.get(venue).kind == vocab.ORGANISATION:
                store.upsert_ties([Tie(venue, node.id, "RUNS", {"source": "app"})])
        return node

    allowed = user.role in {COORDINATOR, ADMIN}
    return _audited(access, user, None, ("edit group " if editing else "add group ")
                    + (group_id or ""), allowed, write)
