"""Outcomes over time: a person's circle on a date, their timeline, and cohort change.

*The network over time.* A tie may carry ``since`` and ``until`` (ISO dates; a year ``2019`` or a
month ``2024-01`` means its first day; ``since_year`` is read as ``since``). A tie counts on a day
when it had started (``since`` on or before the day, or no ``since``: known, start not recorded)
and had not ended (no ``until``, or ``until`` after the day). :func:`circle_on` gives a person's
circle on a day by the same counting rules as :mod:`circles`, so :func:`circles.level` of it
compares levels across dates.

*Cohort outcomes.* People with a baseline and a follow-up measure (the first and the last inside
the window) are compared: the change in their community ties (on the follow-up day minus on the
baseline day) beside the change in each scale's scores, overall and by referral status and by
the kind of place they were referred to. Groups smaller than the privacy threshold are
suppressed (:func:`assetmap.governance.privacy.protect_table`). The figures show association, not
cause: people who gained ties may differ in other ways from those who did not.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.graph.analysis import circles as _c
from assetmap.measures import HEADLINE, SCORES, measures_frame

_PARTIAL = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
#: The referral group of people with no referral before their follow-up.
NO_REFERRAL = "no referral recorded"
#: What the cohort analysis says about cause, on every page and file it writes.
ASSOCIATION_NOTE = ("These figures show association, not cause: people whose community ties "
                    "grew may differ in other ways from those whose ties did not, and there is "
                    "no comparison group.")
#: Shortest gap between baseline and follow-up that counts as a follow-up.
MIN_FOLLOW_UP_DAYS = 28


def parse_when(value: Any) -> _dt.date | None:
    """A day from a tie's ``since``/``until``: a date, ISO text, ``2024-01`` or ``2019`` (the
    first day of that month or year), a year as a number; None if absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, int | float):
        value = str(int(value))
    m = _PARTIAL.match(str(value))
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def as_day(value: _dt.date | str) -> _dt.date:
    """A day from a date or ISO text; one-sentence ValidationError otherwise."""
    day = value if isinstance(value, _dt.date) else parse_when(value)
    if day is None or (isinstance(value, str) and len(value.strip()) < 10):
        raise ValidationError(f"{str(value)[:20]!r} is not a date like 2025-11-25.", field="date")
    return day.date() if isinstance(day, _dt.datetime) else day


def tie_active(props: dict[str, Any], day: _dt.date) -> bool:
    """Whether a tie with these props counted on ``day`` (see the module docstring)."""
    since = parse_when(props.get("since", props.get("since_year")))
    until = parse_when(props.get("until"))
    return (since is None or since <= day) and (until is None or day < until)


def _ego_on(G: nx.MultiDiGraph, person_id: str, day: _dt.date) -> nx.MultiDiGraph:
    """The person, the ties touching them that counted on ``day``, and their other ends (plus
    any group a person-to-person tie names in ``via``)."""
    H = nx.MultiDiGraph()
    H.add_node(person_id, **G._node[person_id])
    for out, adj in ((True, G._succ[person_id]), (False, G._pred[person_id])):
        for other, keyed in adj.items():
            for key, attrs in keyed.items():
                if not tie_active(attrs, day):
                    continue
                if other not in H:
                    H.add_node(other, **G._node[other])
                via = attrs.get("via")
                if isinstance(via, str) and via in G and via not in H:
                    H.add_node(via, **G._node[via])
                src, dst = (person_id, other) if out else (other, person_id)
                H.add_edge(src, dst, key=key, **attrs)
    return H


