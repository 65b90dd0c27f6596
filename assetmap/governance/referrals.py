"""The social prescribing record: who was referred to which group or organisation, when, by whom,
and what happened (referred -> attended / declined).

A referral is a ``REFERRED_TO`` tie from a person to a group, organisation or practitioner with
props ``status`` (one of :data:`assetmap.vocab.REFERRAL_STATUSES`), ``date`` (ISO day it was
made), ``by`` (who made it) and, once updated, ``updated`` and ``updated_by``. Each call writes in
one store transaction. No Streamlit here: the Person page and the CLI both use these.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.graph.store import GraphStore
from assetmap.model import Tie, check_endpoints

REFERRAL = "REFERRED_TO"
#: Columns of :func:`referrals_for`, in order.
COLUMNS: list[str] = ["target_id", "name", "kind", "status", "date", "by", "updated",
                      "updated_by", "reason", "follow_up", "outcome"]
#: Statuses of a referral still waiting for an answer (shown on the coordinator's worklist).
OPEN_STATUSES: frozenset[str] = frozenset({"suggested", "referred"})
MAX_TEXT = 500


def _check_status(status: str) -> str:
    if status not in vocab.REFERRAL_STATUSES:
        raise ValidationError(f"Referral status {status!r} is not one of "
                              f"{', '.join(vocab.REFERRAL_STATUSES)}.", field="status")
    return status


def _check_by(by: str) -> str:
    if not isinstance(by, str) or not by.strip():
        raise ValidationError("A referral needs the name of who made it.", field="by")
    return by.strip()


def _day(date: _dt.date | str | None) -> str:
    if date is None:
        return _dt.date.today().isoformat()
    if isinstance(date, _dt.date):
        return date.isoformat()
    try:
        return _dt.date.fromisoformat(str(date)).isoformat()
    except ValueError:
        raise ValidationError(f"Referral date {date!r} is not a date like 2025-11-25.",
                              field="date") from None


def _text(value: str | None, what: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = " ".join(str(value).split())
    if len(value) > MAX_TEXT:
        raise ValidationError(f"The {what} is at most {MAX_TEXT} characters.", field=what)
    return value


def record_referral(store: GraphStore, person_id: str, target_id: str, *, by: str,
                    status: str = "referred",
                    date: _dt.date | str | None = None, reason: str | None = None,
                    follow_up: _dt.date | str | None = None) -> Tie:
    """Record that ``person_id`` was referred to ``target_id`` (a group, organisation or
    practitioner): writes the ``REFERRED_TO`` tie with status, date and who referred, and
    optionally why and the day to follow it up."""
    status = _check_status(status)
    by = _check_by(by)
    day = _day(date)
    props = {"status": status, "date": day, "by": by}
    if (why := _text(reason, "reason")) is not None:
        props["reason"] = why
    if follow_up is not None and follow_up != "":
        props["follow_up"] = _day(follow_up)
    with store.transaction():
        person = store.get(person_id)
        target = store.get(target_id)
        tie = Tie(person_id, target_id, REFERRAL, props)
        check_endpoints(tie, person.kind, target.kind)
        store.upsert_ties([tie])
    return tie


def update_referral(store: GraphStore, person_id: str, target_id: str, status: str, *,
                    by: str, outcome: str | None = None,
                    record_tie: bool = False) -> Tie:
    """Change a recorded referral's status (e.g. referred -> attended), keeping when and by
    whom it was made; records who updated it and when, and the outcome in words. With
    ``record_tie`` an "attended" also records the ongoing ``ATTENDS`` tie (same transaction), so
    the person's isolation level moves. Raises NotFoundError if none exists."""
    status = _check_status(status)
    by = _check_by(by)
    said = _text(outcome, "outcome")
    with store.transaction():
        try:
            old = store.get_tie(person_id, target_id, REFERRAL)
        except NotFoundError:
            raise NotFoundError("There is no referral to update for this person and "
                                "place; record one first.") from None
        today = _dt.date.today().isoformat()
        props = {**old.props, "status": status, "updated": today, "updated_by": by}
        if said is not None:
            props["outcome"] = said
        tie = Tie(person_id, target_id, REFERRAL, props)
        store.upsert_ties([tie])
        if record_tie and status == "attended":
            target = store.get(target_id)
            if target.kind in vocab.ASSET_KINDS:
                try:
                    since = store.get_tie(person_id, target_id, "ATTENDS").props
                except NotFoundError:
                    since = {}
                store.upsert_ties([Tie(person_id, target_id, "ATTENDS", {
                    **{k: v for k, v in since.items() if k != "until"},
                    "since": since.get("since") or today, "source": "referral",
                    "recorded_by": by})])
    return tie


def open_referrals(store: GraphStore, person_id: str) -> pd.DataFrame:
    """A person's referrals still waiting for an answer (suggested or referred), soonest
    follow-up first."""
    table = referrals_for(store, person_id)
    table = table[table["status"].isin(sorted(OPEN_STATUSES))]
    return table.sort_values(["follow_up", "date"], na_position="last",
                             kind="stable").reset_index(drop=True)


def referrals_for(store: GraphStore, person_id: str) -> pd.DataFrame:
    """Every referral of one person (see :data:`COLUMNS`), newest first."""
    rows = []
    for tie, node in store.neighbours(person_id, kinds=[REFERRAL]):
        if tie.src != person_id:
            continue
        p = tie.props
        rows.append({"target_id": node.id, "name": node.name, "kind": node.kind,
                     "status": p.get("status"), "date": p.get("date"), "by": p.get("by"),
                     "updated": p.get("updated"), "updated_by": p.get("updated_by"),
                     "reason": p.get("reason"), "follow_up": p.get("follow_up"),
                     "outcome": p.get("outcome")})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    return frame.sort_values(["date", "target_id"], ascending=[False, True],
                             kind="stable", na_position="last").reset_index(drop=True)
