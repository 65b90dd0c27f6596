"""The Person page's outcomes section: the person's timeline (level, community ties and scores on
one chart, referrals and joinings marked), their measures and Care Act goals, a form to record a
scale or a goal, and a form for them to rate a place they use.

Two parts of the Person page: :func:`outcomes_summary` and :func:`outcomes_forms`. Thin over
:mod:`assetmap.measures`, :mod:`assetmap.ratings` and :mod:`assetmap.graph.analysis.outcomes`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import streamlit as st

from assetmap import vocab
from assetmap.graph.analysis.outcomes import person_timeline
from assetmap.measures import SCALES, SCORES, goals_frame, measures_frame, record_goal
from assetmap.measures import record_measure as _record_measure
from assetmap.ratings import MIN_RATINGS, USE_TIES, rate
from assetmap.render.charts import timeline_spec
from assetmap.ui import common

_FLASH = "outcomes_flash"
#: The timeline chart's accessible name (the dated list is in the tables below it).
_TIMELINE_DESCRIPTION = ("Timeline of this person's community ties, isolation level and "
                         "wellbeing scores; the dated list is in the tables below.")
#: How each scale's answers are asked on the form (short prompts; the full wording is the
#: scale's own, on the paper or screen form the person fills in).
_PROMPTS: dict[str, str] = {
    "ons4": "0 = not at all, 10 = completely",
    "swemwbs": "1 = none of the time … 5 = all of the time",
    "ucla3": "1 = hardly ever, 2 = some of the time, 3 = often",
    "lsns6": "0 = none … 5 = nine or more",
    "mycaw": "0 = not bothering me at all … 6 = bothers me greatly",
}


def _user_name(user: Any) -> str:
    return str(getattr(user, "name", "") or "")


def _audit_edit(user: Any, person_id: str | None) -> None:
    """Log that this user added to the person's record (the audit row holds no values)."""
    from assetmap.governance import audit
    from assetmap.ui import auth

    audit.record(auth.access_db(), user, "edit", person_id)


def _timeline(store: Any, person_id: str, G: Any) -> None:
    timeline = person_timeline(store, person_id, G=G)
    if timeline["scores"].empty and timeline["events"].empty:
        st.caption("No scores, referrals or dated ties yet: record a scale below to start "
                   "their timeline.")
    # a plain Vega-Lite spec: an Altair chart took a quarter of a second to build and
    # convert on every save (issue 14)
    st.vega_lite_chart(timeline_spec(timeline, _TIMELINE_DESCRIPTION), width="stretch")
    st.caption("Community ties and isolation level on each day something changed; scores as a "
               "share of their range, turned so that higher is always better (hover for the "
               "score itself). Dashed lines mark referrals and the days they joined a group.")


def _measure_form(store: Any, person_id: str, user: Any) -> None:
    scale = st.selectbox("Scale", list(SCALES), format_func=lambda s: SCALES[s].title,
                         key="outcomes_scale")
    s = SCALES[scale]
    with st.form("outcomes_measure"):
        day = st.date_input("Answered on", value=_dt.date.today(), max_value=_dt.date.today(),
                            key="outcomes_measure_day")
        st.caption(_PROMPTS[scale])
        cols = st.columns(min(4, len(s.items)))
        answers = []
        for i, item in enumerate(s.items):
            optional = i >= len(s.items) - s.optional
            answers.append(cols[i % len(cols)].number_input(
                vocab.label(item) + (" (optional)" if optional else ""), min_value=s.low,
                max_value=s.high, value=None if optional else s.low, step=1,
                key=f"outcomes_item_{scale}_{item}"))
        if st.form_submit_button("Record scale", type="primary"):
            try:
                rec = _record_measure(store, person_id, scale, answers, day, _user_name(user))
                _audit_edit(user, person_id)
            except Exception as exc:
                common.show_error(exc)
                return
            shown = ", ".join(f"{SCORES[k][1]}: {v:g}" for k, v in rec.data["scores"].items())
            st.session_state[_FLASH] = f"{s.title} recorded ({common.md_escape(shown)})."
            st.rerun()


def _goal_form(store: Any, person_id: str, user: Any) -> None:
    with st.form("outcomes_goal"):
        domain = st.selectbox("Care Act wellbeing domain", list(vocab.CARE_ACT_DOMAINS),
                              format_func=vocab.CARE_ACT_DOMAINS.__getitem__,
                              key="outcomes_goal_domain")
        goal = st.text_input("Goal, in their words", max_chars=500, key="outcomes_goal_text")
        status = st.radio("Where it has got to", vocab.GOAL_STATUSES, horizontal=True,
                          format_func=vocab.label, key="outcomes_goal_status")
        day = st.date_input("On", value=_dt.date.today(), max_value=_dt.date.today(),
                            key="outcomes_goal_day")
        if st.form_submit_button("Record goal"):
            try:
                record_goal(store, person_id, domain, goal, status, day, _user_name(user))
                _audit_edit(user, person_id)
            except Exception as exc:
                common.show_error(exc)
                return
            st.session_state[_FLASH] = "Goal recorded."
            st.rerun()