def _ego_from_store(store: Any, person_id: str, day: _dt.date) -> nx.MultiDiGraph:
    me = store.get(person_id)
    H = nx.MultiDiGraph()
    H.add_node(me.id, kind=me.kind, name=me.name, area=me.area, **me.props)
    vias: set[str] = set()
    for tie, other in store.neighbours(person_id):
        if not tie_active(tie.props, day):
            continue
        if other.id not in H:
            H.add_node(other.id, **{**other.props, "kind": other.kind, "name": other.name,
                                    "area": other.area})
        via = tie.props.get("via")
        if isinstance(via, str):
            vias.add(via)
        H.add_edge(tie.src, tie.dst, key=tie.kind,
                   **{**tie.props, "kind": tie.kind, "tie_class": tie.tie_class})
    for via in sorted(vias - set(H)):
        try:
            node = store.get(via)
        except NotFoundError:
            continue
        H.add_node(node.id, **{**node.props, "kind": node.kind, "name": node.name})
    return H


def circle_on(store_or_graph: Any, person_id: str, day: _dt.date | str) -> _c.Circle:
    """This person's circle as it was on ``day``: only ties that had started and not ended.

    Takes the graph ``store.to_networkx()`` gives (fast for many people) or a store (reads only
    this person's ties). Raises NotFoundError for an unknown person.
    """
    day = as_day(day)
    if isinstance(store_or_graph, nx.MultiDiGraph):
        if person_id not in store_or_graph:
            raise NotFoundError(f"No person with id {person_id!r}.")
        H = _ego_on(store_or_graph, person_id, day)
    else:
        H = _ego_from_store(store_or_graph, person_id, day)
    return _c.circle(H, person_id, today=day)  # ties ended after ``day`` still counted then


def level_on(store_or_graph: Any, person_id: str, day: _dt.date | str) -> str:
    """The isolation level (:func:`circles.level`) of this person's circle on ``day``."""
    return _c.level(circle_on(store_or_graph, person_id, day))


# --- a person's timeline -------------------------------------------------------------------------

def _score_share(score: str, value: float) -> float:
    """A score as 0-100 % of its range, turned so that higher is always better (for one chart)."""
    _, _, better_high, low, high = SCORES[score]
    share = (value - low) / (high - low) * 100.0
    return round(share if better_high else 100.0 - share, 1)


def person_timeline(store: Any, person_id: str, G: nx.MultiDiGraph | None = None,
                    today: _dt.date | None = None) -> dict[str, pd.DataFrame]:
    """What happened to one person over time, for the Person page's chart.

    ``network``: date, community_ties, level, level_rank (0 isolated .. 3 connected) on every day
    something changed (a tie began or ended, a measure, a referral) and today; ``scores``: date,
    score, label, value, share (0-100 %, higher is better); ``events``: date, event (referral /
    attended / joined), name, status.
    """
    today = today or _dt.date.today()
    source: Any = G if G is not None and person_id in G else store
    records = store.records(vocab.MEASURE, person_id=person_id)
    scores = measures_frame(records)
    heads = set(HEADLINE.values()) | {"ons4_anxiety", "ons4_happiness", "ons4_worthwhile"}
    scores = scores[scores["score"].isin(heads)].copy()
    scores["label"] = scores["score"].map(lambda s: SCORES[s][1])
    scores["share"] = [_score_share(s, v) for s, v in zip(scores["score"], scores["value"],
                                                            strict=True)]
    events, days = [], {today}
    for tie, other in store.neighbours(person_id):
        if tie.src != person_id:
            continue
        when = parse_when(tie.props.get("date") if tie.kind == "REFERRED_TO"
                          else tie.props.get("since"))
        if tie.kind == "REFERRED_TO" and when is not None:
            events.append({"date": when.isoformat(), "event": "referral", "name": other.name,
                           "status": tie.props.get("status") or ""})
        elif tie.kind in _c.MEMBERSHIP_TIES and when is not None:
            events.append({"date": when.isoformat(), "event": "joined", "name": other.name,
                           "status": "attends" if tie.kind == "ATTENDS" else "volunteers"})
        for key in ("since", "until"):
            d = parse_when(tie.props.get(key))
            if d is not None and d <= today:
                days.add(d)
    days |= {_dt.date.fromisoformat(d) for d in scores["date"]}
    days |= {_dt.date.fromisoformat(e["date"]) for e in events}
    earliest = min(days)
    days.add(earliest - _dt.timedelta(days=1))  # the day before anything changed
    rows = []
    for day in sorted(d for d in days if d <= today):
        c = circle_on(source, person_id, day)
        lvl = _c.level(c)
        rows.append({"date": day.isoformat(), "community_ties": len(c.community), "level": lvl,
                     "level_rank": _c.LEVEL_RANK[lvl]})
    network = pd.DataFrame(rows, columns=["date", "community_ties", "level", "level_rank"])
    return {"network": network,
            "scores": scores[["date", "score", "label", "value", "share"]].reset_index(drop=True),
            "events": pd.DataFrame(events, columns=["date", "event", "name", "status"])}


