"""Validated wellbeing and loneliness scales recorded over time, and Care Act wellbeing goals.

Each scale is a fixed list of items with a fixed answer range; :func:`score_answers` checks the
answers (item count, whole numbers, range) and gives the scale's published scores. Records are
:class:`~assetmap.records.PersonRecord` s of kind ``measure`` (or ``goal``) kept beside the graph.

References (see docs/data-model.md, "Scales"):

- ONS4: Office for National Statistics, *Personal well-being user guidance* (four questions,
  0-10; for anxiety, lower is better).
- SWEMWBS: Stewart-Brown S, Tennant A, Tennant R, et al. Internal construct validity of the
  Warwick-Edinburgh Mental Well-being Scale (WEMWBS): a Rasch analysis using data from the
  Scottish Health Education Population Survey. *Health Qual Life Outcomes* 2009;7:15. Seven items
  1-5; the raw total 7-35 is converted to a metric (interval) score with the published table
  (:data:`SWEMWBS_METRIC`), as the scale's authors (Warwick Medical School) require.
- UCLA-3: Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT. A short scale for measuring loneliness in
  large surveys. *Res Aging* 2004;26(6):655-672. Three items 1-3, total 3-9 (higher is lonelier).
- LSNS-6: Lubben J, Blozik E, Gillmann G, et al. Performance of an abbreviated version of the
  Lubben Social Network Scale among three European community-dwelling older adult populations.
  *Gerontologist* 2006;46(4):503-513. Six items 0-5, total 0-30 (under 12: at risk of
  isolation); family (items 1-3) and friends (items 4-6) subscales 0-15.
- MYCaW: Paterson C, Thomas K, Manasse A, et al. Measure Yourself Concerns and Wellbeing.
  *Complement Ther Med* 2007;15(1):38-45. One or two concerns and wellbeing, each 0-6 (lower is
  better); the profile score is their mean.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.records import PersonRecord, parse_day, record_id

#: SWEMWBS raw total (7-35) -> metric score, from the published Rasch conversion table
#: (Stewart-Brown et al. 2009; Warwick Medical School scoring guidance).
SWEMWBS_METRIC: dict[int, float] = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
    15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98,
    23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03,
    31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}


@dataclass(frozen=True, slots=True)
class Scale:
    """One validated scale: its items in order, the answer range, and how many items are needed
    (``optional`` items at the end may be left out)."""

    name: str
    title: str
    items: tuple[str, ...]
    low: int
    high: int
    optional: int = 0


SCALES: dict[str, Scale] = {
    "ons4": Scale("ons4", "ONS4 personal wellbeing",
                  ("life_satisfaction", "worthwhile", "happiness", "anxiety"), 0, 10),
    "swemwbs": Scale("swemwbs", "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
                     ("optimistic", "useful", "relaxed", "dealing_with_problems",
                      "thinking_clearly", "close_to_others", "own_mind"), 1, 5),
    "ucla3": Scale("ucla3", "UCLA 3-item loneliness scale",
                   ("lack_companionship", "left_out", "isolated"), 1, 3),
    "lsns6": Scale("lsns6", "Lubben Social Network Scale (LSNS-6)",
                   ("family_see", "family_talk", "family_help",
                    "friends_see", "friends_talk", "friends_help"), 0, 5),
    "mycaw": Scale("mycaw", "Measure Yourself Concerns and Wellbeing (MYCaW)",
                   ("concern_1", "wellbeing", "concern_2"), 0, 6, optional=1),
}
assert tuple(SCALES) == vocab.SCALES

#: Every score a measure gives: name -> (scale, label, higher is better?, lowest, highest).
SCORES: dict[str, tuple[str, str, bool, float, float]] = {
    "ons4_life_satisfaction": ("ons4", "ONS4 life satisfaction (0-10)", True, 0, 10),
    "ons4_worthwhile": ("ons4", "ONS4 things done are worthwhile (0-10)", True, 0, 10),
    "ons4_happiness": ("ons4", "ONS4 happiness yesterday (0-10)", True, 0, 10),
    "ons4_anxiety": ("ons4", "ONS4 anxiety yesterday (0-10, lower is better)", False, 0, 10),
    "swemwbs_raw": ("swemwbs", "SWEMWBS raw total (7-35)", True, 7, 35),
    "swemwbs_metric": ("swemwbs", "SWEMWBS metric score (7-35)", True, 7, 35),
    "ucla3_total": ("ucla3", "UCLA-3 loneliness (3-9, lower is better)", False, 3, 9),
    "lsns6_total": ("lsns6", "LSNS-6 social network (0-30)", True, 0, 30),
    "lsns6_family": ("lsns6", "LSNS-6 family subscale (0-15)", True, 0, 15),
    "lsns6_friends": ("lsns6", "LSNS-6 friends subscale (0-15)", True, 0, 15),
    "mycaw_profile": ("mycaw", "MYCaW profile (0-6, lower is better)", False, 0, 6),
}
#: The one score per scale the cohort and the timeline lead with.
HEADLINE: dict[str, str] = {"ons4": "ons4_life_satisfaction", "swemwbs": "swemwbs_metric",
                            "ucla3": "ucla3_total", "lsns6": "lsns6_total",
                            "mycaw": "mycaw_profile"}
#: LSNS-6 totals under this are "at risk of social isolation" (Lubben et al. 2006).
LSNS6_ISOLATION_CUT = 12


def scale_name(text: str) -> str:
    """The scale a name means ("SWEMWBS", "ucla-3", "LSNS 6" ...); one-sentence error if none."""
    key = "".join(ch for ch in str(text).lower() if ch.isalnum())
    if key in SCALES:
        return key
    raise ValidationError(f"scale {str(text)[:30]!r} is not one of {', '.join(SCALES)}.",
                          field="scale")


def swemwbs_metric(raw: int) -> float:
    """The SWEMWBS metric score for a raw total of 7-35 (the published conversion table)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or raw not in SWEMWBS_METRIC:
        raise ValidationError(f"a SWEMWBS raw total must be a whole number from 7 to 35, not "
                              f"{raw!r}.", field="swemwbs_raw")
    return SWEMWBS_METRIC[raw]


