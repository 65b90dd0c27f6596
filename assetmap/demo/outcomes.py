"""Synthetic outcomes for the demo: baselines, follow-ups, goals and ratings (no real data).

Every person the demo referred gets a baseline (around the referral) and, a few months later,
a follow-up on SWEMWBS and UCLA-3 (and for some ONS4 and LSNS-6), plus a Care Act wellbeing goal.
Scores follow a latent wellbeing drawn from the person's answer to the loneliness question; people
who joined the group they were referred to (their ``ATTENDS`` tie now carries the ``since`` day
they joined, after the baseline) improve more on average, so the Outcomes page shows the
association the tool looks for. Some attendees who agreed to it rate the places they attend.
Every record is marked ``synthetic``.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from typing import Any

import numpy as np

from assetmap import vocab
from assetmap.graph.store import GraphStore
from assetmap.measures import goal_record, measure_record
from assetmap.model import Tie
from assetmap.ratings import rating_record
from assetmap.records import PersonRecord

RECORDED_BY = "synthetic demo"
#: Need -> the Care Act wellbeing domain a goal for it sits in.
_DOMAIN_FOR_NEED = {"loneliness": "relationships", "mental_health": "health",
                    "carer_support": "control", "physical_activity": "health",
                    "employment": "participation", "money_advice": "social_economic",
                    "housing": "accommodation", "bereavement": "relationships",
                    "food": "social_economic", "long_term_condition": "health"}
_GOAL_TEXT = {"relationships": "Meet people regularly (synthetic)",
              "health": "Feel better in myself (synthetic)",
              "control": "Have time for myself (synthetic)",
              "participation": "Take part in something each week (synthetic)",
              "social_economic": "Get on top of money worries (synthetic)",
              "accommodation": "Feel settled at home (synthetic)"}
_COMMENTS = ("Friendly from the first visit (synthetic).", "Hard to get in with a wheelchair "
             "(synthetic).", "The volunteers really listen (synthetic).",
             "Would like it to meet more often (synthetic).")
RATING_RATE = 0.35


def _clip(x: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(x))))


def _answers(rng: np.random.Generator, z: float, family: int, friends: int
             ) -> dict[str, list[int]]:
    n = rng.normal
    return {
        "swemwbs": [_clip(3 + 0.8 * z + n(0, 0.45), 1, 5) for _ in range(7)],
        "ucla3": [_clip(2 - 0.6 * z + n(0, 0.4), 1, 3) for _ in range(3)],
        "ons4": [_clip(7 + 1.5 * z + n(0, 1), 0, 10), _clip(7.3 + 1.3 * z + n(0, 1), 0, 10),
                 _clip(7 + 1.5 * z + n(0, 1.2), 0, 10), _clip(3 - 1.5 * z + n(0, 1.5), 0, 10)],
        "lsns6": [_clip(0.8 * family + 1 + n(0, 0.7), 0, 5) for _ in range(3)]
        + [_clip(0.8 * friends + 0.5 + 0.3 * z + n(0, 0.7), 0, 5) for _ in range(3)],
    }


def outcome_records(store: GraphStore, seed: int = 2021, today: _dt.date | None = None
                    ) -> tuple[list[PersonRecord], list[Tie]]:
    """The synthetic records and the re-dated ``ATTENDS`` ties (not yet written)."""
    today = today or _dt.date.today()
    rng = np.random.default_rng([seed, 18])
    people = {n.id: n.props for n in store.find(vocab.PERSON)}
    assets = {n.id: n.props for n in store.find(vocab.GROUP)}
    assets.update({n.id: n.props for n in store.find(vocab.ORGANISATION)})
    referrals: list[Tie] = []
    joined: dict[tuple[str, str], Tie] = {}
    family: dict[str, int] = defaultdict(int)
    friends: dict[str, int] = defaultdict(int)
    attends: list[Tie] = []
    for tie in store.ties():
        if tie.kind == "REFERRED_TO" and tie.src in people and tie.props.get("date"):
            referrals.append(tie)
        elif tie.kind == "ATTENDS":
            attends.append(tie)
            if tie.props.get("via") == "referral":
                joined[(tie.src, tie.dst)] = tie
        elif tie.kind == "FAMILY":
            family[tie.src] += 1
            family[tie.dst] += 1
        elif tie.kind in ("FRIEND", "NEIGHBOUR", "PEER"):
            friends[tie.src] += 1
            friends[tie.dst] += 1
    records: list[PersonRecord] = []
    redated: list[Tie] = []
    done: set[str] = set()
    for tie in sorted(referrals, key=lambda t: (t.src, t.props["date"], t.dst)):
        pid = tie.src
        if pid in done:
            continue
        done.add(pid)
        props = people[pid]
        day = _dt.date.fromisoformat(str(tie.props["date"])[:10])
        baseline = day - _dt.timedelta(days=int(rng.integers(0, 15)))
        follow_up = day + _dt.timedelta(days=int(rng.integers(90, 151)))
        lonely = vocab.LONELINESS.index(props.get("lonely", "occasionally"))
        z0 = (lonely - 2) / 1.5 + rng.normal(0, 0.5)
        gained = 0
        member = joined.get((pid, tie.dst))
        if member is not None and follow_up <= today:
            since = day + _dt.timedelta(days=int(rng.integers(7, 29)))
            redated.append(Tie(member.src, member.dst, member.kind,
                               {**member.props, "since": since.isoformat()}))
            gained = 1
        fam, fr = min(family[pid], 4), min(friends[pid], 4)
        base = _answers(rng, z0, fam, fr)
        scales = ["swemwbs", "ucla3"] + [s for s, p in (("ons4", 0.6), ("lsns6", 0.5))
                                         if rng.random() < p]
        for scale in scales:
            records.append(measure_record(pid, scale, base[scale], baseline, RECORDED_BY,
                                          synthetic=True))
        need = next((n for n in props.get("needs") or [] if n in _DOMAIN_FOR_NEED),
                    "loneliness")
        domain = _DOMAIN_FOR_NEED[need]
        records.append(goal_record(pid, domain, _GOAL_TEXT[domain], "set", baseline,
                                   RECORDED_BY, synthetic=True))
        if follow_up > today or rng.random() < 0.15:
            continue  # not followed up (yet): a baseline only
        z1 = z0 + 1.0 * gained + rng.normal(0.05, 0.3)
        after = _answers(rng, z1, fam, fr + gained)
        for scale in scales:
            records.append(measure_record(pid, scale, after[scale], follow_up, RECORDED_BY,
                                          synthetic=True))
        status = ("met" if z1 - z0 > 0.5 else "partly_met" if z1 - z0 > 0 else "not_met")
        records.append(goal_record(pid, domain, _GOAL_TEXT[domain], status, follow_up,
                                   RECORDED_BY, synthetic=True))
    # Ratings: attendees who agreed to be asked rate the place they attend.
    quality = {a: rng.normal(0.4, 0.5) for a in sorted(assets)}
    for tie in sorted(attends, key=lambda t: (t.src, t.dst)):
        rater = people.get(tie.src)
        if rater is None or tie.dst not in assets:
            continue
        asked = "expert_by_experience" in (rater.get("roles") or []) or \
            bool((rater.get("consent") or {}).get("suggest"))
        if not asked or rng.random() >= RATING_RATE:
            continue
        q = quality[tie.dst]
        step_free = "step_free" in (assets[tie.dst].get("access") or [])
        answers = {"welcoming": _clip(4 + q + rng.normal(0, 0.7), 1, 5),
                   "accessible": _clip((4 if step_free else 2.3) + 0.5 * q
                                       + rng.normal(0, 0.7), 1, 5),
                   "helpful": _clip(3.8 + q + rng.normal(0, 0.8), 1, 5),
                   "would_recommend": _clip(4 + q + rng.normal(0, 0.8), 1, 5)}
        comment = _COMMENTS[int(rng.integers(len(_COMMENTS)))] if rng.random() < 0.2 else None
        day = today - _dt.timedelta(days=int(rng.integers(1, 300)))
        rec = rating_record(tie.src, tie.dst, answers, comment, day, RECORDED_BY,
                            consent=True, synthetic=True)
        if comment and rng.random() < 0.7:
            rec.data["comment_status"] = "approved"
            rec.data["moderated_by"] = RECORDED_BY
        records.append(rec)
    return records, redated


def add_outcomes(store: GraphStore, seed: int = 2021) -> dict[str, Any]:
    """Write the demo's synthetic outcomes and ratings in one transaction; return the counts."""
    records, redated = outcome_records(store, seed)
    with store.transaction():
        if redated:
            store.upsert_ties(redated)
        store.add_records(records)
    counts: dict[str, Any] = defaultdict(int)
    for r in records:
        counts[r.kind] += 1
    return {"records": dict(counts), "ties_dated": len(redated)}