# --- cohort outcomes ----------------------------------------------------------------------------

def _place_kind(attrs: dict[str, Any]) -> str:
    """The kind of a group or organisation as a commissioner groups them."""
    if attrs.get("kind") == vocab.ORGANISATION:
        return vocab.label(str(attrs.get("org_kind") or "organisation"))
    activities = sorted(attrs.get("activities") or [])
    return f"group: {vocab.label(activities[0])}" if activities else "group: other"


def _in_area(G: nx.MultiDiGraph, area: Any, code: str) -> bool:
    seen: set[str] = set()
    while isinstance(area, str) and area not in seen:
        if area == code:
            return True
        seen.add(area)
        area = G._node.get(area, {}).get("parent")
    return False


#: Columns of the per-person frame :func:`cohort_people` returns (plus one ``<score>_change``
#: column per score in :data:`assetmap.measures.SCORES`).
PEOPLE_COLUMNS: list[str] = ["person_id", "baseline_date", "follow_up_date",
                             "community_ties_baseline", "community_ties_follow_up",
                             "community_ties_change", "level_baseline", "level_follow_up",
                             "level_change", "referral", "group_kind"]


def cohort_graph(store: Any, person_ids: Any, areas: bool = False) -> nx.MultiDiGraph:
    """The small graph :func:`cohort_people` needs for these people, read through the store's
    own API (one ``neighbours`` read per person; issue 16: a server store's Outcomes page
    loads no whole graph): the people who exist, every tie of theirs with the record at its
    other end, the groups their ties name as ``via``, and (``areas``) every area, for the area
    filter. In ``to_networkx``'s shape, so each person's circle on a day is the whole graph's."""
    G = nx.MultiDiGraph()

    def add(node: Any) -> None:
        if node.id not in G:
            G.add_node(node.id, **{**node.props, "kind": node.kind, "name": node.name or "",
                                   "area": node.area, "lat": node.lat, "lon": node.lon})

    people = store.get_many(sorted(set(person_ids)))
    vias: set[str] = set()
    for pid in sorted(people):
        add(people[pid])
        for tie, other in store.neighbours(pid):
            add(other)
            via = tie.props.get("via")
            if isinstance(via, str):
                vias.add(via)
            G.add_edge(tie.src, tie.dst, key=tie.kind,
                       **{**tie.props, "kind": tie.kind, "tie_class": tie.tie_class})
    for node in store.get_many(sorted(vias - set(G))).values():
        add(node)
    if areas:
        for node in store.find(vocab.AREA):
            add(node)
    return G