def _answer(scale: Scale, item: str, value: Any) -> int:
    if isinstance(value, str):
        value = value.strip()
        try:
            value = float(value)
        except ValueError:
            raise ValidationError(f"{scale.name} {item} must be a whole number from "
                                  f"{scale.low} to {scale.high}.", field=item) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValidationError(f"{scale.name} {item} must be a whole number from {scale.low} to "
                              f"{scale.high}.", field=item)
    value = int(value)
    if not scale.low <= value <= scale.high:
        raise ValidationError(f"{scale.name} {item} is outside {scale.low} to {scale.high}.",
                              field=item)
    return value


def check_answers(scale: str, answers: Sequence[Any] | Mapping[str, Any]) -> list[int]:
    """The answers as whole numbers in item order, or a one-sentence ValidationError (wrong
    number of items, not a whole number, out of range). A mapping is keyed by item name."""
    s = SCALES[scale_name(scale)]
    if isinstance(answers, Mapping):
        unknown = set(answers) - set(s.items)
        if unknown:
            raise ValidationError(f"{s.name} has no item {sorted(unknown)[0]!r}.", field="items")
        values = [answers.get(i) for i in s.items]
    else:
        values = list(answers)
    while values and values[-1] in (None, ""):
        values.pop()
    if any(v in (None, "") for v in values):
        raise ValidationError(f"{s.name} answers must not skip an item.", field="items")
    needed = len(s.items) - s.optional
    if not needed <= len(values) <= len(s.items):
        count = f"{needed}" if not s.optional else f"{needed} or {len(s.items)}"
        raise ValidationError(f"{s.name} needs {count} answers, not {len(values)}.",
                              field="items")
    return [_answer(s, item, v) for item, v in zip(s.items, values, strict=False)]


def score_answers(scale: str, answers: Sequence[Any] | Mapping[str, Any]) -> dict[str, float]:
    """The scale's scores from valid answers (see :data:`SCORES`)."""
    name = scale_name(scale)
    a = check_answers(name, answers)
    if name == "ons4":
        return {f"ons4_{item}": float(v) for item, v in zip(SCALES["ons4"].items, a, strict=True)}
    if name == "swemwbs":
        raw = sum(a)
        return {"swemwbs_raw": float(raw), "swemwbs_metric": swemwbs_metric(raw)}
    if name == "ucla3":
        return {"ucla3_total": float(sum(a))}
    if name == "lsns6":
        return {"lsns6_total": float(sum(a)), "lsns6_family": float(sum(a[:3])),
                "lsns6_friends": float(sum(a[3:]))}
    return {"mycaw_profile": round(sum(a) / len(a), 2)}


