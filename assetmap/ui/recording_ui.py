"""Recording in the app, for the Person, Worklist and Directory pages: refer to any group or
organisation (searched by name) and mark a referral attended (offering to record the ongoing
tie); add or end a tie by picking a person or group by name; a dated contact note; edit a
person's details and consent; add a person; add or edit a group.

Thin over :mod:`assetmap.governance.recording` and :mod:`assetmap.governance.referrals`: each
save is one store transaction with one audit row, and the store's version moves, so every page
shows it on its next run. Headings here are level 4 (inside a page's sections).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd
import streamlit as st

from assetmap import vocab
from assetmap.governance import recording, referrals
from assetmap.governance.access import User
from assetmap.governance.privacy import LAWFUL_BASES
from assetmap.graph.store import GraphStore
from assetmap.ui import auth, common

FLASH = "person_flash"  # the Record panel (or the Worklist) shows and clears this message
PROBLEM = "person_problem"  # ... and this one, a save that could not be made
MATCHES = 50

#: The Person page's parts (its fragments' keys, ``ui/views/person.py``). A save made there
#: reruns only the parts it changes (issue 14: a write shows within a second, and the rest of
#: the page is neither run nor drawn again).
PART_SUMMARY, PART_SUGGESTIONS, PART_RECORD, PART_REFERRALS, PART_OUTCOMES = (
    "person_summary", "person_suggestions", "person_record", "person_referrals",
    "person_outcomes")
#: The outcomes forms: rerun with the outcomes only while the rating form (which lists the
#: places a person uses, so changes with their ties) is open (see :func:`saved`).
PART_OUTCOME_FORMS = "person_outcome_forms"
#: What a new or ended tie changes: their circle and level, suggestions, the timeline.
TIE_PARTS: tuple[str, ...] = (PART_SUMMARY, PART_SUGGESTIONS, PART_RECORD, PART_OUTCOMES)
#: What a referral changes: suggestions (a place referred to is not suggested again), the
#: referrals, the Record panel's lists and the timeline.
REFERRAL_PARTS: tuple[str, ...] = (PART_SUGGESTIONS, PART_RECORD, PART_REFERRALS,
                                   PART_OUTCOMES)
#: A referral's outcome may record a tie too.
OUTCOME_PARTS: tuple[str, ...] = (*TIE_PARTS, PART_REFERRALS)
#: Their details: interests and needs (shown by the level), suggestions, the panel.
DETAIL_PARTS: tuple[str, ...] = (PART_SUMMARY, PART_SUGGESTIONS, PART_RECORD)


def saved(message: str, parts: tuple[str, ...] | None) -> None:
    """In a save button's callback: say what was saved and rerun only ``parts`` of the Person
    page; with no parts (another page), the page's own rerun shows the message."""
    st.session_state[FLASH] = message
    if parts:
        from assetmap.ui.outcomes_ui import OUTCOMES_TAB_KEY, RATE_TAB

        if PART_OUTCOMES in parts and st.session_state.get(OUTCOMES_TAB_KEY) == RATE_TAB:
            parts = (*parts, PART_OUTCOME_FORMS)
        st.rerun(list(parts))


def problem(reason: BaseException | str, parts: tuple[str, ...] | None) -> None:
    """In a save button's callback: keep a one-sentence reason the save was not made (nothing
    was written) for the Record panel, and rerun it alone."""
    st.session_state[PROBLEM] = (reason if isinstance(reason, str)
                                 else common.error_text(reason))
    if parts:
        st.rerun([PART_RECORD])


def show_messages(slot: Any = None) -> None:
    """Show, once, what the last save said: saved, or why not; in ``slot`` (an ``st.empty``
    kept in the same place on every run, so a message never moves what is below it and the
    browser does not draw that again) or where this is called."""
    flash = st.session_state.pop(FLASH, None)
    trouble = st.session_state.pop(PROBLEM, None)
    box = slot if slot is not None else st
    if trouble:
        box.error(trouble)
    elif flash:
        box.success(flash)