def cohort_people(store: Any, G: nx.MultiDiGraph | None,
                  date_from: _dt.date | str | None = None,
                  date_to: _dt.date | str | None = None, area: str | None = None
                  ) -> pd.DataFrame:
    """One row per person with a baseline and a follow-up measure in the window: their tie and
    level change and each score's change (NaN where that scale was not measured twice).
    ``G`` is the whole graph, or None to read only the measured people's own ties from the
    store (:func:`cohort_graph`: the same rows).

    Personal data: for analysis inside the app only; publish :func:`cohort_outcomes` instead.
    """
    lo = as_day(date_from).isoformat() if date_from else "0000-00-00"
    hi = as_day(date_to).isoformat() if date_to else "9999-99-99"
    frame = measures_frame(store.records(vocab.MEASURE))
    frame = frame[(frame["date"] >= lo) & (frame["date"] <= hi)]
    if G is None:
        G = cohort_graph(store, frame["person_id"].unique().tolist(), areas=bool(area))
    frame = frame[frame["person_id"].isin([p for p in frame["person_id"].unique() if p in G])]
    if area:
        keep = {p for p in frame["person_id"].unique()
                if _in_area(G, G._node[p].get("area"), area)}
        frame = frame[frame["person_id"].isin(keep)]
    score_cols = [f"{s}_change" for s in SCORES]
    rows = []
    for pid, mine in frame.groupby("person_id", sort=True):
        first, last = mine["date"].min(), mine["date"].max()
        if (_dt.date.fromisoformat(last) - _dt.date.fromisoformat(first)).days \
                < MIN_FOLLOW_UP_DAYS:
            continue
        before, after = circle_on(G, pid, first), circle_on(G, pid, last)
        lb, la = _c.level(before), _c.level(after)
        row: dict[str, Any] = {
            "person_id": pid, "baseline_date": first, "follow_up_date": last,
            "community_ties_baseline": len(before.community),
            "community_ties_follow_up": len(after.community),
            "community_ties_change": len(after.community) - len(before.community),
            "level_baseline": lb, "level_follow_up": la,
            "level_change": _c.LEVEL_RANK[la] - _c.LEVEL_RANK[lb]}
        for score, series in mine.groupby("score"):
            s = series.sort_values("date")
            if len(s) >= 2 and s["date"].iloc[-1] > s["date"].iloc[0]:
                row[f"{score}_change"] = float(s["value"].iloc[-1] - s["value"].iloc[0])
        referral, kind = NO_REFERRAL, "none"
        latest = ""
        for other, keyed in G._succ[pid].items():
            attrs = keyed.get("REFERRED_TO")
            if attrs is None:
                continue
            when = str(attrs.get("date") or "")
            if when <= last and when >= latest:
                latest = when
                referral = str(attrs.get("status") or "referred")
                kind = _place_kind(G._node[other])
        row["referral"], row["group_kind"] = referral, kind
        rows.append(row)
    return pd.DataFrame(rows, columns=PEOPLE_COLUMNS + score_cols)


def _published_counts(counts: pd.Series) -> pd.Series:
    """Counts for rows that partition one cohort, protected as one table with its total."""
    from assetmap.governance.privacy import protect_table

    table = protect_table(counts.to_frame("people"), totals=True)
    return table["people"]


def cohort_outcomes(people: pd.DataFrame) -> pd.DataFrame:
    """The publishable cohort table: for everyone, then by referral status and by kind of
    place, the number of people (protected) and the mean change in community ties and in each
    score. Means are left blank where the group (or the people measured on that scale) is under
    the privacy threshold, or its count had to be hidden to protect another.

    Columns: breakdown, group, people, community_ties_change_mean, level_change_mean,
    share_gained_community_ties, then ``<score>_change_mean`` and ``<score>_people`` per score.
    """
    from assetmap.governance.privacy import masked_count, publish_count

    score_names = [s for s in SCORES if f"{s}_change" in people.columns]
    rows: list[dict[str, Any]] = []

    def summarise(breakdown: str, group: str, part: pd.DataFrame, shown: str) -> None:
        row: dict[str, Any] = {"breakdown": breakdown, "group": group, "people": shown}
        ok = shown.isdigit() and int(shown) > 0 and masked_count(len(part)) is not None
        row["community_ties_change_mean"] = (round(float(part["community_ties_change"].mean()), 2)
                                             if ok else np.nan)
        row["level_change_mean"] = (round(float(part["level_change"].mean()), 2)
                                    if ok else np.nan)
        row["share_gained_community_ties"] = (
            round(float((part["community_ties_change"] > 0).mean()), 2) if ok else np.nan)
        for s in score_names:
            vals = part[f"{s}_change"].dropna()
            measured = masked_count(len(vals)) if ok else None
            row[f"{s}_change_mean"] = (round(float(vals.mean()), 2)
                                       if ok and measured else np.nan)
            row[f"{s}_people"] = publish_count(len(vals)) if ok else ""
        rows.append(row)

    summarise("all", "everyone", people,
              publish_count(len(people)))
    for breakdown, col in (("referral", "referral"), ("group_kind", "group_kind")):
        if people.empty:
            continue
        counts = people.groupby(col).size().sort_index()
        shown = _published_counts(counts)
        for group, part in people.groupby(col, sort=True):
            summarise(breakdown, str(group), part, str(shown.loc[group]))
    columns = ["breakdown", "group", "people", "community_ties_change_mean",
               "level_change_mean", "share_gained_community_ties"]
    for s in score_names:
        columns += [f"{s}_change_mean", f"{s}_people"]
    return pd.DataFrame(rows, columns=columns)