def places_used(store: Any, rater_id: str) -> dict[str, str]:
    """The groups and organisations a person or a group uses (id -> name): what it may rate."""
    places = {}
    for tie, other in store.neighbours(rater_id):
        outward = tie.src == rater_id or tie.kind in vocab.SYMMETRIC_TIES
        if not outward or tie.kind not in USE_TIES or other.kind not in vocab.ASSET_KINDS \
                or other.id == rater_id:
            continue
        if tie.kind == "REFERRED_TO" and tie.props.get("status") != "attended":
            continue
        places[other.id] = other.name
    return places


def _rating_form(store: Any, person_id: str, user: Any, *, form: str = "outcomes_rating",
                 about_person: bool = True) -> None:
    """The rating form for a rater (a person, or a group speaking for its members)."""
    places = places_used(store, person_id)
    if not places:
        st.caption("They use no group or organisation recorded here, so there is nothing for "
                   "them to rate yet.")
        return
    with st.form(form):
        target = st.selectbox("Place they use", sorted(places, key=places.__getitem__),
                              format_func=places.__getitem__, key="outcomes_rate_place")
        cols = st.columns(len(vocab.RATING_QUESTIONS))
        answers = {q: cols[i].select_slider(label, options=[1, 2, 3, 4, 5], value=3,
                                            key=f"outcomes_rate_{q}")
                   for i, (q, label) in enumerate(vocab.RATING_QUESTIONS.items())}
        comment = st.text_area("Comment (optional; an administrator approves it before anyone "
                               "sees it)", max_chars=1000, key="outcomes_rate_comment")
        consent = st.checkbox(f"They agree to their rating being used, only ever in totals of "
                              f"{MIN_RATINGS} or more and never with their name",
                              key="outcomes_rate_consent")
        if st.form_submit_button("Record rating"):
            try:
                rate(store, person_id, target, answers, comment, consent=consent,
                     recorded_by=_user_name(user))
                _audit_edit(user, person_id if about_person else None)
            except Exception as exc:
                common.show_error(exc)
                return
            st.session_state[_FLASH] = f"Rating of {common.md_escape(places[target])} recorded."
            st.rerun()


#: The outcomes forms' tabs (only the open one is drawn) and where the open one is kept.
OUTCOME_TABS: tuple[str, ...] = ("Record a scale", "Record a goal", "Rate a place")
OUTCOMES_TAB_KEY = "outcomes_tab"
#: The tab whose form lists the places a person uses (it changes with their ties).
RATE_TAB = OUTCOME_TABS[2]


def outcomes_summary(store: Any, person_id: str, G: Any = None) -> None:
    """The person's timeline chart, measures and goals (what a new tie can change)."""
    st.subheader("Outcomes over time")
    # Always the same slot, filled or not, so the message never moves the chart below it
    notice = st.empty()
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        notice.success(flash)
    try:
        _timeline(store, person_id, G)
        records = store.records(person_id=person_id)
        measures = measures_frame(records)
        if not measures.empty:
            table = measures.assign(score=measures["score"].map(lambda s: SCORES[s][1]))
            table = table.rename(columns={"date": "Date", "score": "Score", "value": "Value",
                                          "recorded_by": "Recorded by"})
            table = table[["Date", "Score", "Value", "Recorded by"]].sort_values(
                ["Date", "Score"], ascending=[False, True])
            st.dataframe(table, hide_index=True, width="stretch", key="outcomes_measures")
        goals = goals_frame(records)
        if not goals.empty:
            st.markdown("**Care Act wellbeing goals**")
            goals = goals.rename(columns={"date": "Date", "domain": "Wellbeing domain",
                                          "goal": "Goal", "status": "Status",
                                          "recorded_by": "Recorded by"})
            st.dataframe(goals, hide_index=True,
                         width="stretch", key="outcomes_goals")
    except Exception as exc:
        common.show_error(exc)


def outcomes_forms(store: Any, person_id: str, user: Any) -> None:
    """The forms to record a scale, a goal or a rating: only the open tab is drawn, and they
    are drawn again only when what they offer changed (a new tie changes the places a person
    may rate, not the scales), so a save elsewhere on the page leaves them as they are."""
    try:
        tabs = st.tabs(list(OUTCOME_TABS), key=OUTCOMES_TAB_KEY, on_change="rerun")
        forms = (_measure_form, _goal_form, _rating_form)
        for tab, form in zip(tabs, forms, strict=True):
            if tab.open is not False:  # None: this Streamlit draws every tab
                with tab:
                    form(store, person_id, user)
    except Exception as exc:
        common.show_error(exc)


def group_rating_section(store: Any, user: Any) -> None:
    """A group (a peer group, a ULO's members) rates a place it works with, as experts by
    experience: the same form and rules as a person's rating (consent, 1-5, comments approved)."""
    groups = {g.id: g.name for g in store.find(vocab.GROUP) if places_used(store, g.id)}
    st.subheader("A group rates a place it works with")
    if not groups:
        st.caption("No group here works with another group or organisation yet, so no group "
                   "has anything to rate.")
        return
    rater = st.selectbox("Group giving the rating", sorted(groups, key=groups.__getitem__),
                         format_func=groups.__getitem__, key="outcomes_group_rater")
    _rating_form(store, rater, user, form="outcomes_group_rating", about_person=False)