def _label(word: str) -> str:
    return vocab.label(word).capitalize()


@st.cache_resource(show_spinner=False, max_entries=4)
def _places(url: str, version: int) -> pd.DataFrame:
    """Every group and organisation with its area name at the store ``version`` where they
    last changed (:func:`places_version`): public records, safe to share, and kept across
    saves that change no place (a tie or a note), so a save does not read every place again.
    Shared: callers do not modify it."""
    store = common.get_store()
    areas = {a.id: a.name for a in store.find(vocab.AREA)}
    rows = [(n.id, n.name, n.kind, areas.get(n.area or "", ""), n.props.get("status") or "")
            for kind in (vocab.GROUP, vocab.ORGANISATION) for n in store.find(kind)]
    return pd.DataFrame(rows, columns=["id", "name", "kind", "area", "status"])


#: Per store URL: the version last seen and the version at which a place last changed.
_PLACES_AT: dict[str, tuple[int, int]] = {}


def places_version(store: GraphStore) -> int:
    """The store version at which a group, organisation or area last changed, as far as this
    server has seen (a store that keeps no change log: its current version)."""
    from assetmap.errors import NotFoundError

    url, now = common.store_url(), store.version()
    held = _PLACES_AT.get(url)
    if held is not None and held[0] == now:
        return held[1]
    since = common._changes_since(store, held[0]) if held is not None else None
    if since is not None and held is not None:
        def is_place(node_id: str) -> bool:
            try:
                return store.get(node_id).kind != vocab.PERSON
            except NotFoundError:  # gone: it may have been a place
                return True
        if not any(is_place(n) for n in since.get("nodes", ())):
            _PLACES_AT[url] = (now, held[1])
            return held[1]
    _PLACES_AT[url] = (now, now)
    return now


def search_places(store: GraphStore, words: str, limit: int = MATCHES) -> dict[str, str]:
    """Groups and organisations whose name holds ``words``: {id: "name — area (kind)"}."""
    words = words.strip().casefold()
    if not words:
        return {}
    places = _places(common.store_url(), places_version(store))
    hit = places[places["name"].str.casefold().str.contains(words, regex=False)
                 & (places["status"] != "closed")].head(limit)
    return {r.id: f"{r.name} — {r.area or 'area unknown'} ({r.kind.lower()})"
            for r in hit.itertuples(index=False)}


def _pick_place(store: GraphStore, key: str, label: str) -> str | None:
    words = st.text_input(f"Find a {label} by name", key=f"{key}_find",
                          placeholder="Part of its name, e.g. walking, library, choir")
    options = search_places(store, words)
    if words.strip() and not options:
        st.caption("Nothing matches; try part of the name.")
    elif words.strip():
        st.caption(f"{len(options)} found for “{common.md_escape(words.strip())}” — choose "
                   "below.")
    return st.selectbox(label.capitalize(), list(options), index=None,
                        format_func=options.__getitem__, key=f"{key}_pick",
                        placeholder="Type above, then choose…")


def _circle_people(store: GraphStore, user: User, person_id: str) -> dict[str, str]:
    """People this coordinator may pick by name: their own caseload and the person's circle."""
    from assetmap.worklist import person_labels

    ids = {p for p in user.caseload if p != person_id} if user.role != "admin" else set()
    for _tie, other in store.neighbours(person_id):
        if other.kind == vocab.PERSON:
            ids.add(other.id)
    ids.discard(person_id)
    return person_labels(store, sorted(ids))