def cohort_chart(table: pd.DataFrame, breakdown: str = "referral") -> Any:
    """An Altair bar chart: mean change in community ties beside the mean change in each
    headline score (as points on the scale), per group of one breakdown; suppressed groups are
    left out."""
    import altair as alt

    part = table[table["breakdown"].isin(["all", breakdown])]
    measures = {"community_ties_change_mean": "Community ties"}
    measures.update({f"{HEADLINE[s]}_change_mean": SCORES[HEADLINE[s]][1] for s in HEADLINE
                     if f"{HEADLINE[s]}_change_mean" in part.columns})
    long = part.melt(id_vars=["group"], value_vars=list(measures), var_name="measure",
                     value_name="mean_change").dropna(subset=["mean_change"])
    long["measure"] = long["measure"].map(measures)
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("mean_change:Q", title="Mean change, follow-up minus baseline"),
        y=alt.Y("group:N", title=None),
        color=alt.Color("group:N", legend=None),
        row=alt.Row("measure:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["group:N", "measure:N", "mean_change:Q"],
    ).properties(width=420, title="Change in community ties beside change in scores "
                 "(association, not cause)").resolve_scale(x="independent")


def write_outcomes(store: Any, out_dir: str | Path, date_from: str | None = None,
                   date_to: str | None = None, area: str | None = None,
                   G: nx.MultiDiGraph | None = None) -> dict[str, Any]:
    """Write ``outcomes.csv`` (the protected cohort table), ``outcomes_chart.vl.json`` (its
    chart as a Vega-Lite spec) and ``outcomes_README.txt`` (what the columns mean, and that they
    show association, not cause) into ``out_dir``; return the cohort size and file names."""
    from assetmap.governance.privacy import neutralise_csv, publish_count

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    G = store.to_networkx() if G is None else G
    people = cohort_people(store, G, date_from, date_to, area)
    table = cohort_outcomes(people)
    neutralise_csv(table).to_csv(out / "outcomes.csv", index=False)
    (out / "outcomes_chart.vl.json").write_text(cohort_chart(table).to_json(), encoding="utf-8")
    window = f"from {date_from or 'the first measure'} to {date_to or 'the last'}"
    (out / "outcomes_README.txt").write_text(
        f"Outcomes {window}{f' in area {area}' if area else ''}.\n"
        f"{ASSOCIATION_NOTE}\n"
        "Each row is everyone with a baseline and a follow-up measure (at least "
        f"{MIN_FOLLOW_UP_DAYS} days apart), or one group of them. <score>_change_mean is the mean "
        "of follow-up minus baseline; community_ties_change_mean is the mean change in community "
        "ties between the same two days. Counts under the privacy threshold are shown as <N and "
        "their means left blank; '*' hides a count that would reveal another.\n",
        encoding="utf-8")
    return {"people": publish_count(len(people)),
            "files": ["outcomes.csv", "outcomes_chart.vl.json", "outcomes_README.txt"]}

