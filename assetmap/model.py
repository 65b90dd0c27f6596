"""The domain model: nodes (people, groups, organisations, practitioners, areas) and ties.

A :class:`Node` or :class:`Tie` is a plain record with a stable id; anything a kind needs beyond
the common columns lives in ``props`` (a JSON-able dict). ``validate`` checks a record against
the vocabulary and raises :class:`~assetmap.errors.ValidationError` with one readable sentence.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from assetmap import vocab
from assetmap.errors import ValidationError

MAX_ID_LENGTH = 200

#: Per-kind props whose value must come from a vocabulary: prop -> (allowed values, is a list).
_CHOICES: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    vocab.PERSON: {
        "roles": (vocab.PERSON_ROLES, True),
        "interests": (tuple(vocab.INTERESTS), True),
        "needs": (tuple(vocab.NEEDS), True),
        "carer_hours": (vocab.CARER_HOURS, False),
        "disability": (vocab.DISABILITY, False),
        "health": (vocab.HEALTH, False),
        "lonely": (vocab.LONELINESS, False),
        "age_band": (vocab.AGE_BANDS, False),
    },
    vocab.GROUP: {
        "activities": (tuple(vocab.INTERESTS), True),
        "needs": (tuple(vocab.NEEDS), True),
        "status": (vocab.GROUP_STATUSES, False),
        "cost": (vocab.COSTS, False),
        "access": (vocab.ACCESS_FEATURES, True),
    },
    vocab.ORGANISATION: {
        "org_kind": (vocab.ORGANISATION_KINDS, False),
        "activities": (tuple(vocab.INTERESTS), True),
        "needs": (tuple(vocab.NEEDS), True),
        "status": (vocab.GROUP_STATUSES, False),
        "funding": (vocab.FUNDING_STATUSES, False),
        "cost": (vocab.COSTS, False),
        "access": (vocab.ACCESS_FEATURES, True),
    },
    vocab.PRACTITIONER: {"role": (vocab.PRACTITIONER_ROLES, False)},
    vocab.AREA: {"level": (vocab.AREA_LEVELS, False)},
}
_BOOLEAN_PROPS = {"personal_budget", "user_led", "synthetic"}
#: _CHOICES with each vocabulary also as a set (a hash lookup per value on bulk imports).
_CHOICE_SETS: dict[str, tuple[tuple[str, tuple[str, ...], frozenset[str], bool], ...]] = {
    kind: tuple((prop, allowed, frozenset(allowed), is_list)
                for prop, (allowed, is_list) in choices.items())
    for kind, choices in _CHOICES.items()}

#: The canonical JSON text of props (keys sorted, compact, UTF-8 kept; NaN refused): one
#: encoder made once, since ``json.dumps`` with options builds a new one on every call.
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           allow_nan=False).encode


def props_json(props: dict[str, Any]) -> str:
    """Props as the stores' canonical JSON text (equal props give equal text)."""
    return _ENCODE(props)


def _check_props(kind: str, props: dict[str, Any], rid: str | None) -> None:
    """The vocabulary, flag and consent checks of :meth:`Node.validate` on valid JSON props."""
    for prop, allowed, allowed_set, is_list in _CHOICE_SETS.get(kind, ()):
        value = props.get(prop)
        if value is None:
            continue
        if is_list:
            if not isinstance(value, list):
                raise ValidationError(f"{prop} must be a list.", field=prop, record=rid)
            values: list[Any] | tuple[Any, ...] = value
        else:
            values = (value,)
        for v in values:
            if (v in allowed_set) if isinstance(v, str) else (v in allowed):
                continue
            raise ValidationError(
                f"{prop} {v!r} is not a known value (expected one of: "
                f"{', '.join(allowed[:8])}{', …' if len(allowed) > 8 else ''}).",
                field=prop, record=rid)
    for prop in _BOOLEAN_PROPS & props.keys():
        if not isinstance(props[prop], bool):
            raise ValidationError(f"{prop} must be true or false.", field=prop, record=rid)
    consent = props.get("consent")
    if consent is not None:
        if not isinstance(consent, dict) or not all(
            k in vocab.CONSENT_USES and isinstance(v, bool) for k, v in consent.items()
        ):
            raise ValidationError(
                "consent must map each use (suggest, map) to true or false.",
                field="consent", record=rid)


_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")


def _check_id(value: Any, what: str, record: str | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} is missing: every record needs a stable id.",
                              field=what, record=record)
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(f"{what} is longer than {MAX_ID_LENGTH} characters.",
                              field=what, record=record)
    if _CONTROL_CHARS.search(value):  # a regex: far cheaper than a loop over the characters
        raise ValidationError(f"{what} contains a control character.", field=what, record=record)
    return value


def _check_json(props: Any, record: str | None) -> dict[str, Any]:
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ValidationError("props must be a mapping of field names to values.",
                              field="props", record=record)
    try:
        json.dumps(props, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"props cannot be stored as JSON ({exc}).",
                              field="props", record=record) from None
    return props