def _person_or_place(store: GraphStore, user: User, person_id: str) -> str | None:
    who = st.radio("With", ("A group or organisation", "A person"), horizontal=True,
                   key="tie_with")
    if who == "A person":
        people = _circle_people(store, user, person_id)
        words = st.text_input("Find a person by name", key="tie_person_find",
                              placeholder="People you support and people in their circle")
        if user.role == "admin":
            people.update(_admin_people(store, words))
        wanted = words.strip().casefold()
        ids = [p for p, label in people.items() if not wanted or wanted in label.casefold()]
        return st.selectbox("Person they know", ids[:MATCHES], index=None,
                            format_func=people.__getitem__, key="tie_person_pick",
                            placeholder="Choose someone…")
    return _pick_place(store, "tie_place", "group or organisation")


def _admin_people(store: GraphStore, words: str) -> dict[str, str]:
    from assetmap.worklist import person_labels

    if len(words.strip()) < 2:
        return {}
    hits = common.selectable_people(store, user=auth.current_user())
    hits = hits[hits["label"].str.casefold().str.contains(words.strip().casefold(),
                                                         regex=False)].head(MATCHES)
    return person_labels(store, hits["person_id"])


def _refer(store: GraphStore, user: User, person_id: str) -> None:
    _pick_place(store, "refer_any", "place to refer to")
    with st.form("refer_any_form"):
        st.text_input("Reason for the referral", key="refer_any_reason",
                      placeholder="e.g. wants to get out walking with others")
        st.date_input("Follow up on", value=_dt.date.today() + _dt.timedelta(days=14),
                      key="refer_any_follow")
        st.form_submit_button("Refer", type="primary", on_click=_save_referral,
                              args=(store, user, person_id))


def _save_referral(store: GraphStore, user: User, person_id: str) -> None:
    state = st.session_state
    target = state.get("refer_any_pick")
    if target is None:
        problem("Choose a group or organisation first.", REFERRAL_PARTS)
        return
    try:
        referrals.record_referral(store, person_id, target, by=user.name,
                                  reason=state.get("refer_any_reason") or "",
                                  follow_up=state.get("refer_any_follow"))
        from assetmap.governance import audit

        audit.record(auth.access_db(), user, "refer", person_id)
        name = store.get(target).name
    except Exception as exc:
        problem(exc, REFERRAL_PARTS)
        return
    saved(f"Referral to {common.md_escape(name)} recorded.", REFERRAL_PARTS)


def _attended(store: GraphStore, user: User, person_id: str) -> None:
    table = referrals.referrals_for(store, person_id)
    table = table[table["status"] != "attended"]
    if table.empty:
        st.caption("No referral waiting for an answer.")
        return
    labels = {t: f"{n} — {s}, {d}" for t, n, s, d in zip(
        table["target_id"], table["name"], table["status"], table["date"], strict=True)}
    with st.form("referral_outcome_form"):
        st.selectbox("Referral", list(labels), format_func=labels.__getitem__,
                     key="outcome_target")
        st.radio("What happened", ("attended", "declined", "referred"), horizontal=True,
                 key="outcome_status")
        st.text_input("Outcome in a few words", key="outcome_text",
                      placeholder="e.g. went twice, enjoys it")
        st.checkbox("They now go there: record the ongoing tie (their level updates)",
                    value=True, key="outcome_tie")
        st.form_submit_button("Save outcome", type="primary", on_click=_save_outcome,
                              args=(store, user, person_id, labels))


def _save_outcome(store: GraphStore, user: User, person_id: str,
                  labels: dict[str, str]) -> None:
    state = st.session_state
    target = str(state.get("outcome_target"))
    status = str(state.get("outcome_status") or "attended")
    tie = bool(state.get("outcome_tie"))
    try:
        referrals.update_referral(store, person_id, target, status, by=user.name,
                                  outcome=state.get("outcome_text") or "", record_tie=tie)
        from assetmap.governance import audit

        audit.record(auth.access_db(), user, "refer", person_id, reason=f"referral {status}")
    except Exception as exc:
        problem(exc, OUTCOME_PARTS)
        return
    extra = " and the tie recorded" if tie and status == "attended" else ""
    name = labels.get(str(target), "").split(" — ")[0]
    saved(f"Referral to {common.md_escape(name)} marked {status}{extra}.", OUTCOME_PARTS)


