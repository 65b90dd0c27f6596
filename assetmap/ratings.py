"""Experts by experience rate the groups and services they use.

A person (who agrees to it) or a group rates a group or organisation they use — a tie from
the rater to it (attends, volunteers at, supported by, an attended referral, or partners with) —
on four questions (:data:`assetmap.vocab.RATING_QUESTIONS`), each 1 (poor) to 5, with an
optional comment. A rater has one rating per place; rating again replaces it. A comment waits
(``pending``) until an administrator approves it; only approved comments are ever shown.

Ratings are shown only as aggregates over at least :data:`MIN_RATINGS` raters
(:func:`ratings_summary`), never one by one, never with who gave them. Directory search calls
:func:`ratings_summary` to sort and filter; the Gaps page's provision measure weighs a provider
by :func:`provision_weight` (provision rated inaccessible counts as weaker). Open Referral UK has
no object for ratings, so they are not exported with ORUK (docs/data-model.md says why).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.records import PersonRecord, parse_day, record_id

#: Fewest distinct raters before a place's ratings are shown (as aggregates only).
MIN_RATINGS = 5
#: Ties by which a rater "uses" a place (a referral counts once attended).
USE_TIES: frozenset[str] = frozenset({"ATTENDS", "VOLUNTEERS_AT", "SUPPORTED_BY", "PARTNERS_WITH",
                                      "REFERRED_TO"})
MAX_COMMENT = 1000
#: Columns of :func:`ratings_summary`.
SUMMARY_COLUMNS: list[str] = ["asset_id", "ratings",
                              *(f"{q}_mean" for q in vocab.RATING_QUESTIONS), "overall_mean",
                              "comments"]


def _uses(store: Any, rater_id: str, asset_id: str) -> bool:
    for tie, other in store.neighbours(rater_id):
        if other.id != asset_id or tie.kind not in USE_TIES:
            continue
        if tie.kind == "REFERRED_TO" and tie.props.get("status") != "attended":
            continue
        return True
    return False


def rating_record(rater_id: str, asset_id: str, answers: Mapping[str, Any],
                  comment: str | None = None, date: _dt.date | str | None = None,
                  recorded_by: str = "", *, consent: bool = False,
                  synthetic: bool = False) -> PersonRecord:
    """A validated rating (not yet stored): every question answered 1-5, consent given."""
    if consent is not True:
        raise ValidationError("a rating needs the rater's agreement to use it (in totals of "
                              f"{MIN_RATINGS} or more, never on its own).", field="consent")
    data: dict[str, Any] = {}
    for q in vocab.RATING_QUESTIONS:
        value = answers.get(q)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(f"{vocab.RATING_QUESTIONS[q]} must be a whole number from 1 "
                                  "to 5.", field=q)
        data[q] = value
    unknown = set(answers) - set(vocab.RATING_QUESTIONS)
    if unknown:
        raise ValidationError(f"a rating has no question {sorted(unknown)[0]!r}.",
                              field="answers")
    text = str(comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationError(f"a comment may be up to {MAX_COMMENT} characters.",
                              field="comment")
    data["comment"] = text
    data["comment_status"] = "pending" if text else "none"
    data["consent"] = True
    data["recorded_by"] = str(recorded_by or "")[:100]
    if synthetic:
        data["synthetic"] = True
    day = parse_day(date or _dt.date.today(), "date")
    return PersonRecord(record_id(vocab.RATING, rater_id, asset_id), vocab.RATING, rater_id,
                        day, asset_id, data).validate()


def rate(store: Any, rater_id: str, asset_id: str, answers: Mapping[str, Any],
         comment: str | None = None, *, consent: bool, recorded_by: str,
         date: _dt.date | str | None = None) -> PersonRecord:
    """Record (or replace) a person's or group's rating of a group or organisation they use."""
    rec = rating_record(rater_id, asset_id, answers, comment, date, recorded_by,
                        consent=consent)
    with store.transaction():
        rater, asset = store.get(rater_id), store.get(asset_id)
        if rater.kind not in (vocab.PERSON, vocab.GROUP):
            raise ValidationError("only a person or a group can give a rating.", field="rater")
        if asset.kind not in vocab.ASSET_KINDS:
            raise ValidationError("only a group or an organisation can be rated.",
                                  field="asset")
        if not _uses(store, rater_id, asset_id):
            raise ValidationError("a rating can only be given for a place the rater uses "
                                  "(attends, volunteers at, is supported by).", field="asset")
        store.add_records([rec])
    return rec


def pending_comments(store: Any) -> pd.DataFrame:
    """Comments waiting for an administrator: rating_id, asset_id, date, comment (no rater)."""
    rows = [{"rating_id": r.id, "asset_id": r.subject_id, "date": r.date,
             "comment": r.data.get("comment", "")}
            for r in store.records(vocab.RATING) if r.data.get("comment_status") == "pending"]
    return pd.DataFrame(rows, columns=["rating_id", "asset_id", "date", "comment"])


def moderate(store: Any, rating_id: str, approve: bool, by: Any) -> PersonRecord:
    """Approve (or reject) a rating's comment; only an administrator may."""
    from assetmap.governance.access import ADMIN

    if getattr(by, "role", None) != ADMIN:
        raise ValidationError("only an administrator can approve or reject comments.",
                              field="by")
    with store.transaction():
        found = [r for r in store.records(vocab.RATING) if r.id == rating_id]
        if not found:
            raise NotFoundError("That rating is no longer there.")
        rec = found[0]
        if rec.data.get("comment_status") not in ("pending", "approved", "rejected"):
            raise ValidationError("that rating has no comment to moderate.", field="comment")
        rec.data["comment_status"] = "approved" if approve else "rejected"
        rec.data["moderated_by"] = getattr(by, "name", "")
        store.add_records([rec])
    return rec


