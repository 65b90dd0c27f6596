"""The domain model: nodes (people, groups, organisations, practitioners, areas) and ties.

A :class:`Node` or :class:`Tie` is a plain record with a stable id; anything a kind needs beyond
the common columns lives in ``props`` (a JSON-able dict). ``validate`` checks a record against
the vocabulary and raises :class:`~assetmap.errors.ValidationError` with one readable sentence.
"""

from __future__ import annotations

import json
import math
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


def _check_id(value: Any, what: str, record: str | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} is missing: every record needs a stable id.",
                              field=what, record=record)
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(f"{what} is longer than {MAX_ID_LENGTH} characters.",
                              field=what, record=record)
    if any(ord(c) < 32 for c in value):
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
        props = _check_json(self.props, rid)
        for prop, (allowed, is_list) in _CHOICES.get(self.kind, {}).items():
            if prop not in props or props[prop] is None:
                continue
            value = props[prop]
            values = value if is_list else [value]
            if is_list and not isinstance(value, list):
                raise ValidationError(f"{prop} must be a list.", field=prop, record=rid)
            for v in values:
                if v not in allowed:
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
        return self

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


def check_endpoints(tie: Tie, src_kind: str, dst_kind: str) -> None:
    """Raise ValidationError unless ``tie`` may join a ``src_kind`` to a ``dst_kind``."""
    sources, targets = vocab.TIE_ENDPOINTS[tie.kind]
    if src_kind not in sources or dst_kind not in targets:
        raise ValidationError(
            f"a {tie.kind} tie cannot run from a {src_kind} to a {dst_kind}.",
            field="kind", record=f"{tie.src}-{tie.kind}->{tie.dst}")
