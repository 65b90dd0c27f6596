"""Worklist page (a coordinator's home): everyone on their caseload with level and short reasons,
open referrals and follow-up dates, last contact and a suggested next step; filter, sort, open
someone's page, or add someone new.

Thin over :func:`assetmap.worklist.caseload_worklist` (computed per view for this user, never in
a shared cache) and :mod:`assetmap.ui.recording_ui`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assetmap.governance import access
from assetmap.ui import auth, common, recording_ui
from assetmap.worklist import LEVEL_ORDER, caseload_worklist

SORTS: dict[str, tuple[list[str], list[bool]]] = {
    "Most in need first": (["priority", "label"], [True, True]),
    "Follow-up date": (["follow_up", "priority"], [True, True]),
    "Last contact (longest ago first)": (["last_contact", "priority"], [True, True]),
    "Name": (["label"], [True]),
}
PERSON_PAGE = "views/person.py"


def _filtered(frame: pd.DataFrame) -> pd.DataFrame:
    cols = st.columns([3, 2, 2])
    levels = cols[0].multiselect("Levels", [lv for lv in LEVEL_ORDER if lv in set(frame["level"])],
                                 key="worklist_levels", placeholder="All levels")
    words = cols[1].text_input("Find", key="worklist_find",
                               placeholder="Name, ward or #id").strip().casefold()
    sort = cols[2].selectbox("Sort by", list(SORTS), key="worklist_sort")
    overdue = st.checkbox("Only follow-ups that are due", key="worklist_overdue")
    if levels:
        frame = frame[frame["level"].isin(levels)]
    if words:
        frame = frame[frame["label"].str.casefold().str.contains(words, regex=False)]
    if overdue:
        frame = frame[frame["overdue"]]
    by, ascending = SORTS[sort]
    keyed = frame.assign(follow_up=frame["follow_up"].replace("", "9999"),
                         last_contact=frame["last_contact"].replace("none recorded", "0000"))
    order = keyed.sort_values(by, ascending=ascending, kind="stable").index
    return frame.loc[order]


def render() -> None:
    """Draw the page (coordinators; see :mod:`assetmap.governance.access`)."""
    user = auth.require_page("worklist.py")
    st.title("Worklist")
    opened = common.store_with_people()
    if opened is None:
        return
    store, version = opened
    recording_ui.show_messages()  # what adding someone said: saved, or why not
    url = common.store_url()
    try:
        ids = sorted(access.visible_person_ids(user, store))
        if not ids:
            st.info("No one on your caseload yet — add someone below, or ask an administrator "
                    "to add the people you support.")
        else:
            G = common.graph(url, version)
            isolation = common.isolation_table(url, version)
            frame = caseload_worklist(store, G, isolation, ids)
            counts = frame["level"].value_counts()
            st.caption(f"{len(frame)} people on your caseload · "
                       + " · ".join(f"{counts.get(lv, 0)} {lv}" for lv in LEVEL_ORDER)
                       + f" · {int(frame['overdue'].sum())} follow-ups due")
            shown = _filtered(frame)
            table = shown.rename(columns={
                "label": "Person", "level": "Level", "reasons": "Why",
                "open_referrals": "Open referrals", "follow_up": "Follow up",
                "last_contact": "Last contact", "next_step": "Suggested next step"})[
                ["Person", "Level", "Why", "Open referrals", "Follow up", "Last contact",
                 "Suggested next step"]]
            st.dataframe(table, hide_index=True, width="stretch", key="worklist_table")
            common.download_table(table, "worklist.csv", key="worklist_csv")
            labels = dict(zip(shown["person_id"], shown["label"], strict=True))
            cols = st.columns([4, 1], vertical_alignment="bottom")
            chosen = cols[0].selectbox("Open a person's page", list(labels), index=None,
                                       format_func=labels.__getitem__, key="worklist_open",
                                       placeholder="Choose someone…")
            if cols[1].button("Open their page", type="primary", disabled=chosen is None,
                              key="worklist_go"):
                st.session_state["person_pick"] = chosen
                st.switch_page(PERSON_PAGE, query_params={"person": chosen or ""})
        with st.expander("Add someone new"):
            recording_ui.person_form(store, user, None, "new_person")
    except Exception as exc:
        common.show_error(exc)
    common.footer()


if __name__ == "__main__":
    render()