def ratings_summary(store: Any, asset_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Ratings of places, as aggregates only: one row per place rated by at least
    :data:`MIN_RATINGS` raters (places with fewer are left out), with the number of ratings,
    the mean answer to each question and overall, and the approved comments (no rater named).

    Columns :data:`SUMMARY_COLUMNS`; for directory search to sort and filter on.
    """
    records = store.records(vocab.RATING,
                            subject_ids=None if asset_ids is None else list(asset_ids))
    by_asset: dict[str, list[PersonRecord]] = {}
    for r in records:
        if r.subject_id is not None:
            by_asset.setdefault(r.subject_id, []).append(r)
    rows = []
    for asset_id, recs in sorted(by_asset.items()):
        if len({r.person_id for r in recs}) < MIN_RATINGS:
            continue
        row: dict[str, Any] = {"asset_id": asset_id, "ratings": len(recs)}
        for q in vocab.RATING_QUESTIONS:
            row[f"{q}_mean"] = round(sum(r.data[q] for r in recs) / len(recs), 2)
        row["overall_mean"] = round(sum(row[f"{q}_mean"] for q in vocab.RATING_QUESTIONS)
                                    / len(vocab.RATING_QUESTIONS), 2)
        row["comments"] = [r.data["comment"] for r in recs
                           if r.data.get("comment_status") == "approved" and r.data.get("comment")]
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def provision_weight(accessible_mean: float | None) -> float:
    """How much one provider counts in the Gaps provision measure, from its accessibility rating.

    1.0 with no published rating (fewer than MIN_RATINGS) or a mean of 3 or more; below 3 it
    falls linearly, ``(mean - 1) / 2``, to a floor of 0.25 at a mean of 1.5 or less: a place
    its users rate inaccessible counts as a quarter to a half of a provider, never as none.
    """
    if accessible_mean is None or accessible_mean != accessible_mean:
        return 1.0
    return float(min(1.0, max(0.25, (float(accessible_mean) - 1.0) / 2.0)))


def provision_weights(store: Any, asset_ids: Iterable[str] | None = None) -> dict[str, float]:
    """:func:`provision_weight` per rated place with a published rating (others weigh 1.0)."""
    summary = ratings_summary(store, asset_ids)
    return {a: provision_weight(m) for a, m in zip(summary["asset_id"],
                                                   summary["accessible_mean"], strict=True)}