def _add_tie(store: GraphStore, user: User, person_id: str) -> None:
    _person_or_place(store, user, person_id)
    with st.form("add_tie_form"):
        kinds = list(recording.RECORDABLE_TIES)
        st.selectbox("Kind of tie", kinds, format_func=_label, key="tie_kind",
                     index=kinds.index("FRIEND"))
        st.selectbox("How often", recording.FREQUENCIES, index=None, key="tie_freq",
                     placeholder="Not known")
        st.text_input("Met through a group (optional: part of its name)", key="tie_via")
        st.date_input("Since", value=_dt.date.today(), key="tie_since")
        st.form_submit_button("Add tie", type="primary", on_click=_save_tie,
                              args=(store, user, person_id))


def _save_tie(store: GraphStore, user: User, person_id: str) -> None:
    state = st.session_state
    other = state.get("tie_person_pick" if state.get("tie_with") == "A person"
                      else "tie_place_pick")
    if other is None:
        problem("Choose who or where first.", TIE_PARTS)
        return
    kind = state.get("tie_kind") or "FRIEND"
    via = None
    via_words = str(state.get("tie_via") or "")
    if via_words.strip():
        via = next(iter(search_places(store, via_words, limit=1)), None)
    try:
        recording.add_tie(store, auth.access_db(), user, person_id, other, kind,
                          frequency=state.get("tie_freq"), via=via,
                          since=state.get("tie_since"))
    except Exception as exc:
        problem(exc, TIE_PARTS)
        return
    saved(f"{_label(kind)} tie recorded.", TIE_PARTS)


def _end_tie(store: GraphStore, user: User, person_id: str) -> None:
    ties = [(t, o) for t, o in store.neighbours(person_id)
            if t.kind in recording.RECORDABLE_TIES and not recording.tie_has_ended(t.props)]
    if not ties:
        st.caption("No ongoing tie to end.")
        return
    names = {}
    for t, o in ties:
        names[f"{t.src}|{t.dst}|{t.kind}"] = f"{_label(t.kind)}: {o.name or 'unnamed'}"
    with st.form("end_tie_form"):
        st.selectbox("Tie", list(names), format_func=names.__getitem__, key="end_tie")
        st.date_input("Ended on", value=_dt.date.today(), key="end_tie_until")
        st.form_submit_button("End tie", on_click=_save_end_tie, args=(store, user, person_id))


def _save_end_tie(store: GraphStore, user: User, person_id: str) -> None:
    state = st.session_state
    src, dst, kind = str(state.get("end_tie")).split("|")
    other = dst if src == person_id else src
    try:
        recording.end_tie(store, auth.access_db(), user, person_id, other, kind,
                          until=state.get("end_tie_until"))
    except Exception as exc:
        problem(exc, TIE_PARTS)
        return
    saved("Tie ended (kept as history).", TIE_PARTS)


def _notes(store: GraphStore, user: User, person_id: str) -> None:
    with st.form("note_form", clear_on_submit=True):
        st.date_input("Date of contact", value=_dt.date.today(), key="note_date")
        st.text_area("Note (sensitive: only on their record and their own copy of it)",
                     key="note_text", max_chars=recording.MAX_NOTE_LENGTH)
        st.form_submit_button("Save note", on_click=_save_note, args=(store, user, person_id))
    notes = recording.notes_for(store, person_id)
    for note in notes[:10]:
        st.markdown(f"**{common.md_escape(note.get('date'))}** · "
                    f"{common.md_escape(note.get('by'))}: {common.md_escape(note.get('text'))}")
    if not notes:
        st.caption("No contact notes yet.")


def _save_note(store: GraphStore, user: User, person_id: str) -> None:
    state = st.session_state
    try:
        recording.add_note(store, auth.access_db(), user, person_id,
                           str(state.get("note_text") or ""), date=state.get("note_date"))
    except Exception as exc:
        problem(exc, (PART_RECORD,))
        return
    saved("Contact note saved.", (PART_RECORD,))


