"""Outcomes page: for people with a baseline and a follow-up, the change in their community ties
beside the change in each wellbeing and loneliness scale, overall, by referral status and by
kind of place — worded as association, not cause, small groups suppressed — and what experts by
experience say about the places they use (aggregates of five or more). Administrators approve
comments here before anyone sees them.

Thin over :mod:`assetmap.graph.analysis.outcomes` and :mod:`assetmap.ratings`.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd
import streamlit as st

from assetmap import vocab
from assetmap.governance import access
from assetmap.graph.analysis.outcomes import (
    ASSOCIATION_NOTE,
    cohort_chart,
    cohort_outcomes,
    cohort_people,
)
from assetmap.graph.store import GraphStore
from assetmap.measures import HEADLINE, SCORES
from assetmap.ratings import MIN_RATINGS, moderate, pending_comments, ratings_summary
from assetmap.ui import auth, common

BREAKDOWNS: dict[str, str] = {"referral": "Referral status", "group_kind": "Kind of place"}
_FLASH = "outcomes_page_flash"


def _shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The published cohort table with readable headings (the CSV keeps the column names)."""
    names = {"breakdown": "Breakdown", "group": "Group", "people": "People",
             "community_ties_change_mean": "Change in community ties (mean)",
             "level_change_mean": "Change in isolation level (mean, steps)",
             "share_gained_community_ties": "Share who gained community ties"}
    for s in SCORES:
        names[f"{s}_change_mean"] = f"Change in {SCORES[s][1]} (mean)"
        names[f"{s}_people"] = f"People measured twice on {s.split('_')[0].upper()}"
    keep = [c for c in table.columns if not c.endswith("_people") or
            c.removesuffix("_people") in HEADLINE.values()]
    return table[keep].rename(columns=names)


@st.cache_data(show_spinner="Comparing baselines and follow-ups…", max_entries=16)
def cohort_table(url: str, version: int, date_from: _dt.date | str | None,
                 date_to: _dt.date | str | None
                 ) -> tuple[pd.DataFrame, bool]:
    """The published cohort table (aggregates only, safe to share between users) and whether
    anyone has a baseline and a follow-up, cached per store version and window."""
    store = common.get_store()
    # a server store (Neo4j) reads only the measured people's own ties, never the whole graph
    # (issue 16); a SQLite store keeps its shared graph
    G = None if common.is_server_store(store) else common.graph(url, version)
    people = cohort_people(store, G, date_from or None, date_to or None)
    return cohort_outcomes(people), not people.empty


def _cohort(store: GraphStore, url: str, version: int) -> None:
    st.subheader("Change in community ties beside change in wellbeing")
    st.info(ASSOCIATION_NOTE)
    cols = st.columns(3)
    date_from = cols[0].date_input("Measures from", value=None, key="outcomes_from")
    date_to = cols[1].date_input("Measures to", value=None, key="outcomes_to")
    breakdown = cols[2].radio("Chart by", list(BREAKDOWNS), format_func=BREAKDOWNS.__getitem__,
                              horizontal=True, key="outcomes_breakdown")
    table, anyone = cohort_table(url, version, date_from, date_to)
    if not anyone:
        st.info("No one has a baseline and a follow-up measure in this window yet.")
        return
    from assetmap.ui.a11y import described

    st.altair_chart(described(cohort_chart(table, breakdown),
                              "Chart of the change in community ties beside the change in "
                              "wellbeing, by " + BREAKDOWNS[breakdown].lower()
                              + "; the same figures are in the table below."), width="stretch")
    shown = _shown_table(table)
    st.dataframe(shown, hide_index=True, width="stretch", key="outcomes_table")
    common.download_table(table, "outcomes.csv", key="outcomes_csv")
    st.caption("Counts under the privacy threshold show as <N with their means left blank; "
               "'*' hides a count that would give another away. Means are follow-up minus "
               "baseline; for UCLA-3, ONS4 anxiety and MYCaW a fall is an improvement.")


def _ratings(store: GraphStore) -> None:
    st.subheader("What experts by experience say")
    summary = ratings_summary(store)
    if summary.empty:
        st.info(f"No place has ratings from {MIN_RATINGS} or more people yet; ratings are only "
                "ever shown as totals of that many.")
        return
    names = {n.id: n.name for kind in vocab.ASSET_KINDS for n in store.find(kind)}
    table = summary.assign(place=summary["asset_id"].map(names),
                           comments=summary["comments"].map(len))
    table = table.rename(columns={"place": "Place", "ratings": "Ratings",
                                  "comments": "Approved comments",
                                  **{f"{q}_mean": f"{label} (mean, 1-5)"
                                     for q, label in vocab.RATING_QUESTIONS.items()},
                                  "overall_mean": "Overall (mean, 1-5)"})
    table = table.drop(columns="asset_id").sort_values("Overall (mean, 1-5)", ascending=False)
    st.dataframe(table, hide_index=True, width="stretch", key="outcomes_ratings")
    common.download_table(table, "ratings.csv", key="outcomes_ratings_csv")
    st.caption(f"Only places rated by {MIN_RATINGS} or more people are listed. Places rated "
               "inaccessible count as weaker provision on the Gaps page.")


def _moderation(store: GraphStore, user: access.User) -> None:
    st.subheader("Comments waiting for approval")
    queue = pending_comments(store)
    if queue.empty:
        st.caption("No comments are waiting.")
        return
    names = {n.id: n.name for kind in vocab.ASSET_KINDS for n in store.find(kind)}
    labels = {r: f"{names.get(a, a)}: {c[:80]}" for r, a, c in zip(
        queue["rating_id"], queue["asset_id"], queue["comment"], strict=True)}
    with st.form("outcomes_moderate"):
        rating_id = st.selectbox("Comment", list(labels), format_func=labels.__getitem__,
                                 key="outcomes_moderate_pick")
        approve = st.radio("Decision", ["approve", "reject"], horizontal=True,
                           key="outcomes_moderate_decision")
        if st.form_submit_button("Save decision"):
            try:
                moderate(store, rating_id, approve == "approve", user)
                from assetmap.governance import audit

                audit.record(auth.access_db(), user, "edit")  # a comment moderated
            except Exception as exc:
                common.show_error(exc)
                return
            st.session_state[_FLASH] = f"Comment {approve}d."
            st.rerun()


def render() -> None:
    """Draw the page (signed-in users whose role may open it)."""
    user = auth.require_page("outcomes.py")
    st.title("Outcomes")
    opened = common.store_with_people()
    if opened is None:
        return
    store, version = opened
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash)
    try:
        _cohort(store, common.store_url(), version)
        _ratings(store)
        if getattr(user, "role", None) in (access.ADMIN, access.COORDINATOR):
            from assetmap.ui.outcomes_ui import group_rating_section

            group_rating_section(store, user)
        if getattr(user, "role", None) == access.ADMIN:
            _moderation(store, user)
    except Exception as exc:
        common.show_error(exc)
    common.footer()


if __name__ == "__main__":
    render()