@dataclass(slots=True)
class Node:
    """One person, group, organisation, practitioner or area.

    ``area`` is the id of the smallest Area node the record lies in (e.g. an LSOA code);
    ``lat``/``lon`` are WGS84 degrees (for a person: the home postcode's centroid, never drawn).
    """

    id: str
    kind: str
    name: str = ""
    area: str | None = None
    lat: float | None = None
    lon: float | None = None
    props: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> Node:
        """Check this record against the vocabulary; return it, or raise ValidationError."""
        rid = self._check_columns()
        _check_props(self.kind, _check_json(self.props, rid), rid)
        return self

    def checked_json(self) -> str:
        """:meth:`validate` and the props as canonical JSON text (:func:`props_json`) in one
        pass: a store writing many records encodes each once, for the check and the write."""
        rid = self._check_columns()
        props = self.props
        if props is None:
            props = {}
        elif not isinstance(props, dict):
            _check_json(props, rid)  # raises the one-sentence error
        try:
            text = _ENCODE(props)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"props cannot be stored as JSON ({exc}).",
                                  field="props", record=rid) from None
        _check_props(self.kind, props, rid)
        return text

    def _check_columns(self) -> str | None:
        rid = self.id if isinstance(self.id, str) else None
        _check_id(self.id, "id", rid)
        if self.kind not in vocab.NODE_KINDS:
            raise ValidationError(
                f"kind {self.kind!r} is not one of {', '.join(vocab.NODE_KINDS)}.",
                field="kind", record=rid)
        if not isinstance(self.name, str):
            raise ValidationError("name must be text.", field="name", record=rid)
        if self.area is not None:
            _check_id(self.area, "area", rid)
        if (self.lat is None) != (self.lon is None):
            raise ValidationError("a location needs both latitude and longitude.",
                                  field="lat", record=rid)
        if self.lat is not None:
            for name, value, bound in (("lat", self.lat, 90), ("lon", self.lon, 180)):
                if (isinstance(value, bool) or not isinstance(value, int | float)
                        or not math.isfinite(value) or abs(value) > bound):
                    raise ValidationError(
                        f"{name} {value!r} is not a valid WGS84 coordinate.",
                        field=name, record=rid)
        return rid

    @property
    def location(self) -> tuple[float, float] | None:
        """(lat, lon), or None where the record has no location."""
        return None if self.lat is None or self.lon is None else (self.lat, self.lon)


@dataclass(slots=True)
class Tie:
    """A directed tie ``src -[kind]-> dst``; one tie per (src, dst, kind)."""

    src: str
    dst: str
    kind: str
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def tie_class(self) -> str:
        """community / professional / referral / organisational."""
        return vocab.TIE_KINDS[self.kind]

    @property
    def key(self) -> tuple[str, str, str]:
        """The stable identity of the tie: (src, dst, kind)."""
        return (self.src, self.dst, self.kind)

    def validate(self) -> Tie:
        """Check this tie against the vocabulary; return it, or raise ValidationError."""
        rid = f"{self.src}-{self.kind}->{self.dst}"
        _check_id(self.src, "src", rid)
        _check_id(self.dst, "dst", rid)
        if self.kind not in vocab.TIE_KINDS:
            raise ValidationError(
                f"tie kind {self.kind!r} is not one of {', '.join(vocab.TIE_KINDS)}.",
                field="kind", record=rid)
        if self.src == self.dst:
            raise ValidationError("a tie cannot join a record to itself.", field="dst", record=rid)
        props = _check_json(self.props, rid)
        status = props.get("status")
        if self.kind == "REFERRED_TO" and status is not None and status not in \
                vocab.REFERRAL_STATUSES:
            raise ValidationError(
                f"referral status {status!r} is not one of "
                f"{', '.join(vocab.REFERRAL_STATUSES)}.", field="status", record=rid)
        return self


def canonical_tie(src: str, dst: str, kind: str) -> tuple[str, str]:
    """The stored direction of a tie: symmetric kinds are stored once, smaller id first (every
    store keeps ties this way, so a tie reads back the same from any of them)."""
    if kind in vocab.SYMMETRIC_TIES and dst < src:
        return dst, src
    return src, dst


def check_endpoints(tie: Tie, src_kind: str, dst_kind: str) -> None:
    """Raise ValidationError unless ``tie`` may join a ``src_kind`` to a ``dst_kind``."""
    sources, targets = vocab.TIE_ENDPOINTS[tie.kind]
    if src_kind not in sources or dst_kind not in targets:
        raise ValidationError(
            f"a {tie.kind} tie cannot run from a {src_kind} to a {dst_kind}.",
            field="kind", record=f"{tie.src}-{tie.kind}->{tie.dst}")


# --- Fields the analysis reads, as plain columns (SQLite) and native properties (Neo4j) -------