def person_form(store: GraphStore, user: User, person_id: str | None, key: str,
                parts: tuple[str, ...] | None = None) -> None:
    """Add a person (``person_id`` None) or edit their goals, interests, needs, access needs
    and consent (with its date and lawful basis). On the Person page ``parts`` are the parts
    a save reruns (:data:`DETAIL_PARTS`); elsewhere the page reruns."""
    old = store.get(person_id).props if person_id else {}
    consent = old.get("consent") or {}
    with st.form(f"{key}_form"):
        st.text_input("Name as they like to be called", key=f"{key}_name",
                      value="" if person_id else "", disabled=person_id is not None)
        if person_id is None:
            wards = {a.id: a.name for a in store.find(vocab.AREA)
                     if a.props.get("level") == "ward"}
            st.selectbox("Ward", sorted(wards, key=wards.__getitem__), index=None,
                         format_func=wards.__getitem__, key=f"{key}_area")
            st.selectbox("Age band", vocab.AGE_BANDS, index=None, key=f"{key}_age")
        st.text_area("Goals, one a line", value="\n".join(old.get("goals") or []),
                     key=f"{key}_goals")
        st.multiselect("Interests", list(vocab.INTERESTS), format_func=_label,
                       default=[i for i in old.get("interests") or [] if i in vocab.INTERESTS],
                       key=f"{key}_interests")
        st.multiselect("Needs", list(vocab.NEEDS), format_func=_label,
                       default=[n for n in old.get("needs") or [] if n in vocab.NEEDS],
                       key=f"{key}_needs")
        st.multiselect(
            "Access needs", vocab.ACCESS_FEATURES, format_func=_label,
            default=[a for a in old.get("access_needs") or [] if a in vocab.ACCESS_FEATURES],
            key=f"{key}_access")
        st.checkbox("Agrees to be suggested to others", key=f"{key}_suggest",
                    value=bool(consent.get("suggest")))
        st.checkbox("Agrees to be shown on shared maps", key=f"{key}_map",
                    value=bool(consent.get("map")))
        st.date_input("Consent given on", value=_dt.date.today(), key=f"{key}_cdate")
        st.selectbox("Lawful basis for holding the record", LAWFUL_BASES, format_func=_label,
                     index=LAWFUL_BASES.index(old.get("lawful_basis", "direct_care"))
                     if old.get("lawful_basis", "direct_care") in LAWFUL_BASES else 0,
                     key=f"{key}_basis")
        st.form_submit_button("Save person" if person_id is None else "Save details",
                              type="primary", on_click=_save_person,
                              args=(store, user, person_id, key, parts))


def _save_person(store: GraphStore, user: User, person_id: str | None, key: str,
                 parts: tuple[str, ...] | None) -> None:
    state = st.session_state

    def value(name: str, default: Any = None) -> Any:
        return state.get(f"{key}_{name}", default)

    try:
        kwargs: dict[str, Any] = dict(
            goals=str(value("goals", "")).splitlines(), interests=value("interests", []),
            needs=value("needs", []), access_needs=value("access", []),
            consent={"suggest": bool(value("suggest")), "map": bool(value("map"))},
            consent_date=value("cdate"), lawful_basis=value("basis"))
        if person_id is None:
            node = recording.save_person(store, auth.access_db(), user,
                                         name=str(value("name", "")), area=value("area"),
                                         age_band=value("age"), **kwargs)
            state["person_pick"] = node.id
        else:
            recording.save_person(store, auth.access_db(), user, person_id, **kwargs)
    except Exception as exc:
        problem(exc, parts)
        return
    saved("Person added." if person_id is None else "Details saved.", parts)