def measure_record(person_id: str, scale: str, answers: Sequence[Any] | Mapping[str, Any],
                   date: _dt.date | str, recorded_by: str, *, synthetic: bool = False
                   ) -> PersonRecord:
    """A validated measure (one scale answered on one day) ready for ``store.add_records``."""
    name = scale_name(scale)
    items = check_answers(name, answers)
    day = parse_day(date, "date")
    if day > _dt.date.today().isoformat():
        raise ValidationError(f"date {day} is in the future.", field="date")
    by = str(recorded_by or "").strip()
    if not by:
        raise ValidationError("a measure needs who recorded it.", field="recorded_by")
    data: dict[str, Any] = {"scale": name, "items": items, "scores": score_answers(name, items),
                            "recorded_by": by[:100]}
    if synthetic:
        data["synthetic"] = True
    return PersonRecord(record_id(vocab.MEASURE, person_id, name, day), vocab.MEASURE,
                        person_id, day, None, data).validate()


def goal_record(person_id: str, domain: str, goal: str, status: str, date: _dt.date | str,
                recorded_by: str, *, synthetic: bool = False) -> PersonRecord:
    """A Care Act wellbeing goal (or outcome: its status on a day) for ``store.add_records``."""
    if domain not in vocab.CARE_ACT_DOMAINS:
        raise ValidationError(f"wellbeing domain {str(domain)[:30]!r} is not one of the Care "
                              f"Act's nine ({', '.join(vocab.CARE_ACT_DOMAINS)}).", field="domain")
    if status not in vocab.GOAL_STATUSES:
        raise ValidationError(f"goal status {str(status)[:20]!r} is not one of "
                              f"{', '.join(vocab.GOAL_STATUSES)}.", field="status")
    text = str(goal or "").strip()
    if not text or len(text) > 500:
        raise ValidationError("a goal needs a description of up to 500 characters.",
                              field="goal")
    by = str(recorded_by or "").strip()
    if not by:
        raise ValidationError("a goal needs who recorded it.", field="recorded_by")
    day = parse_day(date, "date")
    data: dict[str, Any] = {"domain": domain, "goal": text, "status": status,
                            "recorded_by": by[:100]}
    if synthetic:
        data["synthetic"] = True
    return PersonRecord(record_id(vocab.GOAL, person_id, domain, day), vocab.GOAL, person_id,
                        day, None, data).validate()


def record_measure(store: Any, person_id: str, scale: str,
                   answers: Sequence[Any] | Mapping[str, Any], date: _dt.date | str,
                   recorded_by: str) -> PersonRecord:
    """Check and store one measure for a person in the store (one transaction)."""
    rec = measure_record(person_id, scale, answers, date, recorded_by)
    with store.transaction():
        if store.get(person_id).kind != vocab.PERSON:
            raise ValidationError("measures can only be recorded for a person.",
                                  field="person_id")
        store.add_records([rec])
    return rec


def record_goal(store: Any, person_id: str, domain: str, goal: str, status: str,
                date: _dt.date | str, recorded_by: str) -> PersonRecord:
    """Check and store one wellbeing goal (or its outcome) for a person (one transaction)."""
    rec = goal_record(person_id, domain, goal, status, date, recorded_by)
    with store.transaction():
        if store.get(person_id).kind != vocab.PERSON:
            raise ValidationError("goals can only be recorded for a person.", field="person_id")
        store.add_records([rec])
    return rec


#: Columns of :func:`measures_frame`.
MEASURE_COLUMNS: list[str] = ["person_id", "date", "scale", "score", "value", "recorded_by"]


def measures_frame(records: Sequence[PersonRecord]) -> pd.DataFrame:
    """Measure records as a long table: one row per score (see :data:`MEASURE_COLUMNS`)."""
    rows = [{"person_id": r.person_id, "date": r.date, "scale": r.data.get("scale"),
             "score": name, "value": float(value), "recorded_by": r.data.get("recorded_by")}
            for r in records if r.kind == vocab.MEASURE
            for name, value in (r.data.get("scores") or {}).items() if name in SCORES]
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def goals_frame(records: Sequence[PersonRecord]) -> pd.DataFrame:
    """Goal records as a table: date, domain (as read), goal, status, recorded by."""
    rows = [{"date": r.date, "domain": vocab.CARE_ACT_DOMAINS.get(str(r.data.get("domain")), ""),
             "goal": r.data.get("goal"), "status": vocab.label(str(r.data.get("status"))),
             "recorded_by": r.data.get("recorded_by")}
            for r in records if r.kind == vocab.GOAL]
    return pd.DataFrame(rows, columns=["date", "domain", "goal", "status", "recorded_by"])