#: Bit codes for the vocabularies packed into integer columns. Append-only: a word's bit is its
#: position, so reordering a vocabulary would need the stores' columns re-derived (the stores
#: keep a fingerprint of these lists and re-derive on open when it changes).
INTEREST_BITS: dict[str, int] = {w: 1 << i for i, w in enumerate(vocab.INTERESTS)}
NEED_BITS: dict[str, int] = {w: 1 << i for i, w in enumerate(vocab.NEEDS)}
ROLE_BITS: dict[str, int] = {w: 1 << i for i, w in enumerate(vocab.PERSON_ROLES)}
ACCESS_BITS: dict[str, int] = {w: 1 << i for i, w in enumerate(vocab.ACCESS_FEATURES)}

#: The analysis columns, in order: what :func:`analysis_fields` returns.
ANALYSIS_COLUMNS: tuple[str, ...] = (
    "status", "org_kind", "level", "parent", "personal_budget", "user_led", "consent_suggest",
    "consent_map", "roles", "interests", "needs", "access", "cost", "age_band", "capacity",
    "goal_text", "budget_kind", "carer_supports",
)


#: A tie's analysis columns: the group it ran through (``via``), the ``role`` the other end
#: plays (FAMILY: "spouse", "child", ...), ``days`` between contacts (from ``frequency``) and
#: the day it ended (``until`` as ISO ``YYYY-MM-DD``; None while it is current).
TIE_COLUMNS: tuple[str, ...] = ("via", "role", "days", "until")

_PARTIAL_DAY = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


@functools.lru_cache(maxsize=4096)
def _until_text(text: str) -> str | None:
    m = _PARTIAL_DAY.match(text)
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)).isoformat()
    except ValueError:
        return None


def until_day(value: Any) -> str | None:
    """The ISO day a tie's ``until`` names ("2024" and "2024-01" mean its first day; a date or
    a year as a number also read), or None where absent or unreadable (the tie is current)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        value = str(int(value))
    return _until_text(value) if isinstance(value, str) else None


def tie_ended(props: dict[str, Any], today: str | None = None) -> bool:
    """Whether a tie has ended: its ``until`` day is on or before ``today`` (ISO; default the
    real today). An ended tie is kept as history but no analysis counts it as current."""
    until = props.get("until")
    if until is None:
        return False
    day = until_day(until)
    return day is not None and day <= (today or _dt.date.today().isoformat())


def fields_fingerprint() -> str:
    """Text that changes whenever the packed-code vocabularies or the column lists change."""
    return json.dumps([list(INTEREST_BITS), list(NEED_BITS), list(ROLE_BITS), list(ACCESS_BITS),
                       list(ANALYSIS_COLUMNS), list(TIE_COLUMNS)])


def tie_fields(props: dict[str, Any]
               ) -> tuple[str | None, str | None, float | None, str | None]:
    """The values of :data:`TIE_COLUMNS` for a tie's props."""
    via, role = props.get("via"), props.get("role")
    try:
        days = vocab.contact_days(props.get("frequency"))
    except (TypeError, ValueError, OverflowError):
        days = None
    return (via if isinstance(via, str) else None, role if isinstance(role, str) else None,
            days, until_day(props.get("until")))


def _bits(values: Any, codes: dict[str, int]) -> int:
    if values is None:
        return 0
    if isinstance(values, str):
        return codes.get(values, 0)
    if not isinstance(values, list):
        return 0
    out = 0
    for v in values:
        if isinstance(v, str):
            out |= codes.get(v, 0)
    return out


def _flag(value: Any) -> int | None:
    return None if not isinstance(value, bool) else int(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def analysis_fields(kind: str, props: dict[str, Any]) -> tuple[Any, ...]:
    """The values of :data:`ANALYSIS_COLUMNS` for a record's props: text codes, 0/1/None flags
    and packed bit codes (interests are a group's ``activities``; ``goal_text`` a person's
    ``goals`` as JSON, free text read only for the few who have any). Derived on every write, so
    bulk reads never decode the JSON props; written as one straight pass (it runs per record
    on every import)."""
    get = props.get
    consent = get("consent")
    if isinstance(consent, dict):
        suggest, shown = _flag(consent.get("suggest")), _flag(consent.get("map"))
    else:
        suggest = shown = None
    likes = get("activities") if kind in vocab.ASSET_KINDS else get("interests")
    capacity = get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int | float):
        capacity = None
    goals, budget, supports = get("goals"), get("budget_kind"), get("carer_supports")
    return (_text(get("status")), _text(get("org_kind")), _text(get("level")),
            _text(get("parent")), _flag(get("personal_budget")), _flag(get("user_led")),
            suggest, shown,
            _bits(get("roles"), ROLE_BITS), _bits(likes, INTEREST_BITS),
            _bits(get("needs"), NEED_BITS), _bits(get("access"), ACCESS_BITS),
            _text(get("cost")), _text(get("age_band")),
            capacity, None if goals is None else json.dumps(goals),
            None if budget is None else vocab.budget_kind(budget),
            (",".join(vocab.carer_supports_in(supports)) or None) if supports else None)


def words_of(bits: int, codes: dict[str, int]) -> list[str]:
    """The words packed into ``bits`` (vocabulary order)."""
    return [w for w, b in codes.items() if bits & b]