def group_form(store: GraphStore, user: User, key: str = "group") -> None:
    """Add a group, or edit one found by name: what, when, where, cost, access, contact,
    status."""
    group_id = _pick_place(store, f"{key}_edit", "group to edit (or leave empty to add one)")
    old = store.get(group_id) if group_id else None
    if old is not None and old.kind != vocab.GROUP:
        st.caption("That is an organisation; choose a group to edit, or add a new one.")
        old, group_id = None, None
    p = old.props if old else {}
    with st.form(f"{key}_form"):
        name = st.text_input("Group name", value=old.name if old else "", key=f"{key}_name")
        activities = st.multiselect("What it does", list(vocab.INTERESTS), format_func=_label,
                                    default=[a for a in p.get("activities") or []
                                             if a in vocab.INTERESTS], key=f"{key}_acts")
        needs = st.multiselect("Needs it helps with", list(vocab.NEEDS), format_func=_label,
                               default=[n for n in p.get("needs") or [] if n in vocab.NEEDS],
                               key=f"{key}_needs")
        schedule = st.text_input("When it meets", value=str(p.get("schedule") or ""),
                                 key=f"{key}_when", placeholder="e.g. Tuesdays 10:00, weekly")
        venue_words = st.text_input("Where: the venue's name (a place already listed)",
                                    key=f"{key}_venue")
        cost = st.selectbox("Cost", vocab.COSTS, format_func=_label, key=f"{key}_cost",
                            index=vocab.COSTS.index(p["cost"]) if p.get("cost") in vocab.COSTS
                            else 0)
        access = st.multiselect("Access", vocab.ACCESS_FEATURES, format_func=_label,
                                default=[a for a in p.get("access") or []
                                         if a in vocab.ACCESS_FEATURES], key=f"{key}_access")
        phone = st.text_input("Telephone", value=str(p.get("telephone") or ""),
                              key=f"{key}_phone")
        email = st.text_input("Email", value=str(p.get("email") or ""), key=f"{key}_email")
        status = st.selectbox("Status", vocab.GROUP_STATUSES, format_func=_label,
                              key=f"{key}_status",
                              index=vocab.GROUP_STATUSES.index(p["status"])
                              if p.get("status") in vocab.GROUP_STATUSES else 0)
        if st.form_submit_button("Save group", type="primary"):
            venue = None
            if venue_words.strip():
                venue = next(iter(search_places(store, venue_words, limit=1)), None)
                if venue is None:
                    st.warning("No listed place has that name; leave it empty or try another.")
                    return
            elif old is None:
                st.warning("A new group needs a venue so people can find it.")
                return
            try:
                node = recording.save_group(
                    store, auth.access_db(), user, group_id, name=name, activities=activities,
                    needs=needs, schedule=schedule, venue=venue, cost=cost,
                    access_features=access, telephone=phone or None, email=email or None,
                    status=status)
            except Exception as exc:
                common.show_error(exc)
                return
            st.session_state[f"{key}_saved"] = node.name
            st.rerun()
    saved = st.session_state.pop(f"{key}_saved", None)
    if saved:
        st.success(f"Group {common.md_escape(saved)} saved.")


def person_panel(store: GraphStore, user: User, person_id: str) -> None:
    """Everything a coordinator records about one person, in tabs (the Person page). Only the
    open tab is drawn (the others' forms are not sent to the browser until opened)."""
    goals = store.get(person_id).props.get("goals") or []
    st.markdown("#### Record")
    show_messages(st.empty())  # always the same slot, filled or not
    if goals:
        st.markdown("**Their goals:** " + common.md_escape("; ".join(map(str, goals))))
    tabs = st.tabs(["Refer", "Referral outcome", "Add a tie", "End a tie", "Contact notes",
                    "Their details"], key="record_tab", on_change="rerun")
    sections = (_refer, _attended, _add_tie, _end_tie, _notes,
                lambda s, u, p: person_form(s, u, p, "edit_person", DETAIL_PARTS))
    for tab, section in zip(tabs, sections, strict=True):
        if tab.open is not False:  # None: this Streamlit draws every tab
            with tab:
                section(store, user, person_id)
